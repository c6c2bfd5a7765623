"""The package's shape, as docs/architecture.md draws it: small files, imports that flow one way, no circle.

Every import of a tinygraph module by another is read from the source (including imports inside
functions), and the graph they make must have no cycle and respect the levels below: a module may
import only modules of a lower level.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tinygraph"
MAX_LINES = 300

# lowest first; a module may import modules of strictly lower levels (and `__init__` files are the front door)
LEVELS = [
    ["parameter", "init"],
    ["checks", "text", "layers.patches"],
    ["calls"],
    ["watch"],
    ["layer"],
    ["layers.dense", "layers.activations", "layers.dropout", "layers.shape", "losses", "optim", "datasets",
     "layers.conv", "layers.pooling", "layers.norm", "layers.embedding"],
    ["layers", "containers", "metrics", "callbacks", "progress", "io_layers"],
    ["training", "io", "inspect.trace", "inspect.gradcheck", "plot", "models"],
    ["article", "testing.check", "testing.strategies"],
    ["testing.images"],
    ["testing"],
    ["inspect.selfcheck"],
    ["cli"],
]


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        yield ("" if name == "__init__" else name.removesuffix(".__init__")), path


def imports(name, path):
    """The tinygraph modules `name` imports, anywhere in its source."""
    package = name.split(".")[:-1] if not path.name == "__init__.py" else name.split(".")
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = ".".join([*base, node.module] if node.module else base)
            names = [f"{target}.{alias.name}" if target else alias.name for alias in node.names]
            found |= {n for n in names if n in dict(modules())} or ({target} if target else set())
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tinygraph"):
            found.add(node.module.removeprefix("tinygraph").lstrip("."))
    return {module for module in found if module and module != name}


@pytest.mark.parametrize("name, path", list(modules()), ids=lambda value: str(value))
def test_every_file_reads_in_one_sitting(name, path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES, f"{name} is longer than {MAX_LINES} lines"


def level_of(name):
    for level, names in enumerate(LEVELS):
        if name in names:
            return level
    return None


def upward(graph):
    """The imports of `graph` (`{module: imported modules}`) that go to the same or a higher level."""
    return [(a, b) for a, targets in graph.items() for b in targets
            if level_of(a) is not None and level_of(b) is not None and level_of(b) >= level_of(a)]


def test_imports_flow_one_way_without_a_circle():
    graph = {name: imports(name, path) for name, path in modules()}
    unplaced = sorted(name for name in graph if level_of(name) is None and name not in ("", "__main__", "inspect"))
    assert not unplaced, f"modules missing from LEVELS (and from docs/architecture.md): {unplaced}"
    assert not upward(graph), f"imports that do not flow down: {upward(graph)}"
    assert "layer" in graph["containers"] and "calls" in graph["layer"]  # the reader does see the imports


def test_the_check_sees_a_circle():
    graph = {name: imports(name, path) for name, path in modules()}
    graph["layers.dense"] = graph["layers.dense"] | {"training"}  # as core.py once imported summary
    assert upward(graph) == [("layers.dense", "training")]
