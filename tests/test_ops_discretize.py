"""Discretizations: closed forms, matrix exponential, stability, behaviour near dt -> 0, HiPPO matrices."""

import numpy as np
import pytest
import scipy.linalg
import torch

from tsrnn.ops import discretize_diag, discretize_diag_ref, hippo_legs, hippo_n, hippo_n_eig, phi1
from tsrnn.ops.discretize import METHODS


@pytest.mark.parametrize("method", METHODS)
def test_matches_scalar_reference(method):
    rng = np.random.default_rng(0)
    lam = -rng.uniform(0.01, 3, 20) + 1j * rng.normal(0, 5, 20)
    dt = 10 ** rng.uniform(-4, 0, 20)
    a, g = discretize_diag(torch.tensor(lam), torch.tensor(dt), method)
    for i in range(20):
        ar, gr = discretize_diag_ref(lam[i], dt[i], method)
        assert abs(a[i].item() - ar) <= 1e-12 * max(1, abs(ar))
        assert abs(g[i].item() - gr) <= 1e-10 * max(1, abs(gr))


def test_zoh_equals_matrix_exponential_of_continuous_system():
    """Diagonalize a random stable real system, discretize by ZOH per eigenvalue, map back: equals expm."""
    rng = np.random.default_rng(1)
    N = 6
    A = rng.normal(size=(N, N)) - 4 * np.eye(N)
    B = rng.normal(size=(N, 1))
    dt = 0.37
    M = scipy.linalg.expm(np.block([[A, B], [np.zeros((1, N + 1))]]) * dt)  # [[e^{A dt}, int e^{As} ds B]]
    lam, V = np.linalg.eig(A)
    Vinv = np.linalg.inv(V)
    a, g = discretize_diag(torch.tensor(lam), torch.tensor(dt, dtype=torch.float64), "zoh")
    A_bar = (V * a.numpy()) @ Vinv
    B_bar = V @ (g.numpy()[:, None] * (Vinv @ B))
    assert np.abs(A_bar - M[:N, :N]).max() < 1e-12
    assert np.abs(B_bar - M[:N, N:]).max() < 1e-12


@pytest.mark.parametrize("method", ["zoh", "bilinear", "backward_euler"])
def test_stable_for_every_stable_eigenvalue_and_step(method):
    """Property: Re(lambda) < 0 and dt > 0 give |lambda_bar| < 1 (100k random draws over many decades)."""
    rng = np.random.default_rng(2)
    n = 100_000
    re = -(10 ** rng.uniform(-6, 3, n))
    im = rng.choice([-1, 1], n) * 10 ** rng.uniform(-6, 4, n)
    dt = 10 ** rng.uniform(-6, 2, n)
    a, g = discretize_diag(torch.tensor(re + 1j * im), torch.tensor(dt), method)
    assert torch.isfinite(torch.view_as_real(g)).all()
    assert (a.abs() < 1).all()


def test_forward_euler_unstable_for_large_steps():
    a, _ = discretize_diag(torch.tensor([-1.0 + 0j], dtype=torch.complex128), torch.tensor([3.0], dtype=torch.float64),
                           "euler")
    assert a.abs().item() > 1


def test_phi1_accurate_and_differentiable_near_zero():
    z = torch.tensor([0.0, 1e-12, 1e-6, 1e-4, 1e-2, 1.0], dtype=torch.float64)
    exact = np.array([1.0] + [float(np.expm1(x) / x) for x in z[1:].numpy()])
    assert np.allclose(phi1(z).numpy(), exact, rtol=1e-14, atol=0)
    zc = torch.tensor([0j, 1e-9 + 1e-9j, 1e-5j, 0.3 - 2j], dtype=torch.complex128)
    exact_c = [1.0] + [complex(np.expm1(x) / x) for x in zc[1:].numpy()]
    assert np.allclose(phi1(zc).numpy(), exact_c, rtol=1e-13, atol=0)
    zr = z.clone().requires_grad_()
    phi1(zr).sum().backward()
    assert torch.isfinite(zr.grad).all() and abs(zr.grad[0].item() - 0.5) < 1e-12


def test_zoh_gradient_finite_at_tiny_steps():
    lam = torch.tensor([-0.5 + 2j], dtype=torch.complex128, requires_grad=True)
    dt = torch.tensor([1e-9, 0.0, 1e-3], dtype=torch.float64, requires_grad=True)
    a, g = discretize_diag(lam, dt, "zoh")
    (a.abs().sum() + g.abs().sum()).backward()
    assert torch.isfinite(dt.grad).all() and torch.isfinite(torch.view_as_real(lam.grad)).all()


def test_hippo_legs_closed_form():
    A, B = hippo_legs(4)
    for n in range(4):
        assert B[n] == pytest.approx(np.sqrt(2 * n + 1))
        for k in range(4):
            expected = -np.sqrt((2 * n + 1) * (2 * k + 1)) if n > k else (-(n + 1) if n == k else 0.0)
            assert A[n, k] == pytest.approx(expected)


def test_hippo_n_normal_part_has_real_part_minus_half():
    for N in (2, 8, 64):
        S = hippo_n(N)
        K = S + 0.5 * np.eye(N)
        assert np.abs(K + K.T).max() < 1e-12  # S = -I/2 + skew
        assert np.abs(np.linalg.eigvals(S).real + 0.5).max() < 1e-8
        lam, V = hippo_n_eig(N, conj_sym=False)
        assert np.all(lam.real == -0.5)
        assert np.abs(V @ np.diag(lam) @ V.conj().T - S).max() < 1e-10
        lam_half, _ = hippo_n_eig(N)
        assert lam_half.shape == (N // 2,) and np.all(lam_half.imag < 0)
