"""Compiled CPU kernel for the generic linear scan (reached through :func:`tsrnn.ops.linear_scan` with
``backend="cpu"``, which ``"auto"`` picks for CPU tensors when a C compiler is present).

Why compiled: a scan is one pass over memory, but any pure-torch formulation runs several elementwise passes
(the chunked two-sweep backend reads and writes each element about eight times, and torch's complex
multiply is slow), which leaves it 10-15x slower than ``Tensor.copy_`` of the same tensor. The C kernel in
``linear_scan_cpu.c`` reads ``a`` and ``b`` and writes ``h`` once, with the previous state row in cache.

It is plain C (no torch headers), so it compiles in about a second with the system's ``cc`` into a cache
directory (``$TSRNN_CACHE_DIR`` or ``~/.cache/tsrnn``) on first use and is called through ``ctypes``. Without a
compiler, :func:`load` returns None and the torch backend is used.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import torch

SOURCE = Path(__file__).with_name("linear_scan_cpu.c")
FLAGS = ["-O3", "-std=c99", "-fPIC", "-shared", "-fno-math-errno"]
DTYPES = {torch.float32: ("f32", False), torch.float64: ("f64", False), torch.complex64: ("f32", True),
          torch.complex128: ("f64", True)}


def _cache_dir() -> Path:
    return Path(os.environ.get("TSRNN_CACHE_DIR") or Path.home() / ".cache" / "tsrnn")


def _compile(target: Path) -> bool:
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    for extra in (["-fopenmp"], []):  # OpenMP threads when the compiler has them
        with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".so", delete=False) as tmp:
            pass
        result = subprocess.run([compiler, *FLAGS, *extra, str(SOURCE), "-o", tmp.name], capture_output=True)
        if result.returncode == 0:
            os.replace(tmp.name, target)  # atomic: concurrent first uses never see a partial file
            return True
        os.unlink(tmp.name)
    return False


@lru_cache(maxsize=1)
def load():
    """The compiled library (ctypes), or None when no C compiler is available."""
    key = hashlib.sha256(SOURCE.read_bytes() + " ".join(FLAGS).encode() + platform.machine().encode()).hexdigest()[:16]
    target = _cache_dir() / f"linear_scan_cpu-{key}.so"
    try:
        if not target.exists() and not _compile(target):
            return None
        lib = ctypes.CDLL(str(target))
    except OSError:
        return None
    p, i64, i32 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int
    for suffix in ("f32", "f64"):
        getattr(lib, f"scan_fwd_{suffix}").argtypes = [p, p, p, p, p, i64, i64, i64, i32, i32, i32]
        getattr(lib, f"scan_bwd_{suffix}").argtypes = [p, p, p, p, p, p, p, p, i64, i64, i64, i32, i32, i32]
    return lib


def _ptr(x):
    return None if x is None else x.data_ptr()


class CpuLinearScanFn(torch.autograd.Function):
    """``h = scan(a, b, h0)`` on contiguous (B, L, S) CPU tensors of one dtype, per-row ``lengths`` (int64)."""

    @staticmethod
    def forward(ctx, a, b, h0, lengths, reverse):
        lib = load()
        suffix, cplx = DTYPES[b.dtype]
        n_batch, length, width = b.shape
        h = torch.empty_like(b)
        getattr(lib, f"scan_fwd_{suffix}")(_ptr(a), _ptr(b), _ptr(h0), _ptr(lengths), _ptr(h), n_batch, length,
                                           width * (2 if cplx else 1), int(cplx), int(reverse), torch.get_num_threads())
        ctx.save_for_backward(a, h, h0, lengths)
        ctx.reverse = reverse
        return h

    @staticmethod
    def backward(ctx, grad_h):
        a, h, h0, lengths = ctx.saved_tensors
        suffix, cplx = DTYPES[h.dtype]
        grad_h = grad_h.contiguous()
        n_batch, length, width = h.shape
        da, db = torch.empty_like(a), torch.empty_like(h)
        dh0 = None if h0 is None else torch.empty_like(h0)
        status = getattr(load(), f"scan_bwd_{suffix}")(
            _ptr(a), _ptr(h), _ptr(h0), _ptr(lengths), _ptr(grad_h), _ptr(da), _ptr(db), _ptr(dh0), n_batch, length,
            width * (2 if cplx else 1), int(cplx), int(ctx.reverse), torch.get_num_threads())
        if status:
            raise MemoryError("linear_scan (cpu backend): could not allocate the backward's scratch rows")
        return da, db, dh0, None, None
