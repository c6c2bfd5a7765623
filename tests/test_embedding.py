"""Embedding: the weight gradient (finite differences, one-hot product), integer indices in fit, and errors."""

import numpy as np
import pytest
from hypothesis import given

import tinygraph as tg
import twins
from tinygraph.testing import embeddings
from tinygraph.training import check_data


def weight_gradient_by_differences(layer, x, dy, eps=1e-6):
    """d sum(dy * layer(x)) / dW, element by element, by central differences."""
    W = layer.weight.value
    numeric = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        original = W[index]
        W[index] = original + eps
        plus = (dy * layer(x)).sum()
        W[index] = original - eps
        minus = (dy * layer(x)).sum()
        W[index] = original
        numeric[index] = (plus - minus) / (2 * eps)
    return numeric


def analytic(layer, x, dy):
    layer.zero_grad()
    layer(x)
    assert layer.backward(dy) is None  # indices have no gradient
    return layer.weight.grad.copy()


@given(embeddings())
def test_weight_gradient_equals_finite_differences_and_the_one_hot_product(layer_and_x):
    layer, x = layer_and_x
    dy = np.random.default_rng(x.size).standard_normal((*x.shape, layer.embedding_dim))
    grad = analytic(layer, x, dy)
    np.testing.assert_allclose(grad, weight_gradient_by_differences(layer, x, dy), rtol=1e-6, atol=1e-8)
    one_hot = np.eye(layer.num_embeddings)[x.reshape(-1)]  # (positions, num): y = one_hot @ W
    np.testing.assert_allclose(grad, one_hot.T @ dy.reshape(-1, layer.embedding_dim), rtol=1e-12, atol=1e-12)


def test_the_difference_check_catches_lost_repeated_indices():
    x, dy = np.array([[1, 1, 2]]), np.ones((1, 3, 2))
    layer, twin = tg.Embedding(3, 2, rng=0), twins.LastIndexWinsEmbedding(3, 2, rng=0)
    np.testing.assert_allclose(analytic(layer, x, dy), weight_gradient_by_differences(layer, x, dy), atol=1e-8)
    assert not np.allclose(analytic(twin, x, dy), weight_gradient_by_differences(twin, x, dy), atol=1e-8)


def test_lookup_shapes_and_float32():
    table = tg.Embedding(5, 3, rng=0)
    x = np.array([[0, 4], [4, 4]])
    np.testing.assert_array_equal(table(x), table.weight.value[x])
    assert table(np.array([1, 2])).shape == (2, 3)  # (n,) indices: one per sample
    table.astype(np.float32)
    assert table(x).dtype == np.float32


@pytest.mark.parametrize(
    "x, error, message",
    [
        (np.array([[0.0, 1.0]]), TypeError, r"Embedding\(5, 3\): indices must be integers, got dtype float64 \(cast"),
        (np.array([[0.5, 1.0]], dtype=np.float32), TypeError, r"Embedding\(5, 3\): indices must be integers, got dtype float32"),
        (np.array([[0, -1]]), ValueError, r"Embedding\(5, 3\): index -1 is out of range \[0, 5\)"),
        (np.array([[0, 5]]), ValueError, r"Embedding\(5, 3\): index 5 is out of range \[0, 5\)"),
        (np.int64(2), ValueError, r"Embedding\(5, 3\): indices must have a batch axis"),
    ],
)
def test_bad_indices_name_the_layer_and_the_value(x, error, message):
    with pytest.raises(error, match=message):
        tg.Embedding(5, 3)(x)


def test_float_indices_are_refused_even_as_an_array_of_the_models_own_dtype():
    net = tg.Sequential(tg.Embedding(5, 3), tg.Flatten())
    with pytest.raises(TypeError, match="indices must be integers"):
        net(np.zeros((2, 4)))  # float64, 2-D: what every other layer takes without a second look


def sequence_task(n, seed=0):
    """Label 1 when token 3 is in the sequence: a task only the embedding of token 3 can solve."""
    X = np.random.default_rng(seed).integers(0, 6, (n, 5))
    return X, (X == 3).any(axis=1).astype(np.int64)


def test_fit_trains_an_embedding_model_on_integer_indices():
    X, y = sequence_task(200)
    assert check_data(tg.Dense(5, 1), X, y, "X", "target")[0][0].dtype == np.int64  # integer X stays integer
    net = tg.Sequential(tg.Embedding(6, 4, rng=0), tg.Permute(2, 1), tg.Conv1D(4, 8, 1, rng=0), tg.ReLU(),
                        tg.MaxPool1D(5), tg.Flatten(), tg.Dense(8, 2, rng=0))
    history = tg.fit(net, tg.SoftmaxCrossEntropy(), tg.Adam(net.parameters(), lr=0.05), X, y, epochs=15,
                     batch_size=32, seed=0, progress=False)
    assert history.history["accuracy"][-1] > 0.95


def test_fit_still_takes_integer_data_for_a_float_model():
    X, y = sequence_task(64)
    net = tg.Sequential(tg.Dense(5, 2, rng=0))
    history = tg.fit(net, tg.SoftmaxCrossEntropy(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=2, progress=False)
    assert np.isfinite(history.history["loss"]).all() and net.predict(X).dtype == np.float64


def test_summary_of_an_embedding_model_shows_the_shapes():
    net = tg.Sequential(tg.Embedding(10, 4), tg.Permute(2, 1), tg.Conv1D(4, 3, 3), tg.MaxPool1D(4), tg.Flatten())
    lines = net.summary(input_shape=6).splitlines()
    assert [line.split()[-4:] for line in lines[3:5]] == [["(n,", "6,", "4)", "40"], ["(n,", "4,", "6)", "0"]]


def test_bad_arguments_and_repr():
    with pytest.raises(ValueError, match="Embedding: embedding_dim must be an int >= 1, got 0"):
        tg.Embedding(3, 0)
    assert repr(tg.Embedding(1000, 16)) == "Embedding(1000, 16)"
    assert tg.Embedding(1000, 16, rng=0).weight.value.std() == pytest.approx(1, abs=0.02)  # N(0, 1), as PyTorch
