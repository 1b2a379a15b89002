r"""The linear recurrence of a weight-space RNN, ``theta_t = A theta_{t-1} + u_t``, for three structures of ``A``.

``theta`` is a long vector (WARP: every weight of a small network, ``D`` of a few hundred to a few thousand), so
the structure of ``A`` decides the cost:

``diagonal``
    ``A = diag(a)``: one elementwise :func:`~tsrnn.ops.scan.linear_scan`; ``O(T D)`` work, parallel in time.
``dplr``
    ``A = diag(a) + P Q^T`` (rank ``r``): solved exactly and in parallel by splitting off the rank-``r`` feedback
    ``z_t = Q^T theta_t``. With ``S`` the diagonal scan, ``theta = S(u + P z_{t-1})`` and
    ``z_t = w_t + sum_{j<t} M_{t-1-j} z_j`` where ``w = Q^T S(u)`` and ``M_k = Q^T diag(a)^k P`` (r x r). The second
    relation is a block lower-triangular system of size ``T r`` with unit diagonal, shared by the batch: one
    triangular solve. Work ``O(T D r^2 + B T^2 r^2)``, memory ``O(T^2 r^2)``; long sequences are solved in chunks
    of ``DPLR_CHUNK`` steps (work ``O(B T chunk r^2)``).
``dense``
    A full ``A``: one ``(B, D) x (D, D)`` product per step, forward and backward; ``O(T B D^2)`` work, sequential
    in time (what the reference implementation does with ``lax.scan``).

All three start from ``theta_{-1} = 0``, so ``theta_0 = u_0``: put the initial state in ``u_0``.
"""

from __future__ import annotations

import torch

from tsrnn.ops.scan import linear_scan


def weight_scan_ref(A: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Reference: the step-by-step recurrence with a materialized ``A``.

    Parameters
    ----------
    A : Tensor, shape (D, D)
    u : Tensor, shape (B, T, D)

    Returns
    -------
    theta : Tensor, shape (B, T, D)
    """
    theta = torch.zeros_like(u[:, 0])
    out = []
    for t in range(u.shape[1]):
        theta = theta @ A.T + u[:, t]
        out.append(theta)
    return torch.stack(out, dim=1)


def diagonal_scan(a: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """``theta_t = a * theta_{t-1} + u_t``: ``a`` (D,), ``u`` (B, T, D) -> theta (B, T, D)."""
    return linear_scan(a.to(u.dtype).expand_as(u), u)[0]


#: Steps per triangular solve of :func:`dplr_scan` (its system has ``(chunk r)^2`` entries).
DPLR_CHUNK = 256


def dplr_scan(a: torch.Tensor, P: torch.Tensor, Q: torch.Tensor, u: torch.Tensor, chunk: int = DPLR_CHUNK) -> torch.Tensor:
    """``theta_t = (diag(a) + P Q^T) theta_{t-1} + u_t``, exact and parallel in time (see the module docstring).

    Long sequences are solved ``chunk`` steps at a time, each chunk starting from the last state of the previous
    one (added to its first input after one step of ``A``), so memory stays ``O(chunk^2 r^2)``.

    Parameters
    ----------
    a : Tensor, shape (D,)
    P, Q : Tensor, shape (D, r)
    u : Tensor, shape (B, T, D)
    chunk : int

    Returns
    -------
    theta : Tensor, shape (B, T, D)
    """
    if u.shape[1] <= chunk:
        return _dplr_solve(a, P, Q, u)
    parts, last = [], None
    for start in range(0, u.shape[1], chunk):
        piece = u[:, start : start + chunk]
        if last is not None:  # theta_{start} = A theta_{start-1} + u_{start}
            carried = a * last + (last @ Q) @ P.T
            piece = torch.cat([piece[:, :1] + carried.unsqueeze(1), piece[:, 1:]], dim=1)
        parts.append(_dplr_solve(a, P, Q, piece))
        last = parts[-1][:, -1]
    return torch.cat(parts, dim=1)


def _dplr_solve(a, P, Q, u):
    """One triangular solve over all of ``u``'s steps (the module docstring's method)."""
    n_batch, length, _ = u.shape
    rank = P.shape[1]
    free = diagonal_scan(a, u)  # the response without the low-rank feedback
    w = free @ Q  # (B, T, r)
    if length > 1:
        powers = a[None, :] ** torch.arange(length - 1, device=a.device, dtype=a.dtype)[:, None]  # (T-1, D)
        M = torch.einsum("kd,dr,ds->krs", powers, Q, P)  # M_k = Q^T diag(a)^k P
        t = torch.arange(length, device=u.device)
        lag = t[:, None] - 1 - t[None, :]  # block (t, j) holds M_{t-1-j} for j < t
        blocks = torch.where((lag >= 0)[:, :, None, None], M[lag.clamp(min=0)], torch.zeros_like(M[0]))
        system = torch.eye(length * rank, dtype=u.dtype, device=u.device) - blocks.permute(0, 2, 1, 3).reshape(
            length * rank, length * rank)
        rhs = w.reshape(n_batch, length * rank).T  # (T r, B)
        z = torch.linalg.solve_triangular(system, rhs, upper=False, unitriangular=True).T.reshape(
            n_batch, length, rank)
    else:
        z = w
    feedback = torch.cat([torch.zeros_like(z[:, :1]), z[:, :-1]], dim=1) @ P.T  # P z_{t-1}
    return diagonal_scan(a, u + feedback)


class _DenseScan(torch.autograd.Function):
    """The dense recurrence with a hand-written backward: the reverse sweep ``g_t = dtheta_t + g_{t+1} A`` and the
    gradient of ``A`` as one product over all steps, ``sum_t g_t^T theta_{t-1}``, instead of autograd's D x D
    outer product and accumulation at every step."""

    @staticmethod
    def forward(ctx, A, u):
        At = A.T
        theta = torch.empty_like(u)
        theta[:, 0] = u[:, 0]
        for t in range(1, u.shape[1]):
            torch.addmm(u[:, t], theta[:, t - 1], At, out=theta[:, t])
        ctx.save_for_backward(A, theta)
        return theta

    @staticmethod
    def backward(ctx, grad_theta):
        A, theta = ctx.saved_tensors
        g = torch.empty_like(grad_theta)
        g[:, -1] = grad_theta[:, -1]
        for t in range(grad_theta.shape[1] - 2, -1, -1):
            torch.addmm(grad_theta[:, t], g[:, t + 1], A, out=g[:, t])
        D = A.shape[0]
        grad_A = g[:, 1:].reshape(-1, D).T @ theta[:, :-1].reshape(-1, D)
        return grad_A, g


def dense_scan(A: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """``theta_t = A theta_{t-1} + u_t`` for a full ``A`` (D, D): one batched product per step, forward and
    backward (sequential in time, ``O(T B D^2)``)."""
    return _DenseScan.apply(A, u.contiguous())
