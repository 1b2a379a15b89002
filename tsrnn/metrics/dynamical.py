r"""Dynamical-systems reconstruction metrics, one documented convention each.

- :func:`state_space_divergence` (:math:`D_{stsp}`): Kullback-Leibler divergence between the occupation
  measures of the true and the generated trajectory, by binning (low dimension) or Gaussian mixtures (high
  dimension).
- :func:`power_spectrum_distance` (:math:`D_H`): Hellinger distance of smoothed, normalized power spectra,
  averaged over dimensions.
- :func:`prediction_error`: mean squared error of n-step-ahead predictions from every test state.
- :func:`lyapunov_spectrum` (a map and its Jacobian, e.g. a trained model) and
  :func:`lyapunov_spectrum_flow` (a vector field and its Jacobian, e.g. the true equations): QR (Benettin)
  method with re-orthonormalization at every step.

Conventions follow the DSR literature (Hess et al. 2023; Brenner et al. 2022, 2024), where three binning
boxes are in use; tsrnn uses the one below and exposes its parameters.
"""

from __future__ import annotations

import numpy as np


def _trajectory(x, name):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"{name} must be a trajectory of shape (n_steps, n_dims), got shape {x.shape}")
    return x


def state_space_divergence(x_true, x_gen, n_bins: int = 30, method: str = "auto", smoothing: float = 1e-5,
                           sigma2: float = 1.0, n_samples: int = 1000, max_points: int = 10_000,
                           random_state: int = 0) -> float:
    r""":math:`D_{stsp} = KL(p_{true} \| p_{gen})` between the trajectories' occupation measures.

    **Binning** (``method="binning"``; "auto" for fewer than 6 dimensions): the box is, per dimension,
    ``[min - 0.1 std, max + 0.1 std]`` of ``x_true`` (every true point inside), cut into ``n_bins`` equal bins;
    with counts :math:`h` and Laplace smoothing :math:`\alpha` = ``smoothing``,
    :math:`p = (h + \alpha) / (n + \alpha\,n_{bins}^N)` where :math:`n` is the number of points. Generated points
    outside the box or not finite stay in :math:`n` without a bin, so mass leaving the attractor is penalized,
    never dropped. Memory grows as ``n_bins ** N``.

    **Gaussian mixture** (``"gmm"``; "auto" from 6 dimensions): with the first ``max_points`` points of each,
    :math:`p(y) = \frac1T \sum_t \mathcal N(y; x_t, \sigma^2 I)` and :math:`q` likewise; the divergence is the
    Monte Carlo mean of :math:`\log p - \log q` over ``n_samples`` draws from :math:`p` (seeded by
    ``random_state``); draws where :math:`q` underflows to 0 count with the smallest positive float.

    Parameters
    ----------
    x_true, x_gen : array-like, shape (n_steps, n_dims)
    n_bins : int
    method : {"auto", "binning", "gmm"}
    smoothing : float
        Laplace pseudo-count per bin.
    sigma2 : float
        Mixture variance (GMM).
    n_samples, max_points, random_state : int
        GMM Monte Carlo settings.

    Returns
    -------
    float

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((20000, 2))
    >>> round(state_space_divergence(x, x), 12)
    0.0
    """
    x_true, x_gen = _trajectory(x_true, "x_true"), _trajectory(x_gen, "x_gen")
    if x_true.shape[1] != x_gen.shape[1]:
        raise ValueError(f"x_true and x_gen must have the same number of dimensions, got {x_true.shape[1]} and "
                         f"{x_gen.shape[1]}")
    if not np.isfinite(x_true).all():
        raise ValueError("x_true contains NaN or infinite values")
    if method not in ("auto", "binning", "gmm"):
        raise ValueError(f"method must be 'auto', 'binning' or 'gmm', got {method!r}")
    if method == "gmm" or (method == "auto" and x_true.shape[1] >= 6):
        return _gmm_divergence(x_true, x_gen, sigma2, n_samples, max_points, random_state)
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    lo = x_true.min(axis=0) - 0.1 * x_true.std(axis=0)
    hi = x_true.max(axis=0) + 0.1 * x_true.std(axis=0)
    p, q = (_smoothed_histogram(x, lo, hi, n_bins, smoothing) for x in (x_true, x_gen))
    return float(np.sum(p * np.log(p / q)))


def _smoothed_histogram(x, lo, hi, n_bins, alpha):
    inside = np.isfinite(x).all(axis=1)
    with np.errstate(over="ignore"):  # far-escaped states: clipped to "outside the box" before the cast
        idx = np.floor(np.clip((x[inside] - lo) / (hi - lo) * n_bins, -1, n_bins)).astype(np.int64)
    inside_box = np.all((idx >= 0) & (idx < n_bins), axis=1)
    flat = np.ravel_multi_index(idx[inside_box].T, (n_bins,) * x.shape[1])
    counts = np.bincount(flat, minlength=n_bins ** x.shape[1]).astype(np.float64)
    return (counts + alpha) / (len(x) + alpha * n_bins ** x.shape[1])


def _gmm_divergence(x_true, x_gen, sigma2, n_samples, max_points, random_state):
    from scipy.special import logsumexp

    rng = np.random.default_rng(random_state)
    a, b = x_true[:max_points], x_gen[:max_points]
    b = b[np.isfinite(b).all(axis=1)]
    if len(b) == 0:
        return float("inf")
    y = a[rng.integers(len(a), size=n_samples)] + np.sqrt(sigma2) * rng.standard_normal((n_samples, a.shape[1]))

    def log_mix(centers):
        out = np.empty(len(y))
        for s in range(0, len(y), 100):  # chunks keep the distance matrix small
            d2 = ((y[s : s + 100, None, :] - centers[None]) ** 2).sum(-1)
            out[s : s + 100] = logsumexp(-d2 / (2 * sigma2), axis=1) - np.log(len(centers))
        return out

    return float(np.mean(log_mix(a) - log_mix(b)))


def power_spectrum_distance(x_true, x_gen, sigma: float = 20.0) -> float:
    r""":math:`D_H`: Hellinger distance of smoothed power spectra, averaged over dimensions.

    Per dimension: z-score the series, take :math:`|\mathrm{rfft}|^2`, smooth with a Gaussian kernel of
    ``sigma`` frequency bins (scipy ``gaussian_filter1d``, reflect mode, truncated at 4 sigma), clip negative
    values to 0, normalize to sum 1; then :math:`H(p, q) = \sqrt{1 - \sum_k \sqrt{p_k q_k}}`. Because ``sigma``
    is in bins, the value depends on the series length: compare equal lengths only.

    Parameters
    ----------
    x_true, x_gen : array-like, shape (n_steps, n_dims), equal shapes
    sigma : float
        Smoothing width in frequency bins.

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> t = np.arange(4000) * 0.05
    >>> round(power_spectrum_distance(np.sin(t), np.sin(t)), 6)
    0.0
    >>> power_spectrum_distance(np.sin(t), np.sin(3 * t)) > 0.5
    True
    """
    from scipy.ndimage import gaussian_filter1d

    x_true, x_gen = _trajectory(x_true, "x_true"), _trajectory(x_gen, "x_gen")
    if x_true.shape != x_gen.shape:
        raise ValueError(f"x_true and x_gen must have the same shape, got {x_true.shape} and {x_gen.shape}")
    if not np.isfinite(x_gen).all():
        return 1.0  # a diverged trajectory has no spectrum: the maximal distance
    dists = []
    for d in range(x_true.shape[1]):
        spectra = []
        for x in (x_true[:, d], x_gen[:, d]):
            std = x.std()
            z = (x - x.mean()) / (std if std > 0 else 1.0)
            ps = np.clip(gaussian_filter1d(np.abs(np.fft.rfft(z)) ** 2, sigma, mode="reflect", truncate=4.0), 0, None)
            total = ps.sum()
            spectra.append(ps / total if total > 0 else np.full_like(ps, 1.0 / len(ps)))
        bc = np.sum(np.sqrt(spectra[0] * spectra[1]))
        dists.append(np.sqrt(max(0.0, 1.0 - bc)))
    return float(np.mean(dists))


def prediction_error(x, predict, n_steps: int = 20) -> float:
    """n-step prediction error: from every state ``x[t]`` (t <= T - n), predict ``n_steps`` ahead with
    ``predict(states, n_steps)`` and average the squared error against ``x[t + n]`` over states and dimensions.

    Parameters
    ----------
    x : array-like, shape (n_steps_total, n_dims)
    predict : callable
        ``predict(states (k, n_dims), n_steps) -> (k, n_dims)``, e.g. a reconstructor's ``predict``.
    n_steps : int

    Returns
    -------
    float

    Examples
    --------
    >>> x = np.arange(10.0)[:, None]
    >>> prediction_error(x, lambda s, n: s + n, n_steps=3)
    0.0
    """
    x = _trajectory(x, "x")
    if int(n_steps) != n_steps or not 1 <= n_steps < len(x):
        raise ValueError(f"n_steps must be an integer in [1, {len(x) - 1}], got {n_steps!r}")
    pred = np.asarray(predict(x[:-n_steps], n_steps), dtype=np.float64)
    return float(np.mean((pred - x[n_steps:]) ** 2))


def _qr_step(Q, log_sum):
    Q, R = np.linalg.qr(Q)
    diag = np.diag(R)
    Q = Q * np.sign(diag)  # keep orientation (R with positive diagonal)
    return Q, log_sum + np.log(np.abs(diag))


def lyapunov_spectrum(step, jacobian, z0, n_steps: int = 10_000, n_transient: int = 1000, dt: float = 1.0,
                      n_exponents: int | None = None) -> np.ndarray:
    r"""Lyapunov exponents of a map ``z -> step(z)`` by the QR (Benettin) method.

    After ``n_transient`` steps from ``z0``, :math:`Q \leftarrow J(z_t) Q` and re-orthonormalization by QR at
    every step, :math:`\lambda_i = \frac{1}{n\,dt}\sum_t \log |R_{ii}|`; ``dt`` converts per-step exponents to
    per-time-unit ones.

    Parameters
    ----------
    step : callable
        ``z (d,) -> z (d,)``.
    jacobian : callable
        ``z (d,) -> (d, d)``, the Jacobian of ``step`` at ``z``.
    z0 : array-like, shape (d,)
    n_steps, n_transient : int
    dt : float
    n_exponents : int, optional
        Leading exponents to compute (all by default).

    Returns
    -------
    ndarray, shape (n_exponents,), descending

    Examples
    --------
    >>> A = np.diag([2.0, 0.5])
    >>> np.round(lyapunov_spectrum(lambda z: A @ z, lambda z: A, np.ones(2), n_steps=100, n_transient=0), 6)
    array([ 0.693147, -0.693147])
    """
    z = np.asarray(z0, dtype=np.float64)
    for _ in range(n_transient):
        z = step(z)
    k = len(z) if n_exponents is None else int(n_exponents)
    Q = np.eye(len(z))[:, :k]
    total = np.zeros(k)
    for _ in range(n_steps):
        Q, total = _qr_step(jacobian(z) @ Q, total)
        z = step(z)
    if not np.all(np.isfinite(total)):
        raise FloatingPointError("the trajectory left the finite range: Lyapunov exponents are undefined")
    return np.sort(total / (n_steps * dt))[::-1]


def lyapunov_spectrum_flow(field, jacobian, x0, dt: float = 0.01, n_steps: int = 100_000,
                           n_transient: int = 1000) -> np.ndarray:
    r"""Lyapunov exponents of a flow :math:`\dot x = f(x)` from its vector field and Jacobian.

    The state and the tangent vectors :math:`\dot Q = J(x) Q` are integrated together with classical RK4 at
    step ``dt``, with QR re-orthonormalization every step; exponents are per time unit.

    Parameters
    ----------
    field : callable
        ``x (d,) -> dx/dt (d,)``.
    jacobian : callable
        ``x (d,) -> (d, d)``.
    x0 : array-like, shape (d,)
    dt : float
    n_steps, n_transient : int
        Steps measured, and steps integrated first without measuring.

    Returns
    -------
    ndarray, shape (d,), descending

    Examples
    --------
    >>> from tsrnn.datasets.dynamical import lorenz63_field, lorenz63_jacobian
    >>> lam = lyapunov_spectrum_flow(lorenz63_field, lorenz63_jacobian, [1.0, 1.0, 20.0], n_steps=2000)
    >>> lam.shape
    (3,)
    """
    x = np.asarray(x0, dtype=np.float64)
    d = len(x)

    def rk4(x, Q):
        def rhs(x, Q):
            return field(x), jacobian(x) @ Q

        k1 = rhs(x, Q)
        k2 = rhs(x + 0.5 * dt * k1[0], Q + 0.5 * dt * k1[1])
        k3 = rhs(x + 0.5 * dt * k2[0], Q + 0.5 * dt * k2[1])
        k4 = rhs(x + dt * k3[0], Q + dt * k3[1])
        return (x + dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]),
                Q + dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]))

    Q = np.eye(d)
    for _ in range(n_transient):
        x, Q = rk4(x, Q)
        Q, _ = np.linalg.qr(Q)
    total = np.zeros(d)
    for _ in range(n_steps):
        x, Q = rk4(x, Q)
        Q, total = _qr_step(Q, total)
    return np.sort(total / (n_steps * dt))[::-1]
