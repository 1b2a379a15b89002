r"""Two-dimensional linear recurrence over a (variate, time) grid, the core of Chimera's 2-D SSM.

Two states live on every grid point ``(v, t)``: ``h1`` carries information along time, ``h2`` along variates:

.. math::

    h^{(1)}_{v,t} &= a^{(1)}_{v,t}\, h^{(1)}_{v,t-1} + a^{(2)}_{v,t}\, h^{(2)}_{v,t-1} + u^{(1)}_{v,t} \\
    h^{(2)}_{v,t} &= a^{(3)}_{v,t}\, h^{(1)}_{v-1,t} + a^{(4)}_{v,t}\, h^{(2)}_{v-1,t} + u^{(2)}_{v,t}

(elementwise, i.e. diagonal transitions), with zero states before the first time step and before the first
variate. Every coefficient may vary over the grid (input-dependent, "selective" parameters).

The fast form needs no wavefront: the recurrence decouples row by row. Given the whole row ``v - 1``, row
``v`` of ``h2`` is an elementwise update (no recursion along time), after which row ``v`` of ``h1`` is a 1-D
linear recurrence along time with input ``a2_{v,t} h2_{v,t-1} + u1_{v,t}`` --- one call of
:func:`tsrnn.ops.scan.linear_scan`. Symmetrically, column by column: ``h1`` at time ``t`` is elementwise from
column ``t - 1`` and ``h2`` at time ``t`` is a 1-D scan along variates. The op loops over the shorter axis
and scans along the longer one, so its Python-level steps are ``min(V, T)``.
"""

from __future__ import annotations

import torch

from tsrnn.ops.scan import linear_scan

_NAMES = ("a1", "a2", "a3", "a4", "u1", "u2")


def _check(tensors):
    shape = tensors[-1].shape
    if len(shape) < 3:
        raise ValueError(f"u2 must have shape (B, V, T, S...), got {tuple(shape)}")
    for name, t in zip(_NAMES, tensors, strict=True):
        if t.shape != shape:
            raise ValueError(f"{name} must have the shape of u2 {tuple(shape)}, got {tuple(t.shape)}")


def scan2d_ref(a1, a2, a3, a4, u1, u2) -> tuple[torch.Tensor, torch.Tensor]:
    """Reference: the plain double loop over variates and time, the specification of :func:`scan2d`.

    Parameters
    ----------
    a1, a2, a3, a4, u1, u2 : Tensor, shape (B, V, T, S...)
        Transition coefficients and inputs on the grid (real or complex).

    Returns
    -------
    h1, h2 : Tensor, shape (B, V, T, S...)
    """
    _check((a1, a2, a3, a4, u1, u2))
    B, V, T = u2.shape[:3]
    zero = torch.zeros_like(u2[:, 0, 0])
    h1 = [[None] * T for _ in range(V)]
    h2 = [[None] * T for _ in range(V)]
    for v in range(V):
        for t in range(T):
            p1, p2 = (h1[v][t - 1], h2[v][t - 1]) if t else (zero, zero)
            q1, q2 = (h1[v - 1][t], h2[v - 1][t]) if v else (zero, zero)
            h1[v][t] = a1[:, v, t] * p1 + a2[:, v, t] * p2 + u1[:, v, t]
            h2[v][t] = a3[:, v, t] * q1 + a4[:, v, t] * q2 + u2[:, v, t]
    stack = lambda h: torch.stack([torch.stack(row, dim=1) for row in h], dim=1)  # noqa: E731
    return stack(h1), stack(h2)


def _by_rows(a1, a2, a3, a4, u1, u2, backend):
    """Loop over variates; each row of h1 is one linear scan along time."""
    # unbind once: indexing row by row would make autograd fill a full-size gradient per row (O(V^2) traffic).
    a1, a2, a3, a4, u1, u2 = (t.unbind(1) for t in (a1, a2, a3, a4, u1, u2))
    h1_rows, h2_rows = [], []
    for v in range(len(u2)):
        h2 = a3[v] * h1_rows[-1] + a4[v] * h2_rows[-1] + u2[v] if v else u2[0]
        carried = torch.cat([torch.zeros_like(h2[:, :1]), h2[:, :-1]], dim=1)  # h2 at (v, t - 1)
        h1, _ = linear_scan(a1[v], a2[v] * carried + u1[v], backend=backend)
        h1_rows.append(h1)
        h2_rows.append(h2)
    return torch.stack(h1_rows, dim=1), torch.stack(h2_rows, dim=1)


def scan2d(a1, a2, a3, a4, u1, u2, loop: str = "auto", backend: str = "auto") -> tuple[torch.Tensor, torch.Tensor]:
    """The 2-D recurrence of the module docstring, by 1-D scans along the longer axis.

    Parameters
    ----------
    a1, a2, a3, a4, u1, u2 : Tensor, shape (B, V, T, S...)
        Real or complex, all of the same shape (expand broadcast coefficients before calling).
    loop : {"auto", "variates", "time"}
        Axis looped over in Python ("auto": the shorter one); the other is scanned.
    backend : str
        Backend of :func:`tsrnn.ops.scan.linear_scan`.

    Returns
    -------
    h1, h2 : Tensor, shape (B, V, T, S...)

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> a = [0.5 * torch.rand(2, 3, 5, 4, generator=g, dtype=torch.float64) for _ in range(4)]
    >>> u = [torch.randn(2, 3, 5, 4, generator=g, dtype=torch.float64) for _ in range(2)]
    >>> ref = scan2d_ref(*a, *u)
    >>> all(torch.allclose(f, r) for f, r in zip(scan2d(*a, *u, loop="time"), ref))
    True
    """
    _check((a1, a2, a3, a4, u1, u2))
    if loop not in ("auto", "variates", "time"):
        raise ValueError(f"loop must be 'auto', 'variates' or 'time', got {loop!r}")
    V, T = u2.shape[1:3]
    if loop == "variates" or (loop == "auto" and V <= T):
        return _by_rows(a1, a2, a3, a4, u1, u2, backend)
    # Loop over time: transpose the grid so that time plays the role of the variates and vice versa.
    swap = lambda x: x.transpose(1, 2)  # noqa: E731
    h2, h1 = _by_rows(swap(a4), swap(a3), swap(a2), swap(a1), swap(u2), swap(u1), backend)
    return swap(h1), swap(h2)
