"""The `tinygraph` command (also `python -m tinygraph`). How it fails, for every subcommand: `cli_errors`."""

import argparse
import shutil
import sys
import textwrap

import numpy as np

from . import datasets
from .article import article_network
from .cli_demo import add_demo
from .cli_errors import CommandError, check_outputs, fits_in_memory, run_guarded
from .cli_onnx import add_onnx
from .containers import Sequential
from .datasets import article
from .explain import explain
from .io import save
from .layers import Dense, Dropout, ReLU, Sigmoid, Tanh
from .losses import SoftmaxCrossEntropy, SumSquaredError
from .models import digits_cnn
from .optim import SGD, Adam
from .inspect.selfcheck import builtin_cases, run_checks
from .text import table
from .training import evaluate, fit
from .version import __version__

# dataset -> (loader(rng), default hidden widths, default epochs)
DATASETS = {
    "digits": (lambda rng: datasets.digits(), "128", 50),
    "spirals": (lambda rng: datasets.spirals(seed=rng), "64,64", 100),
    "moons": (lambda rng: datasets.moons(seed=rng), "16,16", 50),
    "xor": (lambda rng: datasets.xor(n_samples=400, noise=0.1, seed=rng), "8", 50),
}
ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}
MODELS = {"mlp": None, "cnn": 20}  # --model -> its default epochs (None: the dataset's)


def check_model_options(args):
    """`--model cnn` trains on images and has no hidden widths, activation or dropout to choose: a usage error."""
    if args.model != "cnn":
        return
    if args.dataset != "digits":
        args.parser.error(f"--model cnn needs images: only the digits dataset has them, not {args.dataset}")
    given = [option for option, value in (("--hidden", args.hidden), ("--activation", args.activation),
                                          ("--dropout", args.dropout)) if value is not None]
    if given:
        args.parser.error(f"{', '.join(given)}: options of --model mlp; --model cnn is tinygraph.models.digits_cnn")


def checked(convert, ok, rule):
    """An argparse type: `convert(text)`, refused unless `ok(value)`, explained as `rule`."""

    def parse(text):
        value = convert(text)
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {rule}, got {text}")
        return value

    parse.__name__ = convert.__name__  # argparse names it in "invalid int value: 'x'"
    return parse


positive_int = checked(int, lambda value: value >= 1, "a positive integer")
seed = checked(int, lambda value: value >= 0, "an int >= 0")
positive_float = checked(float, lambda value: 0 < value < float("inf"), "a finite number > 0")
non_negative_float = checked(float, lambda value: 0 <= value < float("inf"), "a finite number >= 0")
probability = checked(float, lambda value: 0 <= value < 1, "in [0, 1)")


def help_formatter(prog):
    """argparse's help, wrapped to the terminal as usual, but never wider than 100 columns."""
    return argparse.HelpFormatter(prog, width=min(shutil.get_terminal_size().columns, 102) - 2)


def build_parser():
    parser = argparse.ArgumentParser(prog="tinygraph", description="A small, readable neural-network framework on NumPy.",
                                     formatter_class=help_formatter)
    parser.add_argument("--version", action="version", version=f"tinygraph {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_demo(commands, positive_int, seed, help_formatter)

    check = commands.add_parser(
        "gradcheck", help="check every built-in layer and loss (and the article's network) against finite differences",
        formatter_class=help_formatter,
    )
    check.set_defaults(run=run_gradcheck)

    train = commands.add_parser(
        "train", help="train an MLP classifier on a dataset; print per-epoch progress and the test accuracy",
        formatter_class=help_formatter,
    )
    train.add_argument("dataset", choices=sorted(DATASETS))
    train.add_argument("--epochs", type=positive_int, help="passes over the training set (digits 50, spirals 100, ...)")
    train.add_argument("--model", choices=sorted(MODELS), default="mlp",
                       help="mlp (default): Dense layers; cnn: a small CNN on the 8x8 images (digits only, 20 epochs)")
    train.add_argument("--hidden", type=widths, help="mlp: hidden layer widths, comma-separated (digits 128, spirals 64,64)")
    train.add_argument("--activation", choices=sorted(ACTIVATIONS), help="mlp: default relu")
    train.add_argument("--dropout", type=probability, help="mlp: Dropout after each hidden layer (default 0)")
    train.add_argument("--lr", type=positive_float, default=0.1, help="learning rate (default 0.1)")
    train.add_argument("--momentum", type=non_negative_float, default=0.9, help="SGD momentum (default 0.9)")
    train.add_argument("--batch-size", type=positive_int, default=32, help="default 32")
    train.add_argument("--seed", type=seed, default=0, help="seed for data, split, weights and shuffling (default 0)")
    train.add_argument("--save", metavar="PATH", help="save the trained model to PATH (.npz)")
    train.add_argument("--plot", metavar="PNG", help="write loss/accuracy curves (and, for 2-D data, the decision boundary)")
    train.set_defaults(run=run_train, parser=train)
    add_explain(commands)
    add_onnx(commands)
    return parser


def widths(text):
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers such as 64,64, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"widths must be positive, got {text!r}")
    return values


def mlp(sizes, activation, rng, dropout=0.0):
    """`Dense >> activation [>> Dropout] >> ... >> Dense` through `sizes`; the last layer gives logits.

    He-uniform weights: Glorot's are too small for a 2-D input feeding 64 tanh units.
    """
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(Dense(n_in, n_out, init="he_uniform", rng=rng))
        if i < len(sizes) - 2:
            layers.append(activation())
            if dropout:
                layers.append(Dropout(dropout, rng=rng))
    return Sequential(*layers)


def run_train(args, out):
    check_model_options(args)
    check_outputs(args)
    load, default_hidden, default_epochs = DATASETS[args.dataset]
    rng = np.random.default_rng(args.seed)
    try:
        X, y = load(rng)
    except ModuleNotFoundError as error:
        raise CommandError(str(error)) from error
    if args.model == "cnn":
        X = X.reshape(len(X), 1, 8, 8)  # the digits as images: (n, channels, height, width)
    (X_train, y_train), (X_test, y_test) = datasets.train_test_split(X, y, test_fraction=0.2, seed=rng)
    epochs = args.epochs or MODELS[args.model] or default_epochs
    if args.model == "cnn":
        net = digits_cnn(int(y.max()) + 1, rng)
    else:
        sizes = [X.shape[1], *(args.hidden or widths(default_hidden)), int(y.max()) + 1]
        fits_in_memory("--hidden", sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:])))
        net = mlp(sizes, ACTIVATIONS[args.activation or "relu"], rng, args.dropout or 0.0)
    loss = SoftmaxCrossEntropy()
    optimizer = SGD(net.parameters(), lr=args.lr, momentum=args.momentum)
    samples = f"{X.shape[1]} features" if X.ndim == 2 else f"shape {X.shape[1:]}"
    print(f"{args.dataset}: {len(X_train)} training and {len(X_test)} test samples of {samples}", file=out)
    model = repr(net)  # a line too long for 100 columns goes below its label
    print(f"model:\n{model}" if "\n" not in model and len(model) > 93 else f"model: {model}", file=out)
    print(f"loss: SoftmaxCrossEntropy, optimizer: {optimizer!r}", file=out)
    print("(val_ columns: the test samples, evaluated after each epoch; they do not steer training)", file=out)
    history = fit(
        net, loss, optimizer, X_train, y_train, epochs=epochs, batch_size=args.batch_size, seed=rng,
        validation_data=(X_test, y_test), progress=out,
    )
    accuracy = evaluate(net, loss, X_test, y_test)["accuracy"]
    print(f"test accuracy: {accuracy:.2%} ({round(accuracy * len(X_test))} of {len(X_test)})", file=out)
    if args.save:
        save(net, args.save)
        print(f"saved the model to {args.save}", file=out)
    if args.plot:
        from .plot import plot_run

        boundary = dict(predict=net.predict, X=X_train, y=y_train, test=(X_test, y_test)) if X.ndim == 2 and X.shape[1] == 2 else {}
        plot_run(history.history, args.plot, title=f"tinygraph train {args.dataset}", **boundary)
        print(f"wrote {args.plot}", file=out)
    return 0


# example -> (hidden widths, steps, every) for `tinygraph explain`; demo is the article's network
EXPLAIN_EXAMPLES = {"demo": ((), 500, 5), "xor": ((4,), 200, 2), "moons": ((8, 8), 200, 2), "spirals": ((16, 16), 400, 4)}


def add_explain(commands):
    command = commands.add_parser(
        "explain", help="train a small network and write one HTML page that shows every step (open it in a browser)",
        formatter_class=help_formatter,
    )
    command.add_argument("example", choices=list(EXPLAIN_EXAMPLES))
    command.add_argument("--steps", type=positive_int, help="full-batch training steps (demo 500, xor and moons 200, spirals 400)")
    command.add_argument("--every", type=positive_int, help="record every N-th step, and the last (demo 5, xor and "
                         "moons 2, spirals 4; every step when --steps is smaller)")
    command.add_argument("--out", metavar="PAGE.html", default="explain.html", help="the page to write (default explain.html)")
    command.set_defaults(run=run_explain)


def run_explain(args, out):
    """The article's network as `tinygraph demo` trains it, or a tanh MLP trained by Adam on 2-D data."""
    hidden, steps, every = EXPLAIN_EXAMPLES[args.example]
    steps = args.steps or steps
    every = args.every or (every if steps >= every else 1)  # fewer steps than the default spacing: each one
    if args.example == "demo":
        X, target = article()
        net = article_network(1)
        loss, optimizer = SumSquaredError(), SGD(net.parameters(), lr=1.0)
    else:
        rng = np.random.default_rng(0)
        X, target = DATASETS[args.example][0](rng)
        net = mlp([2, *hidden, 2], Tanh, rng)
        loss, optimizer = SoftmaxCrossEntropy(), Adam(net.parameters(), lr=0.03)
    try:
        explain(net, loss, optimizer, X, target, steps=steps, every=every, path=args.out)
    except OSError as error:  # the page cannot be written there
        raise CommandError(str(error)) from None
    print(f"model: {net!r}\n{steps} steps, recorded every {every}", file=out)
    print(f"wrote {args.out}: open it in a browser", file=out)
    return 0


LABEL_WIDTH = 60  # gradcheck's first column; with the numbers, a line of at most 92 characters


def run_gradcheck(args, out):
    results = run_checks(builtin_cases())
    rows = []
    for label, report in results:
        max_abs = max((row.max_abs for row in report.rows), default=0.0)
        max_rel = max((row.max_rel for row in report.rows), default=0.0)
        first, *rest = textwrap.wrap(label, LABEL_WIDTH, subsequent_indent="  ", break_long_words=False) or [""]
        rows.append([first, f"{max_abs:.2e}", f"{max_rel:.2e}", "ok" if report.ok else "FAILED"])
        rows += [[part, "", "", ""] for part in rest]  # a long label goes on, so the table fits in 100 columns
    print("\n".join(table(["checked", "max abs err", "max rel err", "result"], rows, right={1, 2})), file=out)
    failed = [(label, report) for label, report in results if not report.ok]
    for label, report in failed:
        print(f"\n{report}", file=out)
    print(f"\n{len(results) - len(failed)} of {len(results)} passed (float64 central differences, eps=1e-6, atol=1e-5, rtol=1e-4)", file=out)
    return 1 if failed else 0


def main(argv=None, out=None):
    """Run the command line with `argv` (default `sys.argv[1:]`); return the exit code (see `cli_errors`)."""
    args = build_parser().parse_args(argv)  # bad usage: argparse prints it and exits with 2
    out = out or sys.stdout
    return run_guarded(lambda: args.run(args, out), out)
