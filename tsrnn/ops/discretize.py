r"""Discretizations of a diagonal continuous-time system ``x' = lambda x + b u``.

For every eigenvalue ``lambda`` (complex, ``Re lambda < 0``) and step ``Delta > 0`` the discrete system is
``x_k = lambda_bar x_{k-1} + gamma * b u_k`` with

==================  ==============================  ======================================
method              ``lambda_bar``                  ``gamma`` (multiplier on ``b``)
==================  ==============================  ======================================
``zoh``             ``exp(Delta lambda)``           ``(exp(Delta lambda) - 1) / lambda``
``bilinear``        ``(1 + D/2) / (1 - D/2)``       ``Delta / (1 - D/2)``
``euler``           ``1 + D``                       ``Delta``
``backward_euler``  ``1 / (1 - D)``                 ``Delta / (1 - D)``
==================  ==============================  ======================================

where ``D = Delta lambda``. ZOH, bilinear and backward Euler map ``Re lambda < 0`` strictly inside the unit
disk for every ``Delta > 0``; forward Euler only for small enough steps.

Because ``gamma`` multiplies ``b`` elementwise, ``B u`` can be computed once for the whole sequence and the
(possibly per-step) discretization is an elementwise scale: the basis of the fused discretize-and-scan op.
"""

from __future__ import annotations

import torch

METHODS = ("zoh", "bilinear", "euler", "backward_euler")

# Below this |z| the ZOH factor phi_1(z) = (e^z - 1)/z is evaluated by its Taylor series.
_PHI1_SERIES_RADIUS = 1e-4


def _expm1_complex(z: torch.Tensor) -> torch.Tensor:
    """``exp(z) - 1`` for complex ``z`` without cancellation near ``z = 0``."""
    x, y = z.real, z.imag
    # e^x cos y - 1 = expm1(x) cos y - 2 sin^2(y / 2)
    re = torch.expm1(x) * torch.cos(y) - 2.0 * torch.sin(0.5 * y) ** 2
    im = torch.exp(x) * torch.sin(y)
    return torch.complex(re, im)


def phi1(z: torch.Tensor) -> torch.Tensor:
    """``phi_1(z) = (exp(z) - 1) / z`` with ``phi_1(0) = 1``, accurate and differentiable near ``0``.

    Parameters
    ----------
    z : Tensor, any shape, real or complex

    Returns
    -------
    Tensor, same shape and dtype as ``z``

    Examples
    --------
    >>> import torch
    >>> phi1(torch.tensor([0.0, 1e-12, 1.0], dtype=torch.float64))
    tensor([1.0000, 1.0000, 1.7183], dtype=torch.float64)
    """
    small = z.abs() < _PHI1_SERIES_RADIUS
    # "double where": the unused branch must not see z = 0, or its gradient would be NaN.
    z_safe = torch.where(small, torch.ones_like(z), z)
    em1 = _expm1_complex(z_safe) if z.is_complex() else torch.expm1(z_safe)
    series = 1.0 + z * (0.5 + z * (1.0 / 6.0 + z / 24.0))
    return torch.where(small, series, em1 / z_safe)


def discretize_diag(Lambda: torch.Tensor, step: torch.Tensor, method: str = "zoh") -> tuple[torch.Tensor, torch.Tensor]:
    """Discretize a diagonal system: return ``(lambda_bar, gamma)`` with ``B_bar = gamma * B``.

    Parameters
    ----------
    Lambda : Tensor, shape (..., N), complex (or real)
        Continuous-time eigenvalues.
    step : Tensor, real, broadcastable against ``Lambda``
        Step sizes ``Delta > 0``; per state, per time step, or both (e.g. shape ``(B, L, N)``).
    method : {"zoh", "bilinear", "euler", "backward_euler"}

    Returns
    -------
    lambda_bar : Tensor, broadcast shape, dtype of ``Lambda``
    gamma : Tensor, broadcast shape, dtype of ``Lambda``

    Examples
    --------
    >>> import torch
    >>> lam = torch.tensor([-0.5 + 1j], dtype=torch.complex128)
    >>> a, g = discretize_diag(lam, torch.tensor([0.1], dtype=torch.float64), "zoh")
    >>> bool(torch.allclose(a, torch.exp(0.1 * lam)))
    True
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    step = step.to(Lambda.real.dtype if Lambda.is_complex() else Lambda.dtype)
    z = Lambda * step
    if method == "zoh":
        return torch.exp(z), step * phi1(z)
    if method == "bilinear":
        den = 1.0 - 0.5 * z
        return (1.0 + 0.5 * z) / den, step / den
    if method == "euler":
        return 1.0 + z, step * torch.ones_like(z)
    den = 1.0 - z
    return 1.0 / den, step / den


def discretize_diag_ref(Lambda: complex, step: float, method: str = "zoh") -> tuple[complex, complex]:
    """Scalar reference of :func:`discretize_diag`, straight from the formulas (Python ``cmath``).

    Parameters
    ----------
    Lambda : complex
    step : float
    method : {"zoh", "bilinear", "euler", "backward_euler"}

    Returns
    -------
    lambda_bar, gamma : complex
    """
    import cmath

    z = Lambda * step
    if method == "zoh":
        return cmath.exp(z), (cmath.exp(z) - 1.0) / Lambda
    if method == "bilinear":
        return (1 + z / 2) / (1 - z / 2), step / (1 - z / 2)
    if method == "euler":
        return 1 + z, complex(step)
    if method == "backward_euler":
        return 1 / (1 - z), step / (1 - z)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")
