"""Exported predictions (``estimator.export``) against the estimator's own ``predict``, on CPU.

An exported program runs the torch path of every op (the compiled CPU kernels and the liquid families' fused
loops are opaque to ``torch.export``; the scan takes a doubling schedule), so it may be slower than ``predict``;
this measures by how much, on real data with the families' default widths (one epoch of training: speed does not
depend on the weights).

- GunPoint test set (150 series of 150 steps): S5, CfC, LTC and LEM classifiers.
- ETTh1 test windows (2,785 contexts, lookback 96, horizon 96, 7 channels): S5 and CfC forecasters.

Reported: ``predict`` (``predict_proba`` for classifiers; numpy preprocessing included), ``model_inputs`` alone,
the exported program on those inputs, the ratio program / ``predict``, the largest difference of their outputs,
and the time ``export`` takes. Timings are interleaved medians.

    python benchmarks/bench_export.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from _common import write
from tsrnn.datasets import load_classification, load_etth1, ltsf_windows

from tsrnn import CfCClassifier, CfCForecaster, LEMClassifier, LTCClassifier, S5Classifier, S5Forecaster

CLASSIFIERS = {"S5Classifier": S5Classifier, "CfCClassifier": CfCClassifier, "LTCClassifier": LTCClassifier,
               "LEMClassifier": LEMClassifier}
FORECASTERS = {"S5Forecaster": S5Forecaster, "CfCForecaster": CfCForecaster}


def _cases():
    """(name, fitted estimator, prediction function, test inputs) of every case."""
    X, y = load_classification("GunPoint", "train")
    Xt, _ = load_classification("GunPoint", "test")
    for name, cls in CLASSIFIERS.items():
        est = cls(max_epochs=1, random_state=0).fit(X, y)
        yield f"{name} GunPoint", est, est.predict_proba, Xt
    train = load_etth1()["train"]
    contexts, _, _ = ltsf_windows("test", 96, 96)
    for name, cls in FORECASTERS.items():
        est = cls(lookback=96, horizon=96, max_epochs=1, random_state=0).fit(train[:2000])
        yield f"{name} ETTh1", est, est.predict, contexts


def _median_times(fns: dict, repeat: int) -> dict:
    """Interleaved turns (one call of each function per turn) -> median seconds per function."""
    for fn in fns.values():
        fn()
    times = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = {}
    for name, est, predict, inputs in _cases():
        t0 = time.perf_counter()
        program = est.export(inputs[:8]).module()
        export_s = time.perf_counter() - t0
        model_inputs = {k: torch.as_tensor(v) for k, v in est.model_inputs(inputs).items()}
        with torch.no_grad():
            diff = float(np.abs(program(**model_inputs).numpy().reshape(-1) - predict(inputs).reshape(-1)).max())
            seconds = _median_times({"predict": lambda: predict(inputs),  # noqa: B023
                                     "model_inputs": lambda: est.model_inputs(inputs),  # noqa: B023
                                     "program": lambda: program(**model_inputs)}, args.repeat)  # noqa: B023
        results[name] = {**{f"{k}_s": v for k, v in seconds.items()}, "program_over_predict":
                         seconds["program"] / seconds["predict"], "max_abs_diff": diff, "export_s": export_s,
                         "n": len(inputs)}
        print(name, {k: float(f"{v:.3g}") for k, v in results[name].items()}, flush=True)
    print("wrote", write("export", {"results": results}))


if __name__ == "__main__":
    main()
