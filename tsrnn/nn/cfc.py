r"""CfC: closed-form continuous-time networks (Hasani et al., Nature Machine Intelligence 2022).

A backbone MLP reads ``[u_t; h_{t-1}]``; four heads give ``ff1``, ``ff2`` and the time-gate pre-activations
``t_a``, ``t_b``; with the elapsed time ``dt_t``::

    gate = sigmoid(t_a * dt_t + t_b)
    default:  h_t = tanh(ff1) * (1 - gate) + gate * tanh(ff2)
    no_gate:  h_t = tanh(ff1) + gate * tanh(ff2)
    pure:     h_t = -A * exp(-dt_t * (|w_tau| + |ff1|)) * ff1 + A          (Cf-S, the direct solution)

``mixed_memory`` runs an LSTM memory update of ``(h, c)`` before every CfC update. With a layered wiring
(:class:`~tsrnn.nn.wirings.NCP`) the cell is a chain of backbone-less CfC cells, one per wiring layer,
evaluated within each step (layer ``l`` reads layer ``l - 1``'s new state), whose ``ff1`` / ``ff2`` weights are
masked by the wiring's synapses; the output is the last (motor) layer.

Speed: the input half of the first GEMM (backbone layer, or the four heads without a backbone) and the LSTM
input map run for all steps at once; the four heads are one fused GEMM per step.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tsrnn.nn.recurrent import ACTIVATIONS, LSTMMemory, RecurrentLayer
from tsrnn.nn.wirings import Wiring

MODES = ("default", "no_gate", "pure")


class CfCCell(nn.Module):
    """One CfC update (backbone and heads) of ``hidden_size`` units reading ``input_size`` inputs.

    Parameters
    ----------
    input_size, hidden_size : int
    mode : {"default", "no_gate", "pure"}
    activation : {"lecun_tanh", "tanh", "relu", "silu", "gelu"}
        Backbone activation.
    backbone_units : int
    backbone_layers : int
        0 feeds ``[u; h]`` to the heads directly.
    backbone_dropout : float
        Dropout after every backbone layer but the first.
    sparsity_mask : Tensor, shape (hidden_size, input_size + hidden_size), optional
        0/1 mask on the ``ff1`` and ``ff2`` weights (wired CfC).
    """

    def __init__(self, input_size, hidden_size, mode="default", activation="lecun_tanh", backbone_units=128,
                 backbone_layers=1, backbone_dropout=0.0, sparsity_mask=None):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
        self.input_size, self.hidden_size, self.mode = input_size, hidden_size, mode
        self.activation, self.backbone_dropout = ACTIVATIONS[activation], backbone_dropout
        sizes = [input_size + hidden_size] + [backbone_units] * backbone_layers
        self.backbone = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:], strict=False))
        n_heads = 1 if mode == "pure" else 4
        self.heads = nn.Linear(sizes[-1], n_heads * hidden_size)  # rows: ff1, ff2, time_a, time_b
        if mode == "pure":
            self.w_tau = nn.Parameter(torch.zeros(hidden_size))
            self.A = nn.Parameter(torch.ones(hidden_size))
        if sparsity_mask is not None:
            mask = torch.ones(n_heads * hidden_size, sizes[-1])
            mask[: min(2, n_heads) * hidden_size] = torch.as_tensor(sparsity_mask, dtype=torch.float32).repeat(
                min(2, n_heads), 1)
            self.register_buffer("sparsity_mask", mask)
        else:
            self.sparsity_mask = None
        for layer in [*self.backbone, self.heads]:  # Xavier per weight matrix (each head on its own)
            for w in layer.weight.split(hidden_size if layer is self.heads else layer.weight.shape[0]):
                bound = math.sqrt(6.0 / (w.shape[0] + w.shape[1]))
                nn.init.uniform_(w, -bound, bound)

    def _first(self):
        """Weight and bias of the first layer that reads ``[u; h]``."""
        layer = self.backbone[0] if len(self.backbone) else self.heads
        weight = layer.weight if len(self.backbone) or self.sparsity_mask is None else layer.weight * self.sparsity_mask
        return weight, layer.bias

    def project_inputs(self, x):
        """The input half of the first layer for all steps: (B, L, input_size) -> (B, L, P)."""
        weight, bias = self._first()
        return F.linear(x, weight[:, : self.input_size], bias)

    def prepare(self):
        weight, _ = self._first()
        heads = self.heads.weight if self.sparsity_mask is None else self.heads.weight * self.sparsity_mask
        return {"recurrent": weight[:, self.input_size :], "heads": heads}

    def forward(self, p_t, h, ts, ctx):
        """Projected input ``p_t`` (B, P), state ``h`` (B, hidden), elapsed time ``ts`` (B, 1) -> new ``h``."""
        z = p_t + h @ ctx["recurrent"].t()
        if len(self.backbone):
            z = self.activation(z)
            for layer in self.backbone[1:]:
                z = F.dropout(self.activation(layer(z)), self.backbone_dropout, self.training)
            z = F.linear(z, ctx["heads"], self.heads.bias)
        if self.mode == "pure":
            return -self.A * torch.exp(-ts * (self.w_tau.abs() + z.abs())) * z + self.A
        n = self.hidden_size
        ff1, ff2 = torch.tanh(z[:, : 2 * n]).chunk(2, dim=-1)
        gate = torch.sigmoid(torch.addcmul(z[:, 3 * n :], z[:, 2 * n : 3 * n], ts))
        if self.mode == "no_gate":
            return torch.addcmul(ff1, gate, ff2)
        return torch.lerp(ff1, ff2, gate)  # ff1 (1 - gate) + gate ff2


class CfC(RecurrentLayer):
    """A CfC layer over sequences, dense or wired.

    Parameters
    ----------
    input_size : int
    units : int or Wiring
        Hidden units, or a wiring (its ``input_dim`` must equal ``input_size``); a layered wiring gives a
        wired CfC whose output is its last layer.
    mode : {"default", "no_gate", "pure"}
    activation : str
        Backbone activation (dense only; wired cells use ``lecun_tanh`` and no backbone).
    backbone_units, backbone_layers, backbone_dropout
        Dense only.
    mixed_memory : bool
        An LSTM memory update before every CfC update (state ``(h, c)``).

    Examples
    --------
    >>> import torch
    >>> y, (h,) = CfC(3, 8, backbone_units=16)(torch.randn(2, 5, 3), dt=torch.rand(2, 5))
    >>> y.shape, h.shape
    (torch.Size([2, 5, 8]), torch.Size([2, 8]))
    """

    def __init__(self, input_size, units, mode="default", activation="lecun_tanh", backbone_units=128,
                 backbone_layers=1, backbone_dropout=0.0, mixed_memory=False):
        super().__init__()
        self.input_size, self.mixed_memory = input_size, mixed_memory
        if isinstance(units, Wiring):
            if units.input_dim != input_size:
                raise ValueError(f"the wiring has input_dim {units.input_dim}, the layer input_size {input_size}")
            self.wiring, self.units = units, units.units
            self.cells = nn.ModuleList()
            adjacency, sensory = torch.as_tensor(units.adjacency).abs(), torch.as_tensor(units.sensory_adjacency).abs()
            prev = None
            for layer in units.layers:
                rows = sensory[:, layer] if prev is None else adjacency[prev][:, layer]
                mask = torch.cat([rows, torch.ones(len(layer), len(layer), dtype=rows.dtype)]).t()
                self.cells.append(CfCCell(rows.shape[0], len(layer), mode, "lecun_tanh", backbone_layers=0,
                                          sparsity_mask=mask))
                prev = layer
            self.d_out = len(units.layers[-1])
        else:
            self.wiring, self.units = None, int(units)
            self.cells = nn.ModuleList([CfCCell(input_size, self.units, mode, activation, backbone_units,
                                                backbone_layers, backbone_dropout)])
            self.d_out = self.units
        self.sizes = [cell.hidden_size for cell in self.cells]
        self.memory = LSTMMemory(input_size, self.units) if mixed_memory else None

    def project_inputs(self, x):
        p = self.cells[0].project_inputs(x)
        return p if self.memory is None else torch.cat([p, self.memory.project_inputs(x)], dim=-1)

    def prepare(self):
        return {"cells": [cell.prepare() for cell in self.cells]}

    def cell(self, p_t, state, dt_t, ctx):
        h = state[0]
        if self.memory is not None:
            split = p_t.shape[-1] - 4 * self.units
            h, c = self.memory(p_t[:, split:], h, state[1])
            p_t = p_t[:, :split]
        ts = h.new_ones(h.shape[0], 1) if dt_t is None else dt_t.to(h.dtype)[:, None]
        new, inp = [], None
        for cell, h_l, cell_ctx in zip(self.cells, h.split(self.sizes, dim=-1), ctx["cells"], strict=True):
            if inp is not None:  # a later wiring layer reads the previous layer's new state
                weight, bias = cell._first()
                p_t = F.linear(inp, weight[:, : cell.input_size], bias)
            inp = cell(p_t, h_l, ts, cell_ctx)
            new.append(inp)
        h = torch.cat(new, dim=-1) if len(new) > 1 else new[0]
        return (h, c) if self.memory is not None else (h,)

    def output(self, state):
        return state[0][:, -self.d_out :]

    def initial_state(self, batch_size, device=None, dtype=None):
        zeros = torch.zeros(batch_size, self.units, device=device, dtype=dtype or torch.get_default_dtype())
        return (zeros, zeros.clone()) if self.memory is not None else (zeros,)
