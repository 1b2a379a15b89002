"""S4 (DPLR): kernel = dense matrix powers; convolution, recurrence and streaming agree; Cauchy pinned."""

import numpy as np
import pytest
import torch

import tsrnn.ops.dplr as dplr_mod
from tsrnn.nn.s4 import S4SSM
from tsrnn.ops.dplr import cauchy, cauchy_ref, dplr_dense


def _rel(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


def test_cauchy_matches_reference_and_gradcheck(monkeypatch):
    monkeypatch.setattr(dplr_mod, "CAUCHY_CHUNK", 3)
    g = torch.Generator().manual_seed(0)
    v = torch.randn(3, 2, 5, generator=g, dtype=torch.complex128, requires_grad=True)
    z = torch.randn(2, 7, generator=g, dtype=torch.complex128, requires_grad=True)
    w = torch.randn(2, 5, generator=g, dtype=torch.complex128, requires_grad=True)
    assert (cauchy(v, z, w) - cauchy_ref(v, z, w)).abs().max() < 1e-12
    assert torch.autograd.gradcheck(cauchy, (v, z, w))


@pytest.mark.parametrize("L", [1, 2, 15, 16, 40])
def test_kernel_equals_dense_matrix_powers(L):
    torch.manual_seed(0)
    ssm = S4SSM(d_model=2, d_state=8, l_max=L, dt_max=0.5).double()
    K = ssm.kernel(L)[0]
    lam, P, B, C_tilde, step = ssm.full_parameters()
    A_bar, B_bar = dplr_dense(lam, P, B, step)
    C = ssm.output_matrix(C_tilde, lam, P, B, step)[0]
    dense = torch.stack([(C.unsqueeze(-2) @ torch.linalg.matrix_power(A_bar, k) @ B_bar.unsqueeze(-1))[..., 0, 0]
                         for k in range(L)], dim=-1)
    assert dense.imag.abs().max() < 1e-12
    assert _rel(K, dense.real) <= 1e-8


def test_longer_inputs_extend_the_kernel_exactly():
    torch.manual_seed(0)
    ssm = S4SSM(d_model=2, d_state=6, l_max=12, dt_max=0.5).double()
    assert _rel(ssm.kernel(30)[0, :, :12], ssm.kernel(12)[0]) <= 1e-8


@pytest.mark.parametrize("measure", ["legs", "lagt"])
def test_conv_scan_and_step_views_agree(measure):
    torch.manual_seed(0)
    ssm = S4SSM(d_model=3, d_state=8, l_max=32, measure=measure, dt_max=0.5).double()
    u = torch.randn(2, 32, 3, dtype=torch.float64)
    y_conv, _ = ssm(u)
    h = ssm.initial_state(2)
    y_scan, h_last = ssm(u, h0=h)
    steps = []
    for t in range(32):
        y_t, h = ssm.step(u[:, t], h)
        steps.append(y_t)
    assert _rel(y_scan, y_conv) <= 1e-8 and _rel(torch.stack(steps, 1), y_conv) <= 1e-8
    assert torch.allclose(h, h_last, atol=1e-10)


def test_init_is_hippo_legs():
    """V (Lambda - P P^*) V^* rebuilt from the stored parameters is HiPPO-LegS (up to float32 storage)."""
    from tsrnn.ops import hippo, nplr

    ssm = S4SSM(d_model=1, d_state=8).double()
    lam, P, B, _, _ = ssm.full_parameters()
    _, _, _, V = nplr("legs", 8)
    V = np.concatenate([V, V.conj()], axis=1)  # the stored half and its conjugates, as the parameters
    A = V @ (torch.diag_embed(lam) - P.unsqueeze(-1) * P.conj().unsqueeze(-2))[0].detach().numpy() @ V.conj().T
    assert np.abs(A - hippo("legs", 8)[0]).max() < 1e-4


def test_dplr_kernel_gradcheck():
    from tsrnn.ops.dplr import dplr_kernel

    g = torch.Generator().manual_seed(2)
    half = lambda: torch.randn(1, 3, generator=g, dtype=torch.complex128)  # noqa: E731
    lam = torch.complex(-torch.rand(1, 3, generator=g, dtype=torch.float64) - 0.2,
                        torch.randn(1, 3, generator=g, dtype=torch.float64))
    P, B, C = half() * 0.3, half(), half()
    step = torch.tensor([0.3], dtype=torch.float64)
    full = lambda x: torch.cat([x, x.conj()], -1)  # noqa: E731

    def f(lam, P, B, C, step):
        return dplr_kernel(full(lam), full(P), full(B), full(C), step, 10)

    assert torch.autograd.gradcheck(f, tuple(x.requires_grad_() for x in (lam, P, B, C, step)))


def test_float32_recurrence_stays_accurate_at_hippo_sizes():
    """The O(N) Woodbury step avoids HiPPO's ill-conditioned eigenbasis (which gave ~50% error in float32)."""
    torch.manual_seed(0)
    ssm = S4SSM(d_model=4, d_state=64, l_max=200)
    u = torch.randn(1, 200, 4)
    with torch.no_grad():
        assert _rel(ssm(u, h0=ssm.initial_state(1))[0], ssm(u)[0]) < 1e-4
