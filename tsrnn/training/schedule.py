"""The optimizer settings of a fit and the learning-rate schedule they define (pure Python, no torch)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

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


@dataclass(frozen=True)
class OptimizerSettings:
    """AdamW with two parameter groups and one learning-rate schedule: everything a fit's optimizer needs.

    Parameters
    ----------
    lr : float
        Learning rate of the regular parameter group.
    weight_decay : float
        Weight decay of the regular group.
    ssm_lr : float
        Learning rate of parameters tagged by :func:`tsrnn.nn.blocks.mark_ssm_parameters` (no weight decay).
    lr_decay : float
        Per-epoch multiplicative decay of every learning rate, applied after epoch ``lr_decay_start`` (1.0: none).
    lr_decay_start : int
        Epochs at the initial learning rate before the decay.
    lr_schedule : {"exponential", "cosine"}
        The exponential decay above, or cosine annealing to 0 over the trainer's ``max_epochs`` (then
        ``lr_decay`` and ``lr_decay_start`` must stay at 1.0 and 0); see :func:`lr_factor`.
    warmup_epochs : int
        Epochs of linear learning-rate warm-up (per step) before either schedule.
    """

    lr: float = 1e-3
    weight_decay: float = 0.0
    ssm_lr: float = 1e-3
    lr_decay: float = 1.0
    lr_decay_start: int = 0
    lr_schedule: str = "exponential"
    warmup_epochs: int = 0

    def __post_init__(self):
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}")
        if self.lr_schedule == "cosine" and (self.lr_decay != 1.0 or self.lr_decay_start != 0):
            raise ValueError(f"lr_decay = {self.lr_decay} and lr_decay_start = {self.lr_decay_start} belong to the "
                             "exponential schedule; with lr_schedule='cosine' leave them at 1.0 and 0")

    @classmethod
    def from_params(cls, params) -> OptimizerSettings:
        """The settings named by the attributes of ``params`` (an estimator)."""
        return cls(**{f.name: getattr(params, f.name) for f in fields(cls)})

    def without_schedule(self) -> OptimizerSettings:
        """The same learning rates held constant (no warm-up, decay or annealing)."""
        return replace(self, lr_decay=1.0, lr_decay_start=0, lr_schedule="exponential", warmup_epochs=0)

    @property
    def constant(self) -> bool:
        """Whether every learning rate stays at its initial value for the whole fit."""
        return self.lr_schedule == "exponential" and self.lr_decay == 1.0 and not self.warmup_epochs

    def factor(self, step: int, *, steps_per_epoch: int, max_epochs: int) -> float:
        """:func:`lr_factor` of these settings at optimizer step ``step``."""
        return lr_factor(step, steps_per_epoch=steps_per_epoch, max_epochs=max_epochs, schedule=self.lr_schedule,
                         lr_decay=self.lr_decay, lr_decay_start=self.lr_decay_start, warmup_epochs=self.warmup_epochs)
