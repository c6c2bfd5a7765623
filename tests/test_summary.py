import numpy as np
import pytest
from hypothesis import given

import tinygraph as tg
from tinygraph.testing import graphs


def test_summary_of_the_article_network_needs_no_data():
    table = tg.article_network(1).summary()
    lines = table.splitlines()
    assert lines[0].split() == ["layer", "output", "shape", "parameters"]
    assert [line.split() for line in lines[2:7]] == [
        ["Sequential", "(n,", "1)", "16"],
        ["0", "Dense(3→4,", "bias=False)", "(n,", "4)", "12"],
        ["1", "Sigmoid", "(n,", "4)", "0"],
        ["2", "Dense(4→1,", "bias=False)", "(n,", "1)", "4"],
        ["3", "Sigmoid", "(n,", "1)", "0"],
    ]
    assert lines[-1] == "total parameters: 16 (trainable: 16)"
    assert repr(table) == str(table)  # shows as the table at the prompt


def test_summary_nests_containers_and_counts_a_shared_layer_once():
    shared = tg.Dense(8, 8, rng=0)
    net = tg.Sequential(tg.Dense(4, 8, rng=1), tg.Residual(tg.Sequential(shared, tg.Tanh(), shared)),
                        tg.Parallel(tg.Dense(8, 2, rng=2), tg.Identity(), merge="concat"))
    lines = net.summary().splitlines()
    assert any(line.split()[:2] == ["2", "Parallel(merge='concat')"] and line.split()[-3:] == ["(n,", "10)", "18"]
               for line in lines)
    assert any("1.layer.2 (the layer 1.layer.0, shared)" in line for line in lines)
    assert lines[-1] == "total parameters: 130 (trainable: 130)"  # 4*8+8 + 8*8+8 (once) + 8*2+2


@given(graphs())
def test_summary_widths_and_counts_agree_with_the_model(net_and_x):
    net, x = net_and_x
    lines = net.summary(x.shape[1]).splitlines()
    top = lines[2].split()
    assert top[-3:-1] == ["(n,", f"{net(x).shape[1]})"]
    assert int(top[-1].replace(",", "")) == sum(p.value.size for p in net.parameters())
    assert lines[-1].startswith(f"total parameters: {sum(p.value.size for p in net.parameters()):,}")


def test_summary_without_a_known_input_width_says_so():
    lines = tg.Sequential(tg.Tanh(), tg.Softmax()).summary().splitlines()
    assert lines[2].split() == ["Sequential", "?", "0"]
    assert "pass summary(input_shape=...)" in lines[-1]
    assert tg.Sequential(tg.Tanh()).summary(3).splitlines()[2].split() == ["Sequential", "(n,", "3)", "0"]
    images = tg.Sequential(tg.Tanh(), tg.Dense(8, 2)).summary(input_shape=(1, 8, 8)).splitlines()
    assert images[2].split() == ["Sequential", "(n,", "1,", "8,", "2)", "18"]  # Dense acts on the last axis


def test_summary_leaves_the_model_alone():
    net = tg.Sequential(tg.Dense(2, 2, rng=0), tg.Dropout(0.5))
    net(np.ones((1, 2)))
    net.summary()
    assert net[1].training
    net.backward(np.ones((1, 2)))  # the forward before summary can still be consumed


def test_long_reprs_nest_one_layer_per_line():
    net = tg.Sequential(tg.Dense(64, 128), tg.ReLU(), tg.Residual(tg.Sequential(tg.Dense(128, 128), tg.ReLU())),
                        tg.Parallel(tg.Dense(128, 10), tg.Sequential(tg.Dropout(0.5), tg.Dense(128, 10)), merge="add"))
    assert repr(net) == (
        "Sequential(\n"
        "  Dense(64→128)\n"
        "  >> ReLU\n"
        "  >> Residual(Sequential(Dense(128→128) >> ReLU))\n"
        "  >> Parallel(Dense(128→10) | Sequential(Dropout(p=0.5) >> Dense(128→10)), merge='add')\n"
        ")"
    )
    deep = tg.Sequential(tg.Dense(2, 2), tg.Residual(net))
    assert repr(deep).splitlines()[2:4] == ["  >> Residual(", "       Sequential("]


def nest(depth):
    model = tg.Dense(2, 2, rng=0)
    for i in range(depth):
        model = tg.Sequential(model, tg.Tanh()) if i % 2 else tg.Residual(model)
    return model


@pytest.mark.parametrize("depth", [300, 600])
def test_a_model_nested_hundreds_deep_has_a_repr_and_a_summary(depth):
    model = nest(depth)
    text = repr(model)
    assert text.startswith("Sequential(\n  Residual(\n    Sequential(\n") and text.endswith("\n  >> Tanh\n)")
    assert [text.count(name) for name in ("Dense(2→2)", "Residual(", "Sequential(", "Tanh")] == [1] + [depth // 2] * 3
    table = model.summary().splitlines()
    if depth == 300:  # still runs: every output shape is known
        assert len(table) == 2 + len(model.named_layers()) + 2 and table[-1].startswith("total parameters: 6")
        assert table[2].split()[-3:] == ["(n,", "2)", "6"]
    else:  # too deep for Python to run (forward is recursive): the table says so instead of failing
        assert len(table) == 2 + len(model.named_layers()) + 3 and table[-2].startswith("total parameters: 6")
        assert table[-1].startswith("output shapes unknown: the model is nested too deep to run (RecursionError")
