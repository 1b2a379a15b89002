"""Panels of series at the estimator boundary: validation, padding, masks, time gaps, missing values.

Layouts accepted (DESIGN.md):

- 3-D array ``(n_samples, n_timepoints, n_channels)``;
- 2-D array ``(n_samples, n_timepoints)``: univariate series (classifiers, regressors);
- a list of arrays ``(n_timepoints_i, n_channels)`` or ``(n_timepoints_i,)`` of unequal lengths.

NaN marks a missing value. Shorter series are padded at the end; padded steps carry ``mask == False``
and leave the recurrent state unchanged. ``times`` (same leading shape as the values, strictly increasing
per series) becomes per-step gaps ``dt`` in units of ``time_unit`` (the first step's gap is 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Panel:
    """A validated, padded panel.

    Attributes
    ----------
    values : ndarray, shape (n, L, C), float64
        NaN where missing; 0 on padded steps.
    lengths : ndarray, shape (n,), int
    times : ndarray, shape (n, L), float64, or None
        Observation times (padding repeats the last time).
    """

    values: np.ndarray
    lengths: np.ndarray
    times: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        return self.values.shape[0]

    @property
    def n_channels(self) -> int:
        return self.values.shape[2]

    @property
    def mask(self) -> np.ndarray:
        """Valid steps, shape (n, L), bool."""
        return np.arange(self.values.shape[1])[None, :] < self.lengths[:, None]

    @property
    def equal_length(self) -> bool:
        return bool(np.all(self.lengths == self.values.shape[1]))

    def gaps(self, time_unit: float) -> np.ndarray | None:
        """Per-step time gaps ``(t_k - t_{k-1}) / time_unit``, first gap 1, padding 1; (n, L) or None."""
        if self.times is None:
            return None
        dt = np.ones_like(self.times)
        dt[:, 1:] = np.diff(self.times, axis=1) / time_unit
        dt[~self.mask] = 1.0
        return dt

    def median_gap(self) -> float:
        """Median observed time gap over all series (1 without times)."""
        if self.times is None:
            return 1.0
        d = np.diff(self.times, axis=1)[self.mask[:, 1:]]
        return float(np.median(d)) if d.size else 1.0


def _check_2d(a, name, allow_nan, ensure_min_samples=1):
    from sklearn.utils import check_array

    return check_array(a, dtype=np.float64, ensure_all_finite="allow-nan" if allow_nan else True,
                       ensure_2d=True, allow_nd=False, input_name=name, ensure_min_samples=ensure_min_samples)


def check_panel(X, name: str = "X", allow_nan: bool = True, n_channels: int | None = None) -> Panel:
    """Validate a panel and return it padded with its lengths.

    Parameters
    ----------
    X : array-like (n, L), (n, L, C), or list of arrays (L_i,) / (L_i, C)
    name : str
        Argument name used in error messages.
    allow_nan : bool
        Whether NaN (missing values) is accepted.
    n_channels : int, optional
        Expected number of channels (checked at predict time).

    Returns
    -------
    Panel
    """
    from sklearn.utils import check_array

    read_2d = False
    if isinstance(X, (list, tuple)) and len(X) and all(np.ndim(x) in (1, 2) and not np.isscalar(x) for x in X) \
            and not _is_rectangular_numbers(X):
        series = []
        for i, x in enumerate(X):
            x = np.asarray(x) if not hasattr(x, "shape") else x
            x = _check_2d(np.reshape(x, (-1, 1)) if np.ndim(x) == 1 else x, f"{name}[{i}]", allow_nan)
            series.append(x)
        chans = {s.shape[1] for s in series}
        if len(chans) != 1:
            raise ValueError(f"{name}: every series must have the same number of channels, got {sorted(chans)}")
        lengths = np.array([s.shape[0] for s in series])
        values = np.zeros((len(series), lengths.max(), chans.pop()))
        for i, s in enumerate(series):
            values[i, : len(s)] = s
    else:
        if hasattr(X, "to_numpy") and getattr(X, "ndim", 0) == 2:  # pandas DataFrame of univariate rows
            X = X.to_numpy()
        values = check_array(X, dtype=np.float64, ensure_all_finite="allow-nan" if allow_nan else True,
                             allow_nd=True, ensure_2d=True, input_name=name)
        read_2d = values.ndim == 2
        if read_2d:
            values = values[:, :, None]
        elif values.ndim != 3:
            raise ValueError(f"{name} must be 2-D (n_samples, n_timepoints) or 3-D (n_samples, n_timepoints, "
                             f"n_channels), got {values.ndim}-D with shape {values.shape}")
        if values.shape[2] == 0:
            raise ValueError(f"{name} has 0 channels (shape={values.shape}); at least 1 is required")
        lengths = np.full(values.shape[0], values.shape[1])
    if n_channels is not None and values.shape[2] != n_channels:
        hint = (f"; a 2-D {name} is read as (n_samples, n_timepoints) of one channel, and one series of shape "
                f"(n_timepoints, n_channels) is passed as {name}[None]") if read_2d else ""
        raise ValueError(f"{name} has {values.shape[2]} channels, but the estimator was fitted with {n_channels}{hint}")
    observed = ~np.isnan(values)
    valid = np.arange(values.shape[1])[None, :] < lengths[:, None]
    if not allow_nan and np.any(~observed & valid[:, :, None]):
        raise ValueError(f"{name} contains NaN, which is not allowed here")
    empty = np.flatnonzero(~(observed & valid[:, :, None]).any(axis=(1, 2)))
    if empty.size:
        raise ValueError(f"{name}[{empty[0]}] has no observed value (all NaN)" if empty.size == 1 else
                         f"{name} has {empty.size} samples with no observed value (all NaN), the first {name}[{empty[0]}]")
    return Panel(values=values, lengths=lengths)


def _is_rectangular_numbers(X) -> bool:
    """A list of equal-length 1-D sequences of numbers is an ordinary 2-D array, not a list of series."""
    try:
        arr = np.asarray(X)
    except ValueError:
        return False
    return arr.dtype != object and arr.ndim == 2


def check_time_row(t, length: int, name: str = "times") -> np.ndarray:
    """Validate the observation times of one series: ``length`` finite, strictly increasing values.

    Parameters
    ----------
    t : array-like (length,)
    length : int
        Number of observations of the series.
    name : str
        How the error messages name the argument.

    Returns
    -------
    ndarray (length,) float64
    """
    t = np.asarray(t, dtype=np.float64)
    if t.shape != (length,):
        raise ValueError(f"{name} must have shape ({length},), one time per observation of its series, got {t.shape}")
    if not np.all(np.isfinite(t)):
        raise ValueError(f"{name} contains NaN or infinite times")
    if length > 1 and np.any(np.diff(t) <= 0):
        raise ValueError(f"{name} must be strictly increasing")
    return t


def attach_times(panel: Panel, times, name: str = "times") -> Panel:
    """Validate observation ``times`` for ``panel`` and attach them (padded by repeating the last time).

    Parameters
    ----------
    panel : Panel
    times : array-like (n, L) or (L,) for a single series, or list of 1-D arrays
    name : str

    Returns
    -------
    Panel
    """
    if times is None:
        return panel
    n, L = panel.values.shape[:2]
    if isinstance(times, (list, tuple)) and len(times) == n and all(np.ndim(t) == 1 for t in times) and n > 0 \
            and not _is_rectangular_numbers(times):
        rows = [np.asarray(t, dtype=np.float64) for t in times]
    else:
        arr = np.asarray(times, dtype=np.float64)
        if arr.ndim == 1 and n == 1:
            arr = arr[None]
        if arr.ndim != 2 or arr.shape[0] != n:
            raise ValueError(f"{name} must have shape (n_samples, n_timepoints) = ({n}, {L}), got {arr.shape}")
        rows = list(arr)
    out = np.empty((n, L))
    for i, (t, length) in enumerate(zip(rows, panel.lengths, strict=False)):
        t = check_time_row(t, length, f"{name}[{i}]")
        out[i, :length] = t
        out[i, length:] = t[-1]
    return Panel(values=panel.values, lengths=panel.lengths, times=out)


def periodic_time_features(times: np.ndarray, periods) -> np.ndarray:
    """Sine and cosine of every time at each period: the phase of each step within each cycle.

    A step-wise recurrent state (CfC, LTC, LEM) has no clock: it sees the gap to the previous step but cannot
    tell where in a daily cycle an observation fell. These features give it that phase (the fixed-period
    counterpart of Time2Vec, Kazemi et al. 2019).

    Parameters
    ----------
    times : ndarray, shape (n, L)
        Observation times.
    periods : sequence of float
        Periods, in the units of ``times``.

    Returns
    -------
    ndarray, shape (n, L, 2 * len(periods))
        ``sin(2 pi t / p_k)`` for every period, then ``cos(2 pi t / p_k)``.
    """
    angle = 2.0 * np.pi * times[..., None] / np.asarray(periods, dtype=np.float64)
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=-1)


def to_model_inputs(panel: Panel, indicators: bool, time_unit: float = 1.0, time_periods=None) -> dict:
    """Arrays a network consumes: zero-filled values (+ observed indicators, + periodic time features), gaps and
    the padding mask.

    Parameters
    ----------
    panel : Panel
    indicators : bool
        Append one observed (1) / missing (0) channel per value channel.
    time_unit : float
        Divides time gaps.
    time_periods : sequence of float, optional
        Append :func:`periodic_time_features` of ``panel.times`` at these periods (the panel must have times).

    Returns
    -------
    dict with ``x`` (n, L, C [+ C] [+ 2 len(time_periods)]) float32, ``dt`` (n, L) float32 or None, ``mask``
    (n, L) bool or None
    """
    observed = ~np.isnan(panel.values)
    parts = [np.where(observed, panel.values, 0.0)]
    if indicators:
        parts.append(observed.astype(np.float64))
    if time_periods:
        if panel.times is None:
            raise ValueError("time_periods needs the observation times: pass times")
        parts.append(periodic_time_features(panel.times, time_periods))
    dt = panel.gaps(time_unit)
    return {
        "x": np.concatenate(parts, axis=-1).astype(np.float32),
        "dt": None if dt is None else dt.astype(np.float32),
        "mask": None if panel.equal_length else panel.mask,
    }
