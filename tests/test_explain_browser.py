"""The explain page in a real browser: headless Chromium (Debian's `chromium`) driven by Playwright.

Every request the page makes is blocked (and counted): the page must work from disk with no network.
Without a browser these tests skip and say how to install one; `bash .ci/run` installs it.
"""

import importlib
import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from explain_pages import PROBES, article_page, graph_page, hostile_page, run_of
from tinygraph.cli import main

ROOT = Path(__file__).resolve().parent.parent
page_module = importlib.import_module("tinygraph.explain.page")
spec = importlib.util.spec_from_file_location("screenshots", ROOT / "docs" / "screenshots.py")
screenshots = importlib.util.module_from_spec(spec)  # the docs' script: one way to start the browser
spec.loader.exec_module(screenshots)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("the browser tests need Playwright: pip install '.[test]' (it is in the test extra)")
    if not os.path.exists(screenshots.CHROMIUM):
        pytest.skip(f"the browser tests need headless Chromium at {screenshots.CHROMIUM}: apt-get install -y chromium")
    with screenshots.browser(tmp_path_factory.mktemp("profile")) as context:
        yield context


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    article_page(folder / "article.html", steps=50)
    main(["explain", "spirals", "--steps", "60", "--every", "2", "--out", str(folder / "spirals.html")], out=io.StringIO())
    hostile_page(folder / "hostile.html")
    graph_page(folder / "graph.html")
    return folder


class Opened:
    """A page open in the browser, with the errors it reported and the requests it tried."""

    def __init__(self, browser, path):
        self.url = Path(path).resolve().as_uri()
        self.path = path
        self.errors, self.requests = [], []
        self.page = page = browser.new_page()
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", lambda dialog: (self.errors.append(f"a dialog: {dialog.message}"), dialog.dismiss()))
        page.on("request", lambda request: None if request.url == self.url else self.requests.append(request.url))
        page.route("**/*", lambda route: route.continue_() if route.request.url == self.url else route.abort())
        page.goto(self.url)

    @property
    def run(self):
        return run_of(self.path)

    def entry(self):
        return int(self.page.input_value("#step"))

    def set_entry(self, k):
        screenshots.show_entry(self.page, k)

    def weight(self, selector="#network line.weight"):
        return self.page.eval_on_selector(selector, "line => [line.getAttribute('stroke'), line.getAttribute('data-value')]")

    def close(self):
        self.page.close()


@pytest.fixture
def opened(browser):
    pages_opened = []

    def open_page(path):
        pages_opened.append(Opened(browser, path))
        return pages_opened[-1]

    yield open_page
    for page in pages_opened:
        page.close()


def use(page):
    """What a person does: step forward and back, play and pause, hover a neuron and a weight."""
    page.page.click("#forward")
    page.page.click("#back")
    page.page.click("#play")
    page.page.wait_for_function("() => document.getElementById('step').value > 0")
    page.page.click("#play")
    page.page.hover("#network circle.neuron >> nth=-1")
    page.page.hover("#network line.weight >> nth=0", force=True)
    page.set_entry(len(page.run["steps"]) - 1)


@pytest.mark.parametrize("name", ["article", "spirals", "hostile", "graph"])
def test_the_page_works_from_disk_without_an_error_or_a_request(opened, pages, name):
    page = opened(pages / f"{name}.html")
    use(page)
    assert page.errors == [] and page.requests == []


def test_the_error_check_catches_a_script_that_fails(opened, pages, monkeypatch, tmp_path):
    source = page_module.source
    monkeypatch.setattr(page_module, "source", lambda name: source(name) + ("\nnull.boom;" if name == "boundary.js" else ""))
    article_page(tmp_path / "broken.html", steps=3)
    page = opened(tmp_path / "broken.html")
    assert any("boom" in error for error in page.errors)


def patched_article(monkeypatch, folder, file, old, new):
    """A broken twin: the article's page with `old` replaced by `new` in the page's file `file`."""
    source = page_module.source
    assert old in source(file)
    monkeypatch.setattr(page_module, "source", lambda name: source(name).replace(old, new) if name == file else source(name))
    article_page(folder / "twin.html", steps=50)
    return folder / "twin.html"


def check_forward_back_and_play(page):
    """Forward, back and play move the step, and #loss shows the loss recorded for it."""
    losses = [entry["loss"] for entry in page.run["steps"]]
    assert page.entry() == 0 and float(page.page.text_content("#loss")) == pytest.approx(losses[0], rel=1e-5)
    for k in (1, 2, 3):
        page.page.click("#forward")
        assert page.entry() == k
        assert float(page.page.text_content("#loss")) == pytest.approx(losses[k], rel=1e-5)  # 6 digits shown
        assert f"step {k} " in page.page.text_content("#step-label")
    page.page.click("#back")
    assert page.entry() == 2 and float(page.page.text_content("#loss")) == pytest.approx(losses[2], rel=1e-5)
    page.page.click("#play")
    page.page.wait_for_function("() => document.getElementById('step').value >= 5")
    page.page.click("#play")
    stopped = page.entry()
    page.page.wait_for_timeout(500)
    assert page.entry() == stopped and float(page.page.text_content("#loss")) == pytest.approx(losses[stopped], rel=1e-5)


def check_the_slider_moves_the_drawing(page):
    first = page.weight()
    page.set_entry(50)
    last = page.weight()
    assert first != last
    recorded = [entry["params"]["0.weight"]["value"][0][0] for entry in page.run["steps"]]
    assert [float(first[1]), float(last[1])] == [recorded[0], recorded[50]]


def check_hovering_shows_values_and_gradients(page):
    page.set_entry(4)
    page.page.hover("#network line.weight[data-param='2.weight'] >> nth=0", force=True)
    info = page.page.text_content("#info")
    record = page.run["steps"][4]["params"]["2.weight"]
    assert "synapses_1[0, 0]" in info and "at step 4" in info
    assert page.page.eval_on_selector("#network line.weight[data-param='2.weight'] >> nth=0",
                                      "line => line.classList.contains('hovered')")
    assert f"value {record['value'][0][0]:.4g}" in info and f"gradient dL/dW {record['grad'][0][0]:.4g}" in info
    page.page.hover("#network circle.neuron[data-column='1'] >> nth=2")
    info = page.page.text_content("#info")
    sigmoid = page.run["steps"][4]["columns"][0][1]["y"]["mean"][2]
    dense = page.run["steps"][4]["columns"][0][0]["dy"]["mean"][2]
    assert f"l1 = {sigmoid:.4g}" in info and f"l1_delta = {-dense:.4g}" in info
    page.page.click("#network circle.neuron[data-column='1'] >> nth=2")  # a click keeps it shown
    page.page.mouse.move(1, 1)
    page.page.click("#forward")
    assert "at step 5" in page.page.text_content("#info")


def check_the_blogs_names_are_page_text(page):
    text = page.page.evaluate("() => document.body.innerText")
    for name in ["l0", "l1", "l2", "l2_delta", "l1_delta", "synapses_0", "synapses_1"]:
        assert page.page.get_by_text(name, exact=True).first.is_visible(), name
        assert name in text


CHECKS = [check_forward_back_and_play, check_the_slider_moves_the_drawing, check_hovering_shows_values_and_gradients,
          check_the_blogs_names_are_page_text]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_the_article_page_in_use(opened, pages, check):
    check(opened(pages / "article.html"))


TWINS = [  # (check, file, old, new): a page with that bug must fail that check
    (check_forward_back_and_play, "controls.js", "fmtLoss(entry.loss)", "fmtLoss(run.steps[0].loss)"),
    (check_the_slider_moves_the_drawing, "controls.js", "function () { stop(); setEntry(Number(slider.value)); }",
     "function () { stop(); }"),
    (check_hovering_shows_values_and_gradients, "info.js", "fmt(record.grad[i][j]));", "fmt(record.value[i][j]));"),
    (check_the_blogs_names_are_page_text, None, None, None),  # any other network: no blog names
]


@pytest.mark.parametrize("check, file, old, new", TWINS, ids=lambda value: getattr(value, "__name__", None))
def test_each_check_catches_a_page_with_its_bug(opened, pages, monkeypatch, tmp_path, check, file, old, new):
    if file is None:
        path = pages / "spirals.html"
    else:
        path = patched_article(monkeypatch, tmp_path, file, old, new)
    with pytest.raises(AssertionError):
        check(opened(path))


def distinct_colours(page):
    return page.page.evaluate("""() => {
        const canvas = document.getElementById('boundary');
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        const seen = new Set();
        for (let i = 0; i < data.length; i += 4) seen.add(data[i] + ',' + data[i + 1] + ',' + data[i + 2] + ',' + data[i + 3]);
        return seen.size;
    }""")


def test_the_decision_boundary_is_drawn_and_follows_the_step(opened, pages):
    page = opened(pages / "spirals.html")
    assert page.page.is_visible("#boundary") and distinct_colours(page) > 50
    first = page.page.eval_on_selector("#boundary", "canvas => canvas.toDataURL()")
    page.set_entry(len(page.run["steps"]) - 1)
    assert page.page.eval_on_selector("#boundary", "canvas => canvas.toDataURL()") != first
    assert page.page.locator("#maps canvas").count() == 16


def test_the_boundary_check_catches_a_blank_canvas(opened, pages):
    page = opened(pages / "spirals.html")
    page.page.eval_on_selector("#boundary", "canvas => canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height)")
    assert distinct_colours(page) == 1


def probe_ran(page):
    """Whether any of the model's text ran, became markup, or broke the page's own script."""
    return page.page.evaluate("""() => window.pwned !== undefined || window.tinygraphRun === undefined
        || document.querySelectorAll('img, iframe, object, embed').length > 0 || document.scripts.length !== 2
        || [...document.scripts].some(script => script.id !== 'tinygraph-run' && script.text.includes('pwned'))""")


def test_the_xss_probe_is_shown_and_runs_nothing(opened, pages):
    page = opened(pages / "hostile.html")
    use(page)
    assert not probe_ran(page) and page.errors == []
    assert PROBES[1] in page.page.text_content("#model") and PROBES[2] in page.page.text_content("#model")
    labels = page.page.eval_on_selector_all("#network title", "titles => titles.map(t => t.textContent)")
    assert any(PROBES[0] in label for label in labels)


@pytest.mark.parametrize("policy", ["kept", "lax"])
def test_the_xss_check_catches_a_page_that_pastes_model_text(opened, monkeypatch, tmp_path, policy):
    monkeypatch.setattr(page_module, "script_json", lambda data: page_module.json.dumps(data, ensure_ascii=False))
    if policy == "lax":  # without the page's Content-Security-Policy the pasted script does run
        monkeypatch.setattr(page_module, "sha256", lambda text: "'unsafe-inline'")
    hostile_page(tmp_path / "twin.html")
    page = opened(tmp_path / "twin.html")
    assert probe_ran(page)
    if policy == "lax":
        assert page.page.evaluate("window.pwned") == "script"


def test_screenshots_at_two_steps_differ(opened, pages):
    page = opened(pages / "spirals.html")
    first = page.page.screenshot(full_page=True)
    assert page.page.screenshot(full_page=True) == first  # the same step looks the same: the check can fail
    page.set_entry(len(page.run["steps"]) - 1)
    assert page.page.screenshot(full_page=True) != first


def test_the_docs_screenshots_script_writes_its_pictures(browser, tmp_path):
    script = ROOT / "docs" / "screenshots.py"  # in its own process: one Playwright per thread
    result = subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    names = ["explain-article.png", "explain-spirals.png", "explain-spirals-step-20.png"]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(names)
    assert all((tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in names)
    assert (tmp_path / "explain-spirals.png").read_bytes() != (tmp_path / "explain-article.png").read_bytes()
