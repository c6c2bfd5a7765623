import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygraph as tg
import twins
from tinygraph.testing import arrays_for, check_layer, dags, graphs, layers, networks


@given(layers().flatmap(lambda layer: st.tuples(st.just(layer), arrays_for(layer))))
def test_every_built_in_layer_passes_check_layer(layer_and_x):
    layer, x = layer_and_x
    assert check_layer(layer, x, allow_zero=True).ok  # a drawn input may leave every ReLU dead


@given(graphs() | networks())
def test_check_layer_passes_random_networks_and_graphs(net_and_x):
    net, x = net_and_x
    check_layer(net, x, allow_zero=True)


@pytest.mark.parametrize(
    "twin, expected",
    [
        (twins.WrongFactorSigmoid, r"check_layer\(WrongFactorSigmoid\): input gradient is wrong: at index \(\d+, \d+\) "
                                   r"analytic \S+ vs numeric \S+ \(max abs err \S+, max rel err \S+; atol=1e-05, rtol=0.0001"),
        (twins.IgnoresUpstreamTanh, r"check_layer\(IgnoresUpstreamTanh\): .*input gradient is wrong"),
        (twins.WrongSignReLU, r"check_layer\(WrongSignReLU\): .*input gradient is wrong"),
        (lambda: twins.ForgetsBiasDense(3, 2, rng=0), r"check_layer\(ForgetsBiasDense\): bias gradient is wrong: at index \(\d,\)"),
        (twins.MutatesInputTanh, r"check_layer\(MutatesInputTanh\): .*forward modified its input x: \S+ became \S+ at index"),
        (twins.MutatesUpstreamSigmoid, r"backward modified its upstream gradient dy"),
        (twins.NoisyBackwardTanh, r"not true that a second forward\+backward gives the same gradients, bit for bit \(not input\)"),
        (lambda: twins.OverwritesGradDense(3, 2, rng=0), r"not true that a second backward adds into .grad"),
        (twins.Float32BackwardTanh, r"returns dx of its input's shape and dtype \(not Float32BackwardTanh: backward returned dx of "
                                    r"dtype float32 for an input of dtype float64\)"),
        (lambda: twins.SneakyDecayDense(3, 2, rng=0), r"not true that with dy = 0 every gradient is 0 \(not weight: \S+ at index \(\d, \d\)\)"),
    ],
)
def test_check_layer_names_what_is_wrong_in_each_twin(twin, expected):
    with pytest.raises(AssertionError, match=expected):
        check_layer(twin())


@given(arrays_for(tg.Dense(5, 2)))
def test_arrays_for_match_the_layer_and_stay_off_kinks_and_saturation(x):
    assert x.dtype == np.float64 and x.ndim == 2 and x.shape[1] == 5 and 1 <= len(x) <= 8
    assert (np.abs(x) >= 0.1).all() and (np.abs(x) <= 2).all()


def test_check_layer_makes_an_input_when_none_is_given_and_leaves_the_layer_alone():
    layer = tg.Dense(4, 2, rng=0)
    before = layer.state_dict()
    report = check_layer(layer)
    assert report.rows[0].shape == (4, 4)
    assert all(np.array_equal(before[k], v) for k, v in layer.state_dict().items())
    assert not layer.weight.grad.any()


def test_check_layer_of_float32_warns_and_checks_in_float64():
    with pytest.warns(UserWarning, match="float64 copy"):
        assert check_layer(tg.Tanh().astype(np.float32), np.ones((2, 2), dtype=np.float32)).ok


def test_check_layer_refuses_what_is_not_a_layer():
    with pytest.raises(TypeError, match="expected a tinygraph Layer"):
        check_layer(tg.MSE())


def test_check_layer_names_the_culprit_inside_a_model():
    net = tg.Sequential(tg.Dense(3, 3, rng=0), tg.Sequential(tg.Tanh(), twins.IgnoresUpstreamTanh()))
    with pytest.raises(AssertionError, match=r"culprit: 1\.1 \(IgnoresUpstreamTanh\), checked alone at the input it saw"):
        check_layer(net)


def test_check_layer_refuses_a_layer_that_checks_nothing_unless_allowed():
    with pytest.raises(AssertionError, match="input: nothing checked"):
        check_layer(tg.ReLU(), -np.ones((2, 3)))
    assert check_layer(tg.ReLU(), -np.ones((2, 3)), allow_zero=True).ok

# -- random DAGs -------------------------------------------------------------------------------------------


def features(graph):
    """What makes a DAG more than a chain: which of these this graph has."""
    takers = {}
    for call in graph.calls:
        for node in call.inputs:
            takers[node] = takers.get(node, 0) + 1
    layers = [call.layer for call in graph.calls]
    found = {"fan-out": any(n > 1 for n in takers.values()), "fan-in": any(len(c.inputs) > 1 for c in graph.calls),
             "shared layer": len({id(layer) for layer in layers}) < len(layers),
             "several inputs": len(graph.inputs) > 1, "several outputs": len(graph.outputs) > 1,
             "nested graph": any(isinstance(layer, tg.Graph) for layer in layers)}
    return {name for name, present in found.items() if present}


def test_dags_draw_fan_out_fan_in_shared_layers_several_inputs_and_outputs_and_nesting():
    seen = set()

    @given(dags())
    def draw(graph_and_xs):
        graph, xs = graph_and_xs
        assert len(xs) == len(graph.inputs) and len({len(x) for x in xs}) == 1
        assert all(np.isfinite(y).all() for y in (lambda y: y if isinstance(y, tuple) else (y,))(graph(*xs)))
        seen.update(features(graph))

    draw()
    assert seen == {"fan-out", "fan-in", "shared layer", "several inputs", "several outputs", "nested graph"}


@given(dags(max_inputs=1, max_outputs=1))
def test_check_layer_passes_random_dags_of_one_input(graph_and_xs):
    graph, (x,) = graph_and_xs
    check_layer(graph, x, allow_zero=True)  # a DAG whose ReLUs are all dead at x checks nothing: allowed here


def test_check_layer_catches_a_dag_executor_that_overwrites_at_fan_out():
    x = tg.Input()
    h = tg.Dense(3, 3, rng=0)(x)
    graph = twins.OverwritingGraph(x, tg.Multiply()(tg.Tanh()(h), h))
    with pytest.raises(AssertionError, match="input gradient is wrong"):
        check_layer(graph, np.random.default_rng(0).uniform(0.5, 1.5, (4, 3)))


# -- the newcomer's frictions (issue 14): a width check_layer cannot guess ------------------------------------


class Project(tg.Layer):
    """y = x @ W with W of shape (n_in, 2) and no `in_features` attribute: check_layer cannot guess n_in."""

    def __init__(self, n_in):
        self.weight = tg.Parameter(np.linspace(-1.0, 1.0, 2 * n_in).reshape(n_in, 2), "weight")

    def forward(self, x):
        self.save_for_backward(x)
        return x @ self.weight.value

    def backward(self, dy):
        x = self.pop_saved()
        self.weight.grad += x.T @ dy
        return dy @ self.weight.value.T


GUESS_FAILED = r"^check_layer\(Project\): the input width could not be guessed .* Give an input: check_layer\(layer, x\)"


def test_check_layer_says_when_it_cannot_guess_the_input_width_and_how_to_give_it():
    layer = Project(5)
    before = layer.weight.value.copy()
    with pytest.raises(ValueError, match=GUESS_FAILED):
        check_layer(layer)
    assert np.array_equal(layer.weight.value, before) and not layer.weight.has_grad
    assert check_layer(layer, np.ones((4, 5)))  # given the input, the same layer passes
    assert check_layer(Project(3))               # a width of 3 is the guess, and it fits


def test_the_width_check_sees_numpy_s_own_message(monkeypatch):
    from tinygraph.testing import check

    def no_trial(layer, seed):  # the broken twin: the guess goes straight to gradcheck
        return np.ones((4, 3))

    monkeypatch.setattr(check, "guessed_input", no_trial)
    with pytest.raises(AssertionError, match="Regex pattern did not match"):
        with pytest.raises(ValueError, match=GUESS_FAILED):
            check_layer(Project(5))
