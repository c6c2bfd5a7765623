"""The version of tinygraph: the one place it is written (the package, pyproject.toml and `tinygraph --version` read it)."""

__version__ = "0.2.0"
