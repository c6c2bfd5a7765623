// charts.js: the loss curve with the current step marked, and the table of parameters.

var CHART = { width: 320, height: 150, left: 46, right: 8, top: 8, bottom: 22 };
var chart = {};

function drawLossCurve() {
  var root = byId("loss-curve"), losses = run.steps.map(function (e) { return e.loss; });
  root.setAttribute("viewBox", "0 0 " + CHART.width + " " + CHART.height);
  var low = Math.min.apply(null, losses), high = Math.max.apply(null, losses);
  chart.log = low > 0 && high / low > 50;
  var f = chart.log ? Math.log : function (v) { return v; };
  var pad = (f(high) - f(low)) * 0.05 || Math.abs(f(high)) * 0.05 || 1;
  chart.low = f(low) - pad;
  chart.high = f(high) + pad;
  chart.f = f;
  var lastStep = run.steps[run.steps.length - 1].step || 1;
  chart.x = function (step) { return CHART.left + (CHART.width - CHART.left - CHART.right) * step / lastStep; };
  chart.y = function (loss) {
    return CHART.top + (CHART.height - CHART.top - CHART.bottom) * (1 - (f(loss) - chart.low) / (chart.high - chart.low));
  };
  svgElement("line", { "class": "axis", x1: CHART.left, y1: CHART.top, x2: CHART.left, y2: CHART.height - CHART.bottom }, root);
  svgElement("line", { "class": "axis", x1: CHART.left, y1: CHART.height - CHART.bottom, x2: CHART.width - CHART.right,
    y2: CHART.height - CHART.bottom }, root);
  svgElement("text", { x: CHART.left - 4, y: chart.y(high) + 4, "text-anchor": "end", text: fmt(high) }, root);
  svgElement("text", { x: CHART.left - 4, y: chart.y(low) + 4, "text-anchor": "end", text: fmt(low) }, root);
  svgElement("text", { x: CHART.width - CHART.right, y: CHART.height - 6, "text-anchor": "end", text: "step " + lastStep }, root);
  svgElement("text", { x: CHART.left, y: CHART.height - 6, text: chart.log ? "step 0 (log scale)" : "step 0" }, root);
  var points = run.steps.map(function (e) { return chart.x(e.step).toFixed(1) + "," + chart.y(e.loss).toFixed(1); });
  svgElement("polyline", { "class": "curve", points: points.join(" ") }, root);
  chart.line = svgElement("line", { "class": "now", y1: CHART.top, y2: CHART.height - CHART.bottom }, root);
  chart.dot = svgElement("circle", { r: 3.5, fill: "#f59322" }, root);
  root.addEventListener("click", function (event) {
    var box = root.getBoundingClientRect(), step = (event.clientX - box.left) / box.width * CHART.width;
    var best = 0;
    run.steps.forEach(function (e, k) {
      if (Math.abs(chart.x(e.step) - step) < Math.abs(chart.x(run.steps[best].step) - step)) best = k;
    });
    setEntry(best);
  });
  redrawers.push(redrawLossCurve);
}

function redrawLossCurve(entry) {
  var x = chart.x(entry.step);
  setAttributes(chart.line, { x1: x, x2: x });
  setAttributes(chart.dot, { cx: x, cy: chart.y(entry.loss) });
}

function drawParameters() {
  var body = byId("params").querySelector("tbody");
  chart.params = Object.keys(run.parameters).map(function (name) {
    var row = element("tr", {}, body), alias = "";
    run.columns.forEach(function (column, c) {
      if (column.weight === name && blogName("weights", c)) alias = " (" + blogName("weights", c) + ")";
    });
    element("td", { text: name + alias }, row);
    var shape = run.parameters[name];
    element("td", { text: "(" + shape.join(", ") + (shape.length === 1 ? ",)" : ")") }, row);
    return { name: name, value: element("td", {}, row), grad: element("td", {}, row) };
  });
  redrawers.push(function (entry) {
    chart.params.forEach(function (p) {
      p.value.textContent = fmt(entry.params[p.name].norm);
      p.grad.textContent = fmt(entry.params[p.name].grad_norm);
    });
  });
}
