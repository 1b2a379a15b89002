"""Irregularly sampled versions of shipped real data and of a simulated oscillator, deterministic by seed (no
download).

- :func:`etth1_irregular_queries`: ETTh1 windows observed at random hours, asked for a channel's value at an
  hour that was not observed (regression; the query is a step with every value missing, at its time).
- :func:`etth1_irregular_forecast`: ETTh1 windows observed at random hours, asked for a channel's value at a
  time after the window (forecasting at an irregular horizon; the query is the last step, every value missing).
- :func:`mass_spring_damper_irregular`: simulated oscillators observed at random steps, asked for the position
  after the window (a physical control where the elapsed time decides the answer).
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
    data, column = _etth1_split(split, target)
    if not 1 <= query_window < lookback:
        raise ValueError(f"query_window must lie in [1, {lookback - 1}], got {query_window}")
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
    y = data[starts + queries, column]
    return {"X": X, "times": T, "y": y, "X_grid": X_grid, "query": queries, "start": starts}


def etth1_irregular_forecast(split: str, n: int, seed: int = 0, lookback: int = 96, horizon: int = 24,
                             keep: float = 0.3, value_dropout: float = 0.1, target: str = "HUFL",
                             intervals=None) -> dict:
    """ETTh1 windows of ``lookback`` hours, each hour kept with probability ``keep`` and ``value_dropout`` of
    the kept values blanked, asked for channel ``target`` (scaled; default the high useful load) at an hour
    drawn uniformly from the ``horizon`` hours after the window: the query is a last step with every value
    missing, at its time. With ``intervals``, every window is first read every ``k`` hours, ``k`` drawn per
    window from ``intervals`` (sensors logging at different rates), before the random drops.

    Parameters
    ----------
    split : {"train", "val", "test"}
    n : int
        Windows (random start hours within the split).
    seed : int
    lookback, horizon : int
        Window length and the range of query hours after it (hours ``lookback`` to ``lookback + horizon - 1``
        from the window start).
    intervals : sequence of int, optional
        Logging intervals in hours, one drawn per window (ending at the window's last hour).

    Returns
    -------
    dict
        ``X``: list of (k_i + 1, 7) arrays (the kept observations, then the all-NaN query step); ``times``:
        list of (k_i + 1,) arrays, hours from the window start; ``y``: (n,) target; ``X_grid``: list of
        (q_i + 1, 8) arrays, the observations interpolated onto every hour up to the query hour ``q_i`` (the
        last observed values held after the window) plus a channel that is 1 at the hours after the window
        (the interpolation baseline: its length tells the horizon); ``query``, ``start``: (n,) query hour and
        window start row.

    Examples
    --------
    >>> d = etth1_irregular_forecast("val", 4, seed=1)
    >>> len(d["X"]), d["y"].shape, d["X"][0].shape[1], d["X_grid"][0].shape[1]
    (4, (4,), 7, 8)
    """
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    rng = np.random.default_rng(seed)
    data, column = _etth1_split(split, target)
    starts = rng.integers(0, len(data) - lookback - horizon + 1, n)
    hours = [np.arange(lookback)] * n
    if intervals is not None:
        hours = [np.arange(lookback - 1, -1, -k)[::-1] for k in rng.choice(np.asarray(intervals, dtype=int), n)]
    series, times = drop_steps([data[s + h] for s, h in zip(starts, hours, strict=True)], keep, rng,
                               times=[h.astype(np.float64) for h in hours])
    series = drop_values(series, value_dropout, rng)
    queries = lookback + rng.integers(0, horizon, n)
    return {**_forecast_queries(series, times, queries, lookback), "y": data[starts + queries, column],
            "start": starts}


def mass_spring_damper_irregular(n: int, seed: int = 0, context: int = 100, horizon: int = 50, keep: float = 0.3,
                                 noise: float = 0.0) -> dict:
    """Damped oscillators (:func:`make_mass_spring_damper`, position only, steps of 0.05) observed at random
    steps of their first ``context`` steps, each kept with probability ``keep``, asked for the position at a
    step drawn uniformly from the ``horizon`` steps after the context: a physical control for the ETTh1
    tasks, where the elapsed time decides how far the oscillation has moved.

    Returns
    -------
    dict
        As :func:`etth1_irregular_forecast` (times in steps), with ``params`` (n, 4): ``(k, c, x_0, v_0)``.

    Examples
    --------
    >>> d = mass_spring_damper_irregular(3, seed=1)
    >>> len(d["X"]), d["y"].shape, d["X_grid"][0].shape[1]
    (3, (3,), 2)
    """
    from tsrnn.datasets.physical import make_mass_spring_damper

    rng = np.random.default_rng(seed)
    X, params = make_mass_spring_damper(n, context + horizon, noise=noise, random_state=seed)
    series, times = drop_steps(X[:, :context], keep, rng)
    queries = context + rng.integers(0, horizon, n)
    return {**_forecast_queries(series, times, queries, context), "y": X[np.arange(n), queries, 0],
            "params": params}


def _forecast_queries(series, times, queries, lookback):
    """The all-NaN query step appended at every query time, and the interpolation baseline on the regular grid
    up to the query (a last channel flags the steps after the ``lookback`` window)."""
    X, T, X_grid = [], [], []
    for x, t, q in zip(series, times, queries, strict=True):
        X.append(np.vstack([x, np.full((1, x.shape[1]), np.nan)]))
        T.append(np.append(t, float(q)))
        grid = np.arange(q + 1, dtype=np.float64)
        X_grid.append(np.hstack([to_regular_grid([x], [t], grid)[0], (grid >= lookback).astype(np.float64)[:, None]]))
    return {"X": X, "times": T, "X_grid": X_grid, "query": np.asarray(queries)}


def _etth1_split(split: str, target: str):
    """The scaled ETTh1 split and the column index of ``target``."""
    etth1 = load_etth1()
    if target not in etth1["columns"]:
        raise ValueError(f"target must be one of {etth1['columns']}, got {target!r}")
    return etth1[split], etth1["columns"].index(target)


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
