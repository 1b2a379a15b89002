"""S4 (DPLR) estimators: :class:`S4Forecaster`, :class:`S4Classifier`, :class:`S4Regressor`."""

from __future__ import annotations

from tsrnn.estimators._docs import estimator_doc
from tsrnn.estimators._ssm import SSM_PARAMS, SSM_PARAMS_DOC, SSMFamily
from tsrnn.estimators.base import DirectForecaster, SequenceClassifier, SequenceRegressor, _check_param, estimator

TASKS = ("forecasting", "classification", "regression")

S4_DOC = SSM_PARAMS_DOC.replace('discretization : {"zoh", "bilinear"}, default="zoh"',
                                'discretization : {"bilinear"}, default="bilinear"\n    S4\'s DPLR kernel is '
                                'defined for the bilinear transform.') + """\
measure : {"legs", "lagt"}, default="legs"
    HiPPO measure of the initialization.
l_max : int or None, default=None
    Kernel length of the learned ``C~``; None uses the longest training series (or the lookback).
"""


class S4Family(SSMFamily):
    """Hyperparameters and backbone of the S4 family (mixin)."""

    _family_params = {**SSM_PARAMS, "discretization": "bilinear", "measure": "legs", "l_max": None}
    _discretizations = ("bilinear",)

    def _validate_family_params(self):
        super()._validate_family_params()
        _check_param("measure", self.measure, None, choices=("legs", "lagt"))
        _check_param("l_max", self.l_max, int, 1, allow_none=True)
        if self.d_state % 2:
            raise ValueError(f"d_state must be even, got {self.d_state}")

    def _build_backbone(self, n_inputs):
        from tsrnn.nn.s4 import S4Backbone

        return S4Backbone(n_inputs, d_model=self.d_model, n_layers=self.n_layers, d_state=self.d_state,
                          l_max=self.l_max or self.max_length_, measure=self.measure, dt_min=self.dt_min,
                          dt_max=self.dt_max, bidirectional=self.bidirectional, activation=self.activation,
                          dropout=self.dropout)


_TITLE = "S4 {} (Gu, Goel & Ré, ICLR 2022)."
_SUMMARY = ("Deep S4 network: per-channel HiPPO-initialized diagonal-plus-low-rank SSMs whose convolution kernel is "
            "computed through Cauchy kernels at the roots of unity; with ``times`` the same parameters run as a "
            "recurrence with per-step gaps.")


@estimator("tsrnn.S4Classifier")
class S4Classifier(S4Family, SequenceClassifier):
    __doc__ = estimator_doc(_TITLE.format("classifier"), _SUMMARY, S4_DOC, "classifier", """>>> import numpy as np
>>> from tsrnn import S4Classifier
>>> X = np.random.default_rng(0).standard_normal((20, 16)); y = (X.mean(axis=1) > 0).astype(int)
>>> S4Classifier(d_model=8, d_state=8, n_layers=1, max_epochs=2, random_state=0).fit(X, y).predict(X).shape
(20,)""")


@estimator("tsrnn.S4Regressor")
class S4Regressor(S4Family, SequenceRegressor):
    __doc__ = estimator_doc(_TITLE.format("regressor"), _SUMMARY, S4_DOC, "regressor", """>>> import numpy as np
>>> from tsrnn import S4Regressor
>>> X = np.random.default_rng(0).standard_normal((20, 16))
>>> S4Regressor(d_model=8, d_state=8, n_layers=1, max_epochs=2, random_state=0).fit(X, X.sum(1)).predict(X).shape
(20,)""")


@estimator("tsrnn.S4Forecaster")
class S4Forecaster(S4Family, DirectForecaster):
    __doc__ = estimator_doc(_TITLE.format("forecaster"), _SUMMARY + " Direct multi-horizon head as in "
                            ":class:`tsrnn.S5Forecaster`.", S4_DOC, "forecaster", """>>> import numpy as np
>>> from tsrnn import S4Forecaster
>>> f = S4Forecaster(lookback=24, horizon=6, d_model=8, d_state=8, n_layers=1, max_epochs=1, random_state=0)
>>> f.fit(np.sin(np.arange(200) / 5.0)).predict().shape
(6,)""")
