"""`tg.import_onnx` on files PyTorch 2.13's own exporters wrote (tests/reference/make_onnx_reference.py): the
imported model computes what PyTorch computed, and its gradients check. The broken twins at the end are caught.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from onnx_oracle import assert_close
from test_onnx_import import TWINS

import tinygraph as tg
from tinygraph.onnx import importer

HERE = Path(__file__).resolve().parent / "reference"
REFERENCE = json.loads((HERE / "onnx_reference.json").read_text())
LAYERS = {  # what each file must come back as
    "torch_mlp": [tg.Dense, tg.ReLU, tg.Dense, tg.Tanh, tg.Dense, tg.Softmax],
    "torch_mlp_legacy": [tg.Dense, tg.BatchNorm, tg.Sigmoid, tg.Dense],
    "torch_tokens": [tg.Dense, tg.GELU, tg.LayerNorm, tg.Dense],
    "torch_cnn": [tg.Conv2D, tg.ReLU, tg.MaxPool2D, tg.Conv2D, tg.ReLU, tg.Reshape, tg.Dense],  # BatchNorm folded into Conv
    "torch_cnn_legacy": [tg.Conv2D, tg.ReLU, tg.AvgPool2D, tg.Flatten, tg.Dense],
}


@pytest.mark.parametrize("name", LAYERS)
def test_a_file_pytorch_wrote_imports_as_the_layers_computing_what_pytorch_computed(name):
    model = tg.import_onnx(HERE / f"{name}.onnx")
    assert [type(layer) for layer in model] == LAYERS[name]
    x = np.array(REFERENCE[name]["x"])
    assert_close((model.predict(x),), (np.array(REFERENCE[name]["y"]),))
    assert tg.gradcheck(model, x[:2])


@pytest.mark.parametrize("twin", [name for name in TWINS if TWINS[name][0] == "Gemm"])
def test_the_checks_catch_a_broken_converter_on_pytorchs_files(monkeypatch, twin):
    op_type, broken = TWINS[twin]
    monkeypatch.setitem(importer.CONVERTERS, op_type, broken)
    with pytest.raises((AssertionError, ValueError)):
        test_a_file_pytorch_wrote_imports_as_the_layers_computing_what_pytorch_computed("torch_mlp")
