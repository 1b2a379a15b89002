"""scikit-learn-compatible bases shared by every family: classifier, regressor, forecaster.

A family contributes a mixin with its hyperparameters (``_family_params``) and ``_build_backbone``; the task
bases here do validation, scaling, training through Lightning (:mod:`tsrnn.training`), prediction,
scoring, randomness and save/load. Concrete classes are one line each, e.g.
``class S5Classifier(S5Family, SequenceClassifier)``, with ``__init__`` generated from the parameter table
so that ``get_params``/``set_params``/``clone`` see every parameter.
"""

from __future__ import annotations

import copy
import inspect
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from tsrnn.data.panel import attach_times, check_panel, to_model_inputs

#: Training parameters shared by every estimator, with their defaults.
TRAINING_PARAMS = {
    "max_epochs": 50,
    "batch_size": 32,
    "lr": 3e-3,
    "weight_decay": 0.01,
    "ssm_lr": 1e-3,
    "lr_decay": 1.0,
    "lr_decay_start": 0,
    "lr_schedule": "exponential",
    "warmup_epochs": 0,
    "early_stopping": False,
    "patience": 10,
    "validation_fraction": 0.1,
    "device": "auto",
    "precision": "32-true",
    "random_state": None,
    "verbose": 0,
    "trainer_kwargs": None,
}

TRAINING_PARAMS_DOC = """\
max_epochs : int, default=50
    Training epochs (upper bound with early stopping).
batch_size : int, default=32
lr : float, default=3e-3
    Learning rate of the regular parameters (AdamW). A fit whose training loss turns NaN or infinite stops at
    that epoch and raises ``FloatingPointError``, unless ``early_stopping`` kept an earlier epoch's weights.
weight_decay : float, default=0.01
    Weight decay of the regular parameters.
ssm_lr : float, default=1e-3
    Learning rate of the state-space parameters (eigenvalues, B, steps), trained without weight decay.
lr_decay : float, default=1.0
    Multiply every learning rate by this factor after each epoch from epoch ``lr_decay_start`` on (1.0: constant).
lr_decay_start : int, default=0
    Epochs run at the initial learning rate before the decay starts.
lr_schedule : {"exponential", "cosine"}, default="exponential"
    "exponential" follows ``lr_decay`` (constant at 1.0); "cosine" anneals every learning rate to 0 over
    ``max_epochs`` per step, as in the S4/S5 papers (``lr_decay`` and ``lr_decay_start`` must then stay at their
    defaults).
warmup_epochs : int, default=0
    Epochs of linear warm-up (per step, from ``lr / warmup_steps``) before either schedule.
early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the training samples (forecasters: the last ``validation_fraction`` of
    every series, in time order) and stop after ``patience`` epochs without improvement; the best weights are
    kept.
patience : int, default=10
validation_fraction : float, default=0.1
device : {"auto", "cpu", "cuda", "mps"}, default="auto"
    "auto" uses CUDA when available, else the CPU.
precision : str or int, default="32-true"
    Lightning precision ("32-true", "bf16-mixed", ...).
random_state : int or None, default=None
    Seeds weight initialization, shuffling and the validation split; the global RNGs are never touched.
verbose : int, default=0
    0 is silent; 1 shows Lightning's progress bar and model summary.
trainer_kwargs : dict or None, default=None
    Extra ``lightning.Trainer`` arguments (``strategy``, ``devices``, ``num_nodes``, ``callbacks``, ``logger``).
"""


def _check_param(name, value, kind, low=None, high=None, choices=None, allow_none=False, open_low=False,
                 open_high=False):
    """Raise a ``TypeError`` / ``ValueError`` naming ``name`` unless ``value`` is of ``kind`` (int, or any real
    number) within ``low`` .. ``high`` (bounds excluded with ``open_low`` / ``open_high``), or one of
    ``choices``."""
    if value is None and allow_none:
        return
    if choices is not None:
        if value not in choices:
            raise ValueError(f"{name} must be one of {choices}, got {value!r}")
        return
    ok_type = (isinstance(value, (int, np.integer)) and not isinstance(value, bool)) if kind is int else \
        isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok_type:
        raise TypeError(f"{name} must be {'an int' if kind is int else 'a number'}, got {value!r}")
    if (low is not None and (value <= low if open_low else value < low)) or \
            (high is not None and (value >= high if open_high else value > high)):
        interval = f"{'(' if open_low else '['}{low}, {'inf' if high is None else high}{')' if open_high else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")


def seed_from(random_state) -> int:
    """The seed of a ``random_state`` (int or None: a fresh one from the OS), without touching global RNGs."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    return int(random_state) % (2**32)


def make_init(params: dict):
    """Build an ``__init__`` that stores ``params`` (name -> default) as attributes and nothing else.

    Its signature lists every parameter as keyword-only, which is what ``get_params`` reads.
    """

    def __init__(self, **kwargs):
        unknown = set(kwargs) - set(params)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected parameter(s) {sorted(unknown)}")
        for name, default in params.items():
            setattr(self, name, kwargs.get(name, default))

    sig = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    sig += [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v) for k, v in params.items()]
    __init__.__signature__ = inspect.Signature(sig)
    return __init__


def estimator(registry_name: str):
    """Class decorator for concrete estimators: generate ``__init__`` from the family, task and training
    parameter tables and record the stable registry name used by save/load."""

    def wrap(cls):
        params = {**cls._family_params, **cls._task_params, **cls._classifier_params, **TRAINING_PARAMS}
        params.update(cls._training_defaults)  # a family's own defaults of training parameters
        cls.__init__ = make_init(params)
        cls._registry_name = registry_name
        return cls

    return wrap


class BaseSequenceEstimator(BaseEstimator):
    """Common machinery; see the module docstring. Subclasses define ``_family_params``,
    ``_task_params``, ``_build_backbone(n_inputs)`` and the task hooks."""

    _family_params: dict = {}
    _task_params: dict = {}
    #: Parameters of every classifier, whatever its task parameters (``class_weight``).
    _classifier_params: dict = {}
    #: Training-parameter defaults that differ for this family (e.g. a smaller learning rate).
    _training_defaults: dict = {}
    #: ``lightning.Trainer`` arguments the family needs (e.g. gradient clipping); ``trainer_kwargs`` overrides them.
    _trainer_defaults: dict = {}
    #: Whether the family uses ``times`` (continuous-time); others raise a clear error when given times.
    _supports_times: bool = True
    _registry_name: str = ""

    # --- sklearn plumbing ---------------------------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.non_deterministic = False
        return tags

    def _validate_training_params(self):
        _check_param("max_epochs", self.max_epochs, int, 1)
        _check_param("batch_size", self.batch_size, int, 1)
        _check_param("lr", self.lr, float, 0, open_low=True)
        _check_param("ssm_lr", self.ssm_lr, float, 0)
        _check_param("weight_decay", self.weight_decay, float, 0)
        _check_param("lr_decay", self.lr_decay, float, 0, 1, open_low=True)
        _check_param("lr_decay_start", self.lr_decay_start, int, 0)
        self._optimizer_settings()  # checks lr_schedule and its compatibility with lr_decay
        _check_param("warmup_epochs", self.warmup_epochs, int, 0)
        if self.warmup_epochs and self.warmup_epochs >= self.max_epochs:
            raise ValueError(f"warmup_epochs = {self.warmup_epochs} leaves no epoch after the warm-up "
                             f"(max_epochs = {self.max_epochs})")
        _check_param("patience", self.patience, int, 1)
        _check_param("validation_fraction", self.validation_fraction, float, 0, 1)
        _check_param("device", self.device, None, choices=("auto", "cpu", "cuda", "gpu", "mps"))
        _check_param("verbose", self.verbose, int, 0)
        if self.trainer_kwargs is not None and not isinstance(self.trainer_kwargs, dict):
            raise TypeError(f"trainer_kwargs must be a dict or None, got {type(self.trainer_kwargs).__name__}")
        if self.random_state is not None and not isinstance(self.random_state, (int, np.integer)):
            raise TypeError(f"random_state must be an int or None, got {self.random_state!r}")
        self._validate_family_params()

    def _validate_family_params(self):
        """Family-specific checks (override)."""

    def _optimizer_settings(self):
        """The estimator's optimizer parameters as :class:`tsrnn.training.schedule.OptimizerSettings`."""
        from tsrnn.training.schedule import OptimizerSettings

        return OptimizerSettings.from_params(self)

    def _seed(self) -> int:
        return seed_from(self.random_state)

    def _check_missing_known(self, values, name, *, training: bool):
        """Missing values for a network fitted on complete data (no indicator inputs): a later :meth:`partial_fit`
        cannot learn from them (an error); a prediction feeds them as 0 (a warning)."""
        if self.missing_indicators_ or not np.isnan(values).any():
            return
        if training:
            raise ValueError(f"{name} has missing values (NaN), but the model was first fitted on complete data: its "
                             "network has no missing-value indicator inputs to learn them from; start with data that "
                             "has missing values")
        warnings.warn(f"{name} has missing values (NaN), but the model was fitted on complete data and has no "
                      "missing-value indicator inputs: they are fed as 0. Fit on data with missing values for a "
                      "model that knows them", UserWarning, stacklevel=3)

    def _training_panel(self, X, y, times, partial):
        """The checks and model inputs of a (partial) fit on a panel: (first fit?, panel, inputs)."""
        first = not (partial and self._resumable())
        self._validate_training_params()
        self._validate_task_params()
        panel, inputs = self._panel_inputs(X, times, fitting=first, training=True)
        if not first:
            self._check_missing_known(panel.values, "X", training=True)
        if y is None:
            raise ValueError("y must be given: requires y to be passed, but the target y is None")
        return first, panel, inputs

    def _resumable(self) -> bool:
        """Whether :meth:`partial_fit` continues a fitted network (else its call is a first one)."""
        return getattr(self, "module_", None) is not None

    def _train(self, build, arrays: dict, loss: str, val_arrays: dict | None = None, partial: bool = False,
               loss_options: dict | None = None):
        """Build the network with ``build()`` and train it, all under a private RNG; sets ``module_``
        and ``history_``. ``val_arrays`` replaces the random validation split of early stopping; ``loss_options``
        (``class_weight``, ``quantiles``) shape the loss (:class:`~tsrnn.training.module.SequenceLightningModule`).

        ``partial`` (:meth:`partial_fit`): one epoch at constant learning rates without early stopping,
        continuing the fitted network and the optimizer state of the previous partial fit when there are ones.
        """
        import torch

        from tsrnn.training.trainer import fit_network, resolve_accelerator

        resume = partial and self._resumable()
        seed = self._seed() + (self.n_epochs_trained_ if resume else 0)  # a new shuffle at every call
        rng = np.random.default_rng(seed)
        cuda = resolve_accelerator(self.device) == "gpu"
        optim = self._optimizer_settings()
        with torch.random.fork_rng(devices=list(range(torch.cuda.device_count())) if cuda else []):
            torch.manual_seed(seed)
            # a copy: a call that fails (a diverged epoch) leaves the fitted network as it was
            net = copy.deepcopy(self.module_).train() if resume else build()
            result = fit_network(
                net, arrays, loss=loss, optim=optim.without_schedule() if partial else optim,
                max_epochs=1 if partial else self.max_epochs, batch_size=self.batch_size,
                early_stopping=self.early_stopping and not partial, val_arrays=val_arrays, patience=self.patience,
                validation_fraction=self.validation_fraction, device=self.device, precision=self.precision,
                verbose=self.verbose, trainer_kwargs={**self._trainer_defaults, **(self.trainer_kwargs or {})},
                rng=rng, optimizer_state=getattr(self, "_partial_fit_optimizer", None) if resume else None,
                return_optimizer_state=partial, loss_options=loss_options)
        history, self._partial_fit_optimizer = result if partial else (result, None)
        if resume:
            history = self.history_ + [{**row, "epoch": row["epoch"] + len(self.history_)} for row in history]
        self.module_ = net.cpu().eval()
        self.history_ = history
        self.n_epochs_trained_ = len(history)

    def _check_times_allowed(self, times):
        if times is not None and not self._supports_times:
            raise ValueError(f"{type(self).__name__} cannot use times: this family is discrete-time")

    def _panel_inputs(self, X, times, *, fitting: bool, training: bool = False):
        panel = check_panel(X, name="X", n_channels=None if fitting else self.n_features_in_)
        self._check_times_allowed(times)
        panel = attach_times(panel, times)
        if fitting:
            self.max_length_ = int(panel.values.shape[1])
            self.n_features_in_ = panel.n_channels
            self.missing_indicators_ = bool(np.isnan(panel.values).any())
            self.time_unit_ = panel.median_gap()
        elif not training:
            self._check_missing_known(panel.values, "X", training=False)
        return panel, to_model_inputs(panel, self.missing_indicators_, self.time_unit_, self._time_periods())

    def _time_periods(self):
        """Periods of the periodic time features appended to the inputs; None: no such features (families with a
        ``time_periods`` parameter override this)."""
        return None

    def _prediction_network(self):
        """``module_`` set up for prediction: a rate change (``step_rescale``) acts at prediction only."""
        from tsrnn.nn.blocks import SSMMixer

        if hasattr(self, "step_rescale"):
            for m in self.module_.modules():
                if isinstance(m, SSMMixer):
                    m.step_rescale = self.step_rescale
        return self.module_

    def _forward(self, inputs: dict, batch_size: int = 256) -> np.ndarray:
        """Run ``module_`` in eval mode over ``inputs`` in batches; returns a float64 array."""
        import torch

        net = self._prediction_network()
        device = next(net.parameters()).device
        outs = []
        n = inputs["x"].shape[0]
        with torch.no_grad():
            for start in range(0, n, batch_size):
                part = {k: torch.as_tensor(v[start : start + batch_size], device=device)
                        for k, v in inputs.items() if v is not None and k != "y"}
                outs.append(net(part.pop("x"), **part).double().cpu().numpy())
        return np.concatenate(outs, axis=0)

    # --- export ------------------------------------------------------------------------------------
    def model_inputs(self, X, times=None) -> dict:
        """The network's inputs for ``X``: what ``predict`` feeds the fitted network (``module_``).

        Parameters
        ----------
        X, times
            As in ``predict``.

        Returns
        -------
        dict of ndarray
            ``x`` (n, L, n_inputs) float32: the values with missing ones set to 0 (forecasters: the last
            ``lookback`` rows of each context, standardized by ``scaler_``), then one observed (1) / missing (0)
            indicator per channel when ``missing_indicators_``, then the sine and cosine of the times at
            ``time_periods``. Where they apply: ``dt`` (n, L) float32, the gaps between the times divided by
            ``time_unit_`` (first gap 1); ``mask`` (n, L) bool, False at the padding of shorter series
            (classifiers and regressors); ``phase`` (n, L) int64, each step's position in CycleNet's cycle.
        """
        check_is_fitted(self)
        return {k: v for k, v in self._model_inputs(X, times).items() if v is not None and k != "y"}

    def _model_inputs(self, X, times) -> dict:
        panel, inputs = self._panel_inputs(X, times, fitting=False)
        if inputs["mask"] is None:  # always given, so that an exported program takes series of unequal length
            inputs["mask"] = np.ones(panel.values.shape[:2], dtype=bool)
        return inputs

    def export(self, X, times=None):
        """Export the prediction with :func:`torch.export.export`, for inference with torch alone.

        The exported program holds the fitted network and the map from its output to what ``predict`` returns
        (:class:`tsrnn.export.PredictionModule`). It takes the tensors of :meth:`model_inputs` as keyword
        arguments; their batch size may differ from ``X``'s, their length may not (pad shorter series, with
        ``mask`` False at the padding). Save it with
        ``torch.export.save(program, "model.pt2")``; ``torch.export.load("model.pt2").module()(**inputs)`` runs
        it without tsrnn. The compiled CPU and Triton kernels are replaced by their torch paths in the export.

        Parameters
        ----------
        X, times
            Example inputs, as in ``predict``; they fix the sequence length and which inputs the program takes.

        Returns
        -------
        torch.export.ExportedProgram
            Its outputs: classifiers the probabilities (n, n_classes) of ``predict_proba``; regressors the
            predictions (n, n_targets); forecasters the forecasts (n, horizon, C) in the data's units, or
            (n, horizon, C, Q) at the levels ``quantiles_``.

        Examples
        --------
        >>> import numpy as np, torch
        >>> from tsrnn import S5Classifier
        >>> X = np.random.default_rng(0).normal(size=(8, 20, 2)); y = np.arange(8) % 2
        >>> clf = S5Classifier(d_model=8, d_state=8, max_epochs=1, random_state=0).fit(X, y)
        >>> program = clf.export(X)
        >>> inputs = {k: torch.as_tensor(v) for k, v in clf.model_inputs(X[:3]).items()}
        >>> np.allclose(program.module()(**inputs).numpy(), clf.predict_proba(X[:3]), atol=1e-6)
        True
        """
        from tsrnn.export import export_estimator

        check_is_fitted(self)
        if getattr(self, "module_", None) is None:
            raise ValueError(f"{type(self).__name__} has no network to export: it was fitted on a single class")
        return export_estimator(self, X, times)

    def _export_output(self) -> dict:
        """The output map of the exported prediction: :class:`tsrnn.export.PredictionModule` arguments."""
        return {}

    def _n_inputs(self) -> int:
        return self.n_features_in_ * (2 if self.missing_indicators_ else 1) + 2 * len(self._time_periods() or ())

    def _validate_task_params(self):
        """Checks of the task parameters (classifier / regressor: ``pooling``; override)."""
        _check_param("pooling", self.pooling, None, choices=("mean", "last"))

    def _build_task_net(self, n_outputs: int):
        """Classifier / regressor network: the family's backbone, pooling over time and a linear head (a family
        whose network decodes itself overrides this)."""
        from tsrnn.nn.heads import SequencePoolingNet

        return SequencePoolingNet(self._build_backbone(self._n_inputs()), n_outputs, pooling=self.pooling)

    # --- save / load -------------------------------------------------------------------------------
    def save(self, path) -> None:
        """Save a fitted estimator to the directory ``path`` (``config.json`` + ``weights.pt``).

        No code is pickled: :func:`tsrnn.load` rebuilds the estimator from its registry name and
        parameters, then loads the weights with ``weights_only=True``.
        """
        from tsrnn.io import save

        save(self, path)

    def _fitted_state(self) -> dict:
        """JSON-serializable fitted metadata (override and extend in task bases)."""
        return {
            "max_length_": self.max_length_,
            "n_features_in_": int(self.n_features_in_),
            "missing_indicators_": self.missing_indicators_,
            "time_unit_": self.time_unit_,
            "history_": self.history_,
        }

    def _restore_fitted_state(self, state: dict) -> None:
        self.max_length_ = state["max_length_"]
        self.n_features_in_ = state["n_features_in_"]
        self.missing_indicators_ = state["missing_indicators_"]
        self.time_unit_ = state["time_unit_"]
        self.history_ = state["history_"]
        self.n_epochs_trained_ = len(self.history_)


class StreamingMixin:
    """Stateful streaming prediction for classifiers and regressors (families with a step mode)."""

    def stream(self, X, times=None, reset=False):
        """Predict from the next observations of ``n`` live series, carrying every series' state across calls.

        The first call (or ``reset=True``) starts ``n`` new streams; later calls continue them, so the
        prediction after the last step of a call equals :meth:`predict` on everything streamed so far.

        Parameters
        ----------
        X : array-like, shape (n_streams, n_new_steps, n_channels) or (n_streams, n_new_steps)
            The next observations (equal length across streams; NaN marks a missing value).
        times : array-like, shape (n_streams, n_new_steps), optional
            Their observation times, continuing the times of earlier calls (required when fitted with times).
        reset : bool, default=False
            Forget the streams' state first.

        Returns
        -------
        ndarray, shape (n_streams, n_new_steps) (classifier: labels) or (n_streams, n_new_steps[, n_targets])
            The prediction after every new step.
        """
        import torch

        check_is_fitted(self)
        panel, inputs = self._panel_inputs(X, times, fitting=False)
        if not panel.equal_length:
            raise ValueError("X must hold equal-length chunks in stream(): one new block of steps per stream")
        state = None if reset else getattr(self, "stream_state_", None)
        if state is not None and state["n"] != panel.n_samples:
            raise ValueError(f"X has {panel.n_samples} streams but the running streams are {state['n']}; "
                             "pass reset=True to start new ones")
        if getattr(self, "module_", True) is None:  # a classifier fitted on one class
            return np.full(panel.values.shape[:2], self.classes_[0])
        dt = inputs["dt"]
        if dt is not None and state is not None and state["last_time"] is not None:
            dt[:, 0] = (panel.times[:, 0] - state["last_time"]) / self.time_unit_
        net = self._stream_network()
        with torch.no_grad():
            out, net_state = net.stream(torch.as_tensor(inputs["x"]), None if dt is None else torch.as_tensor(dt),
                                        None if state is None else state["net"])
        self.stream_state_ = {"n": panel.n_samples, "net": net_state,
                              "last_time": None if panel.times is None else panel.times[:, -1].copy()}
        return self._decode_stream(out.double().numpy())

    def _stream_network(self):
        if not hasattr(self.module_.backbone, "step"):
            raise NotImplementedError(f"{type(self).__name__} has no streaming (step) mode")
        return self._prediction_network()


class SequenceClassifier(StreamingMixin, ClassifierMixin, BaseSequenceEstimator):
    """Base for sequence classifiers: ``fit(X, y, times=None)``, ``predict``, ``predict_proba``, ``score``
    (accuracy)."""

    _task_params = {"pooling": "mean"}
    _classifier_params = {"class_weight": None}

    def fit(self, X, y, times=None):
        """Fit on a panel ``X`` (see :mod:`tsrnn.data.panel`) with labels ``y`` (n_samples,).

        Returns
        -------
        self
        """
        return self._fit(X, y, times, partial=False)

    def partial_fit(self, X, y, times=None, classes=None):
        """One epoch of training on ``(X, y)``, continuing the fitted network (see the user
        guide, "Incremental training").

        Parameters
        ----------
        X, y, times
            As in :meth:`fit`.
        classes : array-like, optional
            Every label the model will know, on the first call (default: the labels of ``y``, at least two);
            the labels of later calls must be among them.

        Returns
        -------
        self
        """
        return self._fit(X, y, times, partial=True, classes=classes)

    def _fit(self, X, y, times, partial, classes=None):
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import column_or_1d

        first, panel, inputs = self._training_panel(X, y, times, partial)
        y = column_or_1d(y, warn=True)
        if len(y) != panel.n_samples:
            raise ValueError(f"X has {panel.n_samples} samples but y has {len(y)}: inconsistent numbers of samples")
        check_classification_targets(y)
        if first:
            self.classes_ = np.unique(y if classes is None or not partial else np.asarray(classes))
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(f"classes={np.unique(np.asarray(classes)).tolist()[:10]} differ from the classes of the "
                             f"first partial_fit call, {self.classes_.tolist()[:10]}")
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y has labels {unknown.tolist()[:10]} that are not among classes "
                             f"{self.classes_.tolist()[:10]}: partial_fit learns the classes of its first call "
                             "(pass them all there with classes=)")
        inputs["y"] = np.searchsorted(self.classes_, y).astype(np.int64)
        weights = self._class_weights(y, partial)
        if len(self.classes_) == 1:  # nothing to learn: predict the only class
            if partial:
                raise ValueError("partial_fit needs at least two classes on its first call: y has one; pass every "
                                 "label the model will see with classes=")
            self.module_ = None
            self.history_, self.n_epochs_trained_ = [], 0
            return self
        self._train(lambda: self._build_task_net(len(self.classes_)), inputs, loss="cross_entropy", partial=partial,
                    loss_options=None if weights is None else {"class_weight": weights})
        return self

    def _class_weights(self, y, partial):
        """The weight of every class in ``classes_`` order from ``class_weight`` (None: all equal)."""
        from sklearn.utils.class_weight import compute_class_weight

        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            if partial:
                raise ValueError("class_weight='balanced' is not supported by partial_fit, which sees one chunk at a "
                                 "time: pass a dict, e.g. from sklearn.utils.class_weight.compute_class_weight("
                                 "'balanced', classes=classes, y=y_sample) on a large enough sample of the labels")
        elif not isinstance(self.class_weight, dict):
            raise TypeError(f"class_weight must be a dict, 'balanced' or None, got {self.class_weight!r}")
        else:
            bad = {k: v for k, v in self.class_weight.items()
                   if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))
                   or not np.isfinite(v) or v < 0}
            if bad:
                raise ValueError(f"class_weight must map labels to finite weights >= 0, got {bad}")
            unknown = [k for k in self.class_weight if k not in set(self.classes_.tolist())]
            if unknown:
                raise ValueError(f"class_weight has labels {unknown[:10]} that are not among the classes "
                                 f"{self.classes_.tolist()[:10]}")
        weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        if not weights[np.isin(self.classes_, y)].any():
            raise ValueError("class_weight gives every class present in y the weight 0: there is nothing to learn")
        return weights

    def predict_proba(self, X, times=None):
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        check_is_fitted(self)
        panel, inputs = self._panel_inputs(X, times, fitting=False)
        if self.module_ is None:
            return np.ones((panel.n_samples, 1))
        logits = self._forward(inputs)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X, times=None):
        """Predicted labels, shape (n_samples,)."""
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X, times), axis=1)]

    def score(self, X, y, times=None, sample_weight=None):
        """Accuracy of ``predict(X)`` against ``y``; labels never seen in ``fit`` raise a ``ValueError``."""
        from sklearn.metrics import accuracy_score

        check_is_fitted(self)
        unseen = np.setdiff1d(np.asarray(y), self.classes_)
        if unseen.size:
            raise ValueError(f"y contains labels not seen during fit: {unseen.tolist()[:10]}")
        return accuracy_score(y, self.predict(X, times), sample_weight=sample_weight)

    def _export_output(self):
        return {"softmax": True}

    def _decode_stream(self, logits):
        return self.classes_[np.argmax(logits, axis=-1)]

    def _fitted_state(self):
        state = super()._fitted_state()
        state["classes_"] = self.classes_.tolist()
        return state

    def _restore_fitted_state(self, state):
        super()._restore_fitted_state(state)
        self.classes_ = np.asarray(state["classes_"])

    def _build_for_load(self):
        return self._build_task_net(len(self.classes_)) if len(self.classes_) > 1 else None


class SequenceRegressor(StreamingMixin, RegressorMixin, BaseSequenceEstimator):
    """Base for sequence regressors: ``fit(X, y, times=None)``, ``predict``, ``score`` (R^2). Targets are
    standardized internally."""

    _task_params = {"pooling": "mean"}

    def fit(self, X, y, times=None):
        """Fit on a panel ``X`` with targets ``y`` of shape (n_samples,) or (n_samples, n_targets).

        Returns
        -------
        self
        """
        return self._fit(X, y, times, partial=False)

    def partial_fit(self, X, y, times=None):
        """One epoch of training on ``(X, y)``, continuing the fitted network (see the
        user guide, "Incremental training"); the targets keep the standardization of the first call.

        Returns
        -------
        self
        """
        return self._fit(X, y, times, partial=True)

    def _fit(self, X, y, times, partial):
        from sklearn.utils import check_array

        first, panel, inputs = self._training_panel(X, y, times, partial)
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}")
        if len(y) != panel.n_samples:
            raise ValueError(f"X has {panel.n_samples} samples but y has {len(y)}: inconsistent numbers of samples")
        y2 = y.reshape(len(y), -1)
        if first:
            self.y_ndim_ = y.ndim
            self.y_mean_, std = y2.mean(axis=0), y2.std(axis=0)
            self.y_scale_ = np.where(std > 0, std, 1.0)
        elif y2.shape[1] != len(self.y_mean_):
            raise ValueError(f"y has {y2.shape[1]} targets, but the model was fitted with {len(self.y_mean_)}")
        inputs["y"] = ((y2 - self.y_mean_) / self.y_scale_).astype(np.float32)
        self._train(lambda: self._build_task_net(y2.shape[1]), inputs, loss="mse", partial=partial)
        return self

    def predict(self, X, times=None):
        """Predictions, shape (n_samples,) or (n_samples, n_targets) like the ``y`` given to ``fit``."""
        check_is_fitted(self)
        _, inputs = self._panel_inputs(X, times, fitting=False)
        out = self._forward(inputs) * self.y_scale_ + self.y_mean_
        return out[:, 0] if self.y_ndim_ == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def score(self, X, y, times=None, sample_weight=None):
        """Coefficient of determination R^2 of ``predict(X)``."""
        from sklearn.metrics import r2_score

        return r2_score(y, self.predict(X, times), sample_weight=sample_weight)

    def _export_output(self):
        return {"scale": self.y_scale_, "shift": self.y_mean_}

    def _decode_stream(self, out):
        out = out * self.y_scale_ + self.y_mean_
        return out[..., 0] if self.y_ndim_ == 1 else out

    def _fitted_state(self):
        state = super()._fitted_state()
        state.update(y_ndim_=self.y_ndim_, y_mean_=self.y_mean_.tolist(), y_scale_=self.y_scale_.tolist())
        return state

    def _restore_fitted_state(self, state):
        super()._restore_fitted_state(state)
        self.y_ndim_ = state["y_ndim_"]
        self.y_mean_, self.y_scale_ = np.asarray(state["y_mean_"]), np.asarray(state["y_scale_"])

    def _build_for_load(self):
        return self._build_task_net(len(self.y_mean_))


def check_series_list(y, name: str = "y", n_channels: int | None = None):
    """Validate one series ``(T,)``/``(T, C)``/pandas, or a list of them, for forecasting.

    Returns
    -------
    series : list of ndarray, each (T_i, C), float64 (NaN allowed)
    univariate : bool
        Whether the input was 1-D (forecasts are then returned 1-D).
    """
    from sklearn.utils import check_array

    items = list(y) if isinstance(y, list) else [y]
    if not items:
        raise ValueError(f"{name} is an empty list")
    series, univariate = [], False
    for i, item in enumerate(items):
        label = name if len(items) == 1 else f"{name}[{i}]"
        arr = item.to_numpy() if hasattr(item, "to_numpy") else item
        if np.ndim(arr) == 1:
            univariate = True
            arr = np.reshape(arr, (-1, 1))
        if np.ndim(arr) != 2:
            raise ValueError(f"{label} must be a series of shape (n_timepoints,) or (n_timepoints, n_channels), "
                             f"got shape {np.shape(arr)}")
        series.append(check_array(arr, dtype=np.float64, ensure_all_finite="allow-nan", input_name=label))
        if np.isnan(series[-1]).all():
            raise ValueError(f"{label} has no observed value (all NaN)")
    chans = {s.shape[1] for s in series}
    if len(chans) != 1:
        raise ValueError(f"{name}: every series must have the same number of channels, got {sorted(chans)}")
    if n_channels is not None and chans != {n_channels}:
        raise ValueError(f"{name} has {chans.pop()} channels, but the estimator was fitted with {n_channels}")
    return series, univariate


class SequenceForecaster(BaseSequenceEstimator):
    """Base for direct multi-horizon forecasters.

    ``fit(y, times=None)`` learns from one series (or a list of series) cut into windows of ``lookback``
    inputs and ``horizon`` targets every ``stride`` steps, after per-channel standardization fit on ``y``.
    ``predict()`` forecasts the ``horizon`` steps after the training data; ``predict(X)`` after the context
    ``X`` (one series, or a panel ``(n, T, C)`` of contexts).
    """

    _task_params = {"lookback": 96, "horizon": 24, "stride": 1, "instance_norm": True, "channel_independent": True}
    #: Contexts whose model inputs ``predict`` builds at a time (bounds its memory on many contexts).
    _predict_chunk = 1024

    def _validate_task_params(self):
        _check_param("lookback", self.lookback, int, 1)
        _check_param("horizon", self.horizon, int, 1)
        _check_param("stride", self.stride, int, 1)

    def fit(self, y, times=None):
        """Fit on a series ``y`` (``(T,)``, ``(T, C)``, pandas, or a list of those) with optional ``times``.

        With ``early_stopping`` the last ``validation_fraction`` of every series (its targets, with the
        ``lookback`` rows before them as inputs) is the validation set, and the scaler is fit on the rows
        before it only.

        Returns
        -------
        self
        """
        return self._fit(y, times, partial=False)

    def partial_fit(self, y, times=None):
        """One epoch of training on the windows of ``y``, continuing the fitted network (see the user guide,
        "Incremental training"); the scaling of the first call is kept, and :meth:`predict` then follows the end of
        this ``y``.

        Returns
        -------
        self
        """
        return self._fit(y, times, partial=True)

    def _fit(self, y, times, partial):
        from tsrnn.data.scaling import ChannelScaler

        first = not (partial and self._resumable())
        self._validate_training_params()
        self._validate_task_params()
        series, univariate = check_series_list(y, "y", None if first else self.n_features_in_)
        times_list = self._check_times_list(times, series)
        validate = self.early_stopping and not partial
        need = self.lookback + self.horizon
        n_val = [int(round(self.validation_fraction * len(s))) if validate else 0 for s in series]
        for i, (s, v) in enumerate(zip(series, n_val, strict=True)):
            name = f"y{'' if len(series) == 1 else f'[{i}]'}"
            if len(s) - v < need or (validate and v < self.horizon):
                raise ValueError(f"{name} has {len(s)} time points: the training part needs at least lookback + "
                                 f"horizon = {self.lookback} + {self.horizon}" + (
                                     f" and the validation part (validation_fraction={self.validation_fraction}: "
                                     f"{v} rows) at least horizon" if validate else ""))
        # each part: (values, times, row of its first value in the series as first fitted, None if unknown)
        parts = [(s[: len(s) - v], t if t is None else t[: len(s) - v], 0 if first else None) for s, t, v in
                 zip(series, times_list, n_val, strict=True)]
        if first:
            self.univariate_ = univariate
            self.n_features_in_ = series[0].shape[1]
            self.max_length_ = self.lookback
            self.scaler_ = ChannelScaler().fit(np.concatenate([p[0] for p in parts]))
            self._prepare_fit([p[0] for p in parts], times_list)
            self.missing_indicators_ = bool(np.isnan(np.concatenate(series)).any())  # validation rows included
            self.time_unit_ = 1.0 if times is None else float(np.median(np.concatenate([np.diff(t)
                                                                                         for t in times_list])))
        else:
            self._check_missing_known(np.concatenate(series), "y", training=True)
        inputs = self._window_arrays(parts, stride=self.stride)
        val_inputs = None
        if validate:
            start = [len(s) - v - self.lookback for s, v in zip(series, n_val, strict=True)]
            val_inputs = self._window_arrays([(s[a:], t if t is None else t[a:], a) for s, t, a in
                                              zip(series, times_list, start, strict=True)], stride=1)
        self.context_ = series[-1][-self.lookback :]
        self.context_times_ = None if times is None else times_list[-1][-self.lookback :]
        self.context_start_ = len(series[-1]) - self.lookback if first else None
        loss, loss_options = self._training_loss()
        self._train(self._build_net, inputs, loss=loss, val_arrays=val_inputs, partial=partial,
                    loss_options=loss_options)
        return self

    def _training_loss(self):
        """The loss and its options (:class:`~tsrnn.training.module.SequenceLightningModule`): the MSE of a
        point forecast."""
        return "mse", None

    def _window_arrays(self, parts, stride: int) -> dict:
        """Model inputs and targets of every window of ``parts``: (values, times or None, first row) triples.

        The inputs of every row are computed once per series and the windows are
        :class:`~tsrnn.data.windowing.Windows` of them, cut when a batch is drawn: the training set holds each
        series once, not ``lookback + horizon`` times.
        """
        from tsrnn.data.panel import Panel
        from tsrnn.data.windowing import Windows

        features, gaps, targets, starts, input_times, rows = [], [], [], [], [], []
        offset = 0
        for values, t, first in parts:
            n_windows = (len(values) - self.lookback - self.horizon) // stride + 1  # >= 1: checked in _fit
            scaled = self.scaler_.transform(values)
            row_inputs = to_model_inputs(Panel(scaled[None], np.array([len(scaled)]), None if t is None else t[None]),
                                         self.missing_indicators_, self.time_unit_, self._time_periods())
            features.append(row_inputs["x"][0])
            gaps.append(None if row_inputs["dt"] is None else row_inputs["dt"][0])
            targets.append(scaled.astype(np.float32))
            first_rows = stride * np.arange(n_windows)
            starts.append(offset + first_rows)
            offset += len(values)
            if t is not None:
                input_times.append(np.lib.stride_tricks.sliding_window_view(t, self.lookback)[first_rows])
            rows.append(None if first is None else first + first_rows)
        starts = np.concatenate(starts)
        inputs = {"x": Windows(np.concatenate(features), starts, self.lookback),
                  "dt": None if gaps[0] is None else Windows(np.concatenate(gaps), starts, self.lookback, first=1.0),
                  "mask": None,
                  "y": Windows(np.concatenate(targets), starts, self.horizon, offset=self.lookback)}
        inputs.update(self._window_extras(None if rows[0] is None else np.concatenate(rows),
                                          np.concatenate(input_times) if input_times else None))
        return inputs

    def _prepare_fit(self, train_values, times_list):
        """Hook: settle data-dependent settings before the windows are cut, from the training part of every
        series (validation rows excluded) and the series' times (see :meth:`_window_extras`)."""

    def _window_extras(self, first_rows, times) -> dict:
        """Hook: extra model inputs per window, from the row index of each window's first input step in its
        series (``None`` when unknown) and the input times ``(n, lookback)`` (or ``None``)."""
        return {}

    def _check_times_list(self, times, series):
        self._check_times_allowed(times)
        if times is None:
            return [None] * len(series)
        rows = list(times) if isinstance(times, list) else [times]
        if len(rows) != len(series):
            raise ValueError(f"times must give one array per series: got {len(rows)} for {len(series)} series")
        out = []
        for i, (t, s) in enumerate(zip(rows, series, strict=False)):
            checked = attach_times(check_panel(s[None], name="y"), np.asarray(t, dtype=np.float64)[None],
                                   name="times" if len(rows) == 1 else f"times[{i}]")
            out.append(checked.times[0])
        return out

    def _contexts(self, X, times):
        """Validated contexts: ((n, lookback, C) scaled values, (n, lookback) times or None, single?)."""
        if X is None:
            if times is not None:
                raise ValueError("times given without X: pass the context series X with its times")
            return self.context_[None], None if self.context_times_ is None else self.context_times_[None], True
        self._check_times_allowed(times)
        single = not (np.ndim(X) == 3 or (isinstance(X, list) and np.ndim(X[0]) == 2))
        if single:
            series, _ = check_series_list(X, "X", self.n_features_in_)
            panel = check_panel(series[0][None], name="X")
            if times is not None:
                times = np.asarray(times, dtype=np.float64)[None]
        else:
            panel = check_panel(X, name="X", n_channels=self.n_features_in_)
            if not panel.equal_length:
                raise ValueError("X: contexts of unequal length are not supported; pass an (n, T, C) array")
        panel = attach_times(panel, times)  # validates shape and monotonicity of the times
        if panel.values.shape[1] < self.lookback:
            raise ValueError(f"X has {panel.values.shape[1]} time points, fewer than lookback = {self.lookback}")
        times = None if panel.times is None else panel.times[:, -self.lookback :]
        return panel.values[:, -self.lookback :], times, single

    def predict(self, X=None, times=None):
        """Forecast ``horizon`` steps.

        Parameters
        ----------
        X : array-like, optional
            Context: one series ``(T, C)``/``(T,)`` (T >= lookback) or a panel ``(n, T, C)``. When omitted,
            the forecast follows the end of the training series.
        times : array-like, optional
            Times of the context rows.

        Returns
        -------
        ndarray, shape (horizon, C) (``(horizon,)`` for a 1-D training series) or (n, horizon, C)
        """
        out, single = self._forecast(X, times)
        return self._as_given(out, single)

    def _forecast(self, X, times):
        """The model's forecasts of the contexts in the data's units: ((n, horizon, C[, ...]), single context?)."""
        check_is_fitted(self)
        chunks, single = self._context_inputs(X, times)
        out = np.concatenate([self._forward(inputs) for inputs in chunks])
        # (n, H, C) or (n, H, C, Q): the scaler reads channels on the last axis
        return np.moveaxis(self.scaler_.inverse_transform(np.moveaxis(out, 2, -1)), -1, 2), single

    def _context_inputs(self, X, times):
        """The validated contexts' model inputs, built a chunk of ``_predict_chunk`` contexts at a time when
        iterated: (iterator of dict, single context?)."""
        from tsrnn.data.panel import Panel

        values, ctx_times, single = self._contexts(X, times)
        self._check_missing_known(values, "X", training=False)
        start = None if X is not None or self.context_start_ is None else np.array([self.context_start_])

        def chunks():
            for a in range(0, values.shape[0], self._predict_chunk):
                b = a + self._predict_chunk
                chunk_times = None if ctx_times is None else ctx_times[a:b]
                panel = Panel(self.scaler_.transform(values[a:b]), np.full(len(values[a:b]), self.lookback),
                              chunk_times)
                inputs = to_model_inputs(panel, self.missing_indicators_, self.time_unit_, self._time_periods())
                inputs.update(self._window_extras(start, chunk_times))
                yield inputs

        return chunks(), single

    def _model_inputs(self, X, times):
        chunks = list(self._context_inputs(X, times)[0])
        return {k: None if chunks[0][k] is None else np.concatenate([c[k] for c in chunks]) for k in chunks[0]}

    def _export_output(self):
        return {"scale": self.scaler_.scale_, "shift": self.scaler_.mean_}

    def _as_given(self, out, single):
        """Forecasts ``(n, horizon, C, ...)`` in the layout of the input: one context's without the first axis,
        a 1-D training series' without the channel axis."""
        if single:
            out = out[0]
            return out[:, 0] if self.univariate_ else out
        return out

    def score(self, X, y, times=None):
        """Negative mean squared error of ``predict(X)`` against the true continuation ``y``."""
        pred = self.predict(X, times)
        y = np.asarray(y, dtype=np.float64)
        if y.shape != pred.shape:
            raise ValueError(f"y must have the forecast's shape {pred.shape}, got {y.shape}")
        return -float(np.nanmean((pred - y) ** 2))

    def _fitted_state(self):
        state = super()._fitted_state()
        state.update(scaler_=self.scaler_.get_state(), context_=self.context_.tolist(),
                     context_start_=None if self.context_start_ is None else int(self.context_start_),
                     context_times_=None if self.context_times_ is None else self.context_times_.tolist(),
                     univariate_=self.univariate_)
        return state

    def _restore_fitted_state(self, state):
        from tsrnn.data.scaling import ChannelScaler

        super()._restore_fitted_state(state)
        self.scaler_ = ChannelScaler.from_state(state["scaler_"])
        self.context_ = np.asarray(state["context_"], dtype=np.float64)
        self.context_start_ = state["context_start_"]
        self.context_times_ = None if state["context_times_"] is None else np.asarray(state["context_times_"])
        self.univariate_ = state["univariate_"]


class QuantileForecaster(SequenceForecaster):
    """Base for forecasters that forecast points or, with ``quantiles``, quantiles trained with the pinball loss:
    their network (``_build_net``) gives ``_n_quantiles()`` values per step and channel along a last axis."""

    _task_params = {**SequenceForecaster._task_params, "quantiles": None}

    def _validate_task_params(self):
        super()._validate_task_params()
        if self.quantiles is None:
            return
        levels = np.asarray(self.quantiles, dtype=object)
        level = lambda q: isinstance(q, (float, int, np.floating, np.integer)) and not isinstance(q, bool)  # noqa: E731
        if levels.ndim != 1 or levels.size == 0 or not all(level(q) and 0 < q < 1 for q in levels):
            raise ValueError(f"quantiles must be None or a non-empty sequence of levels in (0, 1), "
                             f"got {self.quantiles!r}")

    def _prepare_fit(self, train_values, times_list):
        """The levels of the network, fixed at the first fit (later partial_fit calls keep them)."""
        super()._prepare_fit(train_values, times_list)
        self.quantiles_ = None if self.quantiles is None else np.unique(np.append(np.asarray(self.quantiles,
                                                                                             dtype=np.float64), 0.5))

    def _training_loss(self):
        if self.quantiles_ is None:
            return super()._training_loss()
        return "quantile", {"quantiles": self.quantiles_}

    def _n_quantiles(self) -> int:
        """Values the network forecasts per step and channel: 1 (a point) or one per level of ``quantiles_``."""
        return 1 if self.quantiles_ is None else len(self.quantiles_)

    def predict(self, X=None, times=None):
        """Forecast ``horizon`` steps, as :meth:`SequenceForecaster.predict`: the point forecast, or the median
        (level 0.5) of a quantile forecaster."""
        check_is_fitted(self)
        if self.quantiles_ is None:
            return super().predict(X, times)
        return self.predict_quantiles(X, times)[..., int(np.searchsorted(self.quantiles_, 0.5))]

    def _export_output(self):
        if self.quantiles_ is None:
            return super()._export_output()
        return {"scale": self.scaler_.scale_[:, None], "shift": self.scaler_.mean_[:, None], "sort": True}

    def predict_quantiles(self, X=None, times=None):
        """Quantile forecasts at the levels ``quantiles_`` (those of ``quantiles`` and the median 0.5).

        Parameters
        ----------
        X, times
            As in :meth:`predict`.

        Returns
        -------
        ndarray, shape (horizon, C, Q) (``(horizon, Q)`` for a 1-D training series) or (n, horizon, C, Q)
            Non-decreasing along the last axis (forecasts of crossing levels are sorted).
        """
        check_is_fitted(self)
        if self.quantiles_ is None:
            raise ValueError(f"{type(self).__name__} was fitted for point forecasts: set quantiles (e.g. "
                             "quantiles=(0.1, 0.9)) and fit again to forecast quantiles")
        out, single = self._forecast(X, times)
        return self._as_given(np.sort(out, axis=-1), single)

    def _fitted_state(self):
        state = super()._fitted_state()
        state["quantiles_"] = None if self.quantiles_ is None else self.quantiles_.tolist()
        return state

    def _restore_fitted_state(self, state):
        super()._restore_fitted_state(state)
        self.quantiles_ = None if state.get("quantiles_") is None else np.asarray(state["quantiles_"])


class DirectForecaster(QuantileForecaster):
    """Base for the forecasters of :class:`~tsrnn.nn.heads.DirectForecastNet`: the family's backbone encodes the
    lookback window and a linear head maps its last features to all ``horizon`` steps at once."""

    def _build_net(self):
        from tsrnn.nn.heads import DirectForecastNet

        n_values = 1 if self.channel_independent else self.n_features_in_
        n_time = 2 * len(self._time_periods() or ())
        backbone = self._build_backbone(n_values * (2 if self.missing_indicators_ else 1) + n_time)
        return DirectForecastNet(backbone, self.n_features_in_, self.horizon, instance_norm=self.instance_norm,
                                 indicators=self.missing_indicators_, channel_independent=self.channel_independent,
                                 n_covariates=n_time, n_quantiles=self._n_quantiles())

    _build_for_load = _build_net
