"""`tinygraph export MODEL.npz OUT.onnx` and `tinygraph import IN.onnx MODEL.npz`, and what happens without onnx.

Each ends in one line and an exit code, never a traceback; the broken twins at the end are caught.
"""

import sys

import numpy as np
import pytest

from onnx_oracle import assert_close, run_file
from test_cli_errors import one_error_line, run

import tinygraph as tg
from tinygraph import cli_onnx
from tinygraph.models import digits_cnn

X = np.random.default_rng(0).standard_normal((5, 1, 8, 8))


@pytest.fixture
def saved_cnn(tmp_path):
    model = digits_cnn(10, 0)
    tg.save(model, tmp_path / "cnn.npz")
    return model, tmp_path / "cnn.npz"


def test_export_then_import_on_the_command_line_keeps_the_numbers(tmp_path, saved_cnn):
    model, path = saved_cnn
    code, out = run("export", str(path), str(tmp_path / "cnn.onnx"), "--input-shape", "1,8,8")
    assert (code, out) == (0, f"wrote {tmp_path / 'cnn.onnx'}: a Sequential of 10 layers and 6,186 parameters\n")
    assert_close(run_file(tmp_path / "cnn.onnx", X), (model.predict(X),))
    assert run("import", str(tmp_path / "cnn.onnx"), str(tmp_path / "back.npz"))[0] == 0
    assert_close((tg.load(tmp_path / "back.npz").predict(X),), (model.predict(X),))


def test_a_model_whose_input_shape_cannot_be_told_asks_for_input_shape(tmp_path, capsys, saved_cnn):
    assert run("export", str(saved_cnn[1]), str(tmp_path / "cnn.onnx")) == (2, "")
    assert one_error_line(capsys) == (f"tinygraph: error: export: cannot tell the input shape of the Sequential in {saved_cnn[1]}; "
                                      "give one sample's shape: --input-shape 1,28,28 (once per input for several)")
    assert not (tmp_path / "cnn.onnx").exists()


@pytest.mark.parametrize("argv, line", [
    (["import", "MODEL", "OUT"], "tinygraph: error: import_onnx: MODEL is not a readable ONNX model: it is not an ONNX model"),
    (["import", "MISSING", "OUT"], "tinygraph: error: [Errno 2] No such file or directory: 'MISSING'"),
    (["export", "MODEL", "OUT", "--opset", "3"], "tinygraph: error: export_onnx: opset 3 is not one tinygraph writes (17 to 25)"),
    (["export", "MODEL", "DIR"], "tinygraph: error: OUT.onnx: cannot write DIR: it is a directory"),
    (["export", "MODEL", "OUT", "--input-shape", "1,x"], "tinygraph export: error: argument --input-shape: expected comma-separated"),
])
def test_errors_end_in_one_line_naming_what_is_wrong(tmp_path, capsys, saved_cnn, argv, line):
    paths = {"MODEL": str(saved_cnn[1]), "OUT": str(tmp_path / "out.onnx"), "MISSING": str(tmp_path / "missing.onnx"), "DIR": str(tmp_path)}
    code, _ = run(*(paths.get(part, part) for part in argv))
    for name, path in paths.items():
        line = line.replace(name, path) if name != "OUT" else line
    assert code in (1, 2) and one_error_line(capsys).startswith(line)


def test_without_onnx_both_directions_say_what_to_install(tmp_path, capsys, monkeypatch, saved_cnn):
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` now fails as if it were not installed
    with pytest.raises(ModuleNotFoundError, match=r"^export_onnx needs onnx: pip install 'tinygraph\[onnx\]'$"):
        tg.export_onnx(saved_cnn[0], tmp_path / "x.onnx", input_shape=(1, 8, 8))
    assert run("import", str(saved_cnn[1]), str(tmp_path / "x.npz")) == (1, "")
    assert one_error_line(capsys) == "tinygraph: error: import_onnx needs onnx: pip install 'tinygraph[onnx]'"
    assert not (tmp_path / "x.onnx").exists() and not (tmp_path / "x.npz").exists()


# -- broken twins ------------------------------------------------------------------------------------------------

def test_the_checks_catch_a_command_that_saves_what_it_did_not_read(tmp_path, monkeypatch, saved_cnn):
    monkeypatch.setattr(cli_onnx, "import_onnx", lambda path: digits_cnn(10, 1))  # a fresh model, not the file's
    with pytest.raises(AssertionError):
        test_export_then_import_on_the_command_line_keeps_the_numbers(tmp_path, saved_cnn)


def test_the_checks_catch_an_export_that_ignores_input_shape(tmp_path, capsys, monkeypatch, saved_cnn):
    def forgetful(model, path, input_shape=None, **settings):
        return tg.export_onnx(model, path, **settings)

    monkeypatch.setattr(cli_onnx, "export_onnx", forgetful)
    with pytest.raises(AssertionError):
        test_export_then_import_on_the_command_line_keeps_the_numbers(tmp_path, saved_cnn)
