"""S4D: convolutional, recurrent (scan) and streaming views agree; initializations; padding; rate change."""

import numpy as np
import pytest
import torch

from tsrnn.nn.s4d import S4DSSM, S4DBackbone, s4d_eigenvalues
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
    I = np.eye(6)
    A_bar = np.linalg.solve(I - dt / 2 * A, I + dt / 2 * A)
    B_bar = dt * np.linalg.solve(I - dt / 2 * A, B)
    dense = [np.real(C @ np.linalg.matrix_power(A_bar, l) @ B_bar) for l in range(12)]
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


@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_and_gaps(bidirectional):
    torch.manual_seed(0)
    net = S4DBackbone(n_inputs=2, d_model=4, n_layers=2, d_state=4, bidirectional=bidirectional).double()
    a, b = torch.randn(1, 9, 2, dtype=torch.float64), torch.randn(1, 5, 2, dtype=torch.float64)
    padded = torch.cat([b, torch.full((1, 4, 2), 3.0, dtype=torch.float64)], 1)
    mask = torch.tensor([[True] * 9, [True] * 5 + [False] * 4])
    out = net(torch.cat([a, padded]), mask=mask)
    assert torch.allclose(out[1, :5], net(b)[0], atol=1e-10) and torch.allclose(out[0], net(a)[0], atol=1e-10)
    # unit gaps through the scan equal the convolution; padded + gaps equal the unpadded gaps run
    ones = torch.ones(2, 9, dtype=torch.float64)
    scanned = net(torch.cat([a, padded]), dt=ones, mask=mask)
    assert torch.allclose(scanned[0], out[0], atol=1e-10) and torch.allclose(scanned[1, :5], out[1, :5], atol=1e-10)


def test_rate_change_equals_scaled_gaps():
    torch.manual_seed(0)
    ssm = S4DSSM(d_model=2, d_state=4).double()
    u = torch.randn(1, 15, 2, dtype=torch.float64)
    slow = ssm(u, dt=torch.full((1, 15), 2.0, dtype=torch.float64))[0]
    ssm.step_rescale = 2.0
    assert torch.allclose(ssm(u)[0], slow, atol=1e-10)
