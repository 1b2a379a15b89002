r"""Piecewise-linear RNNs for dynamical-systems reconstruction: PLRNN, dendritic PLRNN, shallow PLRNN, AL-RNN.

Every model is a map :math:`z_t = F(z_{t-1})` on a latent state :math:`z \in \mathbb R^M` with diagonal
:math:`A`; the observation is the identity readout of the first :math:`N` units, and the initial state is
:math:`z_1 = [x_1; L x_1]` with a learned :math:`L \in \mathbb R^{(M-N) \times N}`.

- :class:`PLRNN` (Durstewitz 2017): :math:`F(z) = A \odot z + W \phi(z) + h`, :math:`W` off-diagonal.
- :class:`DendriticPLRNN` (Brenner et al. 2022): :math:`\phi` replaced by a basis expansion
  :math:`\sum_b \alpha_b \phi(z - H_b)` (``clipped``: :math:`\sum_b \alpha_b [\phi(z - H_b) - \phi(z)]`).
- :class:`ShallowPLRNN` (Hess et al. 2023): :math:`F(z) = A \odot z + W_1 \phi(W_2 z + h_2) + h_1`
  (``clipped``: :math:`W_1[\phi(W_2 z + h_2) - \phi(W_2 z)] + h_1`, bounded orbits for :math:`|A| < 1`).
- :class:`ALRNN` (Brenner et al. 2024): :math:`F(z) = A \odot z + W \Phi^*(z) + h` with ReLU on the last
  :math:`P` units only.

Each model gives its Jacobian in closed form and, inside a linear subregion (a sign pattern of its ReLUs),
its affine map :math:`z \mapsto J_d z + c_d` (:meth:`PiecewiseLinearRNN.region_affine`), which the symbolic
analysis (:mod:`tsrnn.nn.symbolic`) uses.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def talathi_vartak(M: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``K = R^T R / M + I`` with ``R ~ N(0, 1)``, divided by its largest absolute eigenvalue (M x M)."""
    R = torch.randn(M, M, generator=generator)
    K = R.T @ R / M + torch.eye(M)
    return K / torch.linalg.eigvalsh(K).abs().max()


class LatentMap(nn.Module):
    """A discrete-time map ``z_t = F(z_{t-1})`` on latent states whose first ``n_obs`` units are the observation:
    what the reconstructors and :mod:`tsrnn.training.dsr` need besides ``init_state``, ``forward`` and
    ``jacobian``."""

    n_obs: int

    def observe(self, z: torch.Tensor) -> torch.Tensor:
        """Identity readout: the first ``n_obs`` units; (..., M) -> (..., N)."""
        return z[..., : self.n_obs]

    def simulate(self, z0: torch.Tensor, n_steps: int) -> torch.Tensor:
        """Free-running latent trajectory ``z_0 .. z_{n-1}``; (B, M) -> (B, n_steps, M)."""
        out = [z0]
        for _ in range(n_steps - 1):
            out.append(self(out[-1]))
        return torch.stack(out, dim=1)


class PiecewiseLinearRNN(LatentMap):
    """Base: identity readout of the first ``n_obs`` units, learned initial-state map, region interface.

    Parameters
    ----------
    n_obs : int
        Observed dimensions ``N`` (<= ``n_latent``).
    n_latent : int
        Latent dimensions ``M``.
    """

    def __init__(self, n_obs: int, n_latent: int):
        super().__init__()
        if n_obs > n_latent:
            raise ValueError(f"n_latent ({n_latent}) must be >= the observed dimensions ({n_obs}) for the "
                             "identity readout")
        self.n_obs, self.n_latent = n_obs, n_latent
        self.L = nn.Parameter(torch.empty(n_latent - n_obs, n_obs).uniform_(-n_obs**-0.5, n_obs**-0.5))

    def init_state(self, x: torch.Tensor) -> torch.Tensor:
        """Latent state from an observation: ``[x; L x]``; (B, N) -> (B, M)."""
        return torch.cat([x, x @ self.L.T], dim=-1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """One step of the map; (B, M) -> (B, M)."""
        raise NotImplementedError

    def _W(self) -> torch.Tensor:
        """The matrix ``W`` that multiplies ``Phi(z)``; (M, M)."""
        return self.W

    def slopes(self, z: torch.Tensor) -> torch.Tensor:
        """Derivative of the nonlinearity ``Phi`` at each state, unit by unit; (..., M) -> (..., M).

        The maps of the form ``A * z + W Phi(z) + h`` have the Jacobian ``diag(A) + W diag(slopes(z))``.
        """
        raise NotImplementedError

    def jacobian(self, z: torch.Tensor) -> torch.Tensor:
        """Jacobian of the map at each state; (B, M) -> (B, M, M)."""
        return torch.diag_embed(self.A.expand_as(z)) + self._W() * self.slopes(z)[..., None, :]

    def step_fn(self):
        """``(z, out) -> None``: one step of the map written into ``out`` (both (B, M)), without autograd; what
        the fused teacher-forced recurrence (:mod:`tsrnn.training.forcing`) calls once per step."""
        def step(z, out):
            out.copy_(self(z))
        return step

    def backward_fn(self, carried: torch.Tensor, keep: torch.Tensor):
        """Accumulator for the fused backward through ``T`` steps taken from the states ``carried``.

        Parameters
        ----------
        carried : Tensor, shape (T, B, M)
            The states the map was applied to.
        keep : Tensor, shape (T, 1, M) or (T, B, M)
            Per-step (and per-sample) factors applied to the resulting state gradient.

        Returns
        -------
        callable ``(t, g, out) -> None``
            ``out += keep[t] * (g^T J(carried[t]))`` for a gradient ``g`` (B, M) of the map's output at step
            ``t`` (parameters detached).
        """
        A, W = self.A.detach(), self._W().detach()
        slopes = (self.slopes(carried) * keep).unbind(0)
        a = (A * keep).unbind(0)

        def accumulate(t, g, out):
            out.addcmul_(g @ W, slopes[t]).addcmul_(g, a[t])
        return accumulate

    def region(self, z: torch.Tensor) -> torch.Tensor:
        """Sign pattern (bool) of the ReLUs at each state, which fixes the linear subregion; (B, M) -> (B, K)."""
        raise NotImplementedError

    def region_affine(self, d: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The affine map ``z -> J_d z + c_d`` inside subregion ``d`` (bool (K,)): ``(J_d (M, M), c_d (M,))``."""
        raise NotImplementedError


class PLRNN(PiecewiseLinearRNN):
    """Vanilla PLRNN ``z' = A * z + W relu(z) + h`` with off-diagonal ``W`` (Talathi-Vartak initialization).

    Parameters
    ----------
    n_obs, n_latent : int
    """

    def __init__(self, n_obs: int, n_latent: int):
        super().__init__(n_obs, n_latent)
        K = talathi_vartak(n_latent)
        self.A = nn.Parameter(torch.diagonal(K).clone())
        self.W = nn.Parameter(K - torch.diag(torch.diagonal(K)))
        self.h = nn.Parameter(torch.zeros(n_latent))
        self.register_buffer("offdiag", 1.0 - torch.eye(n_latent))

    def _W(self):
        return self.W * self.offdiag  # the diagonal never enters the map, so it gets no gradient

    def forward(self, z):
        return self.A * z + F.relu(z) @ self._W().T + self.h

    def slopes(self, z):
        return (z > 0).to(z.dtype)

    def region(self, z):
        return z > 0

    def region_affine(self, d):
        return torch.diag(self.A) + self._W() * d.to(self.A.dtype), self.h


class DendriticPLRNN(PLRNN):
    """Dendritic PLRNN: ``z' = A * z + W Phi(z) + h``, ``Phi(z)_m = sum_b alpha_b relu(z_m - H_mb)``.

    Parameters
    ----------
    n_obs, n_latent : int
    n_bases : int
        Basis functions ``B`` per unit.
    clipped : bool
        ``Phi(z)_m = sum_b alpha_b [relu(z_m - H_mb) - relu(z_m)]`` (bounded orbits for ``|A| < 1``).
    data_range : tuple of float
        Range of the thresholds' uniform initialization (the data's range).
    """

    def __init__(self, n_obs: int, n_latent: int, n_bases: int = 20, clipped: bool = True,
                 data_range: tuple = (-2.0, 2.0)):
        super().__init__(n_obs, n_latent)
        self.clipped = clipped
        self.alpha = nn.Parameter(torch.empty(n_bases).uniform_(-n_bases**-0.5, n_bases**-0.5))
        self.H = nn.Parameter(torch.empty(n_latent, n_bases).uniform_(*data_range))

    def _phi(self, z):
        out = F.relu(z[..., None] - self.H) @ self.alpha
        return out - F.relu(z) * self.alpha.sum() if self.clipped else out

    def slopes(self, z):
        d = ((z[..., None] > self.H).to(z.dtype)) @ self.alpha
        return d - (z > 0).to(z.dtype) * self.alpha.sum() if self.clipped else d

    def forward(self, z):
        return self.A * z + self._phi(z) @ self._W().T + self.h

    def region(self, z):
        parts = [z[..., None] > self.H] + ([(z > 0)[..., None]] if self.clipped else [])
        return torch.cat(parts, dim=-1).flatten(-2)

    def region_affine(self, d):
        nb = self.H.shape[1] + (1 if self.clipped else 0)
        bits = d.view(self.n_latent, nb).to(self.A.dtype)
        slope = bits[:, : self.H.shape[1]] @ self.alpha
        offset = -(bits[:, : self.H.shape[1]] * self.H) @ self.alpha
        if self.clipped:
            slope = slope - bits[:, -1] * self.alpha.sum()
        W = self._W()
        return torch.diag(self.A) + W * slope, self.h + W @ offset


class ShallowPLRNN(PiecewiseLinearRNN):
    """Shallow PLRNN ``z' = A * z + W1 relu(W2 z + h2) + h1`` (``clipped``: minus ``W1 relu(W2 z)``).

    Parameters
    ----------
    n_obs, n_latent : int
    hidden_dim : int
        Width ``L`` of the hidden ReLU layer.
    clipped : bool
    """

    def __init__(self, n_obs: int, n_latent: int, hidden_dim: int = 50, clipped: bool = True):
        super().__init__(n_obs, n_latent)
        self.clipped = clipped
        self.A = nn.Parameter(torch.diagonal(talathi_vartak(n_latent)).clone())
        self.W1 = nn.Parameter(torch.empty(n_latent, hidden_dim).uniform_(-hidden_dim**-0.5, hidden_dim**-0.5))
        self.W2 = nn.Parameter(torch.empty(hidden_dim, n_latent).uniform_(-n_latent**-0.5, n_latent**-0.5))
        self.h1 = nn.Parameter(torch.zeros(n_latent))
        h2 = torch.empty(hidden_dim).uniform_(-hidden_dim**-0.5, hidden_dim**-0.5) if clipped else torch.zeros(hidden_dim)
        self.h2 = nn.Parameter(h2)

    def forward(self, z):
        u = z @ self.W2.T
        act = F.relu(u + self.h2) - (F.relu(u) if self.clipped else 0.0)
        return self.A * z + act @ self.W1.T + self.h1

    def _slopes(self, u):
        s = (u + self.h2 > 0).to(u.dtype)
        return s - (u > 0).to(u.dtype) if self.clipped else s

    def slopes(self, z):
        """Slopes of the hidden ReLU layer (not of the units); (..., M) -> (..., hidden_dim)."""
        return self._slopes(z @ self.W2.T)

    def jacobian(self, z):
        return torch.diag_embed(self.A.expand_as(z)) + (self.W1 * self.slopes(z)[:, None, :]) @ self.W2

    def backward_fn(self, carried, keep):
        A, W1 = self.A.detach(), self.W1.detach()
        W2, slopes, keeps = self.W2.detach(), self.slopes(carried).unbind(0), keep.unbind(0)
        a = (A * keep).unbind(0)

        def accumulate(t, g, out):
            out.addcmul_(((g @ W1) * slopes[t]) @ W2, keeps[t]).addcmul_(g, a[t])
        return accumulate

    def region(self, z):
        u = z @ self.W2.T
        return torch.cat([u + self.h2 > 0] + ([u > 0] if self.clipped else []), dim=-1)

    def region_affine(self, d):
        L = self.W2.shape[0]
        on = d[:L].to(self.A.dtype)
        slope = on - d[L:].to(self.A.dtype) if self.clipped else on
        return torch.diag(self.A) + (self.W1 * slope) @ self.W2, self.h1 + self.W1 @ (on * self.h2)


class ALRNN(PiecewiseLinearRNN):
    """Almost-linear RNN ``z' = A * z + W Phi*(z) + h``, ReLU on the last ``n_relu`` (P) units only.

    ``A`` from the Talathi-Vartak matrix's diagonal, ``W ~ N(0, 0.01^2)`` (full), ``h = 0``.

    Parameters
    ----------
    n_obs, n_latent : int
    n_relu : int
        ``P``: the 2^P linear subregions are the sign patterns of these units.
    """

    def __init__(self, n_obs: int, n_latent: int, n_relu: int = 2):
        super().__init__(n_obs, n_latent)
        if not 0 < n_relu <= n_latent - n_obs:
            raise ValueError(f"n_relu must be in [1, n_latent - n_obs = {n_latent - n_obs}] so that the observed "
                             f"units stay linear, got {n_relu}")
        self.n_relu = n_relu
        self.A = nn.Parameter(torch.diagonal(talathi_vartak(n_latent)).clone())
        self.W = nn.Parameter(0.01 * torch.randn(n_latent, n_latent))
        self.h = nn.Parameter(torch.zeros(n_latent))

    def _phi(self, z):
        P = self.n_relu
        return torch.cat([z[..., :-P], F.relu(z[..., -P:])], dim=-1)

    def forward(self, z):
        return self.A * z + self._phi(z) @ self.W.T + self.h

    def _diag(self, bits):
        ones = torch.ones(*bits.shape[:-1], self.n_latent - self.n_relu, dtype=self.A.dtype, device=bits.device)
        return torch.cat([ones, bits.to(self.A.dtype)], dim=-1)

    def slopes(self, z):
        return self._diag(z[..., -self.n_relu :] > 0)

    def step_fn(self):
        # A * z + W Phi*(z) + h = z (diag(A) + W^T) + h - min(z_P, 0) W_P^T, with z_P the last P units
        P = self.n_relu
        K = (torch.diag(self.A) + self.W.T).detach()
        W_P = (-self.W[:, -P:].T).detach()
        h = self.h.detach()

        def step(z, out):
            torch.addmm(h, z, K, out=out).addmm_(z[:, -P:].clamp(max=0.0), W_P)
        return step

    def region(self, z):
        return z[..., -self.n_relu :] > 0

    def region_affine(self, d):
        return torch.diag(self.A) + self.W * self._diag(d), self.h


__all__ = ["ALRNN", "DendriticPLRNN", "PLRNN", "PiecewiseLinearRNN", "ShallowPLRNN", "talathi_vartak"]
