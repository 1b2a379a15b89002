"""The sktime forecaster adapter's data handling: predict from the last data seen, update with and without refit."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sktime")

from tsrnn import S5Forecaster  # noqa: E402
from tsrnn.integrations.sktime import TsrnnForecaster  # noqa: E402

TINY = dict(lookback=12, horizon=3, d_model=8, d_state=8, n_layers=1, max_epochs=2, random_state=0)


@pytest.fixture(scope="module")
def series():
    t = np.arange(120)
    return pd.Series(np.sin(t / 4.0) + 0.01 * t, index=pd.period_range("2000-01", periods=120, freq="M"))


def test_forecaster_adapter_predicts_from_the_last_data_seen(series):
    train, new = series[:100], series[100:110]
    adapter = TsrnnForecaster(S5Forecaster(**TINY)).set_config(remember_data=False)  # sktime >= 1.3's default
    adapter.fit(train, fh=[1, 2, 3])
    direct = S5Forecaster(**TINY).fit(train.to_numpy())
    pred = adapter.predict()
    np.testing.assert_allclose(pred.to_numpy(), direct.predict())
    assert list(pred.index) == list(series.index[100:103])
    # update without refit: the same weights, the context extended by the new rows
    adapter.update(new, update_params=False)
    np.testing.assert_allclose(adapter.predict().to_numpy(), direct.predict(series[:110].to_numpy()))
    assert list(adapter.predict().index) == list(series.index[110:113])
    # update with refit: as a fresh fit on everything seen, overlapping rows taking the newer values
    changed = series[105:115].copy()
    changed.iloc[0] += 1.0
    adapter.update(changed, update_params=True)
    seen = pd.concat([series[:105], changed])
    refit = S5Forecaster(**TINY).fit(seen.to_numpy())
    np.testing.assert_allclose(adapter.predict().to_numpy(), refit.predict())


def test_forecaster_adapter_quantiles(series):
    wrapped = S5Forecaster(**TINY, quantiles=(0.1, 0.9))
    adapter = TsrnnForecaster(wrapped).fit(series[:100], fh=[1, 2, 3])
    assert adapter.get_tag("capability:pred_int") and not TsrnnForecaster(S5Forecaster()).get_tag("capability:pred_int")
    direct = S5Forecaster(**TINY, quantiles=(0.1, 0.9)).fit(series[:100].to_numpy())
    expected = direct.predict_quantiles()  # (3, 3): steps x levels 0.1, 0.5, 0.9
    quantiles = adapter.predict_quantiles(alpha=[0.1, 0.5])
    np.testing.assert_allclose(quantiles.to_numpy(), expected[:, :2])
    assert list(quantiles.index) == list(series.index[100:103])
    interval = adapter.predict_interval(coverage=0.8)  # levels 0.5 -+ 0.4
    np.testing.assert_allclose(interval.to_numpy(), expected[:, [0, 2]])
    np.testing.assert_allclose(adapter.predict().to_numpy(), expected[:, 1])
    with pytest.raises(ValueError, match=r"alpha \[0.25, 0.75\] are not among the levels"):
        adapter.predict_interval(coverage=0.5)


def test_forecaster_adapter_pred_int_tag_follows_nested_set_params(series):
    """The tag is set from the wrapped forecaster's quantiles, also when they are set through the adapter."""
    adapter = TsrnnForecaster(S5Forecaster(**TINY))
    assert not adapter.get_tag("capability:pred_int")
    adapter.set_params(estimator__quantiles=(0.1, 0.9))
    assert adapter.get_tag("capability:pred_int")
    adapter.set_params(estimator__quantiles=None)
    assert not adapter.get_tag("capability:pred_int")
