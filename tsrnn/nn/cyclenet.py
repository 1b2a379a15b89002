"""CycleNet: residual cycle forecasting (Lin et al., NeurIPS 2024).

A learnable cycle ``Q`` of shape ``(W, C)`` (one period of length ``W`` per channel, initialized to zero and
shared by all windows) is removed from the instance-normalized input at each step's phase, a backbone
shared across channels maps the residual lookback to the residual horizon along time, and the cycle at the
forecast steps' phases is added back:

.. math::

    r_j = \\hat x_j - Q_{(c + j) \\bmod W}, \\qquad
    \\hat y_k = f(r)_k + Q_{(c + L + k) \\bmod W},

with ``c`` the phase of the window's first input step, ``L`` the lookback and ``f`` a linear map ``L -> H``
or a two-layer MLP ``L -> d_model -> H`` with ReLU.
"""

from __future__ import annotations

import torch
from torch import nn

from tsrnn.nn.heads import instance_normalize

BACKBONES = ("linear", "mlp")


class CycleNet(nn.Module):
    """CycleNet forecaster network.

    Parameters
    ----------
    n_channels : int
        Channels ``C`` of the series.
    lookback, horizon : int
        ``L`` input steps, ``H`` forecast steps.
    cycle_length : int
        Period ``W`` of the learnable cycle; 0 disables the cycle (the paper's ablation: the backbone alone).
    backbone : {"linear", "mlp"}
    d_model : int
        Hidden width of the MLP backbone.
    instance_norm : bool
        Standardize each window per channel (unbiased variance, as CycleNet) and undo it on the forecast.
    indicators : bool
        The input carries ``C`` observed-indicator channels after the values (missing values zero-filled);
        missing steps get a zero residual, i.e. they are read as lying on the cycle.
    n_quantiles : int
        Values forecast per step and channel: 1 (a point forecast) or the number of quantile levels, along a
        last axis of the output; the backbone's outputs are the residual's quantiles, and the cycle is added to
        each.
    """

    def __init__(self, n_channels: int, lookback: int, horizon: int, cycle_length: int, backbone: str = "linear",
                 d_model: int = 512, instance_norm: bool = True, indicators: bool = False, n_quantiles: int = 1):
        super().__init__()
        if backbone not in BACKBONES:
            raise ValueError(f"backbone must be one of {BACKBONES}, got {backbone!r}")
        self.n_channels, self.lookback, self.horizon = n_channels, lookback, horizon
        self.cycle_length, self.instance_norm, self.indicators = cycle_length, instance_norm, indicators
        self.n_quantiles = n_quantiles
        self.cycle = nn.Parameter(torch.zeros(cycle_length, n_channels)) if cycle_length else None
        out = horizon * n_quantiles
        if backbone == "linear":
            self.backbone = nn.Linear(lookback, out)
        else:
            self.backbone = nn.Sequential(nn.Linear(lookback, d_model), nn.ReLU(), nn.Linear(d_model, out))

    def cycle_at(self, phase: torch.Tensor) -> torch.Tensor:
        """The cycle at the given phases (taken modulo ``cycle_length``).

        Parameters
        ----------
        phase : Tensor, shape (B, K), int

        Returns
        -------
        Tensor, shape (B, K, C)
        """
        return self.cycle[phase.long() % self.cycle_length]

    def forward(self, x: torch.Tensor, dt=None, mask=None, phase: torch.Tensor | None = None) -> torch.Tensor:
        """Forecast.

        Parameters
        ----------
        x : Tensor, shape (B, L, C) or (B, L, 2C) with indicators
        dt, mask : ignored
            Accepted for the common task-network signature (the estimator reads ``times`` into ``phase``).
        phase : Tensor, shape (B,) or (B, L), int
            Phase of the first input step of each window (the others follow one by one), or of every input
            step (irregular sampling); the forecast steps follow the last input step one by one. Required when
            ``cycle_length > 0``.

        Returns
        -------
        Tensor, shape (B, H, C), or (B, H, C, n_quantiles) with quantiles
        """
        C, Q = self.n_channels, self.n_quantiles
        values = x[..., :C]
        observed = x[..., C : 2 * C] if self.indicators else torch.ones_like(values)
        if self.instance_norm:
            values, mean, std = instance_normalize(values, observed, unbiased=True)
        if self.cycle is not None:
            if phase is None:
                raise ValueError("phase is required: CycleNet aligns its cycle by the phase of each window")
            if phase.dim() == 1:
                phase = phase[:, None] + torch.arange(self.lookback, device=phase.device)
            values = (values - self.cycle_at(phase)) * observed
        out = self.backbone(values.transpose(1, 2)).view(-1, C, self.horizon, Q).transpose(1, 2)  # (B, H, C, Q)
        if self.cycle is not None:
            cycle = self.cycle_at(phase[:, -1:] + torch.arange(1, self.horizon + 1, device=phase.device))
            out = out + cycle.unsqueeze(-1)
        if self.instance_norm:
            out = out * std.unsqueeze(-1) + mean.unsqueeze(-1)
        return out if Q > 1 else out.squeeze(-1)


def autocorrelation_period(series, max_lag: int | None = None) -> int:
    """The lag of the highest autocorrelation peak (CycleNet's recommended choice of the cycle length).

    The autocorrelation is averaged over channels (each centered on its mean, missing values skipped);
    a peak is a lag ``k >= 2`` whose value exceeds lag ``k - 1`` and is at least that of lag ``k + 1``.

    Parameters
    ----------
    series : ndarray, shape (T, C)
    max_lag : int, optional
        Largest lag searched; default ``min(T // 3, 1024)``.

    Returns
    -------
    int
        The period, or 0 when no peak with positive autocorrelation exists.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(500)
    >>> autocorrelation_period(np.sin(2 * np.pi * t / 24)[:, None])
    24
    """
    import numpy as np

    x = np.asarray(series, dtype=np.float64)
    T = len(x)
    max_lag = min(T // 3, 1024) if max_lag is None else min(int(max_lag), T - 2)
    x = x - np.nanmean(x, axis=0)
    x = np.nan_to_num(x)
    spectrum = np.fft.rfft(x, n=2 * T, axis=0)
    r = np.fft.irfft(spectrum * np.conj(spectrum), axis=0)[: max_lag + 2]
    power = r[0]
    r = (r[:, power > 0] / power[power > 0]).mean(axis=1) if np.any(power > 0) else np.zeros(len(r))
    best, period = 0.0, 0
    for k in range(2, max_lag + 1):
        if r[k] > r[k - 1] and r[k] >= r[k + 1] and r[k] > best:
            best, period = r[k], k
    return period
