"""Point-forecast errors averaged over every window, step and channel."""

from __future__ import annotations

import numpy as np


def _pair(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("y_true is empty")
    return y_true, y_pred


def mse(y_true, y_pred) -> float:
    """Mean squared error over all entries (NaN in ``y_true`` ignored).

    Examples
    --------
    >>> mse([1.0, 2.0], [1.0, 4.0])
    2.0
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.nanmean((y_true - y_pred) ** 2))


def mae(y_true, y_pred) -> float:
    """Mean absolute error over all entries (NaN in ``y_true`` ignored).

    Examples
    --------
    >>> mae([1.0, 2.0], [1.0, 4.0])
    1.0
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.nanmean(np.abs(y_true - y_pred)))
