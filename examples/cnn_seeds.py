"""Train `tinygraph train digits --model cnn` with its defaults for seeds 0-4 and print each test accuracy.

    python examples/cnn_seeds.py          (needs scikit-learn for the digits: pip install ".[examples]")

docs/cnn.md records what this printed. Each run takes a few seconds; the suite runs seed 0 only
(tests/test_cli.py).
"""

import io
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
from tinygraph.cli import main  # noqa: E402

for seed in range(5):
    out = io.StringIO()
    main(["train", "digits", "--model", "cnn", "--seed", str(seed)], out=out)
    print(f"seed {seed}: {re.search(r'test accuracy: .*', out.getvalue()).group()}", flush=True)
