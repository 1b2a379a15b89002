"""Export a fitted estimator's prediction for inference with torch alone (:func:`torch.export.export`).

An estimator's ``predict`` has three parts: numpy preprocessing of ``X`` and ``times`` into the network's inputs
(:meth:`~tsrnn.estimators.base.BaseSequenceEstimator.model_inputs`), the network, and an output map (softmax,
or undoing the target or channel scaling). The exported program holds the last two, so that it maps the model
inputs to what ``predict`` returns; it runs where only torch is installed
(``torch.export.load(path).module()(**inputs)``).
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn


class PredictionModule(nn.Module):
    """A fitted network followed by its estimator's output map.

    Parameters
    ----------
    network : nn.Module
        Takes ``x`` and, where given, ``dt``, ``mask`` and ``phase``.
    softmax : bool
        Softmax over the last axis (classifier logits to probabilities).
    scale, shift : ndarray, optional
        ``output * scale + shift``, broadcast against the output (target or channel scaling undone).
    sort : bool
        Sort the last axis (quantile levels never cross).
    """

    def __init__(self, network: nn.Module, softmax: bool = False, scale=None, shift=None, sort: bool = False):
        super().__init__()
        self.network, self.softmax, self.sort = network, softmax, sort
        self.affine = scale is not None
        if self.affine:
            self.register_buffer("scale", torch.as_tensor(np.asarray(scale), dtype=torch.float32))
            self.register_buffer("shift", torch.as_tensor(np.asarray(shift), dtype=torch.float32))

    def forward(self, x, dt=None, mask=None, phase=None):
        """Model inputs -> predictions.

        Parameters
        ----------
        x : Tensor, shape (B, L, n_inputs)
        dt : Tensor, shape (B, L), optional
        mask : Tensor, shape (B, L), bool, optional
        phase : Tensor, shape (B, L), int64, optional
            As :meth:`~tsrnn.estimators.base.BaseSequenceEstimator.model_inputs` returns them.

        Returns
        -------
        Tensor
            (B, n_classes) probabilities, (B, n_targets) predictions or (B, horizon, C[, Q]) forecasts.
        """
        extras = {"phase": phase} if phase is not None else {}
        out = self.network(x, dt=dt, mask=mask, **extras)
        if self.softmax:
            out = out.softmax(dim=-1)
        if self.affine:
            out = out * self.scale + self.shift
        if self.sort:
            out = out.sort(dim=-1).values
        return out


def export_estimator(estimator, X, times=None) -> torch.export.ExportedProgram:
    """Export a fitted estimator's prediction from model inputs (see
    :meth:`~tsrnn.estimators.base.BaseSequenceEstimator.export`)."""
    inputs = {k: torch.as_tensor(v) for k, v in estimator.model_inputs(X, times).items()}
    if inputs["x"].shape[0] == 1:  # torch.export specializes an axis of size 1: trace a batch of two
        inputs = {k: torch.cat([v, v]) for k, v in inputs.items()}
    # a frozen copy: the program's outputs then need no .detach(), and the estimator's network is left as it was
    network = copy.deepcopy(estimator._prediction_network()).requires_grad_(False)
    module = PredictionModule(network, **estimator._export_output()).eval()
    batch = torch.export.Dim("batch")
    shapes = {k: {0: batch} for k in inputs}
    with torch.no_grad():
        return torch.export.export(module, (), kwargs=inputs, dynamic_shapes=shapes)
