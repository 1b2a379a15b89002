"""Quantile forecasts on ETTh1: calibration of forecasters trained with the pinball loss (S5, CycleNet), against
split-conformal intervals around the same models' point forecasts (what a user would build instead).

Protocol: lookback 96, horizon 96, all 7 channels, the standard split with train-only scaling (as
``bench_accuracy.py``); every model is fit on the train rows (CycleNet with its cycle of 24 h, without early
stopping). Levels 0.1, 0.5 and 0.9, so the interval between the 0.1 and 0.9 forecasts should hold 80% of the test
targets.

- ``<model> quantiles``: ``quantiles=(0.1, 0.9)``, the median its point forecast.
- ``<model> point + conformal``: the point model; the 0.1 / 0.9 quantiles of its residuals on the validation
  windows, per horizon step and channel, added to its test forecasts (split conformal, one calibration set).

Reported on every test window, step and channel: the fraction of targets below each level's forecast (a calibrated
model gives the level), the 80% interval's coverage and mean width, the mean pinball loss over the three levels,
and the median's MSE / MAE.

    python benchmarks/bench_quantiles.py [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import functools
import time

import numpy as np
from _common import write
from tsrnn.datasets import ETT_SPLITS, load_etth1, ltsf_windows

from tsrnn import CycleNetForecaster, S5Forecaster

LEVELS = np.array([0.1, 0.5, 0.9])
MODELS = {
    "S5": (S5Forecaster, dict(lookback=96, horizon=96, d_model=64, d_state=32, n_layers=1, stride=2, max_epochs=6,
                              batch_size=64, lr=2e-3)),
    "CycleNet": (CycleNetForecaster, dict(lookback=96, horizon=96, cycle_length=24, max_epochs=10,
                                          early_stopping=False)),
}


def scores(quantiles: np.ndarray, Y: np.ndarray) -> dict:
    """quantiles (n, H, C, 3) at LEVELS, Y (n, H, C) -> calibration, coverage, width, pinball loss, median errors."""
    diff = Y[..., None] - quantiles
    pinball = np.maximum(LEVELS * diff, (LEVELS - 1) * diff).mean()
    lower, median, upper = quantiles[..., 0], quantiles[..., 1], quantiles[..., 2]
    return {"below": [float(np.mean(Y <= quantiles[..., k])) for k in range(3)],
            "coverage_80": float(np.mean((Y >= lower) & (Y <= upper))), "width_80": float(np.mean(upper - lower)),
            "pinball": float(pinball), "mse": float(np.mean((median - Y) ** 2)), "mae": float(np.mean(np.abs(median - Y)))}


@functools.cache
def _windows(split):
    return ltsf_windows(split, 96, 96)


def _predict(model, split):
    """Forecasts of every window of an ETTh1 split, with the windows' row numbers as times for CycleNet's phase."""
    X, Y, rows = _windows(split)
    times = (rows[:, None] + np.arange(96)).astype(np.float64) if isinstance(model, CycleNetForecaster) else None
    if model.quantiles is None:
        return model.predict(X, times=times), Y
    return model.predict_quantiles(X, times=times), Y


def run(name: str, seed: int) -> dict:
    cls, params = MODELS[name]
    train = load_etth1()["train"]
    fit = {} if cls is S5Forecaster else {"times": np.arange(ETT_SPLITS["train"][1], dtype=np.float64)}
    t0 = time.perf_counter()
    quantile = cls(**params, quantiles=(0.1, 0.9), random_state=seed).fit(train, **fit)
    fit_q = time.perf_counter() - t0
    t0 = time.perf_counter()
    point = cls(**params, random_state=seed).fit(train, **fit)
    fit_p = time.perf_counter() - t0
    pred_v, Yv = _predict(point, "val")
    offsets = np.quantile(Yv - pred_v, [0.1, 0.9], axis=0)  # (2, H, C) residual quantiles
    pred, Yt = _predict(point, "test")
    conformal = np.stack([pred + offsets[0], pred, pred + offsets[1]], axis=-1)
    return {f"{name} quantiles": {**scores(_predict(quantile, "test")[0], Yt), "fit_s": fit_q},
            f"{name} point + conformal": {**scores(conformal, Yt), "fit_s": fit_p}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    runs = {}
    for model in MODELS:
        for seed in args.seeds:
            for name, row in run(model, seed).items():
                runs.setdefault(name, []).append({"seed": seed, **row})
                print(f"seed {seed} {name:<28} below {np.round(row['below'], 3)} coverage {row['coverage_80']:.3f} "
                      f"width {row['width_80']:.3f} pinball {row['pinball']:.4f} MSE {row['mse']:.4f} "
                      f"({row['fit_s']:.0f} s)", flush=True)
    results = {name: {"runs": rows, **{key: float(np.mean([r[key] for r in rows]))
                                       for key in ("coverage_80", "width_80", "pinball", "mse", "mae", "fit_s")},
                      "below": np.mean([r["below"] for r in rows], axis=0).tolist()} for name, rows in runs.items()}
    config = {name: {"estimator": cls.__name__, **params} for name, (cls, params) in MODELS.items()}
    print("wrote", write("quantiles_etth1", {"config": config, "levels": LEVELS.tolist(), "results": results}))


if __name__ == "__main__":
    main()
