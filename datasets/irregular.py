"""Irregularly sampled versions of shipped real data, deterministic by seed (no download).

- :func:`etth1_irregular_queries`: ETTh1 windows observed at random hours, asked for the oil temperature at a
  later query time (regression; the query is a last step with every value missing).
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
                            max_horizon: int = 24, value_dropout: float = 0.1, target: str = "HUFL") -> dict:
    """ETTh1 windows of ``lookback`` hours, each hour kept with probability ``keep`` and ``value_dropout`` of
    the kept values blanked; the target is channel ``target`` (scaled; default the high useful load, which has a
    strong daily cycle) ``h`` hours after the window's last hour, ``h`` uniform in ``1 .. max_horizon``.

    Parameters
    ----------
    split : {"train", "val", "test"}
    n : int
        Windows (random start hours within the split).
    seed : int

    Returns
    -------
    dict
        ``X``: list of (k_i + 1, 7) arrays (the kept observations, then an all-NaN query step); ``times``: list
        of (k_i + 1,) arrays in hours from the window start (the last is the query time); ``y``: (n,) target;
        ``X_grid``: list of (lookback + h_i, 7) arrays, the observations interpolated onto every hour up to
        the query (values after the last observation held); ``horizon``, ``start``: (n,) (window start rows).

    Examples
    --------
    >>> d = etth1_irregular_queries("val", 4, seed=1)
    >>> len(d["X"]), d["y"].shape, bool(np.isnan(d["X"][0][-1]).all())
    (4, (4,), True)
    """
    rng = np.random.default_rng(seed)
    etth1 = load_etth1()
    if target not in etth1["columns"]:
        raise ValueError(f"target must be one of {etth1['columns']}, got {target!r}")
    data = etth1[split]
    starts = rng.integers(0, len(data) - lookback - max_horizon + 1, n)
    horizon = rng.integers(1, max_horizon + 1, n)
    series, times = drop_steps([data[s : s + lookback] for s in starts], keep, rng)
    series = drop_values(series, value_dropout, rng)
    query = lookback - 1 + horizon
    X = [np.vstack([x, np.full((1, x.shape[1]), np.nan)]) for x in series]
    T = [np.append(t, q) for t, q in zip(times, query, strict=True)]
    X_grid = to_regular_grid(series, times, [np.arange(q + 1, dtype=np.float64) for q in query])
    y = data[starts + query, etth1["columns"].index(target)]
    return {"X": X, "times": T, "y": y, "X_grid": X_grid, "horizon": horizon, "start": starts}


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
