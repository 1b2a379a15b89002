"""Accuracy of the S5 estimators on bundled real data.

- Classification (UCR/UEA train/test splits bundled with sktime): GunPoint, BasicMotions, JapaneseVowels
  (unequal lengths). Issue target: >= 0.95 test accuracy on each.
- ETTh1 forecasting, lookback 96, horizon 96, all 7 channels, standard split and train-only scaling, MSE/MAE on
  scaled test data over every test window: S5Forecaster vs seasonal naive (24 h). Target: beat seasonal naive.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import write
from tsrnn.datasets import ett_windows, load_classification, load_etth1

from tsrnn import S5Classifier, S5Forecaster, SeasonalNaiveForecaster
from tsrnn.metrics import mae, mse

CLASSIFIER = dict(d_model=64, d_state=64, n_layers=2, bidirectional=True, max_epochs=100, batch_size=16, lr=3e-3)
FORECASTER = dict(lookback=96, horizon=96, d_model=64, d_state=64, n_layers=2, max_epochs=8, batch_size=64, lr=2e-3)


def classification(seeds):
    rows = {}
    for name in ("GunPoint", "BasicMotions", "JapaneseVowels"):
        X, y = load_classification(name, "train")
        Xt, yt = load_classification(name, "test")
        accs, secs = [], []
        for seed in seeds:
            t0 = time.perf_counter()
            clf = S5Classifier(**CLASSIFIER, random_state=seed).fit(X, y)
            secs.append(time.perf_counter() - t0)
            accs.append(clf.score(Xt, yt))
            print(f"{name:<15} seed {seed}: accuracy {accs[-1]:.4f} ({secs[-1]:.0f} s)", flush=True)
        rows[name] = {"accuracy": accs, "mean": float(np.mean(accs)), "fit_s": float(np.mean(secs))}
    return rows


def forecasting(seeds):
    data = load_etth1()
    Xt, Yt = ett_windows("test", 96, 96)
    naive = SeasonalNaiveForecaster(sp=24, horizon=96).fit(data["train"]).predict(Xt)
    rows = {"SeasonalNaive(24)": {"mse": mse(Yt, naive), "mae": mae(Yt, naive)}}
    runs = []
    for seed in seeds:
        t0 = time.perf_counter()
        f = S5Forecaster(**FORECASTER, random_state=seed).fit(data["train"])
        pred = f.predict(Xt)
        runs.append({"seed": seed, "mse": mse(Yt, pred), "mae": mae(Yt, pred), "fit_s": time.perf_counter() - t0})
        print(f"ETTh1 S5 seed {seed}: MSE {runs[-1]['mse']:.4f} MAE {runs[-1]['mae']:.4f}", flush=True)
    rows["S5Forecaster"] = {"runs": runs, "mse": float(np.mean([r["mse"] for r in runs])),
                            "mae": float(np.mean([r["mae"] for r in runs]))}
    print(f"ETTh1 seasonal naive: MSE {rows['SeasonalNaive(24)']['mse']:.4f}")
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--only", choices=["classification", "forecasting"])
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    out = {"classifier_params": CLASSIFIER, "forecaster_params": FORECASTER}
    if args.only != "forecasting":
        out["classification"] = classification(seeds)
    if args.only != "classification":
        out["etth1_96_96"] = forecasting(seeds)
    print("wrote", write("accuracy" if args.only is None else f"accuracy_{args.only}", out))


if __name__ == "__main__":
    main()
