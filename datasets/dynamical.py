"""Ground-truth chaotic systems for dynamical-systems reconstruction: Lorenz-63, Rössler, Lorenz-96.

Trajectories are integrated with scipy's ``solve_ivp`` (DOP853, rtol = atol = 1e-9) and sampled every ``dt``;
a transient is discarded, the series is standardized (with its own statistics or given ones, e.g. those of
a training trajectory), and Gaussian observation noise with standard deviation ``noise`` (in standardized
units, as the DSR literature's "5% noise") is added last. Everything is deterministic by ``random_state``:
the initial condition is drawn near the attractor from it.

Each system also exposes its vector field and Jacobian (for Lyapunov exponents from the equations,
:func:`tsrnn.metrics.lyapunov_spectrum_flow`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class System:
    """A continuous-time system: ``dx/dt = field(x)``, its Jacobian, a typical sampling step and initial state."""

    name: str
    field: object
    jacobian: object
    dt: float
    x0: tuple
    transient: float  # time units discarded

    def __repr__(self):
        return f"System({self.name!r}, dt={self.dt})"


def lorenz63_field(x, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    """Lorenz-63 vector field; ``x`` of shape (..., 3)."""
    return np.stack([sigma * (x[..., 1] - x[..., 0]), x[..., 0] * (rho - x[..., 2]) - x[..., 1],
                     x[..., 0] * x[..., 1] - beta * x[..., 2]], axis=-1)


def lorenz63_jacobian(x, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    """Jacobian of :func:`lorenz63_field` at one state ``x`` (3,), shape (3, 3)."""
    return np.array([[-sigma, sigma, 0.0], [rho - x[2], -1.0, -x[0]], [x[1], x[0], -beta]])


def rossler_field(x, a=0.2, b=0.2, c=5.7):
    """Rössler vector field; ``x`` of shape (..., 3)."""
    return np.stack([-x[..., 1] - x[..., 2], x[..., 0] + a * x[..., 1], b + x[..., 2] * (x[..., 0] - c)], axis=-1)


def rossler_jacobian(x, a=0.2, b=0.2, c=5.7):
    """Jacobian of :func:`rossler_field` at ``x`` (3,)."""
    return np.array([[0.0, -1.0, -1.0], [1.0, a, 0.0], [x[2], 0.0, x[0] - c]])


def lorenz96_field(x, forcing=8.0):
    """Lorenz-96 vector field ``dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F`` (cyclic); ``x`` (..., d)."""
    return (np.roll(x, -1, -1) - np.roll(x, 2, -1)) * np.roll(x, 1, -1) - x + forcing


def lorenz96_jacobian(x, forcing=8.0):
    """Jacobian of :func:`lorenz96_field` at ``x`` (d,)."""
    d = len(x)
    J = -np.eye(d)
    for i in range(d):
        J[i, (i + 1) % d] += x[(i - 1) % d]
        J[i, (i - 2) % d] -= x[(i - 1) % d]
        J[i, (i - 1) % d] += x[(i + 1) % d] - x[(i - 2) % d]
    return J


SYSTEMS = {
    "lorenz63": System("lorenz63", lorenz63_field, lorenz63_jacobian, 0.01, (1.0, 1.0, 20.0), 20.0),
    "rossler": System("rossler", rossler_field, rossler_jacobian, 0.08, (1.0, 1.0, 0.0), 200.0),
}


def _integrate(field, x0, n_steps, dt, transient):
    from scipy.integrate import solve_ivp

    n_skip = int(round(transient / dt))
    t = np.arange(n_skip + n_steps) * dt
    sol = solve_ivp(lambda _, x: field(x), (0.0, t[-1]), np.asarray(x0, dtype=np.float64), method="DOP853",
                    t_eval=t, rtol=1e-9, atol=1e-9)
    if not sol.success:
        raise RuntimeError(f"integration failed: {sol.message}")
    return sol.y.T[n_skip:]


def _finish(X, standardize, stats, noise, rng):
    if stats is not None:
        mean, std = (np.asarray(s, dtype=np.float64) for s in stats)
        X = (X - mean) / std
    elif standardize:
        mean, std = X.mean(axis=0), X.std(axis=0)
        X = (X - mean) / std
    else:
        mean, std = np.zeros(X.shape[1]), np.ones(X.shape[1])
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    if noise:
        X = X + noise * rng.standard_normal(X.shape)
    return X, (mean, std)


def _check(n_steps, dt):
    if int(n_steps) != n_steps or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}")
    if not dt > 0:
        raise ValueError(f"dt must be > 0, got {dt!r}")


def make_trajectory(system: str = "lorenz63", n_steps: int = 100_000, dt: float | None = None,
                    transient: float | None = None, noise: float = 0.0, standardize: bool = True, stats=None,
                    random_state: int = 0, return_stats: bool = False):
    """A trajectory of a ground-truth system.

    Parameters
    ----------
    system : {"lorenz63", "rossler"}
        Lorenz-63 (sigma 10, rho 28, beta 8/3; default dt 0.01) or Rössler (0.2, 0.2, 5.7; default dt 0.08).
    n_steps : int
        Samples returned (after the transient).
    dt : float, optional
        Sampling step in time units (system default when omitted).
    transient : float, optional
        Time units integrated and discarded first (system default: 20 for Lorenz, 200 for Rössler).
    noise : float
        Standard deviation of Gaussian observation noise added after standardization.
    standardize : bool
        z-score every dimension with the trajectory's own mean and std (ignored when ``stats`` is given).
    stats : tuple of arrays (mean, std), optional
        Standardize with these (e.g. a training trajectory's statistics) instead.
    random_state : int
        Seeds the initial condition (a random perturbation of a point near the attractor) and the noise.
    return_stats : bool
        Also return ``(mean, std)`` used for standardization.

    Returns
    -------
    X : ndarray, shape (n_steps, 3)
    stats : tuple (mean, std), only with ``return_stats``

    Examples
    --------
    >>> X = make_trajectory("lorenz63", n_steps=500, random_state=0)
    >>> X.shape, bool(abs(X.mean()) < 1e-12)
    ((500, 3), True)
    """
    if system not in SYSTEMS:
        hint = " (Lorenz-96, with its dimension and forcing: make_lorenz96)" if "96" in str(system) else ""
        raise ValueError(f"system must be one of {sorted(SYSTEMS)}, got {system!r}{hint}")
    spec = SYSTEMS[system]
    dt = spec.dt if dt is None else dt
    _check(n_steps, dt)
    rng = np.random.default_rng(random_state)
    x0 = np.asarray(spec.x0) + rng.standard_normal(3)
    X = _integrate(spec.field, x0, n_steps, dt, spec.transient if transient is None else transient)
    X, used = _finish(X, standardize, stats, noise, rng)
    return (X, used) if return_stats else X


def make_lorenz96(n_dims: int = 10, forcing: float = 8.0, n_steps: int = 100_000, dt: float = 0.05,
                  transient: float = 50.0, noise: float = 0.0, standardize: bool = True, stats=None,
                  random_state: int = 0, return_stats: bool = False):
    """A Lorenz-96 trajectory (``n_dims`` cyclic variables, forcing F; chaotic for F = 8).

    Parameters and returns as :func:`make_trajectory` (``X`` of shape (n_steps, n_dims)).

    Examples
    --------
    >>> make_lorenz96(n_dims=6, n_steps=200).shape
    (200, 6)
    """
    if int(n_dims) != n_dims or n_dims < 4:
        raise ValueError(f"n_dims must be an integer >= 4, got {n_dims!r}")
    _check(n_steps, dt)
    rng = np.random.default_rng(random_state)
    x0 = forcing + 0.5 * rng.standard_normal(n_dims)
    X = _integrate(lambda x: lorenz96_field(x, forcing), x0, n_steps, dt, transient)
    X, used = _finish(X, standardize, stats, noise, rng)
    return (X, used) if return_stats else X
