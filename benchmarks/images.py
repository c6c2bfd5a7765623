"""Image workloads for `benchmarks/run.py`: one Conv2D layer, the digits CNN, and a conv step's memory.

- conv: forward and backward (input, weight and bias gradients) of a 3x3 `Conv2D`, 16 -> 32 channels,
  padding 1, on a float32 batch `(64, 16, 28, 28)`, tinygraph against `torch.nn.Conv2d`, and the three
  matrix products the layer is made of, alone at their real shapes for the whole batch and for 4
  images at a time (the layer's blocks, whose operands stay in the cache: the floor for this layer);
- digits CNN: one epoch of `tinygraph.models.digits_cnn` (SGD momentum 0.9, lr 0.1, batch 32, float32)
  through `fit`, against the same network in PyTorch trained by a Python loop as its users write it;
- memory: what one steady-state conv training step allocates beyond what it keeps, and whether the
  traced memory grows over 1,000 steps.
"""

import numpy as np

import tinygraph as tg
from tinygraph.models import digits_cnn

try:
    import torch
except ImportError:
    torch = None

N_BATCH, C_IN, C_OUT, SIZE = 64, 16, 32, 28


def conv_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N_BATCH, C_IN, SIZE, SIZE)).astype(np.float32)
    dy = rng.standard_normal((N_BATCH, C_OUT, SIZE, SIZE)).astype(np.float32)
    return x, dy


def conv_tinygraph():
    x, dy = conv_data()
    conv = tg.Conv2D(C_IN, C_OUT, 3, padding=1, rng=0).astype(np.float32)

    def step():
        conv.zero_grad()
        conv(x)
        return conv.backward(dy)  # the input gradient too, as a layer inside a network needs it

    return step


def conv_torch():
    x, dy = conv_data()
    x = torch.from_numpy(x).requires_grad_()
    dy = torch.from_numpy(dy)
    conv = torch.nn.Conv2d(C_IN, C_OUT, 3, padding=1)

    def step():
        x.grad = conv.weight.grad = conv.bias.grad = None
        conv(x).backward(dy)
        return x.grad

    return step


def conv_gemms(block=N_BATCH):
    """The layer's three matrix products alone, at their real shapes, into preallocated outputs; with
    `block` < 64, on the columns of `block` images at a time (in the cache, as the layer runs them)."""
    rng = np.random.default_rng(0)
    k = C_IN * 9
    cols = rng.standard_normal((k, block * SIZE * SIZE)).astype(np.float32)
    W = rng.standard_normal((C_OUT, k)).astype(np.float32)
    y = np.empty((C_OUT, cols.shape[1]), np.float32)
    dW_T = np.empty((k, C_OUT), np.float32)
    dcols = np.empty_like(cols)

    def step():
        for _ in range(N_BATCH // block):
            np.matmul(W, cols, out=y)  # forward: (32, 144) @ (144, 50176) for the whole batch
            np.matmul(cols, y.T, out=dW_T)  # weight gradient, transposed as the layer computes it: (144, 50176) @ (50176, 32)
            np.matmul(W.T, y, out=dcols)  # patch gradient: (144, 32) @ (32, 50176)

    return step


def digits_images():
    X, y = tg.datasets.digits()
    (X_train, y_train), _ = tg.datasets.train_test_split(X.astype(np.float32).reshape(-1, 1, 8, 8), y, seed=0)
    return X_train, y_train


def digits_epoch_tinygraph():
    X, y = digits_images()
    rng = np.random.default_rng(0)
    net = digits_cnn(rng=rng).astype(np.float32)
    loss, opt = tg.SoftmaxCrossEntropy(), tg.SGD(net.parameters(), lr=0.1, momentum=0.9)

    def epoch():
        tg.fit(net, loss, opt, X, y, epochs=1, batch_size=32, seed=rng, progress=False)

    return epoch


def digits_epoch_torch():
    X, y = (torch.from_numpy(a) for a in digits_images())
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.MaxPool2d(2), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.MaxPool2d(2), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Flatten(), nn.Linear(128, 10),
    )
    loss, opt = nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    return lambda: torch_epoch(model.train(), loss, opt, X, y)


def torch_epoch(model, loss, opt, X, y, batch_size=32):
    """One epoch of a PyTorch training loop, as its users write it: shuffle, then step through batches."""
    order = torch.randperm(len(X))
    for i in range(0, len(X), batch_size):
        batch = order[i : i + batch_size]
        opt.zero_grad(set_to_none=True)
        loss(model(X[batch]), y[batch]).backward()
        opt.step()


def conv_training_step():
    """One SGD step of a Conv2D at the benchmark's shapes, as a network's first layer trains."""
    x, dy = conv_data()
    conv = tg.Conv2D(C_IN, C_OUT, 3, padding=1, rng=0).astype(np.float32)
    opt = tg.SGD(conv.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        conv(x)
        conv.backward(dy)
        opt.step()

    return step


def run(best_times, memory, print_row, quick):
    """Measure the image workloads side by side and print their rows (run.py's helpers do the timing)."""
    steps = [conv_gemms(), conv_gemms(block=4), conv_tinygraph()] + ([conv_torch()] if torch else [])
    times = best_times(steps, *((2, 2) if quick else (5, 10)))
    rows = [("Conv2D 3x3 16->32, (64,16,28,28) f32", "3 matrix products", times[0], times[0], ""),
            ("", "the same, 4 images a time", times[1], times[0], "in the cache"),
            ("", "tinygraph", times[2], times[0], "target <= 2x PyTorch")]
    if torch:
        rows.append(("", "PyTorch", times[3], times[0], f"tinygraph / PyTorch = {times[2] / times[3]:.2f}x"))
    for workload, side, seconds, baseline, note in rows:
        print_row(workload, side, f"{seconds * 1e3:10.2f} ms", f"{seconds / baseline:5.2f}x", note)
    epochs = [digits_epoch_tinygraph()] + ([digits_epoch_torch()] if torch else [])
    times = best_times(epochs, *((1, 2) if quick else (1, 10)))
    print()
    print_row("digits CNN, one epoch, f32", "tinygraph fit", f"{times[0]:10.3f} s ", " 1.00x", "target < PyTorch")
    if torch:
        print_row("", "PyTorch loop", f"{times[1]:10.3f} s ", f"{times[1] / times[0]:5.2f}x", "")
    steps = 20 if quick else 1000
    early, late, transient, kept = memory(conv_training_step, steps)
    print(f"memory, Conv2D step: traced {early / 1e6:.2f} MB after {steps // 10} steps, {late / 1e6:.2f} MB after {steps}; "
          f"one more step holds at most {transient / 1e6:.2f} MB more and leaves {kept} bytes")

