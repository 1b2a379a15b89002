"""Peak memory of a forecaster's fit on a long, wide series (the LTSF Electricity / Traffic shapes).

A forecaster trains on every ``(lookback, horizon)`` window of its series. Materialized, those windows take
``n_windows * (lookback + horizon) * channels`` floats, about ``lookback + horizon`` times the series itself:
for a Traffic-sized series (17,544 hours, 862 sensors, lookback 96, horizon 96) 11.6 GB in float32, and more
during their construction in float64. tsrnn cuts each window when a batch is drawn, so a fit holds the series
(with its indicator and time-feature channels) once.

Each configuration runs in a fresh process; the script reports the process's peak resident memory before and
after ``fit`` and the size the materialized float32 windows would have. The fit is limited to a few batches
(``trainer_kwargs={"limit_train_batches": 2}``): the data path, not the training, is measured.

    python benchmarks/bench_forecast_memory.py [--label tsrnn]
"""

import argparse
import json
import resource
import subprocess
import sys
import time

from _common import merge

CONFIGS = {  # name: (timepoints, channels, lookback, horizon)
    "ETTh1-sized (17,420 x 7)": (17_420, 7, 96, 96),
    "Electricity-sized (26,304 x 321)": (26_304, 321, 96, 96),
    "Traffic-sized (17,544 x 862)": (17_544, 862, 96, 96),
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(name: str) -> dict:
    """Fit S5Forecaster on a random series of the configuration's shape (in this process)."""
    import lightning  # noqa: F401  (imported before the baseline reading: the fit's increase is the data path's)
    import numpy as np
    import torch  # noqa: F401

    from tsrnn import S5Forecaster

    T, C, lookback, horizon = CONFIGS[name]
    y = np.random.default_rng(0).standard_normal((T, C)).astype(np.float32)
    before = _peak_mb()
    t0 = time.perf_counter()
    S5Forecaster(lookback=lookback, horizon=horizon, d_model=8, d_state=8, n_layers=1, max_epochs=1, batch_size=4,
                 random_state=0, trainer_kwargs={"limit_train_batches": 2}).fit(y)
    seconds = time.perf_counter() - t0
    n_windows = T - lookback - horizon + 1
    return {"peak_mb_before_fit": round(before), "peak_mb_after_fit": round(_peak_mb()),
            "fit_increase_mb": round(_peak_mb() - before), "fit_seconds": round(seconds, 1),
            "series_mb": round(T * C * 4 / 2**20), "materialized_windows_mb": round(n_windows * (lookback + horizon) * C * 4
                                                                                    / 2**20)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", default="tsrnn", help="key prefix of the results (e.g. the version measured)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one configuration in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    results = {}
    for name in CONFIGS:
        out = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True)
        if out.returncode:
            results[f"{args.label}: {name}"] = {"error": out.stderr.strip().splitlines()[-1]}
        else:
            results[f"{args.label}: {name}"] = json.loads(out.stdout.strip().splitlines()[-1])
        print(name, results[f"{args.label}: {name}"], flush=True)
    merge("forecast_memory", results, protocol="S5Forecaster fit (1 epoch, 2 batches of 4 windows), fresh process "
          "per configuration, peak RSS (ru_maxrss)")


if __name__ == "__main__":
    main()
