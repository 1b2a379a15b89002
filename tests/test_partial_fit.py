"""Incremental training: ``partial_fit`` of classifiers, regressors and forecasters."""

import numpy as np
import pytest
import torch

import tsrnn
from tsrnn import CfCClassifier, CycleNetForecaster, S5Classifier, S5Forecaster, S5Regressor

TINY = dict(d_model=8, d_state=8, n_layers=1, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 12, 2))
    y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    return X, y


def _weights(est):
    return {k: v.clone() for k, v in est.module_.state_dict().items()}


def test_partial_fit_resumes_the_optimizer(panel):
    """With the whole panel in one batch (shuffling then changes nothing), two partial fits are the same two Adam
    steps as a two-epoch fit: the second step needs the moment estimates of the first."""
    X, y = panel
    one_batch = {**TINY, "batch_size": 64}
    fitted = S5Classifier(**one_batch, max_epochs=2).fit(X, y)
    partial = S5Classifier(**one_batch).partial_fit(X, y).partial_fit(X, y)
    np.testing.assert_allclose(partial.predict_proba(X), fitted.predict_proba(X), atol=1e-5)
    restarted = S5Classifier(**one_batch).partial_fit(X, y)
    restarted._partial_fit_optimizer = None  # a fresh optimizer: the second step differs
    restarted.partial_fit(X, y)
    assert np.abs(restarted.predict_proba(X) - fitted.predict_proba(X)).max() > 1e-4
    assert [row["epoch"] for row in partial.history_] == [0, 1] and partial.n_epochs_trained_ == 2


def test_partial_fit_continues_a_fit_and_keeps_its_classes(panel, tmp_path):
    X, y = panel
    clf = S5Classifier(**TINY, max_epochs=2).fit(X, y)
    before = _weights(clf)
    clf.partial_fit(X[:20], y[:20])
    assert clf.n_epochs_trained_ == 3 and list(clf.classes_) == ["down", "up"]
    assert any(not torch.equal(before[k], v) for k, v in clf.module_.state_dict().items())
    only_up = np.flatnonzero(y == "up")
    clf.partial_fit(X[only_up], y[only_up])  # a batch with one of the known classes
    assert list(clf.classes_) == ["down", "up"] and clf.predict_proba(X).shape == (40, 2)
    with pytest.raises(ValueError, match=r"labels \['sideways'\] that are not among classes"):
        clf.partial_fit(X[:4], np.array(["up", "sideways", "down", "up"]))
    with pytest.raises(ValueError, match="channels"):
        clf.partial_fit(X[:, :, :1], y)
    with pytest.raises(ValueError, match="missing values.*first fitted on complete data"):
        clf.partial_fit(np.where((np.arange(12) == 3)[None, :, None], np.nan, X), y)
    clf.save(tmp_path / "m")
    loaded = tsrnn.load(tmp_path / "m").partial_fit(X, y)
    assert loaded.n_epochs_trained_ == 5


def test_partial_fit_after_load_continues_the_optimizer(panel, tmp_path):
    """save keeps the optimizer state of the last partial_fit: after load the next call takes the same step as
    without saving (a new optimizer would not); saving a fit drops an optimizer.pt written there before."""
    X, y = panel
    clf = S5Classifier(**TINY).partial_fit(X, y)
    clf.save(tmp_path / "m")
    assert (tmp_path / "m" / "optimizer.pt").is_file()
    loaded = tsrnn.load(tmp_path / "m").partial_fit(X, y)
    restarted = tsrnn.load(tmp_path / "m")
    restarted._partial_fit_optimizer = None
    restarted.partial_fit(X, y)
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert np.abs(restarted.predict_proba(X) - clf.predict_proba(X)).max() > 1e-4
    clf.fit(X, y)
    clf.save(tmp_path / "m")
    assert not (tmp_path / "m" / "optimizer.pt").exists()
    assert getattr(tsrnn.load(tmp_path / "m"), "_partial_fit_optimizer", None) is None


def test_partial_fit_first_call_classes(panel):
    X, y = panel
    up = np.flatnonzero(y == "up")
    with pytest.raises(ValueError, match="at least two classes on its first call"):
        S5Classifier(**TINY).partial_fit(X[up], y[up])
    clf = S5Classifier(**TINY).partial_fit(X[up], y[up], classes=["down", "up"])
    assert list(clf.classes_) == ["down", "up"]
    down = np.flatnonzero(y == "down")
    clf.partial_fit(X[down], y[down], classes=["up", "down"])  # the same classes again: accepted
    assert clf.n_epochs_trained_ == 2
    with pytest.raises(ValueError, match="differ from the classes of the first partial_fit call"):
        clf.partial_fit(X[down], y[down], classes=["down", "up", "sideways"])
    # a family with its own recurrent layers takes the same path
    assert CfCClassifier(units=8, random_state=0).partial_fit(X, y).partial_fit(X, y).n_epochs_trained_ == 2


def test_regressor_partial_fit_keeps_the_target_scaling(panel):
    X, _ = panel
    y = X[:, :, 0].sum(axis=1)
    reg = S5Regressor(**TINY).partial_fit(X, y)
    mean, scale = reg.y_mean_.copy(), reg.y_scale_.copy()
    reg.partial_fit(X, 10 * y + 5)
    np.testing.assert_array_equal(reg.y_mean_, mean)
    np.testing.assert_array_equal(reg.y_scale_, scale)
    with pytest.raises(ValueError, match="2 targets, but the model was fitted with 1"):
        reg.partial_fit(X, np.stack([y, y], axis=1))


def test_forecaster_partial_fit_on_consecutive_chunks():
    t = np.arange(600)
    y = np.stack([np.sin(2 * np.pi * t / 24), np.cos(2 * np.pi * t / 24)], axis=1)
    f = S5Forecaster(lookback=48, horizon=12, **TINY)
    f.partial_fit(y[:300])
    scaler = f.scaler_.get_state()
    f.partial_fit(y[300:])
    assert f.scaler_.get_state() == scaler and f.n_epochs_trained_ == 2
    np.testing.assert_allclose(f.predict(), f.predict(y[-48:]))  # predict() follows the latest chunk
    with pytest.raises(ValueError, match="lookback"):
        f.partial_fit(y[:50])


def test_cyclenet_partial_fit_needs_the_times_of_later_chunks():
    t = np.arange(600.0)
    y = np.sin(2 * np.pi * t / 24)
    f = CycleNetForecaster(lookback=48, horizon=12, cycle_length=24, max_epochs=1, early_stopping=False,
                           random_state=0).partial_fit(y[:300], times=t[:300])
    with pytest.raises(ValueError, match="times is required.*partial_fit"):
        f.partial_fit(y[300:])
    f.partial_fit(y[300:], times=t[300:])
    # the later chunk's phases come from its times on the first fit's grid: a chunk shifted by one cycle is the
    # same training data
    shifted = CycleNetForecaster(**f.get_params()).partial_fit(y[:300], times=t[:300])
    shifted.partial_fit(y[300:], times=t[300:] + 24)
    np.testing.assert_allclose(shifted.predict(), f.predict(), rtol=1e-6)


def test_diverged_partial_fit_leaves_the_estimator_as_it_was(panel, poison_weights):
    """A partial_fit that diverges raises and keeps the fitted network, its history and the optimizer state of the
    call before (training steps a copy; the optimizer steps its state tensors in place)."""
    X, y = panel
    clf = S5Classifier(**TINY).partial_fit(X, y)
    proba, history = clf.predict_proba(X), list(clf.history_)
    optimizer = {k: {n: v.clone() for n, v in entry.items()} for k, entry in clf._partial_fit_optimizer["state"].items()}
    clf.set_params(trainer_kwargs={"callbacks": [poison_weights(0)]})
    with pytest.raises(FloatingPointError, match="epoch 0"):
        clf.partial_fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    assert clf.history_ == history
    for k, entry in clf._partial_fit_optimizer["state"].items():
        for name, value in entry.items():
            torch.testing.assert_close(value, optimizer[k][name], rtol=0, atol=0)


def test_copies_keep_the_ssm_parameter_group(panel):
    """The SSM tags live on the modules, so a deep copy or a pickle of an estimator keeps the SSM parameters'
    own optimizer group: its next partial_fit equals the original's (a copy whose tags were dropped fails, its
    optimizer has one group for the kept state's two)."""
    import copy
    import pickle

    from tsrnn.nn.blocks import split_ssm_parameters

    X, y = panel
    clf = S5Classifier(**TINY).partial_fit(X, y)
    regular, ssm = split_ssm_parameters(clf.module_)
    assert regular and ssm
    copies = [copy.deepcopy(clf), pickle.loads(pickle.dumps(clf))]
    clf.partial_fit(X, y)
    for twin in copies:
        assert [len(group) for group in split_ssm_parameters(twin.module_)] == [len(regular), len(ssm)]
        np.testing.assert_array_equal(twin.partial_fit(X, y).predict_proba(X), clf.predict_proba(X))
