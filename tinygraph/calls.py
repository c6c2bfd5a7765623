"""Calls and passes: the machinery around every `forward` and `backward`, so that layers read as math.

A layer author writes two methods. `forward` computes `y` and keeps what backward needs with
`self.save_for_backward(...)`; `backward` takes it back with `self.pop_saved()`, adds into each
parameter's `.grad` and returns `dx`. Everything else happens here, once, around every `forward` and
`backward` of every layer class (and every loss):

- **A call.** `layer(x)` and `layer.forward(x)` are the same. Each forward checks and casts `x`
  (`as_input`), and records one *call*: what it saved and the shape of `y`. Each backward takes the
  most recent call not yet taken (last in, first out, the order in which containers run backward),
  checks `dy` against that shape, and hands the saved values to `pop_saved()`. So a layer used twice
  in one model keeps both inputs, and `backward` before `forward` is a clear `RuntimeError`.
- **A pass.** A forward called from outside any other forward starts a *pass*. Calls that an earlier
  pass recorded and no backward took are dropped then, so evaluating again and again never grows
  memory: one backward per forward pass, as in PyTorch.
- **The gradient nobody needs.** `model(x, needs_dx=False)` says the caller will not use `dx` for `x`
  (`fit` says so: training never needs the gradient of the data). Every layer whose input is such an
  array sees `self.needs_dx == False` in its backward; a layer for which `dx` is costly (`Dense`)
  returns None instead. The output of a parameter-free layer (`Flatten`) applied to it needs none
  either. Layers that compute `dx` cheaply never look at the flag. Inside a layer holding sub-layers,
  they all compute `dx` (its backward may add them up), unless it says `passes_none = True`.
- **Nodes.** A layer called on a graph's nodes (`Symbolic`) records the call instead: see `tinygraph.nodes`.
- **Watching.** Each call also tells a watcher, if one is watching (`tinygraph.watch`): `trace`,
  `summary` and the explain page see inside a model this way, without touching it.
- **Inference.** Inside `inference()` (`predict`, `evaluate`) calls record nothing: see `tinygraph.inference`.

This code runs for every layer call, so it does little: a call is a tuple, and a call in progress is the
object's `_saving` (in forward) or `_call` (in backward), None otherwise, which is how `super()` is seen.
"""

import functools
import inspect
import threading

import numpy as np

from . import checks


class _Pass:
    """The pass being run in one thread: `depth`, forwards running one inside the other; `number`, of the
    current pass; `no_grad`, id -> array for the arrays whose gradient nobody needs; `watcher` (see watch)."""

    __slots__ = ("depth", "number", "no_grad", "watcher", "inference")

    def __init__(self):
        self.depth, self.number, self.no_grad, self.watcher, self.inference = 0, 0, {}, None, False


class _State(threading.local):  # one thread-local lookup per call (`threads.state`), then plain attributes
    def __init__(self):  # runs once in each thread that uses tinygraph
        self.state = _Pass()


threads = _State()

# A call is a tuple (needs_dx, saved values, shape of y), newest last in the object's `_calls`, all of pass `_pass`.
MACHINERY = frozenset({"_calls", "_pass", "_saving", "_call", "_held", "_members"})  # the per-object state of the calls


class Differentiable:
    """What layers and losses share: `save_for_backward` in forward, `pop_saved` in backward, and calls.

    A subclass's `forward` and `backward` are wrapped once, when the class is made (`call_wrappers`), so
    that the machinery of the module docstring runs around them; it keeps `MACHINERY` on each object.
    """

    _saving = None  # while this object's forward runs: what it saved so far
    _call = None  # while this object's backward runs: the call it takes

    def __new__(cls, *args, **kwargs):
        if cls.abstract_methods:
            names = ", ".join(cls.abstract_methods)
            raise TypeError(f"Can't instantiate abstract class {cls.__name__} without an implementation for: {names}")
        if (args or kwargs) and cls.__init__ is object.__init__:  # object.__init__ would accept them silently
            raise TypeError(f"{cls.__name__}() takes no arguments")
        self = super().__new__(cls)
        self._calls = []  # the calls no backward has taken yet, newest last...
        self._pass = 0  # ...all of the pass with this number
        return self

    __new__.__signature__ = inspect.Signature([inspect.Parameter("cls", inspect.Parameter.POSITIONAL_ONLY)])  # `Sigmoid()`

    def _keep(self, call, number):
        """Keep `call` of pass `number`, dropping the calls of an earlier pass that no backward took."""
        if self._pass != number:
            self._calls.clear()
            self._pass = number
        self._calls.append(call)

    abstract_methods = ()  # what a subclass must still define before it can be made (as abc would say)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.abstract_methods = tuple(
            name for name in ("forward", "backward") if getattr(getattr(cls, name, None), "__isabstractmethod__", False)
        )
        forward_wrapper, backward_wrapper = cls.call_wrappers()
        for name, wrap in (("forward", forward_wrapper), ("backward", backward_wrapper)):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "__isabstractmethod__", False) and not hasattr(method, "raw"):
                wrapped = functools.wraps(method)(wrap(method))
                wrapped.raw = method
                setattr(cls, name, wrapped)
        if "forward" in cls.__dict__:
            cls.__call__ = cls.forward  # layer(x) is layer.forward(x), without a step in between
        if "as_input" in cls.__dict__:  # its own check sees every input (Embedding's indices) unless it says not
            cls.checks_every_input = cls.__dict__.get("checks_every_input", True)

    @classmethod
    def call_wrappers(cls):
        """The two functions that wrap `forward` and `backward` into calls (`Layer` and `Loss` give theirs)."""
        raise NotImplementedError

    def save_for_backward(self, *values):
        """Keep `values` (any objects) for the backward of this forward; `pop_saved()` gives them back."""
        if inferring and threads.state.inference:  # predicting: nothing is kept (nor touched: see the module)
            return
        if self._saving is None:
            raise RuntimeError(f"{checks.name_of(self)}: save_for_backward can only be called inside its own forward")
        self._saving = values

    def pop_saved(self):
        """What this call's forward saved: the one value, or a tuple of several (None if nothing)."""
        call = self._call
        if call is None:
            raise RuntimeError(f"{checks.name_of(self)}: pop_saved can only be called inside its own backward")
        saved = call[1]
        return saved[0] if len(saved) == 1 else (saved or None)

    @property
    def needs_dx(self):
        """Inside backward: False when nobody needs this call's `dx` (then it may return None)."""
        call = self._call
        return call is None or call[0]

    def _run_elsewhere(self):  # see tinygraph.inference
        return RuntimeError(f"{checks.name_of(self)}: called while another thread runs its forward; a model is trained "
                            "or called by one thread at a time (others may predict, or use copy.deepcopy(model))")

    def _before_forward(self):
        return RuntimeError(f"{checks.name_of(self)}: backward called before forward; each backward takes one "
                            "forward (run the model, y = net(x), before net.backward(dy))")

    def _skip_backward(self, call):
        """`backward(None)`: no gradient flows back into this call. Allowed when it needed no `dx` anyway
        (its input was the model's input, or made from it without parameters): the call is taken, and a
        container passes None on so that its children's calls are taken too."""
        if call[0]:
            raise RuntimeError(
                f"{checks.name_of(self)}.backward got dy=None, but its output needs a gradient: the layer after "
                "it returned None from backward (only a layer whose needs_dx is False may)"
            )
        self._calls.pop()
        if self.holds_layers():
            self._call = call
            try:
                type(self).backward.raw(self, None)
            finally:
                self._call = None
        return None

    passes_none = False  # True for a container whose backward passes None on (Sequential, Parallel, ...)
    _held = None  # whether it holds sub-layers, looked up at the first call that asks, then kept
    _members = False  # whether it holds a parameter or a layer (see `_holds_members`)

    def _holds_layers(self):  # kept: a layer that gained sub-layers later fails loudly (a None from one)
        if self._held is None:
            self._held = self.holds_layers()
        return self._held

    def _holds_members(self):  # kept once True; a False is looked up again (a layer may gain members later)
        self._members = self._members or self.holds_members()
        return self._members

    def _with_every_dx(self, x, more, needs_dx):
        """Run this call with its inputs needing `dx` after all (a user's composite adds its children's `dx`)."""
        no_grad = threads.state.no_grad
        kept = {key: no_grad.pop(key) for key in [id(value) for value in (x, *more)] if key in no_grad}
        try:
            return self(x, *more)
        finally:
            no_grad.update(kept)

    def __getstate__(self):  # a copy carries none of the calls' state (see MACHINERY)
        return {name: value for name, value in self.__dict__.items() if name not in MACHINERY}


class Symbolic:
    """A graph's node (`tinygraph.nodes`): a layer called on one records the call, `node.record(layer, inputs)`."""


def layer_forward(forward):
    """Wrap a layer's `forward` (of one input `x`, or several) into a call, as the module docstring says."""

    def forward_call(self, x, *more, needs_dx=True):
        if self._saving is not None:  # super().forward(...) inside this layer's own forward
            if not threads.state.depth and not threads.state.inference:  # ...or another thread's forward
                raise self._run_elsewhere()
            return forward(self, x, *more)
        given = x
        if more:
            if isinstance(x, Symbolic):  # called on graph nodes: record the call, compute nothing
                return x.record(self, (x, *more))
            x, *more = [self.as_input(value) for value in (x, *more)]
        elif type(x) is not np.ndarray or x.dtype is not self.dtype or x.ndim < 2 or self.checks_every_input:
            if isinstance(x, Symbolic):
                return x.record(self, (x,))
            x = self.as_input(x)
        state = threads.state
        depth = state.depth
        if not depth:  # a new pass, unless inside `inference()` (where the depth stays 0)
            if inferring and state.inference:
                return _infer(self, forward, x, more)
            state.number += 1
            state.no_grad = {}
        no_grad = state.no_grad  # it holds the arrays too, so that their ids stay theirs during the pass
        if not needs_dx:
            for value in (x, *more):
                no_grad[id(value)] = value
        elif x is not given and id(given) in no_grad:  # a cast of an array that needs no gradient needs none
            no_grad[id(x)] = x
        call_needs_dx = not no_grad or id(x) not in no_grad or bool(more) and any(id(v) not in no_grad for v in more)
        if not call_needs_dx and not self.passes_none and self._holds_layers():
            return self._with_every_dx(x, more, needs_dx)
        if watchers:
            _watch(self, "forward_begins", (x, *more))
        state.depth = depth + 1
        self._saving = ()
        try:
            y = forward(self, x, *more) if more else forward(self, x)  # the second: no tuple to unpack
        finally:
            state.depth = depth
            saved, self._saving = self._saving, None
        if self._pass != state.number:  # calls of an earlier pass that no backward took (as in `_keep`)
            self._calls.clear()
            self._pass = state.number
        self._calls.append((call_needs_dx, saved, y.shape if type(y) is np.ndarray else _shapes(self, y)))
        if not call_needs_dx and not self._holds_members():
            no_grad[id(y)] = y  # a parameter-free layer's output from an input that needs no gradient
        if watchers:
            _watch(self, "forward_ends", y)
        return y

    return forward_call


def _infer(layer, forward, x, more):  # a forward inside `inference()`: computed, watched, recorded nowhere
    if watchers:
        _watch(layer, "forward_begins", (x, *more))
    y = forward(layer, x, *more)
    if watchers:
        _watch(layer, "forward_ends", y)
    return y


def _shapes(layer, y):
    if isinstance(y, tuple):
        return tuple(np.shape(item) for item in y)
    raise TypeError(f"{checks.name_of(layer)}: forward must return an ndarray (or a tuple of them), got {type(y).__name__}")


def layer_backward(backward):
    """Wrap a layer's `backward`: take the most recent call, check `dy`, hand over what was saved."""

    def backward_call(self, dy):
        if self._call is not None:  # super().backward(dy) inside this layer's own backward
            return backward(self, dy)
        calls = self._calls
        if not calls:
            raise self._before_forward()
        call = calls[-1]
        if dy is None:  # the layer after this one took no gradient for its input
            return self._skip_backward(call)
        if type(dy) is not np.ndarray or dy.shape != call[2] or dy.dtype is not self.dtype:
            dy = self.as_grad(dy, call[2])  # checked before the call is taken: a wrong dy loses nothing
        calls.pop()
        if watchers:
            _watch(self, "backward_begins", dy)
        self._call = call
        try:
            dx = backward(self, dy)
        finally:
            self._call = None
        if watchers:
            _watch(self, "backward_ends", dx)
        return dx

    return backward_call


watchers = 0  # how many `watching` blocks (tinygraph.watch) are active in any thread: while 0, calls look no further
inferring = 0  # how many `inference` blocks are active in any thread: while 0, calls look no further
counting = threading.Lock()  # held to change either counter: `+=` on a global is not atomic between threads


def _watch(layer, event, value):
    watcher = threads.state.watcher
    if watcher is not None:
        getattr(watcher, event)(layer, value)
