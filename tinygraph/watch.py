"""Watching a model run: a `Watcher` sees every layer call, forward and backward, while `watching` is active.

`trace`, `summary` and the explain page see inside a model this way: the model is not changed, and
while nobody watches, a call pays one check for it (`calls.watchers`).
"""

from contextlib import contextmanager

import numpy as np

from . import calls
from .copies import copied


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
    state = calls.threads.state
    outer = state.watcher
    state.watcher = watcher
    with calls.counting:
        calls.watchers += 1
    try:
        yield watcher
    finally:
        with calls.counting:
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
    probe = copied("summary", model).eval()
    paths = {id(layer): path for path, layer in probe.named_layers()}
    with watching(_ShapeWatcher()) as watcher:
        probe(np.zeros((1, *input_shape), dtype=np.int64))  # integer zeros: indices to an Embedding, cast by the rest
    return {paths[key]: shape for key, shape in watcher.shapes.items() if key in paths}


def sample_shape(layer):
    """The shape of one sample `layer` expects, if it can tell, else None.

    A layer with `in_features` (like `Dense`) expects `(in_features,)`, a graph of one input what the
    layer taking it expects; any other layer expects what the first layer below it that can tell
    expects, depth first in definition order.
    """
    for member in [layer, *(member for _, member in layer.walk())]:
        width = getattr(member, "in_features", None)
        if isinstance(width, (int, np.integer)) and not isinstance(width, bool):
            return (int(width),)
        if hasattr(member, "input_shapes"):  # a graph guesses one shape per input (tinygraph.graph)
            shapes = member.input_shapes()
            return shapes[0] if len(shapes) == 1 else None
    return None
