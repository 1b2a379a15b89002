"""torch modules per family (usable without scikit-learn or Lightning) and shared building blocks."""

from tsrnn.nn.blocks import (
    ConvSSMMixer,
    ResidualSequenceBlock,
    SequenceBackbone,
    SSMMixer,
    mark_ssm_parameters,
    split_ssm_parameters,
)
from tsrnn.nn.heads import DirectForecastNet, SequencePoolingNet
from tsrnn.nn.lssl import LSSLSSM, LSSLBackbone
from tsrnn.nn.s4 import S4SSM, S4Backbone
from tsrnn.nn.s4d import S4DSSM, S4DBackbone
from tsrnn.nn.s5 import S5SSM, S5Backbone

__all__ = ["ConvSSMMixer", "DirectForecastNet", "LSSLBackbone", "LSSLSSM", "ResidualSequenceBlock", "S4Backbone",
           "S4DBackbone", "S4DSSM", "S4SSM", "S5Backbone", "S5SSM", "SSMMixer", "SequenceBackbone",
           "SequencePoolingNet", "mark_ssm_parameters", "split_ssm_parameters"]
