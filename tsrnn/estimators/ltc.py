"""LTC estimators: :class:`LTCForecaster`, :class:`LTCClassifier`, :class:`LTCRegressor`."""

from __future__ import annotations

from tsrnn.estimators._docs import estimator_doc
from tsrnn.estimators._recurrent import RECURRENT_PARAMS, RECURRENT_PARAMS_DOC, RecurrentFamily
from tsrnn.estimators.base import DirectForecaster, SequenceClassifier, SequenceRegressor, _check_param, estimator

LTC_DOC = RECURRENT_PARAMS_DOC.replace("units : int, default=64", "units : int, default=32") + """\
ode_unfolds : int, default=6
    Fused semi-implicit solver steps per observation.
solver : str, default="fused"
    ``"fused"`` (the paper's semi-implicit step) or a torchdiffeq method (``"dopri5"``, ``"rk4"``, ...).
adjoint : bool, default=False
    With a torchdiffeq solver, backpropagate by the adjoint method.
mixed_memory : bool, default=False
    An LSTM memory update before every LTC update.
wiring : {"fully_connected", "ncp", "random"} or dict, default="fully_connected"
    Synapses between neurons (``"ncp"``: AutoNCP with ``units // 4`` motor neurons, sparsity 0.5; a dict is a
    ``Wiring.get_config()``). The layer's output is its motor neurons (all neurons when fully connected).
"""


class LTCFamily(RecurrentFamily):
    """Hyperparameters and layers of the LTC family (mixin)."""

    _family_params = {**RECURRENT_PARAMS, "units": 32, "ode_unfolds": 6, "solver": "fused", "adjoint": False,
                      "mixed_memory": False, "wiring": "fully_connected"}

    def _validate_family_params(self):
        super()._validate_family_params()
        _check_param("ode_unfolds", self.ode_unfolds, int, 1)
        if not isinstance(self.solver, str):
            raise TypeError(f"solver must be a string, got {self.solver!r}")
        if not isinstance(self.wiring, dict):
            _check_param("wiring", self.wiring, None, choices=("ncp", "random", "fully_connected"))

    def _build_layer(self, input_size, layer_index):
        from tsrnn.nn.ltc import LTC
        from tsrnn.nn.wirings import make_wiring

        wiring = make_wiring(self.wiring, self.units, input_size, seed=1111 + layer_index)
        return LTC(input_size, wiring, ode_unfolds=self.ode_unfolds, mixed_memory=self.mixed_memory,
                   solver=self.solver, adjoint=self.adjoint)


_TITLE = "LTC {} (Hasani, Lechner, Amini, Rus & Grosu, AAAI 2021)."
_SUMMARY = ("Liquid time-constant network in the conductance form, integrated over each observation's elapsed "
            "time by the fused semi-implicit solver or by torchdiffeq.")


@estimator("tsrnn.LTCClassifier")
class LTCClassifier(LTCFamily, SequenceClassifier):
    __doc__ = estimator_doc(_TITLE.format("classifier"), _SUMMARY, LTC_DOC, "classifier", """>>> import numpy as np
>>> from tsrnn import LTCClassifier
>>> X = np.random.default_rng(0).standard_normal((20, 16)); y = (X.mean(axis=1) > 0).astype(int)
>>> LTCClassifier(units=6, max_epochs=2, random_state=0).fit(X, y).predict(X).shape
(20,)""")


@estimator("tsrnn.LTCRegressor")
class LTCRegressor(LTCFamily, SequenceRegressor):
    __doc__ = estimator_doc(_TITLE.format("regressor"), _SUMMARY, LTC_DOC, "regressor", """>>> import numpy as np
>>> from tsrnn import LTCRegressor
>>> X = np.random.default_rng(0).standard_normal((20, 16))
>>> LTCRegressor(units=6, max_epochs=2, random_state=0).fit(X, X.sum(1)).predict(X).shape
(20,)""")


@estimator("tsrnn.LTCForecaster")
class LTCForecaster(LTCFamily, DirectForecaster):
    __doc__ = estimator_doc(_TITLE.format("forecaster"), _SUMMARY, LTC_DOC, "forecaster", """>>> import numpy as np
>>> from tsrnn import LTCForecaster
>>> y = np.sin(np.arange(200) / 8.0)
>>> LTCForecaster(units=6, lookback=24, horizon=6, max_epochs=2, random_state=0).fit(y).predict().shape
(6,)""")
