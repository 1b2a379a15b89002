"""sktime's conformance suite on the adapters: every configuration of each adapter's get_test_params (one per
registered tsrnn estimator) as its own test, so that the suite's longest runs spread over the workers."""

import pytest

pytest.importorskip("sktime")

from sktime.utils.estimator_checks import check_estimator  # noqa: E402

from tsrnn.integrations.sktime import TsrnnClassifier, TsrnnForecaster, TsrnnRegressor  # noqa: E402

CASES = [(cls, i, params) for cls in (TsrnnForecaster, TsrnnClassifier, TsrnnRegressor)
         for i, params in enumerate(cls.get_test_params())]


@pytest.mark.conformance
@pytest.mark.parametrize("cls, params", [(cls, params) for cls, _, params in CASES],
                         ids=[f"{cls.__name__}-{i}-{type(params['estimator']).__name__}" for cls, i, params in CASES])
def test_sktime_check_estimator(cls, params):
    """sktime's checks on the adapter around one wrapped estimator; the class-level checks (get_test_params,
    test instances, tags, doctest) run with each."""
    results = check_estimator(cls(**params), raise_exceptions=False, verbose=False)
    failed = {name: repr(res)[:400] for name, res in results.items() if res != "PASSED"}
    assert len(results) > 50
    assert not failed, failed
