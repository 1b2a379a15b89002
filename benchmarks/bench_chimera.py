"""Chimera (2-D SSM) on ETTh1 forecasting and UEA classification, with its ablations.

- ETTh1, lookback 96, by the LTSF protocol (:mod:`tsrnn.datasets.ltsf`): ChimeraForecaster beside the
  seasonal-naive baseline and CycleNet (read from ``results/cyclenet_etth1.json``), with training time. To fit
  the CPU budget, training uses every 4th window (``stride=4``) and at most 8 epochs with early stopping
  (patience 3) on the standard validation windows; evaluation covers every test window. ``--decoder``
  chooses the decoder; results are keyed by it.
- BasicMotions and JapaneseVowels (bundled with sktime): test accuracy; ``--ablations`` adds the selective /
  bidirectional / two-head ablations on JapaneseVowels.

    python benchmarks/bench_chimera.py [--part forecast,classify] [--horizons 96] [--seeds 1] [--ablations]

Writes ``results/chimera.json`` (a run of one part keeps the other part's entries).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from _common import RESULTS, merge
from tsrnn.datasets import load_classification, ltsf_evaluate, ltsf_fit

from tsrnn import ChimeraClassifier, ChimeraForecaster, SeasonalNaiveForecaster

FORECAST = dict(lookback=96, d_model=16, d_state=4, n_layers=2, stride=4, max_epochs=8, early_stopping=True,
                patience=3, lr=3e-3, batch_size=32, decoder="direct")
CLASSIFY = {"BasicMotions": dict(d_model=16, d_state=4, n_layers=2, max_epochs=60, lr=3e-3, batch_size=16),
            "JapaneseVowels": dict(d_model=16, d_state=4, n_layers=2, max_epochs=25, lr=3e-3, batch_size=32)}
ABLATIONS = {"full": {}, "not_selective": {"selective": False}, "one_direction": {"bidirectional": False},
             "trend_head_only": {"seasonal_head": False}}


def forecast(horizons, seeds):
    out = {}
    cyclenet = RESULTS / "cyclenet_etth1.json"
    reference = json.loads(cyclenet.read_text())["results"] if cyclenet.exists() else {}
    for h in horizons:
        runs = []
        for seed in seeds:
            est = ChimeraForecaster(horizon=h, random_state=seed, **FORECAST)
            t0 = time.perf_counter()
            ltsf_fit(est)
            runs.append({**ltsf_evaluate(est), "seconds": time.perf_counter() - t0, "epochs": est.n_epochs_trained_})
        naive = ltsf_evaluate(SeasonalNaiveForecaster(sp=24, horizon=h).fit(np.zeros((24, 7))), h, 96)
        out[f"etth1_L96_H{h}_{FORECAST['decoder']}"] = {
            "chimera": {"mse": float(np.mean([r["mse"] for r in runs])), "mae": float(np.mean([r["mae"] for r in runs])),
                        "seconds": float(np.mean([r["seconds"] for r in runs])), "runs": runs, "config": FORECAST},
            "seasonal_naive": naive,
            "cyclenet_linear": {k: reference.get(f"L96_H{h}_linear_cycle24", {}).get(k) for k in ("mse", "mae", "seconds")},
        }
        print(h, json.dumps({k: v.get("mse") for k, v in out[f"etth1_L96_H{h}_{FORECAST['decoder']}"].items()}),
              flush=True)
    return out


def classify(seeds, ablations, save, datasets=tuple(CLASSIFY), variants=tuple(ABLATIONS)):
    out = {}
    for name, params in CLASSIFY.items():
        if name not in datasets:
            continue
        X, y = load_classification(name, "train")
        Xt, yt = load_classification(name, "test")
        for ablation, extra in ABLATIONS.items():
            if ablation not in variants or (ablation != "full" and (name != "JapaneseVowels" or not ablations)):
                continue
            accs, secs = [], []
            for seed in seeds:
                t0 = time.perf_counter()
                clf = ChimeraClassifier(random_state=seed, **params, **extra).fit(X, y)
                secs.append(time.perf_counter() - t0)
                accs.append(clf.score(Xt, yt))
            out[f"{name}_{ablation}"] = {"accuracy": float(np.mean(accs)), "runs": accs, "seconds": float(np.mean(secs)),
                                         "config": {**params, **extra}}
            print(name, ablation, round(float(np.mean(accs)), 4), round(float(np.mean(secs)), 1), flush=True)
            save(out)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--part", default="forecast,classify")
    p.add_argument("--horizons", default="96")
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--decoder", default="direct", choices=("direct", "closed_loop"))
    p.add_argument("--ablations", action="store_true", help="JapaneseVowels ablations (selective, bidirectional, heads)")
    p.add_argument("--datasets", default=",".join(CLASSIFY))
    p.add_argument("--variants", default=",".join(ABLATIONS))
    args = p.parse_args()
    seeds = list(range(args.seeds))
    def save(new):
        merge("chimera", new)

    FORECAST["decoder"] = args.decoder
    if "forecast" in args.part:
        save(forecast([int(h) for h in args.horizons.split(",")], seeds))
    if "classify" in args.part:
        classify(seeds, args.ablations, save, args.datasets.split(","), args.variants.split(","))


if __name__ == "__main__":
    main()
