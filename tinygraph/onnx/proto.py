"""What export and import share: the `onnx` package (imported only when needed), the opsets and the types.

tinygraph runs without `onnx`; `need_onnx(owner)` imports it at the moment a function needs it, or
raises a `ModuleNotFoundError` that says what to install.

Opsets: export writes opset 20 by default (what PyTorch 2.13's exporter writes), any of 17 to 25 on
request (17 brings LayerNormalization; below 20, which brings Gelu, a GELU is written as its formula).
Import reads opsets 13 to 25: over that range the operators it reads changed only in the types they
accept, never in what they compute.
"""

import numpy as np

DEFAULT_OPSET = 20
EXPORT_OPSETS = range(17, 26)
IMPORT_OPSETS = range(13, 26)
INSTALL = "pip install 'tinygraph[onnx]'"

# ONNX's TensorProto data types (onnx.TensorProto.FLOAT, ...) that tinygraph writes and reads, and NumPy's for them
FLOAT, INT32, INT64, DOUBLE = 1, 6, 7, 11
NUMPY_TYPES = {FLOAT: np.dtype("<f4"), DOUBLE: np.dtype("<f8"), INT64: np.dtype("<i8"), INT32: np.dtype("<i4")}
TYPE_NAMES = {FLOAT: "float32", DOUBLE: "float64", INT64: "int64", INT32: "int32"}


def need_onnx(owner):
    """The `onnx` module, or a `ModuleNotFoundError` naming `owner` and what to install."""
    try:
        import onnx
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(f"{owner} needs onnx: {INSTALL}") from error
    return onnx


def decimal(value):
    """A number read from a file, as the decimal it was written from when it was stored as a float32 (ONNX's
    float attributes always are): `1e-5`, not `9.99999974737875e-06`, so that settings print as they were set."""
    if isinstance(value, np.ndarray):
        value, single = value.reshape(()), value.dtype == np.float32
        value = value.item()
    else:
        single = True
    return float(str(np.float32(value))) if single and np.float32(value) == value else float(value)


def onnx_type(dtype):
    """ONNX's data type for a NumPy float or integer dtype (integers are written as int64)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iub":
        return INT64
    return DOUBLE if dtype == np.float64 else FLOAT
