r"""S4: structured state spaces with a diagonal-plus-low-rank state matrix (Gu, Goel, Ré, ICLR 2022).

Every channel is a SISO SSM ``x' = A x + B u``, ``y = Re(C x) + D u`` with ``A = diag(Lambda) - P P^*`` in the
eigenbasis of HiPPO's normal part (:func:`tsrnn.ops.nplr`), bilinear discretization with a learned step.
Parameters store one eigenvalue of each conjugate pair; the full (conjugate-closed) vectors are rebuilt on
use. As in S4, the output vector is learned as ``C~ = C (I - A_bar^L)`` for the kernel length ``l_max``.

Views of the same parameters:

- convolution: :func:`tsrnn.ops.dplr.dplr_kernel` (Cauchy kernels, Woodbury, inverse FFT) + FFT convolution;
- recurrence (irregular ``times``, an initial state, streaming): the bilinear update of the DPLR matrix applied
  step by step in O(N) per step with the Woodbury identity (as S4's own step), with per-step gaps; the state
  lives in the basis of the parameters (the eigenbasis of HiPPO's normal part).
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
from tsrnn.ops.dplr import dplr_dense, dplr_kernel
from tsrnn.ops.hippo import nplr

MEASURES = ("legs", "lagt")


def _full(x: torch.Tensor) -> torch.Tensor:
    """Append the conjugate half: (..., N/2) -> (..., N)."""
    return torch.cat([x, x.conj()], dim=-1)


class S4SSM(ConvSSMMixer):
    """The S4 (DPLR) state-space map for ``d_model`` channels.

    Parameters
    ----------
    d_model : int
        Channels ``H``.
    d_state : int
        State size ``N`` (``N / 2`` stored eigenvalues).
    l_max : int
        Kernel length the learned ``C~`` refers to; longer inputs extend it exactly (at a dense cost).
    measure : {"legs", "lagt"}
        HiPPO measure of the initialization (rank-1 corrections).
    dt_min, dt_max : float
    bidirectional : bool
    """

    def __init__(self, d_model, d_state=64, l_max=1024, measure="legs", dt_min=1e-3, dt_max=1e-1,
                 bidirectional=False):
        super().__init__()
        if measure not in MEASURES:
            raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
        if d_state % 2:
            raise ValueError(f"d_state must be even, got {d_state}")
        if int(l_max) != l_max or l_max < 1:
            raise ValueError(f"l_max must be a positive integer, got {l_max!r}")
        lam, P, B, _ = nplr(measure, d_state)
        H = d_model
        self.d_model, self.d_state, self.l_max, self.bidirectional = d_model, d_state, int(l_max), bidirectional
        re = -lam.real if measure == "legs" else np.full(lam.shape, 0.5)  # LagT's normal part is skew: start at -1/2
        self.log_A_real = nn.Parameter(torch.tensor(np.log(re), dtype=torch.get_default_dtype()).repeat(H, 1))
        self.A_imag = nn.Parameter(torch.tensor(lam.imag, dtype=torch.get_default_dtype()).repeat(H, 1))
        self.P = nn.Parameter(complex_pairs(P[0]).repeat(H, 1, 1))
        self.B = nn.Parameter(complex_pairs(B).repeat(H, 1, 1))
        self.C = nn.Parameter(torch.randn(2 if bidirectional else 1, H, d_state // 2, 2) * math.sqrt(0.5))
        self.D = nn.Parameter(torch.randn(H))
        self.log_step = nn.Parameter(log_uniform_steps(H, dt_min, dt_max))
        mark_ssm_parameters(self, "log_A_real", "A_imag", "P", "B", "log_step")

    # -- parameters --------------------------------------------------------------------------------
    def full_parameters(self):
        """Conjugate-closed ``(Lambda, P, B, C~, step)``: (H, N) complex each, ``C~`` (n_dir, H, N), and the
        learned step (H,) that ``C~`` refers to (without ``step_rescale``)."""
        lam = torch.complex(-torch.exp(self.log_A_real), self.A_imag)
        step = torch.exp(self.log_step)
        return (_full(lam), _full(torch.view_as_complex(self.P)), _full(torch.view_as_complex(self.B)),
                _full(torch.view_as_complex(self.C)), step)

    def output_matrix(self, C_tilde, Lambda, P, B, step):
        """True ``C`` from ``C~ = C (I - A_bar^l_max)``: (n_dir, H, N)."""
        A_bar, _ = dplr_dense(Lambda, P, B, step)
        eye = torch.eye(Lambda.shape[-1], dtype=Lambda.dtype, device=Lambda.device)
        M = eye - torch.linalg.matrix_power(A_bar, self.l_max)
        return torch.linalg.solve(M.mT.unsqueeze(0), C_tilde.unsqueeze(-1)).squeeze(-1)

    def kernel(self, length: int) -> torch.Tensor:
        """Convolution kernel(s), shape (n_dir, H, length)."""
        lam, P, B, C_tilde, step = self.full_parameters()
        L = max(length, self.l_max)
        if length > self.l_max or self.step_rescale != 1.0:
            # C~ refers to (l_max, learned step): rebuild it from the true C for this length and step.
            C = self.output_matrix(C_tilde, lam, P, B, step)
            step = step * self.step_rescale
            A_bar, _ = dplr_dense(lam, P, B, step)
            C_tilde = C - (C.unsqueeze(-2) @ torch.linalg.matrix_power(A_bar, L)).squeeze(-2)
        return torch.stack([dplr_kernel(lam, P, B, c, step, L)[:, :length] for c in C_tilde])

    # -- recurrent views ---------------------------------------------------------------------------
    def _bilinear_step(self, x, u_t, lam, P, B, step):
        """``x <- (I - D/2 A)^{-1} [(I + D/2 A) x + D B u]`` with ``A = diag(lam) - P P^*`` in O(N) (Woodbury).

        ``x`` (B, H, N), ``u_t`` (B, H), ``step`` (H,) or (B, H).
        """
        half = (0.5 * step).to(lam.dtype).unsqueeze(-1)  # (..., H, 1)
        Ax = lam * x - P * (P.conj() * x).sum(-1, keepdim=True)
        rhs = x + half * Ax + 2 * half * B * u_t.unsqueeze(-1).to(lam.dtype)
        d = 1.0 / (1.0 - half * lam)  # (I - D/2 A) = diag(1 - D/2 lam) + (D/2) P P^*
        q = half * P
        y = d * rhs
        correction = (P.conj() * y).sum(-1, keepdim=True) / (1.0 + (P.conj() * d * q).sum(-1, keepdim=True))
        return y - d * q * correction

    def _recurrent_parameters(self):
        lam, P, B, C_tilde, step = self.full_parameters()
        return lam, P, B, self.output_matrix(C_tilde, lam, P, B, step), step * self.step_rescale

    def recurrent(self, u, dt, mask, h0, reverse=False, with_D=True):
        """Step-by-step view (irregular gaps, initial state): ``(y (B, L, H), h_last (B, H, N))``.

        Each step applies the bilinear update of the DPLR matrix directly (O(N) by Woodbury), so no
        ill-conditioned eigenbasis of the non-normal HiPPO matrix is involved.
        """
        lam, P, B, C, step = self._recurrent_parameters()
        C = C[1 if reverse else 0]
        x = self.initial_state(u.shape[0], u.device) if h0 is None else h0
        ys = [None] * u.shape[1]
        for t in range(u.shape[1] - 1, -1, -1) if reverse else range(u.shape[1]):
            delta = step if dt is None else dt[:, t, None] * step
            x_new = self._bilinear_step(x, u[:, t], lam, P, B, delta)
            x = x_new if mask is None else torch.where(mask[:, t, None, None], x_new, x)
            y = (C * x).sum(-1).real
            ys[t] = y + self.D * u[:, t] if with_D else y
        return torch.stack(ys, dim=1), x

    def step(self, u_t, h, dt_t=None):
        """One recurrent step: ``u_t`` (B, H), state ``h`` (B, H, N), gap ``dt_t`` (B,) -> ``(y_t (B, H), h)``."""
        if self.bidirectional:
            raise RuntimeError("a bidirectional S4 layer has no step (streaming) mode")
        lam, P, B, C, step = self._recurrent_parameters()
        h = self._bilinear_step(h, u_t, lam, P, B, step if dt_t is None else dt_t[:, None] * step)
        return (C[0] * h).sum(-1).real + self.D * u_t, h

    def initial_state(self, batch_size: int, device=None) -> torch.Tensor:
        """Zero state, shape (batch_size, H, N), complex."""
        return torch.zeros(batch_size, self.d_model, self.d_state, dtype=self.state_dtype(), device=device)


class S4Backbone(SequenceBackbone):
    """Linear encoder and ``n_layers`` residual S4 blocks.

    Examples
    --------
    >>> import torch
    >>> S4Backbone(n_inputs=2, d_model=4, n_layers=1, d_state=4, l_max=16)(torch.randn(3, 16, 2)).shape
    torch.Size([3, 16, 4])
    """

    def __init__(self, n_inputs, d_model=64, n_layers=4, d_state=64, l_max=1024, measure="legs", dt_min=1e-3,
                 dt_max=1e-1, bidirectional=False, activation="half_glu", dropout=0.0):
        mixers = [S4SSM(d_model, d_state, l_max, measure, dt_min, dt_max, bidirectional) for _ in range(n_layers)]
        super().__init__(n_inputs, d_model, [ResidualSequenceBlock(m, d_model, activation, dropout) for m in mixers])
