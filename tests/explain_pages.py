"""Helpers for the explain tests: reading a page's recorded run back, and models that probe the page."""

import json
import re
from pathlib import Path

import numpy as np

import tinygraph as tg

RUN = re.compile(r'<script type="application/json" id="tinygraph-run">(.*?)</script>', re.DOTALL)

# Model text that would run as code if the page pasted it into HTML or closed its JSON script early.
PROBES = [
    "</script><script>window.pwned = 'script'</script><!--",
    '"><img src=x onerror="window.pwned = \'img\'">',
    "<svg onload=\"window.pwned = 'svg'\"></svg>&amp;\u2028",
]


def run_of(path):
    """The run a page records (`window.tinygraphRun`), read from its HTML as the page's script reads it."""
    match = RUN.search(Path(path).read_text(encoding="utf-8"))
    assert match, f"{path} has no recorded run"
    return json.loads(match.group(1))


def article_page(path, steps=50, every=1, seed=1):
    X, y = tg.datasets.article()
    net = tg.article_network(seed)
    tg.explain(net, tg.SumSquaredError(), tg.SGD(net.parameters(), lr=1.0), X, y, steps=steps, every=every, path=path)
    return net


class Probe(tg.Identity):
    """An Identity whose repr is hostile text."""

    def __init__(self, text):
        self.text = text

    def extra_repr(self):
        return self.text


class HostileNames(tg.Layer):
    """A container whose child's attribute name (its path in the model) is hostile text."""

    def __init__(self, name, layer):
        setattr(self, name, layer)
        self.name = name

    def forward(self, x):
        return getattr(self, self.name)(x)

    def backward(self, dy):
        return getattr(self, self.name).backward(dy)


def hostile_model():
    """A 2-feature classifier whose layer reprs and paths hold each probe."""
    rng = np.random.default_rng(0)
    return tg.Sequential(
        HostileNames(PROBES[0], tg.Dense(2, 4, rng=rng)), tg.Tanh(), Probe(PROBES[1]), Probe(PROBES[2]),
        tg.Dense(4, 2, rng=rng),
    )


def hostile_page(path, steps=3):
    X, y = tg.datasets.xor(40, noise=0.1, seed=0)
    net = hostile_model()
    tg.explain(net, tg.SoftmaxCrossEntropy(), tg.SGD(net.parameters(), lr=0.1), X, y, steps=steps, path=path)
    return net


def graph_page(path, steps=10):
    """A model that is not a chain (a residual block, two branches), wide and deep enough to be summarised."""
    X, y = tg.datasets.moons(100, seed=0)
    rng = np.random.default_rng(0)
    deep = [layer for _ in range(12) for layer in (tg.Dense(40, 40, rng=rng), tg.Tanh())]
    net = tg.Sequential(
        tg.Dense(2, 40, rng=rng), tg.Tanh(), tg.Residual(tg.Sequential(tg.Dense(40, 40, rng=rng), tg.ReLU())),
        tg.Parallel(tg.Dense(40, 3, rng=rng), tg.Identity()), tg.Dense(43, 40, rng=rng), *deep, tg.Dense(40, 3, rng=rng),
    )
    tg.explain(net, tg.SoftmaxCrossEntropy(), tg.Adam(net.parameters(), lr=0.01), X, y, steps=steps, path=path)
    return net
