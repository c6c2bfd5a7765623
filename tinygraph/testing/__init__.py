"""`tinygraph.testing`: check the gradients of your own layers from your own test suite.

`check_layer(layer)` runs `gradcheck` and the properties every layer must have, and fails with an
`AssertionError` that says which tensor is wrong, where, and by how much:

    from tinygraph.testing import check_layer
    def test_my_layer():
        check_layer(MyLayer(4, 3))

The Hypothesis strategies `layers()`, `arrays_for(layer)`, `networks()`, `graphs()` and `dags()` (and, for
images, sequences and normalisation, `conv_nets()`, `sequence_nets()`, `norm_layers()`, `embeddings()`) generate
float64 inputs kept where sigmoid and tanh do not saturate and away from ReLU's kink at 0, so a
failing example shrinks to a real bug instead of to numerical noise; `loss_cases()` draws
`(loss, pred, target)`: a built-in loss with random options and an input it accepts. They need Hypothesis
(`pip install hypothesis`, part of `tinygraph[test]`), and so does importing this module.

Choosing eps and dtype: gradcheck always differentiates a float64 copy, where eps=1e-6 leaves
relative errors near 1e-9 for a correct backward, far below the default rtol=1e-4. In float32 the
rounding error of a difference quotient, about 1e-7 / eps, and the truncation error, about eps**2,
cannot both be made small: no eps gets below about 1e-4 (docs/custom-layers.md measures it), which is
why a float32 layer or input is checked in float64 with a warning.
"""

try:
    import hypothesis  # noqa: F401
except ModuleNotFoundError as error:
    raise ModuleNotFoundError("tinygraph.testing needs Hypothesis: pip install hypothesis (or 'tinygraph[test]')") from error

from .check import check_layer
from .dags import DagRecipe, dag_inputs, dag_recipes, dags
from .losses import LOSSES, loss_cases
from .images import SMOOTH, conv_nets, embeddings, norm_layers, sequence_nets, signed
from .strategies import (
    ACTIVATIONS, arrays_for, batch_sizes, graphs, layers, matrices, networks, random_dense, seeds, values, widths,
)

__all__ = [
    "ACTIVATIONS", "arrays_for", "batch_sizes", "check_layer", "graphs", "layers", "matrices", "networks",
    "random_dense", "seeds", "values", "widths",
    "LOSSES", "loss_cases",  # losses with every option (testing/losses.py)
]
__all__ += ["DagRecipe", "dag_inputs", "dag_recipes", "dags"]  # random graphs of layers (DAGs)
__all__ += ["SMOOTH", "conv_nets", "embeddings", "norm_layers", "sequence_nets", "signed"]  # images, sequences, norms
