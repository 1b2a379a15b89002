"""Speed of the liquid / continuous-time layers on CPU against ncps and torch.nn.LSTM.

Forward+backward at B=32, L=200, 8 inputs, 64 units (the issue's shape), one thread, each measurement in a
fresh subprocess: tsrnn CfC (default mode, backbone 128) vs ``ncps.torch.CfC``; tsrnn LTC (fully connected,
6 unfolds) vs ``ncps.torch.LTC``; tsrnn LEM (its fused loop, and the autograd step loop it replaces);
``torch.nn.LSTM`` of the same width. Issue target: tsrnn CfC and
LTC each >= 5x faster than ncps' (measured on the issue's machine: ncps CfC about 170 ms, LTC 1.5-2.5 s,
LSTM about 24 ms).

``cfc_gemm_floor`` times only the matrix products a dense CfC layer of this shape cannot avoid (per step: the
recurrent half of the backbone layer and the four heads forward, the same two backward; then the weight
gradients as GEMMs over all steps), with nothing else: no layer can run faster than that on this machine.
"""

from __future__ import annotations

import json
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
what = cfg["what"]
if what == "tsrnn_cfc":
    from tsrnn.nn.cfc import CfC; m = CfC(M, N); f = lambda: m(x, dt=dt)[0]
elif what == "tsrnn_ltc":
    from tsrnn.nn.ltc import LTC; m = LTC(M, N); f = lambda: m(x, dt=dt)[0]
elif what == "tsrnn_lem":
    from tsrnn.nn.lem import LEM; m = LEM(M, N); f = lambda: m(x, dt=dt)[0]
elif what == "tsrnn_lem_loop":
    from tsrnn.nn.lem import LEM; m = LEM(M, N); m.use_fused = False; f = lambda: m(x, dt=dt)[0]
elif what == "ncps_cfc":
    import ncps.torch; m = ncps.torch.CfC(M, N); f = lambda: m(x)[0]
elif what == "ncps_ltc":
    import ncps.torch; m = ncps.torch.LTC(M, N); f = lambda: m(x)[0]
elif what == "cfc_gemm_floor":
    U, H = 128, 4 * N
    w_h, w_o = torch.randn(U, N), torch.randn(H, U)
    h, a, d, z = torch.randn(B, N), torch.randn(B, U), torch.randn(B, H), torch.randn(B, U)
    A, D, Z, P = torch.randn(L * B, U), torch.randn(L * B, H), torch.randn(L * B, U), torch.randn(L * B, N)
    def floor():
        for _ in range(L):
            h @ w_h.t(); a @ w_o.t(); d @ w_o; z @ w_h
        D.t() @ A; Z.t() @ P
else:
    m = torch.nn.LSTM(M, N, batch_first=True); f = lambda: m(x)[0]
times = []
for _ in range(cfg["repeat"] + 1):
    if what == "cfc_gemm_floor":
        t0 = time.perf_counter(); floor(); times.append(time.perf_counter() - t0)
        continue
    m.zero_grad(set_to_none=True)
    t0 = time.perf_counter(); f().sum().backward(); times.append(time.perf_counter() - t0)
times = sorted(times[1:])
print(json.dumps({"seconds": times[len(times) // 2]}))
"""


def measure(**cfg):
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(cfg)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def main():
    shape = dict(B=32, L=200, M=8, N=64)
    seconds = {}
    for what, repeat in (("tsrnn_cfc", 9), ("ncps_cfc", 9), ("cfc_gemm_floor", 9), ("tsrnn_ltc", 3), ("ncps_ltc", 3),
                         ("tsrnn_lem", 9), ("tsrnn_lem_loop", 9), ("lstm", 9)):
        seconds[what] = measure(what=what, repeat=repeat, **shape)
        print(f"{what:<10} {seconds[what] * 1e3:8.1f} ms", flush=True)
    ratios = {"cfc_vs_ncps": seconds["ncps_cfc"] / seconds["tsrnn_cfc"],
              "ltc_vs_ncps": seconds["ncps_ltc"] / seconds["tsrnn_ltc"],
              "lem_loop_vs_fused": seconds["tsrnn_lem_loop"] / seconds["tsrnn_lem"],
              "cfc_over_lstm": seconds["tsrnn_cfc"] / seconds["lstm"], "lem_over_lstm": seconds["tsrnn_lem"] / seconds["lstm"],
              "cfc_over_gemm_floor": seconds["tsrnn_cfc"] / seconds["cfc_gemm_floor"],
              "ncps_cfc_over_gemm_floor": seconds["ncps_cfc"] / seconds["cfc_gemm_floor"]}
    print(", ".join(f"{k} {v:.2f}x" for k, v in ratios.items()))
    print("wrote", write("liquid_speed", {"shape": shape, "seconds": seconds, "ratios": ratios}))


if __name__ == "__main__":
    main()
