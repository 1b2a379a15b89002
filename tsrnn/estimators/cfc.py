"""CfC estimators: :class:`CfCForecaster`, :class:`CfCClassifier`, :class:`CfCRegressor`."""

from __future__ import annotations

from tsrnn.estimators._docs import estimator_doc
from tsrnn.estimators._recurrent import RECURRENT_PARAMS, RECURRENT_PARAMS_DOC, RecurrentFamily
from tsrnn.estimators.base import DirectForecaster, SequenceClassifier, SequenceRegressor, _check_param, estimator

CFC_DOC = RECURRENT_PARAMS_DOC + """\
mode : {"default", "no_gate", "pure"}, default="default"
    CfC's gated closed form, its ungated variant, or the direct solution (Cf-S).
activation : {"lecun_tanh", "tanh", "relu", "silu", "gelu"}, default="lecun_tanh"
    Backbone activation.
backbone_units : int, default=128
backbone_layers : int, default=1
backbone_dropout : float, default=0.0
    Dropout after every backbone layer but the first (needs ``backbone_layers >= 2``; ncps' convention).
mixed_memory : bool, default=False
    An LSTM memory update before every CfC update.
wiring : {None, "ncp", "random", "fully_connected"} or dict, default=None
    None is a dense CfC; otherwise a wired CfC (no backbone) on the named wiring (``"ncp"``: AutoNCP with
    ``units // 4`` motor neurons, sparsity 0.5) or on a wiring config (``Wiring.get_config()``). The layer's
    output is its motor neurons.
"""


#: lr 3e-3 (the default of the other families) collapses CfC to chance level on sequential digits; 1e-3 trains.
TRAINING_DEFAULTS = {"lr": 1e-3}


def _doc(task, example):
    return estimator_doc(_TITLE.format(task), _SUMMARY, CFC_DOC, task, example, training_defaults=TRAINING_DEFAULTS)


class CfCFamily(RecurrentFamily):
    """Hyperparameters and layers of the CfC family (mixin)."""

    _training_defaults = TRAINING_DEFAULTS
    _family_params = {**RECURRENT_PARAMS, "mode": "default", "activation": "lecun_tanh", "backbone_units": 128,
                      "backbone_layers": 1, "backbone_dropout": 0.0, "mixed_memory": False, "wiring": None}

    def _validate_family_params(self):
        super()._validate_family_params()
        _check_param("mode", self.mode, None, choices=("default", "no_gate", "pure"))
        _check_param("activation", self.activation, None, choices=("lecun_tanh", "tanh", "relu", "silu", "gelu"))
        _check_param("backbone_units", self.backbone_units, int, 1)
        _check_param("backbone_layers", self.backbone_layers, int, 0)
        _check_param("backbone_dropout", self.backbone_dropout, float, 0, 1, open_high=True)
        if self.backbone_dropout > 0 and (self.backbone_layers < 2 or self.wiring is not None):
            raise ValueError(f"backbone_dropout = {self.backbone_dropout} would have no effect: it acts between "
                             "backbone layers (after every one but the first, as in ncps), so it needs "
                             f"backbone_layers >= 2 (got {self.backbone_layers}) and no wiring (got {self.wiring!r})")
        if not isinstance(self.wiring, dict):
            _check_param("wiring", self.wiring, None, choices=(None, "ncp", "random", "fully_connected"))

    def _build_layer(self, input_size, layer_index):
        from tsrnn.nn.cfc import CfC
        from tsrnn.nn.wirings import make_wiring

        units = self.units
        if self.wiring is not None:
            units = make_wiring(self.wiring, self.units, input_size, seed=1111 + layer_index)
        return CfC(input_size, units, mode=self.mode, activation=self.activation, backbone_units=self.backbone_units,
                   backbone_layers=self.backbone_layers, backbone_dropout=self.backbone_dropout,
                   mixed_memory=self.mixed_memory)


_TITLE = "CfC {} (Hasani et al., Nature Machine Intelligence 2022)."
_SUMMARY = ("Closed-form continuous-time network: a gated closed-form solution of liquid-network dynamics, one "
            "step per observation with the elapsed time from ``times``.")


@estimator("tsrnn.CfCClassifier")
class CfCClassifier(CfCFamily, SequenceClassifier):
    __doc__ = _doc("classifier", """>>> import numpy as np
>>> from tsrnn import CfCClassifier
>>> X = np.random.default_rng(0).standard_normal((20, 16)); y = (X.mean(axis=1) > 0).astype(int)
>>> CfCClassifier(units=8, backbone_units=8, max_epochs=2, random_state=0).fit(X, y).predict(X).shape
(20,)""")


@estimator("tsrnn.CfCRegressor")
class CfCRegressor(CfCFamily, SequenceRegressor):
    __doc__ = _doc("regressor", """>>> import numpy as np
>>> from tsrnn import CfCRegressor
>>> X = np.random.default_rng(0).standard_normal((20, 16))
>>> CfCRegressor(units=8, backbone_units=8, max_epochs=2, random_state=0).fit(X, X.sum(1)).predict(X).shape
(20,)""")


@estimator("tsrnn.CfCForecaster")
class CfCForecaster(CfCFamily, DirectForecaster):
    __doc__ = _doc("forecaster", """>>> import numpy as np
>>> from tsrnn import CfCForecaster
>>> y = np.sin(np.arange(200) / 8.0)
>>> CfCForecaster(units=8, backbone_units=8, lookback=24, horizon=6, max_epochs=2, random_state=0).fit(y).predict().shape
(6,)""")
