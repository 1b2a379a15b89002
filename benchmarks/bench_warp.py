"""WARP benchmarks: mass-spring-damper forecasting (WARP, WARP-Phys, GRU), ETTh1, UEA classification, and the cost
of the three transition structures.

    python benchmarks/bench_warp.py msd [--epochs 60] [--seeds 1]
    python benchmarks/bench_warp.py etth1 [--epochs 10] [--stride 1]
    python benchmarks/bench_warp.py classification [--datasets JapaneseVowels,BasicMotions] [--epochs 100]
    python benchmarks/bench_warp.py cost

``msd``: 1,000 training and 200 test series of ``tsrnn.datasets.make_mass_spring_damper`` (position and velocity,
200 steps of 0.05, k ~ U(1, 4), c ~ U(0.1, 0.5), m = 1; an independent seed for the test set); every model sees the
first 100 steps and forecasts the next 100 autoregressively or directly; test MSE in the data's units. The GRU
baseline (encoder over the context, linear head to all 100 steps, as the direct forecasters of tsrnn) has about as
many weights as WARP. ``etth1``: the long-term forecasting protocol of :mod:`tsrnn.datasets.ltsf` at lookback 96,
horizon 96, beside CycleNet's result. ``classification``: bundled UEA sets, the official train/test split.
``cost``: forward + backward of the weight recurrence alone for each transition, against the step-by-step
reference loop and ``torch.nn.GRU``.

Writes ``results/warp_<part>.json`` (entries already there are kept unless re-run).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from _common import merge, timeit

MSD = dict(n_train=1000, n_test=200, n_steps=200, lookback=100)


def msd_data():
    from tsrnn.datasets import make_mass_spring_damper

    train, _ = make_mass_spring_damper(MSD["n_train"], MSD["n_steps"], observe="both", random_state=0)
    test, _ = make_mass_spring_damper(MSD["n_test"], MSD["n_steps"], observe="both", random_state=1)
    return train, test


class GRUForecaster(torch.nn.Module):
    """GRU over the context, linear map of the last state to every forecast step (the direct baseline)."""

    def __init__(self, n_channels, hidden, horizon):
        super().__init__()
        self.gru = torch.nn.GRU(n_channels, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, horizon * n_channels)
        self.horizon, self.n_channels = horizon, n_channels

    def forward(self, x):
        _, h = self.gru(x)
        return self.head(h[-1]).view(-1, self.horizon, self.n_channels)


def fit_gru(train, hidden, epochs, seed, lr=1e-3, batch_size=64):
    torch.manual_seed(seed)
    L = MSD["lookback"]
    scale = train[:, :L].std(axis=(0, 1))
    X = torch.tensor(train / scale, dtype=torch.float32)
    net = GRUForecaster(X.shape[-1], hidden, X.shape[1] - L)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(epochs):
        for idx in torch.randperm(len(X)).split(batch_size):
            loss = torch.mean((net(X[idx, :L]) - X[idx, L:]) ** 2)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
    net.eval()
    n_params = sum(p.numel() for p in net.parameters())

    def predict(contexts):
        with torch.no_grad():
            return net(torch.tensor(contexts / scale, dtype=torch.float32)).double().numpy() * scale

    return predict, n_params


def run_msd(args):
    from tsrnn import WARPForecaster

    train, test = msd_data()
    L = MSD["lookback"]
    H = MSD["n_steps"] - L
    truth = test[:, L:]
    variants = {
        "warp_dense": dict(transition="dense"),
        "warp_diagonal": dict(transition="diagonal"),
        "warp_dplr": dict(transition="dplr"),
        "warp_dplr_context_loss": dict(transition="dplr", context_loss=True),
        # the physics recipe: the lookback's one-step predictions in the loss identify the generator
        "warp_phys": dict(transition="dplr", physics="linear_ode", context_loss=True),
        "warp_phys_dense": dict(transition="dense", physics="linear_ode", context_loss=True),
    }
    out = {}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for name, kw in variants.items():
            if args.variants and name not in args.variants.split(","):
                continue
            est = WARPForecaster(lookback=L, horizon=H, root_width=32, max_epochs=args.epochs, batch_size=64,
                                 random_state=seed, **{"instance_norm": False, **kw})
            t0 = time.perf_counter()
            est.fit(list(train))
            seconds = time.perf_counter() - t0
            pred = est.predict(test[:, :L])
            n_params = sum(p.numel() for p in est.module_.parameters())
            out[f"{name}{args.tag}/seed{seed}"] = {"mse": float(np.mean((pred - truth) ** 2)), "seconds": seconds,
                                         "n_params": n_params, "epochs": est.n_epochs_trained_,
                                         "final_train_loss": est.history_[-1]["train_loss"],
                                         "params": {k: v for k, v in kw.items() if k != "instance_norm"}}
            print(name, seed, out[f"{name}{args.tag}/seed{seed}"], flush=True)
        if not args.variants or "gru" in args.variants.split(","):
            t0 = time.perf_counter()
            predict, n_params = fit_gru(train, hidden=args.gru_hidden, epochs=args.epochs, seed=seed)
            out[f"gru{args.tag}/seed{seed}"] = {"mse": float(np.mean((predict(test[:, :L]) - truth) ** 2)),
                                      "seconds": time.perf_counter() - t0, "n_params": n_params,
                                      "epochs": args.epochs}
            print("gru", seed, out[f"gru{args.tag}/seed{seed}"], flush=True)
    zero = float(np.mean(truth**2))
    last = float(np.mean((test[:, L - 1 : L] - truth) ** 2))
    out["zero_forecast"] = {"mse": zero}
    out["last_value"] = {"mse": last}
    merge("warp_msd", out, protocol=MSD | {"horizon": H, "observe": "position and velocity"})


def run_etth1(args):
    from tsrnn.datasets import ltsf_evaluate, ltsf_fit

    from tsrnn import WARPForecaster

    out = {}
    for transition in args.transitions.split(","):
        est = WARPForecaster(lookback=96, horizon=96, stride=args.stride, transition=transition,
                             root_width=args.root_width, max_epochs=args.epochs, batch_size=64, early_stopping=True,
                             patience=3, random_state=0)
        t0 = time.perf_counter()
        ltsf_fit(est)
        seconds = time.perf_counter() - t0
        res = ltsf_evaluate(est)
        out[f"L96_H96/{transition}/w{args.root_width}"] = {**res, "seconds": seconds, "epochs": est.n_epochs_trained_,
                                                           "stride": args.stride}
        print(transition, out, flush=True)
    merge("warp_etth1", out, protocol="ltsf ETTh1, lookback 96, horizon 96, early stopping on the validation rows")


def run_classification(args):
    from tsrnn.datasets import load_classification

    from tsrnn import WARPClassifier

    out = {}
    for name in args.datasets.split(","):
        Xtr, ytr = load_classification(name, "train")
        Xte, yte = load_classification(name, "test")
        for transition in args.transitions.split(","):
            est = WARPClassifier(root_width=args.root_width, transition=transition, max_epochs=args.epochs,
                                 batch_size=32, random_state=0)
            t0 = time.perf_counter()
            est.fit(Xtr, ytr)
            seconds = time.perf_counter() - t0
            out[f"{name}/{transition}"] = {"accuracy": float(est.score(Xte, yte)), "seconds": seconds,
                                           "epochs": est.n_epochs_trained_, "root_width": args.root_width}
            print(name, transition, out[f"{name}/{transition}"], flush=True)
    merge("warp_classification", out, protocol="official train/test split, no validation, fixed epochs")


def run_cost(args):
    from tsrnn.nn.warp import RootMLP, Transition
    from tsrnn.ops.weight_scan import weight_scan_ref

    out = {}
    batch = 32
    for width in (32, 128):
        D = RootMLP(1, width, 1, 7).n_params
        for length in (100, 500):
            u = torch.randn(batch, length, D) * 0.01
            row = {"D": D, "T": length, "B": batch}
            for kind in ("dense", "diagonal", "dplr"):
                tr = Transition(kind, D)

                def fwd_bwd(tr=tr, u=u):
                    uu = u.clone().requires_grad_()
                    tr.scan(uu).square().mean().backward()

                row[kind] = timeit(fwd_bwd, repeat=3)

            A = Transition("dense", D)

            def ref(A=A, u=u):
                uu = u.clone().requires_grad_()
                weight_scan_ref(A.matrix(), uu).square().mean().backward()

            row["dense_reference_loop"] = timeit(ref, repeat=3)
            gru = torch.nn.GRU(7, width, batch_first=True)
            x = torch.randn(batch, length, 7)

            def gru_fwd_bwd(gru=gru, x=x):
                gru(x)[0].square().mean().backward()

            row["gru_same_width"] = timeit(gru_fwd_bwd, repeat=3)
            row["dense_over_diagonal"] = row["dense"] / row["diagonal"]
            row["dplr_over_diagonal"] = row["dplr"] / row["diagonal"]
            row["reference_over_dense"] = row["dense_reference_loop"] / row["dense"]
            out[f"w{width}_T{length}"] = row
            print(row, flush=True)
    merge("warp_cost", out, protocol="forward + backward of theta_t = A theta_{t-1} + u_t alone, seconds (median of 3)")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("part", choices=("msd", "etth1", "classification", "cost"))
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--variants", default="")
    p.add_argument("--tag", default="", help="suffix of the result keys (runs of other budgets side by side)")
    p.add_argument("--gru-hidden", type=int, default=64)
    p.add_argument("--stride", type=int, default=1)
    p.add_argument("--root-width", type=int, default=32)
    p.add_argument("--transitions", default="dense")
    p.add_argument("--datasets", default="JapaneseVowels,BasicMotions")
    args = p.parse_args()
    {"msd": run_msd, "etth1": run_etth1, "classification": run_classification, "cost": run_cost}[args.part](args)


if __name__ == "__main__":
    main()
