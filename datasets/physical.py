"""Panels of short trajectories of physical systems whose parameters vary from series to series.

:func:`make_mass_spring_damper`: ``m x'' + c x' + k x = 0`` with a random stiffness, damping and initial state per
series (the WARP paper's MSD task: forecast the second half of a series from its first half; a model must infer
the system's parameters from the context). Integrated with scipy's ``solve_ivp`` (DOP853, rtol = atol = 1e-10),
deterministic by ``random_state``.
"""

from __future__ import annotations

import numpy as np


def make_mass_spring_damper(n_series: int = 1000, n_steps: int = 200, dt: float = 0.05, mass: float = 1.0,
                            stiffness=(1.0, 4.0), damping=(0.1, 0.5), observe: str = "position",
                            noise: float = 0.0, random_state: int | None = 0):
    """Trajectories of damped harmonic oscillators, one parameter set and initial state per series.

    Parameters
    ----------
    n_series : int
    n_steps : int
        Samples per series, ``dt`` apart (the first is the initial state).
    dt : float
    mass : float
    stiffness, damping : (float, float)
        Uniform ranges of ``k`` and ``c`` (the defaults are underdamped: ``c^2 < 4 m k``).
    observe : {"position", "both"}
        Channels returned: ``x``, or ``x`` and ``x'``.
    noise : float
        Standard deviation of Gaussian observation noise.
    random_state : int or None

    Returns
    -------
    X : ndarray, shape (n_series, n_steps, 1 or 2)
    params : ndarray, shape (n_series, 4)
        ``(k, c, x_0, v_0)`` of every series.
    """
    from scipy.integrate import solve_ivp

    if not (isinstance(n_series, (int, np.integer)) and n_series >= 1):
        raise ValueError(f"n_series must be a positive int, got {n_series!r}")
    if not (isinstance(n_steps, (int, np.integer)) and n_steps >= 2):
        raise ValueError(f"n_steps must be an int >= 2, got {n_steps!r}")
    if not dt > 0 or not mass > 0:
        raise ValueError(f"dt and mass must be positive, got dt={dt!r}, mass={mass!r}")
    for name, (low, high) in (("stiffness", stiffness), ("damping", damping)):
        if not 0 <= low <= high:
            raise ValueError(f"{name} must be a range 0 <= low <= high, got {(low, high)!r}")
    if observe not in ("position", "both"):
        raise ValueError(f"observe must be 'position' or 'both', got {observe!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    rng = np.random.default_rng(random_state)
    k = rng.uniform(*stiffness, n_series)
    c = rng.uniform(*damping, n_series)
    state0 = rng.uniform(-1.0, 1.0, (n_series, 2))
    t_eval = dt * np.arange(n_steps)
    X = np.empty((n_series, n_steps, 2))
    for i in range(n_series):
        sol = solve_ivp(lambda _, s, k=k[i], c=c[i]: [s[1], -(k * s[0] + c * s[1]) / mass], (0.0, t_eval[-1]),
                        state0[i], method="DOP853", t_eval=t_eval, rtol=1e-10, atol=1e-10)
        X[i] = sol.y.T
    if observe == "position":
        X = X[..., :1]
    if noise:
        X = X + noise * rng.standard_normal(X.shape)
    return X, np.column_stack([k, c, state0])
