"""HiPPO matrices: closed forms, NPLR/DPLR structure, GBT, LegS online projection."""

import numpy as np
import pytest

from tsrnn.ops.discretize import discretize_diag
from tsrnn.ops.hippo import MEASURES, gbt, hippo, hippo_low_rank, legs_online_projection, legs_reconstruct, nplr


def test_closed_forms():
    A, B = hippo("legt", 3)
    q = np.sqrt([1.0, 3.0, 5.0])
    assert A[2, 0] == pytest.approx(-0.5 * q[2] * q[0]) and A[0, 1] == pytest.approx(0.5 * q[0] * q[1])
    assert A[0, 2] == pytest.approx(-0.5 * q[0] * q[2]) and np.allclose(B, 0.5 * q)
    A, B = hippo("fout", 6)
    assert A[3, 2] == pytest.approx(np.pi) and A[2, 3] == pytest.approx(-np.pi - 0.0)  # pi J - B B^T, B_3 = 0
    assert np.allclose(B, [1, 0, np.sqrt(2), 0, np.sqrt(2), 0])
    A, _ = hippo("legs", 3)
    assert A[2, 1] == pytest.approx(-np.sqrt(15)) and A[1, 2] == 0 and A[2, 2] == -3


@pytest.mark.parametrize("measure", MEASURES)
def test_stable_and_normal_plus_low_rank(measure):
    N = 12
    A, _ = hippo(measure, N)
    assert np.linalg.eigvals(A).real.max() <= 1e-9
    P = hippo_low_rank(measure, N)
    S = A + P.T @ P
    assert np.abs(S @ S.T - S.T @ S).max() < 1e-10
    lam, Pt, _, V = nplr(measure, N, conj_sym=False)
    assert np.abs(V @ (np.diag(lam) - Pt.T @ Pt.conj()) @ V.conj().T - A).max() < 1e-10
    assert np.abs(V.conj().T @ V - np.eye(N)).max() < 1e-10


def test_legs_normal_part_real_part_exactly_minus_half():
    lam, P, B, V = nplr("legs", 16)
    assert np.all(lam.real == -0.5) and lam.shape == (8,) and P.shape == (1, 8) and np.all(lam.imag < 0)


def test_fout_refuses_conjugate_symmetry():
    with pytest.raises(ValueError, match="conj_sym"):
        nplr("fout", 8)


@pytest.mark.parametrize("alpha, method", [(0.0, "euler"), (0.5, "bilinear"), (1.0, "backward_euler")])
def test_gbt_matches_diagonal_closed_forms(alpha, method):
    import torch

    lam = np.array([-0.3 + 2j, -1.0 - 0.5j, -2.0 + 0j])
    A_bar, B_bar = gbt(np.diag(lam), np.ones(3, dtype=complex), 0.1, alpha)
    a, g = discretize_diag(torch.tensor(lam), torch.tensor(0.1, dtype=torch.float64), method)
    assert np.allclose(np.diag(A_bar), a.numpy(), atol=1e-14) and np.allclose(B_bar, g.numpy(), atol=1e-14)


def test_legs_online_projection_error_falls_with_N():
    L = 2000
    s = np.arange(1, L + 1) / L
    f = np.sin(6 * s) + 0.5 * np.cos(15 * s**2)
    errors = [np.sqrt(np.mean((legs_reconstruct(legs_online_projection(f, N), L) - f) ** 2)) for N in (4, 8, 16)]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 5e-3
