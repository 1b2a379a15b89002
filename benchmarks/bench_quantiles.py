"""Quantile forecasts on ETTh1: calibration of an S5Forecaster trained with the pinball loss, against split-conformal
intervals around the point S5Forecaster (what a user would build instead).

Protocol: lookback 96, horizon 96, all 7 channels, the standard split with train-only scaling (as
``bench_accuracy.py``); both models are fit on the train rows. Levels 0.1, 0.5 and 0.9, so the interval between the
0.1 and 0.9 forecasts should hold 80% of the test targets.

- ``S5 quantiles``: ``S5Forecaster(quantiles=(0.1, 0.9))``, the median its point forecast.
- ``S5 point + conformal``: ``S5Forecaster()``; the 0.1 / 0.9 quantiles of its residuals on the validation windows,
  per horizon step and channel, added to its test forecasts (split conformal, one calibration set).

Reported on every test window, step and channel: the fraction of targets below each level's forecast (a calibrated
model gives the level), the 80% interval's coverage and mean width, the mean pinball loss over the three levels,
and the median's MSE / MAE.

    python benchmarks/bench_quantiles.py [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import write
from tsrnn.datasets import ett_windows, load_etth1

from tsrnn import S5Forecaster

LEVELS = np.array([0.1, 0.5, 0.9])
S5 = dict(lookback=96, horizon=96, d_model=64, d_state=32, n_layers=1, stride=2, max_epochs=6, batch_size=64, lr=2e-3)


def scores(quantiles: np.ndarray, Y: np.ndarray) -> dict:
    """quantiles (n, H, C, 3) at LEVELS, Y (n, H, C) -> calibration, coverage, width, pinball loss, median errors."""
    diff = Y[..., None] - quantiles
    pinball = np.maximum(LEVELS * diff, (LEVELS - 1) * diff).mean()
    lower, median, upper = quantiles[..., 0], quantiles[..., 1], quantiles[..., 2]
    return {"below": [float(np.mean(Y <= quantiles[..., k])) for k in range(3)],
            "coverage_80": float(np.mean((Y >= lower) & (Y <= upper))), "width_80": float(np.mean(upper - lower)),
            "pinball": float(pinball), "mse": float(np.mean((median - Y) ** 2)), "mae": float(np.mean(np.abs(median - Y)))}


def run(seed: int) -> dict:
    data = load_etth1()
    Xv, Yv = ett_windows("val", 96, 96)
    Xt, Yt = ett_windows("test", 96, 96)
    t0 = time.perf_counter()
    quantile = S5Forecaster(**S5, quantiles=(0.1, 0.9), random_state=seed).fit(data["train"])
    fit_q = time.perf_counter() - t0
    t0 = time.perf_counter()
    point = S5Forecaster(**S5, random_state=seed).fit(data["train"])
    fit_p = time.perf_counter() - t0
    offsets = np.quantile(Yv - point.predict(Xv), [0.1, 0.5, 0.9], axis=0)  # (3, H, C) residual quantiles
    pred = point.predict(Xt)
    conformal = np.stack([pred + offsets[0], pred, pred + offsets[2]], axis=-1)
    return {"S5 quantiles": {**scores(quantile.predict_quantiles(Xt), Yt), "fit_s": fit_q},
            "S5 point + conformal": {**scores(conformal, Yt), "fit_s": fit_p}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    runs = {}
    for seed in args.seeds:
        for name, row in run(seed).items():
            runs.setdefault(name, []).append({"seed": seed, **row})
            print(f"seed {seed} {name:<22} below {np.round(row['below'], 3)} coverage {row['coverage_80']:.3f} "
                  f"width {row['width_80']:.3f} pinball {row['pinball']:.4f} MSE {row['mse']:.4f} "
                  f"({row['fit_s']:.0f} s)", flush=True)
    results = {name: {"runs": rows, **{key: float(np.mean([r[key] for r in rows]))
                                       for key in ("coverage_80", "width_80", "pinball", "mse", "mae", "fit_s")},
                      "below": np.mean([r["below"] for r in rows], axis=0).tolist()} for name, rows in runs.items()}
    print("wrote", write("quantiles_etth1", {"config": S5, "levels": LEVELS.tolist(), "results": results}))


if __name__ == "__main__":
    main()
