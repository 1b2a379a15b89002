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


# --- fused diagonal-SSM discretize-and-scan (SISO per channel) -------------------------------------------------

from tsrnn.ops import diag_ssm_scan  # noqa: E402

SSM_NAMES = ("y", "h_last", "u", "Lambda", "B", "C", "D", "step", "dt", "h0")


def _ssm_case(n_batch, L, H, N, seed=0, step_scale=0.3):
    g = torch.Generator().manual_seed(seed)
    lam = torch.complex(-torch.rand(H, N, generator=g) - 0.05, torch.randn(H, N, generator=g) * 3)
    B, C = (torch.randn(H, N, generator=g, dtype=torch.complex64) for _ in range(2))
    D = torch.randn(H, generator=g)
    step = torch.rand(H, generator=g) * step_scale + step_scale / 30
    u = torch.randn(n_batch, L, H, generator=g)
    dt = torch.rand(n_batch, L, generator=g) + 0.2
    h0 = torch.randn(n_batch, H, N, generator=g, dtype=torch.complex64)
    mask = torch.rand(n_batch, L, generator=g) > 0.25
    return [u, lam, B, C, D, step, dt, h0], mask


def _ssm_run(backend, xs, mask, method, reverse, w, wh, present):
    leaves = [None if not keep else x.clone().to(DEVICE).requires_grad_() for x, keep in zip(xs, present, strict=True)]
    u, lam, B, C, D, step, dt, h0 = leaves
    y, h_last = diag_ssm_scan(u, lam, B, C, D, step, dt, None if mask is None else mask.to(DEVICE), method, True, h0,
                              reverse, backend=backend)
    ((y * w.to(DEVICE, y.dtype)).sum() + (h_last * wh.to(DEVICE, h_last.dtype)).real.sum()).backward()
    return [y.detach().cpu(), h_last.detach().cpu()] + [None if x is None else x.grad.cpu() for x in leaves]


def _ssm_compare(xs, mask, method="zoh", reverse=False, present=(True,) * 8, tol=2e-5, floor=1.0):
    n_batch, L, H = xs[0].shape
    g = torch.Generator().manual_seed(1)
    w, wh = torch.randn(n_batch, L, H, generator=g), torch.randn(*xs[7].shape, generator=g, dtype=torch.complex64)
    fast = _ssm_run("triton", xs, mask, method, reverse, w, wh, present)
    wide = [x.to(torch.complex128) if x.is_complex() else x.double() for x in xs]
    ref = _ssm_run("reference", wide, mask, method, reverse, w, wh, present)
    for name, x, y in zip(SSM_NAMES, fast, ref, strict=True):
        if y is None:
            assert x is None, name
            continue
        err = ((x.to(y.dtype) - y).abs().max() / max(floor, y.abs().max().item())).item()
        assert err <= tol, f"{name}: relative error {err:.2e}"


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 4 steps, so that short sequences cross several chunk boundaries (and a partial last one)."""
    import tsrnn.kernels.diag_ssm_scan as kernel

    monkeypatch.setattr(kernel, "CHUNK", 4)


@pytest.mark.parametrize("method", ["zoh", "bilinear", "euler", "backward_euler"])
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
def test_fused_ssm_kernel_equals_reference(method, reverse, small_chunks):
    xs, mask = _ssm_case(2, 11, 18, 3)  # 18 channels: a partial second block of 16; N = 3 pads to 4
    _ssm_compare(xs, mask, method, reverse)


@pytest.mark.parametrize("L", [1, 9], ids=lambda L: f"L{L}")
def test_fused_ssm_kernel_without_optional_inputs(L, small_chunks):
    xs, _ = _ssm_case(2, L, 3, 2, seed=2)
    _ssm_compare(xs, None, present=(True, True, True, True, False, True, False, False))


def test_fused_ssm_kernel_tiny_steps_use_the_series(small_chunks):
    """|Delta Lambda| << 1: ZOH's (e^z - 1) / z and its derivative must not cancel in fp32."""
    xs, mask = _ssm_case(1, 6, 2, 2, seed=3, step_scale=1e-4)
    _ssm_compare(xs, mask, "zoh", tol=1e-5, floor=0.0)  # relative to each output's own scale


def test_fused_ssm_kernel_bf16_inputs(small_chunks):
    xs, _ = _ssm_case(1, 9, 4, 2, seed=4)
    u = xs[0].bfloat16()
    lam, B, C, D, step = (x.to(DEVICE) for x in xs[1:6])
    y, _ = diag_ssm_scan(u.to(DEVICE), lam, B, C, D, step, backend="triton")
    ref, _ = diag_ssm_scan(u.double(), *(x.to(torch.complex128) if x.is_complex() else x.double() for x in xs[1:6]),
                           backend="reference")
    assert y.dtype == torch.bfloat16
    assert ((y.double().cpu() - ref).abs().max() / ref.abs().max()).item() < 1e-2


def test_auto_backend_keeps_cpu_tensors_on_torch():
    xs, _ = _ssm_case(1, 3, 2, 2)
    from tsrnn.ops.ssm_scan import _triton_supports

    assert not _triton_supports(xs[0], explicit="auto")
