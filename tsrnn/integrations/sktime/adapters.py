"""sktime ``BaseForecaster`` / ``BaseClassifier`` / ``BaseRegressor`` around tsrnn estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sktime.classification.base import BaseClassifier
from sktime.forecasting.base import BaseForecaster
from sktime.regression.base import BaseRegressor

_COMMON_TAGS = {
    "authors": ["tsrnn developers"],
    "maintainers": ["tsrnn developers"],
    "python_dependencies": ["torch", "lightning"],
    # The adapters have no random_state of their own: the wrapped estimator's random_state seeds them, so
    # they are deterministic exactly when it is an int (set per instance by _set_randomness_tag).
    "capability:random_state": False,
    "property:randomness": "stochastic",
}


def _registry_test_params(task, **overrides):
    """One tiny configuration per registered estimator of ``task`` (the conformance suites' coverage)."""
    from tsrnn.registry import all_estimators

    return [{"estimator": cls(**{**cls._test_params(), **overrides})} for cls in all_estimators(task)]


def _set_randomness_tag(adapter):
    seeded = isinstance(getattr(adapter.estimator, "random_state", None), (int, np.integer))
    adapter.set_tags(**{"property:randomness": "deterministic" if seeded else "stochastic"})


def _panel_from_sktime(X):
    """sktime ``df-list`` (list of (T_i, C) frames) or ``numpy3D`` (n, C, T) -> tsrnn panel (n, T, C) or list."""
    if isinstance(X, np.ndarray):
        return np.ascontiguousarray(np.transpose(X, (0, 2, 1)))
    return [x.to_numpy(dtype=np.float64) for x in X]


class TsrnnForecaster(BaseForecaster):
    """sktime forecaster wrapping a tsrnn forecaster (e.g. :class:`tsrnn.S5Forecaster`).

    The wrapped estimator's ``horizon`` is set to the largest step of ``fh`` at fit; forecasts start right
    after the last data seen (in ``fit`` or ``update``). The adapter keeps that series itself, so it works the
    same whatever sktime's ``remember_data`` config (whose default sktime 1.3 turns off); ``update`` appends to
    it and, with ``update_params=True``, refits on all of it. A forecaster with ``quantiles`` also gives
    ``predict_quantiles`` and ``predict_interval`` at the levels it was fitted for.

    Parameters
    ----------
    estimator : tsrnn forecaster
        Cloned at fit; its ``horizon`` is overridden.

    Examples
    --------
    >>> from sktime.datasets import load_airline
    >>> from tsrnn import S5Forecaster
    >>> from tsrnn.integrations.sktime import TsrnnForecaster
    >>> y = load_airline()
    >>> f = TsrnnForecaster(S5Forecaster(lookback=24, d_model=8, d_state=8, n_layers=1, max_epochs=1,
    ...                                  random_state=0))
    >>> f.fit(y, fh=[1, 2, 3]).predict().shape
    (3,)
    """

    _tags = {
        **_COMMON_TAGS,
        "y_inner_mtype": "pd.DataFrame",
        "X_inner_mtype": "pd.DataFrame",
        "scitype:y": "both",
        "capability:exogenous": False,
        "requires-fh-in-fit": True,
        "capability:missing_values": True,
        "capability:insample": False,
        "capability:pred_int": False,
    }

    def __init__(self, estimator=None):
        self.estimator = estimator
        super().__init__()
        _set_randomness_tag(self)
        self._set_pred_int_tag()

    def _set_pred_int_tag(self):
        """Quantile forecasts (predict_quantiles, predict_interval) when the wrapped forecaster is set to make them."""
        quantiles = None if self.estimator is None else self.estimator.get_params().get("quantiles")
        self.set_tags(**{"capability:pred_int": quantiles is not None})

    def set_params(self, **params):
        """As sktime's, and the ``capability:pred_int`` tag follows ``estimator__quantiles``."""
        super().set_params(**params)
        self._set_pred_int_tag()
        return self

    def _fit(self, y, X=None, fh=None):
        from tsrnn import S5Forecaster

        steps = fh.to_relative(self.cutoff)
        if np.any(np.asarray(steps) < 1):
            raise ValueError("fh must be strictly out-of-sample (steps >= 1) for tsrnn forecasters")
        base = S5Forecaster() if self.estimator is None else self.estimator
        self.estimator_ = clone(base).set_params(horizon=int(np.max(steps)))
        self.estimator_.fit(y.to_numpy(dtype=np.float64))
        self.y_seen_ = y
        return self

    def _context(self, fh):
        """The series to forecast from, its times (or None) and the forecast steps (1-based) of ``fh``."""
        steps = np.asarray(fh.to_relative(self.cutoff), dtype=int)
        context = self.y_seen_.to_numpy(dtype=np.float64)
        if self.estimator_.horizon < steps.max():
            raise ValueError(f"fh reaches {steps.max()} steps, beyond the fitted horizon {self.estimator_.horizon}")
        # Families that align by position (CycleNet's phase) get row numbers on the training axis as times.
        times = np.arange(len(context), dtype=np.float64) if getattr(self.estimator_, "_reads_positions", False) else None
        return context, times, steps

    def _predict(self, fh, X=None):
        context, times, steps = self._context(fh)
        pred = self.estimator_.predict(context, times=times)
        pred = pred.reshape(pred.shape[0], -1)[steps - 1]
        index = fh.to_absolute_index(self.cutoff)
        return pd.DataFrame(pred, index=index, columns=self.y_seen_.columns)

    def _predict_quantiles(self, fh, X=None, alpha=None):
        """Quantile forecasts at the levels ``alpha``, which must be among the wrapped forecaster's ``quantiles_``
        (sktime's ``predict_interval`` asks for ``0.5 -+ coverage / 2``)."""
        levels = self.estimator_.quantiles_
        missing = [a for a in alpha if not np.isclose(levels, a, rtol=0, atol=1e-9).any()]
        if missing:
            raise ValueError(f"alpha {missing} are not among the levels the forecaster was fitted for, "
                             f"{levels.tolist()}: include them in its quantiles")
        context, times, steps = self._context(fh)
        pred = self.estimator_.predict_quantiles(context, times=times)  # (horizon, C, Q)
        pred = pred[steps - 1][:, :, [int(np.argmin(np.abs(levels - a))) for a in alpha]]
        return pd.DataFrame(pred.reshape(len(steps), -1), index=fh.to_absolute_index(self.cutoff),
                            columns=self._get_columns(method="predict_quantiles", alpha=alpha))

    def _update(self, y, X=None, update_params=True):
        seen = self.y_seen_
        self.y_seen_ = pd.concat([seen[~seen.index.isin(y.index)], y]).sort_index()  # new values win
        if update_params:
            self.estimator_.fit(self.y_seen_.to_numpy(dtype=np.float64))
        return self

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """A tiny configuration of every registered tsrnn forecaster (short lookback for short test series), and
        a quantile forecaster with the levels sktime's interval and quantile tests ask for."""
        from tsrnn import S5Forecaster

        levels = (0.05, 0.1, 0.125, 0.25, 0.375, 0.45, 0.475, 0.525, 0.55, 0.625, 0.75, 0.875, 0.9, 0.95)
        quantile = S5Forecaster(**{**S5Forecaster._test_params(), "lookback": 4, "quantiles": levels})
        return _registry_test_params("forecasting", lookback=4) + [{"estimator": quantile}]


class _PanelAdapterMixin:
    """fit/predict plumbing shared by the classifier and regressor adapters."""

    def _fit(self, X, y):
        self.estimator_ = clone(self._default_estimator() if self.estimator is None else self.estimator)
        self.estimator_.fit(_panel_from_sktime(X), y)
        return self

    def _predict(self, X):
        return self.estimator_.predict(_panel_from_sktime(X))


_PANEL_TAGS = {
    **_COMMON_TAGS,
    "X_inner_mtype": ["df-list", "numpy3D"],
    "capability:multivariate": True,
    "capability:unequal_length": True,
    "capability:missing_values": True,
}


class TsrnnClassifier(_PanelAdapterMixin, BaseClassifier):
    """sktime classifier wrapping a tsrnn classifier (e.g. :class:`tsrnn.S5Classifier`).

    Parameters
    ----------
    estimator : tsrnn classifier
        Cloned at fit.

    Examples
    --------
    >>> from sktime.datasets import load_unit_test
    >>> from tsrnn import S5Classifier
    >>> from tsrnn.integrations.sktime import TsrnnClassifier
    >>> X, y = load_unit_test(split="train")
    >>> clf = TsrnnClassifier(S5Classifier(d_model=8, d_state=8, n_layers=1, max_epochs=1, random_state=0))
    >>> clf.fit(X, y).predict(X).shape
    (20,)
    """

    _tags = {**_PANEL_TAGS, "capability:predict_proba": True}

    def __init__(self, estimator=None):
        self.estimator = estimator
        super().__init__()
        _set_randomness_tag(self)

    @staticmethod
    def _default_estimator():
        from tsrnn import S5Classifier

        return S5Classifier()

    def _predict_proba(self, X):
        return self.estimator_.predict_proba(_panel_from_sktime(X))

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """A tiny configuration of every registered tsrnn classifier."""
        return _registry_test_params("classification")


class TsrnnRegressor(_PanelAdapterMixin, BaseRegressor):
    """sktime regressor wrapping a tsrnn regressor (e.g. :class:`tsrnn.S5Regressor`).

    Parameters
    ----------
    estimator : tsrnn regressor
        Cloned at fit.

    Examples
    --------
    >>> from sktime.datasets import load_unit_test
    >>> from tsrnn import S5Regressor
    >>> from tsrnn.integrations.sktime import TsrnnRegressor
    >>> X, y = load_unit_test(split="train")
    >>> reg = TsrnnRegressor(S5Regressor(d_model=8, d_state=8, n_layers=1, max_epochs=1, random_state=0))
    >>> reg.fit(X, y.astype(float)).predict(X).shape
    (20,)
    """

    _tags = _PANEL_TAGS

    def __init__(self, estimator=None):
        self.estimator = estimator
        super().__init__()
        _set_randomness_tag(self)

    @staticmethod
    def _default_estimator():
        from tsrnn import S5Regressor

        return S5Regressor()

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """A tiny configuration of every registered tsrnn regressor."""
        return _registry_test_params("regression")
