"""Quantile forecasts on ETTh1 with S5 (lookback 96, horizon 96, standard split, train-only scaling): an 80%
interval from the 0.1 and 0.9 forecasts, how well it is calibrated on the test split, step by step, and a plot of
one test window with its band. ``--smoke`` runs in seconds.

    python examples/forecasting_quantiles.py [--smoke] [--out quantiles_etth1.png]
"""

import argparse

import numpy as np
from tsrnn.datasets import ett_windows, load_etth1

from tsrnn import S5Forecaster


def main(smoke: bool = False, out: str = "quantiles_etth1.png") -> dict:
    train = load_etth1()["train"]
    Xt, Yt = ett_windows("test", 96, 96)
    params = dict(lookback=96, horizon=96, d_model=64, d_state=32, n_layers=1, stride=2, max_epochs=6, batch_size=64,
                  lr=2e-3)
    if smoke:
        train, Xt, Yt = train[-1000:], Xt[:32], Yt[:32]
        params.update(d_model=8, d_state=8, max_epochs=1, stride=8)
    model = S5Forecaster(**params, quantiles=(0.1, 0.9), random_state=0).fit(train)
    q = model.predict_quantiles(Xt)  # (windows, 96 steps, 7 channels, levels 0.1 / 0.5 / 0.9)
    lower, median, upper = q[..., 0], q[..., 1], q[..., 2]
    below = [float(np.mean(Yt <= q[..., k])) for k in range(3)]
    inside = (Yt >= lower) & (Yt <= upper)
    res = {"below": below, "coverage": float(inside.mean()), "width": float(np.mean(upper - lower)),
           "median_mse": float(np.mean((median - Yt) ** 2))}
    print("share of test targets below the 0.1 / 0.5 / 0.9 forecasts:", " / ".join(f"{b:.3f}" for b in below))
    print(f"80% interval: coverage {res['coverage']:.3f}, mean width {res['width']:.3f} (scaled units); "
          f"median MSE {res['median_mse']:.4f}")
    for step in (1, 24, 48, 96):  # the interval widens with the horizon and keeps its coverage
        print(f"  step {step:>2}: coverage {inside[:, step - 1].mean():.3f}, "
              f"width {np.mean(upper[:, step - 1] - lower[:, step - 1]):.3f}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.plot(np.arange(96), Xt[-1, :, -1], color="0.4", label="context")
    ax.plot(np.arange(96, 192), Yt[-1, :, -1], color="k", label="truth")
    ax.plot(np.arange(96, 192), median[-1, :, -1], label="S5 median")
    ax.fill_between(np.arange(96, 192), lower[-1, :, -1], upper[-1, :, -1], alpha=0.3, label="0.1 - 0.9")
    ax.set_title("ETTh1 oil temperature (scaled), last test window: quantile forecast")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print("wrote", out)
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default="quantiles_etth1.png")
    args = parser.parse_args()
    main(args.smoke, args.out)
