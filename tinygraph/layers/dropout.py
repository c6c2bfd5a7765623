"""`Dropout`: zero a random fraction of the activations in training."""

from .. import checks
from ..init import as_rng
from ..layer import Layer


class Dropout(Layer):
    """Inverted dropout: in training, zero each element with probability `p` and scale the rest by `1 / (1 - p)`.

    `y = x * mask`, `dx = dy * mask`, with `mask` in `{0, 1 / (1 - p)}`, so the expected output is `x`
    and evaluation needs no rescaling: in eval mode (`.eval()`) the mask is all ones and the layer is
    the identity. `rng` (an int seed or a `np.random.Generator`) draws the masks, so a seeded run is
    repeatable.
    """

    def __init__(self, p=0.5, rng=None):
        self.p = checks.number("Dropout", "p", p, low=0, high=1)
        self.rng = as_rng(rng)

    def forward(self, x):
        if not self.training or self.p == 0:
            self.save_for_backward(1)
            return x
        mask = (self.rng.random(x.shape, dtype=x.dtype) >= self.p).astype(x.dtype) / (1 - self.p)
        self.save_for_backward(mask)
        return x * mask

    def backward(self, dy):
        mask = self.pop_saved()
        return dy * mask

    def extra_repr(self):
        return f"p={self.p:g}"
