"""ONNX: `export_onnx(model, path)` writes a model for onnxruntime, PyTorch and the rest of the ONNX world;
`import_onnx(path)` reads one back, or one that PyTorch wrote, as tinygraph layers.

Both need the `onnx` package (`pip install 'tinygraph[onnx]'`), imported only when they are called.
One module per family of layers holds both directions side by side, as a layer holds its forward and
its backward: `dense.py` (Dense, Embedding), `pointwise.py` (activations, Dropout, Identity),
`shape.py` (Flatten, Reshape, Permute), `images.py` (convolutions, poolings, norms), `containers.py`
(containers, graphs, merges). `builder.py` is the `g` every exporter writes with, also a user's
`to_onnx(g, *xs)`; `patterns.py` the few layers that are several nodes; `export.py`, `read.py`,
`node.py` and `importer.py` the two directions' machinery.
"""

from .export import export_onnx
from .importer import import_onnx

__all__ = ["export_onnx", "import_onnx"]
