"""The main job (``make demo`` / ``tsrnn demo``): S5 on shipped data against simple baselines.

1. ETTh1 long-term forecasting, lookback 96, horizon 96, all 7 channels, standard split, train-only
   scaling, MSE/MAE on scaled test data over every test window: S5Forecaster vs seasonal naive (24 h).
2. GunPoint classification (UCR, bundled with sktime): S5Classifier test accuracy.

Prints a results table, writes ``results.json`` and ``forecast.png`` to ``out``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np


def _forecasting(smoke: bool, seed: int) -> tuple[dict, dict]:
    from tsrnn import S5Forecaster, SeasonalNaiveForecaster
    from tsrnn.datasets import ett_windows, load_etth1
    from tsrnn.metrics import mae, mse

    lookback, horizon = 96, 96
    data = load_etth1(scale=True)
    train = np.concatenate([data["train"], data["val"]])  # validation rows used for training here
    Xt, Yt = ett_windows("test", lookback, horizon)
    if smoke:
        train, Xt, Yt = train[-600:], Xt[:64], Yt[:64]
    params = dict(lookback=lookback, horizon=horizon, d_model=8 if smoke else 64, d_state=8 if smoke else 32,
                  n_layers=1, stride=8 if smoke else 2, max_epochs=1 if smoke else 6, batch_size=64, lr=2e-3,
                  random_state=seed)
    t0 = time.perf_counter()
    model = S5Forecaster(**params).fit(train)
    fit_s = time.perf_counter() - t0
    pred = model.predict(Xt)
    naive = SeasonalNaiveForecaster(sp=24, horizon=horizon).fit(train).predict(Xt)
    rows = {
        "S5Forecaster": {"mse": mse(Yt, pred), "mae": mae(Yt, pred), "fit_s": fit_s},
        "SeasonalNaive(24)": {"mse": mse(Yt, naive), "mae": mae(Yt, naive), "fit_s": 0.0},
    }
    plot = {"context": Xt[-1, :, -1], "truth": Yt[-1, :, -1], "s5": pred[-1, :, -1], "naive": naive[-1, :, -1]}
    return rows, plot


def _classification(smoke: bool, seed: int) -> dict:
    from tsrnn import S5Classifier
    from tsrnn.datasets import load_classification

    X, y = load_classification("GunPoint", "train")
    Xt, yt = load_classification("GunPoint", "test")
    params = dict(d_model=16 if smoke else 64, d_state=16 if smoke else 64, n_layers=1 if smoke else 2,
                  bidirectional=True, max_epochs=1 if smoke else 100, batch_size=16, lr=3e-3, random_state=seed)
    t0 = time.perf_counter()
    clf = S5Classifier(**params).fit(X, y)
    return {"S5Classifier": {"accuracy": clf.score(Xt, yt), "fit_s": time.perf_counter() - t0}}


def _plot(plot: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    L, H = len(plot["context"]), len(plot["truth"])
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.plot(np.arange(L), plot["context"], color="0.4", label="context (OT)")
    ax.plot(np.arange(L, L + H), plot["truth"], color="k", label="truth")
    ax.plot(np.arange(L, L + H), plot["s5"], color="C0", label="S5Forecaster")
    ax.plot(np.arange(L, L + H), plot["naive"], color="C1", ls="--", label="seasonal naive")
    ax.set_xlabel("hour")
    ax.set_ylabel("oil temperature (scaled)")
    ax.set_title("ETTh1, last test window, lookback 96, horizon 96")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_demo(out: str = "demo_output", smoke: bool = False, seed: int = 0) -> dict:
    """Run the demo; returns the results dict it prints and writes."""
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    print("tsrnn demo" + (" (smoke settings)" if smoke else "") + ": fitting S5 on ETTh1 and GunPoint ...", flush=True)
    forecast, plot = _forecasting(smoke, seed)
    classify = _classification(smoke, seed)
    results = {"etth1_lookback96_horizon96": forecast, "gunpoint": classify, "smoke": smoke}
    print()
    print("ETTh1 forecasting (lookback 96, horizon 96, 7 channels, scaled test MSE/MAE over all windows)")
    print(f"  {'model':<20} {'MSE':>8} {'MAE':>8} {'fit [s]':>9}")
    for name, r in forecast.items():
        print(f"  {name:<20} {r['mse']:>8.4f} {r['mae']:>8.4f} {r['fit_s']:>9.1f}")
    print("GunPoint classification (UCR train/test split)")
    for name, r in classify.items():
        print(f"  {name:<20} accuracy {r['accuracy']:.4f}   fit {r['fit_s']:.1f} s")
    _plot(plot, out_dir / "forecast.png")
    (out_dir / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\nwrote {out_dir / 'forecast.png'} and {out_dir / 'results.json'}")
    return results
