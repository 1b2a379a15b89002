"""CycleNet on ETTh1 by the standard long-term forecasting protocol (:mod:`tsrnn.datasets.ltsf`).

Lookback 96 (and 336), horizons 96 / 192 / 336 / 720, Linear and MLP backbones, with the learnable cycle
(W = 24, daily) and without it (the paper's ablation), a wrong cycle (W = 168) at horizon 96, and the
seasonal-naive baseline. The paper's recipe per backbone and lookback: batch 256; lr 0.01 (Linear, L=96),
0.005 (MLP, L=96; Linear, L=336), 0.002 (MLP, L=336); four epochs at that lr, then x0.8 per epoch; at most
30 epochs; early stopping with patience 5 on the validation MSE. Seeds 2024, 2025, ... (the paper: 5 seeds).

    python benchmarks/bench_cyclenet.py [--lookbacks 96,336] [--seeds 3] [--backbones linear,mlp]

Writes ``results/cyclenet_etth1.json`` (entries of other lookbacks / backbones already there are kept).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import merge
from tsrnn.datasets import ltsf_evaluate, ltsf_fit

from tsrnn import CycleNetForecaster, SeasonalNaiveForecaster

HORIZONS = (96, 192, 336, 720)
#: The paper's learning rates (CycleNet's scripts for ETTh1).
LR = {(96, "linear"): 0.01, (96, "mlp"): 0.005, (336, "linear"): 0.005, (336, "mlp"): 0.002}
#: Official 5-seed means of test MSE (CycleNet result.txt), for the ratio column.
PAPER = {(96, "linear"): (0.379, 0.427, 0.464, 0.462), (96, "mlp"): (0.375, 0.437, 0.497, 0.520),
         (336, "linear"): (0.374, 0.407, 0.431, 0.451), (336, "mlp"): (0.383, 0.421, 0.449, 0.497)}


def run(lookback, horizon, backbone, cycle_length, seed):
    est = CycleNetForecaster(lookback=lookback, horizon=horizon, backbone=backbone, cycle_length=cycle_length,
                             lr=LR[(lookback, backbone)], random_state=seed)
    t0 = time.perf_counter()
    ltsf_fit(est)
    seconds = time.perf_counter() - t0
    res = ltsf_evaluate(est)
    return {**res, "seconds": seconds, "epochs": est.n_epochs_trained_}


def summarize(runs):
    return {"mse": float(np.mean([r["mse"] for r in runs])), "mse_std": float(np.std([r["mse"] for r in runs])),
            "mae": float(np.mean([r["mae"] for r in runs])), "seconds": float(np.mean([r["seconds"] for r in runs])),
            "epochs": float(np.mean([r["epochs"] for r in runs])), "n_windows": runs[0]["n_windows"],
            "seeds": len(runs), "runs": runs}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--lookbacks", default="96,336")
    p.add_argument("--backbones", default="linear,mlp")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--horizons", default=",".join(map(str, HORIZONS)))
    args = p.parse_args()
    seeds = [2024 + i for i in range(args.seeds)]
    out = {}
    for lookback in map(int, args.lookbacks.split(",")):
        for horizon in map(int, args.horizons.split(",")):
            naive = SeasonalNaiveForecaster(sp=24, horizon=horizon).fit(np.zeros((24, 7)))
            out[f"L{lookback}_H{horizon}_seasonal_naive"] = ltsf_evaluate(naive, horizon, lookback)
            for backbone in args.backbones.split(","):
                variants = {"cycle24": 24} if lookback != 96 else {"cycle24": 24, "no_cycle": 0}
                if lookback == 96 and horizon == 96:
                    variants["cycle168"] = 168
                for name, w in variants.items():
                    key = f"L{lookback}_H{horizon}_{backbone}_{name}"
                    out[key] = summarize([run(lookback, horizon, backbone, w, s) for s in seeds])
                    if name == "cycle24":
                        out[key]["paper_mse"] = PAPER[(lookback, backbone)][HORIZONS.index(horizon)]
                    print(key, {k: round(v, 4) for k, v in out[key].items() if isinstance(v, float)}, flush=True)
                    save(out)


def save(new):
    merge("cyclenet_etth1", new, protocol="ETTh1 LTSF (tsrnn.datasets.ltsf)")


if __name__ == "__main__":
    main()
