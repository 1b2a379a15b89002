"""S4D: convolutional, recurrent (scan) and streaming views agree; initializations; padding; rate change."""

import numpy as np
import pytest
import torch

from tsrnn.nn.s4d import S4DSSM, s4d_eigenvalues
from tsrnn.ops import hippo_legs


def _rel(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


@pytest.mark.parametrize("init", ["inv", "lin", "legs"])
@pytest.mark.parametrize("discretization", ["zoh", "bilinear"])
def test_conv_scan_and_step_views_agree(init, discretization):
    torch.manual_seed(0)
    ssm = S4DSSM(d_model=3, d_state=8, init=init, discretization=discretization, dt_max=0.5).double()
    u = torch.randn(2, 40, 3, dtype=torch.float64)
    y_conv, _ = ssm(u)
    y_scan, h_last = ssm(u, h0=ssm.initial_state(2).to(torch.complex128))
    h = ssm.initial_state(2).to(torch.complex128)
    steps = []
    for t in range(40):
        y_t, h = ssm.step(u[:, t], h)
        steps.append(y_t)
    assert _rel(y_conv, y_scan) <= 1e-8 and _rel(torch.stack(steps, 1), y_conv) <= 1e-8
    assert torch.allclose(h, h_last, atol=1e-12)


def test_kernel_equals_powers_of_the_discretized_system():
    """K_l = C A_bar^l B_bar from the dense (block-diagonal real) system built independently."""
    torch.manual_seed(1)
    ssm = S4DSSM(d_model=1, d_state=6, init="lin", discretization="bilinear", dt_max=0.3).double()
    K = ssm.kernel(12)[0, 0].detach().numpy()
    lam, B, C, step = (x.detach().numpy() for x in ssm._params())
    lam, B, C, dt = np.r_[lam[0], lam[0].conj()], np.r_[B[0], B[0].conj()], np.r_[C[0, 0], C[0, 0].conj()], step[0]
    A = np.diag(lam)
    eye = np.eye(6)
    A_bar = np.linalg.solve(eye - dt / 2 * A, eye + dt / 2 * A)
    B_bar = dt * np.linalg.solve(eye - dt / 2 * A, B)
    dense = [np.real(C @ np.linalg.matrix_power(A_bar, k) @ B_bar) for k in range(12)]
    assert np.allclose(K, dense, rtol=1e-10, atol=1e-12)


def test_initializations():
    lam, B = s4d_eigenvalues("inv", 8)
    n = np.arange(4)
    assert np.allclose(lam.imag, (8 / np.pi) * (8 / (2 * n + 1) - 1)) and np.all(lam.real == -0.5)
    lam, B = s4d_eigenvalues("legs", 8)
    assert np.all(lam.real == -0.5) and np.abs(B).sum() > 0
    full = np.linalg.eigvals(hippo_legs(8)[0] + np.outer(np.sqrt(np.arange(8) + 0.5), np.sqrt(np.arange(8) + 0.5)))
    assert np.allclose(np.sort(full.imag)[:4], np.sort(lam.imag), atol=1e-8)
    with pytest.raises(ValueError, match="init"):
        s4d_eigenvalues("foo", 8)
