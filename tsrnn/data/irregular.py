"""Recipes for irregular data: drop observations, blank values, interpolate back onto a regular grid.

tsrnn represents an irregularly sampled panel as values plus per-series observation ``times`` (see
:mod:`tsrnn.data.panel` and the "Irregular data" docs page): a list of ``(k_i, C)`` arrays with ``(k_i,)``
times, NaN for a value missing at an observed time. These helpers build such panels from regular ones (the
Walker2d recipe of dropping steps at random, as in the CfC paper) and build the regular-grid baseline that
interpolation-based methods use.
"""

from __future__ import annotations

import numpy as np


def drop_steps(X, keep: float, rng: np.random.Generator, times=None, min_keep: int = 2):
    """Keep a random subset of every series' steps (sorted), each step kept with probability ``keep``.

    Parameters
    ----------
    X : array-like, shape (n, T, C) or (n, T), or list of (T_i, C) / (T_i,) arrays
    keep : float in (0, 1]
    rng : numpy.random.Generator
    times : array-like, shape (n, T), or list of (T_i,) arrays, optional
        Observation times of the regular series (default ``0, 1, ..., T_i - 1``).
    min_keep : int, default=2
        Steps kept at least (chosen at random when too few survive).

    Returns
    -------
    series : list of ndarray, each (k_i, C) or (k_i,)
    kept_times : list of ndarray, each (k_i,)

    Examples
    --------
    >>> import numpy as np
    >>> s, t = drop_steps(np.arange(20.0).reshape(2, 10), 0.5, np.random.default_rng(0))
    >>> [len(x) == len(u) for x, u in zip(s, t)]
    [True, True]
    """
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"keep must lie in (0, 1], got {keep}")
    series, kept = [], []
    for i, x in enumerate(X):
        x = np.asarray(x, dtype=np.float64)
        t = np.arange(len(x), dtype=np.float64) if times is None else np.asarray(times[i], dtype=np.float64)
        if len(t) != len(x):
            raise ValueError(f"times[{i}] has {len(t)} entries for a series of length {len(x)}")
        idx = np.flatnonzero(rng.random(len(x)) < keep)
        if len(idx) < min(min_keep, len(x)):
            idx = np.sort(rng.choice(len(x), size=min(min_keep, len(x)), replace=False))
        series.append(x[idx])
        kept.append(t[idx])
    return series, kept


def drop_values(series, fraction: float, rng: np.random.Generator):
    """Blank a random ``fraction`` of the individual values (NaN), never a whole observed step.

    Parameters
    ----------
    series : list of ndarray, each (k_i, C)
    fraction : float in [0, 1)
    rng : numpy.random.Generator

    Returns
    -------
    list of ndarray
        Copies with NaN where a value was dropped.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction must lie in [0, 1), got {fraction}")
    out = []
    for x in series:
        x = np.array(x, dtype=np.float64)
        if x.ndim == 2 and x.shape[1] > 1:
            drop = rng.random(x.shape) < fraction
            drop[drop.all(axis=1), rng.integers(x.shape[1])] = False  # keep one value of every step
            x[drop] = np.nan
        out.append(x)
    return out


def to_regular_grid(series, times, grid):
    """Linear interpolation of irregular series onto regular grids (the interpolation baseline).

    Each channel is interpolated through its observed (non-NaN) values; before the first and after the last
    observation the nearest value is held; a channel never observed is 0.

    Parameters
    ----------
    series : list of ndarray, each (k_i, C) or (k_i,)
    times : list of ndarray, each (k_i,)
    grid : ndarray (G,) shared by all series, or list of ndarray (G_i,)

    Returns
    -------
    list of ndarray, each (G_i, C) or (G_i,)

    Examples
    --------
    >>> import numpy as np
    >>> to_regular_grid([np.array([0.0, 2.0])], [np.array([0.0, 2.0])], np.arange(3.0))[0].tolist()
    [0.0, 1.0, 2.0]
    """
    out = []
    for i, (x, t) in enumerate(zip(series, times, strict=True)):
        g = np.asarray(grid[i] if isinstance(grid, list) else grid, dtype=np.float64)
        x = np.asarray(x, dtype=np.float64)
        cols = x.reshape(len(x), -1)
        filled = np.zeros((len(g), cols.shape[1]))
        for c in range(cols.shape[1]):
            seen = ~np.isnan(cols[:, c])
            if seen.any():
                filled[:, c] = np.interp(g, np.asarray(t)[seen], cols[seen, c])
        out.append(filled if x.ndim == 2 else filled[:, 0])
    return out


def place_on_grid(values, times, origin: float, step: float):
    """Put irregularly timed rows on the regular grid ``origin + k * step``, NaN at grid points without one.

    Parameters
    ----------
    values : ndarray, shape (k, C)
    times : ndarray, shape (k,), increasing
    origin, step : float

    Returns
    -------
    grid_values : ndarray, shape (G, C)
        From the grid point of the first row to that of the last.
    grid_times : ndarray, shape (G,)

    Examples
    --------
    >>> import numpy as np
    >>> v, t = place_on_grid(np.array([[1.0], [3.0]]), np.array([10.0, 12.0]), origin=0.0, step=1.0)
    >>> v[:, 0].tolist(), t.tolist()
    ([1.0, nan, 3.0], [10.0, 11.0, 12.0])
    """
    values = np.asarray(values, dtype=np.float64)
    k = np.round((np.asarray(times, dtype=np.float64) - origin) / step).astype(np.int64)
    if np.any(np.diff(k) < 1):
        raise ValueError(f"times has two observations within one grid step of {step:g}: cannot place them on a "
                         "regular grid")
    grid = np.full((k[-1] - k[0] + 1, values.shape[1]), np.nan)
    grid[k - k[0]] = values
    return grid, origin + step * np.arange(k[0], k[-1] + 1, dtype=np.float64)
