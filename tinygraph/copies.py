"""Copying a model: `copy.deepcopy(model)` in a loop instead of by recursion, and a clear error when it cannot be.

Python's deepcopy descends into each attribute in turn, so a model nested a few hundred layers deep
exceeds the recursion limit. `Layer.__deepcopy__` (`copy_layers`) copies every layer below in one
loop instead: first an empty object for each, entered in the deepcopy `memo` so that references
between layers find their copies, then the state of each (its `__getstate__`, which leaves out the
state of calls in progress), deep-copied with that memo.
"""

import copy


def copy_layers(layer, memo, generic):
    """A deep copy of `layer` and every layer below it, sharing nothing with them (for `copy.deepcopy`).

    `generic` is the `__deepcopy__` that calls this; a layer below with one of its own is left to it.
    """
    layers, stack = [], [layer]
    while stack:
        item = stack.pop()
        if id(item) in memo or (item is not layer and type(item).__deepcopy__ is not generic):
            continue
        memo[id(item)] = type(item).__new__(type(item))
        layers.append(item)
        stack.extend(member for _, member in item.named_members() if hasattr(member, "named_members"))
    for item in layers:
        new, state = memo[id(item)], copy.deepcopy(item.__getstate__(), memo)
        if hasattr(new, "__setstate__"):
            new.__setstate__(state)
        else:
            new.__dict__.update(state)
    memo.setdefault(id(memo), []).extend(layers)  # as deepcopy does: the originals stay alive while memo lives
    return memo[id(layer)]


def copied(owner, model):
    """`copy.deepcopy(model)` for `owner` (gradcheck, trace, summary work on a copy), or a `TypeError`
    naming the layer attribute that cannot be copied (a lock, an open file) and what to do about it."""
    try:
        return copy.deepcopy(model)
    except Exception as error:
        culprit = ""
        layered = hasattr(model, "named_layers")
        members = {id(member): member for _, member in model.walk()} if layered else {}  # each tried alone below
        members[id(model)] = model
        for path, layer in model.named_layers() if layered else [("", model)]:
            for name, value in vars(layer).items():
                try:
                    copy.deepcopy(value, dict(members))
                except Exception:
                    culprit = f"layer {path or 'itself'!r} holds {name} = {value!r:.60}, which cannot be copied; "
                    break
            if culprit:
                break
        raise TypeError(
            f"{owner}: works on a copy of the model, but copying it failed ({type(error).__name__}: {error}); {culprit}"
            "give that layer a __deepcopy__ (or __getstate__) that leaves such objects out or shares them"
        ) from error
