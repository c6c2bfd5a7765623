"""`python -m tinygraph ...` is the `tinygraph` command."""

from .cli import main

raise SystemExit(main())
