"""Data layer: panel layouts, irregular times, missing values, windowing, scaling (numpy only)."""

from tsrnn.data.panel import Panel, attach_times, check_panel, periodic_time_features, to_model_inputs
from tsrnn.data.scaling import ChannelScaler
from tsrnn.data.windowing import make_windows

__all__ = ["ChannelScaler", "Panel", "attach_times", "check_panel", "make_windows", "periodic_time_features",
           "to_model_inputs"]
