"""Dynamical-systems reconstruction from incomplete data: missing observations (NaN) and irregular ``times``
placed on the map's grid. Forcing and loss use observed entries only; the fused path equals the reference."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from tsrnn.datasets import make_trajectory

from tsrnn import ALRNNReconstructor, ShallowPLRNNReconstructor, WARPReconstructor
from tsrnn.nn.plrnn import ALRNN, PLRNN, DendriticPLRNN, ShallowPLRNN
from tsrnn.training.dsr import AdaptiveGTF, DSRLightningModule, RandomWindows, SelectByDivergence
from tsrnn.training.forcing import forced_recurrence, forced_recurrence_ref, keep_factors

MAPS = {
    "PLRNN": lambda: PLRNN(3, 6),
    "dendPLRNN": lambda: DendriticPLRNN(3, 6, n_bases=4, clipped=True),
    "shPLRNN": lambda: ShallowPLRNN(3, 4, hidden_dim=10, clipped=True),
    "ALRNN": lambda: ALRNN(3, 8, n_relu=2),
}
KEEPS = {"gtf": ("gtf", 0.3, 1), "sparse": ("sparse", 0.0, 3)}


def _windows(seed=0, missing=0.6):
    """Windows (5, 21, 3) in float64 with entries missing at random (NaN) and the observed mask."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(5, 21, 3, generator=g, dtype=torch.float64)
    observed = torch.rand(5, 21, 3, generator=g) > missing
    observed[:, 0] = True  # the initial state is built from the first row
    return x.masked_fill(~observed, float("nan")), observed


def _run(run, model, x, keep, observed, weights):
    model.zero_grad()
    states, carried = run(model, model.init_state(x[:, 0]), x, keep, observed)
    (states * weights).sum().backward()
    return states.detach(), carried, {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("forcing", KEEPS)
@pytest.mark.parametrize("kind", MAPS)
def test_fused_equals_the_reference_with_missing_observations(kind, forcing):
    torch.manual_seed(0)
    model = MAPS[kind]().double()
    with torch.no_grad():
        model.A.mul_(1.5)
    x, observed = _windows()
    keep = keep_factors(20, *KEEPS[forcing])
    weights = torch.randn(5, 20, model.n_latent, dtype=torch.float64)
    s_ref, c_ref, g_ref = _run(forced_recurrence_ref, model, x, keep, observed, weights)
    s_fused, c_fused, g_fused = _run(forced_recurrence, model, x, keep, observed, weights)
    assert torch.isfinite(s_ref).all() and torch.isfinite(c_ref).all()
    torch.testing.assert_close(s_fused, s_ref)
    torch.testing.assert_close(c_fused, c_ref)
    assert set(g_fused) == set(g_ref) and "L" in g_ref
    for name in g_ref:
        assert torch.isfinite(g_ref[name]).all(), name
        torch.testing.assert_close(g_fused[name], g_ref[name], msg=name)
    # forced where observed, carried through where not
    t = 3 if forcing == "sparse" else 5
    rows = c_ref[:, t, :3]
    target = x[:, t] if forcing == "sparse" else 0.7 * s_ref[:, t - 1, :3] + 0.3 * x[:, t]
    torch.testing.assert_close(rows[observed[:, t]], target[observed[:, t]])
    torch.testing.assert_close(rows[~observed[:, t]], s_ref[:, t - 1, :3][~observed[:, t]])


@pytest.mark.parametrize("run", [forced_recurrence_ref, forced_recurrence])
def test_a_full_mask_is_no_mask_and_missing_values_are_never_read(run):
    torch.manual_seed(0)
    model = ShallowPLRNN(3, 4, hidden_dim=10).double()
    x, observed = _windows(seed=1)
    keep = keep_factors(20, "gtf", 0.4)
    weights = torch.randn(5, 20, 4, dtype=torch.float64)
    clean = torch.nan_to_num(x, nan=0.5)
    full = torch.ones_like(observed)
    for a, b in zip(_run(run, model, clean, keep, None, weights), _run(run, model, clean, keep, full, weights),
                    strict=True):
        torch.testing.assert_close(a, b)
    # whatever sits at the unobserved entries (NaN, or any number) changes nothing
    other = torch.where(observed, x, torch.randn_like(x))
    for a, b in zip(_run(run, model, x, keep, observed, weights), _run(run, model, other, keep, observed, weights),
                    strict=True):
        torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match="observed"):
        run(model, model.init_state(clean[:, 0]), clean, keep, full[:, :5])


def test_training_loss_is_the_mse_over_observed_entries():
    torch.manual_seed(0)
    model = ALRNN(3, 8, n_relu=2)
    module = DSRLightningModule(model, forcing="gtf", alpha=0.2)
    module._trainer = SimpleNamespace(num_training_batches=10)  # only read to decide when to log
    module.on_train_epoch_start()
    x, observed = _windows(seed=2)
    x = x.float()
    loss = module.training_step(x, 0)
    preds, _ = module.teacher_forced(x, observed)
    expected = ((preds - x[:, 1:])[observed[:, 1:]] ** 2).mean()
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())
    # told the data are complete, the module skips the look at NaN and gives the same loss on complete windows
    clean = torch.nan_to_num(x, nan=0.5)
    told = DSRLightningModule(model, forcing="gtf", alpha=0.2, missing=False)
    told._trainer = module._trainer
    told.on_train_epoch_start()
    torch.testing.assert_close(told.training_step(clean, 0), module.training_step(clean, 0))
    assert told.forced_fraction is None and module.forced_fraction is None


def test_random_windows_start_at_complete_rows():
    data = np.arange(300.0).reshape(100, 3)
    data[::3, 0] = np.nan  # rows 0, 3, 6, ... incomplete
    data[50:60] = np.nan
    windows = RandomWindows([data], 10, 200, seed=0)
    starts = {int(windows[i][0, 1]) // 3 for i in range(200)}
    assert all(s % 3 and not 50 <= s < 60 and s < 90 for s in starts)
    assert len(starts) > 20
    with pytest.raises(ValueError, match="fully observed"):
        RandomWindows([np.full((50, 2), np.nan)], 10, 5)


def test_selection_scores_observed_rows_from_the_first_complete_one():
    reference = make_trajectory("lorenz63", 600, random_state=0)
    holey = reference.copy()
    holey[:5] = np.nan
    holey[100:200, 1] = np.nan
    callback = SelectByDivergence(holey, every=1)
    np.testing.assert_array_equal(callback.reference[0], reference[5])
    assert len(callback.observed) == 595 - 100 and np.isfinite(callback.observed).all()
    with pytest.raises(ValueError, match="fully observed"):
        SelectByDivergence(np.full((10, 2), np.nan))


FAST = dict(seq_len=30, batches_per_epoch=4, max_epochs=2, random_state=0)


@pytest.fixture(scope="module")
def sparse_lorenz():
    """Lorenz-63 at dt 0.01, 40% of the rows kept at random: irregular observation times and their grid."""
    x = make_trajectory("lorenz63", 3000, noise=0.05, random_state=0)
    rng = np.random.default_rng(0)
    kept = np.sort(rng.choice(3000, 1200, replace=False))
    kept[0] = 0
    grid = np.full_like(x, np.nan)
    grid[kept] = x[kept]
    return x[kept], 0.01 * kept + 5.0, grid[: kept[-1] + 1]


@pytest.mark.parametrize("cls, params", [(ShallowPLRNNReconstructor, {}),
                                         (ALRNNReconstructor, {"n_latent": 6, "forcing": "sparse", "tau": 1}),
                                         (WARPReconstructor, {"root_width": 4})])
def test_reconstructors_fit_irregular_times_as_their_grid_with_nan(cls, params, sparse_lorenz):
    values, times, grid = sparse_lorenz
    jitter = np.random.default_rng(1).uniform(-0.004, 0.004, len(times))  # within dt / 2 of the grid points
    a = cls(**params, dt=0.01, **FAST).fit(values, times=times + jitter)
    b = cls(**params, **FAST).fit(grid)
    np.testing.assert_allclose(a.simulate(50), b.simulate(50))
    np.testing.assert_array_equal(a.x0_, values[0])
    assert all(np.isfinite(row["train_loss"]) for row in a.history_)
    assert np.isfinite(a.simulate(200)).all()


def test_missing_data_errors(sparse_lorenz):
    values, times, grid = sparse_lorenz
    est = ShallowPLRNNReconstructor(**FAST)
    with pytest.raises(ValueError, match="dt"):
        est.fit(values, times=times)
    with pytest.raises(ValueError, match="times must have shape"):
        ShallowPLRNNReconstructor(dt=0.01, **FAST).fit(values, times=times[:-1])
    with pytest.raises(ValueError, match="strictly increasing"):
        ShallowPLRNNReconstructor(dt=0.01, **FAST).fit(values, times=times[::-1])
    with pytest.raises(ValueError, match="times: .*within one grid step.*smaller dt"):
        ShallowPLRNNReconstructor(dt=0.05, **FAST).fit(values, times=times)
    with pytest.raises(ValueError, match="one array per trajectory"):
        ShallowPLRNNReconstructor(dt=0.01, **FAST).fit([values, values], times=[times])
    with pytest.raises(ValueError, match="dt"):
        ShallowPLRNNReconstructor(dt=-1.0, **FAST).fit(values, times=times)
    with pytest.raises(ValueError, match="fully observed row"):
        ShallowPLRNNReconstructor(**FAST).fit(np.where(np.arange(len(grid))[:, None] % 2, grid, np.nan)
                                               + np.where(np.arange(3) == 0, np.nan, 0.0))
    inf = grid.copy()
    inf[7, 1] = np.inf
    with pytest.raises(ValueError, match="X"):
        ShallowPLRNNReconstructor(**FAST).fit(inf)
    fitted = ShallowPLRNNReconstructor(**FAST).fit(grid)
    with pytest.raises(ValueError, match="NaN"):
        fitted.predict(grid[:5] * np.nan)


def test_adaptive_alpha_accounts_for_the_forced_fraction():
    model = PLRNN(1, 2)
    with torch.no_grad():
        model.A.copy_(torch.tensor([2.0, 0.5]))
        model.W.zero_()
    states = torch.randn(3, 10, 2)
    full = AdaptiveGTF.estimate(model, states)
    assert full == pytest.approx(1 - 1 / 2.0)
    # windows forced at half / a quarter / all of their entries: the least forced one sets alpha, 1 - G^(-1/f)
    fraction = torch.tensor([0.5, 0.25, 1.0])
    assert AdaptiveGTF.estimate(model, states, forced_fraction=fraction) == pytest.approx(1 - 2.0 ** -4)
    assert AdaptiveGTF.estimate(model, states, "mean", fraction) == pytest.approx(1 - 2.0 ** -4)
    assert AdaptiveGTF.estimate(model, states, forced_fraction=torch.ones(3)) == pytest.approx(full)
