r"""Triton kernels for the fused diagonal-SSM discretize-and-scan, one SISO system per channel (S4D's
recurrent view, and every diagonal layer run with irregular gaps). Reached through
:func:`tsrnn.ops.diag_ssm_scan` with ``backend="triton"``; never import this module directly.

Per batch row ``b``, channel ``h`` and state ``n`` (complex numbers carried as real/imaginary pairs)::

    Delta   = step_h * dt_{b,t}
    a, g    = discretize(Lambda_hn, Delta)                 (ZOH, bilinear, Euler or backward Euler)
    h_t     = a h_{t-1} + g B_hn u_{b,t,h}                 (kept when mask_{b,t} is False)
    y_{b,t,h} = k sum_n Re(C_hn h_t) + D_h u_{b,t,h}

One program owns a batch row and a block of ``BLOCK_H`` channels with all their states in fp32 registers,
discretizes in registers and writes only ``y``, the final state, and the state at the start of every chunk of
``CHUNK`` steps (``(B, n_chunks, H, N, 2)``). The per-step state never reaches global memory in the forward.

Backward, chunk by chunk from the last: recompute the chunk's states from its checkpoint into a
chunk-sized scratch buffer, then walk the chunk backwards with the adjoint ``g`` of the state::

    g   += k dy_t conj(C)                    dC += k dy_t conj(h_t)        dD += dy_t u_t
    da   = g conj(h_{t-1}),  dv = g          (zero on masked steps)        g <- conj(a) g
    dLambda += conj(da/dLambda) da + conj(dg/dLambda) dgamma,  dDelta = Re(conj(da/dDelta) da + conj(dg/dDelta) dgamma)

with ``v = g B u``. Parameter gradients are summed over time in registers and written per batch row (the
caller sums over rows), the gap gradient per (row, step, channel block): no atomics, deterministic.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

METHOD_IDS = {"zoh": 0, "bilinear": 1, "euler": 2, "backward_euler": 3}
CHUNK = 64
BLOCK_H = 16


@triton.jit
def _cmul(ar, ai, br, bi):
    return ar * br - ai * bi, ar * bi + ai * br


@triton.jit
def _crecip(ar, ai):
    den = ar * ar + ai * ai
    return ar / den, -ai / den


@triton.jit
def _horner(zr, zi, c0, c1, c2, c3, c4, c5, c6):
    """``c0 + c1 z + ... + c6 z^6`` as a pair."""
    pr = zr * 0.0 + c6
    pi = zr * 0.0
    pr, pi = _cmul(pr, pi, zr, zi)
    pr += c5
    pr, pi = _cmul(pr, pi, zr, zi)
    pr += c4
    pr, pi = _cmul(pr, pi, zr, zi)
    pr += c3
    pr, pi = _cmul(pr, pi, zr, zi)
    pr += c2
    pr, pi = _cmul(pr, pi, zr, zi)
    pr += c1
    pr, pi = _cmul(pr, pi, zr, zi)
    return pr + c0, pi


@triton.jit
def _phi1(zr, zi):
    """``phi1(z) = (exp(z) - 1) / z``, ``phi1'(z)`` and ``exp(z)``; series for ``|z| < 0.2`` (no cancellation)."""
    small = zr * zr + zi * zi < 0.04
    pr, pi = _horner(zr, zi, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040)
    dr, di = _horner(zr, zi, 1.0 / 2, 1.0 / 3, 1.0 / 8, 1.0 / 30, 1.0 / 144, 1.0 / 840, 1.0 / 5760)
    mag = tl.exp(zr)
    er = mag * tl.cos(zi)
    ei = mag * tl.sin(zi)
    ir, ii = _crecip(tl.where(small, 1.0, zr), tl.where(small, 0.0, zi))
    qr, qi = _cmul(er - 1.0, ei, ir, ii)  # (e^z - 1) / z
    sr, si = _cmul(er - qr, ei - qi, ir, ii)  # (e^z - phi1) / z
    return tl.where(small, pr, qr), tl.where(small, pi, qi), tl.where(small, dr, sr), tl.where(small, di, si), er, ei


@triton.jit
def _discretize_grads(lr, li, delta, METHOD: tl.constexpr):
    """``(a, gamma, da/dLambda, da/dDelta, dgamma/dLambda, dgamma/dDelta)`` as pairs, ``delta`` broadcasting
    against ``Lambda``. ZOH: ``a = e^z``, ``gamma = Delta phi1(z)``; bilinear ``a = (1 + z/2) q``,
    ``gamma = Delta q``, ``q = 1 / (1 - z/2)``; Euler ``a = 1 + z``, ``gamma = Delta``; backward Euler
    ``a = q``, ``gamma = Delta q``, ``q = 1 / (1 - z)``; ``z = Delta Lambda``."""
    zr = delta * lr
    zi = delta * li
    zero = zr * 0.0
    if METHOD == 0:
        pr, pi, dr, di, ar, ai = _phi1(zr, zi)
        gr, gi = delta * pr, delta * pi
        alr, ali = delta * ar, delta * ai
        adr, adi = _cmul(lr, li, ar, ai)
        glr, gli = delta * delta * dr, delta * delta * di
        gdr, gdi = ar, ai
    elif METHOD == 2:
        ar, ai = 1.0 + zr, zi
        gr, gi = delta + zero, zero
        alr, ali = delta + zero, zero
        adr, adi = lr + zero, li + zero
        glr, gli = zero, zero
        gdr, gdi = zero + 1.0, zero
    else:
        half = 0.5 if METHOD == 1 else 1.0
        qr, qi = _crecip(1.0 - half * zr, -half * zi)
        if METHOD == 1:
            ar, ai = _cmul(1.0 + 0.5 * zr, 0.5 * zi, qr, qi)
        else:
            ar, ai = qr, qi
        gr, gi = delta * qr, delta * qi
        gdr, gdi = _cmul(qr, qi, qr, qi)
        alr, ali = delta * gdr, delta * gdi
        adr, adi = _cmul(lr, li, gdr, gdi)
        glr, gli = half * delta * delta * gdr, half * delta * delta * gdi
    return ar, ai, gr, gi, alr, ali, adr, adi, glr, gli, gdr, gdi


@triton.jit
def _discretize(lr, li, delta, METHOD: tl.constexpr):
    """``(a, gamma)`` as pairs (see :func:`_discretize_grads`)."""
    ar, ai, gr, gi, _, _, _, _, _, _, _, _ = _discretize_grads(lr, li, delta, METHOD)
    return ar, ai, gr, gi


@triton.jit
def _load_params(lam_ptr, b_ptr, c_ptr, step_ptr, d_ptr, hs, pidx, m2, hm, HAS_D: tl.constexpr):
    lr = tl.load(lam_ptr + 2 * pidx, mask=m2, other=-1.0)
    li = tl.load(lam_ptr + 2 * pidx + 1, mask=m2, other=0.0)
    br = tl.load(b_ptr + 2 * pidx, mask=m2, other=0.0)
    bi = tl.load(b_ptr + 2 * pidx + 1, mask=m2, other=0.0)
    cr = tl.load(c_ptr + 2 * pidx, mask=m2, other=0.0)
    ci = tl.load(c_ptr + 2 * pidx + 1, mask=m2, other=0.0)
    step = tl.load(step_ptr + hs, mask=hm, other=0.0)
    if HAS_D:
        d = tl.load(d_ptr + hs, mask=hm, other=0.0)
    else:
        d = step * 0.0
    return lr, li, br, bi, cr, ci, step, d


@triton.jit
def _step_inputs(u_ptr, dt_ptr, mask_ptr, row, t, L, H, hs, hm, step, HAS_DT: tl.constexpr, HAS_MASK: tl.constexpr):
    """Input ``u_t`` (BLOCK_H,), step ``Delta`` (BLOCK_H, 1), gap and validity of step ``t`` (scalars)."""
    u = tl.load(u_ptr + (row * L + t) * H + hs, mask=hm, other=0.0).to(tl.float32)
    if HAS_DT:
        gap = tl.load(dt_ptr + row * L + t).to(tl.float32)
    else:
        gap = 1.0
    if HAS_MASK:
        valid = tl.load(mask_ptr + row * L + t) != 0
    else:
        valid = t >= 0
    return u, (step * gap)[:, None], gap, valid


@triton.jit
def _ssm_fwd_kernel(u_ptr, dt_ptr, mask_ptr, lam_ptr, b_ptr, c_ptr, d_ptr, step_ptr, h0_ptr,
                    y_ptr, hlast_ptr, ckpt_ptr, L, H, N, n_chunks, K_OUT,
                    METHOD: tl.constexpr, HAS_D: tl.constexpr, HAS_DT: tl.constexpr, HAS_MASK: tl.constexpr,
                    HAS_H0: tl.constexpr, REVERSE: tl.constexpr, CHUNK: tl.constexpr,
                    BLOCK_H: tl.constexpr, BLOCK_N: tl.constexpr):
    row = tl.program_id(0)
    hs = tl.program_id(1) * BLOCK_H + tl.arange(0, BLOCK_H)
    ns = tl.arange(0, BLOCK_N)
    hm = hs < H
    m2 = hm[:, None] & (ns < N)[None, :]
    pidx = hs[:, None] * N + ns[None, :]
    lr, li, br, bi, cr, ci, step, d = _load_params(lam_ptr, b_ptr, c_ptr, step_ptr, d_ptr, hs, pidx, m2, hm, HAS_D)
    if HAS_H0:
        h_re = tl.load(h0_ptr + 2 * (row * H * N + pidx), mask=m2, other=0.0).to(tl.float32)
        h_im = tl.load(h0_ptr + 2 * (row * H * N + pidx) + 1, mask=m2, other=0.0).to(tl.float32)
    else:
        h_re = tl.zeros([BLOCK_H, BLOCK_N], dtype=tl.float32)
        h_im = tl.zeros([BLOCK_H, BLOCK_N], dtype=tl.float32)
    for c in range(0, n_chunks):
        base = 2 * ((row * n_chunks + c) * H * N + pidx)
        tl.store(ckpt_ptr + base, h_re, mask=m2)
        tl.store(ckpt_ptr + base + 1, h_im, mask=m2)
        for i in range(c * CHUNK, tl.minimum(L, (c + 1) * CHUNK)):
            t = L - 1 - i if REVERSE else i
            u, delta, _, valid = _step_inputs(u_ptr, dt_ptr, mask_ptr, row, t, L, H, hs, hm, step, HAS_DT, HAS_MASK)
            ar, ai, gr, gi = _discretize(lr, li, delta, METHOD)
            wr, wi = _cmul(gr, gi, br, bi)
            nr, ni = _cmul(ar, ai, h_re, h_im)
            h_re = tl.where(valid, nr + wr * u[:, None], h_re)
            h_im = tl.where(valid, ni + wi * u[:, None], h_im)
            y = K_OUT * tl.sum(tl.where(m2, cr * h_re - ci * h_im, 0.0), axis=1) + d * u
            tl.store(y_ptr + (row * L + t) * H + hs, y.to(y_ptr.dtype.element_ty), mask=hm)
    tl.store(hlast_ptr + 2 * (row * H * N + pidx), h_re, mask=m2)
    tl.store(hlast_ptr + 2 * (row * H * N + pidx) + 1, h_im, mask=m2)


@triton.jit
def _ssm_bwd_kernel(u_ptr, dt_ptr, mask_ptr, lam_ptr, b_ptr, c_ptr, d_ptr, step_ptr, ckpt_ptr, scratch_ptr,
                    dy_ptr, dhlast_ptr, du_ptr, ddt_ptr, dlam_ptr, db_ptr, dc_ptr, dd_ptr, dstep_ptr, dh0_ptr,
                    L, H, N, n_chunks, n_hblocks, K_OUT,
                    METHOD: tl.constexpr, HAS_D: tl.constexpr, HAS_DT: tl.constexpr, HAS_MASK: tl.constexpr,
                    REVERSE: tl.constexpr, CHUNK: tl.constexpr, BLOCK_H: tl.constexpr, BLOCK_N: tl.constexpr):
    row = tl.program_id(0)
    hb = tl.program_id(1)
    hs = hb * BLOCK_H + tl.arange(0, BLOCK_H)
    ns = tl.arange(0, BLOCK_N)
    hm = hs < H
    m2 = hm[:, None] & (ns < N)[None, :]
    pidx = hs[:, None] * N + ns[None, :]
    tile = tl.arange(0, BLOCK_H)[:, None] * BLOCK_N + ns[None, :]
    scratch = scratch_ptr + 2 * (row * n_hblocks + hb) * CHUNK * BLOCK_H * BLOCK_N
    lr, li, br, bi, cr, ci, step, d = _load_params(lam_ptr, b_ptr, c_ptr, step_ptr, d_ptr, hs, pidx, m2, hm, HAS_D)
    g_re = tl.load(dhlast_ptr + 2 * (row * H * N + pidx), mask=m2, other=0.0)
    g_im = tl.load(dhlast_ptr + 2 * (row * H * N + pidx) + 1, mask=m2, other=0.0)
    dlr = tl.zeros([BLOCK_H, BLOCK_N], dtype=tl.float32)
    dli = tl.zeros([BLOCK_H, BLOCK_N], dtype=tl.float32)
    dbr = tl.zeros([BLOCK_H, BLOCK_N], dtype=tl.float32)
    dbi = tl.zeros([BLOCK_H, BLOCK_N], dtype=tl.float32)
    dcr = tl.zeros([BLOCK_H, BLOCK_N], dtype=tl.float32)
    dci = tl.zeros([BLOCK_H, BLOCK_N], dtype=tl.float32)
    dd = tl.zeros([BLOCK_H], dtype=tl.float32)
    dstep = tl.zeros([BLOCK_H], dtype=tl.float32)
    for cc in range(0, n_chunks):
        c = n_chunks - 1 - cc
        start = c * CHUNK
        stop = tl.minimum(L, start + CHUNK)
        base = 2 * ((row * n_chunks + c) * H * N + pidx)
        p0_re = tl.load(ckpt_ptr + base, mask=m2, other=0.0)
        p0_im = tl.load(ckpt_ptr + base + 1, mask=m2, other=0.0)
        # recompute this chunk's states into the scratch buffer
        h_re = p0_re
        h_im = p0_im
        for i in range(start, stop):
            t = L - 1 - i if REVERSE else i
            u, delta, _, valid = _step_inputs(u_ptr, dt_ptr, mask_ptr, row, t, L, H, hs, hm, step, HAS_DT, HAS_MASK)
            ar, ai, gr, gi = _discretize(lr, li, delta, METHOD)
            wr, wi = _cmul(gr, gi, br, bi)
            nr, ni = _cmul(ar, ai, h_re, h_im)
            h_re = tl.where(valid, nr + wr * u[:, None], h_re)
            h_im = tl.where(valid, ni + wi * u[:, None], h_im)
            off = 2 * ((i - start) * BLOCK_H * BLOCK_N + tile)
            tl.store(scratch + off, h_re)
            tl.store(scratch + off + 1, h_im)
        tl.debug_barrier()
        for j in range(0, stop - start):
            i = stop - 1 - j
            t = L - 1 - i if REVERSE else i
            u, delta, gap, valid = _step_inputs(u_ptr, dt_ptr, mask_ptr, row, t, L, H, hs, hm, step, HAS_DT, HAS_MASK)
            off = 2 * ((i - start) * BLOCK_H * BLOCK_N + tile)
            h_re = tl.load(scratch + off)
            h_im = tl.load(scratch + off + 1)
            has_prev = (tile * 0 + i) > start  # a tensor in compiled and interpreted mode alike
            poff = off - 2 * BLOCK_H * BLOCK_N
            q_re = tl.load(scratch + poff, mask=has_prev, other=0.0)
            q_im = tl.load(scratch + poff + 1, mask=has_prev, other=0.0)
            q_re = tl.where(has_prev, q_re, p0_re)
            q_im = tl.where(has_prev, q_im, p0_im)
            dy = tl.load(dy_ptr + (row * L + t) * H + hs, mask=hm, other=0.0).to(tl.float32)
            # readout y = k Re(C h) + D u
            kdy = K_OUT * dy[:, None]
            g_re += kdy * cr
            g_im -= kdy * ci
            dcr += kdy * h_re
            dci -= kdy * h_im
            dd += dy * u
            # the step h = a h_prev + gamma B u (skipped when masked)
            ar, ai, gr, gi, alr, ali, adr, adi, glr, gli, gdr, gdi = _discretize_grads(lr, li, delta, METHOD)
            da_re, da_im = _cmul(g_re, g_im, q_re, -q_im)
            da_re = tl.where(valid, da_re, 0.0)
            da_im = tl.where(valid, da_im, 0.0)
            dv_re = tl.where(valid, g_re, 0.0)
            dv_im = tl.where(valid, g_im, 0.0)
            bu_re = br * u[:, None]
            bu_im = bi * u[:, None]
            dg_re, dg_im = _cmul(dv_re, dv_im, bu_re, -bu_im)  # dgamma = dv conj(B u)
            t_re, t_im = _cmul(dv_re, dv_im, gr, -gi)  # dv conj(gamma)
            dbr += t_re * u[:, None]
            dbi += t_im * u[:, None]
            wr, wi = _cmul(gr, gi, br, bi)
            du = d * dy + tl.sum(tl.where(m2, dv_re * wr + dv_im * wi, 0.0), axis=1)
            tl.store(du_ptr + (row * L + t) * H + hs, du, mask=hm)
            x_re, x_im = _cmul(alr, -ali, da_re, da_im)
            y_re, y_im = _cmul(glr, -gli, dg_re, dg_im)
            dlr += x_re + y_re
            dli += x_im + y_im
            ddelta = tl.sum(tl.where(m2, adr * da_re + adi * da_im + gdr * dg_re + gdi * dg_im, 0.0), axis=1)
            dstep += ddelta * gap
            if HAS_DT:
                part = tl.sum(tl.where(hm, ddelta * step, 0.0), axis=0)
                tl.store(ddt_ptr + (row * L + t) * n_hblocks + hb, part)
            # g <- conj(a) g on valid steps
            n_re, n_im = _cmul(ar, -ai, g_re, g_im)
            g_re = tl.where(valid, n_re, g_re)
            g_im = tl.where(valid, n_im, g_im)
        tl.debug_barrier()
    out = 2 * (row * H * N + pidx)
    tl.store(dh0_ptr + out, g_re, mask=m2)
    tl.store(dh0_ptr + out + 1, g_im, mask=m2)
    tl.store(dlam_ptr + out, dlr, mask=m2)
    tl.store(dlam_ptr + out + 1, dli, mask=m2)
    tl.store(db_ptr + out, dbr, mask=m2)
    tl.store(db_ptr + out + 1, dbi, mask=m2)
    tl.store(dc_ptr + out, dcr, mask=m2)
    tl.store(dc_ptr + out + 1, dci, mask=m2)
    tl.store(dd_ptr + row * H + hs, dd, mask=hm)
    tl.store(dstep_ptr + row * H + hs, dstep, mask=hm)


class TritonDiagSSMScanFn(torch.autograd.Function):
    """``(y, h_last) = diag_ssm_scan`` for SISO-per-channel systems.

    Inputs: ``u`` (B, L, H); ``Lambda``, ``B``, ``C`` real views (H, N, 2) fp32; ``D`` (H,) or None; ``step``
    (H,); ``dt`` (B, L) or None; ``mask`` (B, L) bool or None; ``h0`` real view (B, H, N, 2) or None.
    Returns ``y`` (B, L, H) in ``u``'s dtype and ``h_last`` (B, H, N, 2) fp32.
    """

    @staticmethod
    def forward(ctx, u, lam, B, C, D, step, dt, mask, h0, method, k_out, reverse):
        u = u.contiguous()
        n_batch, length, H = u.shape
        N = lam.shape[1]
        n_chunks = triton.cdiv(length, CHUNK)
        lam, B, C, step = (x.contiguous().float() for x in (lam, B, C, step))
        Dc = None if D is None else D.contiguous().float()
        dtc = None if dt is None else dt.contiguous().float()
        maskc = None if mask is None else mask.contiguous().to(torch.int8)
        y = torch.empty_like(u)
        h_last = u.new_empty(n_batch, H, N, 2, dtype=torch.float32)
        ckpt = u.new_empty(n_batch, n_chunks, H, N, 2, dtype=torch.float32)
        h0c = None if h0 is None else h0.contiguous().float()
        grid = (n_batch, triton.cdiv(H, BLOCK_H))
        _ssm_fwd_kernel[grid](u, _or(dtc, u), _or(maskc, u), lam, B, C, _or(Dc, step), step, _or(h0c, h_last),
                              y, h_last, ckpt, length, H, N, n_chunks, k_out,
                              METHOD=METHOD_IDS[method], HAS_D=D is not None, HAS_DT=dt is not None,
                              HAS_MASK=mask is not None, HAS_H0=h0 is not None, REVERSE=reverse, CHUNK=CHUNK,
                              BLOCK_H=BLOCK_H, BLOCK_N=triton.next_power_of_2(N))
        ctx.save_for_backward(u, lam, B, C, Dc, step, dtc, maskc, ckpt)
        ctx.config = (method, k_out, reverse, h0 is not None)
        return y, h_last

    @staticmethod
    def backward(ctx, grad_y, grad_h_last):
        u, lam, B, C, D, step, dt, mask, ckpt = ctx.saved_tensors
        method, k_out, reverse, has_h0 = ctx.config
        n_batch, length, H = u.shape
        N, n_chunks = lam.shape[1], ckpt.shape[1]
        block_n = triton.next_power_of_2(N)
        n_hblocks = triton.cdiv(H, BLOCK_H)
        grad_y = (torch.zeros_like(u) if grad_y is None else grad_y).contiguous()
        grad_h_last = (u.new_zeros(n_batch, H, N, 2, dtype=torch.float32) if grad_h_last is None
                       else grad_h_last.contiguous().float())
        f32 = dict(dtype=torch.float32, device=u.device)
        scratch = torch.empty(n_batch, n_hblocks, CHUNK, BLOCK_H, block_n, 2, **f32)
        du = torch.empty(n_batch, length, H, **f32)
        ddt = torch.zeros(n_batch, length, n_hblocks, **f32)
        dlam, dB, dC, dh0 = (torch.empty(n_batch, H, N, 2, **f32) for _ in range(4))
        dD, dstep = torch.empty(n_batch, H, **f32), torch.empty(n_batch, H, **f32)
        _ssm_bwd_kernel[(n_batch, n_hblocks)](
            u, _or(dt, u), _or(mask, u), lam, B, C, _or(D, step), step, ckpt, scratch, grad_y, grad_h_last,
            du, ddt, dlam, dB, dC, dD, dstep, dh0, length, H, N, n_chunks, n_hblocks, k_out,
            METHOD=METHOD_IDS[method], HAS_D=D is not None, HAS_DT=dt is not None, HAS_MASK=mask is not None,
            REVERSE=reverse, CHUNK=CHUNK, BLOCK_H=BLOCK_H, BLOCK_N=block_n)
        need = ctx.needs_input_grad
        return (du.to(u.dtype), dlam.sum(0) if need[1] else None, dB.sum(0) if need[2] else None,
                dC.sum(0) if need[3] else None, dD.sum(0) if D is not None and need[4] else None,
                dstep.sum(0) if need[5] else None, ddt.sum(-1) if dt is not None and need[6] else None, None,
                dh0 if has_h0 else None, None, None, None)


def _or(x, fallback):
    """A valid pointer for Triton when an optional input is absent (the kernel never reads it)."""
    return fallback if x is None else x
