"""WARP estimators: :class:`WARPForecaster`, :class:`WARPClassifier`, :class:`WARPRegressor`,
:class:`WARPReconstructor`."""

from __future__ import annotations

from tsrnn.estimators._docs import estimator_doc, with_defaults
from tsrnn.estimators.base import SequenceClassifier, SequenceForecaster, SequenceRegressor, _check_param, estimator
from tsrnn.estimators.dsr import _SUMMARY as DSR_SUMMARY
from tsrnn.estimators.dsr import DSR_TRAINING_DOC, DSRReconstructor, _reconstructor

TASKS = ("forecasting", "classification", "regression", "reconstruction")

WARP_DOC = """\
root_width : int, default=32
    Hidden width of the root network whose weights are the state (input: the normalized time).
root_depth : int, default=1
    Hidden layers of the root network. The state holds every weight and bias of it: ``D = 2 * 32 + 33 * 7 = 295``
    for width 32, depth 1 and 7 outputs; a dense ``A`` has ``D^2`` entries.
activation : {"relu", "tanh", "swish"}, default="relu"
transition : {"dplr", "dense", "diagonal"}, default="dplr"
    Structure of ``A``: diagonal plus rank ``rank`` (parallel and exact, see :mod:`tsrnn.ops.weight_scan`), the
    paper's full ``D x D`` matrix (sequential, ``O(T D^2)`` per sample) or a diagonal (one parallel scan,
    ``O(T D)``). The default is not the paper's: in our runs the low-rank-plus-diagonal ``A`` gave the lowest ETTh1
    error (0.486 MSE vs 0.691 dense, 0.605 diagonal), equal classification accuracy and the fastest training; on
    the mass-spring-damper the spread between seeds (0.014 and 0.036 for dplr) exceeds that between transitions.
rank : int, default=8
    Rank of the low-rank part of ``transition="dplr"``.
init_state : {"hypernet", "learned"}, default="hypernet"
    The first state from a two-layer hypernetwork of the first observation, or one learned vector.
"""

FORECAST_TASK_DOC = """\
lookback : int, default=96
horizon : int, default=24
stride : int, default=1
    Step between training windows.
instance_norm : bool, default=True
    Standardize every input window per channel and undo it on the forecast.
physics : None, "linear_ode" or callable, default=None
    WARP-Phys: the root network outputs the parameters of a formula ``physics(params, steps, gap, x0, x_prev) -> y``
    (a callable with an attribute ``n_params``; ``steps``/``gap``: the forecast's distance from the window's first
    and from the previous step, ``x0``/``x_prev``: those values), e.g. ``"linear_ode"``
    (:class:`tsrnn.nn.warp.LinearODE`: one exact step of ``dx/dt = R x`` from the previous value, the
    mass-spring-damper among them). Train it with ``context_loss=True`` and ``instance_norm=False`` (a shifted
    linear system is no longer linear). Only names (not callables) can be saved.
context_loss : bool, default=False
    Train on the one-step predictions over the lookback too, so that the loss covers the whole window (as the
    reference); validation and ``score`` use the horizon only. The physics variant needs it (it fits the generator
    to the lookback); plain WARP's forecasts got worse with it in our runs (mass-spring-damper 2.4x, ETTh1 4%
    higher MSE with ``transition="dplr"``, one seed each), so it is off by default.
output_bound : float or None, default=10.0
    Soft bound ``b tanh(y / b)`` on every forecast in standardized units (the data are standardized per channel,
    and per window with ``instance_norm``): a runaway forecast feeds ever larger differences back into the state
    and the autoregressive rollout explodes. None leaves forecasts unbounded.
forcing_prob : float, default=0.25
    While training, the probability of feeding the true value instead of the model's own prediction at each
    horizon step (the reference's ETT setting: 0.25). 1.0 trains fully teacher-forced, the whole window in one
    parallel scan; forecasts are always autoregressive.
"""

#: One learning rate for everything (as the reference); A and B (``ssm_lr``) train without weight decay, which
#: would pull A toward 0 instead of its identity start.
TRAINING_DEFAULTS = {"lr": 1e-3, "ssm_lr": 1e-3, "weight_decay": 0.0}


def _check_root_and_transition(est):
    """The parameters every WARP estimator shares: root network and transition."""
    from tsrnn.nn.warp import ACTIVATIONS, TRANSITIONS

    _check_param("root_width", est.root_width, int, 1)
    _check_param("root_depth", est.root_depth, int, 0)
    _check_param("activation", est.activation, None, choices=tuple(ACTIVATIONS))
    _check_param("transition", est.transition, None, choices=TRANSITIONS)
    _check_param("rank", est.rank, int, 1)


class WARPFamily:
    """Hyperparameters and network of WARP (mixin)."""

    _family_params = {"root_width": 32, "root_depth": 1, "activation": "relu", "transition": "dplr", "rank": 8,
                      "init_state": "hypernet"}
    _training_defaults = TRAINING_DEFAULTS
    #: The reference clips gradients (element-wise); a norm clip at 1 keeps the long autoregressive rollouts
    #: from blowing up the first steps.
    _trainer_defaults = {"gradient_clip_val": 1.0}

    @classmethod
    def _test_params(cls) -> dict:
        """Tiny configuration used by the conformance suites."""
        return dict(root_width=4, max_epochs=1, batch_size=64, random_state=0)

    def _validate_family_params(self):
        _check_root_and_transition(self)
        _check_param("init_state", self.init_state, None, choices=("hypernet", "learned"))

    def _warp(self, d_input: int, d_output: int, physics=None):
        from tsrnn.nn.warp import WARP

        return WARP(d_input, d_output, root_width=self.root_width, root_depth=self.root_depth,
                    activation=self.activation, transition=self.transition, rank=self.rank,
                    init_state=self.init_state, physics=physics)

    def _build_task_net(self, n_outputs):
        from tsrnn.nn.warp import WARPSequenceNet

        return WARPSequenceNet(self._warp(self._n_inputs() + 1, n_outputs), span=self.max_length_ - 1)

    def _stream_network(self):
        return self._prediction_network()


class _NoPooling:
    """WARP decodes its last state: no pooling parameter."""

    _task_params: dict = {}

    def _validate_task_params(self):
        pass


_TITLE = "WARP {}: weight-space linear RNN (Nzoyem et al., ICLR 2026)."
_SUMMARY = ("The state is the weight vector of a small root network, updated linearly by the input differences "
            "(``theta_t = A theta_{t-1} + B (x_t - x_{t-1})``, ``A = I`` and ``B = 0`` at the start) and decoded "
            "by running the root network at the next normalized time. With ``times`` the time coordinate follows "
            "the observed times.")


@estimator("tsrnn.WARPClassifier")
class WARPClassifier(WARPFamily, _NoPooling, SequenceClassifier):
    __doc__ = estimator_doc(_TITLE.format("classifier"), _SUMMARY + " The root network of the last state outputs "
                            "the logits.", WARP_DOC, "classifier", """>>> import numpy as np
>>> from tsrnn import WARPClassifier
>>> X = np.random.default_rng(0).standard_normal((20, 16)); y = (X.mean(axis=1) > 0).astype(int)
>>> WARPClassifier(root_width=8, max_epochs=2, random_state=0).fit(X, y).predict(X).shape
(20,)""", training_defaults=TRAINING_DEFAULTS, task_doc="")


@estimator("tsrnn.WARPRegressor")
class WARPRegressor(WARPFamily, _NoPooling, SequenceRegressor):
    __doc__ = estimator_doc(_TITLE.format("regressor"), _SUMMARY, WARP_DOC, "regressor", """>>> import numpy as np
>>> from tsrnn import WARPRegressor
>>> X = np.random.default_rng(0).standard_normal((20, 16))
>>> WARPRegressor(root_width=8, max_epochs=2, random_state=0).fit(X, X.sum(1)).predict(X).shape
(20,)""", training_defaults=TRAINING_DEFAULTS, task_doc="")


@estimator("tsrnn.WARPForecaster")
class WARPForecaster(WARPFamily, SequenceForecaster):
    __doc__ = estimator_doc(
        _TITLE.format("forecaster"), _SUMMARY + " The horizon is rolled out autoregressively: every forecast is "
        "fed back as the next input.", WARP_DOC, "forecaster", """>>> import numpy as np
>>> from tsrnn import WARPForecaster
>>> y = np.sin(np.arange(200) / 8.0)
>>> WARPForecaster(root_width=8, lookback=24, horizon=6, max_epochs=2, random_state=0).fit(y).predict().shape
(6,)""", training_defaults=TRAINING_DEFAULTS, task_doc=FORECAST_TASK_DOC)

    _task_params = {"lookback": 96, "horizon": 24, "stride": 1, "instance_norm": True, "physics": None,
                    "context_loss": False, "output_bound": 10.0, "forcing_prob": 0.25}

    def _validate_task_params(self):
        from tsrnn.nn.warp import PHYSICS

        super()._validate_task_params()
        _check_param("forcing_prob", self.forcing_prob, float, 0, 1)
        _check_param("context_loss", self.context_loss, None, choices=(True, False))
        _check_param("output_bound", self.output_bound, float, 0, allow_none=True, open_low=True)
        if isinstance(self.physics, str):
            _check_param("physics", self.physics, None, choices=tuple(PHYSICS))
        elif self.physics is not None and not (callable(self.physics) and hasattr(self.physics, "n_params")):
            raise TypeError(f"physics must be None, one of {tuple(PHYSICS)} or a callable with an n_params "
                            f"attribute, got {self.physics!r}")

    def save(self, path) -> None:
        if self.physics is not None and not isinstance(self.physics, str):
            raise ValueError("physics: only a named formula can be saved (a callable is code); "
                             "pickle the estimator instead")
        super().save(path)

    def _build_net(self):
        from tsrnn.nn.warp import PHYSICS, WARPForecastNet

        C = self.n_features_in_
        span = self.lookback + self.horizon - 1
        physics = PHYSICS[self.physics](C, max_steps=span) if isinstance(self.physics, str) else self.physics
        return WARPForecastNet(self._warp(self._n_inputs() + 1, C, physics), C, self.lookback, self.horizon,
                               instance_norm=self.instance_norm, indicators=self.missing_indicators_,
                               forcing_prob=self.forcing_prob, context_loss=self.context_loss,
                               output_bound=self.output_bound)

    _build_for_load = _build_net



#: Sparse teacher forcing: adaptive GTF needs Jacobians of the whole latent state (N + D units) at every forced
#: state of a batch, which is costly here.
RECONSTRUCTOR_DEFAULTS = {"forcing": "sparse", "tau": 16}

RECONSTRUCTOR_DOC = """\
root_width : int, default=32
root_depth : int, default=1
activation : {"relu", "tanh", "swish"}, default="relu"
transition : {"dense", "diagonal", "dplr"}, default="diagonal"
rank : int, default=8
    As :class:`WARPForecaster`; the root network reads the current observation instead of the time.
"""


@_reconstructor("tsrnn.WARPReconstructor", {"root_width": 32, "root_depth": 1, "activation": "relu",
                                            "transition": "diagonal", "rank": 8}, RECONSTRUCTOR_DEFAULTS)
class WARPReconstructor(DSRReconstructor):
    __doc__ = ("WARP reconstructor: WARP as an autonomous map, ``x_{t+1} = root_{theta_t}(x_t)`` with the weights "
               "``theta_t = A theta_{t-1} + B (x_t - x_{t-1})`` (:class:`tsrnn.nn.warp.WARPMap`), trained and judged "
               "like the PLRNN reconstructors (free runs, state-space divergence, spectra, Lyapunov exponents)."
               + DSR_SUMMARY.replace("; symbolic dynamics of\nthe trained map in :mod:`tsrnn.nn.symbolic`", "")
               + RECONSTRUCTOR_DOC + with_defaults(DSR_TRAINING_DOC, RECONSTRUCTOR_DEFAULTS)
               + """
Examples
--------
>>> from tsrnn import WARPReconstructor
>>> from tsrnn.datasets import make_trajectory
>>> X = make_trajectory("lorenz63", n_steps=2000)
>>> rec = WARPReconstructor(root_width=8, seq_len=50, max_epochs=2, batches_per_epoch=5, random_state=0).fit(X)
>>> rec.simulate(100).shape
(100, 3)
""")

    def _validate_model_params(self):
        _check_root_and_transition(self)

    def _validate_latent(self, n_features):
        """The latent size is ``N`` plus the root network's weights: nothing to check."""

    def _build_model(self):
        from tsrnn.nn.warp import WARPMap

        return WARPMap(self.n_features_in_, root_width=self.root_width, root_depth=self.root_depth,
                       activation=self.activation, transition=self.transition, rank=self.rank)
