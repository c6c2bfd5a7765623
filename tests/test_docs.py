"""Docs are code: every ```python block in README.md and docs/*.md runs here, in order, per file.

A block with `>>>` prompts is a doctest (its printed output is checked); any other block is executed.
Blocks of one file share their names, like cells of a notebook. Each file runs in a temporary folder.
A page that needs an optional package (NEEDS) runs where it is installed; so does a block whose first
line is `# needs: torch` (PyTorch is never installed by the test extra).
"""

import doctest
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
NEEDS = {"outgrow.md": ["onnx", "onnxruntime"]}  # the onnx extra, which the test extra holds


def installed(source):
    """False if `source` starts with `# needs: a, b` and one of those packages cannot be imported."""
    first = source.split("\n", 1)[0]
    if not first.startswith("# needs:"):
        return True
    return all(importlib.util.find_spec(name.strip()) for name in first.removeprefix("# needs:").split(","))


def python_blocks(path):
    text = path.read_text(encoding="utf-8")
    for match in BLOCK.finditer(text):
        yield text.count("\n", 0, match.start()) + 2, match.group(1)


def test_every_markdown_file_has_python_to_run():
    assert all(list(python_blocks(path)) for path in FILES), "a doc page without a runnable example"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_code_blocks_run(path, tmp_path, monkeypatch):
    for package in NEEDS.get(path.name, []):
        pytest.importorskip(package, reason=f"{path.name} needs {package}: pip install 'tinygraph[onnx]'")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__doc__"}
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    for line, source in python_blocks(path):
        where = f"{path.name}:{line}"
        if not installed(source):
            continue
        if ">>>" in source:
            test = doctest.DocTestParser().get_doctest(source, namespace, where, str(path), line - 1)
            report = []
            runner = doctest.DocTestRunner(optionflags=flags)
            runner.run(test, out=report.append, clear_globs=False)
            namespace.update(test.globs)  # DocTest works on a copy of the names
            assert runner.failures == 0, f"doctest failed in {where}:\n" + "".join(report)
        else:
            exec(compile("\n" * (line - 1) + source, str(path), "exec"), namespace)  # tracebacks give file lines
