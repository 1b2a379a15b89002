"""Irregular-sampling pipelines (real data and a simulated control): the same model with times, without times, and
on interpolated data.

1. ETTh1 forecast (regression): 96-hour windows of the 7 ETTh1 channels with 70% of the hours dropped at random
   and 10% of the remaining values blanked; the model is asked for the high useful load (HUFL) 1 to 24 hours
   after the window, the query being a last step with every value missing at its time. The interpolation
   baseline gets the interpolated hourly grid up to the query hour (last values held) plus a channel flagging
   the hours after the window, so its length tells the horizon.
2. Oscillator forecast (regression, simulated control): damped mass-spring-damper trajectories observed at 30%
   of their first 100 steps, asked for the position 1 to 50 steps later (grid baseline as in 1). Here the
   elapsed time decides how far the oscillation has moved.
3. ETTh1 queries (regression): 96-hour windows of the 7 ETTh1 channels with 70% of the hours dropped at random
   and 10% of the remaining values blanked (NaN); the model is asked for the high useful load (HUFL) at one
   dropped hour among the last 24, the query being a step with every value missing at its time. The
   interpolation baseline gets the interpolated hourly grid plus a channel flagging the query hour.
4. JapaneseVowels (classification): half of every utterance's frames dropped at random, 10% of the values
   blanked; times are the original frame indices.

Each model is fitted three ways: with ``times``; on the same observations without times; and on the
observations linearly interpolated back onto the regular grid (no times needed). On the ETTh1 tasks the
step-wise recurrent models (CfC, LEM, LTC) given times also read the phase of every step in a 24-hour cycle
(``time_periods=(24,)``: sine and cosine of the time, hours from the window start): their state sees only the gap
to the previous step and has no clock of its own, unlike S5, whose complex modes turn by exactly the elapsed time.

    python examples/irregular_pipelines.py [--smoke] [--models CfC,LEM,LTC,S5]
"""

import argparse

import numpy as np
from tsrnn.datasets import (
    etth1_irregular_forecast,
    etth1_irregular_queries,
    irregular_classification,
    mass_spring_damper_irregular,
)

from tsrnn import (
    CfCClassifier,
    CfCRegressor,
    LEMClassifier,
    LEMRegressor,
    LTCClassifier,
    LTCRegressor,
    S5Classifier,
    S5Regressor,
)

MODELS = {
    # lr 1e-3 as the CfC estimators' default: at 3e-3 single CfC fits here stayed near the variance (did not train);
    # mixed memory (chosen on seeds 0-1): on the ETTh1 forecast, seeds 0-4, 1.05-1.24 test MSE with times against
    # 1.43-1.59 without it
    "CfC": (CfCRegressor, CfCClassifier, dict(units=64, backbone_units=64, mixed_memory=True, lr=1e-3)),
    "LEM": (LEMRegressor, LEMClassifier, dict(units=64, dt=0.5)),
    "LTC": (LTCRegressor, LTCClassifier, dict(units=32, mixed_memory=True)),
    # for comparison: a state-space model whose complex modes turn by exactly the elapsed time (a clock)
    "S5": (S5Regressor, S5Classifier, dict(d_model=64, d_state=64, n_layers=2)),
}
TRAINING = dict(pooling="last", max_epochs=30, batch_size=32, lr=3e-3)  # a model's own params override these
VARIANTS = ("with times", "without times", "interpolated")


def _fits(train, test):
    """(label, X_fit, times_fit, X_eval, times_eval) for the three ways of fitting."""
    return [("with times", train["X"], train["times"], test["X"], test["times"]),
            ("without times", train["X"], None, test["X"], None),
            ("interpolated", train["X_grid"], None, test["X_grid"], None)]


DAILY = (24.0,)  # hours: the ETTh1 tasks' time_periods


def etth1_forecast(model: str, smoke: bool = False, seed: int = 0) -> dict:
    """Test MSE (scaled HUFL) of each way of fitting, forecasting 1-24 hours after the window."""
    return _regression(lambda n, s: etth1_irregular_forecast("train", n, seed=s),
                       lambda n, s: etth1_irregular_forecast("test", n, seed=s), model, smoke, seed,
                       time_periods=DAILY)


def oscillator_forecast(model: str, smoke: bool = False, seed: int = 0) -> dict:
    """Test MSE (position) of each way of fitting, forecasting 1-50 steps after the observed window."""
    return _regression(lambda n, s: mass_spring_damper_irregular(n, seed=s),
                       lambda n, s: mass_spring_damper_irregular(n, seed=s), model, smoke, seed, n_train=2000)


def etth1_queries(model: str, smoke: bool = False, seed: int = 0) -> dict:
    """Test MSE (scaled HUFL) of each way of fitting, imputing an hour among the window's last 24."""
    return _regression(lambda n, s: etth1_irregular_queries("train", n, seed=s),
                       lambda n, s: etth1_irregular_queries("test", n, seed=s), model, smoke, seed,
                       time_periods=DAILY)


def _regression(make_train, make_test, model, smoke, seed, n_train=3000, time_periods=None):
    """Test MSE of the three ways of fitting; the fit with times also gets ``time_periods`` when the model has
    that parameter."""
    regressor, _, params = MODELS[model]
    train = make_train(64 if smoke else n_train, seed)
    test = make_test(32 if smoke else 1000, seed + 1000)
    phase = {"time_periods": time_periods} if time_periods and "time_periods" in regressor().get_params() else {}
    out = {}
    for label, X, T, Xt, Tt in _fits(train, test):
        extra = phase if T is not None else {}
        reg = regressor(**{**TRAINING, **params, **extra, "max_epochs": 1 if smoke else TRAINING["max_epochs"]},
                        random_state=seed).fit(X, train["y"], times=T)
        out[label] = float(np.mean((reg.predict(Xt, times=Tt) - test["y"]) ** 2))
    return out


def japanese_vowels(model: str, smoke: bool = False, seed: int = 0) -> dict:
    """Test error rate (1 - accuracy) of each way of fitting."""
    _, classifier, params = MODELS[model]
    train = irregular_classification("JapaneseVowels", "train", seed=seed)
    test = irregular_classification("JapaneseVowels", "test", seed=seed + 1000)
    if smoke:
        train = {k: v[:60] for k, v in train.items()}
        test = {k: v[:40] for k, v in test.items()}
    out = {}
    for label, X, T, Xt, Tt in _fits(train, test):
        clf = classifier(**{**TRAINING, **params, "max_epochs": 1 if smoke else 60}, random_state=seed)
        out[label] = 1.0 - clf.fit(X, train["y"], times=T).score(Xt, test["y"], times=Tt)
    return out


def main(smoke: bool = False, models=("CfC", "LEM")) -> dict:
    results = {}
    for model in models:
        for task, run, metric in (("ETTh1 forecast", etth1_forecast, "test MSE"),
                                  ("oscillator forecast", oscillator_forecast, "test MSE"),
                                  ("ETTh1 queries", etth1_queries, "test MSE"),
                                  ("JapaneseVowels", japanese_vowels, "test error")):
            r = run(model, smoke)
            results[f"{model} / {task}"] = r
            print(f"{model:<4} {task:<19} {metric}: " + ", ".join(f"{k} {v:.4f}" for k, v in r.items())
                  + f"  (without / with times: {r['without times'] / max(r['with times'], 1e-12):.2f}x)", flush=True)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny data, one epoch (what the test suite runs)")
    parser.add_argument("--models", default="CfC,LEM")
    args = parser.parse_args()
    main(args.smoke, tuple(args.models.split(",")))
