// util.js: the recorded run, the page's state, and small helpers shared by the other files.
// Every text from the run is shown with textContent, never parsed as HTML.

var run = JSON.parse(document.getElementById("tinygraph-run").textContent);
window.tinygraphRun = run;

var SVG_NS = "http://www.w3.org/2000/svg";
var BLUE = [8, 119, 189], ORANGE = [245, 147, 34], WHITE = [255, 255, 255];
var PALETTE = [[245, 147, 34], [8, 119, 189], [46, 160, 67], [214, 39, 40], [148, 103, 189],
               [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];

var state = { entry: 0, sample: -1, selected: null, hovered: null };  // sample -1: the batch mean
var redrawers = [];  // functions called with the entry whenever the step or the sample changes

function byId(id) { return document.getElementById(id); }

function element(tag, attributes, parent) {
  var node = document.createElement(tag);
  setAttributes(node, attributes);
  if (parent) parent.appendChild(node);
  return node;
}

function svgElement(tag, attributes, parent) {
  var node = document.createElementNS(SVG_NS, tag);
  setAttributes(node, attributes);
  if (parent) parent.appendChild(node);
  return node;
}

function setAttributes(node, attributes) {
  for (var name in attributes || {}) {
    if (name === "text") node.textContent = attributes[name];
    else node.setAttribute(name, attributes[name]);
  }
}

function clip(text, most) {
  text = String(text);
  return text.length > most ? text.slice(0, most - 1) + "\u2026" : text;
}

function fmt(value) {
  if (value === null || value === undefined) return "\u2013";
  var text = Number(value).toPrecision(4);
  return text.indexOf("e") < 0 && text.indexOf(".") >= 0 ? text.replace(/\.?0+$/, "") : text;
}

function fmtLoss(value) { return Number(value).toPrecision(6); }

function fmtList(values) {
  return "[" + values.map(fmt).join(", ") + "]";
}

function mix(from, to, t) {
  t = Math.max(0, Math.min(1, t));
  return [0, 1, 2].map(function (i) { return Math.round(from[i] + (to[i] - from[i]) * t); });
}

function rgb(colour) { return "rgb(" + colour.join(",") + ")"; }

// A value in [-1, 1] as white fading to blue (positive) or orange (negative).
function diverging(t) {
  if (t === null || t === undefined || isNaN(t)) return [200, 200, 200];
  return t >= 0 ? mix(WHITE, BLUE, t) : mix(WHITE, ORANGE, -t);
}

function bytes(base64) {
  var text = atob(base64), out = new Uint8Array(text.length);
  for (var i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function maxAbs(values) {
  var most = 0;
  (function walk(v) {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && v !== undefined) most = Math.max(most, Math.abs(v));
  })(values);
  return most || 1;
}

function current() { return run.steps[state.entry]; }

// The value and the gradient of unit u (an index into column.units) of column c at an entry,
// for the chosen sample or the batch mean. Layer 0 of a column holds the weights; the last is its value.
function pick(record, u) {
  if (!record) return null;
  return state.sample < 0 ? record.mean[u] : record.samples[state.sample][u];
}

function layerRecords(entry, c) { return c > 0 ? entry.columns[c - 1] : null; }

function neuronValue(entry, c, u) {
  if (c === 0) return state.sample < 0 ? run.input_mean[u] : run.samples[state.sample].x[u];
  var layers = layerRecords(entry, c);
  return pick(layers[layers.length - 1].y, u);
}

function neuronDelta(entry, c, u) {
  return c === 0 ? null : pick(layerRecords(entry, c)[0].dy, u);
}

function blogName(kind, c) {
  return run.blog && run.blog[kind] && c < run.blog[kind].length ? run.blog[kind][c] : null;
}

function sampleLabel() {
  if (state.sample < 0) return "mean over the batch of " + run.n_samples;
  var s = run.samples[state.sample];
  return "sample " + s.index + " (x = " + fmtList(s.x) + ", target " + JSON.stringify(s.target) + ")";
}

function redraw() {
  var entry = current();
  redrawers.forEach(function (draw) { draw(entry); });
}
