r"""LSSL: linear state-space layers (Gu, Johnson, Goel, Saab, Dao, Rudra, Ré; NeurIPS 2021).

Every channel ``h`` is a SISO system ``x' = A x + B u``, ``y = C_h x + D_h u`` with a dense HiPPO ``A``
(shared by all channels, fixed or learned), discretized with the generalized bilinear transform (alpha = 1/2)
at a learned per-channel step. Two views:

- convolution: ``K_h = C_h [B_bar, A_bar B_bar, ..., A_bar^{L-1} B_bar]`` (Krylov matrix by repeated
  squaring, :func:`tsrnn.ops.ssm_conv.krylov`) then FFT convolution: ``O(H N L)`` memory, LSSL's cost;
- recurrence: ``x_k = A_bar_k x_{k-1} + B_bar_k u_k`` step by step (dense ``N x N`` updates), with per-step
  discretization when irregular gaps are given (``O(L N^3)``: fine for short series).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from tsrnn.nn.blocks import ConvSSMMixer, ResidualSequenceBlock, SequenceBackbone, log_uniform_steps, mark_ssm_parameters
from tsrnn.ops.hippo import MEASURES, hippo
from tsrnn.ops.ssm_conv import krylov


class LSSLSSM(ConvSSMMixer):
    """The LSSL state-space map for ``d_model`` channels.

    Parameters
    ----------
    d_model : int
    d_state : int
        State size ``N`` (real).
    measure : {"legs", "legt", "lagt", "fout"}
        HiPPO measure of ``A`` and ``B``.
    learn_A : bool
        Train ``A`` and ``B`` (shared across channels, SSM learning rate) instead of keeping them fixed.
    dt_min, dt_max : float
    bidirectional : bool
    """

    def __init__(self, d_model, d_state=64, measure="legs", learn_A=False, dt_min=1e-3, dt_max=1e-1,
                 bidirectional=False):
        super().__init__()
        if measure not in MEASURES:
            raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
        A, B = hippo(measure, d_state)
        dtype = torch.get_default_dtype()
        A, B = torch.tensor(A, dtype=dtype), torch.tensor(B, dtype=dtype)
        if learn_A:
            self.A, self.B = nn.Parameter(A), nn.Parameter(B)
            mark_ssm_parameters(self, "A", "B")
        else:
            self.register_buffer("A", A)
            self.register_buffer("B", B)
        self.d_model, self.d_state, self.bidirectional = d_model, d_state, bidirectional
        self.C = nn.Parameter(torch.randn(2 if bidirectional else 1, d_model, d_state) / math.sqrt(d_state))
        self.D = nn.Parameter(torch.randn(d_model))
        self.log_step = nn.Parameter(log_uniform_steps(d_model, dt_min, dt_max))
        mark_ssm_parameters(self, "log_step")

    def discretize(self, step: torch.Tensor):
        """Bilinear ``(A_bar (..., N, N), B_bar (..., N))`` for steps of any shape ``(...)``."""
        eye = torch.eye(self.d_state, dtype=self.A.dtype, device=self.A.device)
        half = 0.5 * step[..., None, None]
        left = eye - half * self.A
        A_bar = torch.linalg.solve(left, eye + half * self.A)
        B_bar = torch.linalg.solve(left, step[..., None] * self.B)
        return A_bar, B_bar

    def _step_size(self):
        return torch.exp(self.log_step) * self.step_rescale

    def kernel(self, length: int) -> torch.Tensor:
        """Kernels ``C [B_bar, A_bar B_bar, ...]``, shape (n_dir, H, length)."""
        A_bar, B_bar = self.discretize(self._step_size())
        X = krylov(length, A_bar, B_bar)  # (H, N, L)
        return torch.einsum("khn,hnl->khl", self.C, X)

    def step(self, u_t, h, dt_t=None, direction=0, with_D=True):
        """One recurrent step: ``u_t`` (B, H), ``h`` (B, H, N), gap ``dt_t`` (B,) -> ``(y_t (B, H), h)``."""
        step = self._step_size() if dt_t is None else dt_t[:, None] * self._step_size()
        A_bar, B_bar = self.discretize(step)
        h = (A_bar @ h.unsqueeze(-1)).squeeze(-1) + B_bar * u_t.unsqueeze(-1)
        y = (self.C[direction] * h).sum(-1)
        return (y + self.D * u_t if with_D else y), h

    def recurrent(self, u, dt, mask, h0, reverse=False, with_D=True):
        """Step-by-step view: ``(y (B, L, H), h_last (B, H, N))``; masked steps keep the state."""
        h = self.initial_state(u.shape[0], u.device).to(u.dtype) if h0 is None else h0
        ys = [None] * u.shape[1]
        for t in range(u.shape[1] - 1, -1, -1) if reverse else range(u.shape[1]):
            y, h_new = self.step(u[:, t], h, None if dt is None else dt[:, t], int(reverse), with_D)
            h = h_new if mask is None else torch.where(mask[:, t, None, None], h_new, h)
            ys[t] = y
        return torch.stack(ys, dim=1), h

    def initial_state(self, batch_size: int, device=None) -> torch.Tensor:
        """Zero state, shape (batch_size, H, N), real."""
        return torch.zeros(batch_size, self.d_model, self.d_state, dtype=self.A.dtype, device=device)


class LSSLBackbone(SequenceBackbone):
    """Linear encoder and ``n_layers`` residual LSSL blocks.

    Examples
    --------
    >>> import torch
    >>> LSSLBackbone(n_inputs=2, d_model=4, n_layers=1, d_state=4)(torch.randn(3, 16, 2)).shape
    torch.Size([3, 16, 4])
    """

    def __init__(self, n_inputs, d_model=64, n_layers=4, d_state=64, measure="legs", learn_A=False, dt_min=1e-3,
                 dt_max=1e-1, bidirectional=False, activation="half_glu", dropout=0.0):
        mixers = [LSSLSSM(d_model, d_state, measure, learn_A, dt_min, dt_max, bidirectional) for _ in range(n_layers)]
        super().__init__(n_inputs, d_model, [ResidualSequenceBlock(m, d_model, activation, dropout) for m in mixers])
