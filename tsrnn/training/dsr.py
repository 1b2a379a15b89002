r"""Teacher-forced training of piecewise-linear RNNs for dynamical-systems reconstruction (Lightning).

Batches are windows :math:`x_0 .. x_T` sampled with replacement from one or more trajectories
(:class:`RandomWindows`). From :math:`z_0 = [x_0; L x_0]` the model steps :math:`z_t = F(\tilde z_{t-1})`; the
loss is the MSE of the readout of :math:`z_t` (before forcing) against :math:`x_t`. Forcing of the carried state:

- ``"sparse"`` (identity / sparse teacher forcing, Mikhaeil et al. 2022): every ``tau`` steps the observed
  units are replaced by the data, :math:`\tilde z_t = [x_t; z_{t, N:}]`; no gradient flows into replaced units.
- ``"gtf"`` (generalized teacher forcing, Hess et al. 2023): at every step
  :math:`\tilde z_{t,:N} = (1 - \alpha) z_{t,:N} + \alpha x_t`, the other units pass through. ``alpha`` is
  fixed, or adapted by the :class:`AdaptiveGTF` callback.

Missing observations (NaN in the windows, e.g. irregular samples placed on the map's time grid) are neither
forced nor scored: a unit is forced only where it was observed, and the loss is the mean over observed entries.
Windows start at fully observed rows (the initial state is built from them).

RAdam with an exponential decay of the learning rate per epoch from ``lr`` to ``end_lr``.
"""

from __future__ import annotations

import copy
import math

import lightning as L
import numpy as np
import torch
from torch.utils.data import Dataset

from tsrnn.training.forcing import forced_recurrence, forced_recurrence_ref, keep_factors
from tsrnn.training.module import load_optimizer_state

FORCINGS = ("gtf", "sparse")


def observed_mse(preds: torch.Tensor, target: torch.Tensor, observed: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared error of ``preds`` against ``target`` (both (B, T, N)) over the ``observed`` entries (default:
    all); the unobserved targets (NaN) are never read."""
    if observed is None:
        return torch.mean((preds - target) ** 2)
    return torch.sum(torch.where(observed, preds - target, 0.0) ** 2) / observed.sum().clamp_min(1)


class RandomWindows(Dataset):
    """``n_samples`` windows of ``seq_len + 1`` steps drawn uniformly with replacement from trajectories.

    A window starts at a fully observed row; other rows may hold NaN (missing observations).

    Parameters
    ----------
    trajectories : list of ndarray, each (T_i, N)
    seq_len : int
        Steps after the first one (the window has ``seq_len + 1`` rows).
    n_samples : int
        Windows per epoch (``batch_size * batches_per_epoch``).
    noise : float
        Standard deviation of Gaussian noise added to every drawn window.
    seed : int
    """

    def __init__(self, trajectories, seq_len: int, n_samples: int, noise: float = 0.0, seed: int = 0):
        self.data = [torch.as_tensor(t, dtype=torch.float32) for t in trajectories]
        self.complete = [np.isfinite(np.asarray(t)).all(axis=1) for t in trajectories]
        self.starts = [np.flatnonzero(c[: len(c) - seq_len]) for c in self.complete]
        counts = np.array([len(s) for s in self.starts])
        if counts.sum() == 0:
            raise ValueError(f"no trajectory has a fully observed row followed by seq_len = {seq_len} more rows: "
                             "training windows start at fully observed rows")
        self.seq_len, self.n_samples, self.noise = seq_len, n_samples, noise
        self.weights = counts / counts.sum()
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return self.n_samples

    def first_complete_row(self) -> tuple[int, int]:
        """``(trajectory, row)`` of the first fully observed row of the first trajectory that has one."""
        k = next(i for i, c in enumerate(self.complete) if c.any())
        return k, int(np.argmax(self.complete[k]))

    def __getitem__(self, i):
        k = int(self.rng.choice(len(self.data), p=self.weights))
        s = int(self.starts[k][self.rng.integers(len(self.starts[k]))])
        x = self.data[k][s : s + self.seq_len + 1]
        if self.noise:
            x = x + self.noise * torch.as_tensor(self.rng.standard_normal(x.shape), dtype=x.dtype)
        return x


class DSRLightningModule(L.LightningModule):
    """Teacher-forced training of a :class:`tsrnn.nn.plrnn.PiecewiseLinearRNN` (see the module docstring).

    Parameters
    ----------
    model : PiecewiseLinearRNN
    forcing : {"gtf", "sparse"}
    tau : int
        Forcing interval of sparse teacher forcing.
    alpha : float
        Initial / fixed GTF mixing weight in [0, 1].
    lr, end_lr : float
        Learning rate at the first and after the last epoch (exponential decay per epoch).
    max_epochs : int
        Sets the decay rate.
    fused : bool
        Back-propagate through the forced recurrence by hand (:func:`tsrnn.training.forcing.forced_recurrence`)
        rather than through an autograd step loop; same results, 2.7-6x faster per batch on CPU
        (``benchmarks/bench_dsr_speed.py``).
    missing : bool
        Whether the windows may hold NaN (missing observations). If False, batches are taken as fully observed
        without looking (the look is a host sync per batch on a GPU).
    optimizer_state : dict, optional
        A ``state_dict`` of an earlier RAdam over the same model's parameters to continue from (incremental
        training).
    """

    def __init__(self, model, forcing: str = "gtf", tau: int = 16, alpha: float = 0.5, lr: float = 1e-3,
                 end_lr: float = 1e-5, max_epochs: int = 100, fused: bool = True, missing: bool = True,
                 optimizer_state: dict | None = None):
        super().__init__()
        if forcing not in FORCINGS:
            raise ValueError(f"forcing must be one of {FORCINGS}, got {forcing!r}")
        self.model, self.forcing, self.tau, self.alpha = model, forcing, tau, float(alpha)
        self.lr, self.end_lr, self.max_epochs, self.fused, self.missing = lr, end_lr, max_epochs, fused, missing
        self.optimizer_state = optimizer_state
        self.forced_states: torch.Tensor | None = None
        self.forced_fraction: torch.Tensor | None = None  # per window, with missing observations

    def teacher_forced(self, x: torch.Tensor, observed: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the forced recurrence on windows ``x`` (B, T+1, N), observed where ``observed`` (default: all).

        Returns
        -------
        predictions : Tensor, shape (B, T, N)
            Readouts of :math:`z_1 .. z_T` before forcing.
        forced : Tensor, shape (B, T, M)
            The carried (forced) states :math:`\\tilde z_0 .. \\tilde z_{T-1}` (detached), where the Jacobians of
            adaptive GTF are evaluated.
        """
        keep = keep_factors(x.shape[1] - 1, self.forcing, self.alpha, self.tau)
        run = forced_recurrence if self.fused else forced_recurrence_ref
        states, carried = run(self.model, self.model.init_state(x[:, 0]), x, keep, observed)
        return self.model.observe(states), carried

    def training_step(self, batch, batch_idx):
        """MSE of the forced predictions on a batch of windows (B, T+1, N), over the observed entries."""
        observed = torch.isfinite(batch) if self.missing else None
        observed = None if observed is None or bool(observed.all()) else observed
        preds, self.forced_states = self.teacher_forced(batch, observed)
        self.forced_fraction = None if observed is None else observed[:, 1:-1].flatten(1).float().mean(dim=1)
        loss = observed_mse(preds, batch[:, 1:], None if observed is None else observed[:, 1:])
        self._epoch_losses.append(loss.detach())
        if batch_idx == self.trainer.num_training_batches - 1:  # log once per epoch: a per-batch ``self.log``
            # costs as much as a forced batch of these small maps
            self.log("train_loss", torch.stack(self._epoch_losses).mean(), on_step=False, on_epoch=True)
            self.log("alpha", self.alpha, on_step=False, on_epoch=True)
        return loss

    def on_train_epoch_start(self):
        self._epoch_losses = []

    def configure_optimizers(self):
        """RAdam with an exponential per-epoch decay from ``lr`` to ``end_lr``."""
        optimizer = torch.optim.RAdam(self.model.parameters(), lr=self.lr)
        if self.optimizer_state is not None:  # its moment estimates; the learning rate stays this module's
            load_optimizer_state(optimizer, self.optimizer_state)
            for group in optimizer.param_groups:
                group["lr"] = self.lr
                group.pop("initial_lr", None)
        gamma = math.exp(math.log(self.end_lr / self.lr) / max(self.max_epochs, 1))
        return {"optimizer": optimizer,
                "lr_scheduler": {"scheduler": torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma), "interval": "epoch"}}


class AdaptiveGTF(L.Callback):
    r"""Adaptive GTF (aGTF): every ``every`` batches set :math:`\alpha` from Jacobian norms.

    :math:`\alpha^* = \max(0, 1 - 1/G)` with :math:`G` the largest, over the batch's windows, geometric mean over
    time of :math:`\|J(\tilde z_t)\|_2` at the forced states (``bound="product"``, the GTF default), or the
    spectral norm of the time-averaged Jacobian (``bound="mean"``). Then :math:`\alpha \leftarrow \alpha^*` if
    :math:`\alpha^*` is larger, else :math:`\alpha \leftarrow \gamma\alpha + (1 - \gamma)\alpha^*`. With
    :math:`\alpha \ge 1 - 1/G` the forced Jacobian products :math:`\prod_t (1-\alpha) J_t` cannot grow.
    With missing observations a window is forced only at a fraction :math:`f` of its entries, and the bound
    becomes :math:`\alpha^* = 1 - G^{-1/f}` (the contraction :math:`(1-\alpha)^{fT}` must offset :math:`G^T`).

    Parameters
    ----------
    every : int
    gamma : float
    bound : {"product", "mean"}
    """

    def __init__(self, every: int = 5, gamma: float = 0.999, bound: str = "product"):
        if bound not in ("product", "mean"):
            raise ValueError(f"bound must be 'product' or 'mean', got {bound!r}")
        self.every, self.gamma, self.bound = every, gamma, bound
        self.history: list[float] = []

    @staticmethod
    def estimate(model, states: torch.Tensor, bound: str = "product", forced_fraction: torch.Tensor | None = None
                 ) -> float:
        """:math:`\\alpha^*` from forced states (B, T, M) and the fraction of observed (forced) entries per window
        (B,) (default: all).

        For a piecewise-linear map with fewer linear subregions than states (an AL-RNN with P ReLUs has 2^P), the
        Jacobian, constant inside a subregion, is computed once per distinct region among the states and gathered.
        """
        B, T, M = states.shape
        flat = states.reshape(B * T, M)
        with torch.no_grad():
            if hasattr(model, "region") and 2 ** model.region(flat[:1]).shape[-1] < B * T:
                _, which = torch.unique(model.region(flat), dim=0, return_inverse=True)
                n_regions = int(which.max()) + 1
                first = torch.full((n_regions,), B * T, dtype=which.dtype, device=which.device)
                first.scatter_reduce_(0, which, torch.arange(B * T, device=which.device), reduce="amin")
                J_region = model.jacobian(flat[first])
            else:
                which, J_region = torch.arange(B * T, device=flat.device), model.jacobian(flat)
            if bound == "product":
                norms = torch.linalg.matrix_norm(J_region, ord=2).clamp_min(1e-12)[which].view(B, T)
                log_G = torch.log(norms).mean(dim=1)
            else:  # time average of J per window = region occupation (B, R) @ region Jacobians (R, M*M)
                occupation = torch.zeros(B, len(J_region), dtype=flat.dtype, device=flat.device)
                occupation.scatter_add_(1, which.view(B, T), torch.full((B, T), 1.0 / T, dtype=flat.dtype,
                                                                         device=flat.device))
                J_mean = (occupation @ J_region.reshape(len(J_region), M * M)).view(B, M, M)
                log_G = torch.log(torch.linalg.matrix_norm(J_mean, ord=2).clamp_min(1e-12))
            if forced_fraction is not None:
                log_G = log_G / forced_fraction.to(log_G.dtype).clamp_min(1.0 / T)
        return max(0.0, 1.0 - float(torch.exp(-log_G.max())))

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        """Update ``pl_module.alpha`` every ``every`` batches."""
        states = pl_module.forced_states
        if batch_idx % self.every or states is None or not bool(torch.isfinite(states).all()):
            return  # non-finite states: a diverged fit, which ``StopOnNonFiniteLoss`` ends with the epoch
        target = self.estimate(pl_module.model, states, self.bound, pl_module.forced_fraction)
        a = pl_module.alpha
        pl_module.alpha = target if target > a else self.gamma * a + (1 - self.gamma) * target
        self.history.append(pl_module.alpha)


class SelectByDivergence(L.Callback):
    """Model selection on the training data (the AL-RNN paper's protocol): every ``every`` epochs and after the
    last, free-run the model from the reference trajectory's first state for as many steps as it has and score
    :func:`tsrnn.metrics.state_space_divergence` against it; keep the weights of the lowest score.

    Parameters
    ----------
    reference : ndarray, shape (T, N)
        A training trajectory (never test data: that would select on the test set). Rows with missing values
        (NaN) are not scored; the free run starts at the first fully observed row.
    every : int
    n_bins : int
        Bins per dimension of the divergence.

    Attributes
    ----------
    scores : list of dict
        ``{"epoch", "state_space_divergence"}`` per evaluation.
    best_state : dict or None
        The model's ``state_dict`` at the best evaluation.
    best_epoch : int or None
    best_score : float
        The lowest divergence so far (inf before the first evaluation).
    """

    def __init__(self, reference: np.ndarray, every: int = 25, n_bins: int = 30):
        reference = np.asarray(reference, dtype=np.float64)
        complete = np.isfinite(reference).all(axis=1)
        if not complete.any():
            raise ValueError("reference has no fully observed row")
        self.reference = reference[np.argmax(complete):]  # free runs start at the first fully observed row
        self.observed = self.reference[complete[np.argmax(complete):]]  # rows with missing values are not scored
        self.every, self.n_bins = every, n_bins
        self.scores: list[dict] = []
        self.best_state: dict | None = None
        self.best_epoch: int | None = None
        self.best_score = math.inf

    def on_train_epoch_end(self, trainer, pl_module):
        """Score the current weights when the epoch is due (or the last one) and keep the best."""
        from tsrnn.metrics import state_space_divergence

        epoch = trainer.current_epoch + 1
        if epoch % self.every and epoch != trainer.max_epochs:
            return
        model = pl_module.model
        if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
            return  # a diverged fit (see StopOnNonFiniteLoss): nothing to keep
        with torch.no_grad():
            x0 = torch.as_tensor(self.reference[:1], dtype=pl_module.dtype, device=pl_module.device)
            generated = model.observe(model.simulate(model.init_state(x0), len(self.reference)))[0]
        score = state_space_divergence(self.observed, generated.double().cpu().numpy(), n_bins=self.n_bins)
        score = score if np.isfinite(score) else math.inf
        if self.best_state is None or score < self.best_score:
            self.best_state = copy.deepcopy(model.state_dict())
            self.best_epoch, self.best_score = epoch, score
        self.scores.append({"epoch": epoch, "state_space_divergence": score})
