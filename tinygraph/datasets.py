"""Datasets as NumPy arrays `(X, y)`, batch first."""

import numpy as np


def article():
    """The article's toy data: 4 samples of 3 binary features; the target is `x0 XOR x1` (x2 is a bias).

    >>> X, y = article()
    >>> X.shape, y.ravel()
    ((4, 3), array([0., 1., 1., 0.]))
    """
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
    y = np.array([[0], [1], [1], [0]], dtype=np.float64)
    return X, y
