"""Conv2D, Conv1D and the poolings: the math against plain loops, gradients, shapes, dtypes and errors."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygraph as tg
import twins
from tinygraph.layers import patches
from tinygraph.testing import check_layer, conv_nets, seeds, sequence_nets, signed
from tinygraph.testing.images import normalizable, sees_the_input


def convolve_by_loops(x, W, b, stride, padding):
    """The definition, one output element at a time: y[n, o, i, j] = b[o] + sum W[o, c, a, e] * xp[n, c, i·s + a, j·s + e]."""
    n, _, h, w = x.shape
    c_out, _, kh, kw = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    ho, wo = (h + 2 * padding[0] - kh) // stride[0] + 1, (w + 2 * padding[1] - kw) // stride[1] + 1
    y = np.zeros((n, c_out, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride[0]: i * stride[0] + kh, j * stride[1]: j * stride[1] + kw]
            y[:, :, i, j] = np.einsum("ncae,ocae->no", patch, W) + (0 if b is None else b)
    return y


@st.composite
def conv_and_input(draw):
    rng = np.random.default_rng(draw(seeds))
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = [draw(st.integers(max(1, k - 2 * p), 7)) for k, p in zip(kernel, padding)]
    assume(all(sees_the_input(*axis) for axis in zip(size, kernel, stride, padding)))
    layer = tg.Conv2D(c_in, c_out, kernel, stride, padding, bias=draw(st.booleans()), rng=rng)
    if layer.bias is not None:
        layer.bias.value[...] = rng.uniform(-1, 1, c_out)
    return layer, signed(rng, (draw(st.integers(1, 3)), c_in, *size))


@given(conv_and_input())
def test_conv2d_forward_is_the_sum_over_each_window(layer_and_x):
    layer, x = layer_and_x
    expected = convolve_by_loops(x, layer.weight.value, None if layer.bias is None else layer.bias.value, layer.stride,
                                 layer.padding)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-12, atol=1e-12)


@given(conv_and_input())
def test_conv2d_passes_check_layer_at_any_kernel_stride_and_padding(layer_and_x):
    check_layer(*layer_and_x)


@given(conv_and_input())
def test_one_image_at_a_time_is_the_same_convolution(layer_and_x):
    """With blocks of one image (`BLOCK_BYTES` of 1 byte), every batch takes the path of a large one."""
    layer, x = layer_and_x
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(patches, "BLOCK_BYTES", 1)
        expected = convolve_by_loops(x, layer.weight.value, None if layer.bias is None else layer.bias.value,
                                     layer.stride, layer.padding)
        np.testing.assert_allclose(layer(x), expected, rtol=1e-12, atol=1e-12)
        check_layer(layer, x)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (3, 2)])
def test_a_sequence_convolution_a_block_at_a_time_is_the_same(stride, padding):
    rng = np.random.default_rng(0)
    x, conv = rng.standard_normal((5, 3, 11)), tg.Conv1D(3, 4, 3, stride=stride, padding=padding, rng=0)
    dy = rng.standard_normal(conv(x).shape)
    results, per_sequence = [], 3 * 3 * dy.shape[-1] * x.itemsize  # the bytes of one sequence's columns
    for block_bytes, n_blocks in ((2**40, 1), (1, 5), (2 * per_sequence, 3)):  # 2, 2 and 1 sequences
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(patches, "BLOCK_BYTES", block_bytes)
            assert len(patches.patches_for(x.shape, (3,), (stride,), (padding,)).blocks(x.itemsize)) == n_blocks
            conv.zero_grad()
            results.append((conv(x), conv.backward(dy), conv.weight.grad, conv.bias.grad))
            check_layer(conv, x)
    for blocked in results[1:]:
        for got, expected in zip(blocked, results[0]):
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_a_batch_too_large_for_the_cache_is_convolved_a_block_at_a_time():
    rng = np.random.default_rng(0)
    x, dy, b = rng.standard_normal((5, 16, 28, 28)), rng.standard_normal((5, 32, 28, 28)), rng.uniform(-1, 1, 32)
    blocks = patches.patches_for(x.shape, (3, 3), (1, 1), (1, 1)).blocks(x.itemsize)
    assert [images.indices(5) for images, _ in blocks] == [(0, 2, 1), (2, 4, 1), (4, 5, 1)]  # about 1 MB per image

    def run(block_bytes, needs_dx=True):
        conv = tg.Conv2D(16, 32, 3, padding=1, rng=0)
        conv.bias.value[...] = b
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(patches, "BLOCK_BYTES", block_bytes)
            y = conv(x, needs_dx=needs_dx)
            return y, conv.backward(dy), conv.weight.grad, conv.bias.grad

    y, dx, dW, db = run(patches.BLOCK_BYTES)
    np.testing.assert_allclose(y, convolve_by_loops(x, tg.Conv2D(16, 32, 3, rng=0).weight.value, b, (1, 1), (1, 1)),
                               rtol=1e-12, atol=1e-12)
    for got, expected in zip((y, dx, dW, db), run(2**40)):  # all in one block
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    y, dx, dW, db = run(patches.BLOCK_BYTES, needs_dx=False)
    assert dx is None and np.allclose(dW, run(2**40)[2], rtol=1e-12, atol=1e-12)


@given(conv_nets())
def test_random_conv_nets_pass_check_layer(net_and_x):
    check_layer(*net_and_x)


def depends_on_its_input(net, x):
    return not np.array_equal(net.predict(x), net.predict(x + np.random.default_rng(0).uniform(0.1, 0.2, x.shape)))


@given(st.one_of(conv_nets(), sequence_nets()))
def test_every_drawn_net_depends_on_its_input(net_and_x):
    assert depends_on_its_input(*net_and_x)


@pytest.mark.parametrize("pool", [False, True], ids=["stride", "max pooling"])
def test_a_net_with_windows_of_padding_alone_is_what_the_strategies_leave_out(pool):
    """The twins: a 1x1 convolution with padding 1; after it a stride of 2 sees only the padding, or a max
    over time picks a padded position (where the output is larger than anywhere the input reaches)."""
    first = tg.Conv1D(1, 1, 1, padding=1, rng=0)
    first.weight.value[:], first.bias.value[:] = -1.0, 10.0  # y = 10 - x inside, 10 on the padding
    net = tg.Sequential(first, tg.MaxPool1D(3) if pool else tg.Conv1D(1, 1, 1, stride=2, rng=1), tg.Flatten())
    assert not depends_on_its_input(net, np.ones((2, 1, 1)))


def positive_scale():
    conv = tg.Conv2D(1, 2, 1, bias=False, rng=0)  # a 1x1 convolution of one channel: a scale of each value
    conv.weight.value[...] = np.array([1.0, 2.0]).reshape(2, 1, 1, 1)  # positive, and well above the norm's eps
    return conv


NORMS_THAT_UNDO = {  # the twins of `normalizable`: a norm takes away what the first layer does
    "scale, conv, norm": [positive_scale(), tg.Conv2D(2, 1, 1, bias=False, rng=1), tg.BatchNorm(1)],
    "scale, ELU, norm": [positive_scale(), tg.ELU(), tg.BatchNorm(2)],  # ELU is linear where x > 0
    "norm, norm": [tg.BatchNorm(1), tg.BatchNorm(1)],  # the second takes away the first one's beta
}


@pytest.mark.parametrize("name", NORMS_THAT_UNDO)
def test_a_norm_after_what_it_undoes_is_what_the_strategies_leave_out(name):
    layers = NORMS_THAT_UNDO[name]
    width = 9 * layers[-1].num_features
    net = tg.Sequential(*layers, tg.Flatten(), tg.Dense(width, 1, rng=2))
    report = tg.gradcheck(net, np.abs(signed(np.random.default_rng(0), (2, 1, 3, 3))))
    tensor = "0.weight" if name.startswith("scale") else "0.bias"
    assert not report.ok and f"{tensor}: nothing checked" in " ".join(report.failures())
    assert not normalizable(layers[0]) if name.startswith("scale") else isinstance(layers[0], tg.BatchNorm)


@given(sequence_nets())
def test_random_sequence_nets_pass_check_layer(net_and_x):
    check_layer(*net_and_x)


def test_check_layer_catches_a_col2im_that_overwrites_instead_of_adding():
    x = signed(np.random.default_rng(0), (2, 2, 5, 5))
    check_layer(tg.Conv2D(2, 3, 3, rng=0), x)
    with pytest.raises(AssertionError, match="input gradient is wrong"):
        check_layer(twins.OverwritingCol2imConv2D(2, 3, 3, rng=0), x)


def test_conv1d_is_conv2d_on_a_sequence_of_height_one():
    rng = np.random.default_rng(1)
    conv1, conv2 = tg.Conv1D(3, 4, 3, stride=2, padding=1, rng=0), tg.Conv2D(3, 4, (1, 3), stride=(1, 2), padding=(0, 1))
    conv2.weight.value[...] = conv1.weight.value[:, :, None, :]
    x, dy = rng.standard_normal((2, 3, 9)), rng.standard_normal((2, 4, 5))
    np.testing.assert_allclose(conv1(x), conv2(x[:, :, None])[:, :, 0], rtol=1e-13)
    np.testing.assert_allclose(conv1.backward(dy), conv2.backward(dy[:, :, None])[:, :, 0], rtol=1e-13)
    np.testing.assert_allclose(conv1.weight.grad, conv2.weight.grad[:, :, 0], rtol=1e-13)


def test_pooling_of_tiles_by_hand():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    assert tg.MaxPool2D(2)(x).tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]
    assert tg.AvgPool2D(2)(x).tolist() == [[[[2.5, 4.5], [10.5, 12.5]]]]
    pool = tg.MaxPool2D(2)
    pool(x)
    assert pool.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]])).tolist() == [[[
        [0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0], [0.0, 3.0, 0.0, 4.0]]]]


def max_pool_backward_by_loops(x, kernel, stride, dy):
    """Each window's `dy` onto its first maximum in row-major order (PyTorch's rule), one window at a time."""
    dx = np.zeros_like(x)
    for n, c, i, j in np.ndindex(*dy.shape):
        window = x[n, c, i * stride[0]: i * stride[0] + kernel[0], j * stride[1]: j * stride[1] + kernel[1]]
        a, e = np.unravel_index(np.argmax(window), window.shape)  # argmax: the first of equal maxima
        dx[n, c, i * stride[0] + a, j * stride[1] + e] += dy[n, c, i, j]
    return dx


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, None), ((2, 3), None), ((1, 2), None), ((2, 1), None), (1, None),
                                            (2, 1), ((3, 2), (1, 2))])
def test_max_pooling_gives_each_window_gradient_to_its_first_maximum(kernel, stride):
    """Values drawn from {0, 1, 2} tie in most windows; tiles (stride = kernel) take `tile_max`'s path."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (2, 3, 6, 6)).astype(float)
    pool = tg.MaxPool2D(kernel, stride)
    y = pool(x)
    dy = rng.integers(1, 100, y.shape).astype(float)  # whole numbers: sums where windows overlap are exact
    dx = pool.backward(dy)
    np.testing.assert_array_equal(dx, max_pool_backward_by_loops(x, pool.kernel_size, pool.stride, dy))
    assert not np.shares_memory(y, x)  # even a window of one value gives the user an array of its own


def test_conv_weight_layout_and_initialisation_are_pytorchs_fan_in():
    conv = tg.Conv2D(16, 400, (3, 5), rng=0)
    assert conv.weight.value.shape == (400, 16, 3, 5) and conv.bias.value.shape == (400,)
    limit = np.sqrt(6 / (16 * 3 * 5))  # he_uniform with fan-in C_in·kh·kw
    assert np.abs(conv.weight.value).max() <= limit < 1.05 * np.abs(conv.weight.value).max()
    assert np.array_equal(tg.Conv2D(2, 3, 3, rng=5).weight.value, tg.Conv2D(2, 3, 3, rng=5).weight.value)


def test_float32_end_to_end_through_a_cnn():
    net = tg.Sequential(tg.Conv2D(1, 4, 3, padding=1, rng=0), tg.BatchNorm(4), tg.GELU(), tg.MaxPool2D(2),
                        tg.AvgPool2D(2), tg.Flatten(), tg.LayerNorm(16),
                        tg.SiLU(), tg.Dense(16, 3, rng=0)).astype(np.float32)
    x = np.random.default_rng(0).standard_normal((5, 1, 8, 8)).astype(np.float32)
    y = net(x)
    dx = net.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == np.float32
    assert all(p.value.dtype == p.grad.dtype == np.float32 for p in net.parameters())
    assert all(a.dtype == np.float32 for _, a in net.named_buffers())


def test_a_conv_on_the_models_input_skips_its_costly_input_gradient():
    net = tg.Sequential(tg.Conv2D(1, 2, 3, rng=0), tg.Flatten(), tg.Dense(18, 1, rng=0))
    x = np.ones((2, 1, 5, 5))
    net(x, needs_dx=False)
    assert net.backward(np.ones((2, 1))) is None and net[0].weight.has_grad
    net(x)
    assert net.backward(np.ones((2, 1))).shape == x.shape


@pytest.mark.parametrize(
    "layer, shape, message",
    [
        (tg.Conv2D(3, 4, 3), (2, 2, 5, 5), r"Conv2D\(3→4, kernel_size=3\): expected 3 input channels, got 2"),
        (tg.Conv2D(3, 4, 3), (2, 3, 5), r"Conv2D\(3→4, kernel_size=3\): expected input of shape \(n_batch, C_in, H, W\), got shape \(2, 3, 5\)"),
        (tg.Conv2D(1, 1, 5, padding=1), (2, 1, 2, 9), r"kernel_size \(5, 5\) is larger than the padded input \(4, 11\)"),
        (tg.Conv1D(2, 1, 3), (2, 2, 4, 4), r"Conv1D\(2→1, kernel_size=3\): expected input of shape \(n_batch, C_in, L\)"),
        (tg.Conv1D(2, 1, 3), (2, 3, 4), r"Conv1D\(2→1, kernel_size=3\): expected 2 input channels, got 3"),
        (tg.MaxPool2D(3), (1, 1, 2, 5), r"MaxPool2D\(kernel_size=3\): kernel_size \(3, 3\) is larger than the input \(2, 5\)"),
        (tg.AvgPool2D(2), (4, 4), r"AvgPool2D\(kernel_size=2\): expected input of shape \(n_batch, C, H, W\), got shape \(4, 4\)"),
        (tg.MaxPool1D(2), (4, 4), r"MaxPool1D\(kernel_size=2\): expected input of shape \(n_batch, C, L\)"),
    ],
)
def test_bad_input_names_the_layer_and_what_is_wrong(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(np.zeros(shape))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: tg.Conv2D(0, 4, 3), "Conv2D: in_channels must be an int >= 1, got 0"),
        (lambda: tg.Conv2D(1, 4, (3, 3, 3)), r"Conv2D: kernel_size must be an int or 2 ints, got \(3, 3, 3\)"),
        (lambda: tg.Conv2D(1, 4, 3, padding=-1), "Conv2D: padding must be an int >= 0 or 2 of them, got -1"),
        (lambda: tg.Conv1D(1, 4, 3, stride=0), "Conv1D: stride must be an int >= 1 or 1 of them, got 0"),
        (lambda: tg.MaxPool2D(2.5), r"MaxPool2D: kernel_size must be an int >= 1 or 2 of them, got 2.5"),
        (lambda: tg.AvgPool2D(2, stride=(1, True)), r"AvgPool2D: stride must be an int >= 1 or 2 of them"),
    ],
)
def test_bad_arguments_name_the_layer_and_the_argument(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_reprs():
    assert [repr(layer) for layer in (tg.Conv2D(1, 8, 3, padding=1), tg.Conv2D(2, 4, (3, 1), stride=2, bias=False),
                                      tg.Conv1D(4, 4, 5), tg.MaxPool2D(2), tg.AvgPool2D(3, stride=1), tg.MaxPool1D(4))] == [
        "Conv2D(1→8, kernel_size=3, padding=1)", "Conv2D(2→4, kernel_size=3x1, stride=2, bias=False)",
        "Conv1D(4→4, kernel_size=5)", "MaxPool2D(kernel_size=2)", "AvgPool2D(kernel_size=3, stride=1)",
        "MaxPool1D(kernel_size=4)",
    ]


def test_trace_and_summary_show_every_layer_of_a_cnn():
    net = tg.Sequential(tg.Conv2D(1, 4, 3, padding=1, rng=0), tg.BatchNorm(4), tg.ReLU(), tg.MaxPool2D(2), tg.Flatten(),
                        tg.Dense(64, 10, rng=0))
    record = tg.trace(net, np.random.default_rng(0).standard_normal((3, 1, 8, 8)))
    assert [(row.name, row.y.shape) for row in record.rows] == [
        ("net", (3, 10)), ("0", (3, 4, 8, 8)), ("1", (3, 4, 8, 8)), ("2", (3, 4, 8, 8)), ("3", (3, 4, 4, 4)),
        ("4", (3, 64)), ("5", (3, 10))]
    assert record.row("0").grads["weight"].shape == (4, 1, 3, 3) and record.row("3").dx.shape == (3, 4, 8, 8)
    lines = net.summary(input_shape=(1, 8, 8)).splitlines()
    assert [line.split()[-5:] for line in lines[3:5]] == [["(n,", "4,", "8,", "8)", "40"], ["(n,", "4,", "8,", "8)", "8"]]
    assert lines[6].split()[-5:] == ["(n,", "4,", "4,", "4)", "0"] and lines[-1] == "total parameters: 698 (trainable: 698)"
