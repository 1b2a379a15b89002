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
    # lambda_bar^(T j + i) = lambda_bar^(T j) * lambda_bar^i, so the kernel is Re(X^T Y) with
    # X = w * lambda_bar^(T j) (H, N, J) and Y = lambda_bar^i (H, N, T): one batched real GEMM of
    # [Re X, -Im X]^T [Re Y; Im Y] per channel, never materializing the (H, N, L) Vandermonde matrix.
    # Powers are built from real exp/cos/sin (complex exp is ~10x slower on CPU).
    T = max(1, math.isqrt(length - 1) + 1)
    J = -(-length // T)
    real = Lambda.real.dtype
    Y_re, Y_im = _powers(log_a, torch.arange(T, device=Lambda.device, dtype=real))  # (H, N, T)
    O_re, O_im = _powers(log_a, T * torch.arange(J, device=Lambda.device, dtype=real))  # (H, N, J)
    w = C * gamma * B
    w_re, w_im = w.real.unsqueeze(-1), w.imag.unsqueeze(-1)
    X = torch.cat([w_re * O_re - w_im * O_im, -(w_re * O_im + w_im * O_re)], dim=1)  # (H, 2N, J)
    K = (X.transpose(-1, -2) @ torch.cat([Y_re, Y_im], dim=1)).reshape(Lambda.shape[0], J * T)[:, :length]
    return 2.0 * K if conj_sym else K


def _powers(log_a: torch.Tensor, exponents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Real and imaginary parts of ``exp(log_a * k)`` for every exponent ``k``: (H, N) x (K,) -> 2 x (H, N, K)."""
    magnitude = torch.exp(log_a.real.unsqueeze(-1) * exponents)
    phase = log_a.imag.unsqueeze(-1) * exponents
    return magnitude * torch.cos(phase), magnitude * torch.sin(phase)


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
        y = _FFTConv.apply(u.to(K.dtype), K)
    return y if D is None else y + D * u


class _FFTConv(torch.autograd.Function):
    """Causal FFT convolution with a hand-written backward.

    Forward ``y = irfft(U K)[:L]`` with ``U = rfft(u)``, ``K = rfft(k)`` zero-padded to ``n = 2L``. The
    gradients are correlations, computed in the same frequency domain from the saved spectra (three FFTs in
    all, no autograd bookkeeping over the padded complex intermediates)::

        grad_u = irfft(G conj(K))[:L],     grad_k = irfft(sum_b G conj(U))[:L_K],     G = rfft(grad_y)
    """

    @staticmethod
    def forward(ctx, u, K):
        length = u.shape[1]
        U = torch.fft.rfft(_padded_channels_last(u), dim=-1)  # (B, H, L + 1)
        Kf = torch.fft.rfft(K, n=2 * length)  # (H, L + 1)
        ctx.save_for_backward(U, Kf)
        ctx.kernel_length = K.shape[1]
        return torch.fft.irfft(U * Kf, n=2 * length)[..., :length].transpose(1, 2)

    @staticmethod
    def backward(ctx, grad_y):
        U, Kf = ctx.saved_tensors
        length = grad_y.shape[1]
        G = torch.fft.rfft(_padded_channels_last(grad_y), dim=-1)
        grad_K = None  # computed first: the input gradient then reuses G's memory
        if ctx.needs_input_grad[1]:
            grad_K = torch.fft.irfft((G * U.conj()).sum(0), n=2 * length)[..., : ctx.kernel_length]
        grad_u = None
        if ctx.needs_input_grad[0]:
            grad_u = torch.fft.irfft(G.mul_(Kf.conj()), n=2 * length)[..., :length].transpose(1, 2)
        return grad_u, grad_K


def _padded_channels_last(x: torch.Tensor) -> torch.Tensor:
    """(B, L, H) -> contiguous (B, H, 2L) with zeros after L: one pass, and the FFT runs along the last axis."""
    out = x.new_empty(x.shape[0], x.shape[2], 2 * x.shape[1])
    out[..., : x.shape[1]].copy_(x.transpose(1, 2))
    out[..., x.shape[1]:].zero_()
    return out


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
