// boundary.js: for two input features, the decision boundary over the data and each first-hidden neuron's map.

var plane = { maps: [] };

function drawPlane() {
  var info = run.plane;
  if (!info) {
    byId("boundary").hidden = true;
    byId("maps-title").hidden = true;
    byId("plane-note").textContent = "The decision boundary is drawn for inputs of two features; this input has shape (" +
      run.input_shape.join(", ") + ").";
    return;
  }
  plane.cells = document.createElement("canvas");
  plane.cells.width = plane.cells.height = info.grid;
  byId("plane-note").textContent = (info.kind === "score" ? "Colour: the model's output, as the probability of the second class or " +
    "scaled from the targets' range (orange 0, blue 1)" :
    "Colour: the winning class, paler where the model is less sure") + "; dots: data points, coloured by their target.";
  var hidden = run.columns[1];
  if (hidden && run.steps[0].maps) {
    hidden.units.forEach(function (unit, u) {
      var figure = element("figure", { title: "unit " + unit + " of column 1" }, byId("maps"));
      var canvas = element("canvas", { width: info.map_grid, height: info.map_grid }, figure);
      element("figcaption", { text: "unit " + unit }, figure);
      figure.addEventListener("click", function () {
        var item = { kind: "neuron", c: 1, u: u };
        state.selected = same(state.selected, item) ? null : item;
        redraw();
      });
      plane.maps.push({ canvas: canvas, figure: figure, u: u });
    });
  } else {
    byId("maps-title").hidden = true;
  }
  redrawers.push(redrawPlane);
}

function paint(canvas, size, colourAt) {
  var context = canvas.getContext("2d"), image = context.createImageData(size, size);
  for (var k = 0; k < size * size; k++) {
    var colour = colourAt(k);
    image.data.set([colour[0], colour[1], colour[2], 255], 4 * k);
  }
  context.putImageData(image, 0, 0);
}

function boundaryColour(values, kind) {
  if (kind === "score") return function (k) { return diverging(2 * values[k] / 255 - 1); };
  return function (k) { return mix(WHITE, PALETTE[values[2 * k] % PALETTE.length], values[2 * k + 1] / 255); };
}

function redrawPlane(entry) {
  var info = run.plane, size = info.grid, canvas = byId("boundary"), context = canvas.getContext("2d");
  paint(plane.cells, size, boundaryColour(bytes(entry.boundary), info.kind));
  context.imageSmoothingEnabled = true;
  context.drawImage(plane.cells, 0, 0, canvas.width, canvas.height);
  var e = info.extent;
  info.x.forEach(function (point, k) {
    var px = (point[0] - e[0]) / (e[1] - e[0]) * canvas.width, py = (e[3] - point[1]) / (e[3] - e[2]) * canvas.height;
    var label = info.label[k];
    var colour = info.kind === "score" ? diverging(2 * label - 1) : PALETTE[Math.round(label) % PALETTE.length];
    context.beginPath();
    context.arc(px, py, 2.6, 0, 2 * Math.PI);
    context.fillStyle = rgb(colour);
    context.fill();
    context.lineWidth = 0.8;
    context.strokeStyle = "#fff";
    context.stroke();
  });
  plane.maps.forEach(function (m) {
    if (!entry.maps) return;
    var values = bytes(entry.maps[m.u]);
    paint(m.canvas, info.map_grid, function (k) { return diverging(2 * values[k] / 255 - 1); });
    m.figure.classList.toggle("selected", same(state.selected, { kind: "neuron", c: 1, u: m.u }));
  });
}
