"""The screenshots of docs/explain.md, taken by headless Chromium: `python docs/screenshots.py [--out DIR]`.

Needs Debian's browser (`apt-get install -y chromium`) and Playwright (`pip install playwright`, in the
`test` extra; Playwright's own browser download is not used). The pages are opened from disk with every
request blocked, as the test suite opens them.
"""

import argparse
import contextlib
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def browser(profile, width=1280, height=1000):
    """A headless Chromium with a fresh profile in the folder `profile`, that makes no request but to files."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS, viewport={"width": width, "height": height})
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        try:
            yield context
        finally:
            context.close()


def show_entry(page, k):
    """Move the page's step slider to recorded entry `k`, as dragging it would."""
    page.eval_on_selector("#step", "(slider, k) => { slider.value = k; slider.dispatchEvent(new Event('input')); }", k)


def main(argv=None):
    from tinygraph.cli import main as tinygraph

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "images"), help="folder of the PNG files")
    out = Path(parser.parse_args(argv).out)
    with tempfile.TemporaryDirectory() as work, browser(Path(work) / "profile") as context:
        article, spirals = Path(work) / "article.html", Path(work) / "spirals.html"
        tinygraph(["explain", "demo", "--out", str(article)])
        tinygraph(["explain", "spirals", "--out", str(spirals)])

        page = context.new_page()
        page.goto(article.as_uri())
        show_entry(page, 40)  # step 200: the loss is falling fastest
        page.hover("#network line.weight[data-param='0.weight'] >> nth=9", force=True)
        page.screenshot(path=str(out / "explain-article.png"), full_page=True)

        page.goto(spirals.as_uri())
        show_entry(page, 100)  # the last step
        page.click("#network circle.neuron[data-column='1'] >> nth=3")
        page.screenshot(path=str(out / "explain-spirals.png"), full_page=True)
        show_entry(page, 5)
        page.locator("#plane-panel").screenshot(path=str(out / "explain-spirals-step-20.png"))
    print(f"wrote explain-article.png, explain-spirals.png and explain-spirals-step-20.png in {out}")


if __name__ == "__main__":
    main()
