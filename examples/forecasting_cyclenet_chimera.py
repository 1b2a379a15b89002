"""Long-term forecasting on ETTh1 by the standard protocol: CycleNet, Chimera and the seasonal-naive baseline.

Split 12/4/4 months, scaler fit on the train rows, early stopping on the validation rows, MSE/MAE over every
test window (:mod:`tsrnn.datasets.ltsf`). Plots the forecasts of two channels of one test window against the
truth, and CycleNet's learned daily cycle. ``--smoke`` runs in seconds (one epoch, small models, horizon 24).

    python examples/forecasting_cyclenet_chimera.py [--smoke] [--horizon 96] [--out forecast_cyclenet_chimera.png]
"""

import argparse

import numpy as np
from tsrnn.datasets import load_etth1, ltsf_evaluate, ltsf_fit, ltsf_windows

from tsrnn import ChimeraForecaster, CycleNetForecaster, SeasonalNaiveForecaster


def main(smoke: bool = False, horizon: int = 96, out: str = "forecast_cyclenet_chimera.png") -> dict:
    if smoke:
        horizon = 24
    models = {
        "CycleNet/Linear": CycleNetForecaster(lookback=96, horizon=horizon, cycle_length=24, random_state=0),
        "CycleNet/MLP": CycleNetForecaster(lookback=96, horizon=horizon, cycle_length=24, backbone="mlp", lr=0.005,
                                           random_state=0),
        # A small Chimera on every 8th window keeps the example at a few minutes on a CPU (the 2-D SSM
        # materializes its states); benchmarks/bench_chimera.py trains a larger one longer.
        "Chimera": ChimeraForecaster(lookback=96, horizon=horizon, d_model=16, d_state=4, n_layers=1, stride=8,
                                     max_epochs=4, early_stopping=True, patience=2, decoder="direct",
                                     random_state=0),
    }
    if smoke:
        for m in models.values():
            m.set_params(max_epochs=1, stride=16, **({"d_model": 4, "n_layers": 1} if isinstance(m, ChimeraForecaster)
                                                      else {"d_model": 16}))
    results, preds = {}, {}
    X, Y, rows = ltsf_windows("test", 96, horizon)
    window = len(X) - 1
    for name, model in models.items():
        ltsf_fit(model)
        results[name] = ltsf_evaluate(model)
        times = (rows[window] + np.arange(96.0)) if isinstance(model, CycleNetForecaster) else None
        preds[name] = model.predict(X[window], times=times)
    naive = SeasonalNaiveForecaster(sp=24, horizon=horizon).fit(np.zeros((24, 7)))
    results["seasonal naive"] = ltsf_evaluate(naive, horizon, 96)
    preds["seasonal naive"] = naive.predict(X[window : window + 1])[0]
    for name, r in results.items():
        print(f"{name:<16} test MSE {r['mse']:.4f}  MAE {r['mae']:.4f}  ({r['n_windows']} windows)")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = load_etth1()["columns"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.6))
    for ax, c in zip(axes[:2], (columns.index("OT"), columns.index("HUFL")), strict=True):
        ax.plot(np.arange(96), X[window, :, c], color="0.5", label="context")
        ax.plot(np.arange(96, 96 + horizon), Y[window, :, c], color="k", label="truth")
        for name, p in preds.items():
            ax.plot(np.arange(96, 96 + horizon), p[:, c], ls="--" if name == "seasonal naive" else "-", label=name)
        ax.set_title(f"ETTh1 {columns[c]} (scaled), last test window")
    axes[0].legend(fontsize=7)
    cycle = models["CycleNet/Linear"].cycle_
    for c in range(cycle.shape[1]):
        axes[2].plot(cycle[:, c], label=columns[c])
    axes[2].set_title("CycleNet's learned daily cycle Q (phase = hour of day)")
    axes[2].set_xlabel("phase (hours since the first row, mod 24)")
    axes[2].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print("wrote", out)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--horizon", type=int, default=96)
    parser.add_argument("--out", default="forecast_cyclenet_chimera.png")
    args = parser.parse_args()
    main(args.smoke, args.horizon, args.out)
