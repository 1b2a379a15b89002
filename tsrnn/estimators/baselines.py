"""Non-learned reference forecasters."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from tsrnn.estimators.base import _check_param, check_series_list


class SeasonalNaiveForecaster(BaseEstimator):
    """Repeat the last observed season: ``y_hat[T + h] = y[T + h - m * ceil(h / m)]`` for ``h = 1..horizon``.

    Parameters
    ----------
    sp : int, default=24
        Season length ``m`` (1 gives the naive last-value forecast).
    horizon : int, default=24

    Examples
    --------
    >>> import numpy as np
    >>> SeasonalNaiveForecaster(sp=3, horizon=4).fit(np.arange(6.0)).predict().tolist()
    [3.0, 4.0, 5.0, 3.0]
    """

    def __init__(self, sp=24, horizon=24):
        self.sp = sp
        self.horizon = horizon

    def fit(self, y, times=None):
        """Remember the last season of ``y`` ((T,) or (T, C)). Returns self."""
        _check_param("sp", self.sp, int, 1)
        _check_param("horizon", self.horizon, int, 1)
        series, self.univariate_ = check_series_list(y)
        if len(series[-1]) < self.sp:
            raise ValueError(f"y has {len(series[-1])} time points, fewer than one season sp = {self.sp}")
        self.n_features_in_ = series[0].shape[1]
        self.context_ = series[-1][-self.sp :]
        return self

    def predict(self, X=None, times=None):
        """Forecast after the training series, or after each context of a panel ``X`` (n, T >= sp, C)."""
        check_is_fitted(self)
        ctx = self.context_[None] if X is None else np.asarray(X, dtype=np.float64)
        single = X is None or ctx.ndim < 3
        if ctx.ndim == 1:
            ctx = ctx[None, :, None]
        elif ctx.ndim == 2:
            ctx = ctx[None]
        if ctx.shape[1] < self.sp:
            raise ValueError(f"X has {ctx.shape[1]} time points, fewer than one season sp = {self.sp}")
        idx = ctx.shape[1] - self.sp + (np.arange(self.horizon) % self.sp)
        out = ctx[:, idx]
        if single:
            out = out[0]
            return out[:, 0] if self.univariate_ else out
        return out
