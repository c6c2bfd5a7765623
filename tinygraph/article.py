"""The article's 3-4-1 sigmoid network, as one configuration of tinygraph's layers.

The blog post "Deep Learning using Numpy" trains it by hand:

    l1 = sigmoid(l0 @ synapses_0);  l2 = sigmoid(l1 @ synapses_1)
    l2_delta = (y - l2) * l2 * (1 - l2);  l1_delta = (l2_delta @ synapses_1.T) * l1 * (1 - l1)
    synapses_1 += l1.T @ l2_delta;  synapses_0 += l0.T @ l1_delta

Here the two `Dense` layers are the synapses (no bias, U(-1, 1) initial weights), each `Sigmoid`
backward is a `* l * (1 - l)`, `SumSquaredError.backward()` is `l2 - y`, and SGD at lr=1 is the `+=`.
"""

import numpy as np

from .containers import Sequential
from .datasets import article
from .init import as_rng
from .inspect.trace import trace
from .layers import Dense, Sigmoid
from .losses import SumSquaredError
from .optim import SGD


def article_network(rng=None):
    """`Dense(3→4) >> Sigmoid >> Dense(4→1) >> Sigmoid`, no biases, weights from U(-1, 1).

    `rng` (an int seed or a `np.random.Generator`) draws the first layer's weights, then the second's.
    """
    rng = as_rng(rng)
    return Sequential(
        Dense(3, 4, bias=False, init="uniform", rng=rng),
        Sigmoid(),
        Dense(4, 1, bias=False, init="uniform", rng=rng),
        Sigmoid(),
    )


def train_article(iterations=50, seed=1):
    """Train the article's network on its data; return `(net, losses)`, one loss per iteration.

    Each iteration is one full-batch step: the loss (`SumSquaredError`) is computed before the update.

    >>> net, losses = train_article(iterations=5, seed=1)
    >>> len(losses), losses[-1] < losses[0]
    (5, True)
    """
    X, y = article()
    net = article_network(seed)
    loss, opt = SumSquaredError(), SGD(net.parameters(), lr=1.0)
    losses = []
    for _ in range(iterations):
        opt.zero_grad()
        losses.append(loss(net(X), y))
        net.backward(loss.backward())
        opt.step()
    return net, losses


def blog_variables(net, X, y):
    """The blog's variables for one iteration, computed with its own formulas from `net`'s weights.

    Returns `{name: array}` for `l1`, `l2`, `l2_delta`, `l1_delta` and the two `+=` updates.
    """
    synapses_0, synapses_1 = net[0].weight.value, net[2].weight.value
    l1 = 1 / (1 + np.exp(-(X @ synapses_0)))
    l2 = 1 / (1 + np.exp(-(l1 @ synapses_1)))
    l2_delta = (y - l2) * l2 * (1 - l2)
    l1_delta = (l2_delta @ synapses_1.T) * l1 * (1 - l1)
    return {"l1": l1, "l2": l2, "l2_delta": l2_delta, "l1_delta": l1_delta,
            "synapses_1 update": l1.T @ l2_delta, "synapses_0 update": X.T @ l1_delta}


def explain_first_iteration(seed=1):
    """Trace one iteration of the article's network and pair each blog variable with what a layer computed.

    Returns `(record, pairs)`: the `TraceRecord`, and `(blog name, where tinygraph has it, blog value,
    tinygraph value)` for each variable; the values agree to rounding.
    """
    X, y = article()
    net = article_network(seed)
    loss = SumSquaredError()
    loss(net(X), y)
    record = trace(net, X, dy=loss.backward())  # dL/dl2 = l2 - y
    blog = blog_variables(net, X, y)
    ours = [
        ("l1", "y of layer 1 (Sigmoid)", record.row("1").y),
        ("l2", "y of layer 3 (Sigmoid)", record.row("3").y),
        ("l2_delta", "-dx of layer 3 (Sigmoid.backward)", -record.row("3").dx),
        ("l1_delta", "-dx of layer 1 (Sigmoid.backward)", -record.row("1").dx),
        ("synapses_1 update", "-grad of layer 2's weight (SGD lr=1 subtracts it)", -record.row("2").grads["weight"]),
        ("synapses_0 update", "-grad of layer 0's weight (SGD lr=1 subtracts it)", -record.row("0").grads["weight"]),
    ]
    return record, [(name, where, blog[name], value) for name, where, value in ours]
