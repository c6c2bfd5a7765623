"""Containers: layers made of layers. `Sequential` chains them."""

from .core import Layer, one_pass


class Sequential(Layer):
    """Run layers one after another: `y = f_k(... f_2(f_1(x)))`; backward runs them in reverse.

    A container is a layer, so containers nest. It supports `len`, indexing (a slice gives a new
    `Sequential` of the same layer objects) and iteration. Its parameters are named by position:
    `"0.weight"`, `"2.bias"`, `"1.0.weight"` for a nested one.

    >>> from tinygraph import Dense, Sigmoid
    >>> net = Sequential(Dense(3, 4), Sigmoid(), Dense(4, 1), Sigmoid())
    >>> net
    Sequential(Dense(3→4) >> Sigmoid >> Dense(4→1) >> Sigmoid)
    >>> len(net), net[0], [name for name, _ in net.named_parameters()][:2]
    (4, Dense(3→4), ['0.weight', '0.bias'])
    """

    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: argument {i} must be a Layer, got {type(layer).__name__} {layer!r}")
        self.layers = list(layers)

    def forward(self, x):
        with one_pass:  # also when called as net.forward(x): a layer used twice keeps both inputs
            for layer in self.layers:
                x = layer(x)
        return x

    def backward(self, dy):
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def named_members(self):
        for i, layer in enumerate(self.layers):
            yield str(i), layer

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        return f"Sequential({' >> '.join(map(repr, self.layers))})"
