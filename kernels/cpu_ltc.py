"""Compiled CPU kernel of the fused LTC solver (``cpu_ltc.c``), reached through :class:`tsrnn.nn.ltc.LTC` (its
``"fused"`` solver: over whole sequences, or with mixed memory one step per call) for CPU tensors when a C
compiler is present.

Why compiled: the solver's cost is the N x N synapse activations of every solver step (``B * L * ode_unfolds *
N^2`` logistic functions forward, the same again in the backward, which recomputes them). In torch each of
those passes writes and reads an (N, B, N) tensor several times and runs one op at a time; the C kernel
computes each activation once per pass in SIMD registers and sums it straight into the step's numerator,
denominator and weight gradients. It is built with ``-march=native`` where the compiler accepts it (cached per
CPU type), else for the baseline instruction set.
"""

from __future__ import annotations

import ctypes
from functools import lru_cache
from pathlib import Path

import torch
from tsrnn.kernels.cpu import FLAGS, _ptr, build, runnable

SOURCES = (Path(__file__).with_name("cpu_ltc.c"), Path(__file__).with_name("cpu_ltc_impl.h"))
#: -fno-trapping-math lets the logistic function's clamps vectorize (selects; NaN still propagates);
#: -ffp-contract=fast fuses its multiply-adds.
LTC_FLAGS = (*FLAGS, "-fno-trapping-math", "-ffp-contract=fast")
VARIANTS = (("-march=native", "-fopenmp"), ("-fopenmp",), ())
SUFFIXES = {torch.float32: "f32", torch.float64: "f64"}


@lru_cache(maxsize=1)
def load():
    """The compiled LTC library (ctypes), or None when no C compiler is available."""
    lib = build(SOURCES, LTC_FLAGS, VARIANTS)
    if lib is None:
        return None
    p, i64, i32 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int
    for suffix, real in (("f32", ctypes.c_float), ("f64", ctypes.c_double)):
        getattr(lib, f"ltc_fwd_{suffix}").argtypes = [p] * 18 + [i64] * 4 + [i32, real, i32]
        getattr(lib, f"ltc_bwd_{suffix}").argtypes = [p] * 28 + [i64] * 4 + [i32, i64, i32]
    return lib


def supports(*tensors: torch.Tensor | None) -> bool:
    """Whether the kernel can run these tensors: CPU, all float32 or all float64, a compiler present, and not
    while torch.compile / torch.export trace the layer."""
    return runnable(tensors, SUFFIXES, load)


class CpuFusedLTCFn(torch.autograd.Function):
    """The fused LTC solver over a whole sequence, sensory synapses included (see ``cpu_ltc_impl.h`` for the
    equations and the backward).

    Inputs: the mapped inputs ``u`` (B, L, M), ``v0`` (B, N), gaps ``dt`` (B, L) or None, ``mask`` (B, L) bool
    or None; the sensory synapses ``W E``, ``W``, ``sigma``, ``-sigma mu``, each (M, N) (source, target); the
    recurrent ones, each (N, N); ``cm``, ``gleak``, ``leak = gleak * vleak`` (N,); ``unfolds``, ``epsilon``;
    ``grad_mode`` (whether a backward can follow: if not, the forward keeps nothing for it). Returns the
    potentials after every step, (B, L, N). Only the gaps and the mask get no gradient.
    """

    @staticmethod
    def forward(ctx, u, v0, dt, mask, swe, sw, ssig, snsm, we, w, sig, nsm, cm, gleak, leak, unfolds, eps, grad_mode):
        weights = tuple(x.contiguous() for x in (swe, sw, ssig, snsm, we, w, sig, nsm, cm, gleak, leak))
        u, v0 = u.contiguous(), v0.contiguous()
        dt = None if dt is None else dt.to(u.dtype).contiguous()
        mask = None if mask is None else mask.to(torch.uint8).contiguous()
        n_batch, length, n_in = u.shape
        n = v0.shape[1]
        train = grad_mode and any(ctx.needs_input_grad)
        pot = u.new_empty(n_batch, length, unfolds + 1, n) if train else None
        inv_den = u.new_empty(n_batch, length, unfolds, n) if train else None
        y = u.new_empty(n_batch, length, n)
        failed = getattr(load(), f"ltc_fwd_{SUFFIXES[u.dtype]}")(
            *(_ptr(x) for x in (u, v0, dt, mask, *weights, y, pot, inv_den)), n_batch, length, n_in, n, unfolds, eps,
            torch.get_num_threads())
        if failed:
            raise MemoryError("LTC (cpu kernel): could not allocate a row's scratch")
        ctx.save_for_backward(u, dt, mask, *weights[:9], pot, inv_den)
        ctx.unfolds = unfolds
        return y

    @staticmethod
    def backward(ctx, grad_y):
        u, dt, mask, *weights, pot, inv_den = ctx.saved_tensors
        n_batch, length, _, n = pot.shape
        n_in = u.shape[2]
        threads = torch.get_num_threads()
        n_blocks = min(threads, n_batch)
        du, dv0 = torch.empty_like(u), grad_y.new_empty(n_batch, n)
        d_sensory = u.new_zeros(4, n_blocks, n_in, n)  # W E, W, sigma, -sigma mu
        d_synapses = u.new_zeros(4, n_blocks, n, n)
        d_vectors = u.new_zeros(3, n_blocks, n)  # cm, gleak, leak
        failed = getattr(load(), f"ltc_bwd_{SUFFIXES[u.dtype]}")(
            *(_ptr(x) for x in (grad_y.contiguous(), u, dt, mask, *weights, pot, inv_den, du, dv0, *d_sensory,
                                *d_synapses, *d_vectors)),
            n_batch, length, n_in, n, ctx.unfolds, n_blocks, threads)
        if failed:
            raise MemoryError("LTC (cpu kernel): could not allocate a block's scratch")
        return (du, dv0, None, None, *d_sensory.sum(1), *d_synapses.sum(1), *d_vectors.sum(1), None, None, None)
