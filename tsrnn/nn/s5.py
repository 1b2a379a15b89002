r"""S5: simplified state-space layers (Smith, Warrington, Linderman, ICLR 2023).

One MIMO diagonal SSM per layer, in the eigenbasis of HiPPO-N::

    h_t = exp(Lambda Delta_t) h_{t-1} + gamma(Lambda, Delta_t) * (B~ u_t)      (ZOH; bilinear also)
    y_t = 2 Re(C~ h_t) + D * u_t                                               (conjugate symmetry)

with ``Delta_t = Delta * dt_t`` (learned per-state step times the observed time gap). Initialization:
``Lambda`` from the block-diagonal HiPPO-N eigendecomposition, ``B~ = V^{-1} B`` and ``C~ = C V`` with
lecun-normal real ``B`` and truncated-normal ``C``, ``D ~ N(0, 1)``, ``log Delta ~ U[log dt_min, log dt_max]``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from tsrnn.nn.blocks import (
    ResidualSequenceBlock,
    SequenceBackbone,
    SSMMixer,
    complex_pairs,
    log_uniform_steps,
    mark_ssm_parameters,
    reverse_gaps,
)
from tsrnn.ops.discretize import discretize_diag
from tsrnn.ops.hippo import hippo_n_eig
from tsrnn.ops.ssm_scan import diag_ssm_scan


class S5SSM(SSMMixer):
    """The S5 state-space map (no norm, activation or residual).

    Parameters
    ----------
    d_model : int
        Input and output width ``H``.
    d_state : int
        State size ``P`` before conjugate symmetry (``P / 2`` complex states are stored when
        ``conj_sym``).
    blocks : int
        Number ``J`` of HiPPO-N blocks on the diagonal of the initialization; ``d_state`` must be divisible.
    dt_min, dt_max : float
        Range of the log-uniform initialization of the per-state step ``Delta``.
    discretization : {"zoh", "bilinear"}
    conj_sym : bool
        Store one of each conjugate eigenvalue pair and read out ``2 Re(C h)``.
    bidirectional : bool
        Add a second (reverse-time) readout of a reverse scan; not usable in step mode.
    clip_eigs : float
        Upper bound on ``Re(Lambda)`` (keeps every eigenvalue strictly stable).
    """

    def __init__(self, d_model, d_state=64, blocks=1, dt_min=1e-3, dt_max=1e-1, discretization="zoh",
                 conj_sym=True, bidirectional=False, clip_eigs=1e-4):
        super().__init__()
        if d_state % blocks:
            raise ValueError(f"d_state ({d_state}) must be divisible by blocks ({blocks})")
        block = d_state // blocks
        if conj_sym and block % 2:
            raise ValueError(f"d_state / blocks ({block}) must be even with conj_sym=True")
        if discretization not in ("zoh", "bilinear"):
            raise ValueError(f"discretization must be 'zoh' or 'bilinear', got {discretization!r}")
        self.d_model, self.d_state, self.conj_sym = d_model, d_state, conj_sym
        self.discretization, self.bidirectional, self.clip_eigs = discretization, bidirectional, clip_eigs
        lam_b, V_b = hippo_n_eig(block, conj_sym=conj_sym)  # (b'), (b, b')
        n_complex = lam_b.shape[0] * blocks
        lam = np.tile(lam_b, blocks)
        # Real B (P, H), lecun-normal; B~ = V^{-1} B per block with V^{-1} = V^* (V unitary).
        B = np.random.default_rng(int(torch.randint(0, 2**31 - 1, ()).item())).standard_normal((d_state, d_model))
        B /= math.sqrt(d_model)
        Bt = np.concatenate([V_b.conj().T @ B[j * block : (j + 1) * block] for j in range(blocks)])
        n_out_blocks = 2 if bidirectional else 1
        Ct = []
        for _ in range(n_out_blocks):
            C = torch.nn.init.trunc_normal_(torch.empty(d_model, d_state, dtype=torch.float64), std=1.0, a=-2.0, b=2.0)
            C = C.numpy() / math.sqrt(d_state)
            Ct.append(np.concatenate([C[:, j * block : (j + 1) * block] @ V_b for j in range(blocks)], axis=1))
        self.Lambda_re = nn.Parameter(torch.tensor(lam.real, dtype=torch.get_default_dtype()))
        self.Lambda_im = nn.Parameter(torch.tensor(lam.imag, dtype=torch.get_default_dtype()))
        self.B = nn.Parameter(complex_pairs(Bt))  # (P', H, 2)
        self.C = nn.Parameter(complex_pairs(np.concatenate(Ct, axis=1)))  # (H, n_out_blocks * P', 2)
        self.D = nn.Parameter(torch.randn(d_model))
        self.log_step = nn.Parameter(log_uniform_steps(n_complex, dt_min, dt_max))
        mark_ssm_parameters(self, "Lambda_re", "Lambda_im", "B", "log_step")
        self.n_complex = n_complex

    # -- parameters in complex form -------------------------------------------------------------------
    def eigenvalues(self) -> torch.Tensor:
        """``Lambda``, shape (P',), complex, with ``Re(Lambda) <= -clip_eigs``."""
        return torch.complex(self.Lambda_re.clamp(max=-self.clip_eigs), self.Lambda_im)

    def _complex(self, name):
        p = getattr(self, name)
        return torch.complex(p[..., 0], p[..., 1])

    def forward(self, u, dt=None, mask=None, h0=None):
        """Run the SSM over a sequence.

        Parameters
        ----------
        u : Tensor, shape (B, L, H)
        dt : Tensor, shape (B, L), optional
            Time gap before every step (irregular sampling); 1 when omitted.
        mask : Tensor, shape (B, L), bool, optional
            False at padded steps, which leave the state unchanged.
        h0 : Tensor, shape (B, P'), complex, optional
            Initial state (forward direction).

        Returns
        -------
        y : Tensor, shape (B, L, H)
        h_last : Tensor, shape (B, P'), complex
        """
        lam, Bc, Cc = self.eigenvalues(), self._complex("B"), self._complex("C")
        step = torch.exp(self.log_step) * self.step_rescale
        P = self.n_complex
        y, h_last = diag_ssm_scan(u, lam, Bc, Cc[:, :P], self.D, step, dt, mask, self.discretization,
                                  self.conj_sym, h0)
        if self.bidirectional:
            y_rev, _ = diag_ssm_scan(u, lam, Bc, Cc[:, P:], None, step, reverse_gaps(dt), mask, self.discretization,
                                     self.conj_sym, None, reverse=True)
            y = y + y_rev
        return y, h_last

    def step(self, u_t, h, dt_t=None):
        """One recurrent step (streaming), equal to one step of :meth:`forward`.

        Parameters
        ----------
        u_t : Tensor, shape (B, H)
        h : Tensor, shape (B, P'), complex
        dt_t : Tensor, shape (B,), optional

        Returns
        -------
        y_t : Tensor, shape (B, H)
        h : Tensor, shape (B, P'), complex
        """
        if self.bidirectional:
            raise RuntimeError("a bidirectional S5 layer has no step (streaming) mode")
        lam, Bc, Cc = self.eigenvalues(), self._complex("B"), self._complex("C")
        step = torch.exp(self.log_step) * self.step_rescale
        delta = step if dt_t is None else step * dt_t.unsqueeze(-1)
        a, gamma = discretize_diag(lam, delta, self.discretization)
        h = a * h + gamma * (u_t.to(lam.dtype) @ Bc.transpose(0, 1))
        y = (h @ Cc.transpose(0, 1)).real
        y = (2.0 * y if self.conj_sym else y) + self.D * u_t
        return y, h

    def initial_state(self, batch_size: int, device=None) -> torch.Tensor:
        """Zero state, shape (batch_size, P'), complex."""
        return torch.zeros(batch_size, self.n_complex, dtype=self.state_dtype(), device=device)


class S5Backbone(SequenceBackbone):
    """Stack of S5 blocks: input encoder, ``n_layers`` x (pre-norm, S5 SSM, activation, dropout, residual).

    Parameters
    ----------
    n_inputs : int
        Channels of the input sequence.
    d_model : int
        Width ``H`` of every layer.
    n_layers : int
    d_state, blocks, dt_min, dt_max, discretization, conj_sym, bidirectional, clip_eigs
        See :class:`S5SSM`.
    activation : {"half_glu", "gelu"}
    dropout : float

    Examples
    --------
    >>> import torch
    >>> net = S5Backbone(n_inputs=3, d_model=8, n_layers=2, d_state=8)
    >>> net(torch.randn(2, 10, 3)).shape
    torch.Size([2, 10, 8])
    """

    def __init__(self, n_inputs, d_model=64, n_layers=4, d_state=64, blocks=1, dt_min=1e-3, dt_max=1e-1,
                 discretization="zoh", conj_sym=True, bidirectional=False, clip_eigs=1e-4,
                 activation="half_glu", dropout=0.0):
        ssms = [S5SSM(d_model, d_state, blocks, dt_min, dt_max, discretization, conj_sym, bidirectional, clip_eigs)
                for _ in range(n_layers)]
        super().__init__(n_inputs, d_model, [ResidualSequenceBlock(s, d_model, activation, dropout) for s in ssms])
