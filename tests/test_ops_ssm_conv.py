"""Convolution view: Vandermonde kernel and FFT convolution pinned to references, and to the scan."""

import pytest
import torch

from tsrnn.ops import diag_ssm_scan
from tsrnn.ops.ssm_conv import fft_conv, vandermonde_kernel


def _siso(H=3, N=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    lam = torch.complex(-torch.rand(H, N, generator=g, dtype=torch.float64) - 0.05,
                        torch.randn(H, N, generator=g, dtype=torch.float64) * 3)
    B = torch.randn(H, N, generator=g, dtype=torch.complex128)
    C = torch.randn(H, N, generator=g, dtype=torch.complex128)
    step = torch.rand(H, generator=g, dtype=torch.float64) * 0.3 + 0.01
    return lam, B, C, step


@pytest.mark.parametrize("method", ["zoh", "bilinear"])
@pytest.mark.parametrize("L", [1, 17, 64], ids=lambda L: f"L{L}")
def test_kernel_and_conv_equal_references_and_scan(method, L):
    lam, B, C, step = _siso()
    params = [p.clone().requires_grad_() for p in (lam, B, C, step)]
    u = torch.randn(2, L, 3, dtype=torch.float64)
    D = torch.randn(3, dtype=torch.float64)
    K = vandermonde_kernel(*params, L, method)
    y = fft_conv(u, K, D)
    y.square().sum().backward()
    grads = [p.grad.clone() for p in params]
    ref_params = [p.clone().requires_grad_() for p in (lam, B, C, step)]
    K_ref = vandermonde_kernel(*ref_params, L, method, backend="reference")
    y_ref = fft_conv(u, K_ref, D, backend="reference")
    y_ref.square().sum().backward()
    assert (K - K_ref).abs().max() <= 1e-9 * max(1.0, K_ref.abs().max().item())
    assert (y - y_ref).abs().max() <= 1e-9 * max(1.0, y_ref.abs().max().item())
    for g, p in zip(grads, ref_params, strict=False):
        assert (g - p.grad).abs().max() <= 1e-8 * max(1.0, p.grad.abs().max().item())
    y_scan, _ = diag_ssm_scan(u, lam, B, C, D, step, method=method)
    assert ((y - y_scan).abs().max() / y_scan.abs().max()).item() <= 1e-8


def test_bad_shapes():
    lam, B, C, step = _siso()
    with pytest.raises(ValueError, match="share a shape"):
        vandermonde_kernel(lam, B[:, :2], C, step, 5)
    with pytest.raises(ValueError, match="length"):
        vandermonde_kernel(lam, B, C, step, 0)
    with pytest.raises(ValueError, match="L_K <= L"):
        fft_conv(torch.zeros(1, 4, 3), torch.zeros(3, 5))


@pytest.mark.parametrize("L,L_K", [(1, 1), (9, 9), (16, 5)])
def test_fft_conv_gradients_equal_direct_convolution(L, L_K):
    g = torch.Generator().manual_seed(1)
    u = torch.randn(2, L, 3, generator=g, dtype=torch.float64, requires_grad=True)
    K = torch.randn(3, L_K, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, L, 3, generator=g, dtype=torch.float64)
    grads = torch.autograd.grad((fft_conv(u, K) * w).sum(), (u, K))
    padded = torch.nn.functional.pad(K, (0, L - L_K))
    ref = torch.autograd.grad((fft_conv(u, padded, backend="reference") * w).sum(), (u, K))
    for a, b in zip(grads, ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
    assert torch.autograd.gradcheck(lambda a, b: fft_conv(a, b), (u, K))
