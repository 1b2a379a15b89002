"""S5 estimators: :class:`S5Forecaster`, :class:`S5Classifier`, :class:`S5Regressor`."""

from __future__ import annotations

from tsrnn.estimators.base import (
    TRAINING_PARAMS_DOC,
    SequenceClassifier,
    SequenceForecaster,
    SequenceRegressor,
    _check_param,
    estimator,
)

TASKS = ("forecasting", "classification", "regression")

S5_PARAMS_DOC = """\
d_model : int, default=64
    Width of every layer.
n_layers : int, default=2
d_state : int, default=64
    State size P per layer (P/2 complex states with conjugate symmetry).
blocks : int, default=1
    HiPPO-N blocks J in the block-diagonal initialization.
dt_min, dt_max : float, default=1e-3, 1e-1
    Range of the log-uniform initialization of the per-state step.
discretization : {"zoh", "bilinear"}, default="zoh"
conj_sym : bool, default=True
bidirectional : bool, default=False
    Add a reverse-time scan (classification/regression only; not causal).
activation : {"half_glu", "gelu"}, default="half_glu"
dropout : float, default=0.0
step_rescale : float, default=1.0
    Multiplies every step at prediction: a sampling-rate change without retraining.
"""


class S5Family:
    """Hyperparameters and backbone of the S5 family (mixin)."""

    _family_params = {
        "d_model": 64,
        "n_layers": 2,
        "d_state": 64,
        "blocks": 1,
        "dt_min": 1e-3,
        "dt_max": 1e-1,
        "discretization": "zoh",
        "conj_sym": True,
        "bidirectional": False,
        "activation": "half_glu",
        "dropout": 0.0,
        "step_rescale": 1.0,
    }

    def _validate_family_params(self):
        for name in ("d_model", "n_layers", "d_state", "blocks"):
            _check_param(name, getattr(self, name), int, 1)
        _check_param("dt_min", self.dt_min, float, 0)
        _check_param("dt_max", self.dt_max, float, self.dt_min)
        _check_param("dropout", self.dropout, float, 0, 1)
        _check_param("step_rescale", self.step_rescale, float, 0)
        _check_param("discretization", self.discretization, None, choices=("zoh", "bilinear"))
        _check_param("activation", self.activation, None, choices=("half_glu", "gelu"))
        if self.d_state % self.blocks or (self.conj_sym and (self.d_state // self.blocks) % 2):
            raise ValueError(f"d_state ({self.d_state}) must split into {self.blocks} blocks of even size")

    def _build_backbone(self, n_inputs):
        from tsrnn.nn.s5 import S5Backbone

        return S5Backbone(n_inputs, d_model=self.d_model, n_layers=self.n_layers, d_state=self.d_state,
                          blocks=self.blocks, dt_min=self.dt_min, dt_max=self.dt_max,
                          discretization=self.discretization, conj_sym=self.conj_sym,
                          bidirectional=self.bidirectional, activation=self.activation, dropout=self.dropout)

    def _forward(self, inputs, batch_size=256):
        # step_rescale acts at prediction time only: training always runs at the learned steps.
        from tsrnn.nn.s5 import S5SSM

        for m in self.module_.modules():
            if isinstance(m, S5SSM):
                m.step_rescale = self.step_rescale
        return super()._forward(inputs, batch_size)


_DOC = """S5 {task} (Smith, Warrington & Linderman, ICLR 2023).

{summary}

Parameters
----------
{s5}{task_doc}{training}
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

_POOLING = "pooling : {\"mean\", \"last\"}, default=\"mean\"\n    Pooling of the features over time.\n"


@estimator("tsrnn.S5Classifier")
class S5Classifier(S5Family, SequenceClassifier):
    __doc__ = _DOC.format(
        task="classifier",
        summary="Deep S5 network with mean pooling and a linear head, trained with cross-entropy. Takes panels "
        "``(n, T, C)``, univariate ``(n, T)`` arrays or lists of unequal-length series; NaN marks missing values; "
        "``times`` gives irregular observation times.",
        s5=S5_PARAMS_DOC, task_doc=_POOLING, training=TRAINING_PARAMS_DOC,
        attrs="classes_ : ndarray\n    Class labels.\n",
        example=""">>> import numpy as np
>>> from tsrnn import S5Classifier
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((20, 16, 2)); y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
>>> clf = S5Classifier(d_model=8, d_state=8, n_layers=1, max_epochs=2, random_state=0).fit(X, y)
>>> clf.predict(X).shape
(20,)""")


@estimator("tsrnn.S5Regressor")
class S5Regressor(S5Family, SequenceRegressor):
    __doc__ = _DOC.format(
        task="regressor",
        summary="Deep S5 network with mean pooling and a linear head, trained with mean squared error on "
        "standardized targets.",
        s5=S5_PARAMS_DOC, task_doc=_POOLING, training=TRAINING_PARAMS_DOC, attrs="",
        example=""">>> import numpy as np
>>> from tsrnn import S5Regressor
>>> X = np.random.default_rng(0).standard_normal((20, 16))
>>> reg = S5Regressor(d_model=8, d_state=8, n_layers=1, max_epochs=2, random_state=0).fit(X, X.sum(axis=1))
>>> reg.predict(X).shape
(20,)""")


@estimator("tsrnn.S5Forecaster")
class S5Forecaster(S5Family, SequenceForecaster):
    __doc__ = _DOC.format(
        task="forecaster",
        summary="Encodes the last ``lookback`` steps with an S5 stack and maps the last features to the next "
        "``horizon`` steps of every channel (direct multi-horizon), with per-window instance normalization.",
        s5=S5_PARAMS_DOC,
        task_doc="lookback : int, default=96\nhorizon : int, default=24\nstride : int, default=1\n    Step between "
        "training windows.\ninstance_norm : bool, default=True\n    Standardize every input window per channel "
        "and undo it on the forecast.\nchannel_independent : bool, default=True\n    Encode every channel as its own "
        "univariate series with shared weights (as in PatchTST / CycleNet); False mixes channels in the input "
        "layer.\n",
        training=TRAINING_PARAMS_DOC,
        attrs="scaler_ : ChannelScaler\n    Per-channel statistics of the training series.\n",
        example=""">>> import numpy as np
>>> from tsrnn import S5Forecaster
>>> y = np.sin(np.arange(200) / 5.0)
>>> f = S5Forecaster(lookback=24, horizon=6, d_model=8, d_state=8, n_layers=1, max_epochs=1, random_state=0)
>>> f.fit(y).predict().shape
(6,)""")
