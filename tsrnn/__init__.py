"""tsrnn: time-series and continuous-time sequence models with scikit-learn-style estimators.

Importing ``tsrnn`` is cheap: torch, Lightning, sktime and Triton are imported only when an estimator,
module or op is first used. Public names are resolved lazily (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_LAZY = {
    "S5Forecaster": "tsrnn.estimators.s5",
    "S5Classifier": "tsrnn.estimators.s5",
    "S5Regressor": "tsrnn.estimators.s5",
    "S4DForecaster": "tsrnn.estimators.s4d",
    "S4DClassifier": "tsrnn.estimators.s4d",
    "S4DRegressor": "tsrnn.estimators.s4d",
    "S4Forecaster": "tsrnn.estimators.s4",
    "S4Classifier": "tsrnn.estimators.s4",
    "S4Regressor": "tsrnn.estimators.s4",
    "LSSLForecaster": "tsrnn.estimators.lssl",
    "LSSLClassifier": "tsrnn.estimators.lssl",
    "LSSLRegressor": "tsrnn.estimators.lssl",
    "CfCForecaster": "tsrnn.estimators.cfc",
    "CfCClassifier": "tsrnn.estimators.cfc",
    "CfCRegressor": "tsrnn.estimators.cfc",
    "LTCForecaster": "tsrnn.estimators.ltc",
    "LTCClassifier": "tsrnn.estimators.ltc",
    "LTCRegressor": "tsrnn.estimators.ltc",
    "LEMForecaster": "tsrnn.estimators.lem",
    "LEMClassifier": "tsrnn.estimators.lem",
    "LEMRegressor": "tsrnn.estimators.lem",
    "CycleNetForecaster": "tsrnn.estimators.cyclenet",
    "ChimeraForecaster": "tsrnn.estimators.chimera",
    "ChimeraClassifier": "tsrnn.estimators.chimera",
    "WARPForecaster": "tsrnn.estimators.warp",
    "WARPClassifier": "tsrnn.estimators.warp",
    "WARPRegressor": "tsrnn.estimators.warp",
    "WARPReconstructor": "tsrnn.estimators.warp",
    "PLRNNReconstructor": "tsrnn.estimators.dsr",
    "ShallowPLRNNReconstructor": "tsrnn.estimators.dsr",
    "ALRNNReconstructor": "tsrnn.estimators.dsr",
    "SeasonalNaiveForecaster": "tsrnn.estimators.baselines",
    "load": "tsrnn.io",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tsrnn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # pragma: no cover -- mirrors the lazy exports for type checkers and IDEs
    from tsrnn.estimators.baselines import SeasonalNaiveForecaster
    from tsrnn.estimators.cfc import CfCClassifier, CfCForecaster, CfCRegressor
    from tsrnn.estimators.chimera import ChimeraClassifier, ChimeraForecaster
    from tsrnn.estimators.cyclenet import CycleNetForecaster
    from tsrnn.estimators.dsr import ALRNNReconstructor, PLRNNReconstructor, ShallowPLRNNReconstructor
    from tsrnn.estimators.lem import LEMClassifier, LEMForecaster, LEMRegressor
    from tsrnn.estimators.lssl import LSSLClassifier, LSSLForecaster, LSSLRegressor
    from tsrnn.estimators.ltc import LTCClassifier, LTCForecaster, LTCRegressor
    from tsrnn.estimators.s4 import S4Classifier, S4Forecaster, S4Regressor
    from tsrnn.estimators.s4d import S4DClassifier, S4DForecaster, S4DRegressor
    from tsrnn.estimators.s5 import S5Classifier, S5Forecaster, S5Regressor
    from tsrnn.estimators.warp import WARPClassifier, WARPForecaster, WARPReconstructor, WARPRegressor
    from tsrnn.io import load
