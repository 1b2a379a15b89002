"""Dynamical-systems reconstruction on Lorenz-63: shPLRNN (aGTF), AL-RNN and WARP (sparse TF) beside SINDy and an ESN.

Protocol (issue 7): dt = 0.01; a training trajectory of 1e5 steps, z-scored with its own statistics, with 5%
observation noise (std 0.05 in z-units); an independent clean test trajectory of 1e5 steps z-scored with the
training statistics. Every model free-runs 1e5 steps from the test trajectory's first state (the ESN is first
driven by the first 100 test states, then runs closed-loop from there) and is compared with the test
trajectory: state-space divergence (30 bins per dimension, box = test range +- 0.1 std), power-spectrum
Hellinger distance (sigma = 20 bins), max Lyapunov exponent from the model's Jacobians (QR, per time unit)
against the ground truth from the vector field. The floor is the same metrics between the test trajectory and
a second, independent ground-truth trajectory.

Peers (benchmark-only dependencies: ``pip install pysindy==2.1.0 reservoirpy==0.4.2``): SINDy (STLSQ,
polynomial library of degree 2, fit on the noisy training data) and a 1000-unit echo state network (ridge
readout, one-step targets, closed-loop generation). Skipped with a note when not installed.

    python benchmarks/bench_dsr.py [--epochs-shplrnn 300] [--epochs-alrnn 300] [--alrnn-relu 2] [--alrnn-latent 20] [--alrnn-tau 16]
                                   [--models floor,shplrnn,shplrnn_interp,alrnn,warp,sindy,esn]
                                   [--noise 0.05] [--keep 1.0] [--seed 0] [--tag _name]

``--noise`` raises the training trajectory's observation noise (the variant where the peers' assumptions break:
SINDy differentiates the noisy data, the ESN is fitted to noisy one-step targets); ``--keep`` keeps only this
fraction of the training observations, at random times (irregular sampling): the reconstructors get the
samples with their ``times`` (placed on the dt grid, forced and scored where observed), SINDy differentiates
the irregular samples with their times (pysindy's finite differences on a non-uniform grid), and the ESN, which
needs a regular input series, is fitted to their linear interpolation onto the dt grid; ``shplrnn_interp`` is
the shPLRNN fitted to that interpolation too (without times). ``--tag`` keeps such runs beside the protocol's.

Writes ``results/dsr_lorenz63.json`` (entries of models not run this time are kept).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import merge
from tsrnn.datasets import make_trajectory
from tsrnn.datasets.dynamical import lorenz63_field, lorenz63_jacobian

from tsrnn import ALRNNReconstructor, ShallowPLRNNReconstructor, WARPReconstructor
from tsrnn.data.irregular import to_regular_grid
from tsrnn.metrics import lyapunov_spectrum_flow, power_spectrum_distance, state_space_divergence

DT, N = 0.01, 100_000


def data(noise=0.05):
    """Training, test and second trajectories (z-scored with the training statistics) and the test start.

    The start is the test trajectory's first state in data units as generated (the ground-truth exponent is
    computed from it; un-scaling the z-scores would round differently with every --noise).
    """
    train, stats = make_trajectory("lorenz63", N, dt=DT, noise=noise, random_state=1, return_stats=True)
    raw = make_trajectory("lorenz63", N, dt=DT, standardize=False, random_state=2)
    mean, std = (np.asarray(s, dtype=np.float64) for s in stats)
    test = (raw - mean) / std  # what make_trajectory(stats=stats) computes, without integrating twice
    second = make_trajectory("lorenz63", N, dt=DT, stats=stats, random_state=3)
    return train, test, second, stats, raw[0]


def metrics(test, gen):
    return {"state_space_divergence": state_space_divergence(test, gen, n_bins=30),
            "power_spectrum_distance": power_spectrum_distance(test, gen, sigma=20.0)}


def irregular(train, keep, seed=7):
    """A random ``keep`` fraction of the training rows (the first always kept) and their times."""
    rows = np.sort(np.random.default_rng(seed).choice(np.arange(1, len(train)), int(keep * len(train)) - 1,
                                                        replace=False))
    rows = np.concatenate([[0], rows])
    return train[rows], rows * DT


def interpolated(samples, times):
    """Linear interpolation of irregular samples onto the dt grid (the regular series the ESN needs)."""
    return to_regular_grid([samples], [times], np.arange(round(times[-1] / DT) + 1) * DT)[0]


def run_tsrnn(est, train, test, times=None):
    t0 = time.perf_counter()
    est.fit(train, times=times)
    seconds = time.perf_counter() - t0
    gen = est.simulate(N, x0=test[0])
    out = {**metrics(test, gen), "fit_seconds": seconds, "epochs": est.n_epochs_trained_,
           "params": {k: v for k, v in est.get_params().items() if k != "trainer_kwargs" or v is not None}}
    if np.isfinite(gen).all():
        out["max_lyapunov"] = float(est.lyapunov_spectrum(n_steps=50_000, x0=test[0], dt=DT, n_exponents=1)[0])
    return out, est


def run_sindy(train, test, times=None):
    import pysindy as ps

    t0 = time.perf_counter()
    model = ps.SINDy(optimizer=ps.STLSQ(threshold=0.1), feature_library=ps.PolynomialLibrary(degree=2))
    model.fit(train, t=DT if times is None else times)
    seconds = time.perf_counter() - t0
    t = np.arange(N) * DT
    gen = model.simulate(test[0], t, integrator_kws={"method": "LSODA", "rtol": 1e-8, "atol": 1e-8})
    if len(gen) < N:  # the integration stopped (blow-up): the missing part counts as having left the box
        gen = np.concatenate([gen, np.full((N - len(gen), 3), np.inf)])
    gen = np.asarray(gen, dtype=np.float64)
    out = {**metrics(test, gen), "fit_seconds": seconds, "equations": model.equations()}

    powers = np.asarray(model.feature_library.powers_, dtype=np.float64)  # (n_features, 3)
    xi = np.asarray(model.coefficients(), dtype=np.float64)  # (3, n_features)

    def field(x):  # the identified polynomial vector field, evaluated directly (fast)
        return xi @ np.prod(x[None, :] ** powers, axis=1)

    def jac(x):  # d/dx_j of prod_i x_i^p_i
        cols = []
        for j in range(3):
            p = powers.copy()
            coef = p[:, j].copy()
            p[:, j] = np.maximum(p[:, j] - 1, 0)
            cols.append(xi @ (coef * np.prod(x[None, :] ** p, axis=1)))
        return np.stack(cols, axis=1)

    if np.isfinite(gen).all():
        out["max_lyapunov"] = float(lyapunov_spectrum_flow(field, jac, test[0], dt=DT, n_steps=50_000)[0])
    return out


def run_esn(train, test, times=None, units=1000, seed=0):
    from reservoirpy.nodes import Reservoir, Ridge

    t0 = time.perf_counter()
    if times is not None:  # the ESN needs a regular series: interpolate onto the dt grid
        train = interpolated(train, times)
    reservoir = Reservoir(units, lr=0.5, sr=0.9, input_scaling=0.5, seed=seed)
    readout = Ridge(ridge=1e-6)
    esn = reservoir >> readout
    esn.fit(train[:-1], train[1:], warmup=200)
    seconds = time.perf_counter() - t0
    warm = 100
    y = esn.run(test[:warm])[-1]
    gen = [test[0]]
    gen.extend(test[1:warm])
    for _ in range(N - warm):
        y = esn(y)
        gen.append(y.ravel())
    gen = np.asarray(gen)
    return {**metrics(test, gen), "fit_seconds": seconds, "units": units}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--models", default="floor,shplrnn,alrnn,sindy,esn")
    p.add_argument("--epochs-shplrnn", type=int, default=300)
    p.add_argument("--epochs-alrnn", type=int, default=300)
    p.add_argument("--alrnn-forcing", default="sparse", choices=("sparse", "gtf"),
                   help="the paper's sparse teacher forcing (tau 16) or adaptive generalized teacher forcing")
    p.add_argument("--alrnn-alpha", type=float, default=None,
                   help="with --alrnn-forcing gtf: a fixed GTF alpha (default: adaptive GTF)")
    p.add_argument("--alrnn-noise", type=float, default=0.0,
                   help="Gaussian noise added to every AL-RNN training window (the AL-RNN paper's Lorenz setting: 0.05)")
    p.add_argument("--alrnn-tau", type=int, default=16, help="the AL-RNN's sparse forcing interval (the paper's: 16)")
    p.add_argument("--alrnn-relu", type=int, default=2, help="the AL-RNN's number of ReLU units P (the issue's: 2)")
    p.add_argument("--alrnn-latent", type=int, default=20, help="the AL-RNN's latent dimension M (the issue's: 20)")
    p.add_argument("--alrnn-select", type=int, default=None,
                   help="AL-RNN model selection on the training data every this many epochs (the AL-RNN paper's protocol)")
    p.add_argument("--alrnn-clip", type=float, default=None,
                   help="clip the AL-RNN's gradient norm at this value (the dendPLRNN's Lorenz setting: 10)")
    p.add_argument("--epochs-warp", type=int, default=100)
    p.add_argument("--warp-width", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tag", default="", help="suffix of the result keys (several runs side by side)")
    p.add_argument("--noise", type=float, default=0.05,
                   help="observation noise of the training trajectory (std in z-units; the protocol's is 0.05)")
    p.add_argument("--keep", type=float, default=1.0,
                   help="fraction of the training observations kept, at random times (irregular sampling)")
    p.add_argument("--shplrnn-forcing", default="agtf", choices=("agtf", "gtf", "sparse"),
                   help="adaptive GTF, GTF with a fixed --shplrnn-alpha, or sparse forcing every --shplrnn-tau steps")
    p.add_argument("--shplrnn-tau", type=int, default=1, help="the forcing interval of --shplrnn-forcing sparse")
    p.add_argument("--shplrnn-alpha", type=float, default=0.1, help="the fixed alpha of --shplrnn-forcing gtf")
    p.add_argument("--shplrnn-hidden", type=int, default=50,
                   help="the shPLRNN's hidden layer width L (the GTF paper's default: 100)")
    p.add_argument("--shplrnn-select", type=int, default=None,
                   help="shPLRNN model selection on the training data every this many epochs")
    args = p.parse_args()
    results = {}
    train, test, second, stats, start = data(args.noise)
    times = None
    if args.keep < 1.0:
        train, times = irregular(train, args.keep)
    truth = lyapunov_spectrum_flow(lorenz63_field, lorenz63_jacobian, start, dt=DT, n_steps=100_000)
    results["ground_truth"] = {"lyapunov_spectrum": truth.tolist()}
    todo = args.models.split(",")

    def save():
        merge("dsr_lorenz63", results, protocol=__doc__.split("\n\n")[1].replace("\n", " "))

    if "floor" in todo:
        results["floor"] = metrics(test, second)
        print("floor", results["floor"], flush=True)
        save()
    for name in ("shplrnn", "shplrnn_interp"):
        if name not in todo or (name == "shplrnn_interp" and times is None):  # the baseline needs --keep < 1
            continue
        forcing = {"agtf": {}, "gtf": {"alpha": args.shplrnn_alpha},
                   "sparse": {"forcing": "sparse", "tau": args.shplrnn_tau}}[args.shplrnn_forcing]
        est = ShallowPLRNNReconstructor(n_latent=3, hidden_dim=args.shplrnn_hidden, lr=5e-3, max_epochs=args.epochs_shplrnn,
                                        dt=DT, select_every=args.shplrnn_select, random_state=args.seed, **forcing)
        tau = f"{args.shplrnn_tau}" if args.shplrnn_tau > 1 else ""
        label = {"agtf": "aGTF", "gtf": f"GTF{args.shplrnn_alpha:g}", "sparse": f"STF{tau}"}[args.shplrnn_forcing]
        key = f"shPLRNN_{label}{'_interpolated' if name == 'shplrnn_interp' else ''}{args.tag}"
        if name == "shplrnn_interp":  # the interpolation baseline: the same model on the linearly interpolated grid
            results[key], est = run_tsrnn(est, interpolated(train, times), test)
        else:
            results[key], est = run_tsrnn(est, train, test, times)
        results[key]["final_alpha"] = est.alpha_
        if est.selection_:
            results[key]["selected_epoch"] = est.selected_epoch_
        print("shPLRNN", {k: v for k, v in results[key].items() if k != "params"}, flush=True)
        save()
    if "alrnn" in todo:
        est = ALRNNReconstructor(n_latent=args.alrnn_latent, n_relu=args.alrnn_relu, forcing=args.alrnn_forcing,
                                 alpha=args.alrnn_alpha, tau=args.alrnn_tau,
                                 noise=args.alrnn_noise, select_every=args.alrnn_select,
                                 max_epochs=args.epochs_alrnn, dt=DT, random_state=args.seed,
                                 trainer_kwargs=None if args.alrnn_clip is None
                                 else {"gradient_clip_val": args.alrnn_clip})
        gtf = "aGTF" if args.alrnn_alpha is None else f"GTF{args.alrnn_alpha:g}"
        key = f"ALRNN_{'STF' if args.alrnn_forcing == 'sparse' else gtf}{args.tag}"
        results[key], est = run_tsrnn(est, train, test, times)
        if est.selection_:
            results[key]["selected_epoch"] = est.selected_epoch_
            results[key]["selection"] = est.selection_
        from tsrnn.nn.symbolic import all_regions, fixed_points, symbolic_sequence

        z = est.simulate(N, x0=test[0], return_latent=True)
        symbols, regions, counts = symbolic_sequence(est.module_, z)
        fps = [f for f in fixed_points(est.module_, all_regions(est.n_relu)) if f["real"]]
        lorenz_fps = np.array([[0, 0, 0], [np.sqrt(8 / 3 * 27), np.sqrt(8 / 3 * 27), 27],
                               [-np.sqrt(8 / 3 * 27), -np.sqrt(8 / 3 * 27), 27]])
        lorenz_fps = (lorenz_fps - stats[0]) / stats[1]
        results[key]["symbolic"] = {
            "visited_regions": regions.astype(int).tolist(), "occupation": counts.tolist(),
            "fixed_points_data_space": [f["z"][:3].tolist() for f in fps],
            "fixed_point_regions": [f["region"].astype(int).tolist() for f in fps],
            "fixed_point_spectral_radius": [f["spectral_radius"] for f in fps],
            "distance_to_nearest_lorenz_fixed_point": [float(np.min(np.linalg.norm(lorenz_fps - f["z"][:3], axis=1)))
                                                       for f in fps]}
        print("ALRNN", {k: v for k, v in results[key].items() if k != "params"}, flush=True)
        save()
    if "warp" in todo:
        est = WARPReconstructor(root_width=args.warp_width, transition="diagonal", forcing="sparse", tau=16,
                                max_epochs=args.epochs_warp, dt=DT, random_state=args.seed)
        key = f"WARP_STF{args.tag}"
        results[key], est = run_tsrnn(est, train, test, times)
        print("WARP", {k: v for k, v in results[key].items() if k != "params"}, flush=True)
        save()
    for name, fn in (("sindy", run_sindy), ("esn", run_esn)):
        if name in todo:
            try:
                results[name + args.tag] = fn(train, test, times)
            except ImportError as err:
                results[name + args.tag] = {"skipped": f"not installed: {err}"}
            print(name, results[name + args.tag], flush=True)
            save()


if __name__ == "__main__":
    main()
