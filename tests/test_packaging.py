"""`pip install .` ships every sub-package of tinygraph (a wheel that left out `tinygraph.losses` once
imported fine in a checkout and failed everywhere else)."""

import fnmatch
import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def shipped(setuptools, names):
    """Which of the package `names` the `[tool.setuptools]` table of pyproject.toml puts in the wheel."""
    packages = setuptools["packages"]
    if isinstance(packages, list):  # an explicit list
        return {name for name in names if name in packages}
    patterns = packages["find"].get("include", ["*"])  # [tool.setuptools.packages.find]
    return {name for name in names if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)}


def subpackages():
    return {".".join(path.parent.relative_to(ROOT).parts) for path in (ROOT / "tinygraph").rglob("__init__.py")}


def setuptools_table():
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["tool"]["setuptools"]


def test_every_sub_package_is_in_the_wheel():
    names = subpackages()
    assert {"tinygraph", "tinygraph.losses", "tinygraph.onnx"} <= names
    assert shipped(setuptools_table(), names) == names


def test_a_list_that_leaves_a_sub_package_out_is_caught():
    names = subpackages()
    twin = {"packages": sorted(names - {"tinygraph.losses"})}  # version 2's list before it was fixed
    assert shipped(twin, names) != names
