"""The long-term forecasting protocol (tsrnn.datasets.ltsf) and CycleNet."""

import warnings

import numpy as np
import pytest
import torch
from tsrnn.datasets import ETT_SPLITS, load_etth1, ltsf_evaluate, ltsf_fit, ltsf_windows

from tsrnn import CycleNetForecaster, SeasonalNaiveForecaster, load
from tsrnn.nn.cyclenet import CycleNet, autocorrelation_period


def test_split_sizes_and_train_only_scaler():
    d = load_etth1(scale=False)
    assert [len(d[s]) for s in ("train", "val", "test")] == [8640, 2880, 2880]
    np.testing.assert_allclose(d["mean"], [7.938, 2.021, 5.080, 0.746, 2.782, 0.788, 17.128], atol=1e-3)
    np.testing.assert_allclose(d["std"], [5.813, 2.090, 5.519, 1.926, 1.024, 0.630, 9.176], atol=1e-3)
    scaled = load_etth1()
    np.testing.assert_allclose(scaled["train"].mean(0), 0, atol=1e-12)
    assert abs(scaled["test"].mean()) > 0.01  # the test rows are scaled with the train statistics, not their own


@pytest.mark.parametrize("horizon, count", [(96, 2785), (192, 2689), (336, 2545), (720, 2161)])
def test_test_window_counts(horizon, count):
    for lookback in (96, 336):
        X, Y, rows = ltsf_windows("test", lookback, horizon)
        assert X.shape == (count, lookback, 7) and Y.shape == (count, horizon, 7)
        assert rows[0] == ETT_SPLITS["test"][0] - lookback  # first target row = first test row
        assert rows[-1] + lookback + horizon == ETT_SPLITS["test"][1]  # last target row = last test row


def test_train_and_val_window_counts():
    assert len(ltsf_windows("train", 96, 96)[0]) == 8640 - 96 - 96 + 1 == 8449
    assert len(ltsf_windows("val", 96, 96)[0]) == 2880 - 96 + 1


def test_metric_does_not_depend_on_batch_size():
    naive = SeasonalNaiveForecaster(sp=24, horizon=96).fit(np.zeros((24, 7)))
    a, b = ltsf_evaluate(naive, 96, 96, batch_size=1), ltsf_evaluate(naive, 96, 96, batch_size=256)
    assert a == b and a["n_windows"] == 2785  # bitwise identical: nothing dropped, nothing reordered
    assert ltsf_evaluate(naive, 96, 96, batch_size=257) == a
    # A trained network: float32 GEMMs of different batch sizes round differently (~1e-9 relative).
    est = ltsf_fit(CycleNetForecaster(lookback=96, horizon=96, cycle_length=24, max_epochs=1, early_stopping=False,
                                      random_state=0))
    r1, r256 = ltsf_evaluate(est, batch_size=1), ltsf_evaluate(est, batch_size=256)
    assert r1["n_windows"] == r256["n_windows"] == 2785
    assert r1["mse"] == pytest.approx(r256["mse"], rel=1e-6)
    assert r256["mse"] < 0.6


def test_ltsf_fit_uses_the_standard_validation_rows():
    est = ltsf_fit(CycleNetForecaster(lookback=96, horizon=24, cycle_length=24, max_epochs=2, random_state=0))
    assert est.validation_fraction == 0.25 and "val_loss" in est.history_[0]
    assert est.context_start_ == 11520 - 96


def _cyclenet_by_hand(x, phase, Q, W, b, lookback, horizon):
    """The paper's method step by step in float64 numpy (CycleNet's models/CycleNet.py semantics)."""
    out = np.empty((x.shape[0], horizon, x.shape[2]))
    for i in range(x.shape[0]):
        mu, var = x[i].mean(0), x[i].var(0, ddof=1) + 1e-5
        r = (x[i] - mu) / np.sqrt(var)
        r = r - Q[[(phase[i] + j) % len(Q) for j in range(lookback)]]
        y = r.T @ W.T + b  # (C, H)
        y = y.T + Q[[(phase[i] + lookback + k) % len(Q) for k in range(horizon)]]
        out[i] = y * np.sqrt(var) + mu
    return out


@pytest.mark.parametrize("backbone", ["linear", "mlp"])
def test_cyclenet_network_matches_transcription(backbone):
    torch.manual_seed(0)
    net = CycleNet(3, 12, 5, cycle_length=7, backbone=backbone, d_model=16).double()
    with torch.no_grad():
        net.cycle.normal_()
    x = np.random.default_rng(0).standard_normal((4, 12, 3)) * 3 + 1
    phase = np.array([0, 3, 6, 13])
    got = net(torch.tensor(x), phase=torch.tensor(phase)).detach().numpy()
    if backbone == "linear":
        want = _cyclenet_by_hand(x, phase, net.cycle.detach().numpy(), net.backbone.weight.detach().numpy(),
                                 net.backbone.bias.detach().numpy(), 12, 5)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    # the cycle moves with the phase: shifting the phase by W changes nothing, by 1 changes the forecast
    np.testing.assert_allclose(net(torch.tensor(x), phase=torch.tensor(phase + 7)).detach().numpy(), got)
    assert not np.allclose(net(torch.tensor(x), phase=torch.tensor(phase + 1)).detach().numpy(), got)
    with pytest.raises(ValueError, match="phase"):
        net(torch.tensor(x))


def test_autocorrelation_period_finds_the_daily_cycle_of_etth1():
    assert autocorrelation_period(load_etth1()["train"]) == 24
    assert autocorrelation_period(np.random.default_rng(0).standard_normal((500, 2))) in range(0, 167)


def _seasonal(n=600, period=12, seed=0):
    t = np.arange(n, dtype=np.float64)
    rng = np.random.default_rng(seed)
    return t, np.stack([np.sin(2 * np.pi * t / period), np.cos(2 * np.pi * t / period) + 0.01 * t], 1) + \
        0.05 * rng.standard_normal((n, 2))


def test_cyclenet_learns_the_cycle_and_uses_positions():
    t, y = _seasonal()
    est = CycleNetForecaster(lookback=24, horizon=6, max_epochs=15, early_stopping=False, lr=0.01, random_state=0)
    est.fit(y[:500])
    assert est.cycle_length_ == 12  # chosen from the autocorrelation
    # Q[p] is the (normalized) value at phase p: it follows the sine of channel 0 (up to scale)
    Q = est.cycle_[:, 0]
    assert np.corrcoef(Q, np.sin(2 * np.pi * np.arange(12) / 12))[0, 1] > 0.9
    after = est.predict()
    np.testing.assert_allclose(est.predict(y[:500], times=t[:500]), after, rtol=1e-6)
    assert np.mean((after - y[500:506]) ** 2) < 0.05
    with pytest.raises(ValueError, match="times is required"):
        est.predict(y[:500])


def test_cyclenet_with_times_puts_irregular_rows_on_the_grid():
    t, y = _seasonal()
    keep = np.ones(500, bool)
    keep[np.random.default_rng(1).choice(np.arange(50, 450), 60, replace=False)] = False
    kw = dict(lookback=24, horizon=6, cycle_length=12, max_epochs=15, early_stopping=False, random_state=0)
    timed = CycleNetForecaster(**kw).fit(y[:500][keep], times=t[:500][keep])
    gaps = y[:500].copy()
    gaps[~keep] = np.nan
    on_grid = CycleNetForecaster(**kw).fit(gaps)  # the same data as NaN rows on the regular grid
    rows_only = CycleNetForecaster(**kw).fit(y[:500][keep])  # times ignored: the cycle drifts at every gap
    ctx = slice(500 - 24, 500)
    err = lambda p: np.mean((p - y[500:506]) ** 2)  # noqa: E731
    pred = timed.predict(y[ctx], times=t[ctx])
    np.testing.assert_allclose(pred, on_grid.predict(y[ctx], times=t[ctx]), rtol=1e-6)
    assert err(pred) < 0.05 and err(pred) < 0.5 * err(rows_only.predict(y[ctx], times=np.arange(keep.sum() - 24,
                                                                                               keep.sum())))
    sparse = timed.predict(y[452:500:2], times=t[452:500:2])  # every other row: 24 rows over 47 grid steps
    assert sparse.shape == (6, 2) and np.isfinite(sparse).all()
    with pytest.raises(ValueError, match="fewer than lookback"):
        timed.predict(y[ctx][::2], times=t[ctx][::2])
    np.testing.assert_allclose(timed.predict(y[ctx], times=t[ctx] + 12), pred, rtol=1e-6)  # a period later
    assert np.abs(timed.predict(y[ctx], times=t[ctx] + 6) - pred).max() > 0.05  # half a period: another phase
    with pytest.raises(ValueError, match="grid step.*regular grid with rows missing"):
        timed.predict(y[ctx], times=np.linspace(0, 5, 24))
    jittered = np.cumsum(np.random.default_rng(0).uniform(0.5, 1.5, 500))  # not a grid: gaps of 0.5 to 1.5
    with pytest.raises(ValueError, match=r"grid step of 1\.0\d+.*continuous-time family"):
        CycleNetForecaster(**kw).fit(y[:500], times=jittered)


def test_cyclenet_ablation_and_save_load(tmp_path):
    t, y = _seasonal()
    est = CycleNetForecaster(lookback=24, horizon=6, cycle_length=0, max_epochs=2, early_stopping=False,
                             random_state=0).fit(y)
    assert est.module_.cycle is None and est.cycle_.shape == (0, 2)
    est = CycleNetForecaster(lookback=24, horizon=6, cycle_length=12, backbone="mlp", d_model=16, max_epochs=2,
                             random_state=0).fit(y)
    est.save(tmp_path / "m")
    back = load(tmp_path / "m")
    np.testing.assert_allclose(back.predict(), est.predict())
    np.testing.assert_allclose(back.predict(y[:100], times=t[:100]), est.predict(y[:100], times=t[:100]))


@pytest.mark.parametrize("params, match", [({"cycle_length": -1}, "cycle_length"), ({"backbone": "rnn"}, "backbone"),
                                           ({"cycle_length": 2.5}, "cycle_length"), ({"lr_decay": 1.5}, "lr_decay")])
def test_cyclenet_bad_params(params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        CycleNetForecaster(**params).fit(np.zeros((300, 1)))


def test_cyclenet_warns_of_a_cycle_longer_than_the_data():
    y = np.sin(np.arange(100) / 3.0)
    with pytest.warns(UserWarning, match=r"cycle_length \(150\).*100 steps.*50 phases"):
        CycleNetForecaster(lookback=12, horizon=2, cycle_length=150, max_epochs=1, early_stopping=False).fit(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        CycleNetForecaster(lookback=12, horizon=2, cycle_length=100, max_epochs=1, early_stopping=False).fit(y)


def test_lr_decay_schedule_follows_cyclenet_type3():
    from tsrnn.training.schedule import lr_factor

    factors = [lr_factor(step, steps_per_epoch=3, max_epochs=7, lr_decay=0.8, lr_decay_start=4) for step in range(21)]
    np.testing.assert_allclose(factors, np.repeat([1.0] * 4 + [0.8, 0.64, 0.512], 3))
