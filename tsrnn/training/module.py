"""The LightningModule that trains any tsrnn task network."""

from __future__ import annotations

import copy

import lightning as L
import torch
from torch.nn import functional as F

from tsrnn.nn.blocks import split_ssm_parameters
from tsrnn.training.schedule import OptimizerSettings

LOSSES = ("mse", "cross_entropy", "quantile")


def nan_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the target entries that are not NaN (missing targets carry no loss)."""
    observed = ~torch.isnan(target)
    diff = torch.where(observed, pred - torch.nan_to_num(target), torch.zeros_like(pred))
    return (diff**2).sum() / observed.sum().clamp(min=1)


def nan_pinball(pred: torch.Tensor, target: torch.Tensor, quantiles: torch.Tensor) -> torch.Tensor:
    """Mean pinball (quantile) loss over the target entries that are not NaN and over the quantiles.

    Parameters
    ----------
    pred : Tensor, shape (..., Q)
        Predicted quantiles of every target entry.
    target : Tensor, shape (...)
        NaN marks a missing target (no loss).
    quantiles : Tensor, shape (Q,)
        Levels in (0, 1): the loss of level ``q`` is ``max(q (y - p), (q - 1) (y - p))``.
    """
    observed = ~torch.isnan(target)
    diff = torch.nan_to_num(target).unsqueeze(-1) - pred
    loss = torch.maximum(quantiles * diff, (quantiles - 1.0) * diff)
    loss = torch.where(observed.unsqueeze(-1), loss, torch.zeros_like(loss))
    return loss.sum() / (observed.sum().clamp(min=1) * quantiles.numel())


class SequenceLightningModule(L.LightningModule):
    """Wrap a task network ``net(x, dt=None, mask=None) -> prediction`` for Lightning.

    Batches are dicts with ``x`` and ``y`` and optionally ``dt`` and ``mask``.

    Parameters
    ----------
    net : torch.nn.Module
    loss : {"mse", "cross_entropy", "quantile"}
        ``"quantile"``: the network predicts the ``quantiles`` of every target entry along a last axis, trained
        with the pinball loss (:func:`nan_pinball`).
    optim : OptimizerSettings, optional
        AdamW's learning rates, weight decay and schedule (default: ``OptimizerSettings()``).
    optimizer_state : dict, optional
        An AdamW ``state_dict`` of this network's parameter groups to resume from (its moment estimates; the
        learning rates stay those of ``optim``).
    class_weight : array-like (n_classes,), optional
        Weight of each class in the cross-entropy: a batch's loss is the weighted mean over its samples (as
        ``torch.nn.functional.cross_entropy(weight=...)``, and sklearn's ``class_weight``).
    quantiles : array-like (Q,), optional
        Levels of the ``"quantile"`` loss (required by it).
    """

    def __init__(self, net: torch.nn.Module, loss: str = "mse", optim: OptimizerSettings | None = None,
                 optimizer_state: dict | None = None, class_weight=None, quantiles=None):
        super().__init__()
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
        if class_weight is not None and loss != "cross_entropy":
            raise ValueError(f"class_weight weighs the classes of the cross-entropy, not the {loss!r} loss")
        if (quantiles is None) != (loss != "quantile"):
            raise ValueError("quantiles are the levels of the 'quantile' loss: give them with it, and only with it")
        self.net, self.loss_name = net, loss
        self.optim = OptimizerSettings() if optim is None else optim
        self.optimizer_state = optimizer_state
        # buffers (not saved in checkpoints): they move with the module to its device
        self.register_buffer("class_weight", None if class_weight is None else
                             torch.as_tensor(class_weight, dtype=torch.float32), persistent=False)
        self.register_buffer("quantiles", None if quantiles is None else
                             torch.as_tensor(quantiles, dtype=torch.float32), persistent=False)

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
            return F.cross_entropy(out, batch["y"], weight=self.class_weight)
        if self.loss_name == "quantile":
            return nan_pinball(out, batch["y"], self.quantiles)
        if isinstance(out, tuple):  # training: extra predictions with their targets join the loss
            out, extra, extra_target = out
            return nan_mse(torch.cat([extra, out], dim=1), torch.cat([extra_target, batch["y"]], dim=1))
        return nan_mse(out, batch["y"])

    def training_step(self, batch, batch_idx):
        """The task loss of a training batch, logged per epoch as ``train_loss``."""
        loss = self._loss(batch)
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=batch["x"].shape[0], sync_dist=True)
        return loss

    def validation_step(self, batch, batch_idx):
        """The task loss of a validation batch, logged per epoch as ``val_loss``."""
        loss = self._loss(batch)
        self.log("val_loss", loss, on_step=False, on_epoch=True, batch_size=batch["x"].shape[0], sync_dist=True)
        return loss

    def configure_optimizers(self):
        """AdamW over the regular and the state-space parameter groups; unless the learning rate stays constant,
        a per-step ``LambdaLR`` following :meth:`OptimizerSettings.factor`."""
        optim = self.optim
        regular, ssm = split_ssm_parameters(self.net)
        groups = [{"params": regular, "lr": optim.lr, "weight_decay": optim.weight_decay}]
        if ssm:
            groups.append({"params": ssm, "lr": optim.ssm_lr, "weight_decay": 0.0})
        optimizer = torch.optim.AdamW(groups)
        if self.optimizer_state is not None:
            load_optimizer_state(optimizer, self.optimizer_state)
            for group, settings in zip(optimizer.param_groups, groups, strict=True):
                group.update(lr=settings["lr"], weight_decay=settings["weight_decay"], initial_lr=settings["lr"])
        if optim.constant:
            return optimizer
        max_epochs = self.trainer.max_epochs
        steps_per_epoch = max(1, self.trainer.estimated_stepping_batches // max_epochs)
        factor = lambda step: optim.factor(step, steps_per_epoch=steps_per_epoch, max_epochs=max_epochs)  # noqa: E731
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


def load_optimizer_state(optimizer, state: dict) -> None:
    """Load a copy of the ``state_dict`` ``state`` into ``optimizer``.

    ``load_state_dict`` keeps the given tensors when they are already on the parameters' device and dtype, and the
    optimizer then steps them in place: a copy keeps ``state`` as it was, e.g. for a ``partial_fit`` that diverges.
    """
    optimizer.load_state_dict(copy.deepcopy(state))
