"""LEM estimators: :class:`LEMForecaster`, :class:`LEMClassifier`, :class:`LEMRegressor`."""

from __future__ import annotations

from tsrnn.estimators._docs import estimator_doc
from tsrnn.estimators._recurrent import RECURRENT_PARAMS, RECURRENT_PARAMS_DOC, RecurrentFamily
from tsrnn.estimators.base import DirectForecaster, SequenceClassifier, SequenceRegressor, _check_param, estimator

LEM_DOC = RECURRENT_PARAMS_DOC + """\
dt : float, default=1.0
    Base step of the multiscale update (the paper tunes it per task, e.g. 0.21 on sequential MNIST). With
    ``times`` each update relaxes over the observed gap (in units of the median training gap) as
    ``1 - exp(-dt * gap * rate)``.
"""


class LEMFamily(RecurrentFamily):
    """Hyperparameters and layers of the LEM family (mixin)."""

    _family_params = {**RECURRENT_PARAMS, "dt": 1.0}

    def _validate_family_params(self):
        super()._validate_family_params()
        _check_param("dt", self.dt, float, 0, open_low=True)

    def _build_layer(self, input_size, layer_index):
        from tsrnn.nn.lem import LEM

        return LEM(input_size, self.units, dt=self.dt)


_TITLE = "LEM {} (Rusch, Mishra, Erichson & Mahoney, ICLR 2022)."
_SUMMARY = "Long expressive memory: a multiscale recurrent network with learned, input-dependent time steps."


@estimator("tsrnn.LEMClassifier")
class LEMClassifier(LEMFamily, SequenceClassifier):
    __doc__ = estimator_doc(_TITLE.format("classifier"), _SUMMARY, LEM_DOC, "classifier", """>>> import numpy as np
>>> from tsrnn import LEMClassifier
>>> X = np.random.default_rng(0).standard_normal((20, 16)); y = (X.mean(axis=1) > 0).astype(int)
>>> LEMClassifier(units=8, max_epochs=2, random_state=0).fit(X, y).predict(X).shape
(20,)""")


@estimator("tsrnn.LEMRegressor")
class LEMRegressor(LEMFamily, SequenceRegressor):
    __doc__ = estimator_doc(_TITLE.format("regressor"), _SUMMARY, LEM_DOC, "regressor", """>>> import numpy as np
>>> from tsrnn import LEMRegressor
>>> X = np.random.default_rng(0).standard_normal((20, 16))
>>> LEMRegressor(units=8, max_epochs=2, random_state=0).fit(X, X.sum(1)).predict(X).shape
(20,)""")


@estimator("tsrnn.LEMForecaster")
class LEMForecaster(LEMFamily, DirectForecaster):
    __doc__ = estimator_doc(_TITLE.format("forecaster"), _SUMMARY, LEM_DOC, "forecaster", """>>> import numpy as np
>>> from tsrnn import LEMForecaster
>>> y = np.sin(np.arange(200) / 8.0)
>>> LEMForecaster(units=8, lookback=24, horizon=6, max_epochs=2, random_state=0).fit(y).predict().shape
(6,)""")
