"""Hyperparameters, validation and docstrings shared by the state-space families (S5, S4D, ...)."""

from __future__ import annotations

from tsrnn.estimators.base import TRAINING_PARAMS_DOC, _check_param

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

POOLING_DOC = 'pooling : {"mean", "last"}, default="mean"\n    Pooling of the features over time.\n'
FORECAST_DOC = (
    "lookback : int, default=96\nhorizon : int, default=24\nstride : int, default=1\n    Step between training "
    "windows.\ninstance_norm : bool, default=True\n    Standardize every input window per channel and undo it on the "
    "forecast.\nchannel_independent : bool, default=True\n    Encode every channel as its own univariate series with "
    "shared weights (as in PatchTST / CycleNet); False mixes channels in the input layer.\n"
)

_TEMPLATE = """{title}

{summary}

Parameters
----------
{family}{task}{training}
Attributes
----------
module_ : torch.nn.Module
    The trained network (on the CPU).
n_features_in_ : int
    Channels of the training data.
history_ : list of dict
    Per-epoch ``train_loss`` (and ``val_loss`` with early stopping).
{attrs}
Examples
--------
{example}
"""


def estimator_doc(title, summary, family_doc, task, example):
    """Numpydoc docstring of a concrete estimator; ``task`` is "classifier", "regressor" or "forecaster"."""
    task_doc = FORECAST_DOC if task == "forecaster" else POOLING_DOC
    attrs = {"classifier": "classes_ : ndarray\n    Class labels.\n",
             "forecaster": "scaler_ : ChannelScaler\n    Per-channel statistics of the training series.\n"}.get(task, "")
    return _TEMPLATE.format(title=title, summary=summary, family=family_doc, task=task_doc,
                            training=TRAINING_PARAMS_DOC, attrs=attrs, example=example)


class SSMFamily:
    """Mixin: shared SSM hyperparameters and their validation (families extend ``_family_params``)."""

    _family_params = SSM_PARAMS
    _discretizations = ("zoh", "bilinear")

    def _validate_family_params(self):
        for name in ("d_model", "n_layers", "d_state"):
            _check_param(name, getattr(self, name), int, 1)
        _check_param("dt_min", self.dt_min, float, 0)
        _check_param("dt_max", self.dt_max, float, self.dt_min)
        _check_param("dropout", self.dropout, float, 0, 1)
        _check_param("step_rescale", self.step_rescale, float, 0)
        _check_param("discretization", self.discretization, None, choices=self._discretizations)
        _check_param("activation", self.activation, None, choices=("half_glu", "gelu"))

    @classmethod
    def _test_params(cls) -> dict:
        """Tiny configuration used by the conformance suites."""
        return dict(d_model=4, d_state=4, n_layers=1, max_epochs=1, batch_size=64, random_state=0)
