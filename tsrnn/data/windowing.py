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


class Windows:
    """Overlapping windows of a row array, cut when a sample is read: a training set of windows that holds its
    rows once instead of ``length`` times.

    Window ``i`` is ``rows[starts[i] + offset : starts[i] + offset + length]``, with its first row replaced by
    ``first`` when given (the time gap before a window's first step is 1).

    Parameters
    ----------
    rows : ndarray or torch.Tensor, shape (R, ...)
    starts : ndarray of int, shape (n,)
    length, offset : int
    first : float, optional

    Examples
    --------
    >>> w = Windows(np.arange(10.0), np.array([0, 3]), length=4, offset=1)
    >>> w.shape, w[1].tolist(), w[np.array([1])].shape
    ((2, 4), [4.0, 5.0, 6.0, 7.0], (1, 4))
    >>> np.asarray(w).tolist()
    [[1.0, 2.0, 3.0, 4.0], [4.0, 5.0, 6.0, 7.0]]
    """

    def __init__(self, rows, starts, length: int, offset: int = 0, first: float | None = None):
        self.rows, self.starts = rows, np.asarray(starts, dtype=np.int64)
        self.length, self.offset, self.first = int(length), int(offset), first
        if len(self.starts) and (self.starts.min() + offset < 0 or self.starts.max() + offset + length > len(rows)):
            raise ValueError(f"windows of length {length} at offset {offset} from starts in [{self.starts.min()}, "
                             f"{self.starts.max()}] leave the {len(rows)} rows")

    @property
    def shape(self) -> tuple:
        return (len(self.starts), self.length, *self.rows.shape[1:])

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, key):
        """One window (an integer key), else the windows of ``starts[key]`` (still not cut)."""
        if isinstance(key, (int, np.integer)):
            begin = int(self.starts[key]) + self.offset
            window = self.rows[begin : begin + self.length]
            if self.first is None:
                return window
            window = window.clone() if hasattr(window, "clone") else window.copy()
            window[0] = self.first
            return window
        return Windows(self.rows, self.starts[key], self.length, self.offset, self.first)

    def with_rows(self, rows) -> Windows:
        """The same windows of other rows of the same length (e.g. the rows as a torch tensor)."""
        return Windows(rows, self.starts, self.length, self.offset, self.first)

    def __array__(self, dtype=None, copy=None):
        out = np.stack([np.asarray(self[i]) for i in range(len(self))]) if len(self) else \
            np.empty(self.shape, dtype=np.asarray(self.rows[:0]).dtype)
        return out if dtype is None else out.astype(dtype)
