"""Quantile forecasts: the pinball loss, the quantile layout of the direct head and of CycleNet, and the forecasters'
quantiles."""

import numpy as np
import pytest
import torch

import tsrnn
from tsrnn import CfCForecaster, ChimeraForecaster, CycleNetForecaster, S5Forecaster, WARPForecaster
from tsrnn.nn.cyclenet import CycleNet
from tsrnn.nn.heads import DirectForecastNet
from tsrnn.training.module import nan_pinball

S5_TINY = dict(lookback=32, horizon=6, d_model=16, d_state=16, n_layers=1, random_state=0)


def test_pinball_loss_by_hand():
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(4, 5, 3)), rng.normal(size=(4, 5))
    target[1, 2] = target[3, 0] = np.nan  # missing targets carry no loss
    levels = np.array([0.1, 0.5, 0.9])
    total, count = 0.0, 0
    for i, j in np.ndindex(target.shape):
        if np.isnan(target[i, j]):
            continue
        count += 1
        for k, q in enumerate(levels):
            e = target[i, j] - pred[i, j, k]
            total += q * e if e >= 0 else (q - 1) * e
    got = nan_pinball(torch.tensor(pred), torch.tensor(target), torch.tensor(levels))
    np.testing.assert_allclose(got.item(), total / (count * 3), rtol=1e-12)


class _GRUBackbone(torch.nn.Module):
    d_model = 8

    def __init__(self, n_inputs):
        super().__init__()
        self.gru = torch.nn.GRU(n_inputs, self.d_model, batch_first=True)

    def forward(self, x, dt=None, mask=None):
        return self.gru(x)[0]


@pytest.mark.parametrize("channel_independent", [True, False])
def test_direct_head_quantile_layout(channel_independent):
    """A head whose rows for every level copy the point head's forecasts the point forecast at every level."""
    torch.manual_seed(0)
    kw = dict(n_channels=3, horizon=4, instance_norm=True, channel_independent=channel_independent)
    point = DirectForecastNet(_GRUBackbone(1 if channel_independent else 3), **kw)
    quant = DirectForecastNet(point.backbone, **kw, n_quantiles=3)
    with torch.no_grad():  # the point head's rows are ordered (horizon, channel); the levels are innermost
        quant.head.weight.copy_(point.head.weight.repeat_interleave(3, dim=0))
        quant.head.bias.copy_(point.head.bias.repeat_interleave(3, dim=0))
    x = torch.randn(5, 10, 3)
    out_point, out_quant = point(x), quant(x)
    assert out_point.shape == (5, 4, 3) and out_quant.shape == (5, 4, 3, 3)
    for k in range(3):
        torch.testing.assert_close(out_quant[..., k], out_point)


@pytest.mark.parametrize("backbone", ["linear", "mlp"])
def test_cyclenet_quantile_layout(backbone):
    """CycleNet's backbone rows ordered (horizon, level): copying the point backbone's rows to every level gives
    the point forecast (residual plus cycle) at every level."""
    torch.manual_seed(0)
    kw = dict(n_channels=2, lookback=12, horizon=5, cycle_length=7, backbone=backbone, d_model=8)
    point, quant = CycleNet(**kw), CycleNet(**kw, n_quantiles=3)
    with torch.no_grad():
        point.cycle.normal_()
        quant.cycle.copy_(point.cycle)
        if backbone == "mlp":  # the hidden layer shared, the output layer copied per level below
            quant.backbone[0].load_state_dict(point.backbone[0].state_dict())
        last_p, last_q = (point.backbone, quant.backbone) if backbone == "linear" else (point.backbone[2],
                                                                                          quant.backbone[2])
        last_q.weight.copy_(last_p.weight.repeat_interleave(3, dim=0))
        last_q.bias.copy_(last_p.bias.repeat_interleave(3, dim=0))
    x, phase = torch.randn(4, 12, 2), torch.tensor([0, 3, 5, 11])
    out_point, out_quant = point(x, phase=phase), quant(x, phase=phase)
    assert out_point.shape == (4, 5, 2) and out_quant.shape == (4, 5, 2, 3)
    for k in range(3):
        torch.testing.assert_close(out_quant[..., k], out_point)


@pytest.fixture(scope="module")
def noisy_sine():
    rng = np.random.default_rng(0)
    return np.sin(np.arange(2400) / 8.0) + rng.normal(0, 0.3, 2400)  # the 10% / 90% quantiles: mean -+ 0.38


def _test_windows(y, start, lookback, horizon):
    starts = range(start, len(y) - horizon, 3)
    return np.stack([y[i - lookback : i] for i in starts])[..., None], np.stack([y[i : i + horizon] for i in starts])


def test_quantile_forecaster_covers_the_noise(noisy_sine):
    f = S5Forecaster(**S5_TINY, quantiles=(0.9, 0.1), max_epochs=6, lr=0.01).fit(noisy_sine[:2000])
    np.testing.assert_array_equal(f.quantiles_, [0.1, 0.5, 0.9])
    ctx, truth = _test_windows(noisy_sine, 2000, 32, 6)
    q = f.predict_quantiles(ctx)
    assert q.shape == (len(ctx), 6, 1, 3) and np.all(np.diff(q, axis=-1) >= 0)
    inside = ((truth >= q[:, :, 0, 0]) & (truth <= q[:, :, 0, 2])).mean()
    assert 0.7 < inside < 0.9, inside  # an 80% interval
    width = (q[:, :, 0, 2] - q[:, :, 0, 0]).mean()
    assert 0.6 < width < 1.2, width  # 2 * 1.28 * 0.3 = 0.77 for the noise alone
    np.testing.assert_allclose(f.predict(ctx), q[..., 1])  # predict is the median


@pytest.mark.parametrize("cls, params", [(S5Forecaster, S5_TINY),
                                         (CfCForecaster, dict(lookback=32, horizon=6, units=8, random_state=0)),
                                         (CycleNetForecaster, dict(lookback=32, horizon=6, cycle_length=50,
                                                                   random_state=0))])
def test_quantile_forecaster_layouts_and_save_load(cls, params, noisy_sine, tmp_path):
    f = cls(**params, quantiles=(0.1, 0.9), max_epochs=1).fit(noisy_sine[:600])
    ctx, _ = _test_windows(noisy_sine, 600, 32, 6)
    # CycleNet places a context on its cycle by its times (row numbers of the training series)
    times = {"times": 600.0 + 3 * np.arange(len(ctx))[:, None] + np.arange(-32, 0)} if cls is CycleNetForecaster else {}
    q = f.predict_quantiles(ctx, **times)
    assert q.shape == (len(ctx), 6, 1, 3) and f.predict(ctx, **times).shape == (len(ctx), 6, 1)
    assert f.predict_quantiles().shape == (6, 3) and f.predict().shape == (6,)  # a 1-D series: no channel axis
    two = cls(**params, quantiles=(0.1, 0.9), max_epochs=1).fit(np.stack([noisy_sine[:600], -noisy_sine[:600]], 1))
    assert two.predict_quantiles().shape == (6, 2, 3)
    f.save(tmp_path / "m")
    back = tsrnn.load(tmp_path / "m")
    np.testing.assert_allclose(back.predict_quantiles(ctx, **times), q)
    np.testing.assert_array_equal(back.quantiles_, f.quantiles_)


def test_quantiles_partial_fit_and_errors(noisy_sine):
    f = S5Forecaster(**S5_TINY, quantiles=[0.25]).partial_fit(noisy_sine[:600])
    first = f.predict_quantiles()
    f.set_params(quantiles=None).partial_fit(noisy_sine[600:1200])  # the network keeps its levels
    np.testing.assert_array_equal(f.quantiles_, [0.25, 0.5])
    assert f.predict_quantiles().shape == first.shape and not np.allclose(f.predict_quantiles(), first)
    point = S5Forecaster(**S5_TINY, max_epochs=1).fit(noisy_sine[:600])
    with pytest.raises(ValueError, match="fitted for point forecasts: set quantiles"):
        point.predict_quantiles()
    for bad in ([], [0.0], [0.5, 1.0], ["0.1"], 0.9, [True]):
        with pytest.raises(ValueError, match="quantiles must be None or a non-empty sequence of levels in"):
            S5Forecaster(**S5_TINY, quantiles=bad).fit(noisy_sine[:600])
    for cls in (ChimeraForecaster, WARPForecaster):  # the families that forecast points only
        with pytest.raises(TypeError, match="unexpected parameter"):
            cls(quantiles=(0.1, 0.9))


def test_cyclenet_quantiles_with_times(noisy_sine):
    """CycleNet's irregular contexts go onto its grid for quantiles as for points."""
    t = np.arange(len(noisy_sine), dtype=np.float64)
    f = CycleNetForecaster(lookback=32, horizon=6, cycle_length=50, quantiles=(0.1, 0.9), max_epochs=2,
                           random_state=0).fit(noisy_sine[:800], times=t[:800])
    keep = np.ones(100, bool)
    keep[[10, 40, 41]] = False  # rows missing from the context: NaN on the grid
    grid = np.where(keep, noisy_sine[900:1000], np.nan)
    q = f.predict_quantiles(noisy_sine[900:1000][keep], times=t[900:1000][keep])
    np.testing.assert_allclose(q, f.predict_quantiles(grid, times=t[900:1000]))
    np.testing.assert_allclose(f.predict(grid, times=t[900:1000]), q[:, 1])
