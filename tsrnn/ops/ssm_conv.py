r"""Convolution view of linear time-invariant SSMs: kernels and causal FFT convolution.

An LTI system ``h_l = A_bar h_{l-1} + B_bar u_l``, ``y_l = C h_l + D u_l`` is the causal convolution
``y = K * u + D u`` with ``K_l = C A_bar^l B_bar`` (``l = 0..L-1``). For a diagonal (S4D) system per channel

    K_{h,l} = k Re sum_n C_{hn} gamma_{hn} B_{hn} lambda_bar_{hn}^l        (Vandermonde kernel)

with ``(lambda_bar, gamma)`` from :func:`tsrnn.ops.discretize_diag` and ``k = 2`` under conjugate symmetry.
"""

from __future__ import annotations

import math

import torch

from tsrnn.ops._dispatch import resolve_backend
from tsrnn.ops.discretize import discretize_diag


def vandermonde_kernel_ref(Lambda, B, C, step, length, method="zoh", conj_sym=True):
    """Reference of :func:`vandermonde_kernel`: explicit powers ``lambda_bar^l``, one ``l`` at a time."""
    a, gamma = discretize_diag(Lambda, step[:, None], method)
    w = C * gamma * B
    power = torch.ones_like(a)
    out = []
    for _ in range(length):
        out.append((w * power).sum(-1).real)
        power = power * a
    return (2.0 if conj_sym else 1.0) * torch.stack(out, dim=-1)


def vandermonde_kernel(Lambda: torch.Tensor, B: torch.Tensor, C: torch.Tensor, step: torch.Tensor, length: int,
                       method: str = "zoh", conj_sym: bool = True, backend: str = "auto") -> torch.Tensor:
    """SSM convolution kernel of diagonal per-channel systems (S4D).

    Parameters
    ----------
    Lambda : Tensor, shape (H, N), complex
    B, C : Tensor, shape (H, N), complex
    step : Tensor, shape (H,), real
    length : int
        Kernel length ``L``.
    method : {"zoh", "bilinear", "euler", "backward_euler"}
    conj_sym : bool
        ``Lambda`` holds one of each conjugate pair (kernel ``2 Re``).
    backend : {"auto", "reference", "torch", "triton"}

    Returns
    -------
    K : Tensor, shape (H, L), real

    Examples
    --------
    >>> import torch
    >>> lam = torch.tensor([[-1.0 + 0j]])
    >>> K = vandermonde_kernel(lam, torch.ones(1, 1, dtype=torch.cfloat), torch.ones(1, 1, dtype=torch.cfloat),
    ...                        torch.tensor([0.5]), 3, conj_sym=False)
    >>> K.shape
    torch.Size([1, 3])
    """
    if Lambda.ndim != 2 or B.shape != Lambda.shape or C.shape != Lambda.shape:
        raise ValueError(f"Lambda, B and C must share a shape (H, N); got {tuple(Lambda.shape)}, {tuple(B.shape)}, "
                         f"{tuple(C.shape)}")
    if step.shape != (Lambda.shape[0],):
        raise ValueError(f"step must have shape ({Lambda.shape[0]},), got {tuple(step.shape)}")
    if int(length) != length or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    if resolve_backend(backend, op="vandermonde_kernel") == "reference":
        return vandermonde_kernel_ref(Lambda, B, C, step, length, method, conj_sym)
    a, gamma = discretize_diag(Lambda, step[:, None], method)
    log_a = Lambda * step[:, None] if method == "zoh" else torch.log(a)
    # lambda_bar^(T j + i) = lambda_bar^(T j) * lambda_bar^i: the kernel is one batched complex GEMM of
    # (L / T, N) by (N, T) per channel, never materializing the (H, N, L) Vandermonde matrix.
    T = max(1, math.isqrt(length - 1) + 1)
    J = -(-length // T)
    real = Lambda.real.dtype
    inner = torch.exp(log_a.unsqueeze(-1) * torch.arange(T, device=Lambda.device, dtype=real))  # (H, N, T)
    outer = torch.exp(log_a.unsqueeze(-1) * (T * torch.arange(J, device=Lambda.device, dtype=real)))  # (H, N, J)
    K = ((C * gamma * B).unsqueeze(-1) * outer).transpose(-1, -2) @ inner  # (H, J, T)
    K = K.real.reshape(Lambda.shape[0], J * T)[:, :length]
    return 2.0 * K if conj_sym else K


def causal_conv_ref(u: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Direct causal convolution ``y[:, t, h] = sum_{s <= t} K[h, t - s] u[:, s, h]`` (reference, O(L^2))."""
    length = u.shape[1]
    y = torch.zeros_like(u)
    for t in range(length):
        y[:, t] = (u[:, : t + 1].flip(1) * K[:, : t + 1].transpose(0, 1)).sum(1)
    return y


def fft_conv(u: torch.Tensor, K: torch.Tensor, D: torch.Tensor | None = None, backend: str = "auto") -> torch.Tensor:
    """Causal convolution of every channel with its kernel by FFT, plus the feedthrough ``D u``.

    Parameters
    ----------
    u : Tensor, shape (B, L, H), real
    K : Tensor, shape (H, L_K), real, ``L_K <= L`` (shorter kernels are zero beyond ``L_K``)
    D : Tensor, shape (H,), optional
    backend : {"auto", "reference", "torch", "triton"}

    Returns
    -------
    y : Tensor, shape (B, L, H)

    Examples
    --------
    >>> import torch
    >>> u = torch.tensor([[[1.0], [0.0], [0.0]]])
    >>> fft_conv(u, torch.tensor([[1.0, 0.5, 0.25]]))[0, :, 0].tolist()
    [1.0, 0.5, 0.25]
    """
    if u.ndim != 3 or K.ndim != 2 or K.shape[0] != u.shape[2] or K.shape[1] > u.shape[1]:
        raise ValueError(f"u must be (B, L, H) and K (H, L_K <= L); got {tuple(u.shape)} and {tuple(K.shape)}")
    length = u.shape[1]
    if resolve_backend(backend, op="fft_conv") == "reference":
        y = causal_conv_ref(u, torch.nn.functional.pad(K, (0, length - K.shape[1])))
    else:
        n = 2 * length
        u_t = u.to(K.dtype).transpose(1, 2).contiguous()  # FFTs along the last, contiguous axis are ~2x faster
        y = torch.fft.irfft(torch.fft.rfft(u_t, n=n) * torch.fft.rfft(K, n=n), n=n)[..., :length].transpose(1, 2)
    return y if D is None else y + D * u


def krylov_ref(length: int, A: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Reference Krylov matrix ``[b, A b, A^2 b, ...]`` by repeated matrix-vector products.

    Parameters
    ----------
    length : int
    A : Tensor, shape (..., N, N)
    b : Tensor, shape (..., N)

    Returns
    -------
    Tensor, shape (..., N, length)
    """
    cols = [b]
    for _ in range(length - 1):
        cols.append((A @ cols[-1].unsqueeze(-1)).squeeze(-1))
    return torch.stack(cols, dim=-1)


def krylov(length: int, A: torch.Tensor, b: torch.Tensor, backend: str = "auto") -> torch.Tensor:
    """Krylov matrix ``K(A, b) = [b, A b, ..., A^{L-1} b]`` by repeated squaring (LSSL's convolution view).

    ``log2(L)`` rounds of ``X <- [X, A^(2^i) X]``, ``A^(2^i) <- (A^(2^i))^2``: ``O(N^2 L + N^3 log L)`` work and
    ``O(N L)`` memory per system.

    Parameters
    ----------
    length : int
    A : Tensor, shape (..., N, N)
    b : Tensor, shape (..., N)
    backend : {"auto", "reference", "torch", "triton"}

    Returns
    -------
    Tensor, shape (..., N, length)

    Examples
    --------
    >>> import torch
    >>> krylov(4, 2 * torch.eye(1), torch.ones(1)).tolist()
    [[1.0, 2.0, 4.0, 8.0]]
    """
    if int(length) != length or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    if resolve_backend(backend, op="krylov") == "reference":
        return krylov_ref(length, A, b)
    X = b.unsqueeze(-1)
    power = A
    while X.shape[-1] < length:
        X = torch.cat([X, power @ X], dim=-1)
        if X.shape[-1] < length:
            power = power @ power
    return X[..., :length]
