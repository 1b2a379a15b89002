"""Data layer: layouts, padding and masks, times -> gaps, windows, scaling, ETTh1 protocol."""

import numpy as np
import pytest

from tsrnn.data import ChannelScaler, attach_times, check_panel, make_windows, periodic_time_features, to_model_inputs


def test_layouts():
    assert check_panel(np.zeros((3, 5))).values.shape == (3, 5, 1)
    assert check_panel(np.zeros((3, 5, 2))).values.shape == (3, 5, 2)
    p = check_panel([np.ones((4, 2)), np.ones((2, 2))])
    assert p.values.shape == (2, 4, 2) and p.lengths.tolist() == [4, 2]
    assert p.mask.tolist() == [[True] * 4, [True, True, False, False]]
    assert check_panel([np.arange(3.0), np.arange(5.0)]).values.shape == (2, 5, 1)
    assert check_panel([[1.0, 2.0], [3.0, 4.0]]).values.shape == (2, 2, 1)  # rectangular list = 2-D array


def test_times_to_gaps_and_missing():
    p = attach_times(check_panel([np.ones((3, 1)), np.ones((2, 1))]), [np.array([0.0, 1.0, 3.0]), np.array([5.0, 9.0])])
    assert p.median_gap() == 2.0
    assert p.gaps(2.0).tolist() == [[1.0, 0.5, 1.0], [1.0, 2.0, 1.0]]
    x = check_panel(np.array([[[1.0], [np.nan]]]))
    inputs = to_model_inputs(x, indicators=True)
    assert inputs["x"].tolist() == [[[1.0, 1.0], [0.0, 0.0]]] and inputs["mask"] is None


def test_periodic_time_features():
    f = periodic_time_features(np.array([[0.0, 6.0, 12.0, 30.0]]), (24.0, 4.0))
    assert f.shape == (1, 4, 4)  # sin at 24, sin at 4, cos at 24, cos at 4
    np.testing.assert_allclose(f[0, :, 0], [0.0, 1.0, 0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(f[0, :, 2], [1.0, 0.0, -1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(f[0, :, 1], [0.0, 0.0, 0.0, 0.0], atol=1e-12)  # 6 h = one and a half 4-h cycles
    np.testing.assert_allclose(f[0, :, 3], [1.0, -1.0, 1.0, -1.0], atol=1e-12)
    # appended after the values and the indicators; padding repeats the last time, so its features stay finite
    p = attach_times(check_panel([np.array([[1.0], [np.nan]]), np.array([[2.0]])]),
                     [np.array([0.0, 6.0]), np.array([12.0])])
    x = to_model_inputs(p, indicators=True, time_periods=[24.0])["x"]
    assert x.shape == (2, 2, 4) and np.isfinite(x).all()
    np.testing.assert_allclose(x[0], [[1.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0]], atol=1e-7)
    np.testing.assert_allclose(x[1, :, 2:], [[0.0, -1.0], [0.0, -1.0]], atol=1e-7)
    with pytest.raises(ValueError, match="time_periods needs the observation times"):
        to_model_inputs(check_panel(np.zeros((1, 3))), indicators=False, time_periods=[24.0])


def test_windows_and_counts():
    X, Y, T = make_windows(np.arange(20.0)[:, None], 5, 3, 2, times=np.arange(20.0) * 2)
    assert X.shape == (7, 5, 1) and Y.shape == (7, 3, 1)
    assert X[1, 0, 0] == 2 and Y[1, 0, 0] == 7 and T[1, 0] == 4
    with pytest.raises(ValueError, match="lookback"):
        make_windows(np.zeros((5, 1)), 0, 1)
    with pytest.raises(ValueError, match="fewer than lookback"):
        make_windows(np.zeros((5, 1)), 4, 2)


def test_scaler_uses_training_data_only():
    train, test = np.array([[0.0], [2.0]]), np.array([[100.0]])
    s = ChannelScaler().fit(train)
    assert s.transform(test).item() == 99.0
    assert np.allclose(s.inverse_transform(s.transform(test)), test)


def test_etth1_protocol():
    from tsrnn.datasets import ett_windows, load_etth1

    d = load_etth1()
    assert (len(d["train"]), len(d["val"]), len(d["test"])) == (8640, 2880, 2880)
    assert np.allclose(d["train"].mean(axis=0), 0, atol=1e-10) and np.allclose(d["train"].std(axis=0), 1)
    counts = [ett_windows("test", 96, h)[0].shape[0] for h in (96, 192, 336, 720)]
    assert counts == [2785, 2689, 2545, 2161]
    X, Y = ett_windows("test", 96, 96)
    assert np.allclose(Y[0, 0], d["test"][0])  # first target row = first test row


@pytest.mark.parametrize("name, shape", [("GunPoint", (50, 150, 1)), ("BasicMotions", (40, 100, 6))])
def test_bundled_classification_sets(name, shape):
    from tsrnn.datasets import load_classification

    X, y = load_classification(name)
    assert X.shape == shape and len(y) == shape[0]


def test_unequal_length_set_is_a_list():
    from tsrnn.datasets import load_classification

    X, y = load_classification("JapaneseVowels")
    assert isinstance(X, list) and len(X) == len(y) == 270 and X[0].shape[1] == 12
    assert len({x.shape[0] for x in X}) > 1


def test_irregular_recipes():
    from tsrnn.data.irregular import drop_steps, drop_values, to_regular_grid

    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 40, 3))
    series, times = drop_steps(X, 0.3, rng)
    for x, t, full in zip(series, times, X, strict=True):
        assert len(x) == len(t) >= 2 and (np.diff(t) > 0).all()
        np.testing.assert_array_equal(x, full[t.astype(int)])  # kept rows are the original rows at those times
    blanked = drop_values(series, 0.5, rng)
    assert all((~np.isnan(b)).any(axis=1).all() for b in blanked)  # never a whole step
    assert 0.3 < np.mean([np.isnan(b).mean() for b in blanked]) < 0.6
    grid = to_regular_grid([np.array([[0.0, np.nan], [4.0, 1.0]])], [np.array([1.0, 3.0])], np.arange(5.0))[0]
    np.testing.assert_allclose(grid, [[0, 1], [0, 1], [2, 1], [4, 1], [4, 1]])  # held before / after, NaN skipped
    with pytest.raises(ValueError, match="keep"):
        drop_steps(X, 0.0, rng)


def test_irregular_datasets_are_deterministic_and_aligned():
    from tsrnn.datasets import etth1_irregular_queries, irregular_classification, load_etth1

    a, b = etth1_irregular_queries("val", 6, seed=3), etth1_irregular_queries("val", 6, seed=3)
    assert all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a["X"], b["X"], strict=True))
    val = load_etth1()["val"]
    for x, t, g, q, s in zip(a["X"], a["times"], a["X_grid"], a["query"], a["start"], strict=True):
        at = int(np.flatnonzero(t == q)[0])
        assert np.isnan(x[at]).all() and (np.diff(t) > 0).all() and 72 <= q < 96
        assert g.shape == (96, 8) and g[q, -1] == 1 and g[:, -1].sum() == 1
        rows = np.delete(x, at, axis=0)
        observed = ~np.isnan(rows)  # kept rows are the data rows at their hours
        np.testing.assert_allclose(rows[observed], val[s + np.delete(t, at).astype(int)][observed])
    np.testing.assert_allclose(a["y"], val[a["start"] + a["query"], 0])  # the scaled HUFL value at the query hour
    jv = irregular_classification("JapaneseVowels", "test", seed=0)
    assert len(jv["X"]) == len(jv["y"]) == len(jv["X_grid"])
    with pytest.raises(ValueError, match="target"):
        etth1_irregular_queries("val", 2, target="XYZ")


def test_irregular_forecast_datasets_are_deterministic_and_aligned():
    from tsrnn.datasets import etth1_irregular_forecast, load_etth1, make_mass_spring_damper, mass_spring_damper_irregular

    a, b = etth1_irregular_forecast("val", 6, seed=3), etth1_irregular_forecast("val", 6, seed=3)
    assert all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a["X"], b["X"], strict=True))
    val = load_etth1()["val"]
    for x, t, g, q, s in zip(a["X"], a["times"], a["X_grid"], a["query"], a["start"], strict=True):
        assert np.isnan(x[-1]).all() and t[-1] == q and 96 <= q < 120 and (t[:-1] < 96).all()
        assert g.shape == (q + 1, 8) and g[:, -1].sum() == q + 1 - 96 and g[96:, -1].all()
        observed = ~np.isnan(x[:-1])  # kept rows are the data rows at their hours
        np.testing.assert_allclose(x[:-1][observed], val[s + t[:-1].astype(int)][observed])
    np.testing.assert_allclose(a["y"], val[a["start"] + a["query"], 0])
    logged = etth1_irregular_forecast("val", 20, seed=0, intervals=[3], keep=1.0)  # every 3 hours, ending at 95
    assert all(np.array_equal(t[:-1], np.arange(95, -1, -3)[::-1]) for t in logged["times"])
    with pytest.raises(ValueError, match="horizon"):
        etth1_irregular_forecast("val", 2, horizon=0)
    osc = mass_spring_damper_irregular(5, seed=2)
    X, _ = make_mass_spring_damper(5, 150, random_state=2)
    for i, (x, t, q) in enumerate(zip(osc["X"], osc["times"], osc["query"], strict=True)):
        np.testing.assert_allclose(x[:-1, 0], X[i, t[:-1].astype(int), 0])
        assert 100 <= q < 150 and t[-1] == q
    np.testing.assert_allclose(osc["y"], X[np.arange(5), osc["query"], 0])
