"""Metrics. Forecasting: :func:`mse`, :func:`mae` over every entry (NaN targets ignored)."""

from tsrnn.metrics.forecasting import mae, mse

__all__ = ["mae", "mse"]
