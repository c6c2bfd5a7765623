// controls.js: the step slider, play / back / forward, the sample chooser; then everything is drawn.

var player = { timer: null };

function setEntry(k) {
  state.entry = Math.max(0, Math.min(run.steps.length - 1, k));
  var entry = current(), slider = byId("step");
  slider.value = state.entry;
  byId("loss").textContent = fmtLoss(entry.loss);
  byId("step-label").textContent = "step " + entry.step + " (" + (state.entry + 1) + " of " + run.steps.length +
    " recorded, every " + run.every + ")";
  redraw();
}

function play() {
  if (player.timer) { stop(); return; }
  if (state.entry >= run.steps.length - 1) setEntry(0);
  var delay = Math.max(40, Math.min(400, 8000 / run.steps.length));
  player.timer = setInterval(function () {
    if (state.entry >= run.steps.length - 1) { stop(); return; }
    setEntry(state.entry + 1);
  }, delay);
  byId("play").textContent = "\u275a\u275a pause";
}

function stop() {
  clearInterval(player.timer);
  player.timer = null;
  byId("play").textContent = "\u25b6 play";
}

function setUpControls() {
  var slider = byId("step");
  slider.max = run.steps.length - 1;
  slider.addEventListener("input", function () { stop(); setEntry(Number(slider.value)); });
  byId("back").addEventListener("click", function () { stop(); setEntry(state.entry - 1); });
  byId("forward").addEventListener("click", function () { stop(); setEntry(state.entry + 1); });
  byId("play").addEventListener("click", play);
  var chooser = byId("sample");
  element("option", { value: -1, text: "the mean over the batch" }, chooser);
  run.samples.forEach(function (s, k) { element("option", { value: k, text: "sample " + s.index }, chooser); });
  chooser.addEventListener("change", function () { state.sample = Number(chooser.value); redraw(); });
  document.addEventListener("keydown", function (event) {
    if (event.target.tagName === "SELECT" || event.target.tagName === "INPUT") return;
    if (event.key === "ArrowRight") { stop(); setEntry(state.entry + 1); }
    else if (event.key === "ArrowLeft") { stop(); setEntry(state.entry - 1); }
    else if (event.key === " ") { event.preventDefault(); play(); }
  });
  byId("network").addEventListener("click", function () {  // a click beside the drawing lets go
    if (state.selected) { state.selected = null; redraw(); }
  });
}

function describeRun() {
  byId("model").textContent = run.model;
  byId("setup").textContent = run.loss_function + ", " + run.optimizer + ", full batch of " + run.n_samples +
    " samples of shape (" + run.input_shape.join(", ") + "); recorded every " + run.every + " step" + (run.every === 1 ? "" : "s");
  if (run.stopped) { byId("stopped").hidden = false; byId("stopped").textContent = run.stopped; }
  if (run.blog) {
    byId("blog").hidden = false;
    byId("blog-formulas").textContent = run.blog.formulas.join("\n");
  }
}

describeRun();
drawNetwork();
drawLossCurve();
drawParameters();
drawPlane();
setUpControls();
setEntry(0);
