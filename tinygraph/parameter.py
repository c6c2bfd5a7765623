"""`Parameter`: a trainable array and the gradient accumulated for it.

A layer's backward says what the textbook says, `self.weight.grad += x.T @ dy`, and that line is
also the fast one. The speed lives here, in one place:

- `zero_grad()` keeps no array of zeros: it forgets the gradient (as PyTorch's `set_to_none`;
  `p.has_grad` is then False). Reading `p.grad` gives read-only zeros of the right shape and dtype,
  which take no memory.
- The first `p.grad += increment` after it keeps `increment` itself as the gradient when it is a
  temporary that nothing else holds (the result of `x.T @ dy`): no zero-filling, no addition, no
  copy. Any other increment (a view, an array somebody holds, a scalar) is copied, so the gradient
  never shares memory with anything. Later `+=` add in place, as usual.
- Everything else is plain NumPy: `p.grad` is an ndarray shaped like `p.value`; assigning
  (`p.grad = g`) replaces it, and `p.grad = None` is the same as `zero_grad()`.

>>> p = Parameter([[1.0, 2.0]], name="weight")
>>> p
Parameter(weight, shape=(1, 2), dtype=float64)
>>> p.grad
array([[0., 0.]])
>>> p.grad += np.array([[0.5, 0.5]]) * 2
>>> p.grad += 1.0
>>> p.grad
array([[2., 2.]])
"""

import sys

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))  # what a model computes in


class Parameter:
    """A trainable array `value` (float32 if given float32, else float64), its `grad` and a `name`.

    `name` is the attribute name the owning layer gave it (`"weight"`, `"bias"`).
    """

    __slots__ = ("value", "_grad", "_zeros", "name")

    def __init__(self, value, name=""):
        value = np.array(value)
        if value.dtype not in FLOAT_DTYPES:
            if value.dtype.kind not in "iubf":
                raise TypeError(f"Parameter {name!r}: values must be real numbers, got dtype {value.dtype}")
            value = value.astype(np.float64)  # ints, bools, float16, longdouble: the default precision
        self.value = value
        self.name = name
        self._zeros = None  # the ZeroGrad that p.grad reads as after zero_grad(), made once
        self.zero_grad()

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, array):
        if type(array) is not np.ndarray or array.shape != self.value.shape:
            array = self._fitted(array)
        self._grad = array

    @property
    def has_grad(self):
        """False from `zero_grad()` until something adds into `grad` (PyTorch's `p.grad is None`)."""
        return self._grad is not self._zeros

    def zero_grad(self):
        """Make the gradient zero, without touching memory (see the module docstring)."""
        zeros = self._zeros
        if zeros is None or zeros.shape != self.value.shape or zeros.dtype is not self.value.dtype:
            zeros = self._zeros = ZeroGrad.of(self)
        self._grad = zeros

    def _fitted(self, array):
        """`array` as an ndarray of this parameter's shape and dtype, or a `ValueError` naming the parameter."""
        if array is None or isinstance(array, ZeroGrad):
            self.zero_grad()
            return self._grad
        array = np.asarray(array)
        if array.shape != self.value.shape:
            try:
                array = np.broadcast_to(array, self.value.shape)
            except ValueError:
                raise ValueError(
                    f"{self!r}: a gradient of shape {array.shape} does not fit the parameter's shape {self.value.shape}"
                ) from None
        return np.array(array, dtype=self.value.dtype)  # a copy of our own

    def __getstate__(self):  # for copy and deepcopy: zeros are rebuilt, not copied
        return self.value, (self._grad if self.has_grad else None), self.name

    def __setstate__(self, state):
        self.value, grad, self.name = state
        self._zeros = None
        self.zero_grad()
        if grad is not None:
            self._grad = grad

    def __repr__(self):
        return f"Parameter({self.name or '?'}, shape={self.value.shape}, dtype={self.value.dtype})"


class ZeroGrad(np.ndarray):
    """What `p.grad` reads as after `zero_grad()`: read-only zeros (one 0 broadcast, no memory).

    `zero += increment` gives the parameter its first gradient (kept as is when it is a temporary, see
    the module docstring). Writing into it (`p.grad[...] = g`, `np.matmul(a, b, out=p.grad)`) first
    gives the parameter a real zero gradient and writes there. Any other use sees plain zeros, and
    every result computed from them is a plain ndarray.
    """

    owner = None  # the Parameter whose gradient this is

    @classmethod
    def of(cls, parameter):
        zeros = np.broadcast_to(np.zeros((), parameter.value.dtype), parameter.value.shape).view(cls)
        zeros.owner = parameter
        return zeros

    def __array_finalize__(self, source):
        self.owner = None  # slices and views of it are plain read-only zeros

    def __iadd__(self, increment):
        owner = self.owner
        if (
            owner is not None
            and type(increment) is np.ndarray
            and increment.base is None  # owns its memory: not a view of anything
            and increment.shape == self.shape
            and increment.dtype is self.dtype
            and sys.getrefcount(increment) <= TEMPORARY_REFCOUNT  # and nobody else holds it
        ):
            return increment  # a temporary: nothing else can see it, so it becomes the gradient
        if owner is None:
            return np.ndarray.__iadd__(self, increment)  # a slice of the zeros, read-only: NumPy's own error
        return owner._fitted(increment)

    def _writable(self):
        owner = self.owner
        owner._grad = np.zeros_like(owner.value)
        return owner._grad

    def __setitem__(self, key, value):
        if self.owner is None:
            return np.ndarray.__setitem__(self, key, value)
        self._writable()[key] = value

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if method == "at" and inputs[0] is self and self.owner is not None:  # np.add.at(p.grad, ...) writes into it
            inputs = (self._writable(), *inputs[1:])
        inputs = [x.view(np.ndarray) if isinstance(x, ZeroGrad) else x for x in inputs]
        if out is not None:
            out = tuple(
                (x._writable() if x.owner is not None else x.view(np.ndarray)) if isinstance(x, ZeroGrad) else x
                for x in out
            )
            kwargs["out"] = out
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __repr__(self):
        return repr(self.view(np.ndarray))

    def __reduce__(self):  # a copy of a model holds plain zeros here
        return np.zeros, (self.shape, self.dtype)

    def __deepcopy__(self, memo):
        return np.zeros(self.shape, self.dtype)


def _temporary_refcount():
    """The reference count `ZeroGrad.__iadd__` sees for a temporary, measured on this Python.

    `p.grad += a @ b` hands `__iadd__` an array that only the interpreter's stack holds. An array
    somebody keeps in a variable, a list or an attribute has at least one reference more.
    """
    seen = []

    class Probe:
        def __iadd__(self, increment):
            seen.append(sys.getrefcount(increment))
            return self

    class Holder:
        target = Probe()

    holder = Holder()
    holder.target += np.ones(1) * 2
    return seen[0]


TEMPORARY_REFCOUNT = _temporary_refcount()
