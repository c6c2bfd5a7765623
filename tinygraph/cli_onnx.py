"""`tinygraph export MODEL.npz OUT.onnx` and `tinygraph import IN.onnx MODEL.npz`: the outgrow path on the command line.

Both need the `onnx` extra; without it they fail with one line saying what to install (`cli_errors`).
"""

import argparse

from .cli_errors import UsageError, writable
from .io import load, save
from .onnx import export_onnx, import_onnx


def add_onnx(commands):
    export = commands.add_parser("export", help="write a saved model (.npz) as an ONNX file for onnxruntime, PyTorch, ...")
    export.add_argument("model", metavar="MODEL.npz", help="a model saved by tg.save or tinygraph train --save")
    export.add_argument("out", metavar="OUT.onnx", help="the ONNX file to write")
    export.add_argument("--input-shape", type=shape, action="append", metavar="C,H,W",
                        help="one sample's shape, e.g. 1,28,28 (needed unless the model starts with Dense; "
                             "once per input for a graph of several inputs)")
    export.add_argument("--opset", type=int, help="the ONNX opset to write (default 20; 17 to 25)")
    export.add_argument("--float64", action="store_true", help="write float64 weights and inputs (default float32)")
    export.set_defaults(run=run_export)
    read = commands.add_parser("import", help="read an ONNX file (from export, or a plain MLP or CNN from PyTorch) and save it (.npz)")
    read.add_argument("onnx", metavar="IN.onnx", help="the ONNX file to read")
    read.add_argument("out", metavar="MODEL.npz", help="where to save the model, for tg.load")
    read.set_defaults(run=run_import)


def shape(text):
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated sizes such as 1,28,28, got {text!r}") from None
    if min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return sizes


def run_export(args, out):
    import numpy as np

    writable("OUT.onnx", args.out)
    model = load(args.model)
    shapes = args.input_shape
    input_shape = None if shapes is None else shapes[0] if len(shapes) == 1 else shapes
    try:
        export_onnx(model, args.out, input_shape=input_shape, dtype=np.float64 if args.float64 else np.float32, opset=args.opset)
    except ValueError as error:
        if "cannot tell the" in str(error):
            raise UsageError(f"export: cannot tell the input shape of the {type(model).__name__} in {args.model}; give "
                             "one sample's shape: --input-shape 1,28,28 (once per input for several)") from None
        raise
    print(f"wrote {args.out}: {described(model)}", file=out)
    return 0


def run_import(args, out):
    writable("MODEL.npz", args.out)
    model = import_onnx(args.onnx)
    save(model, args.out)
    print(f"saved {described(model)} to {args.out}", file=out)
    return 0


def described(model):
    """`a Sequential of 7 layers and 1,234 parameters`: one line, however large the model."""
    n_layers = sum(1 for layer in model.all_layers() if not layer.holds_layers())
    n_values = sum(p.value.size for p in model.parameters())
    return f"a {type(model).__name__} of {n_layers} layers and {n_values:,} parameters"
