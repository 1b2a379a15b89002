"""HiPPO matrices, their normal-plus-low-rank (NPLR) structure and the DPLR form in the eigenbasis.

Convention: ``x' = A x + B u`` with ``A`` stable (eigenvalues in the left half plane), i.e. the S4 sign
``A = -A_LegS`` of the HiPPO paper. Measures (Gu et al. 2020, 2022 "How to Train Your HiPPO"):

- ``legs`` (scaled Legendre, time-invariant as in S4/LSSL), rank-1 correction ``P_n = sqrt(n + 1/2)``;
- ``legt`` (translated Legendre, window 1, s4's normalization), rank-2 correction;
- ``lagt`` (translated Laguerre, ``1/2 I - tril(1)``), rank-1 correction ``P = sqrt(1/2)``;
- ``fout`` (translated Fourier), rank-1 correction ``P = B``.

For each, ``A + sum_r P_r P_r^T`` is normal, so ``A = V (Lambda - P~ P~^*) V^*`` with ``P~ = V^* P``.
"""

from __future__ import annotations

import numpy as np


def hippo_legs(N: int) -> tuple[np.ndarray, np.ndarray]:
    """HiPPO-LegS (time-invariant) transition, in the stable sign convention.

    ``A[n, k] = -sqrt(2n+1) sqrt(2k+1)`` for ``n > k``, ``-(n+1)`` for ``n == k``, ``0`` above the diagonal;
    ``B[n] = sqrt(2n+1)``.

    Parameters
    ----------
    N : int
        State size.

    Returns
    -------
    A : ndarray, shape (N, N), float64
    B : ndarray, shape (N,), float64

    Examples
    --------
    >>> A, B = hippo_legs(3)
    >>> print(A.round(3))
    [[-1.     0.     0.   ]
     [-1.732 -2.     0.   ]
     [-2.236 -3.873 -3.   ]]
    """
    if int(N) != N or N < 1:
        raise ValueError(f"N must be a positive integer, got {N!r}")
    q = np.sqrt(2.0 * np.arange(N) + 1.0)
    A = np.tril(-np.outer(q, q), -1) - np.diag(np.arange(N) + 1.0)
    return A, q.copy()


def hippo_legs_low_rank(N: int) -> np.ndarray:
    """Rank-1 correction ``P`` with ``A_LegS + P P^T`` normal: ``P[n] = sqrt(n + 1/2)``.

    Parameters
    ----------
    N : int
        State size.

    Returns
    -------
    P : ndarray, shape (N,), float64
    """
    return np.sqrt(np.arange(N) + 0.5)


def hippo_n(N: int) -> np.ndarray:
    """HiPPO-N: the normal part ``S = A_LegS + P P^T`` of HiPPO-LegS.

    ``S = -I/2 + K`` with ``K`` skew-symmetric, so every eigenvalue has real part exactly ``-1/2``.

    Parameters
    ----------
    N : int
        State size.

    Returns
    -------
    S : ndarray, shape (N, N), float64
    """
    A, _ = hippo_legs(N)
    P = hippo_legs_low_rank(N)
    return A + np.outer(P, P)


def hippo_n_eig(N: int, conj_sym: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Diagonalize HiPPO-N in float64: ``S = V diag(Lambda) V^*`` with ``V`` unitary.

    The real part of every eigenvalue is exactly ``-1/2`` (``S = -I/2 + K`` with ``K`` skew-symmetric);
    the imaginary parts and eigenvectors come from ``eigh(-i K)``, which is Hermitian.

    Parameters
    ----------
    N : int
        State size (even when ``conj_sym``).
    conj_sym : bool
        Keep only the ``N/2`` eigenpairs with negative imaginary part (their conjugates are implied).

    Returns
    -------
    Lambda : ndarray, shape (N,) or (N // 2,), complex128
    V : ndarray, shape (N, N) or (N, N // 2), complex128
        Eigenvectors as columns.
    """
    if conj_sym and N % 2:
        raise ValueError(f"N must be even when conj_sym=True, got {N}")
    K = hippo_n(N) + 0.5 * np.eye(N)
    K = 0.5 * (K - K.T)  # remove rounding noise: K is skew-symmetric by construction
    re = -0.5
    im, V = np.linalg.eigh(-1j * K)
    order = np.argsort(im)
    im, V = im[order], V[:, order]
    lam = re + 1j * im
    if conj_sym:
        lam, V = lam[: N // 2], V[:, : N // 2]
    return lam, V


MEASURES = ("legs", "legt", "lagt", "fout")
_NORMAL_REAL_PART = {"legs": -0.5, "legt": 0.0, "lagt": 0.0, "fout": 0.0}


def hippo(measure: str, N: int) -> tuple[np.ndarray, np.ndarray]:
    """HiPPO transition ``(A, B)`` of a measure, stable sign convention.

    Parameters
    ----------
    measure : {"legs", "legt", "lagt", "fout"}
    N : int
        State size (even for ``fout``).

    Returns
    -------
    A : ndarray, shape (N, N), float64
    B : ndarray, shape (N,), float64

    Examples
    --------
    >>> A, B = hippo("lagt", 3)
    >>> print(A)
    [[-0.5  0.   0. ]
     [-1.  -0.5  0. ]
     [-1.  -1.  -0.5]]
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    if int(N) != N or N < 1:
        raise ValueError(f"N must be a positive integer, got {N!r}")
    n = np.arange(N)
    if measure == "legs":
        return hippo_legs(N)
    if measure == "legt":
        q = np.sqrt(2.0 * n + 1.0)
        sign = np.where(n[:, None] >= n[None, :], 1.0, (-1.0) ** (n[:, None] - n[None, :]))
        return -0.5 * np.outer(q, q) * sign, 0.5 * q
    if measure == "lagt":
        return 0.5 * np.eye(N) - np.tril(np.ones((N, N))), np.ones(N)
    if N % 2:
        raise ValueError(f"N must be even for the fout measure, got {N}")
    J = np.zeros((N, N))
    k = np.arange(1, N // 2)
    J[2 * k + 1, 2 * k] = k
    J[2 * k, 2 * k + 1] = -k
    B = np.zeros(N)
    B[0] = 1.0
    B[2::2] = np.sqrt(2.0)
    return np.pi * J - np.outer(B, B), B


def hippo_low_rank(measure: str, N: int) -> np.ndarray:
    """Low-rank correction ``P`` (shape (r, N)) with ``A + P^T P`` normal for :func:`hippo`'s ``A``.

    Examples
    --------
    >>> hippo_low_rank("legs", 2).round(4).tolist()
    [[0.7071, 1.2247]]
    """
    n = np.arange(N)
    if measure == "legs":
        return hippo_legs_low_rank(N)[None]
    if measure == "legt":
        q = np.sqrt(2.0 * n + 1.0) / np.sqrt(2.0)
        return np.stack([np.where(n % 2 == 1, q, 0.0), np.where(n % 2 == 0, q, 0.0)])
    if measure == "lagt":
        return np.full((1, N), np.sqrt(0.5))
    if measure == "fout":
        return hippo("fout", N)[1][None]
    raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")


def nplr(measure: str, N: int, conj_sym: bool = True):
    """Diagonal-plus-low-rank (DPLR) form of a HiPPO matrix in the eigenbasis of its normal part.

    ``A = V (diag(Lambda) - P~ P~^*) V^*`` with ``V`` unitary, ``P~ = V^* P^T`` and ``B~ = V^* B``, all
    computed in float64; ``eigh`` of the Hermitian ``-i (S - re I)`` gives the eigenpairs. The real part
    ``re`` is the constant diagonal of the normal part ``S``: exactly -1/2 for LegS, 0 for the others.

    Parameters
    ----------
    measure : {"legs", "legt", "lagt", "fout"}
    N : int
    conj_sym : bool
        Keep the ``N / 2`` eigenpairs with negative imaginary part (their conjugates are implied).

    Returns
    -------
    Lambda : ndarray, shape (N',), complex128
    P : ndarray, shape (r, N'), complex128
    B : ndarray, shape (N',), complex128
    V : ndarray, shape (N, N'), complex128
    """
    A, B = hippo(measure, N)
    P = hippo_low_rank(measure, N)
    S = A + P.T @ P
    re = _NORMAL_REAL_PART[measure]
    K = S - re * np.eye(N)
    K = 0.5 * (K - K.T)
    im, V = np.linalg.eigh(-1j * K)
    order = np.argsort(im, kind="stable")
    lam, V = re + 1j * im[order], V[:, order]
    if conj_sym:
        if N % 2:
            raise ValueError(f"N must be even when conj_sym=True, got {N}")
        if measure == "fout":
            raise ValueError("fout has a pair of zero eigenvalues without conjugate partners: use conj_sym=False")
        lam, V = lam[: N // 2], V[:, : N // 2]
    Vh = V.conj().T
    return lam, (Vh @ P.T).T, Vh @ B, V


def gbt(A: np.ndarray, B: np.ndarray, step: float, alpha: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Generalized bilinear transform of a dense system (LSSL).

    ``A_bar = (I - alpha step A)^{-1} (I + (1 - alpha) step A)``, ``B_bar = step (I - alpha step A)^{-1} B``;
    ``alpha`` = 0 forward Euler, 1/2 bilinear, 1 backward Euler.

    Parameters
    ----------
    A : ndarray, shape (N, N)
    B : ndarray, shape (N,) or (N, M)
    step : float
    alpha : float

    Returns
    -------
    A_bar : ndarray, shape (N, N)
    B_bar : ndarray, shape of ``B``
    """
    eye = np.eye(A.shape[0])
    left = eye - alpha * step * A
    return np.linalg.solve(left, eye + (1 - alpha) * step * A), step * np.linalg.solve(left, B)


def legs_online_projection(f: np.ndarray, N: int) -> np.ndarray:
    """HiPPO-LegS online projection of a sampled signal (the time-varying scaled-Legendre measure).

    Integrates ``c'(t) = -(1/t) A c(t) + (1/t) B f(t)`` (``A = -hippo_legs(N)[0]``, the HiPPO paper's sign)
    with the bilinear rule at ``t = 1..L``:
    ``c_k = (I + A / (2k))^{-1} [(I - A / (2k)) c_{k-1} + B f_k / k]``.

    Parameters
    ----------
    f : ndarray, shape (L,)
        Samples ``f_1..f_L``.
    N : int
        Number of Legendre coefficients.

    Returns
    -------
    c : ndarray, shape (N,)
        Coefficients after the last sample: ``f(s) ~ sum_n c_n sqrt(2n + 1) P_n(2 s / L - 1)`` on ``[0, L]``.
    """
    A, B = hippo_legs(N)
    A, eye = -A, np.eye(N)
    c = np.zeros(N)
    for k, value in enumerate(np.asarray(f, dtype=np.float64), start=1):
        c = np.linalg.solve(eye + A / (2 * k), (eye - A / (2 * k)) @ c + B * value / k)
    return c


def legs_reconstruct(c: np.ndarray, n_points: int) -> np.ndarray:
    """Evaluate ``sum_n c_n sqrt(2n + 1) P_n(2 k / n_points - 1)`` at the sample times ``k = 1..n_points``.

    Returns
    -------
    ndarray, shape (n_points,)
    """
    from numpy.polynomial import legendre

    x = np.arange(1, n_points + 1) / n_points * 2 - 1
    return legendre.legval(x, c * np.sqrt(2 * np.arange(len(c)) + 1.0))
