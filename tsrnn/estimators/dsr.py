"""Dynamical-systems reconstruction estimators: :class:`PLRNNReconstructor`, :class:`ShallowPLRNNReconstructor`,
:class:`ALRNNReconstructor`.

They learn a map ``z_t = F(z_{t-1})`` from trajectories by teacher forcing (:mod:`tsrnn.training.dsr`) and are
judged by what they generate when run freely: ``simulate`` produces trajectories, ``score`` compares their
occupation measure with data (:func:`tsrnn.metrics.state_space_divergence`), and the dynamical invariants
(Lyapunov exponents, fixed points, symbolic dynamics) are read off the trained map.
"""

from __future__ import annotations

import copy

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from tsrnn.estimators.base import _check_param, make_init, seed_from

#: Training parameters of every reconstructor, with defaults (the DSR literature's recipe: batches of 16
#: windows of 200 steps drawn with replacement, 50 batches per epoch, RAdam 1e-3 -> 1e-5).
DSR_TRAINING_PARAMS = {
    "forcing": "gtf",
    "alpha": None,
    "tau": 16,
    "seq_len": 200,
    "batch_size": 16,
    "batches_per_epoch": 50,
    "max_epochs": 200,
    "lr": 1e-3,
    "end_lr": 1e-5,
    "noise": 0.0,
    "select_every": None,
    "dt": None,
    "device": "auto",
    "random_state": None,
    "verbose": 0,
    "trainer_kwargs": None,
}

DSR_TRAINING_DOC = """\
forcing : {"gtf", "sparse"}, default="gtf"
    Generalized teacher forcing (mix the observed units with the data at every step, weight ``alpha``) or sparse
    teacher forcing (replace them every ``tau`` steps).
alpha : float or None, default=None
    GTF weight in [0, 1]; None adapts it from Jacobian norms during training (aGTF).
tau : int, default=16
    Forcing interval of sparse teacher forcing (about the predictability time ln 2 / lambda_max in steps is a
    good start; with heavy observation noise, shorter: on Lorenz-63 with 0.3 z-units of noise the AL-RNN did best
    forced every 8 steps, against 16 at 0.05).
seq_len : int, default=200
    Steps per training window.
batch_size : int, default=16
batches_per_epoch : int, default=50
    Windows are drawn with replacement; an epoch is this many batches.
max_epochs : int, default=200
lr, end_lr : float, default=1e-3, 1e-5
    RAdam learning rate, decayed exponentially per epoch to ``end_lr``. A fit whose training loss turns NaN or
    infinite stops at that epoch and raises ``FloatingPointError``, unless ``select_every`` kept an earlier epoch.
noise : float, default=0.0
    Gaussian noise added to every training window (a regularizer).
select_every : int or None, default=None
    Model selection on the training data (the AL-RNN paper's protocol): every ``select_every`` epochs and after
    the last, free-run the model from the first training trajectory's first complete row for as many steps as
    that trajectory has (at most 100,000), score the state-space divergence against it (rows with missing
    values are not scored), and keep the weights with the lowest score (``selection_`` lists the scores,
    ``selected_epoch_`` the winner). None keeps the last epoch's weights.
dt : float or None, default=None
    The map's time step in the units of ``fit``'s ``times``; needed only with ``times``: irregular observations
    are placed on the grid ``times[0] + k dt`` (each at its nearest grid point, so within ``dt / 2``), NaN in
    between, and the model is forced and scored only where observed.
device : {"auto", "cpu", "cuda", "mps"}, default="auto"
random_state : int or None, default=None
    Seeds initialization and window sampling; global RNGs are untouched.
verbose : int, default=0
trainer_kwargs : dict or None, default=None
    Extra ``lightning.Trainer`` arguments (``gradient_clip_val``, callbacks, loggers, ...).
"""

METRICS = ("state_space_divergence", "power_spectrum_distance", "prediction_error", "max_lyapunov_exponent")


class DSRReconstructor(BaseEstimator):
    """Base of the reconstructors; subclasses set ``_model_params`` and ``_build_model``.

    Data: one trajectory ``(T, N)`` or a list of them, on a regular time grid (these are discrete-time maps),
    in the units they will be compared in (z-score first; the readout is the identity). Missing observations
    are NaN (a row or single entries); irregularly timed observations come with ``times`` and are placed on the
    grid of step ``dt``. Training forces and scores the model only where observed.
    """

    _model_params: dict = {}
    _registry_name = ""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        tags.requires_fit = True
        tags.input_tags.allow_nan = True  # missing observations in fit
        return tags

    # --- validation ---------------------------------------------------------------------------------
    def _validate(self):
        _check_param("forcing", self.forcing, None, choices=("gtf", "sparse"))
        _check_param("alpha", self.alpha, float, 0, 1, allow_none=True)
        for name in ("tau", "seq_len", "batch_size", "batches_per_epoch", "max_epochs"):
            _check_param(name, getattr(self, name), int, 1)
        _check_param("lr", self.lr, float, 0, open_low=True)
        _check_param("end_lr", self.end_lr, float, 0, open_low=True)
        _check_param("noise", self.noise, float, 0)
        _check_param("select_every", self.select_every, int, 1, allow_none=True)
        _check_param("dt", self.dt, float, 0, allow_none=True, open_low=True)
        if self.dt == 0:
            raise ValueError("dt must be > 0, got 0")
        _check_param("verbose", self.verbose, int, 0)
        if self.random_state is not None and not isinstance(self.random_state, (int, np.integer)):
            raise TypeError(f"random_state must be an int or None, got {self.random_state!r}")
        if self.trainer_kwargs is not None and not isinstance(self.trainer_kwargs, dict):
            raise TypeError(f"trainer_kwargs must be a dict or None, got {type(self.trainer_kwargs).__name__}")
        self._validate_model_params()

    def _validate_model_params(self):
        """Model-specific checks (override)."""

    def _validate_latent(self, n_features: int):
        """Check ``n_latent`` against the data's dimensions (models whose latent size is derived override)."""
        _check_param("n_latent", self.n_latent, int, 1)
        if self.n_latent < n_features:
            raise ValueError(f"n_latent ({self.n_latent}) must be >= the data's dimensions ({n_features})")

    @staticmethod
    def _trajectories(X, name="X", n_dims=None, allow_nan=False):
        from sklearn.utils import check_array

        if isinstance(X, (list, tuple)):
            items = list(X)
        else:  # one trajectory (T, N) / (T,), or a stack of equal-length ones (n_trajectories, T, N)
            X = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X)
            items = list(X) if X.ndim == 3 else [X]
        if not items:
            raise ValueError(f"{name} is an empty list")
        out = []
        for i, x in enumerate(items):
            label = name if len(items) == 1 else f"{name}[{i}]"
            x = np.asarray(x.to_numpy() if hasattr(x, "to_numpy") else x, dtype=np.float64)
            if x.ndim == 1:
                x = x[:, None]
            out.append(check_array(x, dtype=np.float64, input_name=label, ensure_min_samples=2,
                                   ensure_all_finite="allow-nan" if allow_nan else True))
        dims = {x.shape[1] for x in out}
        if len(dims) != 1:
            raise ValueError(f"{name}: every trajectory must have the same number of dimensions, got {sorted(dims)}")
        if n_dims is not None and dims != {n_dims}:
            raise ValueError(f"{name} has {dims.pop()} dimensions, but the reconstructor was fitted with {n_dims}")
        return out

    def _on_grid(self, trajectories, times):
        """Place irregularly timed trajectories on the grid of step ``dt`` (NaN where nothing was observed)."""
        from tsrnn.data.irregular import place_on_grid
        from tsrnn.data.panel import check_time_row

        if self.dt is None:
            raise ValueError(f"{type(self).__name__} needs dt (the map's time step) to use times: the models are "
                             "discrete-time maps, and irregular observations are placed on the grid of step dt")
        several = isinstance(times, (list, tuple)) and len(times) > 0 and np.ndim(times[0]) >= 1
        rows = list(times) if several or np.ndim(times) == 2 else [times]
        if len(rows) != len(trajectories):
            raise ValueError(f"times must give one array per trajectory: got {len(rows)} for {len(trajectories)}")
        out = []
        for i, (t, x) in enumerate(zip(rows, trajectories, strict=True)):
            name = "times" if len(rows) == 1 else f"times[{i}]"
            t = check_time_row(t, len(x), name)
            try:
                out.append(place_on_grid(x, t, t[0], self.dt)[0])
            except ValueError as err:
                raise ValueError(f"{name}: {err}; use a smaller dt") from None
        return out

    # --- fitting --------------------------------------------------------------------------------------
    def fit(self, X, y=None, times=None):
        """Learn the map from one trajectory ``(T, N)`` or a list of them.

        Parameters
        ----------
        X : array-like (T, N), list or tuple of them, or array-like (n_trajectories, T, N)
            NaN marks missing observations (not forced, not scored); every trajectory used for training needs a
            fully observed row followed by ``seq_len`` more rows.
        y : ignored
        times : array-like (T,), list or tuple of them, or array-like (n_trajectories, T), optional
            Observation times of irregularly sampled trajectories; requires ``dt``.

        Returns
        -------
        self
        """
        return self._fit(X, times, partial=False)

    def partial_fit(self, X, y=None, times=None):
        """One epoch of training (``batches_per_epoch`` batches of windows drawn from ``X``) at the constant
        learning rate ``lr``, continuing the fitted map; on an unfitted reconstructor, the first epoch of a new
        one.

        RAdam's moment estimates carry over from the previous ``partial_fit`` call, also through :meth:`save` and
        :func:`tsrnn.load` (after ``fit`` the first call starts a new optimizer), and adaptive GTF continues from
        ``alpha_``.
        ``end_lr`` and ``select_every`` belong to ``fit`` and do not apply; ``history_`` grows by one epoch per
        call, and ``simulate``'s default start stays the first call's.

        Parameters
        ----------
        X, y, times
            As in :meth:`fit`; the trajectories must have the dimensions of the first call.

        Returns
        -------
        self
        """
        return self._fit(X, times, partial=True)

    def _fit(self, X, times, partial):
        import torch

        from tsrnn.training.dsr import AdaptiveGTF, DSRLightningModule, RandomWindows, SelectByDivergence
        from tsrnn.training.trainer import (
            HistoryCallback,
            StopOnNonFiniteLoss,
            make_trainer,
            optimizer_state_on_cpu,
            quiet,
            resolve_accelerator,
        )

        self._validate()
        resume = partial and getattr(self, "module_", None) is not None
        trajectories = self._trajectories(X, allow_nan=True, n_dims=self.n_features_in_ if resume else None)
        if times is not None:
            trajectories = self._on_grid(trajectories, times)
        if not resume:
            self.n_features_in_ = trajectories[0].shape[1]
            self._validate_latent(self.n_features_in_)
        too_short = [len(x) for x in trajectories if len(x) <= self.seq_len]
        if too_short:
            raise ValueError(f"X has a trajectory of {too_short[0]} steps, not more than seq_len = {self.seq_len}")
        seed = seed_from(self.random_state) + (self.n_epochs_trained_ if resume else 0)  # new windows every call
        try:
            data = RandomWindows(trajectories, self.seq_len, self.batch_size * self.batches_per_epoch, self.noise,
                                 seed=seed)
        except ValueError as err:
            raise ValueError(f"X: {err}") from None
        if not resume:  # the default start of simulate: the first fully observed row of the first trajectory with one
            first, row = data.first_complete_row()
            self.x0_ = trajectories[first][row].copy()
            all_x = np.concatenate(trajectories)
            self.data_range_ = (float(np.nanmin(all_x)), float(np.nanmax(all_x)))
        cuda = resolve_accelerator(self.device) == "gpu"
        epochs = 1 if partial else self.max_epochs
        adaptive = self.forcing == "gtf" and self.alpha is None
        with torch.random.fork_rng(devices=list(range(torch.cuda.device_count())) if cuda else []):
            torch.manual_seed(seed)
            # a copy: a call that fails (a diverged epoch) leaves the fitted map as it was
            model = copy.deepcopy(self.module_).float().train() if resume else self._build_model()
            loader = torch.utils.data.DataLoader(data, batch_size=self.batch_size)
            alpha = (self.alpha_ if resume else 1.0) if adaptive else (self.alpha or 0.0)
            module = DSRLightningModule(model, forcing=self.forcing, tau=self.tau, alpha=alpha, lr=self.lr,
                                        end_lr=self.lr if partial else self.end_lr, max_epochs=epochs,
                                        missing=not all(c.all() for c in data.complete),
                                        optimizer_state=getattr(self, "_partial_fit_optimizer", None) if resume else None)
            history, diverged = HistoryCallback(), StopOnNonFiniteLoss()
            selection = (SelectByDivergence(trajectories[data.first_complete_row()[0]][:100_000], every=self.select_every)
                         if self.select_every and not partial else None)
            callbacks = [history, diverged] + ([AdaptiveGTF()] if adaptive else []) + ([selection] if selection else [])
            with quiet(self.verbose):
                trainer = make_trainer(epochs, self.device, "32-true", self.verbose, callbacks, self.trainer_kwargs)
                trainer.fit(module, loader)
        if selection is not None and selection.best_state is not None:  # may predate a divergence
            model.load_state_dict(selection.best_state)
        else:
            diverged.raise_if_diverged(self.lr)
        self._partial_fit_optimizer = optimizer_state_on_cpu(trainer.optimizers[0]) if partial else None
        if not resume:
            self.selection_ = selection.scores if selection is not None else None
            self.selected_epoch_ = selection.best_epoch if selection is not None else None
        self.module_ = model.cpu().double().eval()
        self.alpha_ = module.alpha
        self.history_ = (self.history_ + [{**row, "epoch": row["epoch"] + len(self.history_)} for row in history.history]
                         if resume else history.history)
        self.n_epochs_trained_ = len(self.history_)
        return self

    def _build_model(self):
        raise NotImplementedError

    # --- generation -----------------------------------------------------------------------------------
    def _states(self, X):
        import torch
        from sklearn.utils import check_array

        x = check_array(np.atleast_2d(np.asarray(X, dtype=np.float64)), dtype=np.float64, input_name="X")
        if x.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {x.shape[1]} dimensions, but the reconstructor was fitted with {self.n_features_in_}")
        with torch.no_grad():
            return self.module_.init_state(torch.as_tensor(x))

    def simulate(self, n_steps: int, x0=None, return_latent: bool = False) -> np.ndarray:
        """Run the model freely for ``n_steps`` steps from an initial observation.

        Parameters
        ----------
        n_steps : int
            Length of the returned trajectory (its first row is ``x0``'s state read out).
        x0 : array-like, shape (N,) or (k, N), optional
            Initial observation(s); default: the first fully observed row of the training data.
        return_latent : bool
            Return the latent states ``(.., n_steps, M)`` instead of the observations.

        Returns
        -------
        ndarray, shape (n_steps, N) (or (k, n_steps, N) for k initial observations)
        """
        import torch

        check_is_fitted(self)
        _check_param("n_steps", n_steps, int, 1)
        x = self.x0_ if x0 is None else np.asarray(x0, dtype=np.float64)
        single = x.ndim == 1
        z0 = self._states(x[None] if single else x)
        with torch.no_grad():
            z = self.module_.simulate(z0, n_steps)
        out = (z if return_latent else self.module_.observe(z)).numpy()
        return out[0] if single else out

    def predict(self, X, n_steps: int = 1) -> np.ndarray:
        """Predict ``n_steps`` ahead from every row of ``X`` (each row an initial observation).

        Parameters
        ----------
        X : array-like, shape (k, N)
        n_steps : int

        Returns
        -------
        ndarray, shape (k, N)
        """
        import torch

        check_is_fitted(self)
        _check_param("n_steps", n_steps, int, 1)
        z = self._states(X)
        with torch.no_grad():
            for _ in range(n_steps):
                z = self.module_(z)
        return self.module_.observe(z).numpy()

    def lyapunov_spectrum(self, n_steps: int = 10_000, n_transient: int = 1000, x0=None, dt: float = 1.0,
                          n_exponents: int | None = None) -> np.ndarray:
        """Lyapunov exponents of the trained map (QR method, :func:`tsrnn.metrics.lyapunov_spectrum`) along a
        free-running trajectory from ``x0``; divide per-step exponents by the sampling step with ``dt``."""
        import torch

        from tsrnn.metrics import lyapunov_spectrum

        check_is_fitted(self)
        z0 = self._states((self.x0_ if x0 is None else np.asarray(x0, dtype=np.float64))[None])[0].numpy()
        m = self.module_

        def step(z):
            with torch.no_grad():
                return m(torch.as_tensor(z)[None])[0].numpy()

        def jac(z):
            with torch.no_grad():
                return m.jacobian(torch.as_tensor(z)[None])[0].numpy()

        return lyapunov_spectrum(step, jac, z0, n_steps=n_steps, n_transient=n_transient, dt=dt,
                                 n_exponents=n_exponents)

    def score(self, X, metrics="state_space_divergence", n_transient: int = 0, n_bins: int = 30,
              sigma: float = 20.0, n_steps_prediction: int = 20, dt: float = 1.0):
        """Compare a free run of the model with the trajectory ``X``.

        The model runs ``n_transient + len(X)`` steps from ``X[0]``; the first ``n_transient`` are dropped.
        Given several test trajectories, each metric is the mean over them (each compared with a free run from
        its own first state).

        Parameters
        ----------
        X : array-like, shape (T, N), list or tuple of them, or array-like (n_trajectories, T, N)
        metrics : str or sequence of str, default="state_space_divergence"
            Any of ``state_space_divergence`` (binned with ``n_bins`` below 6 dimensions, else GMM),
            ``power_spectrum_distance`` (smoothing ``sigma``), ``prediction_error`` (``n_steps_prediction``
            steps ahead from every state of ``X``), ``max_lyapunov_exponent`` (per ``dt``).
        n_transient, n_bins, n_steps_prediction : int
        sigma, dt : float

        Returns
        -------
        float (one metric; **lower is better**, unlike scikit-learn's convention) or dict (several)
        """
        from tsrnn import metrics as M

        check_is_fitted(self)
        trajectories = self._trajectories(X, "X", self.n_features_in_)
        names = (metrics,) if isinstance(metrics, str) else tuple(metrics)
        unknown = [m for m in names if m not in METRICS]
        if unknown:
            raise ValueError(f"metrics must be among {METRICS}, got {unknown}")
        scores = {name: [] for name in names}
        for x in trajectories:
            gen = self.simulate(n_transient + len(x), x0=x[0])[n_transient:]
            for name in names:
                if name == "state_space_divergence":
                    value = M.state_space_divergence(x, gen, n_bins=n_bins)
                elif name == "power_spectrum_distance":
                    value = M.power_spectrum_distance(x, gen, sigma=sigma)
                elif name == "prediction_error":
                    value = M.prediction_error(x, self.predict, n_steps_prediction)
                else:
                    value = self.lyapunov_spectrum(x0=x[0], dt=dt, n_exponents=1)[0]
                scores[name].append(float(value))
        out = {name: float(np.mean(values)) for name, values in scores.items()}
        return out[names[0]] if isinstance(metrics, str) else out

    # --- save / load --------------------------------------------------------------------------------------
    def save(self, path) -> None:
        """Save to the directory ``path`` (``config.json`` + ``weights.pt``); see :func:`tsrnn.load`."""
        from tsrnn.io import save

        save(self, path)

    def _fitted_state(self):
        return {"n_features_in_": int(self.n_features_in_), "x0_": self.x0_.tolist(), "alpha_": self.alpha_,
                "data_range_": list(self.data_range_), "history_": self.history_, "selection_": self.selection_,
                "selected_epoch_": self.selected_epoch_}

    def _restore_fitted_state(self, state):
        self.n_features_in_ = state["n_features_in_"]
        self.x0_ = np.asarray(state["x0_"])
        self.alpha_, self.data_range_, self.history_ = state["alpha_"], tuple(state["data_range_"]), state["history_"]
        self.n_epochs_trained_ = len(self.history_)
        self.selection_, self.selected_epoch_ = state.get("selection_"), state.get("selected_epoch_")

    def _build_for_load(self):
        return self._build_model().double()


def _reconstructor(registry_name, model_params, training_defaults=None):
    """Class decorator: parameters (model, then training with the model's own defaults), init and registry name."""

    def wrap(cls):
        cls._model_params = model_params
        cls.__init__ = make_init({**model_params, **DSR_TRAINING_PARAMS, **(training_defaults or {})})
        cls._registry_name = registry_name
        return cls

    return wrap


_SUMMARY = """

Methods: ``fit(X)`` on trajectories, ``partial_fit(X)`` (one more epoch), ``simulate(n_steps, x0=...)``,
``predict(X, n_steps)``, ``score(X, metrics=...)``, ``lyapunov_spectrum()``, ``save(path)``; symbolic dynamics of
the trained map in :mod:`tsrnn.nn.symbolic`.

Parameters
----------
"""


@_reconstructor("tsrnn.PLRNNReconstructor", {"n_latent": 10, "n_bases": 0, "clipped": True})
class PLRNNReconstructor(DSRReconstructor):
    __doc__ = ("PLRNN reconstructor: ``z' = A * z + W relu(z) + h`` (Durstewitz 2017), or the dendritic PLRNN "
               "(Brenner et al. 2022) with ``n_bases > 0``." + _SUMMARY + """\
n_latent : int, default=10
    Latent dimensions ``M`` (>= the data's dimensions; the first ``N`` are read out).
n_bases : int, default=0
    0: vanilla PLRNN; > 0: dendritic PLRNN with this many basis functions per unit (thresholds initialized over
    the data's range).
clipped : bool, default=True
    Clipped dendritic basis (bounded orbits); dendritic PLRNN only.
""" + DSR_TRAINING_DOC + """
Examples
--------
>>> from tsrnn import PLRNNReconstructor
>>> from tsrnn.datasets import make_trajectory
>>> X = make_trajectory("lorenz63", n_steps=2000)
>>> rec = PLRNNReconstructor(n_latent=6, seq_len=50, max_epochs=2, batches_per_epoch=5, random_state=0).fit(X)
>>> rec.simulate(100).shape
(100, 3)
""")

    def _validate_model_params(self):
        _check_param("n_bases", self.n_bases, int, 0)
        _check_param("clipped", self.clipped, None, choices=(True, False))

    def _build_model(self):
        from tsrnn.nn.plrnn import PLRNN, DendriticPLRNN

        if self.n_bases:
            return DendriticPLRNN(self.n_features_in_, self.n_latent, self.n_bases, self.clipped, self.data_range_)
        return PLRNN(self.n_features_in_, self.n_latent)


@_reconstructor("tsrnn.ShallowPLRNNReconstructor", {"n_latent": 3, "hidden_dim": 50, "clipped": True})
class ShallowPLRNNReconstructor(DSRReconstructor):
    __doc__ = ("Shallow PLRNN reconstructor: ``z' = A * z + W1 relu(W2 z + h2) + h1`` (Hess et al., ICML 2023), "
               "trained by default with adaptive generalized teacher forcing." + _SUMMARY + """\
n_latent : int, default=3
    Latent dimensions ``M`` (the paper reconstructs Lorenz-63 in M = 3).
hidden_dim : int, default=50
    Width ``L`` of the hidden ReLU layer.
clipped : bool, default=True
    Clipped shPLRNN (``W1 [relu(W2 z + h2) - relu(W2 z)]``: bounded orbits).
""" + DSR_TRAINING_DOC + """
Examples
--------
>>> from tsrnn import ShallowPLRNNReconstructor
>>> from tsrnn.datasets import make_trajectory
>>> X = make_trajectory("lorenz63", n_steps=2000)
>>> rec = ShallowPLRNNReconstructor(seq_len=50, max_epochs=2, batches_per_epoch=5, random_state=0).fit(X)
>>> rec.predict(X[:10], n_steps=5).shape
(10, 3)
""")

    def _validate_model_params(self):
        _check_param("hidden_dim", self.hidden_dim, int, 1)
        _check_param("clipped", self.clipped, None, choices=(True, False))

    def _build_model(self):
        from tsrnn.nn.plrnn import ShallowPLRNN

        return ShallowPLRNN(self.n_features_in_, self.n_latent, self.hidden_dim, self.clipped)


@_reconstructor("tsrnn.ALRNNReconstructor", {"n_latent": 20, "n_relu": 2})
class ALRNNReconstructor(DSRReconstructor):
    __doc__ = ("AL-RNN reconstructor: ``z' = A * z + W Phi*(z) + h`` with ReLU on the last ``n_relu`` units "
               "(Brenner et al., NeurIPS 2024); its 2^P linear subregions give a symbolic coding of the dynamics "
               "(:mod:`tsrnn.nn.symbolic`). The paper trains it with sparse teacher forcing (``forcing='sparse'``, "
               "``tau=16``, ``noise=0.05``, 2000 epochs for Lorenz-63) and keeps the checkpoint with the lowest "
               "state-space divergence on the training data (``select_every=25``)." + _SUMMARY + """\
n_latent : int, default=20
    Latent dimensions ``M``.
n_relu : int, default=2
    ``P``, the number of ReLU units (2 for Lorenz-63, 1 for Rössler in the paper: the fewest regions that carry
    the system's topology). On Lorenz-63 few ReLUs give the right topology but a coarse attractor; its geometry
    improves as ``P`` grows (the DSR docs page has the measurements per ``P``).
""" + DSR_TRAINING_DOC + """
Examples
--------
>>> from tsrnn import ALRNNReconstructor
>>> from tsrnn.datasets import make_trajectory
>>> X = make_trajectory("lorenz63", n_steps=2000)
>>> rec = ALRNNReconstructor(forcing="sparse", seq_len=50, max_epochs=2, batches_per_epoch=5, random_state=0)
>>> rec.fit(X).score(X[:500]) >= 0
True
""")

    def _validate_model_params(self):
        _check_param("n_relu", self.n_relu, int, 1)

    def _build_model(self):
        from tsrnn.nn.plrnn import ALRNN

        return ALRNN(self.n_features_in_, self.n_latent, self.n_relu)
