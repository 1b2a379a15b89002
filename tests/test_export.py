"""Exported predictions (``estimator.export``): the program maps ``model_inputs`` to what ``predict`` returns, for
another batch size than the example's, in every family; saved and loaded with torch alone. And torch.compile
traces the networks to the same outputs and gradients."""

import numpy as np
import pytest
import torch

import tsrnn

TINY = dict(d_model=8, d_state=8, units=8, backbone_units=8, n_layers=1, max_epochs=1, batch_size=64, random_state=0)

CASES = [
    "S5Classifier", "S5Regressor", "S5Forecaster", "S4DClassifier", "S4Forecaster", "LSSLRegressor",
    "CfCClassifier", "LTCRegressor", "LEMForecaster", "CycleNetForecaster", "ChimeraClassifier", "WARPForecaster",
]


def _tiny(cls, **kw):
    names = cls().get_params()
    return cls(**{k: v for k, v in {**TINY, **kw}.items() if k in names})


def _program_output(est, program, X, times=None):
    inputs = {k: torch.as_tensor(v) for k, v in est.model_inputs(X, times).items()}
    return program.module()(**inputs).numpy()


@pytest.mark.parametrize("name", CASES)
def test_exported_program_equals_predict(name):
    cls = getattr(tsrnn, name)
    rng = np.random.default_rng(0)
    if name.endswith("Forecaster"):
        series = rng.normal(size=(120, 2))
        est = _tiny(cls, lookback=16, horizon=4).fit(series)
        contexts = np.stack([series[i : i + 16] for i in range(7)])
        times = np.arange(16.0)[None] + np.arange(7.0)[:, None] if name.startswith("CycleNet") else None
        program = est.export(contexts[:4], None if times is None else times[:4])
        got = _program_output(est, program, contexts, times)
        expected = est.predict(contexts, times)
    else:
        X = rng.normal(size=(12, 20, 2))
        y = np.arange(12) % 3 if name.endswith("Classifier") else X[:, :, 0].sum(axis=1)
        est = _tiny(cls).fit(X, y)
        program = est.export(X[:4])
        got = _program_output(est, program, X)
        expected = est.predict_proba(X) if name.endswith("Classifier") else est.predict(X)[:, None]
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)


def test_irregular_inputs_with_missing_values(tmp_path):
    """Times (gaps and periodic features), NaN (zero-filled, with indicators) and unequal lengths (mask);
    saved and loaded with torch.export alone."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(10, 18, 2))
    X[rng.random(X.shape) < 0.1] = np.nan
    X[:3, 12:] = np.nan  # shorter series: padded with NaN at the end
    X = [x[:12] if i < 3 else x for i, x in enumerate(X)]
    times = [np.cumsum(rng.uniform(0.5, 1.5, size=len(x))) for x in X]
    y = np.arange(10) % 2
    est = _tiny(tsrnn.CfCClassifier, time_periods=(5.0,), mixed_memory=True).fit(X, y, times=times)
    inputs = est.model_inputs(X, times)
    assert set(inputs) == {"x", "dt", "mask"} and not inputs["mask"][:3, 12:].any() and inputs["x"].shape == (10, 18, 2 + 2 + 2)
    torch.export.save(est.export(X[3:5], times[3:5]), tmp_path / "cfc.pt2")
    loaded = torch.export.load(tmp_path / "cfc.pt2").module()
    got = loaded(**{k: torch.as_tensor(v) for k, v in inputs.items()}).numpy()
    np.testing.assert_allclose(got, est.predict_proba(X, times), atol=1e-5)


def test_quantile_forecasts_are_sorted_levels():
    series = np.sin(np.arange(200) / 5.0) + 0.1 * np.random.default_rng(2).normal(size=200)
    est = _tiny(tsrnn.S5Forecaster, lookback=16, horizon=4, quantiles=(0.1, 0.9)).fit(series)
    contexts = np.stack([series[i : i + 16] for i in range(5)])[..., None]
    got = _program_output(est, est.export(contexts), contexts)
    assert got.shape == (5, 4, 1, 3)  # (n, horizon, channels, levels): the channel axis is kept
    np.testing.assert_allclose(got, est.predict_quantiles(contexts), atol=1e-5)


def test_one_context_and_estimator_left_trainable():
    """One example context still exports a program for any batch size; the estimator's network keeps training."""
    series = np.random.default_rng(3).normal(size=(80, 1))
    est = _tiny(tsrnn.LEMForecaster, lookback=12, horizon=3).fit(series)
    program = est.export(series[-12:])
    contexts = np.stack([series[i : i + 12] for i in range(4)])
    np.testing.assert_allclose(_program_output(est, program, contexts), est.predict(contexts), atol=1e-5)
    assert all(p.requires_grad for p in est.module_.parameters())


def test_errors():
    X = np.random.default_rng(4).normal(size=(6, 10, 1))
    with pytest.raises(ValueError, match="single class"):
        _tiny(tsrnn.S5Classifier).fit(X, np.zeros(6)).export(X)
    est = _tiny(tsrnn.S5Classifier).fit(X, np.arange(6) % 2)
    with pytest.raises(ValueError, match="channels"):
        est.export(np.zeros((2, 10, 3)))


@pytest.mark.parametrize("name", ["S5Classifier", "CfCClassifier"])
def test_torch_compile_equals_eager(name):
    """torch.compile traces the same torch path (backend aot_eager: no code generation), forward and gradients."""
    X = np.random.default_rng(5).normal(size=(6, 15, 2))
    net = _tiny(getattr(tsrnn, name)).fit(X, np.arange(6) % 2).module_.train()
    x = torch.as_tensor(X, dtype=torch.float32)
    compiled, eager = torch.compile(net, backend="aot_eager")(x), net(x)
    torch.testing.assert_close(compiled, eager, atol=1e-6, rtol=1e-5)
    params = list(net.parameters())
    for g_c, g_e in zip(torch.autograd.grad(compiled.square().sum(), params),
                        torch.autograd.grad(eager.square().sum(), params), strict=True):
        torch.testing.assert_close(g_c, g_e, atol=1e-5, rtol=1e-4)
