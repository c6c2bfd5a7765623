"""The data `fit`, `evaluate`, `accuracy` and `explain` take, checked before any work is done.

`check_data` takes the arrays apart from the model (types, a batch axis, lengths, NaN and Inf);
`check_target_fits` runs the model once, on the first batch, to check that the loss can compare its
output with the target: a target of the wrong shape is named with the data's shapes, `(n,)` against an
output of `(n, 1)`, before the first step, instead of inside it with a batch's shapes.
"""

import numpy as np

from . import checks
from .inference import inference


def as_input(x, dtype, name):
    """`x` as an array: integers as they are, anything else cast to `dtype` (see `check_data`)."""
    x = checks.as_array(x, name)
    return x if x.dtype.kind in "iu" else checks.as_numeric(x, dtype, name)


def check_reduced(function, loss):
    """`ValueError` for a loss with `reduction="none"`: `function` needs one number per batch."""
    if getattr(loss, "reduction", None) == "none":
        raise ValueError(
            f"{function}: the loss {loss!r} has reduction='none' (one loss per sample); {function} needs one "
            "number per batch: use reduction='mean' (the default) or 'sum'"
        )


def check_data(model, X, target, x_name, target_name, owner="fit"):
    """`(X, target)` with `X` as a tuple of arrays (one per input of the model; a tuple `X` gives several) cast to
    the model's dtype, and float targets too; refused if not finite or of unequal length. The errors name
    `owner` (the function that was given the data).

    Integer `X` stays integer: it may be indices for an `Embedding`, and a float layer casts each batch.
    """
    inputs = X if isinstance(X, tuple) else (X,)
    fewest, most = getattr(model, "arity", (1, 1))
    if not fewest <= len(inputs) <= most:
        expected = "one array" if fewest == 1 else f"a tuple of {fewest} arrays, one per input"
        got = f"a tuple of {len(inputs)}" if isinstance(X, tuple) else "one array"
        raise ValueError(f"{owner}: the model takes {fewest} input(s), so {x_name} must be {expected}; got {got}")
    names = [f"{x_name}[{i}]" if isinstance(X, tuple) else x_name for i in range(len(inputs))]
    inputs = tuple(as_input(x, model.dtype, f"{owner}: {name}") for x, name in zip(inputs, names))
    target = checks.as_array(target, f"{owner}: {target_name}")
    if target.dtype.kind not in "iu":  # integer labels stay integers; other targets take the model's dtype
        target = checks.as_numeric(target, model.dtype, f"{owner}: {target_name}")
    for x, name in zip(inputs, names):
        if x.ndim < 2:
            raise ValueError(f"{owner}: {name} must have a batch axis, (n_samples, ...), got shape {x.shape}")
        if target.ndim == 0 or len(target) != len(x):
            raise ValueError(
                f"{owner}: {name} has {len(x)} samples but {target_name} has shape {target.shape}; they must have as many rows"
            )
    if len(target) == 0:
        raise ValueError(f"{owner}: {x_name} has no samples")
    for name, values in (*zip(names, inputs), (target_name, target)):
        if values.dtype.kind == "f":
            finite = np.isfinite(values.reshape(len(values), -1)).all(axis=1)
            if not finite.all():
                row = int(np.argmin(finite))
                raise ValueError(f"{owner}: {name} contains NaN or Inf, first in row {row}: {values[row]}")
    return inputs, target


def check_target_fits(model, loss, inputs, target, target_name, batch_size, owner="fit"):
    """Refuse, before training, a `target` that `loss` cannot compare with the model's output.

    The model predicts its first batch (`batch_size` samples) in inference mode, so nothing is recorded
    and no weight or statistic changes (as PyTorch Lightning's sanity check, a batch run before training);
    its first output row, spread over every sample without copying, goes to `loss` with the whole
    `target`. So the loss's own rules (shapes, label ranges) are checked on the data's shapes, and a bad
    label anywhere is found before the first step. Raises the loss's error, prefixed with `owner`.
    """
    with inference():
        first = model.predict(tuple(x[:batch_size] for x in inputs) if len(inputs) > 1 else inputs[0][:batch_size])
        output = np.broadcast_to(first[:1], (len(target), *first.shape[1:]))
        try:
            loss(output, target)
        except (ValueError, TypeError) as error:
            raise type(error)(f"{owner}: the loss cannot compare the model's output with {target_name}: {error}") from None
