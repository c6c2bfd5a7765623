"""BatchNorm and LayerNorm: gradients, modes, buffers and errors (equality with PyTorch: test_layers_torch.py)."""

import numpy as np
import pytest
from hypothesis import given

import tinygraph as tg
import twins
from tinygraph.testing import check_layer, norm_layers, signed


@given(norm_layers())
def test_norm_layers_pass_check_layer(layer_and_x):
    check_layer(*layer_and_x)


def test_check_layer_catches_the_batchnorm_gradient_without_its_variance_term():
    x = signed(np.random.default_rng(0), (4, 3))
    check_layer(tg.BatchNorm(3), x)
    with pytest.raises(AssertionError, match="input gradient is wrong"):
        check_layer(twins.TwoTermBatchNorm(3), x)


def test_batchnorm_normalises_each_channel_over_batch_and_positions_in_training():
    x = 5 + 3 * np.random.default_rng(0).standard_normal((8, 3, 4, 4))
    y = tg.BatchNorm(3)(x)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-5)  # var / (var + eps)


def test_batchnorm_in_eval_mode_uses_the_running_statistics_so_a_sample_does_not_depend_on_its_batch():
    bn = tg.BatchNorm(2)
    rng = np.random.default_rng(0)
    for _ in range(3):
        bn(rng.standard_normal((16, 2)) * [1.0, 4.0] + [2.0, -1.0])
    bn.eval()
    x = rng.standard_normal((5, 2))
    np.testing.assert_allclose(bn(x)[:1], bn(x[:1]), rtol=1e-15)
    np.testing.assert_allclose(bn(x), (x - bn.running_mean) / np.sqrt(bn.running_var + bn.eps), rtol=1e-12)
    bn(np.ones((1, 2)))  # one sample is fine in eval mode


def test_batchnorm_buffers_are_state_but_not_parameters_and_survive_save_load(tmp_path):
    net = tg.Sequential(tg.Conv2D(1, 2, 3, rng=0), tg.BatchNorm(2, momentum=0.5))
    net(np.random.default_rng(0).standard_normal((4, 1, 5, 5)))
    assert [name for name, _ in net.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert [name for name, _ in net.named_buffers()] == ["1.running_mean", "1.running_var"]
    assert not np.allclose(net[1].running_var, 1)
    tg.save(net, tmp_path / "bn.npz")
    loaded = tg.load(tmp_path / "bn.npz")
    assert loaded[1].momentum == 0.5
    for name in ("running_mean", "running_var"):
        np.testing.assert_array_equal(getattr(loaded[1], name), getattr(net[1], name))
    x = np.ones((1, 1, 5, 5))
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))
    assert {id(p) for p in tg.SGD(net.parameters(), lr=0.1).params}.isdisjoint({id(a) for _, a in net.named_buffers()})


def test_an_optimizer_step_leaves_the_running_statistics_alone():
    bn = tg.BatchNorm(2)
    bn(np.random.default_rng(0).standard_normal((4, 2)))
    before = bn.running_mean.copy()
    bn.backward(np.ones((4, 2)))
    tg.SGD(bn.parameters(), lr=1.0).step()
    np.testing.assert_array_equal(bn.running_mean, before)


@pytest.mark.parametrize(
    "layer, shape, message",
    [
        (tg.BatchNorm(3), (4, 2), r"BatchNorm\(3\): expected input of shape \(n_batch, 3\) or \(n_batch, 3, \.\.\.\), "
                                  r"channels on axis 1, got shape \(4, 2\)"),
        (tg.BatchNorm(3), (1, 3), r"BatchNorm\(3\): training needs more than one value per channel"),
        (tg.LayerNorm(4), (2, 3), r"LayerNorm\(4\): the input's last axes must be \(4,\) \(after the batch axis\), got shape \(2, 3\)"),
        (tg.LayerNorm((2, 3)), (2, 3), r"LayerNorm\(\(2, 3\)\): the input's last axes must be \(2, 3\)"),
    ],
)
def test_bad_input_names_the_layer(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(np.zeros(shape))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: tg.BatchNorm(0), "BatchNorm: num_features must be an int >= 1, got 0"),
        (lambda: tg.BatchNorm(2, eps=0), r"BatchNorm: eps must be > 0, got 0"),
        (lambda: tg.BatchNorm(2, momentum=1.5), r"BatchNorm: momentum must be in \[0, 1\], got 1.5"),
        (lambda: tg.LayerNorm(()), r"LayerNorm: normalized_shape must name at least one axis"),
        (lambda: tg.LayerNorm((2, 0)), r"LayerNorm: normalized_shape must be an int >= 1"),
    ],
)
def test_bad_arguments_name_the_layer(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_reprs():
    assert [repr(layer) for layer in (tg.BatchNorm(8), tg.BatchNorm(8, eps=1e-3, momentum=0.01), tg.LayerNorm(4),
                                      tg.LayerNorm((3, 4), eps=1e-6))] == [
        "BatchNorm(8)", "BatchNorm(8, eps=0.001, momentum=0.01)", "LayerNorm(4)", "LayerNorm((3, 4), eps=1e-06)"]
