r"""LEM: long expressive memory (Rusch, Mishra, Erichson & Mahoney, ICLR 2022).

The IMEX discretization of a multiscale ODE, with two learned, state- and input-dependent time scales::

    dt_n     = dt * sigmoid(W_2 y_{n-1} + V_2 u_n + b_2)
    dtbar_n  = dt * sigmoid(W_1 y_{n-1} + V_1 u_n + b_1)
    z_n = (1 - dt_n) * z_{n-1} + dt_n * tanh(W_z y_{n-1} + V_z u_n + b_z)
    y_n = (1 - dtbar_n) * y_{n-1} + dtbar_n * tanh(W_y z_n + V_y u_n + b_y)

Parameter layout as in the reference code: ``inp2hid`` (M -> 4N; chunks for ``dtbar``, ``dt``, the ``y``
update and the ``z`` update), ``hid2hid`` (N -> 3N; chunks ``dtbar``, ``dt``, ``z`` update), ``transform_z``
(N -> N, ``W_y``), all with biases, all initialized U(-1/sqrt(N), 1/sqrt(N)). Output: ``y``.

Irregular sampling (an extension; the reference has none): with gaps, each update relaxes toward its target
exactly as the underlying ODE would over the gap with the inputs held, ``dt_n = 1 - exp(-dt * gap *
sigmoid(.))`` (and likewise ``dtbar_n``): about ``dt * sigmoid(.)`` for short gaps, never above 1, so every
update stays a convex combination (bounded states) however long the gap.

Speed: the input projections of all steps are one GEMM; a whole sequence then runs in a fused loop with a
hand-written backpropagation through time (:class:`_LEMSequence`), pinned to the autograd step loop in the tests.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from tsrnn.nn.recurrent import RecurrentLayer


class LEM(RecurrentLayer):
    """A LEM layer over sequences.

    Parameters
    ----------
    input_size : int
    units : int
    dt : float
        Base step (the paper tunes it per task, e.g. 0.21 for sequential MNIST).

    Examples
    --------
    >>> import torch
    >>> y, (h, z) = LEM(3, 8, dt=0.5)(torch.randn(2, 5, 3))
    >>> y.shape, z.shape
    (torch.Size([2, 5, 8]), torch.Size([2, 8]))
    """

    def __init__(self, input_size: int, units: int, dt: float = 1.0):
        super().__init__()
        if not dt > 0:
            raise ValueError(f"dt must be positive, got {dt}")
        self.input_size, self.units, self.d_out, self.dt = input_size, units, units, float(dt)
        self.inp2hid = nn.Linear(input_size, 4 * units)
        self.hid2hid = nn.Linear(units, 3 * units)
        self.transform_z = nn.Linear(units, units)
        bound = 1.0 / math.sqrt(units)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)
        #: Use the fused sequence loop (the autograd loop of :meth:`cell` is its reference in the tests).
        self.use_fused = True

    def project_inputs(self, x):
        """``V u + b`` of every gate and update for all steps: (B, L, 4N)."""
        return self.inp2hid(x)

    def forward(self, x, dt=None, mask=None, h0=None):
        """Run a whole sequence (see :meth:`RecurrentLayer.forward`) in the fused loop (:class:`_LEMSequence`)."""
        if not self._fused_loop():
            return super().forward(x, dt=dt, mask=mask, h0=h0)
        y0, z0 = self.initial_state(x.shape[0], x.device, x.dtype) if h0 is None else tuple(h0)
        gaps = None if dt is None else self.dt * dt.to(x.dtype)
        keep = None if mask is None else mask.to(x.dtype)
        y, z = _LEMSequence.apply(self.project_inputs(x), y0, z0, gaps, keep, self.dt, self.hid2hid.weight,
                                  self.hid2hid.bias, self.transform_z.weight, self.transform_z.bias,
                                  torch.is_grad_enabled())
        return y, (y[:, -1], z)

    def cell(self, p_t, state, dt_t, ctx):
        y, z = state
        i_dtbar, i_dt, v_y, v_z = p_t.chunk(4, dim=-1)
        h_dtbar, h_dt, w_z = self.hid2hid(y).chunk(3, dim=-1)
        if dt_t is None:  # the reference's explicit steps
            dt_n = self.dt * torch.sigmoid(i_dt + h_dt)
            dtbar_n = self.dt * torch.sigmoid(i_dtbar + h_dtbar)
        else:  # exact relaxation over the observed gap: 1 - exp(-dt gap rate), always in (0, 1)
            step = self.dt * dt_t.to(y.dtype)[:, None]
            dt_n = -torch.expm1(-step * torch.sigmoid(i_dt + h_dt))
            dtbar_n = -torch.expm1(-step * torch.sigmoid(i_dtbar + h_dtbar))
        z = (1.0 - dt_n) * z + dt_n * torch.tanh(v_z + w_z)
        y = (1.0 - dtbar_n) * y + dtbar_n * torch.tanh(self.transform_z(z) + v_y)
        return y, z

    def initial_state(self, batch_size, device=None, dtype=None):
        zeros = torch.zeros(batch_size, self.units, device=device, dtype=dtype or torch.get_default_dtype())
        return zeros, zeros.clone()


class _LEMSequence(torch.autograd.Function):
    """A LEM layer over a whole sequence with a hand-written backpropagation through time.

    A padded step (``keep`` 0) is a step with both time scales 0, which carries ``(y, z)`` unchanged. The
    forward loop runs without an autograd graph and keeps every step's time scales and ``tanh`` targets; the
    derivatives of each step's update with respect to its pre-activations are then formed for all steps at once,
    so the backward costs per step two GEMMs (into ``z`` through ``W_y``, into the previous ``y`` through the
    recurrent weights) and a few elementwise products; every weight gradient is one GEMM over all ``B * L`` rows.

    Inputs: projected inputs ``p`` (B, L, 4N) (``inp2hid`` with its bias), ``y0``, ``z0`` (B, N), the scaled gaps
    ``dt * gap`` (B, L) or None (then the reference's explicit steps), ``keep`` (B, L) (1 valid, 0 padded) or None,
    the base step ``dt``, ``hid2hid``'s weight (3N, N) and bias, ``transform_z``'s weight (N, N) and bias, and
    whether grad mode was on at the call (the forward itself runs without it). Without grad mode, or when no
    input needs a gradient (a frozen layer on constant inputs), the derivatives for the backward are not formed.
    Returns the outputs ``y`` (B, L, N) and the last ``z`` (B, N).
    """

    @staticmethod
    def forward(ctx, p, y0, z0, gaps, keep, dt, w_hh, b_hh, w_y, b_y, grad_mode):
        n = y0.shape[1]
        p = p.transpose(0, 1)  # (L, B, 4N): chunks dtbar, dt, y update, z update
        length, n_batch = p.shape[:2]
        recurrent_in = torch.cat([p[..., : 2 * n], p[..., 3 * n :]], dim=-1) + b_hh  # pairs with hid2hid's chunks
        y_in = p[..., 2 * n : 3 * n] + b_y
        pre, rates, targets_y = (p.new_empty(length, n_batch, w) for w in (3 * n, 2 * n, n))
        # the states with the initial ones in row 0: rows 1.. are the steps' results, rows ..L-1 their previous states
        y_all, z_all = p.new_empty(length + 1, n_batch, n), p.new_empty(length + 1, n_batch, n)
        y_all[0], z_all[0] = y0, z0
        ys, zs = y_all[1:], z_all[1:]
        scales = None if gaps is None else gaps.t().unsqueeze(-1)  # (L, B, 1)
        keeps = None if keep is None else keep.t().unsqueeze(-1)
        if keeps is not None:  # whatever the inputs hold on padded steps (even NaN) must not reach the state
            recurrent_in, y_in = (torch.where(keeps > 0, a, 0.0) for a in (recurrent_in, y_in))
        w_hh_t, w_y_t = w_hh.t(), w_y.t()
        y, z = y0, z0
        for t in range(length):
            a = torch.addmm(recurrent_in[t], y, w_hh_t, out=pre[t])
            a[:, : 2 * n].sigmoid_()  # the two rates' sigmoids, kept for the backward
            a[:, 2 * n :].tanh_()  # the z target
            if scales is None:
                torch.mul(a[:, : 2 * n], dt, out=rates[t])
            else:
                torch.mul(a[:, : 2 * n], scales[t], out=rates[t]).neg_().expm1_().neg_()
            if keeps is not None:
                rates[t].mul_(keeps[t])
            dtbar_n, dt_n = rates[t, :, :n], rates[t, :, n:]
            z = torch.lerp(z, a[:, 2 * n :], dt_n, out=zs[t])
            target = torch.addmm(y_in[t], z, w_y_t, out=targets_y[t]).tanh_()
            y = torch.lerp(y, target, dtbar_n, out=ys[t])
        if not (grad_mode and any(ctx.needs_input_grad)):  # no backward can follow: skip the derivatives
            return ys.transpose(0, 1), z
        # d (y_t, z_t) / d pre-activations, all steps at once
        sig, target_z = pre[..., : 2 * n], pre[..., 2 * n :]
        rate_slope = sig * (1.0 - sig)  # d rate / d pre-activation = dt s (1 - s), or scale (1 - rate) s (1 - s)
        rate_slope = rate_slope * dt if scales is None else rate_slope * scales * (1.0 - rates)
        if keeps is not None:
            rate_slope = rate_slope * keeps
        y_prev, z_prev = y_all[:-1], z_all[:-1]
        coef_dtbar = (targets_y - y_prev) * rate_slope[..., :n]
        coef_dt = (target_z - z_prev) * rate_slope[..., n:]
        coef_y = rates[..., :n] * (1.0 - targets_y * targets_y)
        coef_z = rates[..., n:] * (1.0 - target_z * target_z)
        ctx.save_for_backward(y_all, zs, rates, coef_dtbar, coef_dt, coef_y, coef_z, w_hh, w_y)
        return ys.transpose(0, 1), z

    @staticmethod
    def backward(ctx, grad_y, grad_z):
        y_all, zs, rates, coef_dtbar, coef_dt, coef_y, coef_z, w_hh, w_y = ctx.saved_tensors
        length, n_batch, n = zs.shape
        d_rec = zs.new_empty(length, n_batch, 3 * n)  # d loss / d (dtbar, dt, z target) pre-activations
        d_y_pre = torch.empty_like(zs)  # d loss / d y target pre-activation
        keep_y, keep_z = 1.0 - rates[..., :n], 1.0 - rates[..., n:]
        grads = grad_y.transpose(0, 1)
        dy = grads[-1].clone()
        dz = torch.zeros_like(zs[0]) if grad_z is None else grad_z.clone()
        for t in range(length - 1, -1, -1):
            d_pre_y = torch.mul(dy, coef_y[t], out=d_y_pre[t])
            dz = torch.addmm(dz, d_pre_y, w_y)
            torch.mul(dy, coef_dtbar[t], out=d_rec[t, :, :n])
            torch.mul(dz, coef_dt[t], out=d_rec[t, :, n : 2 * n])
            torch.mul(dz, coef_z[t], out=d_rec[t, :, 2 * n :])
            dz = dz.mul_(keep_z[t])
            dy = dy.mul_(keep_y[t])
            if t:
                dy.add_(grads[t - 1])
            dy = torch.addmm(dy, d_rec[t], w_hh)
        flat = lambda a: a.reshape(-1, a.shape[-1])  # noqa: E731  (L * B, width)
        grad_w_hh, grad_b_hh = flat(d_rec).t() @ flat(y_all[:-1]), d_rec.sum((0, 1))  # y_all[:-1]: each previous y
        grad_w_y, grad_b_y = flat(d_y_pre).t() @ flat(zs), d_y_pre.sum((0, 1))
        grad_p = torch.cat([d_rec[..., : 2 * n], d_y_pre, d_rec[..., 2 * n :]], dim=-1).transpose(0, 1)
        return grad_p, dy, dz, None, None, None, grad_w_hh, grad_b_hh, grad_w_y, grad_b_y, None
