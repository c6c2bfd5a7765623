"""The article's network, trained by tinygraph, is the blog's hand-written loop to 1e-12."""

import numpy as np
from hypothesis import given

import tinygraph as tg
from tinygraph.testing import seeds


def blog_loop(synapses_0, synapses_1, X, y, iterations):
    """The blog's own training loop, written out: returns final weights and the error of every iteration."""
    errors = []
    for _ in range(iterations):
        l0 = X
        l1 = 1 / (1 + np.exp(-(l0 @ synapses_0)))
        l2 = 1 / (1 + np.exp(-(l1 @ synapses_1)))
        errors.append(0.5 * np.sum((y - l2) ** 2))
        l2_delta = (y - l2) * l2 * (1 - l2)
        l1_delta = (l2_delta @ synapses_1.T) * l1 * (1 - l1)
        synapses_1 += l1.T @ l2_delta
        synapses_0 += l0.T @ l1_delta
    return synapses_0, synapses_1, errors


@given(seeds)
def test_tinygraph_reproduces_the_blogs_loop(seed):
    X, y = tg.datasets.article()
    net = tg.article_network(seed)
    synapses_0, synapses_1, blog_errors = blog_loop(net[0].weight.value.copy(), net[2].weight.value.copy(), X, y, 50)

    # the configuration exactly as DESIGN.md writes it
    loss, opt = tg.SumSquaredError(), tg.SGD(net.parameters(), lr=1.0)
    errors = []
    for _ in range(50):
        opt.zero_grad()
        errors.append(loss(net(X), y))
        net.backward(loss.backward())
        opt.step()

    np.testing.assert_allclose(net[0].weight.value, synapses_0, rtol=1e-12)
    np.testing.assert_allclose(net[2].weight.value, synapses_1, rtol=1e-12)
    np.testing.assert_allclose(errors, blog_errors, rtol=1e-12)
    assert all(later < earlier for earlier, later in zip(errors, errors[1:])), "the error must fall at every iteration"


def test_the_network_is_the_articles_shape():
    net = tg.article_network(0)
    assert repr(net) == "Sequential(Dense(3→4, bias=False) >> Sigmoid >> Dense(4→1, bias=False) >> Sigmoid)"
    weights = np.concatenate([p.value.ravel() for p in net.parameters()])
    assert weights.size == 16 and np.abs(weights).max() <= 1


def test_train_article_returns_the_same_losses_as_the_written_out_loop():
    net, losses = tg.train_article(iterations=50, seed=7)
    X, y = tg.datasets.article()
    start = tg.article_network(7)
    _, _, blog_errors = blog_loop(start[0].weight.value, start[2].weight.value, X, y, 50)
    np.testing.assert_allclose(losses, blog_errors, rtol=1e-12)
