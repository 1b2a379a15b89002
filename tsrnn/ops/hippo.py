"""HiPPO matrices and their normal (HiPPO-N) diagonalization.

Convention: ``x' = A x + B u`` with ``A`` stable (eigenvalues in the left half plane), i.e. the S4 sign
``A = -A_LegS`` of the HiPPO paper.
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
