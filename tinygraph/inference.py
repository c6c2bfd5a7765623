"""Inference from any thread: `inference()`, the block `predict` and `evaluate` run their calls in.

A model keeps the state of its calls on its layers (what each forward saved for backward, and each
layer's `training` flag), so two threads running one model's forward and backward at once would mix
their calls. Inside `inference()` this thread's calls save nothing and record nothing, and every
layer's `training` reads False, without the layers being touched. So any number of threads may
`predict` with a model (or `evaluate` it) while one thread trains it; each prediction uses the
weights as they are at that moment (an optimizer step may be half done: no lock is taken).

Training one model from two threads, or calling it directly (`model(x)`, `model.backward(dy)`) from
one thread while another trains it, is not supported: give each thread its own copy
(`copy.deepcopy(model)`). A thread that calls a layer while another is inside that layer's forward
gets a `RuntimeError` saying so; other overlaps go unnoticed.

Outside `inference()` this costs a call almost nothing: `save_for_backward` checks a global counter
(`calls.inferring`), and so does the outermost forward of a pass; the forwards inside it, nothing.
"""

from contextlib import contextmanager

from . import calls


@contextmanager
def inference():
    """Within it, this thread runs layers and losses for their values only (see the module docstring)."""
    state = calls.threads.state
    outer = state.depth, state.inference
    with calls.counting:
        calls.inferring += 1
    state.depth, state.inference = 0, True  # at depth 0 a call looks for a new pass, and finds this instead
    try:
        yield
    finally:
        state.depth, state.inference = outer
        with calls.counting:
            calls.inferring -= 1


def in_inference():
    """True inside `inference()` in this thread."""
    return bool(calls.inferring) and calls.threads.state.inference
