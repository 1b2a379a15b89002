"""S4D estimators: :class:`S4DForecaster`, :class:`S4DClassifier`, :class:`S4DRegressor`."""

from __future__ import annotations

from tsrnn.estimators._docs import estimator_doc
from tsrnn.estimators._ssm import SSM_PARAMS, SSM_PARAMS_DOC, SSMFamily
from tsrnn.estimators.base import DirectForecaster, SequenceClassifier, SequenceRegressor, _check_param, estimator

TASKS = ("forecasting", "classification", "regression")

S4D_DOC = SSM_PARAMS_DOC + """\
init : {"inv", "lin", "legs"}, default="inv"
    S4D-Inv, S4D-Lin or S4D-LegS initialization of the eigenvalues.
"""


class S4DFamily(SSMFamily):
    """Hyperparameters and backbone of the S4D family (mixin)."""

    _family_params = {**SSM_PARAMS, "init": "inv"}

    def _validate_family_params(self):
        super()._validate_family_params()
        _check_param("init", self.init, None, choices=("inv", "lin", "legs"))
        if self.d_state % 2:
            raise ValueError(f"d_state must be even, got {self.d_state}")

    def _build_backbone(self, n_inputs):
        from tsrnn.nn.s4d import S4DBackbone

        return S4DBackbone(n_inputs, d_model=self.d_model, n_layers=self.n_layers, d_state=self.d_state,
                           init=self.init, dt_min=self.dt_min, dt_max=self.dt_max, discretization=self.discretization,
                           bidirectional=self.bidirectional, activation=self.activation, dropout=self.dropout)


_TITLE = "S4D {} (Gu, Gupta, Goel & Ré, NeurIPS 2022)."
_SUMMARY = ("Deep S4D network: per-channel diagonal SSMs run as an FFT convolution on regular grids and as a "
            "discretize-and-scan recurrence when ``times`` are given.")


@estimator("tsrnn.S4DClassifier")
class S4DClassifier(S4DFamily, SequenceClassifier):
    __doc__ = estimator_doc(_TITLE.format("classifier"), _SUMMARY, S4D_DOC, "classifier", """>>> import numpy as np
>>> from tsrnn import S4DClassifier
>>> X = np.random.default_rng(0).standard_normal((20, 16)); y = (X.mean(axis=1) > 0).astype(int)
>>> S4DClassifier(d_model=8, d_state=8, n_layers=1, max_epochs=2, random_state=0).fit(X, y).predict(X).shape
(20,)""")


@estimator("tsrnn.S4DRegressor")
class S4DRegressor(S4DFamily, SequenceRegressor):
    __doc__ = estimator_doc(_TITLE.format("regressor"), _SUMMARY, S4D_DOC, "regressor", """>>> import numpy as np
>>> from tsrnn import S4DRegressor
>>> X = np.random.default_rng(0).standard_normal((20, 16))
>>> S4DRegressor(d_model=8, d_state=8, n_layers=1, max_epochs=2, random_state=0).fit(X, X.sum(1)).predict(X).shape
(20,)""")


@estimator("tsrnn.S4DForecaster")
class S4DForecaster(S4DFamily, DirectForecaster):
    __doc__ = estimator_doc(_TITLE.format("forecaster"), _SUMMARY + " Direct multi-horizon head as in "
                            ":class:`tsrnn.S5Forecaster`.", S4D_DOC, "forecaster", """>>> import numpy as np
>>> from tsrnn import S4DForecaster
>>> f = S4DForecaster(lookback=24, horizon=6, d_model=8, d_state=8, n_layers=1, max_epochs=1, random_state=0)
>>> f.fit(np.sin(np.arange(200) / 5.0)).predict().shape
(6,)""")
