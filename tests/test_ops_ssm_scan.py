"""diag_ssm_scan: torch and compiled-CPU backends pinned to the per-step reference (float64, forward and gradients)."""

import pytest
import torch

from tsrnn.ops import diag_ssm_scan, diag_ssm_scan_ref
from tsrnn.ops.discretize import METHODS
from tsrnn.ops.scan import cpu_supports

FAST = ["torch", pytest.param("cpu", marks=pytest.mark.skipif(not cpu_supports(torch.ones(1)), reason="no C compiler"))]


def _params(B=2, L=13, H=3, P=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    f64 = dict(generator=g, dtype=torch.float64)
    return dict(
        u=torch.randn(B, L, H, **f64),
        Lambda=torch.complex(-torch.rand(P, **f64) - 0.05, torch.randn(P, **f64) * 3),
        B=torch.randn(P, H, generator=g, dtype=torch.complex128),
        C=torch.randn(H, P, generator=g, dtype=torch.complex128),
        D=torch.randn(H, **f64),
        step=torch.rand(P, **f64) * 0.1 + 0.01,
        dt=torch.rand(B, L, **f64) + 0.1,
        h0=torch.randn(B, P, generator=g, dtype=torch.complex128),
    )


def _grads(fn, params, mask, method, reverse, use_h0):
    leaves = {k: v.clone().requires_grad_() for k, v in params.items()}
    h0 = leaves.pop("h0")
    h0 = h0 if use_h0 else None
    y, h = fn(**leaves, mask=mask, method=method, h0=h0, reverse=reverse)
    g = torch.Generator().manual_seed(1)
    (y * torch.randn(y.shape, generator=g, dtype=y.dtype)).sum().backward(retain_graph=True)
    (h.abs() ** 2).sum().backward()
    out = {"y": y.detach(), "h": h.detach()}
    out.update({f"d{k}": v.grad for k, v in leaves.items()})
    if use_h0:
        out["dh0"] = h0.grad
    return out


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
@pytest.mark.parametrize("L", [1, 13, 40], ids=lambda L: f"L{L}")
@pytest.mark.parametrize("masked", [False, True], ids=["nomask", "mask"])
@pytest.mark.parametrize("backend", FAST)
def test_fast_backends_equal_reference(method, reverse, L, masked, backend):
    params = _params(L=L)
    mask = (torch.arange(L)[None, :] < torch.tensor([[L], [max(1, L - 3)]])) if masked else None
    use_h0 = not reverse
    fast = _grads(lambda **kw: diag_ssm_scan(**kw, backend=backend), params, mask, method, reverse, use_h0)
    ref = _grads(diag_ssm_scan_ref, params, mask, method, reverse, use_h0)
    for k in ref:
        err = (fast[k] - ref[k]).abs().max().item() / max(1.0, ref[k].abs().max().item())
        assert err <= 1e-9, (k, err)


def test_masked_steps_leave_state_unchanged():
    p = _params(B=1, L=10)
    mask = torch.ones(1, 10, dtype=torch.bool)
    mask[0, 4:] = False
    _, h_masked = diag_ssm_scan(p["u"], p["Lambda"], p["B"], p["C"], p["D"], p["step"], p["dt"], mask)
    _, h_prefix = diag_ssm_scan(p["u"][:, :4], p["Lambda"], p["B"], p["C"], p["D"], p["step"], p["dt"][:, :4])
    assert torch.allclose(h_masked, h_prefix, atol=1e-12)


def test_gaps_compose():
    """Without input, two steps of gap 1 equal one step of gap 2: the state decays by exp(Lambda * time)."""
    p = _params(B=1, L=3)
    u = p["u"].clone()
    u[:, 1:] = 0.0
    dt = torch.ones(1, 3, dtype=torch.float64)
    _, h3 = diag_ssm_scan(u, p["Lambda"], p["B"], p["C"], None, p["step"], dt)
    u2 = torch.stack([u[:, 0], u[:, 2]], dim=1)
    _, h2 = diag_ssm_scan(u2, p["Lambda"], p["B"], p["C"], None, p["step"], torch.tensor([[1.0, 2.0]], dtype=torch.float64))
    assert torch.allclose(h3, h2, atol=1e-12)


@pytest.mark.parametrize("bad, match", [
    (dict(u=torch.zeros(2, 3)), "u must have shape"),
    (dict(B=torch.zeros(4, 5, dtype=torch.complex128)), "B must have shape"),
    (dict(C=torch.zeros(3, 5, dtype=torch.complex128)), "C must have shape"),
    (dict(D=torch.zeros(7, dtype=torch.float64)), "D must have shape"),
    (dict(step=torch.ones(3, dtype=torch.float64)), "step must have shape"),
    (dict(dt=torch.ones(2, 5, dtype=torch.float64)), "dt must have shape"),
])
def test_bad_shapes(bad, match):
    p = _params()
    p.pop("h0")
    p.update(bad)
    with pytest.raises(ValueError, match=match):
        diag_ssm_scan(**p)


def _params_siso(B=2, L=13, H=3, N=4, seed=3):
    g = torch.Generator().manual_seed(seed)
    f64 = dict(generator=g, dtype=torch.float64)
    return dict(
        u=torch.randn(B, L, H, **f64),
        Lambda=torch.complex(-torch.rand(H, N, **f64) - 0.05, torch.randn(H, N, **f64) * 3),
        B=torch.randn(H, N, generator=g, dtype=torch.complex128),
        C=torch.randn(H, N, generator=g, dtype=torch.complex128),
        D=torch.randn(H, **f64),
        step=torch.rand(H, **f64) * 0.1 + 0.01,
        dt=torch.rand(B, L, **f64) + 0.1,
        h0=torch.randn(B, H, N, generator=g, dtype=torch.complex128),
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
@pytest.mark.parametrize("masked", [False, True], ids=["nomask", "mask"])
@pytest.mark.parametrize("gaps", [False, True], ids=["regular", "gaps"])
@pytest.mark.parametrize("backend", FAST)
def test_siso_fast_backends_equal_reference(method, reverse, masked, gaps, backend):
    params = _params_siso()
    if not gaps:
        params["dt"] = None
    mask = (torch.arange(13)[None, :] < torch.tensor([[13], [9]])) if masked else None
    leaves = {k: (v if v is None else v) for k, v in params.items()}

    def run(fn):
        p = {k: (None if v is None else v.clone().requires_grad_()) for k, v in leaves.items()}
        h0 = p.pop("h0")
        y, h = fn(**p, mask=mask, method=method, h0=None if reverse else h0, reverse=reverse)
        (y * torch.linspace(-1, 1, y.numel(), dtype=y.dtype).view_as(y)).sum().backward(retain_graph=True)
        (h.abs() ** 2).sum().backward()
        return [y, h] + [v.grad for k, v in p.items() if v is not None and v.grad is not None]

    fast = run(lambda **kw: diag_ssm_scan(**kw, backend=backend))
    ref = run(diag_ssm_scan_ref)
    assert len(fast) == len(ref)
    for x, y in zip(fast, ref, strict=False):
        assert (x - y).abs().max().item() <= 1e-9 * max(1.0, y.abs().max().item())


@pytest.mark.skipif(not cpu_supports(torch.ones(1)), reason="no C compiler")
@pytest.mark.parametrize("step_scale", [1e-4, 0.3], ids=["tiny_steps", "steps"])
def test_siso_cpu_kernel_single_precision(step_scale):
    """complex64 parameters: the compiled kernel runs in float (ZOH's series branch at tiny steps) ~ float64 reference."""
    p = _params_siso()
    p["step"] = p["step"] / 0.11 * step_scale
    wide = {k: v.clone().requires_grad_() for k, v in p.items()}
    narrow = {k: (v.to(torch.complex64) if v.is_complex() else v.float()).requires_grad_() for k, v in p.items()}
    outs = []
    for params, backend in ((wide, "reference"), (narrow, "cpu")):
        y, h = diag_ssm_scan(**params, backend=backend)
        (y.double() * torch.linspace(-1, 1, y.numel(), dtype=torch.float64).view_as(y)).sum().backward()
        outs.append([y.double(), h.to(torch.complex128)] + [params[k].grad for k in ("u", "Lambda", "B", "C", "step", "dt")])
    for name, x, y in zip(["y", "h", "u", "Lambda", "B", "C", "step", "dt"], outs[1], outs[0], strict=True):
        err = ((x.to(y.dtype) - y).abs().max() / y.abs().max()).item()
        assert err < 2e-5, (name, err)
