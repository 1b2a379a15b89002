"""Stable names of public estimators -> ``"module:Class"``. Save/load, the docs and the conformance tests
use this table; a test checks that every public estimator is registered."""

from __future__ import annotations

import importlib

ESTIMATORS = {
    "tsrnn.S5Forecaster": "tsrnn.estimators.s5:S5Forecaster",
    "tsrnn.S5Classifier": "tsrnn.estimators.s5:S5Classifier",
    "tsrnn.S5Regressor": "tsrnn.estimators.s5:S5Regressor",
    "tsrnn.S4DForecaster": "tsrnn.estimators.s4d:S4DForecaster",
    "tsrnn.S4DClassifier": "tsrnn.estimators.s4d:S4DClassifier",
    "tsrnn.S4DRegressor": "tsrnn.estimators.s4d:S4DRegressor",
    "tsrnn.S4Forecaster": "tsrnn.estimators.s4:S4Forecaster",
    "tsrnn.S4Classifier": "tsrnn.estimators.s4:S4Classifier",
    "tsrnn.S4Regressor": "tsrnn.estimators.s4:S4Regressor",
    "tsrnn.LSSLForecaster": "tsrnn.estimators.lssl:LSSLForecaster",
    "tsrnn.LSSLClassifier": "tsrnn.estimators.lssl:LSSLClassifier",
    "tsrnn.LSSLRegressor": "tsrnn.estimators.lssl:LSSLRegressor",
    "tsrnn.CfCForecaster": "tsrnn.estimators.cfc:CfCForecaster",
    "tsrnn.CfCClassifier": "tsrnn.estimators.cfc:CfCClassifier",
    "tsrnn.CfCRegressor": "tsrnn.estimators.cfc:CfCRegressor",
    "tsrnn.LTCForecaster": "tsrnn.estimators.ltc:LTCForecaster",
    "tsrnn.LTCClassifier": "tsrnn.estimators.ltc:LTCClassifier",
    "tsrnn.LTCRegressor": "tsrnn.estimators.ltc:LTCRegressor",
    "tsrnn.LEMForecaster": "tsrnn.estimators.lem:LEMForecaster",
    "tsrnn.LEMClassifier": "tsrnn.estimators.lem:LEMClassifier",
    "tsrnn.LEMRegressor": "tsrnn.estimators.lem:LEMRegressor",
    "tsrnn.CycleNetForecaster": "tsrnn.estimators.cyclenet:CycleNetForecaster",
    "tsrnn.ChimeraForecaster": "tsrnn.estimators.chimera:ChimeraForecaster",
    "tsrnn.ChimeraClassifier": "tsrnn.estimators.chimera:ChimeraClassifier",
    "tsrnn.WARPForecaster": "tsrnn.estimators.warp:WARPForecaster",
    "tsrnn.WARPClassifier": "tsrnn.estimators.warp:WARPClassifier",
    "tsrnn.WARPRegressor": "tsrnn.estimators.warp:WARPRegressor",
    "tsrnn.WARPReconstructor": "tsrnn.estimators.warp:WARPReconstructor",
    "tsrnn.PLRNNReconstructor": "tsrnn.estimators.dsr:PLRNNReconstructor",
    "tsrnn.ShallowPLRNNReconstructor": "tsrnn.estimators.dsr:ShallowPLRNNReconstructor",
    "tsrnn.ALRNNReconstructor": "tsrnn.estimators.dsr:ALRNNReconstructor",
}

#: Which tasks each family supports.
FAMILIES = {
    "S5": {"forecasting": "tsrnn.S5Forecaster", "classification": "tsrnn.S5Classifier",
           "regression": "tsrnn.S5Regressor"},
    "S4D": {"forecasting": "tsrnn.S4DForecaster", "classification": "tsrnn.S4DClassifier",
            "regression": "tsrnn.S4DRegressor"},
    "S4": {"forecasting": "tsrnn.S4Forecaster", "classification": "tsrnn.S4Classifier",
           "regression": "tsrnn.S4Regressor"},
    "LSSL": {"forecasting": "tsrnn.LSSLForecaster", "classification": "tsrnn.LSSLClassifier",
             "regression": "tsrnn.LSSLRegressor"},
    "CfC": {"forecasting": "tsrnn.CfCForecaster", "classification": "tsrnn.CfCClassifier",
            "regression": "tsrnn.CfCRegressor"},
    "LTC": {"forecasting": "tsrnn.LTCForecaster", "classification": "tsrnn.LTCClassifier",
            "regression": "tsrnn.LTCRegressor"},
    "LEM": {"forecasting": "tsrnn.LEMForecaster", "classification": "tsrnn.LEMClassifier",
            "regression": "tsrnn.LEMRegressor"},
    "CycleNet": {"forecasting": "tsrnn.CycleNetForecaster"},
    "Chimera": {"forecasting": "tsrnn.ChimeraForecaster", "classification": "tsrnn.ChimeraClassifier"},
    "WARP": {"forecasting": "tsrnn.WARPForecaster", "classification": "tsrnn.WARPClassifier",
             "regression": "tsrnn.WARPRegressor", "reconstruction": "tsrnn.WARPReconstructor"},
    "PLRNN": {"reconstruction": "tsrnn.PLRNNReconstructor"},
    "shPLRNN": {"reconstruction": "tsrnn.ShallowPLRNNReconstructor"},
    "AL-RNN": {"reconstruction": "tsrnn.ALRNNReconstructor"},
}


def get_estimator_class(name: str):
    """Return the class registered under ``name`` (e.g. ``"tsrnn.S5Classifier"``)."""
    if name not in ESTIMATORS:
        raise KeyError(f"unknown estimator {name!r}; registered: {sorted(ESTIMATORS)}")
    module, cls = ESTIMATORS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def all_estimators(task: str | None = None) -> list[type]:
    """Registered estimator classes, optionally only those of one task ("classification", "regression",
    "forecasting", "reconstruction")."""
    from sklearn.base import ClassifierMixin, RegressorMixin

    from tsrnn.estimators.base import SequenceForecaster
    from tsrnn.estimators.dsr import DSRReconstructor

    classes = [get_estimator_class(n) for n in ESTIMATORS]
    kinds = {"classification": ClassifierMixin, "regression": RegressorMixin, "forecasting": SequenceForecaster,
             "reconstruction": DSRReconstructor}
    if task is None:
        return classes
    if task not in kinds:
        raise ValueError(f"task must be one of {sorted(kinds)} or None, got {task!r}")
    return [c for c in classes if issubclass(c, kinds[task])]
