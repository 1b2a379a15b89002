"""sktime adapters that wrap any tsrnn estimator: forecaster, classifier, regressor.

Importing this module imports sktime. sktime layouts are converted here and only here.
"""

from tsrnn.integrations.sktime.adapters import TsrnnClassifier, TsrnnForecaster, TsrnnRegressor

__all__ = ["TsrnnClassifier", "TsrnnForecaster", "TsrnnRegressor"]
