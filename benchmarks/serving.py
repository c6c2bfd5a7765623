"""Serving workloads for `benchmarks/run.py`: where to run an exported model, and what export costs.

- predict: the MLP 784-512-512-10 (float32) on a batch of 256, `model.predict` against onnxruntime on
  the file `tg.export_onnx` wrote, with the same number of threads (onnxruntime's intra-op threads);
  and one sample at a time, where the fixed cost of a call dominates;
- export and import: `tg.export_onnx` and `tg.import_onnx` of the digits CNN (target: under a second).

onnxruntime comes with the `onnx` extra (`pip install 'tinygraph[onnx]'`); without it these rows are
skipped with a note.
"""

import tempfile
import time
from pathlib import Path

import numpy as np

import tinygraph as tg
from tinygraph.models import digits_cnn

try:
    import onnxruntime
except ImportError:
    onnxruntime = None


def run(best_times, print_row, make_model, x, threads, quick):
    """Print the serving rows for the model `make_model()` on the batch `x` (run.py's helpers do the timing)."""
    if onnxruntime is None:
        print("serving: skipped, onnxruntime is not installed (pip install 'tinygraph[onnx]')")
        return
    model = make_model().eval()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mlp.onnx"
        tg.export_onnx(model, path, input_shape=x.shape[1:])
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        assert np.allclose(session.run(None, {"input": x})[0], model.predict(x), rtol=1e-4, atol=1e-4)
        one = x[:1]
        ours, theirs, ours_one, theirs_one = best_times(
            [lambda: model.predict(x), lambda: session.run(None, {"input": x}),
             lambda: model.predict(one), lambda: session.run(None, {"input": one})], *((5, 2) if quick else (100, 10)))
        cnn, images = digits_cnn(10, 0), np.zeros((1, 1, 8, 8))
        cnn_path = Path(folder) / "cnn.onnx"
        start = time.perf_counter()
        tg.export_onnx(cnn, cnn_path, input_shape=images.shape[1:])
        exported = time.perf_counter()
        tg.import_onnx(cnn_path)
        imported = time.perf_counter()
    version = f"onnxruntime {onnxruntime.__version__}"
    print_row(f"serving MLP, batch {len(x)}, f32", "tinygraph predict", f"{ours * 1e6:10.1f} us", f"{1:5.2f}x", "")
    print_row("", version, f"{theirs * 1e6:10.1f} us", f"{theirs / ours:5.2f}x", "the exported file")
    print_row("serving MLP, one sample, f32", "tinygraph predict", f"{ours_one * 1e6:10.1f} us", f"{1:5.2f}x", "")
    print_row("", version, f"{theirs_one * 1e6:10.1f} us", f"{theirs_one / ours_one:5.2f}x", "")
    print(f"digits CNN: export_onnx {exported - start:.3f} s, import_onnx {imported - exported:.3f} s (target < 1 s each)")
