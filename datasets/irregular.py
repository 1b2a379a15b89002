"""Irregularly sampled versions of shipped real data, deterministic by seed (no download).

- :func:`etth1_irregular_queries`: ETTh1 windows observed at random hours, asked for a channel's value at an
  hour that was not observed (regression; the query is a step with every value missing, at its time).
- :func:`irregular_classification`: a bundled UCR/UEA set with steps dropped at random and values blanked.

Each returns the irregular panel (lists of values and times) and the interpolation baseline on the regular
grid, so that a model can be compared with times, without times and on interpolated data.
"""

from __future__ import annotations

import numpy as np
from tsrnn.datasets.classification import load_classification
from tsrnn.datasets.ett import load_etth1

from tsrnn.data.irregular import drop_steps, drop_values, to_regular_grid


def etth1_irregular_queries(split: str, n: int, seed: int = 0, lookback: int = 96, keep: float = 0.3,
                            query_window: int = 24, value_dropout: float = 0.1, target: str = "HUFL") -> dict:
    """ETTh1 windows of ``lookback`` hours, each hour kept with probability ``keep`` and ``value_dropout`` of
    the kept values blanked, asked for channel ``target`` (scaled; default the high useful load) at one hour
    that was not kept, among the last ``query_window`` hours: the query is a step with every value missing,
    placed at its time among the observations.

    Parameters
    ----------
    split : {"train", "val", "test"}
    n : int
        Windows (random start hours within the split).
    seed : int

    Returns
    -------
    dict
        ``X``: list of (k_i + 1, 7) arrays (the kept observations with the all-NaN query step among them);
        ``times``: list of (k_i + 1,) arrays, hours from the window start; ``y``: (n,) target; ``X_grid``: list
        of (lookback, 8) arrays, the observations interpolated onto every hour plus a channel that is 1 at
        the query hour (the interpolation baseline); ``query``, ``start``: (n,) query hour and window start row.

    Examples
    --------
    >>> d = etth1_irregular_queries("val", 4, seed=1)
    >>> len(d["X"]), d["y"].shape, d["X_grid"][0].shape
    (4, (4,), (96, 8))
    """
    rng = np.random.default_rng(seed)
    etth1 = load_etth1()
    if target not in etth1["columns"]:
        raise ValueError(f"target must be one of {etth1['columns']}, got {target!r}")
    if not 1 <= query_window < lookback:
        raise ValueError(f"query_window must lie in [1, {lookback - 1}], got {query_window}")
    data = etth1[split]
    starts = rng.integers(0, len(data) - lookback + 1, n)
    series, times = drop_steps([data[s : s + lookback] for s in starts], keep, rng)
    series = drop_values(series, value_dropout, rng)
    X, T, X_grid, queries = [], [], [], []
    hours = np.arange(lookback, dtype=np.float64)
    for x, t in zip(series, times, strict=True):
        free = np.setdiff1d(np.arange(lookback - query_window, lookback), t.astype(int))
        if len(free) == 0:  # every recent hour kept: drop one to ask for it
            q = int(rng.integers(lookback - query_window, lookback))
            keep_rows = t != q
            x, t = x[keep_rows], t[keep_rows]
        else:
            q = int(rng.choice(free))
        at = int(np.searchsorted(t, q))
        X.append(np.insert(x, at, np.nan, axis=0))
        T.append(np.insert(t, at, float(q)))
        flag = (hours == q).astype(np.float64)[:, None]
        X_grid.append(np.hstack([to_regular_grid([x], [t], hours)[0], flag]))
        queries.append(q)
    queries = np.asarray(queries)
    y = data[starts + queries, etth1["columns"].index(target)]
    return {"X": X, "times": T, "y": y, "X_grid": X_grid, "query": queries, "start": starts}


def irregular_classification(name: str, split: str, seed: int = 0, keep: float = 0.5,
                             value_dropout: float = 0.1) -> dict:
    """A bundled classification set with every step kept with probability ``keep`` (times are the original
    step indices) and ``value_dropout`` of the kept values blanked.

    Returns
    -------
    dict
        ``X``, ``times``: lists of the kept steps and their times; ``y``; ``X_grid``: the observations
        interpolated back onto every original step.
    """
    rng = np.random.default_rng(seed)
    X, y = load_classification(name, split)
    series, times = drop_steps(X, keep, rng)
    series = drop_values(series, value_dropout, rng)
    grid = [np.arange(len(x), dtype=np.float64) for x in X]
    return {"X": series, "times": times, "y": y, "X_grid": to_regular_grid(series, times, grid)}
