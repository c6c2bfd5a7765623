"""`tinygraph demo`: the article's network, trained as the blog trains it, and what its numbers say."""

import numpy as np

from .article import explain_first_iteration, train_article
from .cli_errors import check_outputs
from .datasets import article


def add_demo(commands, positive_int, seed, formatter_class):
    demo = commands.add_parser(
        "demo", help="train the article's 3-4-1 sigmoid network and print the loss at every iteration",
        formatter_class=formatter_class,
    )
    demo.add_argument("--iterations", type=positive_int, default=50, help="full-batch SGD steps (default 50)")
    demo.add_argument("--every", type=positive_int, metavar="N",
                      help="print the loss of every N-th iteration (default: all up to 99, then about 50 lines)")
    demo.add_argument("--seed", type=seed, default=1, help="seed for the initial weights (default 1)")
    demo.add_argument("--trace", action="store_true", help="first show one iteration layer by layer, beside the blog's variables")
    demo.add_argument("--plot", metavar="PNG", help="write the loss per iteration as a PNG (needs matplotlib)")
    demo.set_defaults(run=run_demo)


def shown_iterations(iterations, every=None):
    """The iterations whose loss the demo prints: 1, every `every`-th, and the last (`every` None: about 50)."""
    every = every or max(1, iterations // 50)
    return [i for i in range(1, iterations + 1) if i == 1 or i % every == 0 or i == iterations]


def loss_change(losses):
    """One line on how far the loss moved, relative to where it started: a small drop is called small."""
    first, last = losses[0], losses[-1]
    change = (first - last) / first if first else 0.0
    direction = "fell" if last < first else "rose"
    return f"the loss {direction} {abs(change):.1%} in {len(losses)} iterations, from {first:.6f} to {last:.6f}"


def verdict(target, prediction):
    """Whether the network has learned (every prediction on its target's side of 0.5), in lines of <= 100 columns."""
    wrong = int(np.count_nonzero((prediction > 0.5) != (target > 0.5)))
    if not wrong:
        return f"learned: every prediction is on its target's side of 0.5 (largest error {np.abs(target - prediction).max():.4f})"
    spread = np.abs(prediction - 0.5).max()
    if spread < 0.1:
        return (f"not learned yet: the predictions are still about 0.5 for every target (all within {spread:.2f} of it),\n"
                f"{wrong} of {len(target)} on the wrong side; train longer: tinygraph demo --iterations 5000")
    return f"not learned yet: {wrong} of {len(target)} predictions are on the wrong side of 0.5; train longer: --iterations 5000"


def run_demo(args, out):
    check_outputs(args)
    net, losses = train_article(args.iterations, args.seed)
    X, y = article()
    print(f"model: {net!r}", file=out)
    print(f"SumSquaredError, SGD lr=1.0, full batch of {len(X)}, weights U(-1, 1) from seed {args.seed}", file=out)
    if args.trace:
        print_first_iteration(args.seed, out)
    print(file=out)
    print("iteration  loss", file=out)
    for i in shown_iterations(args.iterations, args.every):
        print(f"{i:9d}  {losses[i - 1]:.6f}", file=out)
    print(loss_change(losses), file=out)
    print(file=out)
    print("x        target  prediction", file=out)
    predictions = net.predict(X)[:, 0]
    for x_row, target, prediction in zip(X, y[:, 0], predictions):
        print(f"{x_row.astype(int)!s:8} {target:6.0f}  {prediction:10.4f}", file=out)
    print(verdict(y[:, 0], predictions), file=out)
    if args.plot:
        from .plot import plot_history

        change = (losses[-1] - losses[0]) / losses[0] if losses[0] else 0.0
        title = f"tinygraph demo: the article's network\nloss {losses[0]:.4f} → {losses[-1]:.4f} ({change:+.1%})"
        plot_history({"loss": losses}, args.plot, title=title, xlabel="iteration")
        print(f"wrote {args.plot}", file=out)
    return 0


def print_first_iteration(seed, out):
    """Iteration 1 layer by layer, then each of the blog's variables beside where tinygraph has it."""
    record, pairs = explain_first_iteration(seed)
    print("\nIteration 1, layer by layer (forward down the table, backward of dL/dl2 = l2 - y back up):", file=out)
    print(record, file=out)
    for name, where, blog, ours in pairs:
        same = "equal" if np.allclose(blog, ours, rtol=1e-12, atol=1e-15) else "DIFFERENT"
        print(f"\n{name} (the blog's formula) = {where}: {same}", file=out)
        print(np.array2string(ours, precision=4, suppress_small=True), file=out)
