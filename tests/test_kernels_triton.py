"""Triton linear-scan kernel == reference, forward and gradients (CPU: under TRITON_INTERPRET=1; GPU: compiled)."""

import os

import pytest
import torch

pytest.importorskip("triton")

from tsrnn.ops import linear_scan, linear_scan_ref  # noqa: E402

DEVICE = "cuda" if torch.cuda.is_available() and os.environ.get("TRITON_INTERPRET") != "1" else "cpu"
pytestmark = pytest.mark.skipif(DEVICE == "cpu" and os.environ.get("TRITON_INTERPRET") != "1",
                                reason="needs a GPU or TRITON_INTERPRET=1")


def _case(B, L, S, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    mag = torch.rand(B, L, S, generator=g) * 0.9 + 0.05
    if dtype == torch.complex64:
        a = torch.polar(mag, torch.rand(B, L, S, generator=g) * 6.28)
        b = torch.randn(B, L, S, generator=g, dtype=torch.complex64)
        h0 = torch.randn(B, S, generator=g, dtype=torch.complex64)
    else:
        a, b, h0 = mag, torch.randn(B, L, S, generator=g), torch.randn(B, S, generator=g)
    return a, b, h0


def _grads(fn, a, b, h0, w, **kw):
    leaves = [x.clone().to(DEVICE).requires_grad_() for x in (a, b, h0)]
    h, last = fn(*leaves, **kw)
    ((h * w.to(DEVICE)).real.sum() + last.real.sum()).backward()
    return [h.detach().cpu(), last.detach().cpu()] + [x.grad.cpu() for x in leaves]


@pytest.mark.parametrize("dtype", [torch.float32, torch.complex64], ids=["real", "complex"])
@pytest.mark.parametrize("L", [1, 2, 13], ids=lambda L: f"L{L}")
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
@pytest.mark.parametrize("varlen", [False, True], ids=["dense", "varlen"])
def test_triton_scan_equals_reference(dtype, L, reverse, varlen):
    a, b, h0 = _case(2, L, 37, dtype)  # 37 states: a partial second block of 32
    lengths = torch.tensor([L, max(1, L - 4)]) if varlen else None
    w = torch.randn(b.shape, dtype=b.dtype)
    fast = _grads(linear_scan, a, b, h0, w, reverse=reverse, backend="triton",
                  lengths=None if lengths is None else lengths.to(DEVICE))
    ref = _grads(linear_scan, a.double() if dtype == torch.float32 else a.to(torch.complex128),
                 b.double() if dtype == torch.float32 else b.to(torch.complex128),
                 h0.double() if dtype == torch.float32 else h0.to(torch.complex128), w.double() if dtype == torch.float32
                 else w.to(torch.complex128), reverse=reverse, backend="reference", lengths=lengths)
    for x, y in zip(fast, ref, strict=True):
        assert (x.to(y.dtype) - y).abs().max().item() <= 1e-5 * max(1.0, y.abs().max().item())


def test_bf16_inputs_keep_an_fp32_state():
    a, b, _ = _case(1, 64, 8, torch.float32)
    h, _ = linear_scan(a.bfloat16().to(DEVICE), b.bfloat16().to(DEVICE), backend="triton")
    ref, _ = linear_scan_ref(a.bfloat16().double(), b.bfloat16().double())
    assert h.dtype == torch.bfloat16
    assert ((h.double().cpu() - ref).abs().max() / ref.abs().max()).item() < 1e-2
