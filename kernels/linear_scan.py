r"""Triton kernels for the generic linear recurrence ``h_t = a_t * h_{t-1} + b_t`` (reached through
:func:`tsrnn.ops.linear_scan` with ``backend="triton"``; never import this module directly).

Layout: ``a``, ``b``, ``h`` are ``(B, L, S)`` real tensors; complex tensors are passed as their real view
``(B, L, S, 2)`` (real/imaginary pairs, Triton has no complex dtype) with ``COMPLEX=True``. Each program owns
one batch row and a block of ``BLOCK_S`` state channels and walks the sequence with its state in fp32
registers (the fused-recurrent pattern of flash-linear-attention): inputs may be fp32, fp16 or bf16.
``lengths`` gives per-row valid lengths; steps past a row's length carry the state unchanged.

Backward: ``g_t = dh_t + conj(a_next) g_next`` walked in the opposite direction, ``db_t = g_t``,
``da_t = g_t conj(h_prev)`` and ``dh0 = conj(a_first) g_first``, with ``a = 1``, ``b = 0`` on padded steps.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl


@triton.jit
def _load_pair(ptr, offs, mask, COMPLEX: tl.constexpr):
    if COMPLEX:
        re = tl.load(ptr + 2 * offs, mask=mask, other=0.0).to(tl.float32)
        im = tl.load(ptr + 2 * offs + 1, mask=mask, other=0.0).to(tl.float32)
    else:
        re = tl.load(ptr + offs, mask=mask, other=0.0).to(tl.float32)
        im = re * 0.0
    return re, im


@triton.jit
def _store_pair(ptr, offs, re, im, mask, COMPLEX: tl.constexpr):
    if COMPLEX:
        tl.store(ptr + 2 * offs, re.to(ptr.dtype.element_ty), mask=mask)
        tl.store(ptr + 2 * offs + 1, im.to(ptr.dtype.element_ty), mask=mask)
    else:
        tl.store(ptr + offs, re.to(ptr.dtype.element_ty), mask=mask)


@triton.jit
def _scan_fwd_kernel(a_ptr, b_ptr, h0_ptr, len_ptr, h_ptr, L, S,
                     HAS_H0: tl.constexpr, REVERSE: tl.constexpr, COMPLEX: tl.constexpr, BLOCK_S: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.program_id(1) * BLOCK_S + tl.arange(0, BLOCK_S)
    cmask = cols < S
    length = tl.load(len_ptr + row)
    if HAS_H0:
        h_re, h_im = _load_pair(h0_ptr, row * S + cols, cmask, COMPLEX)
    else:
        h_re = tl.zeros([BLOCK_S], dtype=tl.float32)
        h_im = tl.zeros([BLOCK_S], dtype=tl.float32)
    for i in range(0, L):
        t = L - 1 - i if REVERSE else i
        offs = (row * L + t) * S + cols
        a_re, a_im = _load_pair(a_ptr, offs, cmask, COMPLEX)
        b_re, b_im = _load_pair(b_ptr, offs, cmask, COMPLEX)
        valid = t < length
        new_re = a_re * h_re - a_im * h_im + b_re
        new_im = a_re * h_im + a_im * h_re + b_im
        h_re = tl.where(valid, new_re, h_re)
        h_im = tl.where(valid, new_im, h_im)
        _store_pair(h_ptr, offs, h_re, h_im, cmask, COMPLEX)


@triton.jit
def _scan_bwd_kernel(a_ptr, h_ptr, h0_ptr, len_ptr, dh_ptr, da_ptr, db_ptr, dh0_ptr, L, S,
                     HAS_H0: tl.constexpr, REVERSE: tl.constexpr, COMPLEX: tl.constexpr, BLOCK_S: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.program_id(1) * BLOCK_S + tl.arange(0, BLOCK_S)
    cmask = cols < S
    length = tl.load(len_ptr + row)
    g_re = tl.zeros([BLOCK_S], dtype=tl.float32)
    g_im = tl.zeros([BLOCK_S], dtype=tl.float32)
    an_re = tl.zeros([BLOCK_S], dtype=tl.float32)  # effective a of the step after t (forward order)
    an_im = tl.zeros([BLOCK_S], dtype=tl.float32)
    for i in range(0, L):
        t = i if REVERSE else L - 1 - i  # walk opposite to the forward direction
        offs = (row * L + t) * S + cols
        valid = t < length
        d_re, d_im = _load_pair(dh_ptr, offs, cmask, COMPLEX)
        # g_t = dh_t + conj(a_next) g_next, with a = 1 (and b = 0) on padded steps
        carry_re = an_re * g_re + an_im * g_im
        carry_im = an_re * g_im - an_im * g_re
        g_re = d_re + carry_re
        g_im = d_im + carry_im
        a_re, a_im = _load_pair(a_ptr, offs, cmask, COMPLEX)
        an_re = tl.where(valid, a_re, 1.0)
        an_im = tl.where(valid, a_im, 0.0)
        # h_prev: the state before step t in forward order
        t_vec = cols * 0 + t  # a tensor in compiled and interpreted mode alike
        if REVERSE:
            has_prev = t_vec + 1 < L
            prev_offs = offs + S
        else:
            has_prev = t_vec > 0
            prev_offs = offs - S
        p_re, p_im = _load_pair(h_ptr, prev_offs, cmask & has_prev, COMPLEX)
        if HAS_H0:
            q_re, q_im = _load_pair(h0_ptr, row * S + cols, cmask, COMPLEX)
            p_re = tl.where(has_prev, p_re, q_re)
            p_im = tl.where(has_prev, p_im, q_im)
        zero = g_re * 0.0
        _store_pair(db_ptr, offs, tl.where(valid, g_re, zero), tl.where(valid, g_im, zero), cmask, COMPLEX)
        da_re = g_re * p_re + g_im * p_im
        da_im = g_im * p_re - g_re * p_im
        _store_pair(da_ptr, offs, tl.where(valid, da_re, zero), tl.where(valid, da_im, zero), cmask, COMPLEX)
    if HAS_H0:
        # dh0 = conj(a_first) g_first (the first valid step in forward order)
        _store_pair(dh0_ptr, row * S + cols, an_re * g_re + an_im * g_im, an_re * g_im - an_im * g_re, cmask, COMPLEX)


def _real_view(x: torch.Tensor) -> torch.Tensor:
    return torch.view_as_real(x) if x.is_complex() else x


BLOCK_S = 32


class TritonLinearScanFn(torch.autograd.Function):
    """``h = scan(a, b, h0)`` on (B, L, S) tensors with per-row ``lengths`` (int32, (B,))."""

    @staticmethod
    def forward(ctx, a, b, h0, lengths, reverse):
        a, b = a.contiguous(), b.contiguous()
        n_batch, length, width = b.shape
        h = torch.empty_like(b)
        grid = (n_batch, triton.cdiv(width, BLOCK_S))
        h0c = None if h0 is None else h0.contiguous()
        _scan_fwd_kernel[grid](_real_view(a), _real_view(b), _real_view(h0c if h0c is not None else b), lengths,
                               _real_view(h), length, width, HAS_H0=h0 is not None, REVERSE=reverse,
                               COMPLEX=b.is_complex(), BLOCK_S=BLOCK_S)
        ctx.save_for_backward(a, h, h0c, lengths)
        ctx.reverse = reverse
        return h

    @staticmethod
    def backward(ctx, grad_h):
        a, h, h0, lengths = ctx.saved_tensors
        grad_h = grad_h.contiguous()
        n_batch, length, width = h.shape
        da, db = torch.empty_like(a), torch.empty_like(h)
        dh0 = None if h0 is None else torch.empty_like(h0)
        grid = (n_batch, triton.cdiv(width, BLOCK_S))
        _scan_bwd_kernel[grid](_real_view(a), _real_view(h), _real_view(h0 if h0 is not None else h), lengths,
                               _real_view(grad_h), _real_view(da), _real_view(db),
                               _real_view(dh0 if dh0 is not None else h), length, width, HAS_H0=h0 is not None,
                               REVERSE=ctx.reverse, COMPLEX=h.is_complex(), BLOCK_S=BLOCK_S)
        return da, db, dh0, None, None
