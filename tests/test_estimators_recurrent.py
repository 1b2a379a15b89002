"""Estimators of the step-wise recurrent families (CfC, LTC, LEM): fit/predict on every task, stateful
streaming equal to whole-sequence prediction, wirings, save/load, parameter validation."""

import numpy as np
import pytest

import tsrnn
from tsrnn import (
    CfCClassifier,
    CfCForecaster,
    CfCRegressor,
    LEMClassifier,
    LEMForecaster,
    LEMRegressor,
    LTCClassifier,
    LTCForecaster,
    LTCRegressor,
)

SMALL = {"CfC": dict(units=6, backbone_units=8), "LTC": dict(units=5), "LEM": dict(units=6)}


def _small(cls, **kw):
    family = next(k for k in SMALL if cls.__name__.startswith(k))
    return cls(**SMALL[family], max_epochs=2, random_state=0, **kw)


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((24, 12, 2))
    times = np.cumsum(rng.uniform(0.3, 1.7, size=(24, 12)), axis=1)
    return X, (X[:, :, 0].sum(1) > 0).astype(int), times


@pytest.mark.parametrize("cls", [CfCClassifier, LTCClassifier, LEMClassifier, CfCRegressor, LTCRegressor, LEMRegressor],
                         ids=lambda c: c.__name__)
@pytest.mark.parametrize("pooling", ["last", "mean"])
@pytest.mark.parametrize("with_times", [False, True], ids=["regular", "times"])
def test_streaming_equals_whole_sequence(cls, pooling, with_times, panel):
    X, y, times = panel
    t = times if with_times else None
    target = y if "Classifier" in cls.__name__ else X[:, :, 1].sum(1)
    est = _small(cls, pooling=pooling).fit(X, target, times=t)
    first = est.stream(X[:, :5], times=None if t is None else t[:, :5], reset=True)
    rest = est.stream(X[:, 5:], times=None if t is None else t[:, 5:])
    assert first.shape == (24, 5) and rest.shape == (24, 7)
    if "Classifier" in cls.__name__:
        assert (rest[:, -1] == est.predict(X, times=t)).all()
        assert (first[:, -1] == est.predict(X[:, :5], times=None if t is None else t[:, :5])).all()
    else:
        np.testing.assert_allclose(rest[:, -1], est.predict(X, times=t), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="reset=True"):
        est.stream(X[:3, :2])


@pytest.mark.parametrize("cls", [CfCForecaster, LTCForecaster, LEMForecaster], ids=lambda c: c.__name__)
def test_forecasters_fit_predict(cls):
    y = np.sin(np.arange(160) / 6.0)[:, None] * [1.0, 0.5]
    f = _small(cls, lookback=16, horizon=4).fit(y)
    assert f.predict().shape == (4, 2)
    assert np.isfinite(f.score(y[-40:-4], y[-4:]))


@pytest.mark.parametrize("cls", [CfCRegressor, LTCClassifier, LEMRegressor], ids=lambda c: c.__name__)
def test_time_periods_give_the_phase(cls, panel):
    """Without time features only the gaps reach the model: shifting every time changes nothing. With
    ``time_periods=(24,)`` a shift by half a period changes the predictions and a shift by a whole period does not;
    streaming sees the same features."""
    X, y, times = panel
    target = y if "Classifier" in cls.__name__ else X[:, :, 1].sum(1)
    out = (lambda e, t: e.predict_proba(X, times=t)) if "Classifier" in cls.__name__ else (lambda e, t: e.predict(X, times=t))
    plain = _small(cls).fit(X, target, times=times)
    np.testing.assert_allclose(out(plain, times + 12.0), out(plain, times), rtol=1e-5, atol=1e-6)
    est = _small(cls, time_periods=(np.int64(24),)).fit(X, target, times=times)  # numpy numbers are periods too
    assert est.module_.backbone.layers[0].input_size == 2 + 2  # two value channels, sin and cos
    np.testing.assert_allclose(out(est, times + 24.0), out(est, times), rtol=1e-4, atol=1e-5)
    assert np.abs(out(est, times + 12.0) - out(est, times)).max() > 1e-4
    streamed = est.stream(X, times=times, reset=True)[:, -1]
    expect = est.predict(X, times=times)
    if "Classifier" in cls.__name__:
        assert (streamed == expect).all()
    else:
        np.testing.assert_allclose(streamed, expect, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="time_periods needs the observation times"):
        est.predict(X)
    with pytest.raises(ValueError, match="time_periods needs the observation times"):
        _small(cls, time_periods=(24,)).fit(X, target)


@pytest.mark.parametrize("channel_independent", [True, False])
def test_forecaster_time_periods(channel_independent, tmp_path):
    """Forecasters read the time features as covariates (not normalized, not forecast); save/load keeps them."""
    t = np.arange(200.0)
    y = np.stack([np.sin(2 * np.pi * t / 24), np.cos(2 * np.pi * t / 24) + 0.1 * t / 200], axis=1)
    f = _small(CfCForecaster, lookback=16, horizon=4, time_periods=(24,), channel_independent=channel_independent)
    f.fit(y, times=t)
    assert f.module_.backbone.layers[0].input_size == (1 if channel_independent else 2) + 2
    assert f.predict().shape == (4, 2)
    shifted = f.predict(y[-40:], times=t[-40:] + 12.0)
    assert np.abs(shifted - f.predict(y[-40:], times=t[-40:])).max() > 1e-5
    f.save(tmp_path / "f")
    np.testing.assert_allclose(tsrnn.load(tmp_path / "f").predict(), f.predict(), rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: CfCClassifier(units=12, wiring="ncp", max_epochs=1, random_state=0),
    lambda: CfCClassifier(units=6, backbone_units=8, mixed_memory=True, mode="no_gate", max_epochs=1, random_state=0),
    lambda: LTCClassifier(units=10, wiring="ncp", max_epochs=1, random_state=0),
    lambda: LTCClassifier(units=4, solver="rk4", max_epochs=1, random_state=0),
    lambda: LEMClassifier(units=4, n_layers=2, dt=0.5, max_epochs=1, random_state=0),
], ids=["cfc_ncp", "cfc_mixed_nogate", "ltc_ncp", "ltc_rk4", "lem_stacked"])
def test_variants_save_load_round_trip(make, panel, tmp_path):
    X, y, times = panel
    est = make().fit(X, y, times=times)
    est.save(tmp_path / "m")
    again = tsrnn.load(tmp_path / "m")
    np.testing.assert_allclose(again.predict_proba(X, times=times), est.predict_proba(X, times=times), rtol=1e-6)


def test_wired_layers_output_motor_neurons():
    est = LTCClassifier(units=12, wiring="ncp", max_epochs=1, random_state=0)
    X = np.random.default_rng(1).standard_normal((8, 6, 3))
    est.fit(X, np.arange(8) % 2)
    layer = est.module_.backbone.layers[0]
    assert layer.d_out == 3 and layer.wiring.units == 12  # AutoNCP with units // 4 motor neurons


@pytest.mark.parametrize("cls, params, match", [
    (CfCClassifier, dict(mode="fast"), "mode"),
    (CfCClassifier, dict(wiring="star"), "wiring"),
    (CfCClassifier, dict(backbone_layers=-1), "backbone_layers"),
    (CfCClassifier, dict(backbone_dropout=0.3), "backbone_dropout .* no effect.*backbone_layers >= 2"),
    (CfCClassifier, dict(backbone_dropout=0.3, backbone_layers=2, wiring="ncp"), "backbone_dropout .* no wiring"),
    (LTCClassifier, dict(ode_unfolds=0), "ode_unfolds"),
    (LTCClassifier, dict(solver=3), "solver"),
    (LTCClassifier, dict(solver="dopri"), "solver must be 'fused' or a torchdiffeq method"),
    (LTCClassifier, dict(adjoint=True), "adjoint applies to torchdiffeq solvers only"),
    (LEMClassifier, dict(dt=0.0), r"dt must be in \(0, inf\]"),
    (CfCClassifier, dict(dropout=1.0), "dropout"),
    (LEMClassifier, dict(units=0), "units"),
    (CfCClassifier, dict(time_periods=24), "time_periods"),
    (LEMClassifier, dict(time_periods=[]), "time_periods"),
    (LTCClassifier, dict(time_periods=(24, -1)), "time_periods"),
    (CfCClassifier, dict(time_periods=(float("nan"),)), "time_periods"),
    (CfCClassifier, dict(time_periods="24"), "time_periods"),
], ids=lambda v: str(v) if isinstance(v, str) else None)
def test_bad_params(cls, params, match, panel):
    X, y, _ = panel
    with pytest.raises((ValueError, TypeError), match=match):
        cls(max_epochs=1, **params).fit(X, y)


def test_dropout_without_a_second_layer_warns(panel):
    X, y, _ = panel
    with pytest.warns(UserWarning, match="dropout = 0.3 has no effect with n_layers = 1"):
        LEMClassifier(units=4, dropout=0.3, max_epochs=1).fit(X, y)
