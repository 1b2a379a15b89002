r"""The teacher-forced recurrence of dynamical-systems reconstruction: reference loop and fused path.

From :math:`\tilde z_0` the map steps :math:`z_t = F(\tilde z_{t-1})`, and the carried state mixes the observed
units with the data,

.. math:: \tilde z_{t,:N} = c_t\, z_{t,:N} + (1 - c_t)\, x_t, \qquad \tilde z_{t,N:} = z_{t,N:},

with the *keep* factor :math:`c_t = 1 - \alpha` for generalized teacher forcing and :math:`c_t \in \{0, 1\}`
(0 every ``tau`` steps) for sparse teacher forcing. The gradient into the carried observed units is scaled by
:math:`c_t` (so sparse forcing cuts it). With missing observations (an ``observed`` mask, e.g. irregular
samples placed on the map's grid) a unit is forced only where it was observed: elsewhere :math:`c = 1`.

- :func:`forced_recurrence_ref` is the plain autograd step loop.
- :func:`forced_recurrence` runs the loop without autograd and back-propagates by hand: per step one
  vector-Jacobian product of the map at the stored state (the model's ``backward_fn``), then the gradients of
  all parameters in one batched autograd call of the map over every stored state. A map without
  ``backward_fn`` falls back to the reference. On CPU a training batch of the small maps of DSR, where the per-step cost
  is the framework's per-operation overhead rather than arithmetic, runs 2.7-6x faster
  (``benchmarks/bench_dsr_speed.py``).
"""

from __future__ import annotations

import torch


def keep_factors(n_steps: int, forcing: str, alpha: float = 0.0, tau: int = 1) -> list[float]:
    """The keep factors :math:`c_1 .. c_{T-1}` of the carried states (index 0 is unused and 1).

    Parameters
    ----------
    n_steps : int
        ``T``, the number of predicted steps.
    forcing : {"gtf", "sparse"}
    alpha : float
        GTF mixing weight (``c_t = 1 - alpha``).
    tau : int
        Sparse forcing interval (``c_t = 0`` when ``t % tau == 0``).

    Returns
    -------
    list of float, length T
    """
    if forcing == "gtf":
        return [1.0] + [1.0 - alpha] * (n_steps - 1)
    return [1.0] + [0.0 if t % tau == 0 else 1.0 for t in range(1, n_steps)]


def _mix(z: torch.Tensor, x_t: torch.Tensor, c: float, observed_t: torch.Tensor | None) -> torch.Tensor:
    """Carried state: the first N units of ``z`` (B, M) become ``c z + (1 - c) x_t`` where ``observed_t``."""
    N = x_t.shape[-1]
    if c == 1.0:
        return z
    mixed = c * z[:, :N] + (1.0 - c) * x_t
    if observed_t is not None:
        mixed = torch.where(observed_t, mixed, z[:, :N])
    return torch.cat([mixed, z[:, N:]], dim=-1)


def _fill_missing(x: torch.Tensor, observed: torch.Tensor | None) -> torch.Tensor:
    """``x`` with the unobserved entries set to 0 (they are never used, but NaN * 0 would still be NaN)."""
    if observed is None:
        return x
    if observed.shape != x.shape or observed.dtype != torch.bool:
        raise ValueError(f"observed must be a bool tensor shaped like x {tuple(x.shape)}, got "
                         f"{observed.dtype} {tuple(observed.shape)}")
    return x.masked_fill(~observed, 0.0)


def forced_recurrence_ref(model, z0: torch.Tensor, x: torch.Tensor, keep: list[float],
                          observed: torch.Tensor | None = None):
    """Reference: the forced recurrence as an autograd step loop.

    Parameters
    ----------
    model : LatentMap
        The map ``F``; (B, M) -> (B, M).
    z0 : Tensor, shape (B, M)
        Initial carried state.
    x : Tensor, shape (B, T+1, N)
        Data windows (row 0 is the one ``z0`` came from).
    keep : list of float, length T
        Keep factors from :func:`keep_factors`.
    observed : Tensor of bool, shape (B, T+1, N), optional
        Which entries of ``x`` were observed; the others are neither used nor forced (default: all).

    Returns
    -------
    states : Tensor, shape (B, T, M)
        :math:`z_1 .. z_T` (before forcing).
    carried : Tensor, shape (B, T, M)
        :math:`\\tilde z_0 .. \\tilde z_{T-1}`, detached.
    """
    x = _fill_missing(x, observed)
    z, states, carried = z0, [], []
    for t in range(x.shape[1] - 1):
        if t:
            z = _mix(z, x[:, t], keep[t], None if observed is None else observed[:, t])
        carried.append(z.detach())
        z = model(z)
        states.append(z)
    return torch.stack(states, dim=1), torch.stack(carried, dim=1)


class _ForcedRecurrence(torch.autograd.Function):
    """Forward without autograd into preallocated buffers; backward by per-step state VJPs and one batched
    parameter VJP.

    ``params`` are the model's parameters in ``model.parameters()`` order: the forward reads them through the
    model, and they are inputs only so that backward can return their gradients.
    """

    @staticmethod
    def forward(ctx, z0, x, keep, observed, model, *params):
        B, T, N = x.shape[0], x.shape[1] - 1, x.shape[2]
        x = _fill_missing(x, observed)
        # keep factors of the observed units, (T, 1, N), or (T, B, N) where observations are missing
        keep_obs = torch.as_tensor(keep, dtype=x.dtype, device=x.device).view(T, 1, 1).expand(T, 1, N)
        if observed is not None:
            keep_obs = 1.0 - (1.0 - keep_obs) * observed[:, :T].transpose(0, 1)
        weights = (1.0 - keep_obs).unbind(0)
        states = z0.new_empty(T, B, z0.shape[-1])
        carried = torch.empty_like(states)
        carried[0] = z0
        step, xs = model.step_fn(), x.transpose(0, 1).unbind(0)
        z_in, z_out = carried.unbind(0), states.unbind(0)
        forced = carried[:, :, :N].unbind(0)
        for t in range(T):
            step(z_in[t], z_out[t])
            if t + 1 < T:
                z_in[t + 1].copy_(z_out[t])
                if keep[t + 1] != 1.0:
                    forced[t + 1].lerp_(xs[t + 1], weights[t + 1])
        ctx.model = model
        ctx.save_for_backward(carried, keep_obs)
        ctx.mark_non_differentiable(carried)
        return states.transpose(0, 1), carried.transpose(0, 1)

    @staticmethod
    def backward(ctx, grad_states, _):
        carried, keep_obs = ctx.saved_tensors  # (T, B, M): z~_0 .. z~_{T-1}; (T, 1 or B, N)
        model = ctx.model
        T, B, M = carried.shape
        keep = carried.new_ones(T, keep_obs.shape[1], M)
        keep[:, :, : keep_obs.shape[2]] = keep_obs
        accumulate = model.backward_fn(carried, keep)
        # row t: d loss / d z_{t+1}, completed in place below (a copy: never write into autograd's gradient)
        G = grad_states.transpose(0, 1).clone(memory_format=torch.contiguous_format)
        rows = G.unbind(0)
        for t in range(T - 1, 0, -1):
            accumulate(t, rows[t], rows[t - 1])  # d loss / d z~_t, scaled into d loss / d z_t
        grad_z0 = torch.zeros_like(rows[0])
        accumulate(0, rows[0], grad_z0)
        params = list(model.parameters())
        wanted = [p for p in params if p.requires_grad]
        with torch.enable_grad():
            flat = carried.reshape(-1, M)
            grads = iter(torch.autograd.grad(model(flat), wanted, G.reshape(flat.shape), allow_unused=True))
        return (grad_z0, None, None, None, None, *(next(grads) if p.requires_grad else None for p in params))


def forced_recurrence(model, z0: torch.Tensor, x: torch.Tensor, keep: list[float],
                      observed: torch.Tensor | None = None):
    """The forced recurrence with a hand-written backward (same signature and results as
    :func:`forced_recurrence_ref`); falls back to the reference for maps without ``backward_fn``."""
    if not hasattr(model, "backward_fn"):
        return forced_recurrence_ref(model, z0, x, keep, observed)
    return _ForcedRecurrence.apply(z0, x, keep, observed, model, *model.parameters())


__all__ = ["forced_recurrence", "forced_recurrence_ref", "keep_factors"]
