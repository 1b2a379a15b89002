"""Per-channel standardization fit on training data only (missing values ignored)."""

from __future__ import annotations

import numpy as np


class ChannelScaler:
    """Standardize every channel with statistics from the data passed to :meth:`fit`.

    Examples
    --------
    >>> s = ChannelScaler().fit(np.array([[0.0], [2.0], [np.nan]]))
    >>> s.transform(np.array([[2.0]])).tolist(), s.mean_.tolist()
    ([[1.0]], [1.0])
    """

    def fit(self, values: np.ndarray) -> ChannelScaler:
        """values : (..., C) -> self, with ``mean_`` and ``scale_`` of shape (C,)."""
        flat = np.asarray(values, dtype=np.float64).reshape(-1, np.shape(values)[-1])
        self.mean_ = np.nanmean(flat, axis=0)
        std = np.nanstd(flat, axis=0)
        self.scale_ = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        self.mean_ = np.where(np.isfinite(self.mean_), self.mean_, 0.0)
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        """(..., C) -> standardized (..., C)."""
        return (values - self.mean_) / self.scale_

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        """(..., C) -> original units."""
        return values * self.scale_ + self.mean_

    def get_state(self) -> dict:
        """JSON-serializable statistics."""
        return {"mean": self.mean_.tolist(), "scale": self.scale_.tolist()}

    @classmethod
    def from_state(cls, state: dict) -> ChannelScaler:
        """Rebuild from :meth:`get_state`."""
        s = cls()
        s.mean_, s.scale_ = np.asarray(state["mean"]), np.asarray(state["scale"])
        return s
