"""CycleNet estimator: :class:`CycleNetForecaster` (forecasting only)."""

from __future__ import annotations

import warnings

import numpy as np

from tsrnn.data.irregular import place_on_grid
from tsrnn.estimators._docs import QUANTILES_DOC, estimator_doc
from tsrnn.estimators.base import QuantileForecaster, _check_param, check_series_list, estimator

TASKS = ("forecasting",)

#: The paper's recipe (ETT / Weather, lookback 96, Linear backbone): Adam, batch 256, lr 0.01 held for four
#: epochs then x0.8 per epoch, at most 30 epochs, early stopping with patience 5 on the validation MSE.
TRAINING_DEFAULTS = {"max_epochs": 30, "batch_size": 256, "lr": 0.01, "weight_decay": 0.0, "lr_decay": 0.8,
                     "lr_decay_start": 4, "early_stopping": True, "patience": 5, "validation_fraction": 0.2}

CYCLENET_DOC = """\
cycle_length : int or None, default=None
    Period ``W`` of the learnable cycle, in steps (ETTh1 hourly: 24; 15-minute data with a daily cycle: 96).
    None chooses the lag of the highest autocorrelation peak of the training part (averaged over channels,
    lags 2 .. min(T // 3, 1024)); 0 trains the backbone alone (the paper's ablation). A cycle longer than the
    training data warns: the phases it never reaches keep their initial 0.
backbone : {"linear", "mlp"}, default="linear"
    Linear ``lookback -> horizon`` map, or ``lookback -> d_model -> horizon`` with ReLU; shared by all channels.
d_model : int, default=512
    Hidden width of the MLP backbone (unused by the linear one).
"""

TASK_DOC = """\
lookback : int, default=96
horizon : int, default=24
stride : int, default=1
    Step between training windows.
instance_norm : bool, default=True
    Standardize every input window per channel (unbiased variance) and undo it on the forecast.
""" + QUANTILES_DOC


class CycleNetFamily:
    """Hyperparameters and network of CycleNet (mixin for :class:`QuantileForecaster`)."""

    _family_params = {"cycle_length": None, "backbone": "linear", "d_model": 512}
    _task_params = {k: v for k, v in QuantileForecaster._task_params.items() if k != "channel_independent"}
    _training_defaults = TRAINING_DEFAULTS
    #: The LTSF protocol passes row numbers as ``times`` (the phase needs them).
    _reads_positions = True

    @classmethod
    def _test_params(cls) -> dict:
        """Tiny configuration used by the conformance suites."""
        return dict(cycle_length=3, d_model=8, max_epochs=1, early_stopping=False, batch_size=64, random_state=0)

    def _validate_family_params(self):
        _check_param("cycle_length", self.cycle_length, int, 0, allow_none=True)
        _check_param("backbone", self.backbone, None, choices=("linear", "mlp"))
        _check_param("d_model", self.d_model, int, 1)

    def _prepare_fit(self, train_values, times_list):
        super()._prepare_fit(train_values, times_list)
        self.time_origin_ = 0.0 if times_list[0] is None else float(times_list[0][0])
        if self.cycle_length is not None:
            self.cycle_length_ = int(self.cycle_length)
            span = max(len(v) for v in train_values)  # grid rows: irregular series are on their grid already
            if self.cycle_length_ > span:
                warnings.warn(f"cycle_length ({self.cycle_length_}) is longer than the training data ({span} steps): "
                              f"{self.cycle_length_ - span} phases of the cycle never occur in it and keep their "
                              "initial value 0 until later data (partial_fit) covers them", UserWarning, stacklevel=3)
            return
        from tsrnn.nn.cyclenet import autocorrelation_period

        self.cycle_length_ = autocorrelation_period(train_values[0])
        if self.cycle_length_ == 0:
            warnings.warn("CycleNetForecaster found no autocorrelation peak in the training data; training "
                          "without the cycle (set cycle_length to force one)", UserWarning, stacklevel=3)

    def _window_extras(self, first_rows, times):
        if not self.cycle_length_:
            return {}
        if times is not None:  # the phase of every input step from its own time
            position = np.round((times - self.time_origin_) / self.time_unit_)
        elif first_rows is not None:  # consecutive rows from the first one
            position = np.asarray(first_rows, dtype=np.float64)
        else:
            raise ValueError("times is required to forecast after a given context X, or to train on more data with "
                             "partial_fit: CycleNetForecaster aligns its cycle by each step's position on the "
                             "training time axis (row numbers of the training series when it was fitted without "
                             "times)")
        return {"phase": np.mod(position, self.cycle_length_).astype(np.int64)}

    def _fit(self, y, times, partial):
        series, univariate = check_series_list(y)
        if times is not None:  # irregular rows go onto the regular grid, NaN where nothing was observed
            times_list = self._check_times_list(times, series)
            if partial and self._resumable():  # the grid of the first fit
                origin, step = self.time_origin_, self.time_unit_
            else:
                origin, step = times_list[0][0], float(np.median(np.concatenate([np.diff(t) for t in times_list])))
            grids = [self._on_grid(s, t, origin, step) for s, t in zip(series, times_list, strict=True)]
            series = [g[:, 0] if univariate else g for g, _ in grids]
            y, times = (series, [t for _, t in grids]) if isinstance(y, list) else (series[0], grids[0][1])
        return super()._fit(y, times, partial)

    def _context_inputs(self, X, times):
        """Model inputs of the training data's end, or of the contexts ``X`` with their ``times``; irregular
        contexts are put on the training grid first."""
        if X is not None and times is not None:
            X, times = self._grid_contexts(X, times)
        return super()._context_inputs(X, times)

    def _grid_contexts(self, X, times):
        """Contexts on the regular grid of the training times: their last ``lookback`` grid rows."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        panel = np.ndim(X) == 3 or (isinstance(X, list) and np.ndim(X[0]) == 2)
        rows = list(X) if panel else [X]
        trows = list(np.asarray(times, dtype=np.float64)) if panel else [times]
        if len(trows) != len(rows):
            raise ValueError(f"times must have one row per context: got {len(trows)} for {len(rows)}")
        series, univariate = check_series_list(rows, "X", self.n_features_in_)
        trows = self._check_times_list(trows, series)
        grids = [self._on_grid(s, t, self.time_origin_, self.time_unit_) for s, t in zip(series, trows, strict=True)]
        short = [len(g) for g, _ in grids if len(g) < self.lookback]
        if short:
            raise ValueError(f"X spans {short[0]} grid steps, fewer than lookback = {self.lookback}")
        vals = [g[-self.lookback :] for g, _ in grids]
        tms = [t[-self.lookback :] for _, t in grids]
        if panel:
            return np.stack(vals), np.stack(tms)
        return (vals[0][:, 0] if univariate else vals[0]), tms[0]

    @staticmethod
    def _on_grid(values, times, origin, step):
        """:func:`place_on_grid` with an error that says what CycleNet needs of ``times``."""
        try:
            return place_on_grid(values, times, origin, step)
        except ValueError as err:
            raise ValueError(f"{err}. CycleNetForecaster reads times as a regular grid with rows missing (step "
                             f"{step:g}, the median gap of the training times); for observations at arbitrary "
                             "times use a continuous-time family (S5, CfC, LEM)") from None

    def _build_net(self):
        from tsrnn.nn.cyclenet import CycleNet

        return CycleNet(self.n_features_in_, self.lookback, self.horizon, self.cycle_length_, backbone=self.backbone,
                        d_model=self.d_model, instance_norm=self.instance_norm, indicators=self.missing_indicators_,
                        n_quantiles=self._n_quantiles())

    _build_for_load = _build_net

    def _fitted_state(self):
        state = super()._fitted_state()
        state.update(cycle_length_=self.cycle_length_, time_origin_=self.time_origin_)
        return state

    def _restore_fitted_state(self, state):
        super()._restore_fitted_state(state)
        self.cycle_length_, self.time_origin_ = state["cycle_length_"], state["time_origin_"]

    @property
    def cycle_(self) -> np.ndarray:
        """The learned cycle ``Q``, shape ``(cycle_length_, n_channels)``, in instance-normalized units; row
        ``p`` is the value at phase ``p`` (position mod ``cycle_length_``)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        if self.module_.cycle is None:
            return np.zeros((0, self.n_features_in_))
        return self.module_.cycle.detach().double().numpy().copy()


@estimator("tsrnn.CycleNetForecaster")
class CycleNetForecaster(CycleNetFamily, QuantileForecaster):
    __doc__ = estimator_doc(
        "CycleNet forecaster: residual cycle forecasting (Lin et al., NeurIPS 2024).",
        "Removes a learnable per-channel cycle of period ``cycle_length`` (aligned by each step's phase) from "
        "the instance-normalized lookback, maps the residual to the horizon with a Linear or MLP backbone shared "
        "across channels, and adds the cycle back. Phases are row numbers of the training series, or come from "
        "``times`` (``round((t - t0) / step) mod W`` for every input step, so missing rows do not shift the cycle; "
        "the forecast steps follow the last input time one step apart). Forecasting after a new context ``X`` "
        "needs its ``times`` on the same axis.",
        CYCLENET_DOC, "forecaster", """>>> import numpy as np
>>> from tsrnn import CycleNetForecaster
>>> t = np.arange(600.0)
>>> y = np.sin(2 * np.pi * t / 24) + 0.01 * t
>>> f = CycleNetForecaster(lookback=48, horizon=12, cycle_length=24, max_epochs=2, random_state=0).fit(y)
>>> f.predict().shape, f.cycle_.shape
((12,), (24, 1))
>>> f.predict(y[-100:], times=t[-100:]).shape
(12,)""", training_defaults=TRAINING_DEFAULTS, task_doc=TASK_DOC)
