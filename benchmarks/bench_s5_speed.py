"""S5 layer forward+backward on CPU vs s5-pytorch's S5 and torch.nn.GRU at the same width.

Issue target: B=16, L=1024, width 64, state 64: at least 3x faster than s5-pytorch.
"""

from __future__ import annotations

import torch
from _common import timeit, write

from tsrnn.nn.s5 import S5SSM


def fwd_bwd(module, x, out_of):
    def run():
        module.zero_grad(set_to_none=True)
        out_of(module, x).sum().backward()

    return run


def main():
    torch.manual_seed(0)
    B, L, H, P = 16, 1024, 64, 64
    x = torch.randn(B, L, H)
    rows = {}
    ours = S5SSM(d_model=H, d_state=P)
    rows["tsrnn S5SSM"] = timeit(fwd_bwd(ours, x, lambda m, x: m(x)[0]), repeat=15, warmup=3)
    try:
        from s5 import S5

        peer = S5(H, P)
        rows["s5-pytorch S5"] = timeit(fwd_bwd(peer, x, lambda m, x: m(x)), repeat=9, warmup=2)
    except ImportError:  # pragma: no cover - peer is a test/bench-only dependency
        rows["s5-pytorch S5"] = None
    gru = torch.nn.GRU(H, H, batch_first=True)
    rows["torch.nn.GRU"] = timeit(fwd_bwd(gru, x, lambda m, x: m(x)[0]), repeat=3)
    base = rows["tsrnn S5SSM"]
    print(f"B={B} L={L} width={H} state={P}, forward+backward, {torch.get_num_threads()} thread(s)")
    for name, s in rows.items():
        if s is not None:
            print(f"  {name:<16} {s*1e3:8.1f} ms   {s/base:5.2f}x tsrnn time")
    print("wrote", write("s5_speed", {"shape": {"B": B, "L": L, "width": H, "state": P},
                                      "seconds": rows,
                                      "speedup": {k: (v / base if v else None) for k, v in rows.items()}}))


if __name__ == "__main__":
    main()
