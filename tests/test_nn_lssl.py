"""LSSL: Krylov kernel pinned to the reference; convolution, recurrence and streaming agree; padding; gaps."""

import pytest
import torch

from tsrnn.nn.lssl import LSSLSSM
from tsrnn.ops import gbt, hippo
from tsrnn.ops.ssm_conv import krylov, krylov_ref


def _rel(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


@pytest.mark.parametrize("L", [1, 2, 7, 16, 33])
def test_krylov_equals_reference(L):
    g = torch.Generator().manual_seed(0)
    A = torch.randn(3, 5, 5, generator=g, dtype=torch.float64) * 0.3
    b = torch.randn(3, 5, generator=g, dtype=torch.float64)
    assert (krylov(L, A, b) - krylov_ref(L, A, b)).abs().max() < 1e-12


@pytest.mark.parametrize("measure", ["legs", "legt", "lagt", "fout"])
def test_conv_recurrent_and_step_views_agree(measure):
    torch.manual_seed(0)
    ssm = LSSLSSM(d_model=3, d_state=8, measure=measure, dt_max=0.5).double()
    u = torch.randn(2, 30, 3, dtype=torch.float64)
    y_conv, _ = ssm(u)
    h = ssm.initial_state(2)
    y_rec, h_last = ssm(u, h0=h)
    steps = []
    for t in range(30):
        y_t, h = ssm.step(u[:, t], h)
        steps.append(y_t)
    assert _rel(y_rec, y_conv) <= 1e-8 and _rel(torch.stack(steps, 1), y_conv) <= 1e-8
    assert torch.allclose(h, h_last)


def test_discretization_is_the_dense_gbt():
    ssm = LSSLSSM(d_model=1, d_state=6, measure="legt").double()
    A_bar, B_bar = ssm.discretize(torch.tensor([0.2], dtype=torch.float64))
    A, B = hippo("legt", 6)
    A_ref, B_ref = gbt(A, B, 0.2, 0.5)
    assert torch.allclose(A_bar[0], torch.tensor(A_ref), atol=1e-12) and torch.allclose(B_bar[0], torch.tensor(B_ref))


def test_learnable_A_gets_gradients_and_fixed_A_does_not():
    learned, fixed = LSSLSSM(2, 4, learn_A=True), LSSLSSM(2, 4)
    for ssm in (learned, fixed):
        ssm(torch.randn(1, 10, 2))[0].sum().backward()
    assert learned.A.grad is not None and "A" not in dict(fixed.named_parameters())


def test_krylov_gradients_equal_reference():
    g = torch.Generator().manual_seed(1)
    A = (torch.randn(2, 4, 4, generator=g, dtype=torch.float64) * 0.3).requires_grad_()
    b = torch.randn(2, 4, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 4, 13, generator=g, dtype=torch.float64)
    grads = torch.autograd.grad((krylov(13, A, b) * w).sum(), (A, b))
    ref = torch.autograd.grad((krylov_ref(13, A, b) * w).sum(), (A, b))
    for x, y in zip(grads, ref, strict=False):
        assert (x - y).abs().max() < 1e-10
