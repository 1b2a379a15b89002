"""Hyperparameters, validation and docstrings shared by the state-space families (S5, S4D, ...)."""

from __future__ import annotations

from tsrnn.estimators.base import _check_param

#: Parameters every SSM family has, with defaults.
SSM_PARAMS = {
    "d_model": 64,
    "n_layers": 2,
    "d_state": 64,
    "dt_min": 1e-3,
    "dt_max": 1e-1,
    "discretization": "zoh",
    "bidirectional": False,
    "activation": "half_glu",
    "dropout": 0.0,
    "step_rescale": 1.0,
}

SSM_PARAMS_DOC = """\
d_model : int, default=64
    Width of every layer.
n_layers : int, default=2
d_state : int, default=64
    State size N per layer (N/2 complex states with conjugate symmetry).
dt_min, dt_max : float, default=1e-3, 1e-1
    Range of the log-uniform initialization of the learned steps (rule of thumb: dt_min about 1 / length).
discretization : {"zoh", "bilinear"}, default="zoh"
bidirectional : bool, default=False
    Add a reverse-time direction (not causal; classification/regression).
activation : {"half_glu", "gelu"}, default="half_glu"
dropout : float, default=0.0
step_rescale : float, default=1.0
    Multiplies every step at prediction: a sampling-rate change without retraining.
"""

class SSMFamily:
    """Mixin: shared SSM hyperparameters and their validation (families extend ``_family_params``)."""

    _family_params = SSM_PARAMS
    _discretizations = ("zoh", "bilinear")

    def _validate_family_params(self):
        for name in ("d_model", "n_layers", "d_state"):
            _check_param(name, getattr(self, name), int, 1)
        _check_param("dt_min", self.dt_min, float, 0, open_low=True)
        _check_param("dt_max", self.dt_max, float, self.dt_min)
        _check_param("dropout", self.dropout, float, 0, 1, open_high=True)
        _check_param("step_rescale", self.step_rescale, float, 0, open_low=True)
        _check_param("discretization", self.discretization, None, choices=self._discretizations)
        _check_param("activation", self.activation, None, choices=("half_glu", "gelu"))

    @classmethod
    def _test_params(cls) -> dict:
        """Tiny configuration used by the conformance suites."""
        return dict(d_model=4, d_state=4, n_layers=1, max_epochs=1, batch_size=64, random_state=0)
