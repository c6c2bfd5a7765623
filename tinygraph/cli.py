"""The `tinygraph` command (also `python -m tinygraph`)."""

import argparse
import sys

from .article import train_article
from .datasets import article


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(prog="tinygraph", description="A small, readable neural-network framework on NumPy.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo = commands.add_parser(
        "demo", help="train the article's 3-4-1 sigmoid network and print the loss at every iteration"
    )
    demo.add_argument("--iterations", type=positive_int, default=50, help="full-batch SGD steps (default 50)")
    demo.add_argument("--seed", type=int, default=1, help="seed for the initial weights (default 1)")
    demo.set_defaults(run=run_demo)
    return parser


def run_demo(args, out):
    net, losses = train_article(args.iterations, args.seed)
    X, y = article()
    print(f"The article's network: {net!r}", file=out)
    print(f"SumSquaredError, SGD lr=1.0, full batch of {len(X)}, weights U(-1, 1) from seed {args.seed}", file=out)
    print(file=out)
    print("iteration  loss", file=out)
    for i, value in enumerate(losses, start=1):
        print(f"{i:9d}  {value:.6f}", file=out)
    print(file=out)
    print("x        target  prediction", file=out)
    for x_row, target, prediction in zip(X, y[:, 0], net(X)[:, 0]):
        print(f"{x_row.astype(int)!s:8} {target:6.0f}  {prediction:10.4f}", file=out)
    return 0


def main(argv=None, out=None):
    """Run the command line with `argv` (default `sys.argv[1:]`); return the exit code."""
    args = build_parser().parse_args(argv)
    return args.run(args, out or sys.stdout)
