"""Speed benchmarks, measured side by side in one run: `python benchmarks/run.py [--quick]`.

Each workload is timed with `time.perf_counter` after a warm-up, as the best of several repeats, and
reported as a ratio to the hand-written NumPy code it replaces, so machines can be compared.
"""

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
import tinygraph as tg  # noqa: E402


def best_time(step, number, repeat):
    """Seconds per call of `step()`: the best of `repeat` runs of `number` calls, after a warm-up."""
    for _ in range(max(1, number // 10)):
        step()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            step()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def article_step_by_hand():
    """One full-batch step of the blog's own loop, error included, float64."""
    X, y = tg.datasets.article()
    rng = np.random.default_rng(1)
    synapses_0, synapses_1 = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (4, 1))

    def step():
        nonlocal synapses_0, synapses_1
        l1 = 1 / (1 + np.exp(-(X @ synapses_0)))
        l2 = 1 / (1 + np.exp(-(l1 @ synapses_1)))
        error = 0.5 * np.sum((y - l2) ** 2)
        l2_delta = (y - l2) * l2 * (1 - l2)
        l1_delta = (l2_delta @ synapses_1.T) * l1 * (1 - l1)
        synapses_1 += l1.T @ l2_delta
        synapses_0 += X.T @ l1_delta
        return error

    return step


def article_step_tinygraph():
    """The same step as tinygraph's configuration: zero_grad, loss, backward, SGD step."""
    X, y = tg.datasets.article()
    net = tg.article_network(1)
    loss, opt = tg.SumSquaredError(), tg.SGD(net.parameters(), lr=1.0)

    def step():
        opt.zero_grad()
        error = loss(net(X), y)
        net.backward(loss.backward())
        opt.step()
        return error

    return step


def machine():
    blas = "threadpoolctl not installed"
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)" for i in threadpool_info())
    except ImportError:
        pass
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, NumPy {np.__version__}, BLAS: {blas}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: checks that everything runs, not a measurement")
    args = parser.parse_args(argv)
    number, repeat = (20, 2) if args.quick else (2000, 7)

    print(f"machine: {machine()}")
    print()
    rows = []
    hand = best_time(article_step_by_hand(), number, repeat)
    ours = best_time(article_step_tinygraph(), number, repeat)
    rows.append(("article 3-4-1 step, float64", "hand-written NumPy", hand, ours))

    print(f"{'workload':32} {'baseline':20} {'baseline us':>12} {'tinygraph us':>13} {'ratio':>6}")
    for workload, baseline, base_time, our_time in rows:
        print(f"{workload:32} {baseline:20} {base_time * 1e6:12.1f} {our_time * 1e6:13.1f} {our_time / base_time:6.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
