"""Speed benchmarks, side by side in one run: `python benchmarks/run.py [--quick] [--threads N]`.

Every workload is timed with `time.perf_counter`, after a warm-up, as the best of several repeats,
with the same number of BLAS threads for every side (NumPy's through threadpoolctl, PyTorch's through
`torch.set_num_threads`). Results are ratios to a baseline measured in the same run, so they compare
across machines:

- article: one full-batch step of the blog's 3-4-1 network (float64, error included), tinygraph vs
  the hand-written NumPy loop (and PyTorch when installed);
- mlp: one SGD step of a 784-512-512-10 ReLU net with softmax cross-entropy, batch 256, float32, as
  a multiple of the time of the 8 matrix products the step needs, run alone at their real shapes;
- digits: 50 epochs of a 64-128-10 ReLU net (SGD momentum 0.9, lr 0.1, batch 32) on scikit-learn's
  digits in float32 on every side: tinygraph's `fit` vs scikit-learn's MLPClassifier (and PyTorch),
  with test accuracies; the best of 3 runs of each, the sides taking turns (a single run of either
  side moved by 10% from one run of this script to the next);
- memory: traced memory over many training steps, and what one steady-state step allocates;
- explain: writing the explain page (`tg.explain`) of the article's demo and of spirals with 200
  recorded steps, as a multiple of the same training without recording, with the page's size.

- serving: the MLP's `predict` beside onnxruntime on the file `tg.export_onnx` wrote (batch 256 and one
  sample), and the time to export and import the digits CNN (`benchmarks/serving.py`; needs the `onnx` extra).

- graph: the article's step and the MLP's step with the same layers as a `tg.Graph` (a chain of calls on
  nodes) instead of a `Sequential`: what the graph executor costs.

PyTorch is used when installed (`pip install torch==2.13.0`, the CPU build), scikit-learn with the
`bench` extra; missing ones are skipped with a note.
"""

import argparse
import gc
import os
import platform
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
import tinygraph as tg  # noqa: E402
from tinygraph.cli import mlp  # noqa: E402

import images  # noqa: E402  (benchmarks/images.py)
import serving  # noqa: E402  (benchmarks/serving.py)

try:
    import torch
except ImportError:
    torch = None
try:
    import sklearn.neural_network
except ImportError:
    sklearn = None
try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:
    threadpool_info = threadpool_limits = None


def best_times(steps, number, repeat):
    """Seconds per call of each of `steps`, the best of `repeat` rounds of `number` calls.

    The steps take turns within each round, so that a busy moment of the machine hits them alike.
    """
    for step in steps:
        for _ in range(max(2, number // 5)):
            step()
    best = [float("inf")] * len(steps)
    for _ in range(repeat):
        for i, step in enumerate(steps):
            gc.collect()
            start = time.perf_counter()
            for _ in range(number):
                step()
            best[i] = min(best[i], (time.perf_counter() - start) / number)
    return best


# -- article: the blog's 3-4-1 network ----------------------------------------------------------------


def article_by_hand():
    """One step of the blog's own loop, with the error computed, float64."""
    X, y = tg.datasets.article()
    net = tg.article_network(1)
    synapses_0, synapses_1 = net[0].weight.value.copy(), net[2].weight.value.copy()

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


def article_tinygraph(graph=False):
    """The same step in tinygraph, as a training loop writes it (the input's gradient is not asked for)."""
    X, y = tg.datasets.article()
    net = as_graph(tg.article_network(1)) if graph else tg.article_network(1)
    loss, opt = tg.SumSquaredError(), tg.SGD(net.parameters(), lr=1.0)

    def step():
        opt.zero_grad()
        error = loss(net(X, needs_dx=False), y)
        net.backward(loss.backward())
        opt.step()
        return error

    return step


def article_torch():
    X, y = (torch.from_numpy(a) for a in tg.datasets.article())
    net = tg.article_network(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 4, bias=False), torch.nn.Sigmoid(), torch.nn.Linear(4, 1, bias=False), torch.nn.Sigmoid()
    ).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(net[0].weight.value.T))
        model[2].weight.copy_(torch.from_numpy(net[2].weight.value.T))
    opt = torch.optim.SGD(model.parameters(), lr=1.0)

    def step():
        opt.zero_grad(set_to_none=True)
        error = 0.5 * ((model(X) - y) ** 2).sum()
        error.backward()
        opt.step()
        return error.item()

    return step


# -- mlp: 784-512-512-10, float32, batch 256 ------------------------------------------------------------

SIZES, N_BATCH, LR = (784, 512, 512, 10), 256, 0.01


def mlp_data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((N_BATCH, SIZES[0])).astype(np.float32), rng.integers(0, SIZES[-1], N_BATCH)


def mlp_net():
    return mlp(list(SIZES), tg.ReLU, np.random.default_rng(0)).astype(np.float32)


def mlp_gemms():
    """The 8 matrix products of one step at their real shapes, into preallocated outputs: the floor."""
    x, _ = mlp_data()
    W = [layer.weight.value for layer in mlp_net() if isinstance(layer, tg.Dense)]
    h = [x] + [np.zeros((N_BATCH, w.shape[1]), np.float32) for w in W]
    dh = [np.zeros_like(a) for a in h]
    dW = [np.zeros_like(w) for w in W]

    def step():
        for i, w in enumerate(W):  # 3 forward
            np.matmul(h[i], w, out=h[i + 1])
        for i in reversed(range(len(W))):  # 3 weight gradients, and the input gradients of layers 2 and 3
            np.matmul(h[i].T, dh[i + 1], out=dW[i])
            if i > 0:
                np.matmul(dh[i + 1], W[i].T, out=dh[i])

    return step


def mlp_by_hand():
    """The step written out in NumPy: ReLU, softmax cross-entropy, plain SGD."""
    x, y = mlp_data()
    params = [p.value for p in mlp_net().parameters()]
    rows = np.arange(N_BATCH)

    def step():
        W1, b1, W2, b2, W3, b3 = params
        z1 = x @ W1 + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0)
        z3 = h2 @ W3 + b3
        e = np.exp(z3 - z3.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        error = -np.log(p[rows, y]).mean()
        p[rows, y] -= 1
        dz3 = p / N_BATCH
        dz2 = (dz3 @ W3.T) * (z2 > 0)
        dz1 = (dz2 @ W2.T) * (z1 > 0)
        for param, grad in zip(params, [x.T @ dz1, dz1.sum(0), h1.T @ dz2, dz2.sum(0), h2.T @ dz3, dz3.sum(0)]):
            param -= LR * grad
        return error

    return step


def mlp_tinygraph(graph=False):
    x, y = mlp_data()
    net = as_graph(mlp_net()) if graph else mlp_net()
    loss, opt = tg.SoftmaxCrossEntropy(), tg.SGD(net.parameters(), lr=LR)

    def step():
        opt.zero_grad()
        error = loss(net(x, needs_dx=False), y)
        net.backward(loss.backward())
        opt.step()
        return error

    return step


def as_graph(net):
    """The layers of the `Sequential` `net` called one after another on nodes: the same model as a `tg.Graph`."""
    x = y = tg.Input()
    for layer in net:
        y = layer(y)
    return tg.Graph(x, y)


def mlp_torch():
    x, y = mlp_data()
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)
    )
    loss, opt = torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        opt.zero_grad(set_to_none=True)
        error = loss(model(x), y)
        error.backward()
        opt.step()
        return error.item()

    return step


# -- digits: 64-128-10, 50 epochs -----------------------------------------------------------------------


def digits_split():
    """The 8x8 digits as float32 (what PyTorch computes in anyway; scikit-learn keeps float32), 80/20."""
    X, y = tg.datasets.digits()
    return tg.datasets.train_test_split(X.astype(np.float32), y, test_fraction=0.2, seed=0)


def digits_tinygraph(train, test, epochs):
    rng = np.random.default_rng(0)
    net = mlp([64, 128, 10], tg.ReLU, rng).astype(np.float32)
    loss = tg.SoftmaxCrossEntropy()
    start = time.perf_counter()
    tg.fit(net, loss, tg.SGD(net.parameters(), lr=0.1, momentum=0.9), *train, epochs=epochs, batch_size=32,
           seed=rng, progress=False)
    seconds = time.perf_counter() - start
    return seconds, tg.evaluate(net, loss, *test)["accuracy"]


def digits_sklearn(train, test, epochs):
    model = sklearn.neural_network.MLPClassifier(
        hidden_layer_sizes=(128,), activation="relu", solver="sgd", learning_rate_init=0.1, momentum=0.9,
        nesterovs_momentum=False, batch_size=32, max_iter=epochs, alpha=0.0, tol=0.0, n_iter_no_change=epochs + 1,
        random_state=0,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():  # it warns that 50 epochs did not "converge": expected, we asked for 50
        warnings.simplefilter("ignore")
        model.fit(*train)
    seconds = time.perf_counter() - start
    return seconds, model.score(*test)


def digits_torch(train, test, epochs):
    torch.manual_seed(0)
    X, y = torch.from_numpy(train[0]), torch.from_numpy(train[1])
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    loss, opt = torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    start = time.perf_counter()
    for _ in range(epochs):
        images.torch_epoch(model, loss, opt, X, y)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        predicted = model(torch.from_numpy(test[0])).argmax(1).numpy()
    return seconds, float(np.mean(predicted == test[1]))


# -- memory ----------------------------------------------------------------------------------------------


def memory(make_step, steps):
    """Traced memory after 10% and after all of `steps` training steps, and what one more step needs:
    the most it holds at once beyond the steady state (its transient arrays), and what it leaves behind."""
    step = make_step()
    tracemalloc.start()
    early = None
    for i in range(steps):
        step()
        if i + 1 == steps // 10:
            early = tracemalloc.get_traced_memory()[0]
    late = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    step()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return early, late, peak - late, current - late


def explain_runs(folder):
    """`(name, train, explain)` pairs: the same full-batch training, plain and with every recorded step
    written to an explain page in `folder` (as `tinygraph explain demo` and `spirals --steps 200 --every 1`)."""
    X_article, y_article = tg.datasets.article()
    X_spirals, y_spirals = tg.datasets.spirals(seed=np.random.default_rng(0))

    def article(record):
        net = tg.article_network(1)
        run(net, tg.SumSquaredError(), tg.SGD(net.parameters(), lr=1.0), X_article, y_article, 500, 5, record)

    def spirals(record):
        net = mlp([2, 16, 16, 2], tg.Tanh, np.random.default_rng(0))
        run(net, tg.SoftmaxCrossEntropy(), tg.Adam(net.parameters(), lr=0.03), X_spirals, y_spirals, 200, 1, record)

    def run(net, loss, optimizer, X, target, steps, every, record):
        if record:
            tg.explain(net, loss, optimizer, X, target, steps=steps, every=every, path=record)
            return
        for _ in range(steps + 1):  # explain evaluates the trained model once more
            optimizer.zero_grad()
            loss(net(X, needs_dx=False), target)
            net.backward(loss.backward())
            optimizer.step()

    return [("explain article demo, 500 steps / 5", article, folder / "article.html"),
            ("explain spirals 2-16-16-2, 200 steps", spirals, folder / "spirals.html")]


def machine(threads):
    blas = "threadpoolctl not installed (pip install threadpoolctl)"
    if threadpool_info is not None:
        blas = ", ".join(f"{i['internal_api']} {i.get('version')} {i['num_threads']} threads" for i in threadpool_info())
    torch_text = f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else "PyTorch not installed"
    sk = f"scikit-learn {sklearn.__version__}" if sklearn else "scikit-learn not installed"
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, NumPy {np.__version__}, "
            f"BLAS: {blas}; {torch_text}; {sk}; threads per side: {threads}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few repeats and epochs: checks that everything runs")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="BLAS threads for every side (default: all)")
    args = parser.parse_args(argv)
    if threadpool_limits is not None:
        threadpool_limits(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    quick = args.quick
    print(f"machine: {machine(args.threads)}")
    rows = []  # (workload, side, seconds, baseline seconds, note)

    hand, ours = best_times([article_by_hand(), article_tinygraph()], *((50, 3) if quick else (2000, 15)))
    rows += [("article 3-4-1 step, float64", "hand-written NumPy", hand, hand, ""),
             ("", "tinygraph", ours, hand, "target <= 1.5x")]
    if torch:
        (theirs,) = best_times([article_torch()], *((50, 3) if quick else (2000, 7)))
        rows.append(("", "PyTorch", theirs, hand, ""))

    steps = [mlp_gemms(), mlp_by_hand(), mlp_tinygraph()] + ([mlp_torch()] if torch else [])
    times = best_times(steps, *((2, 2) if quick else (20, 15)))
    gemm = times[0]
    rows += [("MLP 784-512-512-10 step, float32", "8 matrix products", gemm, gemm, ""),
             ("", "hand-written NumPy", times[1], gemm, ""),
             ("", "tinygraph", times[2], gemm, "target <= 1.15x, < PyTorch")]
    if torch:
        rows.append(("", "PyTorch", times[3], gemm, ""))

    # gradcheck's fast mode on a ~30,000-parameter model; benchmarks/gradcheck.py also puts every twin in it
    from gradcheck import dense, measure

    _, _, step_seconds, check_seconds, report = measure(dense, 1 if quick else 3)
    rows += [("gradcheck fast, 29,094-param MLP", "one forward+backward", step_seconds, step_seconds, ""),
             ("", "gradcheck(mode='fast')", check_seconds, step_seconds, f"target < 2 s, {'ok' if report else 'FAILED'}")]

    sequential, graph = best_times([article_tinygraph(), article_tinygraph(graph=True)], *((50, 3) if quick else (2000, 15)))
    rows += [("article step: Sequential vs Graph", "Sequential", sequential, sequential, ""),
             ("", "Graph", graph, sequential, "the graph executor's cost")]
    sequential, graph = best_times([mlp_tinygraph(), mlp_tinygraph(graph=True)], *((2, 2) if quick else (20, 15)))
    rows += [("MLP step: Sequential vs Graph", "Sequential", sequential, sequential, ""),
             ("", "Graph", graph, sequential, "")]

    for workload, side, seconds, baseline, note in rows:
        print_row(workload, side, f"{seconds * 1e6:10.1f} us", f"{seconds / baseline:5.2f}x", note)

    if sklearn is None:
        print("\ndigits: skipped, scikit-learn is not installed (pip install 'tinygraph[bench]')")
    else:
        epochs = 2 if quick else 50
        train, test = digits_split()
        sides = [("tinygraph fit", digits_tinygraph), ("scikit-learn MLPClassifier", digits_sklearn)]
        sides += [("PyTorch", digits_torch)] if torch else []
        runs = [[] for _ in sides]
        for _ in range(1 if quick else 3):  # the sides take turns; each keeps its best run (one run is noisy)
            for side_runs, (_, train_side) in zip(runs, sides):
                side_runs.append(train_side(train, test, epochs))
        results = [(side, min(side_runs)) for (side, _), side_runs in zip(sides, runs)]
        sk_seconds = results[1][1][0]
        print()
        for i, (side, (seconds, accuracy)) in enumerate(results):
            print_row(f"digits 64-128-10, {epochs} epochs" if i == 0 else "", side, f"{seconds:10.3f} s ",
                      f"{seconds / sk_seconds:5.2f}x", f"test accuracy {accuracy:.2%}" + (", target <= 0.5x" if i == 0 else ""))

    print()
    with tempfile.TemporaryDirectory() as folder:
        for workload, train, page in explain_runs(Path(folder)):
            plain, recorded = best_times([lambda: train(None), lambda: train(page)], *((1, 1) if quick else (3, 3)))
            print_row(workload, "training alone", f"{plain:10.3f} s ", f"{1:5.2f}x", "")
            print_row("", "tg.explain (train, record, write)", f"{recorded:10.3f} s ", f"{recorded / plain:5.2f}x",
                      f"page {os.path.getsize(page) / 1e6:.2f} MB")

    print()
    images.run(best_times, memory, print_row, quick)  # Conv2D, the digits CNN, a conv step's memory

    print()
    serving.run(best_times, print_row, mlp_net, mlp_data()[0], args.threads, quick)  # onnxruntime beside predict

    print()
    for name, make_step, steps in [("article", article_tinygraph, 1000 if quick else 10000),
                                   ("MLP", mlp_tinygraph, 20 if quick else 500)]:
        early, late, transient, kept = memory(make_step, steps)
        print(f"memory, {name}: traced {early / 1e3:.1f} kB after {steps // 10} steps, {late / 1e3:.1f} kB after "
              f"{steps}; one more step holds at most {transient / 1e3:.1f} kB more and leaves {kept} bytes")
    return 0


def print_row(workload, side, time_text, ratio, note):
    print(f"{workload:34} {side:28} {time_text}  {ratio}  {note}")


if __name__ == "__main__":
    raise SystemExit(main())
