"""Linear scan speed on CPU: the compiled (``cpu``) and pure-torch backends vs a per-step loop vs a same-size
copy (memory yardstick).

Issue targets: B=1, H=16, N=16, L=65,536 (complex64): >= 10x faster than the loop and within 3x of
``Tensor.copy_``; B=8, H=64, N=32, L=4096: never slower than the loop, reported as a multiple of the copy time;
10^6 steps without overflow or NaN.

Every op that returns a new tensor pays the page faults of fresh memory (the ``clone`` column shows their
cost). The cases are measured twice: with torch's default CPU allocator, and with ``THP_MEM_ALLOC_ENABLE=1``
(torch backs large allocations with transparent huge pages, which cuts those faults about 2x; a documented
torch setting, exported by the user before torch starts).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import torch
from _common import timeit, write

from tsrnn.ops import linear_scan
from tsrnn.ops.scan import cpu_supports


def step_loop(a, b):
    """The baseline a user would write: a Python loop over time, vectorized over batch and state."""
    h = torch.zeros_like(b[:, 0])
    out = torch.empty_like(b)
    for t in range(b.shape[1]):
        h = a[:, t] * h + b[:, t]
        out[:, t] = h
    return out


def case(B, L, H, N, repeat, backends):
    g = torch.Generator().manual_seed(0)
    shape = (B, L, H * N)
    a = torch.polar(torch.rand(shape, generator=g) * 0.1 + 0.9, torch.rand(shape, generator=g) * 6.28)
    b = torch.randn(shape, generator=g, dtype=torch.complex64)
    row = {"B": B, "L": L, "H": H, "N": N, "dtype": "complex64"}
    row["loop_s"] = timeit(lambda: step_loop(a, b), max(1, repeat // 2))
    row["copy_s"] = timeit(lambda: b.clone(), repeat)  # allocates the output, as the scan does
    out = torch.empty_like(b)
    row["copy_into_s"] = timeit(lambda: out.copy_(b), repeat)  # Tensor.copy_: the memory-speed yardstick
    a_req, b_req = a.clone().requires_grad_(), b.clone().requires_grad_()
    for backend in backends:
        def fwd_bwd(backend=backend):
            h, _ = linear_scan(a_req, b_req, backend=backend)
            h.real.sum().backward()

        seconds = timeit(lambda backend=backend: linear_scan(a, b, backend=backend), repeat)
        row[backend] = {"scan_s": seconds, "scan_fwd_bwd_s": timeit(fwd_bwd, max(1, repeat // 2)),
                        "speedup_vs_loop": row["loop_s"] / seconds, "scan_over_copy": seconds / row["copy_s"],
                        "scan_over_copy_into": seconds / row["copy_into_s"],
                        "max_abs_diff_vs_loop": (linear_scan(a, b, backend=backend)[0] - step_loop(a, b)).abs().max().item()}
    return row


def million_steps():
    L = 1_000_000
    a = torch.polar(torch.full((1, L, 16), 1 - 1e-5), torch.linspace(0, 1, 16).expand(1, L, 16).contiguous())
    b = torch.randn(1, L, 16, dtype=torch.complex64, generator=torch.Generator().manual_seed(0))
    s = timeit(lambda: linear_scan(a, b), 1, 0)
    h, _ = linear_scan(a, b)
    return {"L": L, "width": 16, "abs_a": 1 - 1e-5, "seconds": s, "finite": bool(torch.isfinite(torch.view_as_real(h)).all()),
            "max_abs_h": h.abs().max().item()}


def _cases(repeat):
    backends = ["torch"] + (["cpu"] if cpu_supports(torch.ones(1)) else [])
    return [case(1, 65_536, 16, 16, repeat, backends), case(8, 4096, 64, 32, repeat, backends)]


def _print(cases, title):
    print(title)
    for c in cases:
        print(f"  B={c['B']} L={c['L']} H={c['H']} N={c['N']}: loop {c['loop_s']*1e3:.0f} ms, clone {c['copy_s']*1e3:.0f} ms, "
              f"copy_ {c['copy_into_s']*1e3:.0f} ms")
        for k in ("cpu", "torch"):
            if k in c:
                r = c[k]
                print(f"    {k:5s}: scan {r['scan_s']*1e3:.0f} ms (fwd+bwd {r['scan_fwd_bwd_s']*1e3:.0f} ms), "
                      f"{r['speedup_vs_loop']:.1f}x faster than the loop, {r['scan_over_copy_into']:.1f}x copy_, "
                      f"{r['scan_over_copy']:.2f}x clone")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cases-only", action="store_true", help="print the cases as JSON (used for the THP run)")
    args = parser.parse_args()
    repeat = 1 if args.quick else 5
    if args.cases_only:
        print(json.dumps(_cases(repeat)))
        return
    cases = _cases(repeat)
    env = {**os.environ, "THP_MEM_ALLOC_ENABLE": "1"}
    child = subprocess.run([sys.executable, __file__, "--cases-only"] + (["--quick"] if args.quick else []), env=env,
                           capture_output=True, text=True, check=True)
    thp_cases = json.loads(child.stdout.strip().splitlines()[-1])
    result = {"cases": cases, "cases_thp": thp_cases, "million_steps": million_steps()}
    _print(cases, "default allocator")
    _print(thp_cases, "THP_MEM_ALLOC_ENABLE=1")
    m = result["million_steps"]
    print(f"10^6 steps: {m['seconds']:.2f} s, finite={m['finite']}, max|h|={m['max_abs_h']:.1f}")
    print("wrote", write("scan", result))


if __name__ == "__main__":
    main()
