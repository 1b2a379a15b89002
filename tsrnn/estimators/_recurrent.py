"""Hyperparameters shared by the step-wise recurrent families (CfC, LTC, LEM)."""

from __future__ import annotations

import math
import numbers
import warnings

from tsrnn.estimators.base import _check_param

RECURRENT_PARAMS = {"units": 64, "n_layers": 1, "dropout": 0.0, "time_periods": None}

RECURRENT_PARAMS_DOC = """\
units : int, default=64
    Hidden units per layer.
n_layers : int, default=1
    Stacked layers, each reading the previous one's outputs.
dropout : float, default=0.0
    Dropout between layers.
time_periods : sequence of float, optional
    Periods, in the units of ``times``, of sine/cosine features of every step's time appended to the inputs
    (e.g. ``(24,)`` for a daily cycle in hourly times). The recurrent state sees only the gap to the previous
    step; these features tell it where in each cycle an observation fell. Needs ``times`` in ``fit`` and
    ``predict``.
"""


class RecurrentFamily:
    """Mixin: shared recurrent hyperparameters, their validation and the stacked backbone."""

    _family_params = RECURRENT_PARAMS

    def _validate_family_params(self):
        _check_param("units", self.units, int, 1)
        _check_param("n_layers", self.n_layers, int, 1)
        _check_param("dropout", self.dropout, float, 0, 1, open_high=True)
        if self.dropout and self.n_layers == 1:  # as torch.nn.LSTM does
            warnings.warn(f"dropout = {self.dropout} has no effect with n_layers = 1: it applies between layers",
                          UserWarning, stacklevel=4)
        if self.time_periods is not None:
            periods = self.time_periods
            if (isinstance(periods, (str, bytes)) or not hasattr(periods, "__len__") or len(periods) == 0
                    or not all(isinstance(p, numbers.Real) and not isinstance(p, bool) and math.isfinite(p) and p > 0
                               for p in periods)):
                raise ValueError(f"time_periods must be None or a non-empty sequence of positive finite numbers, "
                                 f"got {periods!r}")

    def _time_periods(self):
        return self.time_periods

    def _build_layer(self, input_size: int, layer_index: int):
        """One recurrent layer (override)."""
        raise NotImplementedError

    def _build_backbone(self, n_inputs):
        from tsrnn.nn.recurrent import RecurrentBackbone

        layers = []
        for i in range(self.n_layers):
            layers.append(self._build_layer(n_inputs if i == 0 else layers[-1].d_out, i))
        return RecurrentBackbone(layers, dropout=self.dropout)

    @classmethod
    def _test_params(cls) -> dict:
        """Tiny configuration used by the conformance suites."""
        return dict(units=4, max_epochs=1, batch_size=64, random_state=0)
