"""How fast `gradcheck(mode="fast")` checks a ~30,000-parameter model, and that it still catches every twin.

    python benchmarks/gradcheck.py --model dense     # 64-220-64-10 tanh MLP, 29,094 parameters
    python benchmarks/gradcheck.py --model cnn       # needs tg.Conv2D, tg.MaxPool2D, tg.Flatten (~30,000)

For the model it prints the seconds of one fast-mode check (best of `--repeat`, target < 2 s on the
project's machine), the same as a multiple of one forward+backward of the model measured in the same
run (a ratio that compares across machines), and then, for every kind of backprop bug in
tests/twins.py put into the model, whether fast mode caught it, the culprit it named, and the
seconds (a failing check also blames: it checks sub-layers alone). Exit code 1 if a twin escaped or
was blamed on the wrong layer, or the correct model failed.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(ROOT / "tests"))  # the broken twins
import tinygraph as tg  # noqa: E402
import twins  # noqa: E402


def dense(activation=tg.Tanh, last=tg.Dense):
    """A 64-220-64-10 MLP, the twin (if any) as the second activation or the last Dense: 29,094 parameters."""
    model = tg.Sequential(tg.Dense(64, 220, rng=0), tg.Tanh(), tg.Dense(220, 64, rng=1), activation(),
                          last(64, 10, rng=2))
    return model, np.random.default_rng(0).uniform(-1, 1, (8, 64))


def cnn(activation=tg.ReLU, last=tg.Dense):
    """conv3x3(1→8) relu pool2, conv3x3(8→16) relu pool2, dense 784→36 relu, dense 36→10 on 28x28: 29,984 parameters."""
    missing = [name for name in ("Conv2D", "MaxPool2D", "Flatten") if not hasattr(tg, name)]
    if missing:
        raise SystemExit(f"--model cnn needs {', '.join(missing)} (issue 12 and its layers); use --model dense meanwhile")
    model = tg.Sequential(
        tg.Conv2D(1, 8, 3, padding=1, rng=0), tg.ReLU(), tg.MaxPool2D(2),
        tg.Conv2D(8, 16, 3, padding=1, rng=1), tg.ReLU(), tg.MaxPool2D(2),
        tg.Flatten(), tg.Dense(784, 36, rng=2), activation(), last(36, 10, rng=3),
    )
    return model, np.random.default_rng(0).uniform(-1, 1, (4, 1, 28, 28))


MODELS = {"dense": dense, "cnn": cnn}


def with_twin(build, twin):
    """The model with `twin` in place of one activation or of the last Dense, and the twin's path."""
    if issubclass(twin, tg.Dense):
        model, x = build(last=twin)
        return model, x, str(len(model) - 1)
    model, x = build(activation=twin)
    return model, x, str(len(model) - 2)


def best_seconds(call, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(build, repeat=3):
    """`(model, x, seconds of one forward+backward, seconds of one fast-mode gradcheck, its report)`."""
    model, x = build()

    def step():
        y = model(x)
        model.backward(np.ones_like(y))

    step_seconds, _ = best_seconds(step, 20)
    seconds, report = best_seconds(lambda: tg.gradcheck(model, x, mode="fast"), repeat)
    return model, x, step_seconds, seconds, report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="dense")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    build = MODELS[args.model]
    model, x, step_seconds, seconds, report = measure(build, args.repeat)
    n_params = sum(p.value.size for p in model.parameters())
    print(f"{args.model}: {n_params:,} parameters, input {x.shape}; one forward+backward {step_seconds * 1e3:.2f} ms")
    print(f"fast mode, correct model: {seconds:.3f} s ({seconds / step_seconds:.0f}x a forward+backward), "
          f"{'ok' if report.ok else 'FAILED'} (target < 2 s)")
    failures = 0 if report.ok else 1
    if not report.ok:
        print(report)
    for kind, make in twins.every_kind_of_bug():
        twin = type(make())
        broken, x_twin, path = with_twin(build, twin)
        seconds, report = best_seconds(lambda: tg.gradcheck(broken, x_twin, mode="fast"), 1)
        right = not report.ok and report.culprit == path
        failures += not right
        print(f"  {kind:30} {twin.__name__:24} {'caught' if not report.ok else 'MISSED':7} "
              f"culprit {report.culprit!s:4} (expected {path}) {'' if right else 'WRONG'} {seconds:.3f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
