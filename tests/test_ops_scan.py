"""linear_scan: torch and compiled-CPU backends pinned to the loop reference (float64, forward and gradients)."""

import pytest
import torch

import tsrnn.ops.scan as scan_mod
from tsrnn.ops import linear_scan, linear_scan_ref

LENGTHS = [1, 2, 15, 16, 17, 63, 300]
FAST = ["torch", pytest.param("cpu", marks=pytest.mark.skipif(not scan_mod.cpu_supports(torch.ones(1)),
                                                              reason="no C compiler"))]


def _inputs(B, L, S, complex_, seed=0):
    g = torch.Generator().manual_seed(seed)
    mag = torch.rand(B, L, *S, generator=g, dtype=torch.float64) * 0.9 + 0.1
    if complex_:
        a = torch.polar(mag, torch.rand(B, L, *S, generator=g, dtype=torch.float64) * 6.28)
        b = torch.randn(B, L, *S, generator=g, dtype=torch.complex128)
        h0 = torch.randn(B, *S, generator=g, dtype=torch.complex128)
    else:
        a = mag * torch.sign(torch.randn(B, L, *S, generator=g, dtype=torch.float64))
        b = torch.randn(B, L, *S, generator=g, dtype=torch.float64)
        h0 = torch.randn(B, *S, generator=g, dtype=torch.float64)
    return a, b, h0


def _run(fn, a, b, h0, reverse, w, w_last):
    a, b = a.clone().requires_grad_(), b.clone().requires_grad_()
    h0 = None if h0 is None else h0.clone().requires_grad_()
    h, last = fn(a, b, h0, reverse=reverse)
    ((h * w).real.sum() + (last * w_last).real.sum()).backward()
    return h, last, a.grad, b.grad, None if h0 is None else h0.grad


@pytest.mark.parametrize("L", LENGTHS, ids=lambda L: f"L{L}")
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
@pytest.mark.parametrize("with_h0", [False, True], ids=["h0none", "h0"])
@pytest.mark.parametrize("backend", FAST)
def test_fast_backends_equal_reference(L, complex_, reverse, with_h0, backend):
    a, b, h0 = _inputs(2, L, (3, 2), complex_)
    h0 = h0 if with_h0 else None
    w, w_last = torch.randn_like(b), torch.randn_like(b[:, 0])
    fast = _run(lambda *x, reverse: linear_scan(*x, reverse=reverse, backend=backend), a, b, h0, reverse, w, w_last)
    ref = _run(linear_scan_ref, a, b, h0, reverse, w, w_last)
    for x, y in zip(fast, ref, strict=False):
        if x is not None:
            assert (x - y).abs().max().item() <= 1e-9


@pytest.mark.parametrize("L", [1, 5, 40], ids=lambda L: f"L{L}")
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
def test_wide_schedule_equals_reference(monkeypatch, L, reverse):
    monkeypatch.setattr(scan_mod, "WIDE_STEP", 1)
    a, b, h0 = _inputs(2, L, (4,), True)
    w, w_last = torch.randn_like(b), torch.randn_like(b[:, 0])
    fast = _run(lambda *x, reverse: linear_scan(*x, reverse=reverse, backend="torch"), a, b, h0, reverse, w, w_last)
    ref = _run(linear_scan_ref, a, b, h0, reverse, w, w_last)
    for x, y in zip(fast, ref, strict=False):
        assert (x - y).abs().max().item() <= 1e-9


@pytest.mark.parametrize("backend", FAST)
@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128], ids=["real", "complex"])
def test_broadcast_a_and_gradcheck(backend, dtype):
    a = (torch.rand(1, 9, 3, dtype=dtype) * 0.8).requires_grad_()
    b = torch.randn(2, 9, 3, dtype=dtype, requires_grad=True)
    h0 = torch.randn(2, 3, dtype=dtype, requires_grad=True)
    lengths = torch.tensor([9, 4])
    assert torch.autograd.gradcheck(lambda a, b, h0: linear_scan(a, b, h0, backend=backend)[0], (a, b, h0))
    assert torch.autograd.gradcheck(lambda a, b, h0: linear_scan(a, b, h0, lengths=lengths, backend=backend)[0],
                                    (a, b, h0))


def test_reference_backend_via_dispatcher():
    a, b, _ = _inputs(1, 5, (2,), False)
    h, _ = linear_scan(a, b, backend="reference")
    assert torch.allclose(h, linear_scan_ref(a, b)[0])


def test_million_steps_finite_and_accurate():
    """|a| = 1 - 1e-4 over 10^6 steps (complex64): matches the closed form of a constant recurrence."""
    L = 1_000_000
    a_val = torch.polar(torch.tensor(1 - 1e-4, dtype=torch.float64), torch.tensor([0.0, 0.01, 1.0], dtype=torch.float64))
    a = a_val.to(torch.complex64).expand(1, L, 3)
    b = torch.ones(1, L, 3, dtype=torch.complex64)
    h, last = linear_scan(a, b)
    assert torch.isfinite(torch.view_as_real(h)).all()
    t = torch.tensor([10, 1000, 100_000, L], dtype=torch.float64)
    exact = (1 - a_val[None, :] ** t[:, None]) / (1 - a_val[None, :])  # h_t = sum_{k<t} a^k
    got = h[0, (t - 1).long()].to(torch.complex128)
    rel = ((got - exact).abs() / exact.abs()).max().item()
    assert rel < 1e-3, rel


def test_bad_inputs():
    with pytest.raises(TypeError, match="a and b"):
        linear_scan([1.0], torch.ones(1, 2))
    with pytest.raises(ValueError, match="broadcast"):
        linear_scan(torch.ones(1, 3, 2), torch.ones(1, 4, 2))
    with pytest.raises(ValueError, match="h0"):
        linear_scan(torch.ones(1, 3, 2), torch.ones(1, 3, 2), h0=torch.ones(5, 7))
    with pytest.raises(ValueError, match="backend"):
        linear_scan(torch.ones(1, 3, 2), torch.ones(1, 3, 2), backend="cuda")
    with pytest.raises(NotImplementedError, match="Triton"):  # float64 has no Triton kernel
        linear_scan(torch.ones(1, 3, 2, dtype=torch.float64), torch.ones(1, 3, 2, dtype=torch.float64), backend="triton")
    with pytest.raises(ValueError, match="lengths"):
        linear_scan(torch.ones(2, 3, 2), torch.ones(2, 3, 2), lengths=torch.tensor([1, 4]))


@pytest.mark.parametrize("chunk", [2, 3, 5], ids=lambda c: f"chunk{c}")
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
def test_deep_recursion_and_padding(monkeypatch, chunk, reverse):
    """Small chunks force several recursion levels and padded last chunks at every level."""
    monkeypatch.setattr(scan_mod, "CHUNK_SIZE", chunk)
    a, b, h0 = _inputs(2, 301, (3,), True)
    w, w_last = torch.randn_like(b), torch.randn_like(b[:, 0])
    fast = _run(lambda *x, reverse: linear_scan(*x, reverse=reverse, backend="torch"), a, b, h0, reverse, w, w_last)
    ref = _run(linear_scan_ref, a, b, h0, reverse, w, w_last)
    for x, y in zip(fast, ref, strict=False):
        assert (x - y).abs().max().item() <= 1e-9


@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
@pytest.mark.parametrize("backend", FAST)
def test_lengths_equal_masked_reference(reverse, backend):
    a, b, h0 = _inputs(3, 20, (4,), True)
    lengths = torch.tensor([20, 7, 1])
    keep = (torch.arange(20)[None, :] < lengths[:, None])[..., None]
    h, last = linear_scan(a, b, h0, reverse=reverse, lengths=lengths, backend=backend)
    ref, ref_last = linear_scan_ref(torch.where(keep, a, 1.0 + 0j), torch.where(keep, b, 0j), h0, reverse)
    assert (h - ref).abs().max() < 1e-12 and (last - ref_last).abs().max() < 1e-12


def test_auto_uses_the_compiled_cpu_kernel_for_one_dtype(monkeypatch):
    a, b, _ = _inputs(1, 4, (2,), True)
    monkeypatch.delenv("TSRNN_BACKEND", raising=False)
    calls = []
    monkeypatch.setattr(scan_mod, "_linear_scan_cpu", lambda *args: calls.append(args) or (b, b[:, -1]))
    linear_scan(a, b)
    assert len(calls) == int(scan_mod.cpu_supports(a, b))
    calls.clear()
    linear_scan(a.abs(), b)  # real decay, complex input: mixed dtypes stay on the torch path
    assert not calls


def test_compiled_kernels_run_cpu_tensors_only():
    """The compiled kernels take CPU tensors of one supported dtype only: a tensor on another device (meta here;
    likewise mps or xpu, not just cuda) or of another dtype keeps the op on its torch path."""
    from tsrnn.kernels import cpu_ltc

    x = torch.ones(2)
    for supports in (scan_mod.cpu_supports, cpu_ltc.supports):
        assert not supports(x, torch.ones(2, device="meta"))
        assert not supports(x, x.double())
        assert not supports(x.half())


@pytest.mark.parametrize("backend", FAST)
@pytest.mark.parametrize("complex_", [False, True], ids=["float32", "complex64"])
def test_single_precision_equals_double_reference(backend, complex_):
    a, b, h0 = _inputs(2, 37, (5,), complex_)
    w, w_last = torch.randn_like(b), torch.randn_like(b[:, 0])
    single = {torch.float64: torch.float32, torch.complex128: torch.complex64}[b.dtype]
    fast = _run(lambda *x, reverse: linear_scan(*x, reverse=reverse, backend=backend),
                a.to(single), b.to(single), h0.to(single), False, w.to(single), w_last.to(single))
    ref = _run(linear_scan_ref, a, b, h0, False, w, w_last)
    for x, y in zip(fast, ref, strict=True):
        assert ((x.to(y.dtype) - y).abs().max() / y.abs().max()).item() <= 1e-5


def test_without_a_working_compiler_auto_falls_back_to_torch(monkeypatch, tmp_path):
    from tsrnn.kernels import cpu

    monkeypatch.setenv("TSRNN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CC", "false")  # a "compiler" that always fails
    cpu.load.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="pure-torch"):
            assert cpu.load() is None
        a, b, _ = _inputs(1, 6, (2,), True)
        assert not scan_mod.cpu_supports(a, b)
        h, _ = linear_scan(a, b)  # auto -> torch
        assert torch.allclose(h, linear_scan_ref(a, b)[0])
        with pytest.raises(NotImplementedError, match="compiled CPU kernel"):
            linear_scan(a, b, backend="cpu")
    finally:
        cpu.load.cache_clear()


@pytest.mark.parametrize("L", [1, 2, 7, 64, 300], ids=lambda L: f"L{L}")
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
def test_traced_schedule_equals_reference(monkeypatch, L, complex_, reverse):
    """While torch.compile / torch.export trace it, the torch path takes the doubling schedule."""
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    a, b, h0 = _inputs(2, L, (3,), complex_)
    w, w_last = torch.randn_like(b), torch.randn_like(b[:, 0])
    for start in (None, h0):
        traced = _run(lambda *x, reverse: linear_scan(*x, reverse=reverse), a, b, start, reverse, w, w_last)
        ref = _run(linear_scan_ref, a, b, start, reverse, w, w_last)
        for x, y in zip(traced, ref, strict=True):
            if x is not None:
                assert (x - y).abs().max().item() <= 1e-9


def test_export_takes_any_batch_size():
    """torch.export traces linear_scan (not the compiled kernel) without fixing the batch size."""

    class Scan(torch.nn.Module):
        def forward(self, a, b):
            return linear_scan(a, b)[0]

    a, b, _ = _inputs(3, 20, (4,), False)
    batch = torch.export.Dim("batch")
    program = torch.export.export(Scan(), (a, b), dynamic_shapes=({0: batch}, {0: batch}))
    a5, b5, _ = _inputs(5, 20, (4,), False, seed=1)
    assert (program.module()(a5, b5) - linear_scan_ref(a5, b5)[0]).abs().max().item() <= 1e-9
