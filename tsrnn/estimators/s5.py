"""S5 estimators: :class:`S5Forecaster`, :class:`S5Classifier`, :class:`S5Regressor`."""

from __future__ import annotations

from tsrnn.estimators._docs import estimator_doc
from tsrnn.estimators._ssm import SSM_PARAMS, SSM_PARAMS_DOC, SSMFamily
from tsrnn.estimators.base import DirectForecaster, SequenceClassifier, SequenceRegressor, _check_param, estimator

TASKS = ("forecasting", "classification", "regression")

S5_DOC = SSM_PARAMS_DOC + """\
blocks : int, default=1
    HiPPO-N blocks J in the block-diagonal initialization (d_state / blocks must be even).
conj_sym : bool, default=True
    Store one eigenvalue of each conjugate pair.
"""


class S5Family(SSMFamily):
    """Hyperparameters and backbone of the S5 family (mixin)."""

    _family_params = {**SSM_PARAMS, "blocks": 1, "conj_sym": True}

    def _validate_family_params(self):
        super()._validate_family_params()
        _check_param("blocks", self.blocks, int, 1)
        if self.d_state % self.blocks or (self.conj_sym and (self.d_state // self.blocks) % 2):
            raise ValueError(f"d_state ({self.d_state}) must split into {self.blocks} blocks of even size")

    def _build_backbone(self, n_inputs):
        from tsrnn.nn.s5 import S5Backbone

        return S5Backbone(n_inputs, d_model=self.d_model, n_layers=self.n_layers, d_state=self.d_state,
                          blocks=self.blocks, dt_min=self.dt_min, dt_max=self.dt_max,
                          discretization=self.discretization, conj_sym=self.conj_sym,
                          bidirectional=self.bidirectional, activation=self.activation, dropout=self.dropout)


_TITLE = "S5 {} (Smith, Warrington & Linderman, ICLR 2023)."


@estimator("tsrnn.S5Classifier")
class S5Classifier(S5Family, SequenceClassifier):
    __doc__ = estimator_doc(
        _TITLE.format("classifier"),
        "Deep S5 network with pooling over time and a linear head, trained with cross-entropy. Takes panels "
        "``(n, T, C)``, univariate ``(n, T)`` arrays or lists of unequal-length series; NaN marks missing values; "
        "``times`` gives irregular observation times.",
        S5_DOC, "classifier", """>>> import numpy as np
>>> from tsrnn import S5Classifier
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((20, 16, 2)); y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
>>> clf = S5Classifier(d_model=8, d_state=8, n_layers=1, max_epochs=2, random_state=0).fit(X, y)
>>> clf.predict(X).shape
(20,)""")


@estimator("tsrnn.S5Regressor")
class S5Regressor(S5Family, SequenceRegressor):
    __doc__ = estimator_doc(
        _TITLE.format("regressor"),
        "Deep S5 network with pooling over time and a linear head, trained with mean squared error on "
        "standardized targets.", S5_DOC, "regressor", """>>> import numpy as np
>>> from tsrnn import S5Regressor
>>> X = np.random.default_rng(0).standard_normal((20, 16))
>>> reg = S5Regressor(d_model=8, d_state=8, n_layers=1, max_epochs=2, random_state=0).fit(X, X.sum(axis=1))
>>> reg.predict(X).shape
(20,)""")


@estimator("tsrnn.S5Forecaster")
class S5Forecaster(S5Family, DirectForecaster):
    __doc__ = estimator_doc(
        _TITLE.format("forecaster"),
        "Encodes the last ``lookback`` steps with an S5 stack and maps the last features to the next "
        "``horizon`` steps of every channel (direct multi-horizon), with per-window instance normalization.",
        S5_DOC, "forecaster", """>>> import numpy as np
>>> from tsrnn import S5Forecaster
>>> y = np.sin(np.arange(200) / 5.0)
>>> f = S5Forecaster(lookback=24, horizon=6, d_model=8, d_state=8, n_layers=1, max_epochs=1, random_state=0)
>>> f.fit(y).predict().shape
(6,)""")
