"""Linear scan speed on CPU: torch backend vs a per-step loop vs a same-size copy (memory yardstick).

Issue targets: B=1, H=16, N=16, L=65,536 (complex64): >= 10x faster than the loop; B=8, H=64, N=32, L=4096:
never slower than the loop, reported as a multiple of the copy time; 10^6 steps without overflow or NaN.
"""

from __future__ import annotations

import argparse

import torch
from _common import timeit, write

from tsrnn.ops import linear_scan


def step_loop(a, b):
    """The baseline a user would write: a Python loop over time, vectorized over batch and state."""
    h = torch.zeros_like(b[:, 0])
    out = torch.empty_like(b)
    for t in range(b.shape[1]):
        h = a[:, t] * h + b[:, t]
        out[:, t] = h
    return out


def case(B, L, H, N, repeat):
    g = torch.Generator().manual_seed(0)
    shape = (B, L, H * N)
    a = torch.polar(torch.rand(shape, generator=g) * 0.1 + 0.9, torch.rand(shape, generator=g) * 6.28)
    b = torch.randn(shape, generator=g, dtype=torch.complex64)
    scan_s = timeit(lambda: linear_scan(a, b, backend="torch"), repeat)
    loop_s = timeit(lambda: step_loop(a, b), max(1, repeat // 2))
    copy_s = timeit(lambda: b.clone(), repeat)  # allocates the output, as the scan does
    out = torch.empty_like(b)
    copy_into_s = timeit(lambda: out.copy_(b), repeat)  # Tensor.copy_ into existing memory: the memory-speed yardstick
    a_req, b_req = a.clone().requires_grad_(), b.clone().requires_grad_()

    def fwd_bwd():
        h, _ = linear_scan(a_req, b_req, backend="torch")
        h.real.sum().backward()

    fb_s = timeit(fwd_bwd, max(1, repeat // 2))
    err = (linear_scan(a, b)[0] - step_loop(a, b)).abs().max().item()
    return {"B": B, "L": L, "H": H, "N": N, "dtype": "complex64", "scan_s": scan_s, "loop_s": loop_s,
            "copy_s": copy_s, "copy_into_s": copy_into_s, "scan_fwd_bwd_s": fb_s, "speedup_vs_loop": loop_s / scan_s,
            "scan_over_copy": scan_s / copy_s, "scan_over_copy_into": scan_s / copy_into_s, "max_abs_diff_vs_loop": err}


def million_steps():
    L = 1_000_000
    a = torch.polar(torch.full((1, L, 16), 1 - 1e-5), torch.linspace(0, 1, 16).expand(1, L, 16).contiguous())
    b = torch.randn(1, L, 16, dtype=torch.complex64, generator=torch.Generator().manual_seed(0))
    s = timeit(lambda: linear_scan(a, b), 1, 0)
    h, _ = linear_scan(a, b)
    return {"L": L, "width": 16, "abs_a": 1 - 1e-5, "seconds": s, "finite": bool(torch.isfinite(torch.view_as_real(h)).all()),
            "max_abs_h": h.abs().max().item()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat = 1 if args.quick else 5
    cases = [case(1, 65_536, 16, 16, repeat), case(8, 4096, 64, 32, repeat)]
    result = {"cases": cases, "million_steps": million_steps()}
    print(f"{'B':>2} {'L':>6} {'H':>3} {'N':>3} {'scan ms':>9} {'loop ms':>9} {'clone ms':>8} {'copy_ ms':>8} "
          f"{'fwd+bwd ms':>10} {'vs loop':>8} {'x clone':>7} {'x copy_':>7}")
    for c in cases:
        print(f"{c['B']:>2} {c['L']:>6} {c['H']:>3} {c['N']:>3} {c['scan_s']*1e3:>9.1f} {c['loop_s']*1e3:>9.1f} "
              f"{c['copy_s']*1e3:>8.1f} {c['copy_into_s']*1e3:>8.1f} {c['scan_fwd_bwd_s']*1e3:>10.1f} "
              f"{c['speedup_vs_loop']:>7.1f}x {c['scan_over_copy']:>6.1f}x {c['scan_over_copy_into']:>6.1f}x")
    m = result["million_steps"]
    print(f"10^6 steps: {m['seconds']:.2f} s, finite={m['finite']}, max|h|={m['max_abs_h']:.1f}")
    print("wrote", write("scan", result))


if __name__ == "__main__":
    main()
