"""Estimator API: sklearn rules, randomness, layouts, irregular times, missing values, save/load, bad input."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import tsrnn
from tsrnn import S5Classifier, S5Forecaster, S5Regressor

TINY = dict(d_model=8, d_state=8, n_layers=1, max_epochs=2, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 12, 2))
    y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    return X, y


@pytest.fixture(scope="module")
def series():
    t = np.arange(300)
    return np.stack([np.sin(t / 6.0), np.cos(t / 9.0)], axis=1)


def test_init_stores_params_only():
    est = S5Classifier(d_model=5, lr=0.1)
    assert est.get_params()["d_model"] == 5 and est.get_params()["lr"] == 0.1
    assert not [k for k in vars(est) if k.endswith("_")]
    with pytest.raises(TypeError, match="unexpected parameter"):
        S5Classifier(d_modle=5)


def test_classifier_fit_predict_and_attributes(panel):
    X, y = panel
    clf = S5Classifier(**TINY)
    assert clf.fit(X, y) is clf
    assert set(clf.classes_) == {"down", "up"} and clf.n_features_in_ == 2
    assert len(clf.history_) == 2 and "train_loss" in clf.history_[0]
    proba = clf.predict_proba(X)
    assert proba.shape == (40, 2) and np.allclose(proba.sum(axis=1), 1)
    assert set(clf.predict(X)) <= {"down", "up"}
    assert 0 <= clf.score(X, y) <= 1


def test_not_fitted_raises(panel):
    with pytest.raises(NotFittedError):
        S5Classifier().predict(panel[0])
    with pytest.raises(NotFittedError):
        S5Forecaster().predict()


def test_same_random_state_same_predictions_and_global_rng_untouched(panel):
    X, y = panel
    np.random.seed(123)
    torch.manual_seed(123)
    np_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    p1 = S5Classifier(**TINY).fit(X, y).predict_proba(X)
    p2 = S5Classifier(**TINY).fit(X, y).predict_proba(X)
    assert np.array_equal(p1, p2)
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert torch.equal(torch.get_rng_state(), torch_state)
    p3 = S5Classifier(**{**TINY, "random_state": 1}).fit(X, y).predict_proba(X)
    assert not np.array_equal(p1, p3)


def test_clone_and_pickle(panel, tmp_path):
    X, y = panel
    clf = S5Classifier(**TINY).fit(X, y)
    assert clone(clf).get_params() == clf.get_params() and not hasattr(clone(clf), "module_")
    again = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(again.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("cls", [S5Classifier, S5Regressor, S5Forecaster])
def test_save_load_round_trip(cls, panel, series, tmp_path):
    X, y = panel
    if cls is S5Forecaster:
        est = cls(lookback=16, horizon=4, **TINY).fit(series)
        before = est.predict()
    elif cls is S5Regressor:
        est = cls(**TINY).fit(X, X[:, :, 0].sum(axis=1))
        before = est.predict(X)
    else:
        est = cls(**TINY).fit(X, y)
        before = est.predict_proba(X)
    est.save(tmp_path / "model")
    loaded = tsrnn.load(tmp_path / "model", device="cpu")
    assert type(loaded) is cls and loaded.get_params() == est.get_params()
    after = loaded.predict() if cls is S5Forecaster else (
        loaded.predict(X) if cls is S5Regressor else loaded.predict_proba(X))
    assert np.array_equal(before, after)
    with pytest.raises(FileNotFoundError, match="config.json"):
        tsrnn.load(tmp_path / "missing")


def test_regressor_multioutput_and_r2(panel):
    X, _ = panel
    Y = np.stack([X[:, :, 0].mean(axis=1), X[:, :, 1].max(axis=1)], axis=1)
    reg = S5Regressor(**{**TINY, "max_epochs": 30, "lr": 1e-2}).fit(X, Y)
    assert reg.predict(X).shape == (40, 2)
    assert reg.score(X, Y) > 0.3


def test_unequal_lengths_times_and_missing_values():
    rng = np.random.default_rng(1)
    X = [rng.standard_normal((n, 2)) for n in rng.integers(4, 20, size=30)]
    X[0][1, 0] = np.nan
    times = [np.cumsum(rng.uniform(0.1, 2.0, len(x))) for x in X]
    y = np.array([x.shape[0] > 10 for x in X])
    clf = S5Classifier(**TINY).fit(X, y, times=times)
    assert clf.missing_indicators_ and clf.time_unit_ > 0
    assert clf.predict(X, times=times).shape == (30,)
    assert clf.predict(X).shape == (30,)  # without times: unit gaps


def test_forecaster_predict_variants(series):
    f = S5Forecaster(lookback=16, horizon=5, **TINY).fit(series)
    assert f.predict().shape == (5, 2)
    assert f.predict(series[:50]).shape == (5, 2)
    assert f.predict(np.stack([series[:20], series[10:30]])).shape == (2, 5, 2)
    uni = S5Forecaster(lookback=16, horizon=5, **TINY).fit(series[:, 0])
    assert uni.predict().shape == (5,)
    assert uni.score(series[:40, 0], series[40:45, 0]) <= 0


def test_forecaster_with_times_and_missing(series):
    y = series.copy()
    y[::7, 1] = np.nan
    times = np.cumsum(np.random.default_rng(0).uniform(0.5, 1.5, len(y)))
    f = S5Forecaster(lookback=16, horizon=4, **TINY).fit(y, times=times)
    assert f.missing_indicators_
    out = f.predict()
    assert out.shape == (4, 2) and np.isfinite(out).all()
    assert np.isfinite(f.predict(y[:30], times=times[:30])).all()


def test_forecaster_list_of_series(series):
    f = S5Forecaster(lookback=16, horizon=4, **TINY).fit([series[:100], series[100:]])
    assert f.predict().shape == (4, 2)


def test_early_stopping_records_validation_loss(panel):
    X, y = panel
    clf = S5Classifier(**{**TINY, "max_epochs": 3, "early_stopping": True, "validation_fraction": 0.25}).fit(X, y)
    assert "val_loss" in clf.history_[0]


def test_diverged_fit_raises_unless_early_stopping_kept_an_earlier_epoch(panel, poison_weights):
    X, y = panel
    params = {**TINY, "max_epochs": 6, "trainer_kwargs": {"callbacks": [poison_weights(2)]}}
    with pytest.raises(FloatingPointError, match=r"train_loss was nan in epoch 2; lower lr \(lr = 0.003\)"):
        S5Regressor(**params).fit(X, X[:, -1, 0])
    reg = S5Regressor(**params, early_stopping=True, patience=10).fit(X, X[:, -1, 0])
    assert reg.n_epochs_trained_ == 3  # stopped at the diverged epoch, the best earlier one restored
    assert np.isfinite(reg.predict(X)).all()
    with pytest.raises(FloatingPointError, match="epoch 0"):  # a genuinely too large step
        S5Forecaster(lookback=24, horizon=6, max_epochs=5, lr=1e6, random_state=0).fit(1e3 * np.sin(np.arange(400) / 7))


def test_trainer_kwargs_pass_through(panel):
    X, y = panel
    clf = S5Classifier(**{**TINY, "max_epochs": 5, "trainer_kwargs": {"max_epochs": 1}}).fit(X, y)
    assert clf.n_epochs_trained_ == 1


def test_checkpoint_callback_writes_lightning_checkpoints(panel, tmp_path):
    from lightning.pytorch.callbacks import ModelCheckpoint

    X, y = panel
    saver = ModelCheckpoint(dirpath=tmp_path, save_top_k=-1)  # every epoch
    clf = S5Classifier(**{**TINY, "max_epochs": 2, "trainer_kwargs": {"callbacks": [saver]}}).fit(X, y)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch=0-step=2.ckpt", "epoch=1-step=4.ckpt"]
    saved = torch.load(tmp_path / "epoch=1-step=4.ckpt", weights_only=False)["state_dict"]
    for name, value in clf.module_.state_dict().items():
        torch.testing.assert_close(saved[f"net.{name}"], value)


def test_lr_factor_warmup_and_cosine():
    from tsrnn.training.schedule import lr_factor

    f = [lr_factor(s, steps_per_epoch=4, max_epochs=5, schedule="cosine", warmup_epochs=1) for s in range(20)]
    np.testing.assert_allclose(f[:4], [0.25, 0.5, 0.75, 1.0])  # linear warm-up over the first epoch
    np.testing.assert_allclose(f[4:], 0.5 * (1 + np.cos(np.pi * np.arange(16) / 16)))  # then 1 -> 0 per step
    f = [lr_factor(s, steps_per_epoch=2, max_epochs=4, lr_decay=0.5, lr_decay_start=1, warmup_epochs=1)
         for s in range(8)]
    np.testing.assert_allclose(f, [0.5, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125])  # warm-up, then the decay


class _RecordLR(__import__("lightning").pytorch.Callback):
    def __init__(self):
        self.lrs = []

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        self.lrs.append(trainer.optimizers[0].param_groups[0]["lr"])


@pytest.mark.parametrize("params, expected", [
    ({"lr_schedule": "cosine", "warmup_epochs": 1}, [0.5, 1.0] + list(0.5 * (1 + np.cos(np.pi * np.arange(4) / 4)))),
    ({"lr_decay": 0.5, "lr_decay_start": 1}, [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]),
    ({}, [1.0] * 6),
], ids=["cosine_warmup", "exponential", "constant"])
def test_estimator_follows_lr_schedule_per_step(panel, params, expected):
    X, y = panel  # 40 samples, batch 16: two full batches per epoch (the incomplete last one is dropped)
    record = _RecordLR()
    S5Classifier(**{**TINY, "max_epochs": 3, "lr": 0.01, **params, "trainer_kwargs": {"callbacks": [record]}}).fit(X, y)
    np.testing.assert_allclose(record.lrs, 0.01 * np.asarray(expected), rtol=1e-12)


def test_step_rescale_changes_predictions_without_refit(series):
    f = S5Forecaster(lookback=16, horizon=4, **TINY).fit(series)
    base = f.predict()
    f.set_params(step_rescale=2.0)
    assert not np.allclose(f.predict(), base)


def test_single_class(panel):
    X, _ = panel
    clf = S5Classifier(**TINY).fit(X, np.zeros(40))
    assert np.all(clf.predict(X) == 0)


# --- bad input: each raises a clear error naming the argument ------------------------------------------
BAD_FIT = [
    ("wrong ndim", lambda X, y: (X[:, :, :, None], y), ValueError, "X"),
    ("empty", lambda X, y: (X[:0], y[:0]), ValueError, "0 sample"),
    ("inf", lambda X, y: (np.where(np.arange(12)[None, :, None] == 3, np.inf, X), y), ValueError, "infinity"),
    ("object dtype", lambda X, y: (np.array([[{"a": 1}] * 12] * 40, dtype=object), y), TypeError, "number"),
    ("mismatched lengths", lambda X, y: (X, y[:10]), ValueError, "inconsistent"),
    ("complex", lambda X, y: (X + 1j, y), ValueError, "[Cc]omplex"),
    ("NaN in y", lambda X, y: (X, np.where(np.arange(40) == 3, np.nan, 1.0)), ValueError, "y|NaN|Input"),
    ("y None", lambda X, y: (X, None), ValueError, "y"),
    ("channel mismatch in list", lambda X, y: ([X[0], X[1][:, :1]] + list(X[2:]), y), ValueError, "channels"),
    ("unobserved sample", lambda X, y: (np.where(np.arange(40)[:, None, None] == 7, np.nan, X), y), ValueError,
     r"X\[7\] has no observed value"),
    ("unobserved short series", lambda X, y: ([X[0], np.full((3, 2), np.nan)] + list(X[2:]), y), ValueError,
     r"X\[1\] has no observed value"),
]


@pytest.mark.parametrize("case, make, err, match", BAD_FIT, ids=[c[0] for c in BAD_FIT])
def test_bad_fit_input(panel, case, make, err, match):
    X, y = make(*panel)
    with pytest.raises(err, match=match):
        S5Classifier(**TINY).fit(X, y)


BAD_TIMES = [
    ("non-increasing", lambda X: np.tile(np.r_[np.arange(6), np.arange(6)], (40, 1)), "strictly increasing"),
    ("NaN times", lambda X: np.where(np.arange(12) == 4, np.nan, np.arange(12.0))[None].repeat(40, 0), "NaN"),
    ("wrong shape", lambda X: np.arange(11.0)[None].repeat(40, 0), "times"),
]


@pytest.mark.parametrize("case, make, match", BAD_TIMES, ids=[c[0] for c in BAD_TIMES])
def test_bad_times(panel, case, make, match):
    X, y = panel
    with pytest.raises(ValueError, match=match):
        S5Classifier(**TINY).fit(X, y, times=make(X))


BAD_PARAMS = [
    ({"max_epochs": 0}, ValueError, "max_epochs"),
    ({"lr": -1.0}, ValueError, "lr"),
    ({"device": "tpu"}, ValueError, "device"),
    ({"d_state": 6, "blocks": 2}, ValueError, "d_state"),
    ({"discretization": "rk4"}, ValueError, "discretization"),
    ({"batch_size": 2.5}, TypeError, "batch_size"),
    ({"random_state": "seed"}, TypeError, "random_state"),
    ({"lr_schedule": "step"}, ValueError, "lr_schedule"),
    ({"lr_schedule": "cosine", "lr_decay": 0.9}, ValueError, "lr_decay"),
    ({"warmup_epochs": 2}, ValueError, "warmup_epochs"),
    ({"warmup_epochs": -1}, ValueError, "warmup_epochs"),
    ({"lr": 0.0}, ValueError, r"lr must be in \(0, inf\], got 0.0"),
    ({"lr_decay": 0.0}, ValueError, r"lr_decay must be in \(0, 1\]"),
    ({"dt_min": 0.0}, ValueError, r"dt_min must be in \(0, inf\]"),
    ({"step_rescale": 0.0}, ValueError, "step_rescale"),
    ({"dropout": 1.0}, ValueError, r"dropout must be in \[0, 1\), got 1.0"),
]


@pytest.mark.parametrize("params, err, match", BAD_PARAMS, ids=["-".join(f"{k}={v}" for k, v in p[0].items()) for p in BAD_PARAMS])
def test_bad_params(panel, params, err, match):
    with pytest.raises(err, match=match):
        S5Classifier(**{**TINY, **params}).fit(*panel)


def test_missing_values_unseen_in_fit_warn_at_prediction(panel, series):
    X, y = panel
    clf = S5Classifier(**TINY).fit(X, y)
    holes = np.where((np.arange(12) == 3)[None, :, None], np.nan, X)
    with pytest.warns(UserWarning, match="fitted on complete data.*fed as 0"):
        clf.predict(holes)
    f = S5Forecaster(lookback=16, horizon=4, **TINY).fit(series)
    with pytest.warns(UserWarning, match="fitted on complete data"):
        f.predict(np.where(np.arange(30)[:, None] == 20, np.nan, series[:30]))
    with_holes = S5Classifier(**TINY).fit(holes, y)  # a model fitted with missing values takes them silently
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with_holes.predict(holes)


def test_times_at_prediction_only_or_fit_only(panel):
    """Without times rows are one time unit apart: unit-step times at prediction change nothing for a model fitted
    without times, and a model fitted on a regular grid predicts the same without its times."""
    X, y = panel
    unit_steps = np.tile(np.arange(X.shape[1], dtype=float), (len(X), 1))
    clf = S5Classifier(**TINY).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X, times=unit_steps), clf.predict_proba(X), atol=1e-6)
    assert not np.allclose(clf.predict_proba(X, times=unit_steps * 3), clf.predict_proba(X), atol=1e-4)
    clf.fit(X, y, times=unit_steps * 3)
    np.testing.assert_allclose(clf.predict_proba(X), clf.predict_proba(X, times=unit_steps * 3), atol=1e-6)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_cuda_device_without_cuda(panel):
    with pytest.raises(ValueError, match=r"device='cuda' but torch finds no CUDA device"):
        S5Classifier(**{**TINY, "device": "cuda"}).fit(*panel)


def test_bad_predict_input(panel, series):
    X, y = panel
    clf = S5Classifier(**TINY).fit(X, y)
    with pytest.raises(ValueError, match="channels") as err:
        clf.predict(X[:, :, :1])
    assert "2-D" not in str(err.value)
    with pytest.raises(ValueError, match=r"a 2-D X is read as \(n_samples, n_timepoints\).*passed as X\[None\]"):
        clf.predict(X[0])  # one series (T, C) instead of a panel of one
    with pytest.raises(ValueError, match=r"X has 2 samples with no observed value \(all NaN\), the first X\[1\]"):
        clf.predict(np.where(np.isin(np.arange(40), [1, 5])[:, None, None], np.nan, X))
    with pytest.raises(ValueError, match="not seen during fit"):
        clf.score(X, np.where(y == "up", "sideways", y))
    f = S5Forecaster(lookback=16, horizon=4, **TINY)
    with pytest.raises(ValueError, match="horizon"):
        S5Forecaster(horizon=0).fit(series)
    with pytest.raises(ValueError, match="lookback"):
        S5Forecaster(lookback=290, horizon=20).fit(series)
    f.fit(series)
    with pytest.raises(ValueError, match="lookback"):
        f.predict(series[:5])
    with pytest.raises(ValueError, match="channels"):
        f.predict(series[:30, :1])
    with pytest.raises(ValueError, match="X has no observed value"):
        f.predict(np.full_like(series[:30], np.nan))
    with pytest.raises(ValueError, match=r"y\[1\] has no observed value"):
        S5Forecaster(lookback=16, horizon=4, **TINY).fit([series, np.full_like(series, np.nan)])
    with pytest.raises(ValueError, match="times"):
        f.predict(times=np.arange(16.0))


def test_training_is_quiet_and_writes_nothing(panel, tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    S5Classifier(**TINY).fit(*panel)
    out = capfd.readouterr()
    assert out.out == "" and "GPU available" not in out.err
    assert list(tmp_path.iterdir()) == []


def test_ssm_parameters_get_their_own_optimizer_group():
    from tsrnn.nn import S5Backbone, SequencePoolingNet
    from tsrnn.training import SequenceLightningModule
    from tsrnn.training.schedule import OptimizerSettings

    net = SequencePoolingNet(S5Backbone(n_inputs=2, d_model=4, n_layers=1, d_state=4), n_outputs=3)
    optim = OptimizerSettings(lr=1e-2, weight_decay=0.1, ssm_lr=1e-4)
    module = SequenceLightningModule(net, loss="cross_entropy", optim=optim)
    regular, ssm = module.configure_optimizers().param_groups
    assert (regular["lr"], regular["weight_decay"]) == (1e-2, 0.1)
    assert (ssm["lr"], ssm["weight_decay"]) == (1e-4, 0.0)
    names = {id(p): n for n, p in net.named_parameters()}
    assert sorted(names[id(p)].rsplit(".", 1)[-1] for p in ssm["params"]) == ["B", "Lambda_im", "Lambda_re", "log_step"]
    assert len(regular["params"]) + len(ssm["params"]) == len(list(net.parameters()))


def test_mark_ssm_parameters_names_what_is_missing():
    from tsrnn.nn import mark_ssm_parameters

    with pytest.raises(ValueError, match=r"Linear has no parameter named \['A'\]"):
        mark_ssm_parameters(torch.nn.Linear(2, 2), "weight", "A")


def test_ssm_streaming_equals_predict(panel):
    """stream() works for every family with a step mode, the SSMs included."""
    X, y = panel[:2]
    clf = S5Classifier(d_model=8, d_state=8, n_layers=1, max_epochs=1, pooling="last", random_state=0).fit(X, y)
    clf.stream(X[:, :5], reset=True)
    assert (clf.stream(X[:, 5:])[:, -1] == clf.predict(X)).all()


def test_class_weight_loss_is_the_weighted_mean_cross_entropy():
    from tsrnn.training.module import SequenceLightningModule

    torch.manual_seed(0)
    logits, labels = torch.randn(9, 3), torch.tensor([0, 1, 2, 2, 1, 0, 0, 0, 2])
    weights = np.array([0.5, 2.0, 3.0])
    module = SequenceLightningModule(torch.nn.Identity(), loss="cross_entropy", class_weight=weights)
    each = -torch.log_softmax(logits, 1)[torch.arange(9), labels].numpy()  # per-sample cross-entropy
    w = weights[labels.numpy()]
    np.testing.assert_allclose(module._loss({"x": logits, "y": labels}).item(), (w * each).sum() / w.sum(), rtol=1e-6)
    with pytest.raises(ValueError, match="class_weight"):
        SequenceLightningModule(torch.nn.Identity(), loss="mse", class_weight=weights)


def test_class_weight_through_the_estimator(panel, tmp_path):
    X, y = panel
    base = S5Classifier(**TINY).fit(X, y).predict_proba(X)
    # the loss is a weighted mean: equal weights (and "balanced" on balanced labels) change nothing
    np.testing.assert_allclose(S5Classifier(**TINY, class_weight={"up": 2.0, "down": 2.0}).fit(X, y).predict_proba(X),
                               base, atol=1e-6)
    y_balanced = np.repeat(["down", "up"], 20)
    np.testing.assert_allclose(S5Classifier(**TINY, class_weight="balanced").fit(X, y_balanced).predict_proba(X),
                               S5Classifier(**TINY).fit(X, y_balanced).predict_proba(X), atol=1e-6)
    # unequal weights move the model toward the heavier class
    up = list(S5Classifier(**TINY).fit(X, y).classes_).index("up")
    heavy = S5Classifier(**TINY, class_weight={"up": 10.0}).fit(X, y)
    assert heavy.predict_proba(X)[:, up].mean() > base[:, up].mean() + 0.01
    heavy.save(tmp_path / "m")
    back = tsrnn.load(tmp_path / "m")
    assert back.class_weight == {"up": 10.0}
    np.testing.assert_allclose(back.predict_proba(X), heavy.predict_proba(X))
    # integer labels survive the JSON config (whose keys are strings)
    ints = S5Classifier(**TINY, class_weight={1: 3.0, np.int64(0): 1.0}).fit(X, (y == "up").astype(int))
    ints.save(tmp_path / "i")
    assert tsrnn.load(tmp_path / "i").class_weight == {1: 3.0, 0: 1.0}


@pytest.mark.parametrize("class_weight, error, match", [
    ("auto", TypeError, "class_weight must be a dict, 'balanced' or None"),
    ({"up": -1.0}, ValueError, "finite weights >= 0"),
    ({"up": float("nan")}, ValueError, "finite weights >= 0"),
    ({"sideways": 2.0}, ValueError, r"labels \['sideways'\] that are not among the classes"),
    ({"up": 0.0, "down": 0.0}, ValueError, "weight 0"),
])
def test_bad_class_weight(panel, class_weight, error, match):
    with pytest.raises(error, match=match):
        S5Classifier(**TINY, class_weight=class_weight).fit(*panel)


def test_class_weight_in_partial_fit(panel):
    X, y = panel
    with pytest.raises(ValueError, match="class_weight='balanced' is not supported by partial_fit"):
        S5Classifier(**TINY, class_weight="balanced").partial_fit(X, y)
    weighted = S5Classifier(**TINY, class_weight={"up": 5.0}).partial_fit(X, y)
    plain = S5Classifier(**TINY).partial_fit(X, y)
    assert not np.allclose(weighted.predict_proba(X), plain.predict_proba(X), atol=1e-4)
