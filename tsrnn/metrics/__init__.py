"""Metrics.

Forecasting: :func:`mse`, :func:`mae` over every entry (NaN targets ignored). Dynamical-systems
reconstruction: :func:`state_space_divergence`, :func:`power_spectrum_distance`, :func:`prediction_error`,
:func:`lyapunov_spectrum` (maps, e.g. trained models) and :func:`lyapunov_spectrum_flow` (vector fields).
"""

from tsrnn.metrics.dynamical import (
    lyapunov_spectrum,
    lyapunov_spectrum_flow,
    power_spectrum_distance,
    prediction_error,
    state_space_divergence,
)
from tsrnn.metrics.forecasting import mae, mse

__all__ = ["lyapunov_spectrum", "lyapunov_spectrum_flow", "mae", "mse", "power_spectrum_distance",
           "prediction_error", "state_space_divergence"]
