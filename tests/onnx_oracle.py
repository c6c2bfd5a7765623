"""What the ONNX tests compare with: onnxruntime running a file, and the tolerance for float32 against float64.

`predict` runs in float64; onnxruntime runs the exported float32 file. The two differ by the rounding of
the inputs, the weights and each operation to float32 (relative 6e-8 each), which grows with the depth
and width of the model but stays near 1e-6 for the models tested here. So an output must equal
`predict` within 1e-5 relative to the size of that output: `|ort - predict| <= 1e-5 * (|predict| +
max |predict|)`, elementwise. The second term is the scale of the output, so that a value that comes
out near 0 by cancellation is held to the same absolute error as its neighbours.
"""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the ONNX tests need onnx and onnxruntime: pip install 'tinygraph[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="the ONNX tests need onnx and onnxruntime: pip install 'tinygraph[onnx]'")

RTOL = 1e-5


def run_file(path, *xs):
    """The outputs onnxruntime computes for the file at `path` from the inputs `xs`, as a tuple."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {}
    for given, x in zip(session.get_inputs(), xs):
        dtype = np.float64 if given.type == "tensor(double)" else np.float32 if given.type == "tensor(float)" else np.int64
        feeds[given.name] = np.asarray(x).astype(dtype)
    return tuple(session.run(None, feeds))


def outputs(model, *xs):
    """`model.predict` of `xs`, as a tuple of outputs."""
    y = model.predict(xs if len(xs) > 1 else xs[0])
    return y if isinstance(y, tuple) else (y,)


def assert_close(got, want, rtol=RTOL):
    """Each array of `got` equals the one of `want` within `rtol` relative to its scale (module docstring)."""
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a.shape == b.shape, (a.shape, b.shape)
        scale = np.abs(b).max() if b.size else 0.0
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


def exported_matches(model, xs, path, **settings):
    """Export `model` to `path` for inputs shaped as `xs`, check the file, and compare onnxruntime with `predict`
    on `xs` and on a batch of another size (the batch axis is dynamic)."""
    import tinygraph as tg

    shapes = [x.shape[1:] for x in xs]
    tg.export_onnx(model, path, input_shape=shapes if len(xs) > 1 else shapes[0], **settings)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    assert_close(run_file(path, *xs), outputs(model, *xs))
    more = tuple(np.concatenate([x, x[:1], x[:1]]) for x in xs)  # two samples more
    assert_close(run_file(path, *more), outputs(model, *more))
