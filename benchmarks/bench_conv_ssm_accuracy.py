"""Accuracy of the convolutional SSM families (S4D, S4) on bundled data.

- Sequential 8x8 digits (scikit-learn's bundled set): 64 steps, 1 channel, stratified 80/20 split.
  Issue target: >= 0.95 test accuracy with S4 and S4D.
- GunPoint (UCR, bundled with sktime): issue target >= 0.97 with S4D.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import write
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from tsrnn.datasets import load_classification

from tsrnn import S4Classifier, S4DClassifier

DIGITS = dict(d_model=64, d_state=64, n_layers=2, max_epochs=40, batch_size=32, lr=3e-3, dt_min=1e-2, dt_max=1e-1)
GUNPOINT = dict(d_model=64, d_state=64, n_layers=2, bidirectional=True, max_epochs=100, batch_size=16, lr=3e-3)


def sequential_digits(seed: int = 0):
    """(X_train, X_test, y_train, y_test): pixels in raster order as (n, 64, 1) sequences in [0, 1]."""
    data = load_digits()
    X = (data.data / 16.0)[:, :, None]
    return train_test_split(X, data.target, test_size=0.2, stratify=data.target, random_state=seed)


def run(cls, name, make, params, seeds):
    Xtr, Xte, ytr, yte = make()
    accs, secs = [], []
    for seed in seeds:
        t0 = time.perf_counter()
        clf = cls(**params, random_state=seed).fit(Xtr, ytr)
        secs.append(time.perf_counter() - t0)
        accs.append(clf.score(Xte, yte))
        print(f"{cls.__name__:<14} {name:<12} seed {seed}: accuracy {accs[-1]:.4f} ({secs[-1]:.0f} s)", flush=True)
    return {"accuracy": accs, "mean": float(np.mean(accs)), "fit_s": float(np.mean(secs)), "params": params}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args()
    seeds = list(range(args.seeds))

    def gunpoint():
        X, y = load_classification("GunPoint", "train")
        Xt, yt = load_classification("GunPoint", "test")
        return X, Xt, y, yt

    out = {"S4D": {"sequential_digits": run(S4DClassifier, "seq. digits", sequential_digits, DIGITS, seeds),
                   "GunPoint": run(S4DClassifier, "GunPoint", gunpoint, GUNPOINT, seeds)},
           "S4": {"sequential_digits": run(S4Classifier, "seq. digits", sequential_digits, DIGITS, seeds)}}
    print("wrote", write("conv_ssm_accuracy", out))


if __name__ == "__main__":
    main()
