"""Training speed of the DSR reconstructors on CPU: the fused teacher-forced recurrence vs the autograd step loop.

Shapes of the Lorenz-63 protocol (batch of 16 windows of 200 steps, 50 batches per epoch), one torch thread:

- ``batch``: one training step (forced forward, backward, RAdam step; the GTF rows at a fixed alpha of 0.3)
  with the fused recurrence
  (:func:`tsrnn.training.forcing.forced_recurrence`, the default) and with the autograd step loop
  (``DSRLightningModule(fused=False)``, what a plain PyTorch implementation does), median ms and ratio;
- ``alpha_estimate``: the adaptive-GTF estimate over the batch's 3,200 forced states, Jacobian norms per linear
  subregion (default when there are fewer regions than states) vs at every state;
- ``epoch``: seconds per epoch through the estimator (Lightning loop, data windows, aGTF callback), from the
  difference of a 12-epoch and a 2-epoch fit (so the trainer's set-up is not counted);
- the last row repeats the shPLRNN with 90% of the rows missing (NaN: forced and scored where observed).

For scale: the AL-RNN reference PyTorch tutorial (M=20, P=2, Lorenz-63, same batch shapes) printed 2000 epochs
in 20:53, 0.63 s per epoch, on hardware it does not state.

    python benchmarks/bench_dsr_speed.py

Writes ``results/dsr_speed.json``.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from _common import timeit, write
from tsrnn.datasets import make_trajectory

from tsrnn import ALRNNReconstructor, PLRNNReconstructor, ShallowPLRNNReconstructor
from tsrnn.nn.plrnn import ALRNN, PLRNN, ShallowPLRNN
from tsrnn.training.dsr import AdaptiveGTF, DSRLightningModule, RandomWindows, observed_mse

CASES = {  # name: (model, forcing options, estimator[, fraction of the rows observed])
    "ALRNN M=20 P=2, sparse TF tau 16": (lambda: ALRNN(3, 20, 2), {"forcing": "sparse", "tau": 16},
                                         lambda e: ALRNNReconstructor(forcing="sparse", tau=16, max_epochs=e)),
    "ALRNN M=20 P=2, aGTF": (lambda: ALRNN(3, 20, 2), {"forcing": "gtf", "alpha": 0.3},
                             lambda e: ALRNNReconstructor(forcing="gtf", max_epochs=e)),
    "shPLRNN M=3 L=50, aGTF": (lambda: ShallowPLRNN(3, 3, 50), {"forcing": "gtf", "alpha": 0.3},
                               lambda e: ShallowPLRNNReconstructor(n_latent=3, hidden_dim=50, max_epochs=e)),
    "PLRNN M=20, aGTF": (lambda: PLRNN(3, 20), {"forcing": "gtf", "alpha": 0.3},
                         lambda e: PLRNNReconstructor(n_latent=20, max_epochs=e)),
    "shPLRNN M=3 L=50, aGTF, 10% of rows observed": (
        lambda: ShallowPLRNN(3, 3, 50), {"forcing": "gtf", "alpha": 0.3},
        lambda e: ShallowPLRNNReconstructor(n_latent=3, hidden_dim=50, max_epochs=e), 0.1),
}


def drop_rows(X, fraction, seed=0):
    """``X`` with all but a random ``fraction`` of its rows set to NaN (every 10th row kept: window starts)."""
    rng = np.random.default_rng(seed)
    out = X.copy()
    out[(rng.random(len(X)) > fraction) & (np.arange(len(X)) % 10 > 0)] = np.nan
    return out


def batch_seconds(make_model, options, x, fused):
    torch.manual_seed(0)
    model = make_model()
    module = DSRLightningModule(model, fused=fused, **options)
    optimizer = torch.optim.RAdam(model.parameters(), lr=1e-3)
    observed = torch.isfinite(x)
    observed = None if observed.all() else observed

    def step():
        preds, _ = module.teacher_forced(x, observed)
        loss = observed_mse(preds, x[:, 1:], None if observed is None else observed[:, 1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return timeit(step, repeat=21, warmup=3)


def alpha_seconds(make_model, options, x):
    torch.manual_seed(0)
    model = make_model()
    observed = torch.isfinite(x)
    _, states = DSRLightningModule(model, **options).teacher_forced(x, None if observed.all() else observed)

    def dense():
        with torch.no_grad():
            J = model.jacobian(states.reshape(-1, states.shape[-1]))
            return torch.linalg.matrix_norm(J, ord=2)
    return timeit(lambda: AdaptiveGTF.estimate(model, states), repeat=9), timeit(dense, repeat=9)


def epoch_seconds(make_estimator, X):
    def fit(epochs):
        t0 = time.perf_counter()
        make_estimator(epochs).set_params(random_state=0).fit(X)
        return time.perf_counter() - t0
    fit(1)  # warm-up
    return (fit(12) - fit(2)) / 10


def main():
    torch.set_num_threads(1)
    lorenz = make_trajectory("lorenz63", n_steps=20_000, random_state=0)
    results = {}
    for name, (make_model, options, make_estimator, *fraction) in CASES.items():
        X = drop_rows(lorenz, fraction[0]) if fraction else lorenz
        x = torch.stack([RandomWindows([X], 200, 16, seed=0)[i] for i in range(16)])
        fused, loop = batch_seconds(make_model, options, x, True), batch_seconds(make_model, options, x, False)
        per_region, dense = alpha_seconds(make_model, options, x)
        epoch = epoch_seconds(make_estimator, X)
        results[name] = {"batch_fused_s": fused, "batch_loop_s": loop, "batch_speedup": loop / fused,
                         "alpha_estimate_s": per_region, "alpha_dense_s": dense, "epoch_s": epoch}
        print(name, {k: round(v, 4) for k, v in results[name].items()}, flush=True)
    write("dsr_speed", {"shape": {"batch_size": 16, "seq_len": 200, "batches_per_epoch": 50},
                        "reference_tutorial_epoch_s": (20 * 60 + 53) / 2000, "results": results})


if __name__ == "__main__":
    main()
