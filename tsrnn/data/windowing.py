"""Sliding windows for forecasting: ``(lookback, horizon, stride)``."""

from __future__ import annotations

import numpy as np


def make_windows(series: np.ndarray, lookback: int, horizon: int, stride: int = 1, times: np.ndarray | None = None):
    """Cut a series into (input, target) windows.

    Window ``i`` uses rows ``[s, s + lookback)`` as input and ``[s + lookback, s + lookback + horizon)`` as
    target, with ``s = i * stride``. Every complete window is returned (none dropped).

    Parameters
    ----------
    series : ndarray, shape (T, C)
    lookback : int
    horizon : int
    stride : int
    times : ndarray, shape (T,), optional

    Returns
    -------
    X : ndarray, shape (n_windows, lookback, C)
    Y : ndarray, shape (n_windows, horizon, C)
    T_in : ndarray, shape (n_windows, lookback), or None
        Times of the input rows.

    Examples
    --------
    >>> X, Y, _ = make_windows(np.arange(10.0)[:, None], lookback=4, horizon=2, stride=3)
    >>> X.shape, Y[:, :, 0].tolist()
    ((2, 4, 1), [[4.0, 5.0], [7.0, 8.0]])
    """
    for name, v, lo in (("lookback", lookback, 1), ("horizon", horizon, 1), ("stride", stride, 1)):
        if int(v) != v or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    series = np.asarray(series)
    if series.ndim != 2:
        raise ValueError(f"series must have shape (T, C), got {series.shape}")
    total = lookback + horizon
    if series.shape[0] < total:
        raise ValueError(f"the series has {series.shape[0]} time points, fewer than lookback + horizon = {total}")
    win = np.lib.stride_tricks.sliding_window_view(series, total, axis=0)[::stride]  # (n, C, total)
    win = np.moveaxis(win, -1, 1)
    T_in = None
    if times is not None:
        T_in = np.lib.stride_tricks.sliding_window_view(np.asarray(times), total)[::stride][:, :lookback]
    return win[:, :lookback].copy(), win[:, lookback:].copy(), None if T_in is None else T_in.copy()
