"""The command line never shows a traceback: one line `tinygraph: error: ...`, exit 2 (usage), 1 (failure), 130 (Ctrl-C).

What can be checked before training is: the output of a refused run is empty.
"""

import io
import os
import signal
import subprocess
import sys

import pytest

from tinygraph import cli, cli_demo
from tinygraph.cli import main


def run(*argv):
    """`(exit code, standard output)` of `tinygraph argv...`, run here; a usage error's SystemExit becomes its code."""
    out = io.StringIO()
    try:
        code = main(list(argv), out=out)
    except SystemExit as exit:
        code = exit.code
    return code, out.getvalue()


def one_error_line(capsys):
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.endswith("\n"), err
    lines = err.splitlines()
    assert lines[-1].startswith(("tinygraph: error: ", "tinygraph train: error: ", "tinygraph demo: error: ",
                                 "tinygraph export: error: ", "tinygraph import: error: ")), err
    return lines[-1]


@pytest.mark.parametrize("argv, message", [
    (["train", "moons", "--seed", "-1"], "tinygraph train: error: argument --seed: must be an int >= 0, got -1"),
    (["demo", "--seed", "-1"], "tinygraph demo: error: argument --seed: must be an int >= 0, got -1"),
])
def test_a_negative_seed_is_a_usage_error(capsys, argv, message):
    assert run(*argv) == (2, "")
    assert one_error_line(capsys) == message


def test_a_model_too_large_for_the_machine_is_refused_before_it_is_built(capsys):
    assert run("train", "xor", "--hidden", "1000000,1000000") == (2, "")
    line = one_error_line(capsys)
    assert line.startswith("tinygraph: error: --hidden: a model of 1,000,006,000,002 parameters needs about 32 TB of "
                           "memory, more than this machine's "), line


def test_training_that_diverges_ends_in_one_line(capsys):
    code, out = run("train", "xor", "--lr", "1e300", "--epochs", "2")
    assert code == 1 and out.startswith("xor: 320 training")
    line = one_error_line(capsys)
    assert line.startswith("tinygraph: error: fit: ") and "at epoch 1, step" in line, line


@pytest.mark.parametrize("option", ["--save", "--plot"])
def test_an_output_path_that_is_a_directory_is_refused_before_training(capsys, tmp_path, option):
    assert run("train", "xor", option, str(tmp_path)) == (1, "")
    assert one_error_line(capsys) == f"tinygraph: error: {option}: cannot write {tmp_path}: it is a directory"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_an_output_path_where_no_file_can_be_made_is_refused_before_training(capsys):
    assert run("train", "xor", "--save", "/proc/m.npz") == (1, "")
    assert one_error_line(capsys).startswith("tinygraph: error: --save: cannot write /proc/m.npz: ")


def test_demo_checks_its_plot_path_before_training(capsys, tmp_path):
    assert run("demo", "--plot", str(tmp_path / "missing" / "x.png")) == (1, "")
    assert one_error_line(capsys).startswith(f"tinygraph: error: --plot: cannot write {tmp_path / 'missing' / 'x.png'}: "
                                             "the directory")


@pytest.mark.parametrize("error, code, line", [
    (RuntimeError("boom"), 1, "tinygraph: error: RuntimeError: boom"),
    (MemoryError("Unable to allocate 8 TiB"), 1, "tinygraph: error: out of memory: Unable to allocate 8 TiB"),
    (OSError(28, "No space left on device"), 1, "tinygraph: error: [Errno 28] No space left on device"),
    (ValueError("two\nlines"), 1, "tinygraph: error: two lines"),
    (KeyboardInterrupt(), 130, "tinygraph: error: interrupted"),
])
def test_whatever_a_command_raises_ends_in_one_line_and_its_exit_code(capsys, monkeypatch, error, code, line):
    def fails(*args, **kwargs):
        raise error

    monkeypatch.setattr(cli_demo, "train_article", fails)
    assert run("demo") == (code, "")
    assert one_error_line(capsys) == line
    assert capsys.readouterr().err == ""


def test_tinygraph_debug_shows_the_traceback(monkeypatch):
    def fails(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_demo, "train_article", fails)
    monkeypatch.setenv("TINYGRAPH_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main(["demo"], out=io.StringIO())


def command(*argv, **popen):
    return subprocess.Popen([sys.executable, "-u", "-m", "tinygraph", *argv], stderr=subprocess.PIPE, text=True, **popen)


def test_ctrl_c_ends_in_one_line_and_exit_130():
    process = command("train", "spirals", "--epochs", "100000", stdout=subprocess.PIPE)
    process.stdout.readline()  # training has begun
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and err == "tinygraph: error: interrupted\n"


def test_a_reader_that_goes_away_ends_the_command_quietly():
    process = command("demo", stdout=subprocess.PIPE)
    process.stdout.close()  # as `tinygraph demo | head -0` does, before anything is written
    with process.stderr:
        err = process.stderr.read()
    assert process.wait(timeout=60) == 1 and err == ""
