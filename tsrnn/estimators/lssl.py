"""LSSL estimators: :class:`LSSLForecaster`, :class:`LSSLClassifier`, :class:`LSSLRegressor`."""

from __future__ import annotations

from tsrnn.estimators._docs import estimator_doc
from tsrnn.estimators._ssm import SSM_PARAMS, SSM_PARAMS_DOC, SSMFamily
from tsrnn.estimators.base import DirectForecaster, SequenceClassifier, SequenceRegressor, _check_param, estimator

TASKS = ("forecasting", "classification", "regression")

LSSL_DOC = SSM_PARAMS_DOC.replace('discretization : {"zoh", "bilinear"}, default="zoh"',
                                  'discretization : {"bilinear"}, default="bilinear"\n    Generalized bilinear '
                                  'transform with alpha = 1/2, as in LSSL.') + """\
measure : {"legs", "legt", "lagt", "fout"}, default="legs"
    HiPPO measure of the dense state matrix.
learn_A : bool, default=False
    Learn A and B (shared across channels) instead of keeping the HiPPO matrices fixed.
"""


class LSSLFamily(SSMFamily):
    """Hyperparameters and backbone of the LSSL family (mixin)."""

    _family_params = {**SSM_PARAMS, "discretization": "bilinear", "measure": "legs", "learn_A": False}
    _discretizations = ("bilinear",)

    def _validate_family_params(self):
        super()._validate_family_params()
        _check_param("measure", self.measure, None, choices=("legs", "legt", "lagt", "fout"))
        _check_param("learn_A", self.learn_A, None, choices=(True, False))
        if self.measure == "fout" and self.d_state % 2:
            raise ValueError(f"d_state must be even for measure='fout', got {self.d_state}")

    def _build_backbone(self, n_inputs):
        from tsrnn.nn.lssl import LSSLBackbone

        return LSSLBackbone(n_inputs, d_model=self.d_model, n_layers=self.n_layers, d_state=self.d_state,
                            measure=self.measure, learn_A=self.learn_A, dt_min=self.dt_min, dt_max=self.dt_max,
                            bidirectional=self.bidirectional, activation=self.activation, dropout=self.dropout)


_TITLE = "LSSL {} (Gu et al., NeurIPS 2021)."
_SUMMARY = ("Deep linear state-space layers with dense HiPPO state matrices: a Krylov-kernel convolution on regular "
            "grids, a step-by-step recurrence with per-step discretization when ``times`` are given. Memory grows "
            "as O(d_model * d_state * length): S4 and S4D are the efficient successors.")


@estimator("tsrnn.LSSLClassifier")
class LSSLClassifier(LSSLFamily, SequenceClassifier):
    __doc__ = estimator_doc(_TITLE.format("classifier"), _SUMMARY, LSSL_DOC, "classifier", """>>> import numpy as np
>>> from tsrnn import LSSLClassifier
>>> X = np.random.default_rng(0).standard_normal((20, 16)); y = (X.mean(axis=1) > 0).astype(int)
>>> LSSLClassifier(d_model=8, d_state=8, n_layers=1, max_epochs=2, random_state=0).fit(X, y).predict(X).shape
(20,)""")


@estimator("tsrnn.LSSLRegressor")
class LSSLRegressor(LSSLFamily, SequenceRegressor):
    __doc__ = estimator_doc(_TITLE.format("regressor"), _SUMMARY, LSSL_DOC, "regressor", """>>> import numpy as np
>>> from tsrnn import LSSLRegressor
>>> X = np.random.default_rng(0).standard_normal((20, 16))
>>> LSSLRegressor(d_model=8, d_state=8, n_layers=1, max_epochs=2, random_state=0).fit(X, X.sum(1)).predict(X).shape
(20,)""")


@estimator("tsrnn.LSSLForecaster")
class LSSLForecaster(LSSLFamily, DirectForecaster):
    __doc__ = estimator_doc(_TITLE.format("forecaster"), _SUMMARY + " Direct multi-horizon head as in "
                            ":class:`tsrnn.S5Forecaster`.", LSSL_DOC, "forecaster", """>>> import numpy as np
>>> from tsrnn import LSSLForecaster
>>> f = LSSLForecaster(lookback=24, horizon=6, d_model=8, d_state=8, n_layers=1, max_epochs=1, random_state=0)
>>> f.fit(np.sin(np.arange(200) / 5.0)).predict().shape
(6,)""")
