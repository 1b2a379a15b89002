"""S5 modules: initialization, streaming == full sequence, padding, bidirectional, rate change."""

import numpy as np
import pytest
import torch

from tsrnn.nn.s5 import S5SSM, S5Backbone
from tsrnn.ops.hippo import hippo_n_eig


def test_init_block_diagonal_hippo_n():
    torch.manual_seed(0)
    ssm = S5SSM(d_model=4, d_state=16, blocks=2)
    lam = ssm.eigenvalues().detach().numpy()
    lam_b, _ = hippo_n_eig(8)
    assert ssm.n_complex == 8
    assert np.allclose(lam, np.tile(lam_b, 2), atol=1e-6)
    step = torch.exp(ssm.log_step)
    assert (step >= 1e-3 - 1e-9).all() and (step <= 1e-1 + 1e-9).all()


def test_conj_sym_equals_full_complex_system():
    """y = 2 Re(C h) with half the eigenvalues equals Re(C h) on the full conjugate-closed system."""
    torch.manual_seed(0)
    ssm = S5SSM(d_model=3, d_state=8, conj_sym=True).double()
    u = torch.randn(2, 20, 3, dtype=torch.float64)
    y, _ = ssm(u)
    lam = ssm.eigenvalues()
    B, C = ssm._complex("B"), ssm._complex("C")
    from tsrnn.ops import diag_ssm_scan

    full = diag_ssm_scan(u, torch.cat([lam, lam.conj()]), torch.cat([B, B.conj()]), torch.cat([C, C.conj()], 1),
                         ssm.D, torch.exp(ssm.log_step).repeat(2), conj_sym=False)[0]
    assert torch.allclose(y, full, atol=1e-10)


@pytest.mark.parametrize("discretization", ["zoh", "bilinear"])
@pytest.mark.parametrize("irregular", [False, True], ids=["regular", "times"])
def test_step_mode_equals_full_forward(discretization, irregular):
    torch.manual_seed(0)
    net = S5Backbone(n_inputs=3, d_model=8, n_layers=2, d_state=8, discretization=discretization).double()
    x = torch.randn(2, 17, 3, dtype=torch.float64)
    dt = torch.rand(2, 17, dtype=torch.float64) + 0.2 if irregular else None
    full = net(x, dt=dt)
    state = net.initial_state(2)
    state = [s.to(torch.complex128) for s in state]
    steps = []
    for t in range(17):
        z, state = net.step(x[:, t], state, None if dt is None else dt[:, t])
        steps.append(z)
    assert torch.allclose(torch.stack(steps, 1), full, atol=1e-10)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_does_not_change_valid_outputs(bidirectional):
    torch.manual_seed(0)
    net = S5Backbone(n_inputs=2, d_model=8, n_layers=2, d_state=8, bidirectional=bidirectional).double()
    a, b = torch.randn(1, 9, 2, dtype=torch.float64), torch.randn(1, 5, 2, dtype=torch.float64)
    padded = torch.cat([b, torch.full((1, 4, 2), 7.0, dtype=torch.float64)], dim=1)
    mask = torch.tensor([[True] * 9, [True] * 5 + [False] * 4])
    out = net(torch.cat([a, padded]), mask=mask)
    assert torch.allclose(out[0], net(a)[0], atol=1e-10)
    assert torch.allclose(out[1, :5], net(b)[0], atol=1e-10)


def test_step_rescale_equals_scaled_gaps():
    torch.manual_seed(0)
    net = S5Backbone(n_inputs=1, d_model=4, n_layers=1, d_state=4).double()
    x = torch.randn(1, 12, 1, dtype=torch.float64)
    twice = net(x, dt=torch.full((1, 12), 2.0, dtype=torch.float64))
    for m in net.modules():
        if isinstance(m, S5SSM):
            m.step_rescale = 2.0
    assert torch.allclose(net(x), twice, atol=1e-12)


def test_bidirectional_has_no_step_mode():
    ssm = S5SSM(d_model=2, d_state=4, bidirectional=True)
    with pytest.raises(RuntimeError, match="bidirectional"):
        ssm.step(torch.zeros(1, 2), ssm.initial_state(1))


def test_bad_configuration():
    with pytest.raises(ValueError, match="divisible"):
        S5SSM(d_model=2, d_state=6, blocks=4)
    with pytest.raises(ValueError, match="even"):
        S5SSM(d_model=2, d_state=6, blocks=2)
    with pytest.raises(ValueError, match="discretization"):
        S5SSM(d_model=2, d_state=4, discretization="rk4")
