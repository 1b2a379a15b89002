"""Speed and memory of the convolutional SSM layers on CPU.

- S4D layer (H=64, N=64) forward+backward at L=4096, B=8, against torch.nn.GRU of the same width
  (issue target: >= 10x faster).
- A 4-layer S4D model (H=64) forward+backward at L=16,000 (speech length), B=1: time and peak memory.

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
cfg = json.loads(sys.argv[1])
torch.manual_seed(0)
if cfg["what"] == "s4d_layer":
    m = S4DSSM(cfg["H"], cfg["N"]); f = lambda x: m(x)[0]
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
    layer = dict(B=8, L=4096, H=64, N=64, repeat=3)
    s4d = measure(what="s4d_layer", **layer)
    gru = measure(what="gru", **{**layer, "repeat": 1})
    speech = measure(what="s4d_model", B=1, L=16_000, H=64, N=64, layers=4, repeat=1)
    print(f"S4D layer  B=8 L=4096 H=64 N=64 fwd+bwd: {s4d['seconds']*1e3:.0f} ms (peak +{s4d['peak_mib']:.0f} MiB)")
    print(f"torch GRU  same shape               : {gru['seconds']*1e3:.0f} ms  -> S4D {gru['seconds']/s4d['seconds']:.1f}x faster")
    print(f"4-layer S4D L=16000 fwd+bwd          : {speech['seconds']:.2f} s, peak +{speech['peak_mib']:.0f} MiB")
    print("wrote", write("ssm_speed", {"s4d_layer": {**layer, **s4d}, "gru": gru,
                                       "speedup_s4d_vs_gru": gru["seconds"] / s4d["seconds"],
                                       "s4d_4layer_L16000": speech}))


if __name__ == "__main__":
    main()
