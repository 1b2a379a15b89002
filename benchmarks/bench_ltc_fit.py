"""Training time of an LTC classifier with the compiled CPU solver against the same fit with the torch solver.

JapaneseVowels (UEA train/test), ``LTCClassifier(units=64)`` in two configurations: without mixed memory (the
compiled solver runs the whole sequence) and with it, as in the accuracy table and
``examples/liquid_japanese_vowels.py`` (the compiled solver runs one step per call between the LSTM updates; the
torch path is then the autograd step loop). One thread, the same seed: each configuration's fits are timed in
turns (compiled, torch, compiled, ...), after one warm-up fit. The two fits differ only by float32 rounding, so
their accuracies differ a little too.

    python benchmarks/bench_ltc_fit.py [--epochs 30] [--turns 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
from _common import write
from tsrnn.datasets import load_classification

from tsrnn.estimators import LTCClassifier

#: The configurations timed: LTCClassifier parameters (the mixed-memory one is the accuracy table's).
CONFIGS = {"units=64": dict(units=64), "units=64, mixed memory": dict(units=64, mixed_memory=True, lr=3e-3)}


def fit(X, y, Xt, yt, params, epochs, backend):
    """Seconds to fit and test accuracy, with ``TSRNN_BACKEND`` set to ``backend`` ("" for auto)."""
    os.environ["TSRNN_BACKEND"] = backend
    try:
        est = LTCClassifier(**params, max_epochs=epochs, random_state=0)
        start = time.perf_counter()
        est.fit(X, y)
        return time.perf_counter() - start, est.score(Xt, yt)
    finally:
        os.environ.pop("TSRNN_BACKEND")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--turns", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, y = load_classification("JapaneseVowels", "train")
    Xt, yt = load_classification("JapaneseVowels", "test")
    results = {}
    for config, params in CONFIGS.items():
        fit(X, y, Xt, yt, params, 1, "")  # warm-up: imports, the kernel's first load
        runs = {"compiled": [], "torch": []}
        for _ in range(args.turns):
            for name, backend in (("compiled", ""), ("torch", "torch")):
                runs[name].append(fit(X, y, Xt, yt, params, args.epochs, backend))
        seconds = {name: statistics.median(s for s, _ in r) for name, r in runs.items()}
        accuracy = {name: r[0][1] for name, r in runs.items()}
        for name in runs:
            print(f"{config:<24} {name:<9} fit {seconds[name]:7.1f} s  accuracy {accuracy[name]:.4f}")
        print(f"{config:<24} torch / compiled: {seconds['torch'] / seconds['compiled']:.2f}x")
        results[config] = {"params": params, "seconds": seconds, "accuracy": accuracy,
                           "speedup": seconds["torch"] / seconds["compiled"], "runs": runs}
    print("wrote", write("ltc_fit", {"epochs": args.epochs, "configs": results}))


if __name__ == "__main__":
    main()
