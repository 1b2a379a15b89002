"""linear_scan: torch backend pinned to the loop reference (float64, forward and gradients)."""

import pytest
import torch

import tsrnn.ops.scan as scan_mod
from tsrnn.ops import linear_scan, linear_scan_ref

LENGTHS = [1, 2, 15, 16, 17, 63, 300]


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
def test_torch_equals_reference(L, complex_, reverse, with_h0):
    a, b, h0 = _inputs(2, L, (3, 2), complex_)
    h0 = h0 if with_h0 else None
    w, w_last = torch.randn_like(b), torch.randn_like(b[:, 0])
    fast = _run(lambda *x, reverse: linear_scan(*x, reverse=reverse, backend="torch"), a, b, h0, reverse, w, w_last)
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
    fast = _run(lambda *x, reverse: linear_scan(*x, reverse=reverse), a, b, h0, reverse, w, w_last)
    ref = _run(linear_scan_ref, a, b, h0, reverse, w, w_last)
    for x, y in zip(fast, ref, strict=False):
        assert (x - y).abs().max().item() <= 1e-9


def test_broadcast_a_and_gradcheck():
    a = (torch.rand(1, 9, 3, dtype=torch.float64) * 0.8).requires_grad_()
    b = torch.randn(2, 9, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b, h0: linear_scan(a, b, h0)[0], (a, b, h0))


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
    fast = _run(lambda *x, reverse: linear_scan(*x, reverse=reverse), a, b, h0, reverse, w, w_last)
    ref = _run(linear_scan_ref, a, b, h0, reverse, w, w_last)
    for x, y in zip(fast, ref, strict=False):
        assert (x - y).abs().max().item() <= 1e-9


@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
def test_lengths_equal_masked_reference(reverse):
    a, b, h0 = _inputs(3, 20, (4,), True)
    lengths = torch.tensor([20, 7, 1])
    keep = (torch.arange(20)[None, :] < lengths[:, None])[..., None]
    h, last = linear_scan(a, b, h0, reverse=reverse, lengths=lengths)
    ref, ref_last = linear_scan_ref(torch.where(keep, a, 1.0 + 0j), torch.where(keep, b, 0j), h0, reverse)
    assert (h - ref).abs().max() < 1e-12 and (last - ref_last).abs().max() < 1e-12
