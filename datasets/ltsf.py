"""The standard long-term time-series forecasting (LTSF) protocol on ETTh1, for any tsrnn forecaster.

The Informer / Autoformer / CycleNet protocol:

- split rows: train ``[0, 8640)``, validation ``[8640, 11520)``, test ``[11520, 14400)`` (12 / 4 / 4 months;
  later rows unused); a standard scaler fit on the train rows only, applied to the whole series;
- windows: input rows ``[s, s + lookback)``, target rows ``[s + lookback, s + lookback + horizon)``, every
  ``s`` whose target lies inside the split (validation and test inputs reach ``lookback`` rows back into
  the previous split), so the number of test windows is ``2880 - horizon + 1`` for any lookback;
- metrics: MSE and MAE on the scaled data, averaged over every test window, step and channel. No window is
  dropped and nothing is shuffled, so the score does not depend on the evaluation batch size (the
  ``drop_last=True`` test loader of several public code bases does drop windows).

Estimators that read positions on the time axis (CycleNet's phase) get the row numbers as ``times``.
"""

from __future__ import annotations

import numpy as np
from tsrnn.datasets.ett import ETT_SPLITS, load_etth1


def _series():
    data = load_etth1(scale=True)
    return np.concatenate([data["train"], data["val"], data["test"]])


def ltsf_windows(split: str, lookback: int, horizon: int):
    """Every (lookback, horizon) window of an ETTh1 split, with the row of each window's first input step.

    Parameters
    ----------
    split : {"train", "val", "test"}
    lookback, horizon : int

    Returns
    -------
    X : ndarray, shape (n_windows, lookback, 7)
    Y : ndarray, shape (n_windows, horizon, 7)
    first_rows : ndarray, shape (n_windows,), int
        Row number (in the full file) of each window's first input step.

    Examples
    --------
    >>> X, Y, rows = ltsf_windows("test", 96, 720)
    >>> X.shape, Y.shape, int(rows[0])
    ((2161, 96, 7), (2161, 720, 7), 11424)
    """
    from tsrnn.data.windowing import make_windows

    if split not in ETT_SPLITS:
        raise ValueError(f"split must be one of {tuple(ETT_SPLITS)}, got {split!r}")
    a, b = ETT_SPLITS[split]
    start = a if split == "train" else a - lookback
    if start < 0:
        raise ValueError(f"lookback={lookback} reaches before the first row for split {split!r}")
    X, Y, _ = make_windows(_series()[start:b], lookback, horizon)
    return X, Y, start + np.arange(len(X))


def _reads_positions(estimator) -> bool:
    return bool(getattr(estimator, "_reads_positions", False))


def ltsf_fit(estimator):
    """Fit a tsrnn forecaster on ETTh1 by the protocol and return it.

    Without early stopping the estimator sees the train rows only. With ``early_stopping`` it is fit on
    train + validation rows with ``validation_fraction`` set to 2880 / 11520 = 0.25, which makes its
    (time-ordered) validation windows exactly the protocol's validation windows.

    Parameters
    ----------
    estimator : tsrnn forecaster
        Its ``lookback`` and ``horizon`` define the task. Modified in place (``validation_fraction``).

    Returns
    -------
    estimator
    """
    series = _series()
    _, train_end = ETT_SPLITS["train"]
    _, val_end = ETT_SPLITS["val"]
    end = val_end if getattr(estimator, "early_stopping", False) else train_end
    if end == val_end:
        estimator.set_params(validation_fraction=(val_end - train_end) / val_end)
    times = np.arange(end, dtype=np.float64) if _reads_positions(estimator) else None
    return estimator.fit(series[:end]) if times is None else estimator.fit(series[:end], times=times)


def ltsf_evaluate(estimator, horizon: int | None = None, lookback: int | None = None, split: str = "test",
                  batch_size: int = 256) -> dict:
    """MSE and MAE of a fitted forecaster over every window of an ETTh1 split (scaled data).

    Parameters
    ----------
    estimator : fitted forecaster with ``predict(X, times=None)`` on a panel ``(n, lookback, 7)``
    horizon, lookback : int, optional
        Default to the estimator's own ``horizon`` / ``lookback`` (required for estimators without them).
    split : {"test", "val", "train"}
    batch_size : int
        Windows per ``predict`` call; the metric does not depend on it.

    Returns
    -------
    dict
        ``mse``, ``mae`` (floats) and ``n_windows``.
    """
    horizon = int(horizon if horizon is not None else estimator.horizon)
    lookback = int(lookback if lookback is not None else estimator.lookback)
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    X, Y, rows = ltsf_windows(split, lookback, horizon)
    preds = []
    for s in range(0, len(X), batch_size):
        part = X[s : s + batch_size]
        if _reads_positions(estimator):
            times = (rows[s : s + batch_size, None] + np.arange(lookback)).astype(np.float64)
            preds.append(estimator.predict(part, times=times))
        else:
            preds.append(estimator.predict(part))
    pred = np.concatenate(preds).reshape(Y.shape)
    err = pred - Y
    return {"mse": float(np.mean(err**2)), "mae": float(np.mean(np.abs(err))), "n_windows": int(len(X))}
