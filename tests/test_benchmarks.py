"""The benchmarks are not timed tests: the suite only checks that a quick run works end to end."""

import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_quick_benchmark_runs_and_prints_every_ratio():
    result = subprocess.run([sys.executable, str(RUN), "--quick"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("machine: ")
    assert any(line.startswith("article 3-4-1 step") and line.rstrip().endswith("x") for line in lines)
