"""Training on Lightning: the only package that imports Lightning."""

from tsrnn.training.module import SequenceLightningModule, nan_mse
from tsrnn.training.trainer import fit_network, make_trainer

__all__ = ["SequenceLightningModule", "fit_network", "make_trainer", "nan_mse"]
