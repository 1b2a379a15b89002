"""Scan kernels across the issue's shape suite, side by side with the yardsticks.

Ops: the generic scan (:func:`tsrnn.ops.linear_scan`, complex64, ``S = H * N / 2`` complex states: an S4D
layer's state) and the fused discretize-and-scan (:func:`tsrnn.ops.diag_ssm_scan`, SISO per channel, ZOH,
per-step gaps: the irregular-sampling path). Shapes: B in {4, 16}, L in {1k, 4k, 16k, 64k}, H = 256,
N in {16, 64}; forward and forward+backward.

On CPU, per shape: the torch backend, the compiled CPU backend, the per-step reference loop (L = 1k only),
``Tensor.copy_`` of a same-size state tensor (the memory-speed yardstick) and an allocating copy
(``clone``: page faults on fresh memory are part of every op that returns a new tensor). Achieved bandwidth
counts each op's minimal traffic (generic scan: read a, b, write h; backward also reads a, h, dh and writes
da, db; fused op: read u and gaps, write y; backward also reads dy and writes du and gap gradients) against the
copy_ bandwidth measured in the same run.

Shapes whose materialized state tensor exceeds the memory budget of this machine (24 GiB: 1.1 GB per state
tensor for the forward, 0.6 GB with the backward) are recorded as skipped, with the size. On a GPU the same
script runs the Triton backend (and flash-linear-attention / mamba_ssm when installed); no GPU was lent to the
runs recorded here.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
from functools import partial

import torch
from _common import timeit, write

from tsrnn.ops import diag_ssm_scan, linear_scan
from tsrnn.ops.scan import cpu_supports

H = 256
FWD_BUDGET, BWD_BUDGET = 1.1e9, 0.6e9


def _scan_inputs(B, L, S, device):
    g = torch.Generator().manual_seed(0)
    a = torch.polar(torch.rand(B, L, S, generator=g) * 0.1 + 0.9, torch.rand(B, L, S, generator=g) * 6.28)
    return a.to(device), torch.randn(B, L, S, generator=g, dtype=torch.complex64).to(device)


def _ssm_inputs(B, L, N2, device):
    g = torch.Generator().manual_seed(0)
    lam = torch.complex(-0.5 * torch.ones(H, N2), torch.pi * torch.arange(N2).float().expand(H, N2))
    B_, C = (torch.randn(H, N2, generator=g, dtype=torch.complex64) for _ in range(2))
    step = torch.exp(torch.empty(H).uniform_(-6.9, -2.3, generator=g))
    u, dt = torch.randn(B, L, H, generator=g), torch.rand(B, L, generator=g) + 0.5
    return [x.to(device) for x in (u, lam, B_, C, torch.randn(H, generator=g), step, dt)]


def _scan_op(a, b, backend):
    return linear_scan(a, b, backend=backend)[0]


def _ssm_op(u, lam, B, C, D, step, dt, backend):
    return diag_ssm_scan(u, lam, B, C, D, step, dt, backend=backend)[0]


def _loop(a, b):
    h = torch.zeros_like(b[:, 0])
    out = torch.empty_like(b)
    for t in range(b.shape[1]):
        h = a[:, t] * h + b[:, t]
        out[:, t] = h
    return out


def _copy_times(shape, device, repeat):
    """``Tensor.copy_`` into existing memory and an allocating ``clone`` of a complex64 state-sized tensor."""
    src = torch.empty(shape, dtype=torch.complex64, device=device).normal_()
    dst = torch.empty_like(src)
    return timeit(lambda: dst.copy_(src), repeat), timeit(lambda: src.clone(), repeat)


def _fwd_bwd(fn, leaves):
    leaves = [x.detach().requires_grad_(x.is_floating_point() or x.is_complex()) for x in leaves]

    def run():
        for x in leaves:
            x.grad = None
        out = fn(*leaves)
        out.real.sum().backward() if out.is_complex() else out.sum().backward()

    return run


def case(op, B, L, N, backends, repeat, device):
    S = H * N // 2
    state_bytes = B * L * S * 8
    row = {"op": op, "B": B, "L": L, "H": H, "N": N, "state_gb": state_bytes / 1e9}
    if state_bytes > FWD_BUDGET:
        return {**row, "skipped": f"state tensor {state_bytes / 1e9:.1f} GB exceeds the {FWD_BUDGET / 1e9:.1f} GB budget"}
    if op == "linear_scan":
        a, b = _scan_inputs(B, L, S, device)
        leaves = [a, b]
        calls = {k: partial(_scan_op, backend=k) for k in backends}
        io_fwd, io_bwd = 3 * state_bytes, 8 * state_bytes
        ref = lambda: _loop(a, b)  # noqa: E731
    else:
        leaves = _ssm_inputs(B, L, N // 2, device)
        calls = {k: partial(_ssm_op, backend=k) for k in backends}
        seq = B * L * (2 * H + 1) * 4  # u and gaps in, y out
        io_fwd, io_bwd = seq, 2 * seq + B * L * (2 * H + 1) * 4
        ref = lambda: diag_ssm_scan(*leaves, backend="reference")  # noqa: E731
    row["copy_s"], row["clone_s"] = _copy_times((B, L, S), device, repeat)
    row["copy_gbps"] = 2 * state_bytes / row["copy_s"] / 1e9
    if L <= 1024 and B == 4:  # the per-step loop only where it finishes in seconds
        row["loop_fwd_s"] = timeit(ref, 1, 0)
    for name, fn in calls.items():
        row[f"{name}_fwd_s"] = timeit(lambda fn=fn: fn(*leaves), repeat)
        row[f"{name}_fwd_gbps"] = io_fwd / row[f"{name}_fwd_s"] / 1e9
        if state_bytes <= BWD_BUDGET:
            row[f"{name}_fwd_bwd_s"] = timeit(_fwd_bwd(fn, leaves), max(1, repeat // 2))
            row[f"{name}_fwd_bwd_gbps"] = io_bwd / row[f"{name}_fwd_bwd_s"] / 1e9
        gc.collect()
    return row


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smallest shapes only, one repeat")
    parser.add_argument("--ops", default="linear_scan,diag_ssm_scan")
    parser.add_argument("--tag", default="", help="results/kernels_<tag>.json (e.g. a run with THP_MEM_ALLOC_ENABLE=1)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    backends = ["triton", "torch"] if device == "cuda" else ["torch"] + (["cpu"] if cpu_supports(torch.ones(1)) else [])
    lengths = [1024] if args.quick else [1024, 4096, 16384, 65536]
    rows = []
    for op in args.ops.split(","):
        for N in (16, 64):
            for B in (4, 16):
                for L in lengths:
                    r = case(op, B, L, N, backends, 1 if args.quick else 3, device)
                    rows.append(r)
                    times = "  ".join(f"{k}={v * 1e3:.0f}ms" for k, v in r.items() if k.endswith("_s"))
                    print(f"{op:14s} B={B:<2} L={L:<5} N={N:<2} {r.get('skipped', times)}", flush=True)
    peers = {name: importlib.util.find_spec(mod) is not None for name, mod in (("flash-linear-attention", "fla"),
                                                                              ("mamba_ssm", "mamba_ssm"))}
    env = {k: os.environ[k] for k in ("THP_MEM_ALLOC_ENABLE",) if k in os.environ}
    print("wrote", write("kernels" + (f"_{args.tag}" if args.tag else ""), {
                                     "device": device, "backends": backends, "rows": rows, "peers_installed": peers,
                                     "environment": env,
                                     "gpu_note": None if device == "cuda" else "no GPU was lent to this run: Triton, "
                                     "flash-linear-attention and mamba_ssm columns are not measured"}))


if __name__ == "__main__":
    main()
