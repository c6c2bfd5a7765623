"""The explain page as a file: safe to open, self-contained, small, written atomically, shipped by pip.

(What the page records is tested in test_explain.py, the page in a browser in test_explain_browser.py.)
"""

import importlib
import io
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from explain_pages import PROBES, article_page, hostile_page, run_of
from tinygraph.cli import main

page_module = importlib.import_module("tinygraph.explain.page")  # `tinygraph.explain` is also the function


def test_the_article_page_is_under_a_megabyte_and_spirals_over_200_steps_under_5(tmp_path):
    article_page(tmp_path / "article.html")
    assert os.path.getsize(tmp_path / "article.html") < 1_000_000
    assert main(["explain", "spirals", "--steps", "200", "--every", "1", "--out", str(tmp_path / "spirals.html")],
                out=io.StringIO()) == 0
    run = run_of(tmp_path / "spirals.html")
    assert len(run["steps"]) == 201 and all(entry["boundary"] and len(entry["maps"]) == 16 for entry in run["steps"])
    assert os.path.getsize(tmp_path / "spirals.html") < 5_000_000


def markup(text):
    """How many elements of each tag a page's HTML has outside its script and style elements."""
    text = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", "", text, flags=re.DOTALL)
    return Counter(tag.lower() for tag in re.findall(r"<([a-zA-Z][\w-]*)", text))


def safety_problems(text, probes):
    """What is wrong with a page's HTML: markup other than the template's, or a probe not kept as text."""
    problems = []
    if markup(text) != markup(page_module.source("template.html")):
        problems.append(f"the markup is not the template's: {markup(text) - markup(page_module.source('template.html'))}")
    if text.count("<script") != 2 or text.count("</script") != 2:
        problems.append("a script element was added or closed early")
    try:
        run = page_module.json.loads(text.split('id="tinygraph-run">', 1)[1].split("</script>", 1)[0])
    except ValueError as error:
        return problems + [f"the recorded run cannot be read: {error}"]
    shown = repr(run) + run["model"]
    problems += [f"probe {p!r} not kept as text" for p in probes if p not in shown]
    return problems


def test_model_text_is_escaped_and_kept_as_text(tmp_path):
    net = hostile_page(tmp_path / "probe.html")
    text = (tmp_path / "probe.html").read_text(encoding="utf-8")
    assert safety_problems(text, PROBES) == []
    assert repr(net) in run_of(tmp_path / "probe.html")["model"]
    title = re.search(r"<title>(.*?)</title>", text, re.DOTALL).group(1)
    assert "<" not in title and "&lt;img src=x onerror=" in title


def test_the_safety_check_catches_a_page_that_pastes_model_text(tmp_path, monkeypatch):
    monkeypatch.setattr(page_module, "script_json", lambda data: page_module.json.dumps(data, ensure_ascii=False))
    hostile_page(tmp_path / "twin.html")
    assert safety_problems((tmp_path / "twin.html").read_text(encoding="utf-8"), PROBES)


def test_the_page_is_self_contained(tmp_path):
    article_page(tmp_path / "run.html", steps=2)
    text = (tmp_path / "run.html").read_text(encoding="utf-8")
    assert not re.search(r"\bsrc\s*=", text) and re.findall(r'\bhref="([^"]*)"', text) == ["data:,"]
    assert set(re.findall(r"https?://[^\s\"')]+", text)) == {"http://www.w3.org/2000/svg"}  # a namespace, not a request
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', text).group(1)
    assert policy.startswith("default-src &#x27;none&#x27;; script-src &#x27;sha256-")
    for name in ["template.html", "style.css", *page_module.SCRIPTS]:
        assert len(page_module.source(name).splitlines()) <= 300, name


def test_a_failed_write_leaves_the_old_page(tmp_path, monkeypatch):
    article_page(tmp_path / "run.html", steps=1)
    old = (tmp_path / "run.html").read_bytes()

    def broken_build(run):
        raise OSError("disk full")

    monkeypatch.setattr(page_module, "build", broken_build)
    with pytest.raises(OSError, match="disk full"):
        article_page(tmp_path / "run.html", steps=2)
    assert (tmp_path / "run.html").read_bytes() == old and os.listdir(tmp_path) == ["run.html"]


def test_pip_install_ships_the_pages_files(tmp_path):
    """The page is built from data files at run time: the package's build must carry every one of them.

    Built from a clean copy of the sources, so that no metadata left by an earlier install decides."""
    pytest.importorskip("setuptools", reason="building the package needs setuptools: pip install setuptools")
    root, source = Path(__file__).resolve().parent.parent, tmp_path / "source"
    shutil.copytree(root / "tinygraph", source / "tinygraph", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, source / name)
    result = subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py",
                             "--build-lib", str(tmp_path / "build")], cwd=source, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    needed = {"template.html", "style.css", *page_module.SCRIPTS}
    shipped = {path.name for path in (tmp_path / "build" / "tinygraph" / "explain").iterdir()}
    assert needed <= shipped, needed - shipped
    assert "Package would be ignored" not in result.stderr  # every shipped file is in a listed package


def test_the_screenshot_script_shown_in_the_docs_is_the_one_committed():
    root = Path(__file__).resolve().parent.parent
    page = (root / "docs" / "explain.md").read_text(encoding="utf-8")
    assert "```python\n" + (root / "docs" / "screenshots.py").read_text(encoding="utf-8") + "```" in page
