import contextlib
import io
import re
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
    assert lines[start + 50].startswith("the loss fell 1.7% in 50 iterations, from 0.506501 to ")
    assert lines[start + 51] == "" and lines[start + 52].split() == ["x", "target", "prediction"]
    net, _ = tg.train_article(50, seed=1)
    X, y = tg.datasets.article()
    predictions = [float(line.split()[-1]) for line in lines[start + 53 : start + 57]]
    np.testing.assert_allclose(predictions, net(X)[:, 0], atol=5e-5)
    assert [float(line.split()[-2]) for line in lines[start + 53 : start + 57]] == list(y[:, 0])
    assert lines[start + 57].startswith("not learned yet: the predictions are still about 0.5 for every target")


def test_demo_iterations_and_seed_options():
    lines = demo_output("--iterations", "3", "--seed", "5")
    assert "seed 5" in lines[1]
    start = lines.index("iteration  loss") + 1
    _, losses = tg.train_article(3, seed=5)
    assert [line.split() for line in lines[start : start + 3]] == [
        ["1", f"{losses[0]:.6f}"], ["2", f"{losses[1]:.6f}"], ["3", f"{losses[2]:.6f}"]
    ]
    assert lines[start + 3] == f"the loss fell 11.5% in 3 iterations, from {losses[0]:.6f} to {losses[2]:.6f}"


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


def train_output(*args):
    out = io.StringIO()
    code = main(["train", *args], out=out)
    return code, out.getvalue().splitlines()


def test_train_digits_with_defaults_reaches_97_percent():
    code, lines = train_output("digits")
    assert code == 0
    assert lines[0] == "digits: 1438 training and 359 test samples of 64 features"
    assert lines[1].startswith("model: Sequential(Dense(64→128) >> ReLU >> Dense(128→10))")
    epochs = [line for line in lines if line.startswith("epoch")]
    assert len(epochs) == 50 and epochs[-1].split()[1] == "50/50"
    accuracy = float(lines[-1].split()[2].rstrip("%"))
    assert lines[-1].startswith("test accuracy:") and accuracy >= 97.0


def test_train_saves_a_model_that_loads_and_plots_curves_and_boundary(tmp_path):
    code, lines = train_output("spirals", "--epochs", "3", "--hidden", "8", "--dropout", "0.1",
                               "--save", str(tmp_path / "m.npz"), "--plot", str(tmp_path / "run.png"))
    assert code == 0
    model = tg.load(tmp_path / "m.npz")
    assert repr(model) == "Sequential(Dense(2→8) >> ReLU >> Dropout(p=0.1) >> Dense(8→2))"
    assert (tmp_path / "run.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert lines[-2:] == [f"saved the model to {tmp_path / 'm.npz'}", f"wrote {tmp_path / 'run.png'}"]


def without_durations(output):
    """`train_output` with each epoch's duration (`  0.01s `) taken out: the one part a seed does not fix."""
    code, lines = output
    return code, [re.sub(r" +\d+\.\d\ds ", " ", line) for line in lines]


def test_train_is_reproducible_for_a_seed():
    first = without_durations(train_output("xor", "--epochs", "3", "--seed", "4"))
    assert first == without_durations(train_output("xor", "--epochs", "3", "--seed", "4"))
    assert first != without_durations(train_output("xor", "--epochs", "3", "--seed", "5"))  # it can fail
    assert all("s  loss" not in line for line in first[1])  # the durations are gone, the losses are not


@pytest.mark.parametrize("package, args, message", [
    ("matplotlib", ["xor", "--plot", "x.png"], "--plot needs matplotlib: pip install 'tinygraph[plot]'"),
    ("sklearn", ["digits"], "needs scikit-learn: pip install 'tinygraph[examples]'"),
])
def test_a_missing_optional_package_is_named_with_what_to_install(monkeypatch, capsys, package, args, message):
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, package, None)  # "import package" now fails as if not installed
    code, _ = train_output(*args)
    assert code == 1 and message in capsys.readouterr().err


@pytest.mark.parametrize("bad", [["--hidden", "0"], ["--hidden", "a,b"], ["--lr", "0"], ["--lr", "inf"],
                                 ["--momentum", "-1"], ["--dropout", "1"], ["--batch-size", "0"]])
def test_train_refuses_bad_options(bad, capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "xor", *bad])
    assert info.value.code == 2 and "usage: tinygraph train" in capsys.readouterr().err


def test_gradcheck_command_checks_every_built_in_layer_and_loss():
    out = io.StringIO()
    assert main(["gradcheck"], out=out) == 0
    lines = out.getvalue().splitlines()
    labels = []  # a long label goes on in the next line, indented
    for line in lines[1 : lines.index("")]:
        labels[-1:] = [labels[-1] + " " + line.strip()] if line.startswith("  ") else labels[-1:] + [line.split("  ")[0]]
    checked = " ".join(labels)
    for name in ["Dense", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "Dropout", "Identity", "Sequential",
                 "Residual", "Parallel", "MSE", "SumSquaredError", "BinaryCrossEntropy", "SoftmaxCrossEntropy",
                 "article's 3-4-1 network", "used twice", "Graph", "L1", "Huber", "BCEWithLogits(weight, pos_weight)",
                 "reduction='none'", "reduction='sum'", "ignore_index=-100, label_smoothing=0.1) on (N, K, d)"]:
        assert name in checked, name
    for name in ["Conv2D", "Conv1D", "MaxPool2D", "AvgPool2D", "MaxPool1D", "AvgPool1D", "Flatten", "Reshape", "Permute",
                 "BatchNorm", "eval mode", "LayerNorm", "GELU", "ELU", "SiLU", "Softplus", "a small CNN"]:  # images, ...
        assert name in checked, name
    assert lines[-1].startswith("51 of 51 passed")


def test_gradcheck_command_exits_1_and_prints_the_table_when_a_check_fails(monkeypatch):
    import twins
    from tinygraph import cli

    cases = cli.builtin_cases()[:2] + [("a broken sigmoid", twins.WrongFactorSigmoid(), np.ones((2, 2)), None)]
    monkeypatch.setattr(cli, "builtin_cases", lambda: cases)
    out = io.StringIO()
    assert main(["gradcheck"], out=out) == 1
    text = out.getvalue()
    assert "a broken sigmoid" in text and "FAILED" in text and "gradcheck WrongFactorSigmoid: FAILED" in text
    assert text.splitlines()[-1].startswith("2 of 3 passed")


def test_demo_trace_shows_every_blog_variable_equal_to_a_layer_value():
    lines = demo_output("--trace", "--iterations", "1")
    text = "\n".join(lines)
    for name in ["l1", "l2", "l2_delta", "l1_delta", "synapses_1 update", "synapses_0 update"]:
        assert f"\n{name} (the blog's formula) = " in text
    assert text.count(": equal") == 6 and "DIFFERENT" not in text
    assert "  3 Sigmoid" in text and "own |grad|" in text
    assert max(map(len, lines)) <= 100  # the table's header was 106 columns


def test_demo_plot_writes_the_loss_curve(tmp_path):
    lines = demo_output("--iterations", "5", "--plot", str(tmp_path / "loss.png"))
    assert lines[-1] == f"wrote {tmp_path / 'loss.png'}"
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("option", ["--save", "--plot"])
def test_train_refuses_a_missing_directory_before_training(tmp_path, capsys, option):
    code, lines = train_output("xor", option, str(tmp_path / "nowhere" / "out.png"))
    assert code == 1 and lines == []
    assert f"{option}: cannot write {tmp_path / 'nowhere' / 'out.png'}: the directory" in capsys.readouterr().err


# -- tinygraph train digits --model cnn ------------------------------------------------------------------


def test_train_digits_cnn_runs_on_the_images(tmp_path):
    out = io.StringIO()
    assert main(["train", "digits", "--model", "cnn", "--epochs", "1", "--save", str(tmp_path / "cnn.npz")], out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "digits: 1438 training and 359 test samples of shape (1, 8, 8)"
    assert lines[1] == "model: Sequential(" and lines[2:4] == ["  Conv2D(1→16, kernel_size=3, padding=1)", "  >> MaxPool2D(kernel_size=2)"]
    assert lines[-2].startswith("test accuracy: ")
    model = tg.load(tmp_path / "cnn.npz")
    assert model.predict(np.zeros((2, 1, 8, 8))).shape == (2, 10) and len(model.named_buffers()) == 4


@pytest.mark.parametrize("args, message", [
    (["spirals", "--model", "cnn"], "--model cnn needs images: only the digits dataset has them, not spirals"),
    (["digits", "--model", "cnn", "--hidden", "32"], "--hidden: options of --model mlp"),
    (["digits", "--model", "cnn", "--dropout", "0.1", "--activation", "tanh"], "--activation, --dropout: options of"),
])
def test_cnn_options_that_make_no_sense_are_usage_errors(args, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", *args], out=io.StringIO())
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_train_digits_cnn_with_its_defaults_reaches_98_5_percent():
    # seed 0, the default; examples/cnn_seeds.py trains seeds 0-4 and docs/cnn.md records them all
    out = io.StringIO()
    assert main(["train", "digits", "--model", "cnn"], out=out) == 0
    accuracy = float(out.getvalue().split("test accuracy: ")[1].split("%")[0])
    assert accuracy >= 98.5


# -- the newcomer's frictions (issue 14) -----------------------------------------------------------------


def shown(lines):
    start = lines.index("iteration  loss") + 1
    return [int(line.split()[0]) for line in lines[start : lines.index("", start)] if line[:1] == " "]


@pytest.mark.parametrize("args, iterations", [
    (["--iterations", "5000"], [1, *range(100, 5001, 100)]),          # about 50 lines by default
    (["--iterations", "99"], list(range(1, 100))),
    (["--iterations", "10", "--every", "4"], [1, 4, 8, 10]),           # the first and the last always
    (["--iterations", "3", "--every", "1"], [1, 2, 3]),
])
def test_demo_every_prints_every_nth_iteration(args, iterations):
    assert shown(demo_output(*args)) == iterations


def test_demo_says_whether_the_network_has_learned():
    """Not after 50 iterations (every prediction about 0.5), after 5000; the verdict follows the predictions."""
    from tinygraph.cli_demo import verdict

    assert demo_output()[-1] == "2 of 4 on the wrong side; train longer: tinygraph demo --iterations 5000"
    assert demo_output("--iterations", "5000")[-1].startswith("learned: every prediction is on its target's side")
    target = np.array([0.0, 1.0, 1.0, 0.0])
    assert verdict(target, np.array([0.1, 0.9, 0.8, 0.3])).startswith("learned")
    assert verdict(target, np.array([0.1, 0.9, 0.2, 0.3])).startswith("not learned yet: 1 of 4 predictions are on the wrong")
    assert "about 0.5" in verdict(target, np.array([0.51, 0.49, 0.5, 0.5]))


def every_line_of_every_command(tmp_path):
    commands = [["demo"], ["demo", "--iterations", "500", "--every", "7"], ["gradcheck"], ["train", "xor", "--epochs", "2"],
                ["train", "xor", "--epochs", "1", "--hidden", "64,64,64,64,64,64,64,64"],
                ["train", "digits", "--epochs", "1"], ["explain", "demo", "--steps", "2", "--out", str(tmp_path / "e.html")]]
    lines = []
    for argv in commands + [[*command[:1], "--help"] for command in commands] + [["--help"], ["--version"]]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            main(argv, out=out)
        lines += [(argv, line) for line in out.getvalue().splitlines()]
    return lines


def too_wide(lines):
    return [(argv, len(line), line) for argv, line in lines if len(line) > 100]


def test_every_line_the_command_prints_fits_in_100_columns(tmp_path, monkeypatch):
    """(Not `demo --trace`: its layer table is `tg.trace`'s, 106 columns, which the issue does not ask about.)"""
    monkeypatch.setenv("COLUMNS", "200")  # argparse wraps help to the terminal: a wide one must not widen it
    lines = every_line_of_every_command(tmp_path)
    assert len(lines) > 300 and not too_wide(lines)


def test_the_100_column_check_sees_the_gradcheck_table_without_its_wrapped_labels(tmp_path, monkeypatch):
    from tinygraph import cli

    monkeypatch.setattr(cli, "LABEL_WIDTH", 1000)  # the broken twin: labels as long as they come
    assert any(argv == ["gradcheck"] for argv, *_ in too_wide(every_line_of_every_command(tmp_path)))


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out == f"tinygraph {tg.__version__}\n"
