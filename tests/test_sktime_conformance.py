"""sktime's conformance suite on the adapters (each class with its get_test_params configurations)."""

import pytest

pytest.importorskip("sktime")

from sktime.utils.estimator_checks import check_estimator  # noqa: E402

from tsrnn.integrations.sktime import TsrnnClassifier, TsrnnForecaster, TsrnnRegressor  # noqa: E402


@pytest.mark.conformance
@pytest.mark.parametrize("cls", [TsrnnForecaster, TsrnnClassifier, TsrnnRegressor], ids=lambda c: c.__name__)
def test_sktime_check_estimator(cls):
    results = check_estimator(cls, raise_exceptions=False, verbose=False)
    failed = {name: repr(res)[:400] for name, res in results.items() if res != "PASSED"}
    assert len(results) > 50
    assert not failed, failed
