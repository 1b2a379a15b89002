"""Chimera: a 2-D state space model over time and variates (Behrouz, Santacatterina & Zabih, NeurIPS 2024).

Each layer runs 2-D SSMs (:mod:`tsrnn.ops.scan2d`) on the (variate, time) grid of a multivariate series,
per channel of the model width ``d_model`` with ``d_state`` diagonal states:

- ``h1`` moves along time (decay ``exp(-dt1 * A1)``) and receives the variate state ``h2`` of the previous
  step; ``h2`` moves along variates (decay ``exp(-dt2 * A4)``) and receives ``h1`` of the previous variate.
- Discretization (tsrnn's choice where the paper's text is open): zero-order hold along each axis, with the
  other state held as an input over the step. Hence ``a2 = (1 - a1) * tanh(s2)`` and ``a3 = (1 - a4) * tanh(s3)``
  (the coupling is at most the part of the state that decays), and ``B_bar = (1 - a) / A * B``. Every
  incoming weight sum is at most 1, so the grid recurrence cannot blow up however long the series.
- Selective (input-dependent) ``B1, B2, C1, C2`` (shared across channels, as in Mamba) and steps ``dt1``
  (time) and ``dt2`` (variates) per channel; ``A`` and the couplings are input-independent. With
  ``selective=False`` they are all parameters and the layer is a 2-D convolution.
- Two heads with different time discretizations: a trend head with small time steps (long memory) and a
  seasonal head with large ones; a forward and a backward module along variates (variates have no
  order); their sum is gated by ``silu(z)`` of a second input projection (Mamba-style).
- Between SSM layers: residual connections, layer norms and a two-layer MLP.

For forecasting, a closed-loop decoder (SpaceTime-style) extrapolates each variate's last features:
``s_{k+1} = a * s_k + b * y_k``, ``y_k = c . s_k``, so the forecast feeds back into the state.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from tsrnn.nn.heads import instance_normalize
from tsrnn.ops.scan2d import scan2d

DECODERS = ("closed_loop", "direct")


def _log_uniform(shape, low: float, high: float) -> torch.Tensor:
    return torch.exp(torch.rand(shape) * (math.log(high) - math.log(low)) + math.log(low))


def _inverse_softplus(x: torch.Tensor) -> torch.Tensor:
    return x + torch.log(-torch.expm1(-x))


class Chimera2DSSM(nn.Module):
    """One 2-D SSM head in one variate direction.

    Parameters
    ----------
    d_model : int
        Channels ``D``; each has its own ``d_state`` states of each kind.
    d_state : int
        ``N``.
    dt_min, dt_max : float
        Range of the initial time steps ``dt1`` (log-uniform over channels).
    variate_dt_min, variate_dt_max : float
        Range of the initial variate steps ``dt2``.
    selective : bool
        ``B``, ``C`` and the steps depend on the input; otherwise they are parameters.
    reverse : bool
        Run along the variates from the last to the first.
    """

    def __init__(self, d_model: int, d_state: int, dt_min: float, dt_max: float, variate_dt_min: float,
                 variate_dt_max: float, selective: bool = True, reverse: bool = False):
        super().__init__()
        D, N = d_model, d_state
        self.d_model, self.d_state, self.selective, self.reverse = D, N, selective, reverse
        rates = torch.log(torch.arange(1, N + 1, dtype=torch.float32)).repeat(2, D, 1)
        self.A_log = nn.Parameter(rates)  # (2, D, N): time decay A1, variate decay A4 (S4D-real init)
        self.coupling = nn.Parameter(torch.full((2, D, N), math.atanh(0.5)))  # s2, s3
        dt_bias = torch.stack([_inverse_softplus(_log_uniform(D, dt_min, dt_max)),
                               _inverse_softplus(_log_uniform(D, variate_dt_min, variate_dt_max))])
        if selective:
            self.dt_proj = nn.Linear(D, 2 * D)
            nn.init.uniform_(self.dt_proj.weight, -D**-0.5 * 0.1, D**-0.5 * 0.1)
            with torch.no_grad():
                self.dt_proj.bias.copy_(dt_bias.reshape(-1))
            self.x_proj = nn.Linear(D, 4 * N, bias=False)
        else:
            self.dt_bias = nn.Parameter(dt_bias)  # (2, D)
            self.BC = nn.Parameter(torch.cat([torch.ones(2, D, N), torch.randn(2, D, N) * N**-0.5]))  # (4, D, N)
        self.D = nn.Parameter(torch.ones(D))

    def coefficients(self, u: torch.Tensor, dt: torch.Tensor | None = None, mask: torch.Tensor | None = None):
        """Discretized grid coefficients for input ``u``.

        Parameters
        ----------
        u : Tensor, shape (B, V, T, D)
        dt : Tensor, shape (B, T), optional
            Time gaps (in units of the median gap); scale the time steps.
        mask : Tensor, shape (B, T), optional
            False at padding: the time state is held there.

        Returns
        -------
        coeffs : tuple of six Tensors, shape (B, V, T, D, N)
            ``a1, a2, a3, a4, u1, u2`` for :func:`tsrnn.ops.scan2d.scan2d` (variates reversed when ``reverse``).
        C1, C2 : Tensor, shape (B, V, T, 1, N) or (D, N)
        """
        if self.reverse:
            u = u.flip(1)
        N = self.d_state
        if self.selective:
            steps = F.softplus(self.dt_proj(u))
            dt1, dt2 = steps.chunk(2, dim=-1)
            B1, B2, C1, C2 = (p.unsqueeze(-2) for p in self.x_proj(u).split(N, dim=-1))
        else:
            dt1, dt2 = (F.softplus(b).expand_as(u) for b in self.dt_bias)
            B1, B2, C1, C2 = self.BC
        if dt is not None:
            dt1 = dt1 * dt[:, None, :, None].to(dt1.dtype)
        if mask is not None:
            dt1 = dt1 * mask[:, None, :, None].to(dt1.dtype)
        A = torch.exp(self.A_log)
        a1 = torch.exp(-dt1.unsqueeze(-1) * A[0])
        a4 = torch.exp(-dt2.unsqueeze(-1) * A[1])
        s2, s3 = torch.tanh(self.coupling)
        x = u.unsqueeze(-1)
        coeffs = (a1, (1 - a1) * s2, (1 - a4) * s3, a4, (1 - a1) / A[0] * B1 * x, (1 - a4) / A[1] * B2 * x)
        return coeffs, C1, C2

    def readout(self, h1, h2, C1, C2, u):
        """``y = C1 . h1 + C2 . h2 + D u``, back in the original variate order; shape (B, V, T, D)."""
        y = (h1 * C1).sum(-1) + (h2 * C2).sum(-1)
        y = y.flip(1) if self.reverse else y
        return y + self.D * u


class ChimeraMixer(nn.Module):
    """The 2-D SSM part of a layer: input projection, heads x directions in one 2-D scan, gate, output.

    Parameters
    ----------
    d_model, d_state : int
    trend_dt : tuple of float
        Initial time-step range of the trend head.
    seasonal_dt : tuple of float or None
        Initial time-step range of the seasonal head (None: trend head only).
    variate_dt : tuple of float
        Initial variate-step range.
    bidirectional : bool
        Add a backward module along variates.
    selective, gating : bool
    """

    def __init__(self, d_model: int, d_state: int, trend_dt=(1e-3, 0.1), seasonal_dt=(0.1, 1.0),
                 variate_dt=(0.1, 1.0), bidirectional: bool = True, selective: bool = True, gating: bool = True):
        super().__init__()
        self.gating = gating
        self.in_proj = nn.Linear(d_model, 2 * d_model if gating else d_model)
        ranges = [trend_dt] + ([seasonal_dt] if seasonal_dt is not None else [])
        self.heads = nn.ModuleList(
            Chimera2DSSM(d_model, d_state, lo, hi, *variate_dt, selective=selective, reverse=rev)
            for lo, hi in ranges for rev in ((False, True) if bidirectional else (False,)))
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, x, dt=None, mask=None):
        """x : (B, V, T, D) -> (B, V, T, D)."""
        if self.gating:
            u, z = self.in_proj(x).chunk(2, dim=-1)
        else:
            u, z = self.in_proj(x), None
        u = F.silu(u)
        y = 0
        for head in self.heads:  # one 2-D scan per head (concatenating their states costs more than it saves)
            coeffs, C1, C2 = head.coefficients(u, dt, mask)
            y = y + head.readout(*scan2d(*coeffs), C1, C2, u)
        if z is not None:
            y = y * F.silu(z)
        return self.out_proj(y)


class ChimeraBlock(nn.Module):
    """Pre-norm residual layer: 2-D SSM mixer, then a two-layer MLP."""

    def __init__(self, d_model: int, dropout: float = 0.0, **mixer):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.mixer = ChimeraMixer(d_model, **mixer)
        self.mlp = nn.Sequential(nn.Linear(d_model, 2 * d_model), nn.GELU(), nn.Linear(2 * d_model, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, dt=None, mask=None):
        x = x + self.drop(self.mixer(self.norm1(x), dt, mask))
        return x + self.drop(self.mlp(self.norm2(x)))


class ChimeraBackbone(nn.Module):
    """Stack of Chimera layers over the (variate, time) grid of a multivariate series.

    Parameters
    ----------
    n_channels : int
        Variates ``V``.
    n_features : int
        Features per grid point: 1 (the value) or 2 (value and observed indicator).
    d_model, d_state, n_layers : int
    dropout : float
    **mixer
        Options of :class:`ChimeraMixer` (``trend_dt``, ``seasonal_dt``, ``variate_dt``, ``bidirectional``,
        ``selective``, ``gating``).
    """

    def __init__(self, n_channels: int, n_features: int = 1, d_model: int = 32, d_state: int = 8, n_layers: int = 2,
                 dropout: float = 0.0, **mixer):
        super().__init__()
        self.n_channels, self.n_features, self.d_model = n_channels, n_features, d_model
        self.embed = nn.Linear(n_features, d_model)
        self.variate_embedding = nn.Parameter(torch.randn(n_channels, d_model) * 0.02)
        self.layers = nn.ModuleList(ChimeraBlock(d_model, dropout, d_state=d_state, **mixer) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)

    def grid(self, x, dt=None, mask=None):
        """Features of every grid point.

        Parameters
        ----------
        x : Tensor, shape (B, T, n_features * V)
            Values of the V variates, then (with two features) their observed indicators.
        dt, mask : Tensor, shape (B, T), optional

        Returns
        -------
        Tensor, shape (B, V, T, d_model)
        """
        B, T, _ = x.shape
        tokens = x.reshape(B, T, self.n_features, self.n_channels).permute(0, 3, 1, 2)
        z = self.embed(tokens) + self.variate_embedding[:, None]
        for layer in self.layers:
            z = layer(z, dt, mask)
        return self.norm(z)

    def forward(self, x, dt=None, mask=None):
        """Features per time step averaged over variates: (B, T, n_features * V) -> (B, T, d_model)."""
        return self.grid(x, dt, mask).mean(dim=1)


class ClosedLoopDecoder(nn.Module):
    """Extrapolate ``horizon`` steps from features: a linear state whose own forecast is fed back.

    ``s_0 = W f``, ``y_k = c . s_k``, ``s_{k+1} = a * s_k + b y_k`` (``a`` in (0, 1) per state), i.e. the
    closed-loop matrix ``diag(a) + b c^T`` (SpaceTime's closed loop with a rank-one feedback).

    Parameters
    ----------
    d_model : int
        Features ``f``.
    horizon : int
    d_state : int
    """

    def __init__(self, d_model: int, horizon: int, d_state: int = 64):
        super().__init__()
        self.horizon = horizon
        self.init = nn.Linear(d_model, d_state)
        self.rate_log = nn.Parameter(torch.log(_log_uniform(d_state, 1e-3, 0.5)))
        self.b = nn.Parameter(torch.zeros(d_state))
        self.c = nn.Parameter(torch.randn(d_state) * d_state**-0.5)

    def forward(self, f):
        """f : (..., d_model) -> (..., horizon)."""
        s = self.init(f)
        a = torch.exp(-torch.exp(self.rate_log))
        out = []
        for _ in range(self.horizon):
            y = s @ self.c
            out.append(y)
            s = a * s + self.b * y.unsqueeze(-1)
        return torch.stack(out, dim=-1)


class ChimeraForecastNet(nn.Module):
    """Multivariate forecaster: instance normalization, Chimera backbone, decoder from the last time step.

    Parameters
    ----------
    backbone : ChimeraBackbone
    horizon : int
    instance_norm : bool
    indicators : bool
        The input carries observed-indicator channels after the values.
    decoder : {"closed_loop", "direct"}
        :class:`ClosedLoopDecoder`, or a linear map of the last features to all horizon steps.
    """

    def __init__(self, backbone: ChimeraBackbone, horizon: int, instance_norm: bool = True, indicators: bool = False,
                 decoder: str = "closed_loop"):
        super().__init__()
        if decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {DECODERS}, got {decoder!r}")
        self.backbone, self.horizon = backbone, horizon
        self.instance_norm, self.indicators = instance_norm, indicators
        d = backbone.d_model
        self.decoder = ClosedLoopDecoder(d, horizon) if decoder == "closed_loop" else nn.Linear(d, horizon)

    def forward(self, x, dt=None, mask=None):
        """x : (B, L, V) or (B, L, 2V) with indicators -> forecast (B, horizon, V)."""
        V = self.backbone.n_channels
        values = x[..., :V]
        observed = x[..., V : 2 * V] if self.indicators else torch.ones_like(values)
        if self.instance_norm:
            values, mean, std = instance_normalize(values, observed)
        z = torch.cat([values, observed], dim=-1) if self.indicators else values
        last = self.backbone.grid(z, dt, mask)[:, :, -1]  # (B, V, D)
        out = self.decoder(last).transpose(1, 2)  # (B, horizon, V)
        if self.instance_norm:
            out = out * std + mean
        return out
