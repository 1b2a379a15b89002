r"""S4's diagonal-plus-low-rank (DPLR) convolution kernel (Gu, Goel, Ré, ICLR 2022).

For ``A = diag(Lambda) - P P^*`` (rank 1), bilinear discretization with step ``Delta`` and the truncated
generating function of the kernel at the ``L``-th roots of unity ``omega_k = exp(-2 pi i k / L)``::

    K^(omega) = sum_{l<L} C A_bar^l B_bar omega^l = C~ (I - A_bar omega)^{-1} B_bar,   C~ = C (I - A_bar^L)
              = 2 / (1 + omega) * C~ (g(omega) I - A)^{-1} B,    g(omega) = (2 / Delta) (1 - omega) / (1 + omega)

and, with ``R = diag(1 / (g - Lambda))`` (Woodbury),
``C~ (gI - A)^{-1} B = k_CB - k_CP k_PB / (1 + k_PP)`` where every ``k_ab = sum_n a_n b_n / (g - lambda_n)``
is a Cauchy kernel. At ``omega = -1`` the closed form ``K^(-1) = (Delta / 2) C~ B`` is used. The kernel is
``irfft(K^)``. Vectors are over the full (conjugate-closed) state: callers pass both halves.
"""

from __future__ import annotations

import math

import torch

from tsrnn.ops._dispatch import resolve_backend

#: Evaluation nodes per chunk in the torch Cauchy kernel (bounds the (..., N, nodes) temporaries).
CAUCHY_CHUNK = 128


def cauchy_ref(v: torch.Tensor, z: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Reference Cauchy kernel: a loop over the poles ``n``.

    Parameters
    ----------
    v : Tensor, shape (..., H, N), complex
        Numerators.
    z : Tensor, shape (H, M), complex
        Evaluation nodes (per channel).
    w : Tensor, shape (H, N), complex
        Poles.

    Returns
    -------
    Tensor, shape (..., H, M): ``sum_n v[..., n] / (z - w[n])``
    """
    out = 0
    for n in range(w.shape[-1]):
        out = out + v[..., n : n + 1] / (z - w[:, n : n + 1])
    return out


def _reciprocal(d: torch.Tensor) -> torch.Tensor:
    """``1 / d`` for complex ``d`` as ``conj(d) / |d|^2`` (real division: faster than complex division)."""
    return d.conj() / (d.real.square() + d.imag.square())


class _CauchyFn(torch.autograd.Function):
    """Chunked over the nodes; the backward recomputes ``1 / (z - w)`` instead of storing it."""

    @staticmethod
    def forward(ctx, v, z, w):
        out = torch.empty(*v.shape[:-1], z.shape[-1], dtype=torch.promote_types(v.dtype, z.dtype), device=v.device)
        for s in range(0, z.shape[-1], CAUCHY_CHUNK):
            r = _reciprocal(z[:, None, s : s + CAUCHY_CHUNK] - w[..., None])  # (H, N, m)
            out[..., s : s + CAUCHY_CHUNK] = torch.einsum("...hn,hnm->...hm", v, r)
        ctx.save_for_backward(v, z, w)
        return out

    @staticmethod
    def backward(ctx, grad):
        v, z, w = ctx.saved_tensors
        gv = torch.zeros_like(v) if ctx.needs_input_grad[0] else None
        gw = torch.zeros_like(w) if ctx.needs_input_grad[2] else None
        gz = torch.zeros_like(z) if ctx.needs_input_grad[1] else None
        v_flat = v.reshape(-1, *w.shape).conj()  # (K, H, N)
        for s in range(0, z.shape[-1], CAUCHY_CHUNK):
            r = _reciprocal(z[:, None, s : s + CAUCHY_CHUNK] - w[..., None]).conj()  # (H, N, m)
            g = grad[..., s : s + CAUCHY_CHUNK]
            if gv is not None:
                gv += torch.einsum("...hm,hnm->...hn", g, r)
            if gw is not None or gz is not None:
                # d out / d w = v r^2: contract the numerators with the incoming gradient first (a GEMM).
                vg = torch.einsum("khn,khm->hnm", v_flat, g.reshape(-1, *g.shape[-2:]))
                vr2 = vg * r * r
                if gw is not None:
                    gw += vr2.sum(-1)
                if gz is not None:
                    gz[:, s : s + CAUCHY_CHUNK] -= vr2.sum(1)
        return gv, gz, gw


def cauchy(v: torch.Tensor, z: torch.Tensor, w: torch.Tensor, backend: str = "auto") -> torch.Tensor:
    """Cauchy kernel ``k(z) = sum_n v_n / (z - w_n)`` per channel, for several numerators at once.

    Parameters
    ----------
    v : Tensor, shape (..., H, N), complex
    z : Tensor, shape (H, M), complex
    w : Tensor, shape (H, N), complex
    backend : {"auto", "reference", "torch", "triton"}

    Returns
    -------
    Tensor, shape (..., H, M)

    Examples
    --------
    >>> import torch
    >>> k = cauchy(torch.ones(1, 2, dtype=torch.cdouble), torch.tensor([[2.0 + 0j]]), torch.tensor([[0j, 1 + 0j]]))
    >>> k.real.tolist()
    [[1.5]]
    """
    if z.shape[0] != w.shape[0] or v.shape[-2:] != w.shape:
        raise ValueError(f"v (..., H, N), z (H, M) and w (H, N) disagree: {tuple(v.shape)}, {tuple(z.shape)}, "
                         f"{tuple(w.shape)}")
    dtype = torch.promote_types(torch.promote_types(v.dtype, z.dtype), w.dtype)
    v, z, w = v.to(dtype), z.to(dtype), w.to(dtype)
    if resolve_backend(backend, op="cauchy") == "reference":
        return cauchy_ref(v, z, w)
    return _CauchyFn.apply(v, z, w)


def dplr_kernel(Lambda, P, B, C_tilde, step, length, backend="auto"):
    """S4 convolution kernel of length ``length`` from DPLR parameters (bilinear discretization).

    Parameters
    ----------
    Lambda : Tensor, shape (H, N), complex
        Diagonal part (full conjugate-closed spectrum).
    P : Tensor, shape (H, N), complex
        Rank-1 factor: ``A = diag(Lambda) - P P^*``.
    B : Tensor, shape (H, N), complex
    C_tilde : Tensor, shape (H, N), complex
        ``C (I - A_bar^L)`` for this ``L = length``.
    step : Tensor, shape (H,), real
    length : int
    backend : {"auto", "reference", "torch", "triton"}
        Backend of the Cauchy kernels.

    Returns
    -------
    K : Tensor, shape (H, length), real
    """
    H = Lambda.shape[0]
    n_nodes = length // 2 + 1
    k = torch.arange(n_nodes, device=Lambda.device, dtype=step.dtype)
    omega = torch.polar(torch.ones_like(k), -2 * math.pi * k / length)  # (M,)
    nyquist = (length % 2 == 0)
    reg = omega[:-1] if nyquist else omega  # nodes with omega != -1
    g = (2.0 / step[:, None]) * (1 - reg) / (1 + reg)  # (H, M')
    Pc = P.conj()
    numerators = torch.stack([C_tilde * B, C_tilde * P, Pc * B, Pc * P])  # (4, H, N)
    k00, k01, k10, k11 = cauchy(numerators, g.to(Lambda.dtype), Lambda, backend)
    K_hat = 2.0 / (1 + reg) * (k00 - k01 * k10 / (1 + k11))
    if nyquist:
        K_hat = torch.cat([K_hat, (0.5 * step * (C_tilde * B).sum(-1))[:, None].to(K_hat.dtype)], dim=-1)
    return torch.fft.irfft(K_hat, n=length).reshape(H, length)


def dplr_dense(Lambda, P, B, step):
    """Dense bilinear discretization of ``A = diag(Lambda) - P P^*``: ``(A_bar (H, N, N), B_bar (H, N))``."""
    N = Lambda.shape[-1]
    eye = torch.eye(N, dtype=Lambda.dtype, device=Lambda.device)
    A = torch.diag_embed(Lambda) - P[..., :, None] * P.conj()[..., None, :]
    half = (0.5 * step)[:, None, None].to(Lambda.dtype)
    left = eye - half * A
    A_bar = torch.linalg.solve(left, eye + half * A)
    B_bar = torch.linalg.solve(left, step[:, None].to(Lambda.dtype) * B)
    return A_bar, B_bar
