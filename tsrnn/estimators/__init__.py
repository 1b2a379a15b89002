"""scikit-learn-compatible estimators: task bases and one class per family and task."""

from tsrnn.estimators.base import (
    BaseSequenceEstimator,
    DirectForecaster,
    QuantileForecaster,
    SequenceClassifier,
    SequenceForecaster,
    SequenceRegressor,
)
from tsrnn.estimators.baselines import SeasonalNaiveForecaster
from tsrnn.estimators.cfc import CfCClassifier, CfCForecaster, CfCRegressor
from tsrnn.estimators.chimera import ChimeraClassifier, ChimeraForecaster
from tsrnn.estimators.cyclenet import CycleNetForecaster
from tsrnn.estimators.dsr import ALRNNReconstructor, DSRReconstructor, PLRNNReconstructor, ShallowPLRNNReconstructor
from tsrnn.estimators.lem import LEMClassifier, LEMForecaster, LEMRegressor
from tsrnn.estimators.lssl import LSSLClassifier, LSSLForecaster, LSSLRegressor
from tsrnn.estimators.ltc import LTCClassifier, LTCForecaster, LTCRegressor
from tsrnn.estimators.s4 import S4Classifier, S4Forecaster, S4Regressor
from tsrnn.estimators.s4d import S4DClassifier, S4DForecaster, S4DRegressor
from tsrnn.estimators.s5 import S5Classifier, S5Forecaster, S5Regressor
from tsrnn.estimators.warp import WARPClassifier, WARPForecaster, WARPReconstructor, WARPRegressor

__all__ = [
    "ALRNNReconstructor",
    "DSRReconstructor",
    "PLRNNReconstructor",
    "ShallowPLRNNReconstructor",
    "BaseSequenceEstimator",
    "CfCClassifier",
    "ChimeraClassifier",
    "ChimeraForecaster",
    "CfCForecaster",
    "CfCRegressor",
    "CycleNetForecaster",
    "DirectForecaster",
    "QuantileForecaster",
    "LEMClassifier",
    "LEMForecaster",
    "LEMRegressor",
    "LSSLClassifier",
    "LSSLForecaster",
    "LSSLRegressor",
    "LTCClassifier",
    "LTCForecaster",
    "LTCRegressor",
    "S4Classifier",
    "S4DClassifier",
    "S4DForecaster",
    "S4DRegressor",
    "S4Forecaster",
    "S4Regressor",
    "S5Classifier",
    "S5Forecaster",
    "S5Regressor",
    "SeasonalNaiveForecaster",
    "SequenceClassifier",
    "SequenceForecaster",
    "SequenceRegressor",
    "WARPClassifier",
    "WARPForecaster",
    "WARPReconstructor",
    "WARPRegressor",
]
