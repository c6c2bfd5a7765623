"""Watching a model run: a `Watcher` sees every layer call, forward and backward, while `watching` is active.

`trace`, `summary` and the explain page see inside a model this way: the model is not changed, and
while nobody watches, a call pays one check for it (`calls.watchers`).
"""

import copy
from contextlib import contextmanager

import numpy as np

from . import calls


class Watcher:
    """Sees every layer call while `watching(watcher)` is active; override what you need.

    `forward_begins(layer, xs)` before a forward runs and `forward_ends(layer, y)` after it;
    `backward_begins(layer, dy)` and `backward_ends(layer, dx)` around each backward. Calls nest: a
    container's forward begins, its children's forwards begin and end, then it ends.
    """

    def forward_begins(self, layer, xs):
        pass

    def forward_ends(self, layer, y):
        pass

    def backward_begins(self, layer, dy):
        pass

    def backward_ends(self, layer, dx):
        pass


@contextmanager
def watching(watcher):
    """While active, `watcher` (a `Watcher`) sees every layer call in this thread. Watchers do not stack:
    the innermost one sees the calls."""
    state = calls._threads.state
    outer = state.watcher
    state.watcher = watcher
    calls.watchers += 1
    try:
        yield watcher
    finally:
        calls.watchers -= 1
        state.watcher = outer


class _ShapeWatcher(Watcher):
    def __init__(self):
        self.shapes = {}

    def forward_ends(self, layer, y):
        self.shapes.setdefault(id(layer), y.shape[1:] if type(y) is np.ndarray else tuple(v.shape[1:] for v in y))


def output_shapes(model, input_shape):
    """`{path: shape of one sample of its output}` for every layer, from one forward of zeros through a
    copy of `model` in eval mode (a shared layer: its first call). `input_shape` excludes the batch.

    The zeros are integers, which every layer takes: float layers cast them to their dtype, and an
    `Embedding` takes them as indices."""
    probe = copy.deepcopy(model).eval()
    paths = {id(layer): path for path, layer in probe.named_layers()}
    with watching(_ShapeWatcher()) as watcher:
        probe(np.zeros((1, *input_shape), dtype=np.int64))  # integer zeros: indices to an Embedding, cast by the rest
    return {paths[key]: shape for key, shape in watcher.shapes.items() if key in paths}
