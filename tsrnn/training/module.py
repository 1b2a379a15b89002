"""The LightningModule that trains any tsrnn task network."""

from __future__ import annotations

import math

import lightning as L
import torch
from torch.nn import functional as F

from tsrnn.nn.blocks import is_ssm_parameter

LOSSES = ("mse", "cross_entropy")
LR_SCHEDULES = ("exponential", "cosine")


def lr_factor(step: int, *, steps_per_epoch: int, max_epochs: int, schedule: str = "exponential",
              lr_decay: float = 1.0, lr_decay_start: int = 0, warmup_epochs: int = 0) -> float:
    """Multiplier of every learning rate at optimizer step ``step`` (0-based).

    A linear warm-up over the first ``warmup_epochs`` epochs (step ``s`` at ``(s + 1) / warmup_steps``), times
    either the exponential schedule (``lr_decay ** k`` in the ``k``-th epoch from epoch ``lr_decay_start`` on,
    counting from 1; ``lr_decay = 1``: constant) or a cosine annealing from 1 after the warm-up to 0 at the end
    of epoch ``max_epochs`` (evaluated per step).
    """
    warmup_steps = warmup_epochs * steps_per_epoch
    warm = min(1.0, (step + 1) / warmup_steps) if warmup_steps else 1.0
    if schedule == "cosine":
        progress = (step - warmup_steps) / max(1, max_epochs * steps_per_epoch - warmup_steps)
        return warm * 0.5 * (1.0 + math.cos(math.pi * min(1.0, max(0.0, progress))))
    return warm * lr_decay ** max(0, step // steps_per_epoch - lr_decay_start + 1)


def nan_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the target entries that are not NaN (missing targets carry no loss)."""
    observed = ~torch.isnan(target)
    diff = torch.where(observed, pred - torch.nan_to_num(target), torch.zeros_like(pred))
    return (diff**2).sum() / observed.sum().clamp(min=1)


class SequenceLightningModule(L.LightningModule):
    """Wrap a task network ``net(x, dt=None, mask=None) -> prediction`` for Lightning.

    Batches are dicts with ``x`` and ``y`` and optionally ``dt`` and ``mask``.

    Parameters
    ----------
    net : torch.nn.Module
    loss : {"mse", "cross_entropy"}
    lr : float
        Learning rate of the regular parameter group (AdamW).
    weight_decay : float
        Weight decay of the regular group.
    ssm_lr : float
        Learning rate of parameters tagged by :func:`tsrnn.nn.blocks.mark_ssm_parameter` (no weight decay).
    lr_decay : float
        Per-epoch multiplicative decay of every learning rate, applied after epoch ``lr_decay_start`` (1.0: none).
    lr_decay_start : int
        Epochs at the initial learning rate before the decay.
    lr_schedule : {"exponential", "cosine"}
        The exponential decay above, or cosine annealing to 0 over the trainer's ``max_epochs`` (then
        ``lr_decay`` must be 1); see :func:`lr_factor`.
    warmup_epochs : int
        Epochs of linear learning-rate warm-up (per step) before either schedule.
    """

    def __init__(self, net: torch.nn.Module, loss: str = "mse", lr: float = 1e-3, weight_decay: float = 0.0,
                 ssm_lr: float = 1e-3, lr_decay: float = 1.0, lr_decay_start: int = 0,
                 lr_schedule: str = "exponential", warmup_epochs: int = 0):
        super().__init__()
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
        if lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {lr_schedule!r}")
        if lr_schedule == "cosine" and (lr_decay != 1.0 or lr_decay_start != 0):
            raise ValueError(f"lr_decay = {lr_decay} and lr_decay_start = {lr_decay_start} belong to the exponential "
                             "schedule; with lr_schedule='cosine' leave them at 1.0 and 0")
        self.net, self.loss_name = net, loss
        self.lr, self.weight_decay, self.ssm_lr = lr, weight_decay, ssm_lr
        self.lr_decay, self.lr_decay_start = lr_decay, lr_decay_start
        self.lr_schedule, self.warmup_epochs = lr_schedule, warmup_epochs

    def forward(self, batch: dict) -> torch.Tensor:
        """``net(x, **rest)`` with every batch entry but ``x`` and ``y`` (``dt``, ``mask``, family extras); a net
        with ``reads_targets = True`` also gets ``targets=y`` while training (teacher forcing) and may then return
        ``(prediction, extra_prediction, extra_target)``: the extra pairs (concatenated along dimension 1) join the
        MSE."""
        rest = {k: v for k, v in batch.items() if k not in ("x", "y")}
        if self.training and getattr(self.net, "reads_targets", False):
            rest["targets"] = batch["y"]
        return self.net(batch["x"], **rest)

    def _loss(self, batch):
        out = self(batch)
        if self.loss_name == "cross_entropy":
            return F.cross_entropy(out, batch["y"])
        if isinstance(out, tuple):  # training: extra predictions with their targets join the loss
            out, extra, extra_target = out
            return nan_mse(torch.cat([extra, out], dim=1), torch.cat([extra_target, batch["y"]], dim=1))
        return nan_mse(out, batch["y"])

    def training_step(self, batch, batch_idx):
        loss = self._loss(batch)
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=batch["x"].shape[0])
        return loss

    def validation_step(self, batch, batch_idx):
        loss = self._loss(batch)
        self.log("val_loss", loss, on_step=False, on_epoch=True, batch_size=batch["x"].shape[0])
        return loss

    def configure_optimizers(self):
        ssm = [p for p in self.net.parameters() if p.requires_grad and is_ssm_parameter(p)]
        regular = [p for p in self.net.parameters() if p.requires_grad and not is_ssm_parameter(p)]
        groups = [{"params": regular, "lr": self.lr, "weight_decay": self.weight_decay}]
        if ssm:
            groups.append({"params": ssm, "lr": self.ssm_lr, "weight_decay": 0.0})
        optimizer = torch.optim.AdamW(groups)
        if self.lr_schedule == "exponential" and self.lr_decay == 1.0 and not self.warmup_epochs:
            return optimizer
        max_epochs = self.trainer.max_epochs
        steps_per_epoch = max(1, self.trainer.estimated_stepping_batches // max_epochs)
        factor = lambda step: lr_factor(  # noqa: E731
            step, steps_per_epoch=steps_per_epoch, max_epochs=max_epochs, schedule=self.lr_schedule,
            lr_decay=self.lr_decay, lr_decay_start=self.lr_decay_start, warmup_epochs=self.warmup_epochs)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}
