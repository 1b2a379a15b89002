"""Speed of the liquid / continuous-time layers on CPU against ncps and torch.nn.LSTM.

Forward+backward at B=32, L=200, 8 inputs, 64 units (the issue's shape), one thread: tsrnn CfC (default mode,
backbone 128) vs ``ncps.torch.CfC``; tsrnn LTC (fully connected, 6 unfolds) vs ``ncps.torch.LTC``; tsrnn LEM
(its fused loop, and the autograd step loop it replaces); ``torch.nn.LSTM`` of the same width. Issue target:
tsrnn CfC and LTC each >= 5x faster than ncps' (measured on the issue's machine: ncps CfC about 170 ms, LTC
1.5-2.5 s, LSTM about 24 ms). The ``_infer`` group times the forward alone under ``torch.no_grad`` (prediction)
for CfC, ncps' CfC, LSTM and LEM, and the tsrnn forwards with autograd on (``_fwd``: they also form the
derivatives their backward needs, which prediction skips).

``cfc_gemm_floor`` times only the matrix products a dense CfC layer of this shape cannot avoid (per step: the
recurrent half of the backbone layer and the four heads forward, the same two backward; then the weight
gradients as GEMMs over all steps), with nothing else: no layer can run faster than that on this machine.

The machines these run on are shared and their speed drifts by up to 2x over minutes, so the layers compared
with each other are timed in one fresh process, taking turns call by call (CfC group: tsrnn CfC, ncps CfC, the
GEMM floor, LSTM; LTC group; LEM group): each ratio is the median over the turns of the ratio within a turn,
each time the median over the turns.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from _common import write

CHILD = r"""
import json, sys, time, torch
torch.set_num_threads(1)
cfg = json.loads(sys.argv[1])
torch.manual_seed(0)
B, L, M, N = cfg["B"], cfg["L"], cfg["M"], cfg["N"]
x, dt = torch.randn(B, L, M), torch.rand(B, L) + 0.5


def gemm_floor():
    U, H = 128, 4 * N
    w_h, w_o = torch.randn(U, N), torch.randn(H, U)
    h, a, d, z = torch.randn(B, N), torch.randn(B, U), torch.randn(B, H), torch.randn(B, U)
    A, D, Z, P = torch.randn(L * B, U), torch.randn(L * B, H), torch.randn(L * B, U), torch.randn(L * B, N)
    def run():
        for _ in range(L):
            h @ w_h.t(); a @ w_o.t(); d @ w_o; z @ w_h
        D.t() @ A; Z.t() @ P
    return run


def layer(what):
    if what == "cfc_gemm_floor":
        return gemm_floor()
    if what.endswith("_infer"):  # inference: the forward alone, without autograd
        forward = layer_forward(what.removesuffix("_infer"))[1]
        def infer():
            with torch.no_grad():
                forward()
        return infer
    if what.endswith("_fwd"):  # the forward with autograd on (it forms what the backward will need), no backward
        return layer_forward(what.removesuffix("_fwd"))[1]
    m, forward = layer_forward(what)
    def run():
        m.zero_grad(set_to_none=True)
        forward().sum().backward()
    return run


def layer_forward(what):
    if what.startswith("tsrnn_"):
        from tsrnn.nn.cfc import CfC
        from tsrnn.nn.lem import LEM
        from tsrnn.nn.ltc import LTC
        m = {"tsrnn_cfc": CfC, "tsrnn_ltc": LTC, "tsrnn_ltc_torch": LTC, "tsrnn_lem": LEM, "tsrnn_lem_loop": LEM}[what](M, N)
        m.use_fused = what != "tsrnn_lem_loop"
        if what.startswith("tsrnn_ltc"):
            m.use_kernel = what == "tsrnn_ltc"  # the compiled solver, or its torch version
        forward = lambda: m(x, dt=dt)[0]
    elif what.startswith("ncps_"):
        import ncps.torch
        m = ncps.torch.CfC(M, N) if what == "ncps_cfc" else ncps.torch.LTC(M, N)
        forward = lambda: m(x)[0]
    else:
        m = torch.nn.LSTM(M, N, batch_first=True)
        forward = lambda: m(x)[0]
    return m, forward


runs = {what: layer(what) for what in cfg["what"]}
times = {what: [] for what in runs}
for turn in range(cfg["turns"] + 1):
    for what, run in runs.items():
        t0 = time.perf_counter(); run(); times[what].append(time.perf_counter() - t0)
times = {k: v[1:] for k, v in times.items()}  # the first turn warms up
print(json.dumps(times))
"""

GROUPS = (("tsrnn_cfc", "ncps_cfc", "cfc_gemm_floor", "lstm"), ("tsrnn_ltc", "ncps_ltc", "tsrnn_ltc_torch"),
          ("tsrnn_lem", "tsrnn_lem_loop"),
          ("tsrnn_cfc_infer", "ncps_cfc_infer", "lstm_infer", "tsrnn_lem_infer", "tsrnn_cfc_fwd", "tsrnn_lem_fwd"))
RATIOS = {"cfc_vs_ncps": ("ncps_cfc", "tsrnn_cfc"), "ltc_vs_ncps": ("ncps_ltc", "tsrnn_ltc"),
          "ltc_torch_vs_ncps": ("ncps_ltc", "tsrnn_ltc_torch"), "ltc_kernel_vs_torch": ("tsrnn_ltc_torch", "tsrnn_ltc"),
          "lem_loop_vs_fused": ("tsrnn_lem_loop", "tsrnn_lem"), "cfc_over_lstm": ("tsrnn_cfc", "lstm"),
          "cfc_over_gemm_floor": ("tsrnn_cfc", "cfc_gemm_floor"), "ncps_cfc_over_gemm_floor": ("ncps_cfc", "cfc_gemm_floor"),
          "cfc_infer_vs_ncps": ("ncps_cfc_infer", "tsrnn_cfc_infer"), "cfc_infer_over_lstm": ("tsrnn_cfc_infer", "lstm_infer"),
          "lem_infer_over_lstm": ("tsrnn_lem_infer", "lstm_infer"), "cfc_fwd_over_infer": ("tsrnn_cfc_fwd", "tsrnn_cfc_infer"),
          "lem_fwd_over_infer": ("tsrnn_lem_fwd", "tsrnn_lem_infer")}


def measure(what, turns, **shape):
    """Per-turn seconds of every layer in ``what``, timed in turns in one fresh process."""
    cfg = dict(what=list(what), turns=turns, **shape)
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(cfg)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=15, help="timed calls of every layer (LTC group: a third)")
    args = parser.parse_args()
    shape = dict(B=32, L=200, M=8, N=64)
    per_turn = {}
    for group in GROUPS:
        per_turn.update(measure(group, max(3, args.turns // 3) if "tsrnn_ltc" in group else args.turns, **shape))
    seconds = {k: statistics.median(v) for k, v in per_turn.items()}
    ratios = {k: statistics.median([x / y for x, y in zip(per_turn[a], per_turn[b], strict=True)]) for k, (a, b) in RATIOS.items()}
    ratios["lem_over_lstm"] = seconds["tsrnn_lem"] / seconds["lstm"]  # different groups: ratio of medians
    for k, v in seconds.items():
        print(f"{k:<15} {v * 1e3:8.1f} ms")
    print(", ".join(f"{k} {v:.2f}x" for k, v in ratios.items()))
    print("wrote", write("liquid_speed", {"shape": shape, "seconds": seconds, "ratios": ratios, "per_turn": per_turn}))


if __name__ == "__main__":
    main()
