r"""S4D: diagonal state spaces (Gu, Gupta, Goel, Ré, NeurIPS 2022).

Every channel ``h`` is its own single-input single-output diagonal SSM with ``N / 2`` complex states
(conjugate pairs implied)::

    x'_{hn} = lambda_{hn} x_{hn} + B_{hn} u_h,      y_h = 2 Re sum_n C_{hn} x_{hn} + D_h u_h

``lambda = -exp(log_A_real) + i A_imag``. Three views of the same parameters:

- convolution (training and batch prediction on a regular grid): Vandermonde kernel + FFT convolution;
- scan (irregular ``times``): :func:`tsrnn.ops.diag_ssm_scan` with per-step gaps;
- step (streaming): one recurrent update per observation.

Initializations of the imaginary parts (``n = 0..N/2-1``): S4D-Lin ``pi n``; S4D-Inv
``(N / pi)(N / (2n + 1) - 1)``; S4D-LegS the eigenvalues of HiPPO-LegS's normal part (with its ``B``).
Real parts ``-1/2``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from tsrnn.nn.blocks import (
    ConvSSMMixer,
    ResidualSequenceBlock,
    SequenceBackbone,
    complex_pairs,
    log_uniform_steps,
    mark_ssm_parameters,
)
from tsrnn.ops.discretize import discretize_diag
from tsrnn.ops.hippo import nplr
from tsrnn.ops.ssm_conv import vandermonde_kernel
from tsrnn.ops.ssm_scan import diag_ssm_scan

INITS = ("inv", "lin", "legs")


def s4d_eigenvalues(init: str, d_state: int) -> tuple[np.ndarray, np.ndarray]:
    """Initial ``(Lambda, B)`` of one S4D system, shapes (d_state // 2,), complex128.

    Examples
    --------
    >>> lam, B = s4d_eigenvalues("lin", 4)
    >>> lam.tolist()
    [(-0.5+0j), (-0.5+3.141592653589793j)]
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    n = np.arange(d_state // 2)
    if init == "lin":
        return -0.5 + 1j * np.pi * n, np.ones(d_state // 2, dtype=complex)
    if init == "inv":
        return -0.5 + 1j * (d_state / np.pi) * (d_state / (2 * n + 1) - 1), np.ones(d_state // 2, dtype=complex)
    lam, _, B, _ = nplr("legs", d_state)
    return lam, B


class S4DSSM(ConvSSMMixer):
    """The S4D state-space map for ``d_model`` channels (no norm, activation or residual).

    Parameters
    ----------
    d_model : int
        Channels ``H``.
    d_state : int
        State size ``N`` per channel (``N / 2`` complex states are stored).
    init : {"inv", "lin", "legs"}
    dt_min, dt_max : float
        Range of the log-uniform initialization of the per-channel step.
    discretization : {"zoh", "bilinear"}
    bidirectional : bool
        Add a second (anti-causal) kernel; no step mode.
    """

    def __init__(self, d_model, d_state=64, init="inv", dt_min=1e-3, dt_max=1e-1, discretization="zoh",
                 bidirectional=False):
        super().__init__()
        if d_state % 2:
            raise ValueError(f"d_state must be even, got {d_state}")
        if discretization not in ("zoh", "bilinear"):
            raise ValueError(f"discretization must be 'zoh' or 'bilinear', got {discretization!r}")
        lam, B = s4d_eigenvalues(init, d_state)
        H, N2 = d_model, d_state // 2
        dtype = torch.get_default_dtype()
        self.d_model, self.d_state, self.discretization, self.bidirectional = d_model, d_state, discretization, bidirectional
        self.log_A_real = nn.Parameter(torch.tensor(np.log(-lam.real), dtype=dtype).repeat(H, 1))
        self.A_imag = nn.Parameter(torch.tensor(lam.imag, dtype=dtype).repeat(H, 1))
        self.B = nn.Parameter(complex_pairs(B).repeat(H, 1, 1))
        self.C = nn.Parameter(torch.randn(2 if bidirectional else 1, H, N2, 2) * math.sqrt(0.5))
        self.D = nn.Parameter(torch.randn(H))
        self.log_step = nn.Parameter(log_uniform_steps(H, dt_min, dt_max))
        mark_ssm_parameters(self, "log_A_real", "A_imag", "B", "log_step")

    def eigenvalues(self) -> torch.Tensor:
        """``Lambda``, shape (H, N/2), complex, ``Re < 0``."""
        return torch.complex(-torch.exp(self.log_A_real), self.A_imag)

    def _params(self):
        step = torch.exp(self.log_step) * self.step_rescale
        return self.eigenvalues(), torch.view_as_complex(self.B), torch.view_as_complex(self.C), step

    def kernel(self, length: int) -> torch.Tensor:
        """Convolution kernel(s), shape (n_directions, H, length)."""
        lam, B, C, step = self._params()
        return torch.stack([vandermonde_kernel(lam, B, c, step, length, self.discretization) for c in C])

    def recurrent(self, u, dt, mask, h0, reverse=False, with_D=True):
        """Discretize-and-scan view (irregular gaps, initial state): ``(y (B, L, H), h_last (B, H, N/2))``."""
        lam, B, C, step = self._params()
        return diag_ssm_scan(u, lam, B, C[1 if reverse else 0], self.D if with_D else None, step, dt, mask,
                             self.discretization, True, h0, reverse=reverse)

    def step(self, u_t, h, dt_t=None):
        """One recurrent step: ``u_t`` (B, H), state ``h`` (B, H, N/2), gap ``dt_t`` (B,) -> (y_t, h)."""
        if self.bidirectional:
            raise RuntimeError("a bidirectional S4D layer has no step (streaming) mode")
        lam, B, C, step = self._params()
        delta = step[:, None] if dt_t is None else dt_t[:, None, None] * step[:, None]
        a, gamma = discretize_diag(lam, delta, self.discretization)
        h = a * h + gamma * B * u_t.unsqueeze(-1).to(lam.dtype)
        return 2.0 * (C[0] * h).sum(-1).real + self.D * u_t, h

    def initial_state(self, batch_size: int, device=None) -> torch.Tensor:
        """Zero state, shape (batch_size, H, N/2), complex."""
        return torch.zeros(batch_size, self.d_model, self.d_state // 2, dtype=self.state_dtype(), device=device)


class S4DBackbone(SequenceBackbone):
    """Linear encoder and ``n_layers`` residual S4D blocks.

    Examples
    --------
    >>> import torch
    >>> S4DBackbone(n_inputs=2, d_model=8, n_layers=2, d_state=8)(torch.randn(3, 20, 2)).shape
    torch.Size([3, 20, 8])
    """

    def __init__(self, n_inputs, d_model=64, n_layers=4, d_state=64, init="inv", dt_min=1e-3, dt_max=1e-1,
                 discretization="zoh", bidirectional=False, activation="half_glu", dropout=0.0):
        mixers = [S4DSSM(d_model, d_state, init, dt_min, dt_max, discretization, bidirectional) for _ in range(n_layers)]
        super().__init__(n_inputs, d_model, [ResidualSequenceBlock(m, d_model, activation, dropout) for m in mixers])
