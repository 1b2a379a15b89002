"""Speed and memory of the convolutional SSM layers on CPU.

- S4D layer (H=64, N=64) forward+backward at L=4096, B=8, against torch.nn.GRU of the same width
  (issue target: >= 10x faster).
- A 4-layer S4D model (H=64) forward+backward at L=16,000 (speech length), B=1: time and peak memory.
- LSSL vs S4 layers (H=64, N=64, B=8) at L=1024 and 4096: time and peak memory (the S4 paper reports S4
  about 30x faster with about 400x less memory than LSSL on GPU).
- S4 layer time across L = 1k .. 64k (B=1, H=64, N=64): O(L log L) growth.

Peak memory is the resident-set peak of a fresh subprocess per measurement (CPU tensors are not visible to
tracemalloc), minus the same subprocess's peak after imports.
"""

from __future__ import annotations

import json
import subprocess
import sys

from _common import write

CHILD = r"""
import json, resource, sys, time, torch
torch.set_num_threads(1)
from tsrnn.nn.s4d import S4DSSM, S4DBackbone
from tsrnn.nn.s4 import S4SSM
from tsrnn.nn.lssl import LSSLSSM
cfg = json.loads(sys.argv[1])
torch.manual_seed(0)
if cfg["what"] == "s4d_layer":
    m = S4DSSM(cfg["H"], cfg["N"]); f = lambda x: m(x)[0]
elif cfg["what"] == "s4_layer":
    m = S4SSM(cfg["H"], cfg["N"], l_max=cfg["L"]); f = lambda x: m(x)[0]
elif cfg["what"] == "lssl_layer":
    m = LSSLSSM(cfg["H"], cfg["N"]); f = lambda x: m(x)[0]
elif cfg["what"] == "s4d_model":
    m = S4DBackbone(cfg["H"], d_model=cfg["H"], n_layers=cfg["layers"], d_state=cfg["N"]); f = m
else:
    m = torch.nn.GRU(cfg["H"], cfg["H"], batch_first=True); f = lambda x: m(x)[0]
x = torch.randn(cfg["B"], cfg["L"], cfg["H"])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
for i in range(cfg["repeat"] + 1):
    m.zero_grad(set_to_none=True)
    t0 = time.perf_counter(); f(x).sum().backward(); times.append(time.perf_counter() - t0)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = sorted(times[1:]) if len(times) > 1 else times
print(json.dumps({"seconds": times[len(times) // 2], "peak_mib": (peak - base) / 1024}))
"""


def measure(**cfg):
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(cfg)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    layer = dict(B=8, L=4096, H=64, N=64, repeat=7)
    s4d = measure(what="s4d_layer", **layer)
    gru = measure(what="gru", **{**layer, "repeat": 3})
    speech = measure(what="s4d_model", B=1, L=16_000, H=64, N=64, layers=4, repeat=1)
    print(f"S4D layer  B=8 L=4096 H=64 N=64 fwd+bwd: {s4d['seconds']*1e3:.0f} ms (peak +{s4d['peak_mib']:.0f} MiB)")
    print(f"torch GRU  same shape               : {gru['seconds']*1e3:.0f} ms  -> S4D {gru['seconds']/s4d['seconds']:.1f}x faster")
    print(f"4-layer S4D L=16000 fwd+bwd          : {speech['seconds']:.2f} s, peak +{speech['peak_mib']:.0f} MiB")
    lssl_vs_s4 = []
    for L in (1024, 4096):
        shape = dict(B=8, L=L, H=64, N=64, repeat=1)
        s4, lssl = measure(what="s4_layer", **shape), measure(what="lssl_layer", **shape)
        lssl_vs_s4.append({"L": L, "s4": s4, "lssl": lssl, "time_ratio": lssl["seconds"] / s4["seconds"],
                           "memory_ratio": lssl["peak_mib"] / max(s4["peak_mib"], 1.0)})
        print(f"L={L}: S4 {s4['seconds']*1e3:.0f} ms / +{s4['peak_mib']:.0f} MiB, LSSL {lssl['seconds']*1e3:.0f} ms / "
              f"+{lssl['peak_mib']:.0f} MiB -> LSSL/S4 time {lssl_vs_s4[-1]['time_ratio']:.1f}x, "
              f"memory {lssl_vs_s4[-1]['memory_ratio']:.1f}x")
    sweep = []
    for L in (1024, 4096, 16384, 65536):
        r = measure(what="s4_layer", B=1, L=L, H=64, N=64, repeat=1)
        sweep.append({"L": L, **r, "us_per_step": r["seconds"] / L * 1e6})
        print(f"S4 layer B=1 L={L:>6}: {r['seconds']*1e3:8.0f} ms  ({sweep[-1]['us_per_step']:.1f} us/step)", flush=True)
    print("wrote", write("ssm_speed", {"s4d_layer": {**layer, **s4d}, "gru": gru,
                                       "speedup_s4d_vs_gru": gru["seconds"] / s4d["seconds"],
                                       "s4d_4layer_L16000": speech, "lssl_vs_s4": lssl_vs_s4, "s4_length_sweep": sweep}))


if __name__ == "__main__":
    main()
