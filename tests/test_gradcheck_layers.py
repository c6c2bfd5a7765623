"""gradcheck on the real layers that need its special cases: a graph of two inputs, an `Embedding`'s integer
input, a `BatchNorm` in training mode, and each caught when broken (tests/twins.py).

(tests/test_gradcheck_inputs.py checks the same cases on small layers of its own, written for them.)"""

import numpy as np
import pytest

import tinygraph as tg
import twins
from graph_cases import siamese

rng = np.random.default_rng(0)
XA, XB = rng.uniform(-1.5, 1.5, (4, 3)), rng.uniform(-1.5, 1.5, (4, 3))
INDICES = np.array([[0, 1, 1, 4], [2, 0, 3, 3]])  # repeats: their gradients must add up


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_a_graph_of_two_inputs_gets_a_row_per_input_and_per_parameter(mode):
    graph = siamese()
    report = tg.gradcheck(graph, (XA, XB), mode=mode)
    assert report.ok, report
    assert [r.name for r in report.rows] == ["input 0", "input 1", *graph.state_dict()]


def test_a_graph_executor_that_overwrites_a_shared_gradient_is_caught():
    graph = siamese()
    broken = twins.OverwritingGraph(graph.inputs, graph.outputs)
    report = tg.gradcheck(broken, (XA, XB))
    assert not report.ok and report.culprit == ""  # every sub-layer passes alone: the graph's own backward


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_an_embedding_is_checked_on_its_parameters_only(mode):
    net = tg.Sequential(tg.Embedding(5, 3, rng=0), tg.Tanh(), tg.Flatten(), tg.Dense(12, 2, rng=1))
    report = tg.gradcheck(net, INDICES, mode=mode)
    assert report.ok, report
    assert report.rows[0].name == "input" and report.rows[0].skipped
    assert "not checked: integer input (int64), parameters only" in str(report)


def test_an_embedding_that_loses_repeated_indices_is_caught_and_named():
    net = tg.Sequential(twins.LastIndexWinsEmbedding(5, 3, rng=0), tg.Tanh(), tg.Flatten(), tg.Dense(12, 2, rng=1))
    report = tg.gradcheck(net, INDICES)
    assert not report.ok and report.culprit == "0", report


def test_batchnorm_in_training_mode_is_checked_as_a_function_of_the_batch():
    x = rng.uniform(-2, 2, (5, 3, 2, 2))
    layer = tg.BatchNorm(3)
    report = tg.gradcheck(layer, x)
    assert report.ok, report
    assert "buffers put back before every forward (running_mean, running_var)" in str(report)
    assert layer.running_mean.tolist() == [0.0, 0.0, 0.0]  # the model itself is left as it was
    wrong = tg.gradcheck(tg.Sequential(tg.Dense(2, 2, rng=0), twins.TwoTermBatchNorm(3)), x)
    assert not wrong.ok and wrong.culprit == "1", wrong
