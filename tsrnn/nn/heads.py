"""Task networks that put a head on any sequence backbone (classification, regression, forecasting)."""

from __future__ import annotations

import torch
from torch import nn


def last_valid(z: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Features at each sequence's last valid step.

    Parameters
    ----------
    z : Tensor, shape (B, L, H)
    mask : Tensor, shape (B, L), bool, optional
        True on valid steps, which form a prefix of every row.

    Returns
    -------
    Tensor, shape (B, H)
    """
    if mask is None:
        return z[:, -1]
    idx = mask.sum(dim=1).clamp(min=1) - 1
    return z[torch.arange(z.shape[0], device=z.device), idx]


def masked_mean(z: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over valid steps: ``z`` (B, L, H), ``mask`` (B, L) -> (B, H)."""
    if mask is None:
        return z.mean(dim=1)
    w = mask.unsqueeze(-1).to(z.dtype)
    return (z * w).sum(dim=1) / w.sum(dim=1).clamp(min=1.0)


class SequencePoolingNet(nn.Module):
    """Backbone, pooling over time, linear head: for classification (logits) and regression.

    Parameters
    ----------
    backbone : SequenceBackbone
    n_outputs : int
    pooling : {"mean", "last"}
    """

    def __init__(self, backbone: nn.Module, n_outputs: int, pooling: str = "mean"):
        super().__init__()
        if pooling not in ("mean", "last"):
            raise ValueError(f"pooling must be 'mean' or 'last', got {pooling!r}")
        self.backbone, self.pooling = backbone, pooling
        self.head = nn.Linear(backbone.d_model, n_outputs)

    def forward(self, x, dt=None, mask=None):
        """x : (B, L, C), dt : (B, L), mask : (B, L) -> (B, n_outputs)."""
        z = self.backbone(x, dt=dt, mask=mask)
        pooled = masked_mean(z, mask) if self.pooling == "mean" else last_valid(z, mask)
        return self.head(pooled)

    def initial_stream_state(self, batch_size: int, device=None) -> tuple:
        """State of :meth:`stream` before the first step: backbone state, running feature sum, step count."""
        zeros = torch.zeros(batch_size, self.backbone.d_model, device=device)
        return self.backbone.initial_state(batch_size, device), zeros, zeros.new_zeros(batch_size, 1)

    def stream(self, x, dt=None, state=None):
        """Run the next steps of ``B`` streams one step at a time, carrying the state across calls.

        Parameters
        ----------
        x : Tensor, shape (B, T, C)
        dt : Tensor, shape (B, T), optional
        state : tuple, optional
            From :meth:`initial_stream_state` or a previous call.

        Returns
        -------
        outputs : Tensor, shape (B, T, n_outputs)
            The head's output after every step: what :meth:`forward` returns for the stream up to that step.
        state : tuple
        """
        backbone_state, total, count = self.initial_stream_state(x.shape[0], x.device) if state is None else state
        outputs = []
        for t in range(x.shape[1]):
            z, backbone_state = self.backbone.step(x[:, t], backbone_state, None if dt is None else dt[:, t])
            total, count = total + z, count + 1
            outputs.append(self.head(total / count if self.pooling == "mean" else z))
        return torch.stack(outputs, dim=1), (backbone_state, total, count)


def instance_normalize(values: torch.Tensor, observed: torch.Tensor, unbiased: bool = False, eps: float = 1e-5):
    """Standardize every window per channel over its observed steps (reversible instance normalization).

    Parameters
    ----------
    values : Tensor, shape (B, L, C)
        Missing entries may hold anything finite; they are zeroed in the output.
    observed : Tensor, shape (B, L, C)
        1 where observed, 0 where missing.
    unbiased : bool
        Divide the sum of squares by ``count - 1`` (torch's default ``var``, as CycleNet) instead of ``count``.
    eps : float
        Added to the variance.

    Returns
    -------
    normalized : Tensor, shape (B, L, C)
    mean, std : Tensor, shape (B, 1, C)
        To undo the normalization: ``forecast * std + mean``.
    """
    count = observed.sum(dim=1, keepdim=True).clamp(min=1.0)
    mean = (values * observed).sum(dim=1, keepdim=True) / count
    denom = (count - 1.0).clamp(min=1.0) if unbiased else count
    std = torch.sqrt(((values - mean) ** 2 * observed).sum(dim=1, keepdim=True) / denom + eps)
    return (values - mean) / std * observed, mean, std


class DirectForecastNet(nn.Module):
    """Direct multi-horizon forecaster: encode the lookback window, map the last features to all steps.

    With ``instance_norm`` each window is standardized per channel before the backbone and the forecast
    is mapped back (reversible instance normalization, without affine parameters). With
    ``channel_independent`` every channel is encoded as its own univariate series by the shared backbone.
    Covariates (e.g. periodic time features) are the input's last channels; they are neither normalized nor
    forecast, and every channel's series reads them.

    Parameters
    ----------
    backbone : SequenceBackbone
        Takes the value channels (1 when ``channel_independent``), followed by as many observed-indicator
        channels when ``indicators``, then the ``n_covariates`` covariates.
    n_channels : int
        Channels to forecast.
    horizon : int
    instance_norm : bool
    indicators : bool
        The input carries observed-indicator channels after the values (missing values zero-filled).
    channel_independent : bool
    n_covariates : int
    n_quantiles : int
        Values forecast per step and channel: 1 (a point forecast) or the number of quantile levels, along a
        last axis of the output.
    """

    def __init__(self, backbone: nn.Module, n_channels: int, horizon: int, instance_norm: bool = True,
                 indicators: bool = False, channel_independent: bool = False, n_covariates: int = 0,
                 n_quantiles: int = 1):
        super().__init__()
        self.backbone, self.n_channels, self.horizon = backbone, n_channels, horizon
        self.instance_norm, self.indicators = instance_norm, indicators
        self.channel_independent, self.n_covariates, self.n_quantiles = channel_independent, n_covariates, n_quantiles
        self.head = nn.Linear(backbone.d_model, horizon * (1 if channel_independent else n_channels) * n_quantiles)

    def forward(self, x, dt=None, mask=None):
        """x : (B, L, C [+ C] [+ n_covariates]), dt : (B, L), mask : (B, L) -> forecast (B, horizon, n_channels),
        or (B, horizon, n_channels, n_quantiles) with quantiles."""
        C, Q = self.n_channels, self.n_quantiles
        covariates = x[..., x.shape[-1] - self.n_covariates :] if self.n_covariates else None
        values = x[..., :C]
        observed = x[..., C : 2 * C] if self.indicators else torch.ones_like(values)
        if mask is not None:
            observed = observed * mask.unsqueeze(-1).to(observed.dtype)
        if self.instance_norm:
            values, mean, std = instance_normalize(values, observed)
        parts = [values, observed] if self.indicators else [values]
        if self.channel_independent:
            n, length = x.shape[:2]
            x = torch.stack(parts, dim=-1).transpose(1, 2).reshape(n * C, length, len(parts))
            if covariates is not None:
                x = torch.cat([x, covariates.repeat_interleave(C, dim=0)], dim=-1)
            dt = None if dt is None else dt.repeat_interleave(C, dim=0)
            mask = None if mask is None else mask.repeat_interleave(C, dim=0)
            z = last_valid(self.backbone(x, dt=dt, mask=mask), mask)
            out = self.head(z).view(n, C, self.horizon, Q).transpose(1, 2)
        else:
            if covariates is not None:
                parts.append(covariates)
            z = last_valid(self.backbone(torch.cat(parts, dim=-1), dt=dt, mask=mask), mask)
            out = self.head(z).view(-1, self.horizon, C, Q)
        if self.instance_norm:
            out = out * std.unsqueeze(-1) + mean.unsqueeze(-1)
        return out if Q > 1 else out.squeeze(-1)
