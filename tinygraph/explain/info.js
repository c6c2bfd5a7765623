// info.js: the "Selected" panel: a neuron's value and delta, or a weight's value and gradient.

function showInfo(entry) {
  var box = byId("info"), item = state.hovered || state.selected;
  box.textContent = "";
  if (!item) { element("p", { text: "Hover or click a neuron or a weight." }, box); return; }
  var lines = item.kind === "neuron" ? neuronInfo(entry, item.c, item.u) : weightInfo(entry, item.c, item.i, item.j);
  lines.forEach(function (line, i) {
    element(i === 0 ? "h3" : "p", { text: line, "class": i === 0 ? "" : "code" }, box);
  });
  if (state.selected && !state.hovered) element("p", { text: "(click it again to let go)" }, box);
}

function neuronInfo(entry, c, u) {
  var column = run.columns[c], unit = column.units[u], name = blogName("columns", c);
  var lines = [(name ? name + ", neuron " : "column " + c + ", unit ") + unit + " of " + column.width];
  lines.push("at step " + entry.step + ", " + sampleLabel());
  if (c === 0) {
    lines.push((name || "x") + "[" + unit + "] = " + fmt(neuronValue(entry, 0, u)) + "  (an input feature)");
    return lines;
  }
  var layers = layerRecords(entry, c);
  layers.forEach(function (record, k) {
    var label = (column.paths[k] ? column.paths[k] + " " : "") + column.names[k];
    lines.push(label + ":  y = " + fmt(pick(record.y, u)) + "   dL/dy = " + fmt(pick(record.dy, u)));
  });
  var delta = blogName("deltas", c), value = neuronValue(entry, c, u), first = neuronDelta(entry, c, u);
  if (name) {
    lines.push(name + " = " + fmt(value) + "   " + delta + " = " + fmt(first === null ? null : -first) +
      "  (" + delta + " is minus the gradient dL/dy of " + column.paths[0] + " " + column.names[0] + ")");
  } else {
    lines.push("value " + fmt(value) + ";  delta (dL/dy at the weighted sum) " + fmt(first));
  }
  if (column.bias) {
    lines.push(column.bias + "[" + unit + "] = " + fmt(entry.params[column.bias].value[u]) +
      "   gradient " + fmt(entry.params[column.bias].grad[u]));
  }
  var last = layers[layers.length - 1];
  lines.push("per kept sample, " + (name || "value") + ": " + fmtList(last.y.samples.map(function (s) { return s[u]; })));
  if (layers[0].dy) {
    var sign = name ? -1 : 1;
    lines.push("per kept sample, " + (delta || "delta") + ": " +
      fmtList(layers[0].dy.samples.map(function (s) { return s[u] === null ? null : sign * s[u]; })));
  }
  return lines;
}

function weightInfo(entry, c, i, j) {
  var column = run.columns[c], before = run.columns[c - 1], record = entry.params[column.weight];
  var name = blogName("weights", c), from = before.units[i], to = column.units[j];
  var where = (name || column.weight) + "[" + from + ", " + to + "]";
  var lines = [where + (name ? "  (" + column.weight + ")" : "")];
  lines.push("at step " + entry.step + ": from unit " + from + " of column " + (c - 1) + " to unit " + to + " of column " + c);
  lines.push("value " + fmt(record.value[i][j]) + "   gradient dL/dW " + fmt(record.grad[i][j]));
  if (name) {
    var layer = blogName("columns", c - 1), delta = blogName("deltas", c);
    lines.push("the blog's update " + name + " += " + layer + ".T @ " + delta + " adds " + fmt(-record.grad[i][j]) +
      " here: minus the gradient (SGD at lr=1)");
  } else {
    lines.push("an optimizer step moves it against the gradient (SGD: by -lr * gradient)");
  }
  return lines;
}

redrawers.push(showInfo);
