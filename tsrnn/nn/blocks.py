"""Building blocks shared by every sequence family: residual blocks, backbones, parameter tags.

A *mixer* is any module with ``forward(u, dt=None, mask=None, h0=None) -> (y, h_last)`` over a whole
sequence and ``step(u_t, h, dt_t=None) -> (y_t, h)`` for one step (``S5SSM`` is one). A backbone stacks
residual blocks around mixers and maps ``(B, L, n_inputs)`` to features ``(B, L, d_model)``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

_SSM_NAMES = "_tsrnn_ssm_parameters"


def mark_ssm_parameters(module: nn.Module, *names: str) -> None:
    """Tag parameters of ``module``, by attribute name, as SSM parameters (Lambda, B, step): they get their own
    lr and no weight decay.

    The tag lives on the module, not on the parameter, so ``copy.deepcopy`` and ``pickle`` of the network keep it
    (``copy.deepcopy`` of a parameter drops its attributes).

    Raises
    ------
    ValueError
        If ``module`` has no parameter of one of the ``names``.
    """
    missing = [name for name in names if not isinstance(module._parameters.get(name), nn.Parameter)]
    if missing:
        raise ValueError(f"{type(module).__name__} has no parameter named {missing}")
    setattr(module, _SSM_NAMES, getattr(module, _SSM_NAMES, frozenset()) | frozenset(names))


def split_ssm_parameters(net: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """The trainable parameters of ``net`` as ``(regular, ssm)``: untagged and tagged by
    :func:`mark_ssm_parameters` (on any submodule), each in ``net.parameters()`` order."""
    tagged = {f"{prefix}.{name}" if prefix else name
              for prefix, module in net.named_modules() for name in getattr(module, _SSM_NAMES, ())}
    named = [(name, p) for name, p in net.named_parameters() if p.requires_grad]
    return [p for name, p in named if name not in tagged], [p for name, p in named if name in tagged]


def complex_pairs(z: np.ndarray) -> torch.Tensor:
    """A complex array as a real tensor of (real, imaginary) pairs, shape ``(*z.shape, 2)``, default dtype."""
    return torch.tensor(np.stack([z.real, z.imag], axis=-1), dtype=torch.get_default_dtype())


def log_uniform_steps(n: int, dt_min: float, dt_max: float) -> torch.Tensor:
    """``n`` log-steps drawn uniformly in ``[log dt_min, log dt_max]`` (the SSM step initialization)."""
    return torch.rand(n) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)


def reverse_gaps(dt: torch.Tensor | None) -> torch.Tensor | None:
    """Gaps for a reverse-time scan: going backwards, the gap crossed into step ``t`` is the one observed
    before step ``t + 1`` (the last step gets 1). ``dt`` (B, L) -> (B, L)."""
    if dt is None:
        return None
    return torch.cat([dt[:, 1:], torch.ones_like(dt[:, :1])], dim=1)


class SSMMixer(nn.Module):
    """Base of state-space sequence mixers (see the module docstring for the interface).

    Attributes
    ----------
    step_rescale : float
        Multiplies every discretization step (1.0 by default): set it after training to run the model at a
        new sampling rate (a step twice as long = data sampled half as often) without retraining.
    """

    step_rescale: float = 1.0

    def state_dtype(self) -> torch.dtype:
        """Complex dtype of the recurrent state, matching the parameters (complex64 or complex128)."""
        return torch.promote_types(self.D.dtype, torch.complex64)

    def initial_state(self, batch_size: int, device=None) -> torch.Tensor:
        """Zero state for :meth:`step`."""
        raise NotImplementedError


class ConvSSMMixer(SSMMixer):
    """Base of linear time-invariant SSM mixers with a convolution view (S4D, S4, LSSL).

    On a regular grid with no initial state the layer is ``y = K * u + D u`` (FFT convolution; a second,
    anti-causal kernel when ``bidirectional``); otherwise :meth:`recurrent` runs the same parameters as a
    recurrence (irregular gaps ``dt``, an initial state). Subclasses provide :meth:`kernel`,
    :meth:`recurrent`, ``D`` and ``bidirectional``.
    """

    bidirectional: bool = False

    def kernel(self, length: int) -> torch.Tensor:
        """Kernels, shape (n_directions, H, length)."""
        raise NotImplementedError

    def recurrent(self, u, dt, mask, h0, reverse=False, with_D=True):
        """Recurrent view over a sequence: ``(y (B, L, H), h_last)``."""
        raise NotImplementedError

    def forward(self, u, dt=None, mask=None, h0=None):
        """``u`` (B, L, H) -> ``(y (B, L, H), h_last or None)``; padded steps (``mask`` False) are ignored."""
        from tsrnn.ops.ssm_conv import fft_conv

        if dt is None and h0 is None:
            if mask is not None:  # padding sits at the end: zero inputs leave the causal outputs unchanged
                u = u * mask.unsqueeze(-1).to(u.dtype)
            K = self.kernel(u.shape[1])
            y = fft_conv(u, K[0], self.D)
            if self.bidirectional:
                y = y + fft_conv(u.flip(1), K[1]).flip(1)
            return y, None
        y, h_last = self.recurrent(u, dt, mask, h0)
        if self.bidirectional:
            y = y + self.recurrent(u, reverse_gaps(dt), mask, None, reverse=True, with_D=False)[0]
        return y, h_last


class ResidualSequenceBlock(nn.Module):
    """Pre-norm residual block: ``x + dropout(act(mixer(norm(x))))``.

    Parameters
    ----------
    mixer : nn.Module
        Sequence mixer (see module docstring).
    d_model : int
    activation : {"half_glu", "gelu"}
        ``half_glu`` is S5's ``x * sigmoid(W gelu(x))`` applied after GELU.
    dropout : float
    """

    def __init__(self, mixer: nn.Module, d_model: int, activation: str = "half_glu", dropout: float = 0.0):
        super().__init__()
        if activation not in ("half_glu", "gelu"):
            raise ValueError(f"activation must be 'half_glu' or 'gelu', got {activation!r}")
        self.mixer = mixer
        self.norm = nn.LayerNorm(d_model)
        self.gate = nn.Linear(d_model, d_model) if activation == "half_glu" else None
        self.dropout = nn.Dropout(dropout)

    def _activate(self, y):
        y = F.gelu(y)
        if self.gate is not None:
            y = y * torch.sigmoid(self.gate(y))
        return self.dropout(y)

    def forward(self, x, dt=None, mask=None, h0=None):
        """x : (B, L, H) -> (y : (B, L, H), h_last)."""
        y, h_last = self.mixer(self.norm(x), dt=dt, mask=mask, h0=h0)
        return x + self._activate(y), h_last

    def step(self, x_t, h, dt_t=None):
        """x_t : (B, H) -> (y_t : (B, H), h)."""
        y, h = self.mixer.step(self.norm(x_t), h, dt_t)
        return x_t + self._activate(y), h


class SequenceBackbone(nn.Module):
    """Linear encoder followed by a stack of residual blocks.

    Parameters
    ----------
    n_inputs : int
        Input channels.
    d_model : int
        Feature width.
    blocks : list of ResidualSequenceBlock
    """

    def __init__(self, n_inputs: int, d_model: int, blocks: list[nn.Module]):
        super().__init__()
        self.n_inputs, self.d_model = n_inputs, d_model
        self.encoder = nn.Linear(n_inputs, d_model)
        self.layers = nn.ModuleList(blocks)

    def forward(self, x, dt=None, mask=None):
        """Features of a whole sequence.

        Parameters
        ----------
        x : Tensor, shape (B, L, n_inputs)
        dt : Tensor, shape (B, L), optional
            Time gap before every step.
        mask : Tensor, shape (B, L), bool, optional
            False at padded steps.

        Returns
        -------
        Tensor, shape (B, L, d_model)
        """
        z = self.encoder(x)
        for layer in self.layers:
            z, _ = layer(z, dt=dt, mask=mask)
        return z

    def initial_state(self, batch_size: int, device=None) -> list:
        """Zero state of every layer, for :meth:`step`."""
        return [layer.mixer.initial_state(batch_size, device) for layer in self.layers]

    def step(self, x_t, state, dt_t=None):
        """One streaming step: ``x_t`` (B, n_inputs) -> features (B, d_model) and the new state list."""
        z = self.encoder(x_t)
        new_state = []
        for layer, h in zip(self.layers, state, strict=False):
            z, h = layer.step(z, h, dt_t)
            new_state.append(h)
        return z, new_state
