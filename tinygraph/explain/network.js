// network.js: the network as columns of circles joined by weight lines, redrawn at every step.

var COLUMN_GAP = 170, ROW_GAP = 30, TOP = 88, LEFT = 60, RADIUS = 10;
var network = { neurons: [], weights: [], columnScale: [], weightScale: {} };

function slots(column) {  // the row of each drawn unit; a summarised column leaves a row for "more"
  var half = column.units.length / 2, summarised = column.width > column.units.length;
  return column.units.map(function (_, i) { return summarised && i >= half ? i + 1 : i; });
}

function columnX(c) { return LEFT + c * COLUMN_GAP; }
function rowY(c, slot, rows) {
  var height = (run.columns[c].units.length + (run.columns[c].width > run.columns[c].units.length ? 1 : 0));
  return TOP + (rows - height) * ROW_GAP / 2 + slot * ROW_GAP;
}

function computeScales() {
  run.columns.forEach(function (column, c) {
    if (c === 0) { network.columnScale[c] = maxAbs(run.samples.map(function (s) { return s.x; })); return; }
    if (column.gap) return;
    network.columnScale[c] = maxAbs(run.steps.map(function (entry) {
      var last = entry.columns[c - 1][entry.columns[c - 1].length - 1].y;
      return [last.mean, last.samples];
    }));
    if (column.weight) {
      network.weightScale[column.weight] = maxAbs(run.steps.map(function (entry) { return entry.params[column.weight].value; }));
    }
  });
}

function drawNetwork() {
  var root = byId("network");
  var rows = Math.max.apply(null, run.columns.map(function (c) { return c.units.length + 1; }).concat([4]));
  var width = columnX(run.columns.length - 1) + LEFT + 40, height = TOP + rows * ROW_GAP + 40;
  root.setAttribute("viewBox", "0 0 " + width + " " + height);
  var room = byId("network-scroll").clientWidth || width;  // small nets grow to fill it; wide ones scroll
  root.style.width = Math.max(width, Math.min(width * 1.5, room)) + "px";
  var lines = svgElement("g", {}, root), circles = svgElement("g", {}, root), labels = svgElement("g", {}, root);
  computeScales();
  run.columns.forEach(function (column, c) {
    var x = columnX(c), rowOf = slots(column);
    drawColumnLabels(labels, column, c, x, height);
    if (column.gap) {
      svgElement("text", { x: x, y: TOP + rows * ROW_GAP / 2, "text-anchor": "middle", "class": "more",
        text: "\u22ef " + column.gap + " more columns \u22ef" }, labels);
      return;
    }
    if (column.weight) drawWeights(lines, column, c, rows);
    column.units.forEach(function (unit, u) {
      var circle = svgElement("circle", { cx: x, cy: rowY(c, rowOf[u], rows), r: RADIUS, "class": "neuron",
        "data-column": c, "data-unit": unit }, circles);
      hoverable(circle, { kind: "neuron", c: c, u: u });
      network.neurons.push({ node: circle, c: c, u: u });
    });
    if (column.width > column.units.length) {
      svgElement("text", { x: x, y: rowY(c, column.units.length / 2, rows) + 4, "text-anchor": "middle", "class": "more",
        text: "\u22ee " + (column.width - column.units.length) + " more" }, labels);
    }
  });
  redrawers.push(redrawNetwork);
}

function drawColumnLabels(parent, column, c, x, height) {
  var name = blogName("columns", c), y = 16;
  if (name) { svgElement("text", { x: x, y: y, "text-anchor": "middle", "class": "blog", text: name }, parent); y += 16; }
  var names = column.gap ? [] : column.names.map(function (n, i) { return (column.paths[i] ? column.paths[i] + " " : "") + n; });
  if (c === 0) names = ["input, " + column.width + " feature" + (column.width === 1 ? "" : "s")];
  names.slice(0, 3).forEach(function (full, i) {
    var label = svgElement("text", { x: x, y: y + i * 13, "text-anchor": "middle", text: clip(full, 26) }, parent);
    svgElement("title", { text: full }, label);
  });
  if (c > 0 && !column.gap) {
    svgElement("text", { x: x, y: height - 22, "text-anchor": "middle", text: column.width + " unit" + (column.width === 1 ? "" : "s") }, parent);
  }
  var delta = blogName("deltas", c);
  if (delta) svgElement("text", { x: x, y: height - 8, "text-anchor": "middle", "class": "delta", text: delta }, parent);
  var synapses = blogName("weights", c);
  if (synapses) svgElement("text", { x: x - COLUMN_GAP / 2, y: TOP - 12, "text-anchor": "middle", "class": "synapses", text: synapses }, parent);
}

function drawWeights(parent, column, c, rows) {
  var before = run.columns[c - 1], fromRow = slots(before), toRow = slots(column);
  before.units.forEach(function (_, i) {
    column.units.forEach(function (_, j) {
      var where = { x1: columnX(c - 1) + RADIUS, y1: rowY(c - 1, fromRow[i], rows), x2: columnX(c) - RADIUS, y2: rowY(c, toRow[j], rows) };
      var line = svgElement("line", Object.assign({ "class": "weight", "data-param": column.weight, "data-i": i, "data-j": j }, where), parent);
      var hit = svgElement("line", Object.assign({ "class": "weight-hit" }, where), parent);
      var item = { kind: "weight", c: c, i: i, j: j };
      hoverable(line, item); hoverable(hit, item, line);
      network.weights.push({ node: line, c: c, name: column.weight, i: i, j: j });
    });
  });
}

function redrawNetwork(entry) {
  network.neurons.forEach(function (n) {
    var value = neuronValue(entry, n.c, n.u);
    n.node.setAttribute("fill", rgb(diverging(value / network.columnScale[n.c])));
    n.node.classList.toggle("selected", same(state.selected, { kind: "neuron", c: n.c, u: n.u }));
  });
  network.weights.forEach(function (w) {
    var value = entry.params[w.name].value[w.i][w.j], t = value / network.weightScale[w.name];
    w.node.setAttribute("stroke", rgb(diverging(t < 0 ? Math.min(-0.25, t) : Math.max(0.25, t))));
    w.node.setAttribute("stroke-width", (0.5 + 4.5 * Math.abs(t)).toFixed(2));
    w.node.setAttribute("data-value", value);
    w.node.classList.toggle("selected", same(state.selected, { kind: "weight", c: w.c, i: w.i, j: w.j }));
  });
}

function same(a, b) {
  return !!a && !!b && a.kind === b.kind && a.c === b.c && a.u === b.u && a.i === b.i && a.j === b.j;
}

function hoverable(node, item, shown) {  // `shown`: the element that lights up (a weight's line, under its wider hit area)
  shown = shown || node;
  node.addEventListener("mouseenter", function () { state.hovered = item; shown.classList.add("hovered"); showInfo(current()); });
  node.addEventListener("mouseleave", function () { state.hovered = null; shown.classList.remove("hovered"); showInfo(current()); });
  node.addEventListener("click", function (event) {
    event.stopPropagation();
    state.selected = same(state.selected, item) ? null : item;
    redraw();
  });
}
