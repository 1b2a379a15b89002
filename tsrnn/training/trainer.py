"""Quiet Lightning trainers and the data plumbing estimators use to train task networks."""

from __future__ import annotations

import contextlib
import copy
import ctypes
import logging
import os
import sys
import tempfile
import warnings

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Checkpoint
from torch.utils.data import DataLoader, Dataset

from tsrnn.data.windowing import Windows
from tsrnn.training.module import SequenceLightningModule
from tsrnn.training.schedule import OptimizerSettings

_NOISE = (
    ".*does not have many workers.*",
    ".*litlogger.*",
    ".*number of training batches.*",
    ".*defined a `validation_step` but have no `val_dataloader`.*",
    ".*LeafSpec.*",
)


@contextlib.contextmanager
def quiet(verbose: int):
    """Silence Lightning's informational logging and routine warnings unless ``verbose``."""
    if verbose:
        yield
        return
    loggers = [logging.getLogger(n) for n in ("lightning", "lightning.pytorch", "lightning.fabric",
                                               "lightning.pytorch.utilities.rank_zero")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            for pattern in _NOISE:
                warnings.filterwarnings("ignore", message=pattern)
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=False):
            lg.setLevel(level)


class ArrayDataset(Dataset):
    """Samples of a dict of arrays sharing their first dimension (``None`` entries are skipped); an entry may be
    :class:`tsrnn.data.windowing.Windows`, cut per sample."""

    def __init__(self, arrays: dict):
        self.arrays = {k: v.with_rows(torch.as_tensor(v.rows)) if isinstance(v, Windows) else torch.as_tensor(v)
                       for k, v in arrays.items() if v is not None}
        self.n = next(iter(self.arrays.values())).shape[0]

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {k: v[i] for k, v in self.arrays.items()}


class HistoryCallback(L.Callback):
    """Record every per-epoch metric the module logs (``train_loss``, ``val_loss``, ...) into a list of dicts."""

    def __init__(self):
        self.history: list[dict] = []

    def on_train_epoch_end(self, trainer, pl_module):
        row = {"epoch": trainer.current_epoch}
        row.update({key: float(value) for key, value in trainer.callback_metrics.items()})
        self.history.append(row)


class StopOnNonFiniteLoss(L.Callback):
    """Stop training at the end of the first epoch whose ``train_loss`` is NaN or infinite (a diverged fit).

    ``epoch`` and ``loss`` record where; :meth:`raise_if_diverged` turns them into an error for the caller.
    """

    def __init__(self):
        self.epoch: int | None = None
        self.loss: float | None = None

    def on_train_epoch_end(self, trainer, pl_module):
        loss = trainer.callback_metrics.get("train_loss")
        if self.epoch is None and loss is not None and not np.isfinite(float(loss)):
            self.epoch, self.loss = trainer.current_epoch, float(loss)
            trainer.should_stop = True

    def raise_if_diverged(self, lr: float):
        """Raise a ``FloatingPointError`` naming ``lr`` if training stopped on a non-finite loss."""
        if self.epoch is not None:
            raise FloatingPointError(
                f"training diverged: train_loss was {self.loss} in epoch {self.epoch}; lower lr (lr = {lr:g}) or clip "
                f"the gradients (trainer_kwargs={{'gradient_clip_val': 1.0}})")


def resolve_accelerator(device: str) -> str:
    """Map tsrnn's ``device`` ("auto", "cpu", "cuda", "mps") to a Lightning accelerator."""
    if device == "auto":
        return "gpu" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return device
    if device in ("cuda", "gpu"):
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} but torch finds no CUDA device (torch.cuda.is_available() is False); "
                             "use device='cpu' or 'auto'")
        return "gpu"
    if device == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError("device='mps' but torch finds no MPS device (torch.backends.mps.is_available() is False); "
                             "use device='cpu' or 'auto'")
        return device
    raise ValueError(f"device must be 'auto', 'cpu', 'cuda', 'gpu' or 'mps', got {device!r}")


_MALLOC_TUNED = False


def keep_freed_memory() -> bool:
    """On Linux with glibc, keep allocations below 32 MB in the heap and up to 64 MB of freed heap memory, once per
    process (``mallopt`` ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD``); returns whether the settings are in place.

    A training step allocates and frees activations of a few megabytes. With glibc's default (dynamic) thresholds
    whether those come from fresh pages at every step (page faults and zeroing) depends on what the process
    allocated before: the same S5 forecaster epoch on ETTh1 took 6.5 s or 8.7 s by that history alone, and 5.9-6.1 s
    with these fixed thresholds (``docs/getting_started.rst``, "Training"). Setting ``TSRNN_MALLOC=default`` in the
    environment leaves glibc's thresholds alone.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED or os.environ.get("TSRNN_MALLOC") == "default" or not sys.platform.startswith("linux"):
        return _MALLOC_TUNED
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        _MALLOC_TUNED = bool(libc.mallopt(m_mmap_threshold, 32 * 2**20) and libc.mallopt(m_trim_threshold, 64 * 2**20))
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        pass
    return _MALLOC_TUNED


def make_trainer(max_epochs: int, device: str = "auto", precision="32-true", verbose: int = 0,
                 callbacks: list | None = None, trainer_kwargs: dict | None = None) -> L.Trainer:
    """A ``lightning.Trainer`` with quiet defaults: no progress bar unless ``verbose``, no logger, no
    checkpoints (unless a checkpoint callback is given), no files in the working directory. ``trainer_kwargs``
    override any of them (strategy, devices, num_nodes, loggers, callbacks, ...).
    """
    keep_freed_memory()
    kwargs = dict(
        max_epochs=max_epochs,
        accelerator=resolve_accelerator(device),
        devices=1,
        precision=precision,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=bool(verbose),
        enable_model_summary=bool(verbose),
        default_root_dir=tempfile.gettempdir(),
        num_sanity_val_steps=0,
        callbacks=list(callbacks or []),
    )
    extra = dict(trainer_kwargs or {})
    if "callbacks" in extra:
        kwargs["callbacks"] += list(extra.pop("callbacks"))
    # a checkpoint callback of the user's turns checkpointing on (Lightning refuses one with it off)
    kwargs["enable_checkpointing"] = any(isinstance(c, Checkpoint) for c in kwargs["callbacks"])
    kwargs.update(extra)
    return L.Trainer(**kwargs)


def fit_network(net, arrays: dict, *, loss: str, optim: OptimizerSettings, max_epochs: int, batch_size: int,
                early_stopping: bool, patience: int, validation_fraction: float, device: str, precision,
                verbose: int, trainer_kwargs: dict | None, rng: np.random.Generator,
                val_arrays: dict | None = None, optimizer_state: dict | None = None,
                return_optimizer_state: bool = False, loss_options: dict | None = None):
    """Train ``net`` on ``arrays`` (dict of equal-length arrays with ``x`` and ``y``) through Lightning, with the
    optimizer and learning-rate schedule of ``optim``.

    ``loss_options`` (``class_weight``, ``quantiles``) go to :class:`SequenceLightningModule` with ``loss``; they
    shape the training and the validation loss.

    Returns the per-epoch history, and with ``return_optimizer_state`` also the optimizer's final ``state_dict``
    (on the CPU), from which a later call can resume with ``optimizer_state``. Training batches are reshuffled
    every epoch and an incomplete last batch is dropped when there is a full one (in every process under a
    distributed strategy). With ``early_stopping`` the samples of ``val_arrays`` (when given), else a random
    ``validation_fraction`` of ``arrays``, are held out and training stops after ``patience`` epochs without
    improvement of ``val_loss``; the best weights are restored. Validation never drops samples.
    Training stops at the first epoch with a non-finite ``train_loss``; unless early stopping kept an earlier
    epoch's weights, that raises a ``FloatingPointError``.
    """
    n = arrays["x"].shape[0]
    order = rng.permutation(n)
    n_val = 0 if val_arrays is not None else int(round(validation_fraction * n)) if early_stopping else 0
    if early_stopping and val_arrays is None and (n_val < 1 or n - n_val < 1):
        raise ValueError(f"early_stopping needs validation_fraction * n_samples >= 1 and a non-empty training "
                         f"part; got validation_fraction={validation_fraction} with {n} samples")
    take = lambda idx: {k: (None if v is None else v[idx]) for k, v in arrays.items()}  # noqa: E731
    generator = torch.Generator().manual_seed(int(rng.integers(2**31 - 1)))
    train_set = ArrayDataset(take(order[n_val:]))
    val_loader = DataLoader(ArrayDataset(take(order[:n_val])), batch_size=batch_size) if n_val else None
    if early_stopping and val_arrays is not None:
        val_loader = DataLoader(ArrayDataset(val_arrays), batch_size=batch_size)
    history, diverged = HistoryCallback(), StopOnNonFiniteLoss()
    callbacks = [history, diverged]
    best = None
    if early_stopping:
        from lightning.pytorch.callbacks import EarlyStopping

        best = _BestWeights()
        callbacks += [EarlyStopping(monitor="val_loss", patience=patience, mode="min"), best]
    module = SequenceLightningModule(net, loss=loss, optim=optim, optimizer_state=optimizer_state,
                                     **(loss_options or {}))
    with quiet(verbose):
        trainer = make_trainer(max_epochs, device, precision, verbose, callbacks, trainer_kwargs)
        # An incomplete last batch (possibly a single sample) gets a full Adam step from a noisy gradient; drop it
        # when there is a full batch (the samples are reshuffled every epoch, so none is left out for good). Under
        # a distributed strategy each process draws its share of the samples.
        share = -(-(n - n_val) // trainer.world_size)
        train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator,
                                  drop_last=share >= batch_size)
        trainer.fit(module, train_loader, val_loader)
    if best is not None and best.state is not None:  # a fit that diverged after its best epoch keeps that epoch
        net.load_state_dict(best.state)
    else:
        diverged.raise_if_diverged(optim.lr)
    if not return_optimizer_state:
        return history.history
    return history.history, optimizer_state_on_cpu(trainer.optimizers[0])


def optimizer_state_on_cpu(optimizer) -> dict:
    """A copy of ``optimizer.state_dict()`` with its tensors on the CPU, from which a later optimizer can resume
    (``load_state_dict``)."""
    state = optimizer.state_dict()
    on_cpu = lambda v: v.detach().cpu().clone() if isinstance(v, torch.Tensor) else v  # noqa: E731
    return {"state": {k: {name: on_cpu(v) for name, v in entry.items()} for k, entry in state["state"].items()},
            "param_groups": copy.deepcopy(state["param_groups"])}


class _BestWeights(L.Callback):
    """Keep a CPU copy of the weights with the lowest ``val_loss``."""

    def __init__(self):
        self.best, self.state = float("inf"), None

    def on_validation_epoch_end(self, trainer, pl_module):
        val = trainer.callback_metrics.get("val_loss")
        if val is not None and float(val) < self.best:
            self.best = float(val)
            self.state = {k: v.detach().cpu().clone() for k, v in pl_module.net.state_dict().items()}
