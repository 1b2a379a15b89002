"""Long-term forecasting on ETTh1 with S5 (lookback 96, horizon 96, standard split, train-only scaling),
against the seasonal-naive baseline, with a plot of one test window. ``--smoke`` runs in seconds.

    python examples/forecasting_etth1.py [--smoke] [--out forecast_etth1.png]
"""

import argparse

import numpy as np
from tsrnn.datasets import ett_windows, load_etth1

from tsrnn import S5Forecaster, SeasonalNaiveForecaster
from tsrnn.metrics import mae, mse


def main(smoke: bool = False, out: str = "forecast_etth1.png") -> dict:
    data = load_etth1()
    train = data["train"][-1000:] if smoke else data["train"]
    Xt, Yt = ett_windows("test", 96, 96)
    params = dict(lookback=96, horizon=96, d_model=64, d_state=64, n_layers=2, max_epochs=8, batch_size=64, lr=2e-3)
    if smoke:
        params.update(d_model=8, d_state=8, n_layers=1, max_epochs=1, stride=8)
        Xt, Yt = Xt[:32], Yt[:32]
    model = S5Forecaster(**params, random_state=0).fit(train)
    pred = model.predict(Xt)
    naive = SeasonalNaiveForecaster(sp=24, horizon=96).fit(train).predict(Xt)
    res = {"S5": (mse(Yt, pred), mae(Yt, pred)), "seasonal naive": (mse(Yt, naive), mae(Yt, naive))}
    for k, (m, a) in res.items():
        print(f"{k:<15} test MSE {m:.4f}  MAE {a:.4f}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.plot(np.arange(96), Xt[-1, :, -1], color="0.4", label="context")
    ax.plot(np.arange(96, 192), Yt[-1, :, -1], color="k", label="truth")
    ax.plot(np.arange(96, 192), pred[-1, :, -1], label="S5")
    ax.plot(np.arange(96, 192), naive[-1, :, -1], ls="--", label="seasonal naive")
    ax.set_title("ETTh1 oil temperature (scaled), last test window")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print("wrote", out)
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default="forecast_etth1.png")
    args = parser.parse_args()
    main(args.smoke, args.out)
