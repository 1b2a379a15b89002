r"""Symbolic dynamics of piecewise-linear RNNs (AL-RNN, PLRNN, shPLRNN, dendritic PLRNN).

Each ReLU sign pattern :math:`d` fixes a linear subregion in which the map is affine,
:math:`z \mapsto J_d z + c_d` (:meth:`tsrnn.nn.plrnn.PiecewiseLinearRNN.region_affine`). This module turns a
trajectory into its symbolic sequence of regions, builds the region transition graph, finds each region's
fixed point with its stability, and searches k-cycles by the SCYFI heuristic (Eisenmann et al. 2023: guess a
region sequence, solve the linear cycle equations, replace the guess by the regions the solution visits,
repeat until self-consistent).

All functions take a model and return numpy arrays (float64).
"""

from __future__ import annotations

import numpy as np
import torch


def _np(t):
    return t.detach().double().cpu().numpy()


def symbolic_sequence(model, Z):
    """Regions visited by a latent trajectory.

    Parameters
    ----------
    model : PiecewiseLinearRNN
    Z : array-like, shape (T, M)
        Latent states (e.g. ``simulate(..., return_latent=True)``).

    Returns
    -------
    symbols : ndarray, shape (T,), int
        Region index of every step; regions are numbered by how often they are visited (0 = most often).
    regions : ndarray, shape (n_regions, K), bool
        The sign pattern of each symbol.
    counts : ndarray, shape (n_regions,)
        Steps spent in each region.
    """
    with torch.no_grad():
        patterns = model.region(torch.as_tensor(np.asarray(Z), dtype=torch.float64)).numpy()
    uniq, inverse, counts = np.unique(patterns, axis=0, return_inverse=True, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[inverse.ravel()], uniq[order], counts[order]


def transition_graph(symbols, n_regions: int | None = None, normalize: str | None = "rows") -> np.ndarray:
    """Region transition graph of a symbolic sequence: counts of ``s_t -> s_{t+1}`` (self-loops = dwelling).

    Parameters
    ----------
    symbols : array-like, shape (T,), int
    n_regions : int, optional
        Size of the matrix (default: largest symbol + 1).
    normalize : {"rows", "all", None}
        "rows": transition probabilities (each visited row sums to 1); "all": the whole matrix sums to 1;
        None: counts.

    Returns
    -------
    ndarray, shape (n_regions, n_regions)

    Examples
    --------
    >>> transition_graph([0, 0, 1, 0], normalize=None)
    array([[1., 1.],
           [1., 0.]])
    """
    s = np.asarray(symbols, dtype=np.int64)
    n = int(s.max()) + 1 if n_regions is None else int(n_regions)
    G = np.zeros((n, n))
    np.add.at(G, (s[:-1], s[1:]), 1.0)
    if normalize == "rows":
        rows = G.sum(axis=1, keepdims=True)
        return np.divide(G, rows, out=np.zeros_like(G), where=rows > 0)
    if normalize == "all":
        return G / max(G.sum(), 1.0)
    if normalize is not None:
        raise ValueError(f"normalize must be 'rows', 'all' or None, got {normalize!r}")
    return G


def fixed_points(model, regions) -> list[dict]:
    """The fixed point of the affine map of each region, its self-consistency and stability.

    Parameters
    ----------
    model : PiecewiseLinearRNN
    regions : array-like, shape (n, K), bool
        Sign patterns (e.g. the visited ones from :func:`symbolic_sequence`, or :func:`all_regions`).

    Returns
    -------
    list of dict
        Per region: ``region`` (bool pattern), ``z`` (fixed point, (M,)), ``real`` (the fixed point lies in its
        own region; otherwise it is "virtual"), ``eigenvalues`` of ``J_d``, ``spectral_radius``, ``stable``
        (spectral radius < 1). Regions whose ``I - J_d`` is singular are skipped.
    """
    out = []
    for d in np.asarray(regions, dtype=bool):
        with torch.no_grad():
            J, c = (_np(t) for t in model.region_affine(torch.as_tensor(d)))
        try:
            z = np.linalg.solve(np.eye(len(c)) - J, c)
        except np.linalg.LinAlgError:
            continue
        with torch.no_grad():
            own = model.region(torch.as_tensor(z)[None])[0].numpy()
        eig = np.linalg.eigvals(J)
        rho = float(np.max(np.abs(eig)))
        out.append({"region": d, "z": z, "real": bool(np.array_equal(own, d)), "eigenvalues": eig,
                    "spectral_radius": rho, "stable": rho < 1.0})
    return out


def all_regions(n_bits: int) -> np.ndarray:
    """Every sign pattern of ``n_bits`` ReLUs, shape (2**n_bits, n_bits) (for AL-RNNs with few ReLUs)."""
    if n_bits > 20:
        raise ValueError(f"2**{n_bits} regions are too many to enumerate; pass the visited regions instead")
    return ((np.arange(2**n_bits)[:, None] >> np.arange(n_bits)[::-1]) & 1).astype(bool)


def find_cycles(model, k: int, n_trials: int = 100, max_iter: int = 50, random_state: int = 0,
                initial_states=None) -> list[dict]:
    """Search k-cycles of the map by the SCYFI heuristic.

    A trial starts from a region sequence (the regions along ``k`` steps from a random or given state), solves
    the cycle of the composed affine maps :math:`z_0 = (I - P)^{-1} q` with
    :math:`(P, q) = (J_{k-1}, c_{k-1}) \\circ \\dots \\circ (J_0, c_0)`, and replaces the guess by the regions the
    solution actually visits, until they agree (a true k-cycle) or ``max_iter`` is reached.

    Parameters
    ----------
    model : PiecewiseLinearRNN
    k : int
        Period (1 finds fixed points).
    n_trials, max_iter, random_state : int
    initial_states : array-like, shape (n, M), optional
        States to seed trials (e.g. a free-running trajectory); random normal states otherwise.

    Returns
    -------
    list of dict
        Distinct cycles (up to rotation and of minimal period ``k``): ``states`` (k, M), ``regions`` (k, K),
        ``multipliers`` (eigenvalues of the cycle's Jacobian product), ``stable``.
    """
    rng = np.random.default_rng(random_state)
    M = model.n_latent
    seeds = np.asarray(initial_states, dtype=np.float64) if initial_states is not None else None
    found: list[dict] = []

    def regions_along(z):
        out = []
        with torch.no_grad():
            zt = torch.as_tensor(z)[None]
            for _ in range(k):
                out.append(model.region(zt)[0].numpy())
                zt = model(zt)
        return np.array(out)

    for _ in range(n_trials):
        z = seeds[rng.integers(len(seeds))] if seeds is not None else rng.standard_normal(M)
        guess = regions_along(z)
        for _ in range(max_iter):
            maps = []
            for d in guess:
                with torch.no_grad():
                    maps.append(tuple(_np(t) for t in model.region_affine(torch.as_tensor(d))))
            P, q = np.eye(M), np.zeros(M)
            for J, c in maps:
                P, q = J @ P, J @ q + c
            try:
                z0 = np.linalg.solve(np.eye(M) - P, q)
            except np.linalg.LinAlgError:
                break
            states = [z0]
            for J, c in maps[:-1]:
                states.append(J @ states[-1] + c)
            states = np.array(states)
            with torch.no_grad():
                visited = model.region(torch.as_tensor(states)).numpy()
            if np.array_equal(visited, guess):
                if _minimal_period(states) == k and not any(_same_cycle(states, f["states"]) for f in found):
                    mult = np.linalg.eigvals(P)
                    found.append({"states": states, "regions": visited, "multipliers": mult,
                                  "stable": bool(np.max(np.abs(mult)) < 1)})
                break
            guess = visited
    return found


def _minimal_period(states, tol=1e-8):
    k = len(states)
    for p in range(1, k):
        if k % p == 0 and np.allclose(states, np.roll(states, p, axis=0), atol=tol):
            return p
    return k


def _same_cycle(a, b, tol=1e-6):
    return len(a) == len(b) and any(np.allclose(np.roll(a, r, axis=0), b, atol=tol) for r in range(len(a)))
