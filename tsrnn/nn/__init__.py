"""torch modules per family (usable without scikit-learn or Lightning) and shared building blocks."""

from tsrnn.nn.blocks import ResidualSequenceBlock, SequenceBackbone, is_ssm_parameter, mark_ssm_parameter
from tsrnn.nn.heads import DirectForecastNet, SequencePoolingNet
from tsrnn.nn.s5 import S5SSM, S5Backbone

__all__ = ["DirectForecastNet", "ResidualSequenceBlock", "S5Backbone", "S5SSM", "SequenceBackbone",
           "SequencePoolingNet", "is_ssm_parameter", "mark_ssm_parameter"]
