import io
import subprocess
import sys

import numpy as np
import pytest

import tinygraph as tg
from tinygraph.cli import main


def demo_output(*args):
    out = io.StringIO()
    assert main(["demo", *args], out=out) == 0
    return out.getvalue().splitlines()


def test_demo_prints_the_loss_of_every_iteration_and_the_predictions():
    lines = demo_output()
    assert "Sequential(Dense(3→4, bias=False) >> Sigmoid >> Dense(4→1, bias=False) >> Sigmoid)" in lines[0]
    start = lines.index("iteration  loss") + 1
    rows = [line.split() for line in lines[start : start + 50]]
    assert [int(r[0]) for r in rows] == list(range(1, 51))
    _, losses = tg.train_article(50, seed=1)
    assert [float(r[1]) for r in rows] == [round(value, 6) for value in losses]
    assert lines[start + 50] == "" and lines[start + 51].split() == ["x", "target", "prediction"]
    net, _ = tg.train_article(50, seed=1)
    X, y = tg.datasets.article()
    predictions = [float(line.split()[-1]) for line in lines[start + 52 :]]
    np.testing.assert_allclose(predictions, net(X)[:, 0], atol=5e-5)
    assert [float(line.split()[-2]) for line in lines[start + 52 :]] == list(y[:, 0])


def test_demo_iterations_and_seed_options():
    lines = demo_output("--iterations", "3", "--seed", "5")
    assert "seed 5" in lines[1]
    start = lines.index("iteration  loss") + 1
    _, losses = tg.train_article(3, seed=5)
    assert [line.split() for line in lines[start : start + 4]] == [
        ["1", f"{losses[0]:.6f}"], ["2", f"{losses[1]:.6f}"], ["3", f"{losses[2]:.6f}"], []
    ]


@pytest.mark.parametrize("bad", [["--iterations", "0"], ["--iterations", "many"], ["nonsense"], []])
def test_bad_arguments_exit_2_with_a_message(bad, capsys):
    with pytest.raises(SystemExit) as info:
        main(bad if bad[:1] == ["nonsense"] or not bad else ["demo", *bad])
    assert info.value.code == 2
    assert "usage: tinygraph" in capsys.readouterr().err


def test_python_dash_m_tinygraph_runs_the_demo():
    result = subprocess.run(
        [sys.executable, "-m", "tinygraph", "demo", "--iterations", "2"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "iteration  loss" in result.stdout


def test_the_tinygraph_command_is_declared():
    from importlib.metadata import entry_points

    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts.get("tinygraph") == "tinygraph.cli:main"
