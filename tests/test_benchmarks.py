"""The benchmarks are not timed tests: the suite only checks that a quick run works end to end."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_quick_benchmark_runs_and_prints_every_ratio():
    pytest.importorskip("sklearn", reason="the benchmark compares with scikit-learn: pip install 'tinygraph[bench]'")
    result = subprocess.run([sys.executable, str(RUN), "--quick"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("machine: ") and "threads per side" in lines[0]
    ratios = re.findall(r"\d+\.\d\dx", result.stdout)
    text = result.stdout
    for workload in ["article 3-4-1 step", "MLP 784-512-512-10 step", "digits 64-128-10"]:
        assert workload in text, workload
    for side in ["hand-written NumPy", "8 matrix products", "tinygraph fit", "scikit-learn MLPClassifier"]:
        assert side in text, side
    assert sum(1 for line in lines if line.startswith("memory, ")) == 3
    for workload in ["Conv2D 3x3 16->32", "3 matrix products", "digits CNN, one epoch", "memory, Conv2D step"]:
        assert workload in text, workload
    assert len(ratios) >= 7, ratios  # article 2, MLP 3, digits 2, without PyTorch
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        assert "serving: skipped, onnxruntime is not installed (pip install 'tinygraph[onnx]')" in text
    else:
        for workload in ["serving MLP, batch 256, f32", "serving MLP, one sample, f32", "digits CNN: export_onnx "]:
            assert workload in text, workload
