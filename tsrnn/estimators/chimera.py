"""Chimera estimators: :class:`ChimeraForecaster`, :class:`ChimeraClassifier`."""

from __future__ import annotations

from tsrnn.estimators._docs import POOLING_DOC, estimator_doc
from tsrnn.estimators.base import SequenceClassifier, SequenceForecaster, _check_param, estimator
from tsrnn.estimators.cyclenet import TASK_DOC as FORECAST_TASK_DOC

TASKS = ("forecasting", "classification")

CHIMERA_DOC = """\
d_model : int, default=32
    Width of every grid point's features.
d_state : int, default=8
    States of each kind (time, variate) per channel, per head and direction.
n_layers : int, default=2
trend_dt_min, trend_dt_max : float, default=1e-3, 0.1
    Initial time-step range of the trend head (small steps: long memory).
seasonal_dt_min, seasonal_dt_max : float, default=0.1, 1.0
    Initial time-step range of the seasonal head (large steps: short, fast patterns).
variate_dt_min, variate_dt_max : float, default=0.1, 1.0
    Initial range of the steps along variates (larger: less mixing across variates).
seasonal_head : bool, default=True
    Use the seasonal head beside the trend head (False: trend head only).
bidirectional : bool, default=True
    Forward and backward modules along the variate axis.
selective : bool, default=True
    B, C and both steps depend on the input (False: a data-independent 2-D convolution).
gating : bool, default=True
    Multiply the SSM output by ``silu`` of a second input projection.
dropout : float, default=0.0
"""

#: Smaller batches and learning rate than the shared defaults: each sample is a whole (variate, time) grid.
TRAINING_DEFAULTS = {"batch_size": 32, "lr": 2e-3, "max_epochs": 20}


class ChimeraFamily:
    """Hyperparameters and backbone of Chimera (mixin)."""

    _family_params = {"d_model": 32, "d_state": 8, "n_layers": 2, "trend_dt_min": 1e-3, "trend_dt_max": 0.1,
                      "seasonal_dt_min": 0.1, "seasonal_dt_max": 1.0, "variate_dt_min": 0.1, "variate_dt_max": 1.0,
                      "seasonal_head": True, "bidirectional": True, "selective": True, "gating": True, "dropout": 0.0}
    _training_defaults = TRAINING_DEFAULTS

    @classmethod
    def _test_params(cls) -> dict:
        """Tiny configuration used by the conformance suites."""
        return dict(d_model=4, d_state=2, n_layers=1, max_epochs=1, batch_size=64, random_state=0)

    def _validate_family_params(self):
        for name in ("d_model", "d_state", "n_layers"):
            _check_param(name, getattr(self, name), int, 1)
        for kind in ("trend", "seasonal", "variate"):
            _check_param(f"{kind}_dt_min", getattr(self, f"{kind}_dt_min"), float, 0, open_low=True)
            _check_param(f"{kind}_dt_max", getattr(self, f"{kind}_dt_max"), float, getattr(self, f"{kind}_dt_min"))
        for name in ("seasonal_head", "bidirectional", "selective", "gating"):
            _check_param(name, getattr(self, name), None, choices=(True, False))
        _check_param("dropout", self.dropout, float, 0, 1, open_high=True)

    def _build_backbone(self, n_inputs):
        from tsrnn.nn.chimera import ChimeraBackbone

        return ChimeraBackbone(
            self.n_features_in_, n_features=2 if self.missing_indicators_ else 1, d_model=self.d_model,
            d_state=self.d_state, n_layers=self.n_layers, dropout=self.dropout,
            trend_dt=(self.trend_dt_min, self.trend_dt_max),
            seasonal_dt=(self.seasonal_dt_min, self.seasonal_dt_max) if self.seasonal_head else None,
            variate_dt=(self.variate_dt_min, self.variate_dt_max), bidirectional=self.bidirectional,
            selective=self.selective, gating=self.gating)


_TITLE = "Chimera {}: 2-D state space model over time and variates (Behrouz, Santacatterina & Zabih, NeurIPS 2024)."


@estimator("tsrnn.ChimeraClassifier")
class ChimeraClassifier(ChimeraFamily, SequenceClassifier):
    __doc__ = estimator_doc(
        _TITLE.format("classifier"),
        "Chimera layers over the (channel, time) grid, features averaged over channels and pooled over time, "
        "a linear head; cross-entropy. Takes panels ``(n, T, C)`` or lists of unequal-length series (padding "
        "holds the time state); NaN marks missing values; ``times`` scale the time steps by the observed gaps.",
        CHIMERA_DOC, "classifier", """>>> import numpy as np
>>> from tsrnn import ChimeraClassifier
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((20, 16, 3)); y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
>>> clf = ChimeraClassifier(d_model=8, d_state=4, n_layers=1, max_epochs=2, random_state=0).fit(X, y)
>>> clf.predict(X).shape
(20,)""", training_defaults=TRAINING_DEFAULTS, task_doc=POOLING_DOC)


@estimator("tsrnn.ChimeraForecaster")
class ChimeraForecaster(ChimeraFamily, SequenceForecaster):
    __doc__ = estimator_doc(
        _TITLE.format("forecaster"),
        "Instance-normalized lookback window through Chimera layers over the (channel, time) grid; a closed-loop "
        "decoder extrapolates every channel's last features over the horizon (or a linear map with "
        '``decoder="direct"``).',
        CHIMERA_DOC + 'decoder : {"closed_loop", "direct"}, default="closed_loop"\n',
        "forecaster", """>>> import numpy as np
>>> from tsrnn import ChimeraForecaster
>>> t = np.arange(300.0)
>>> y = np.stack([np.sin(t / 4), np.cos(t / 4)], axis=1)
>>> f = ChimeraForecaster(lookback=24, horizon=6, d_model=8, d_state=4, n_layers=1, max_epochs=1, random_state=0)
>>> f.fit(y).predict().shape
(6, 2)""", training_defaults=TRAINING_DEFAULTS, task_doc=FORECAST_TASK_DOC)

    _family_params = {**ChimeraFamily._family_params, "decoder": "closed_loop"}
    _task_params = {k: v for k, v in SequenceForecaster._task_params.items() if k != "channel_independent"}

    def _validate_family_params(self):
        super()._validate_family_params()
        _check_param("decoder", self.decoder, None, choices=("closed_loop", "direct"))

    def _build_net(self):
        from tsrnn.nn.chimera import ChimeraForecastNet

        return ChimeraForecastNet(self._build_backbone(None), self.horizon, instance_norm=self.instance_norm,
                                  indicators=self.missing_indicators_, decoder=self.decoder)

    _build_for_load = _build_net
