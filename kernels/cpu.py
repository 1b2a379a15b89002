"""Compiled CPU kernels: the generic linear scan and the fused SISO diagonal-SSM discretize-and-scan (reached
through :func:`tsrnn.ops.linear_scan` and :func:`tsrnn.ops.diag_ssm_scan` with ``backend="cpu"``, which
``"auto"`` picks for CPU tensors when a C compiler is present).

Why compiled: a scan is one pass over memory, but any pure-torch formulation runs several elementwise passes
(the chunked two-sweep backend reads and writes each element about eight times, torch's complex multiply and
exp are slow, and per-step discretization materializes several state-sized tensors), which leaves it many
times slower than ``Tensor.copy_`` of the same tensor. ``cpu_scan.c`` (with ``cpu_scan_impl.h``) reads the
inputs and writes the outputs once, with the running state in cache.

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
import warnings
from functools import lru_cache
from pathlib import Path

import torch

SOURCE = Path(__file__).with_name("cpu_scan.c")
SOURCES = (SOURCE, Path(__file__).with_name("cpu_scan_impl.h"))
FLAGS = ("-O3", "-std=c99", "-fPIC", "-shared", "-fno-math-errno")
#: Extra flags tried in turn until one compiles: OpenMP threads when the compiler has them.
VARIANTS = (("-fopenmp",), ())
METHOD_IDS = {"zoh": 0, "bilinear": 1, "euler": 2, "backward_euler": 3}
DTYPES = {torch.float32: ("f32", False), torch.float64: ("f64", False), torch.complex64: ("f32", True),
          torch.complex128: ("f64", True)}


def _cache_dir() -> Path:
    return Path(os.environ.get("TSRNN_CACHE_DIR") or Path.home() / ".cache" / "tsrnn")


def _cpu_id() -> bytes:
    """What identifies this CPU's instruction set (its flags), for libraries built with ``-march=native``."""
    try:
        with open("/proc/cpuinfo", "rb") as info:
            return next((line for line in info if line.startswith((b"flags", b"Features"))), b"")
    except OSError:
        return platform.processor().encode()


def _compile(sources, target: Path, flags, variants) -> bool:
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    for extra in variants:
        with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".so", delete=False) as tmp:
            pass
        result = subprocess.run([compiler, *flags, *extra, str(sources[0]), "-o", tmp.name, "-lm"], capture_output=True)
        if result.returncode == 0:
            os.replace(tmp.name, target)  # atomic: concurrent first uses never see a partial file
            return True
        os.unlink(tmp.name)
    warnings.warn(f"tsrnn: compiling the CPU kernels of {sources[0].name} with {compiler} failed; using the slower "
                  f"pure-torch path. Compiler output:\n{result.stderr.decode(errors='replace')[-2000:]}", RuntimeWarning,
                  stacklevel=4)
    return False


def build(sources, flags=FLAGS, variants=VARIANTS):
    """Compile ``sources`` (the C file, then the headers it includes) into the cache once and load it.

    Parameters
    ----------
    sources : tuple of Path
    flags : tuple of str
        Compiler flags.
    variants : tuple of tuple of str
        Extra flags tried in turn until one compiles. Where one holds ``-march=native`` the library is cached
        per CPU type.

    Returns
    -------
    ctypes.CDLL or None
        None when no C compiler is available or compiling fails (with a warning).
    """
    content = b"".join(path.read_bytes() for path in sources) + " ".join(flags).encode() + repr(variants).encode()
    native = any("-march=native" in extra for extra in variants)
    key = hashlib.sha256(content + platform.machine().encode() + (_cpu_id() if native else b"")).hexdigest()[:16]
    target = _cache_dir() / f"{sources[0].stem}-{key}.so"
    try:
        if not target.exists() and not _compile(sources, target, flags, variants):
            return None
        return ctypes.CDLL(str(target))
    except OSError:
        return None


@lru_cache(maxsize=1)
def load():
    """The compiled scan library (ctypes), or None when no C compiler is available."""
    lib = build(SOURCES)
    if lib is None:
        return None
    p, i64, i32 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int
    for suffix, real in (("f32", ctypes.c_float), ("f64", ctypes.c_double)):
        getattr(lib, f"scan_fwd_{suffix}").argtypes = [p, p, p, p, p, i64, i64, i64, i32, i32, i32]
        getattr(lib, f"scan_bwd_{suffix}").argtypes = [p, p, p, p, p, p, p, p, i64, i64, i64, i32, i32, i32]
        getattr(lib, f"ssm_fwd_{suffix}").argtypes = [p] * 12 + [i64] * 4 + [real, i32, i32, i32]
        getattr(lib, f"ssm_bwd_{suffix}").argtypes = [p] * 19 + [i64] * 4 + [real, i32, i32, i32]
    lib.ssm_n_blocks.argtypes, lib.ssm_n_blocks.restype = [i64, i64, i32], i64
    return lib


def runnable(tensors, dtypes, load) -> bool:
    """Whether a compiled CPU kernel can run ``tensors`` (Nones skipped): all on the CPU and of one dtype among
    ``dtypes``, its library built (``load()`` is not None), and not while torch.compile / torch.export trace the
    caller (they cannot see into a ctypes call)."""
    present = [x for x in tensors if x is not None]
    if torch.compiler.is_compiling() or any(x.device.type != "cpu" or x.dtype != present[0].dtype for x in present):
        return False
    return present[0].dtype in dtypes and load() is not None


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


class CpuDiagSSMScanFn(torch.autograd.Function):
    """``(y, h_last) = diag_ssm_scan`` for SISO-per-channel systems on CPU (one real dtype ``T`` throughout).

    Inputs: ``u`` (B, L, H); ``Lambda``, ``B``, ``C`` real views (H, N, 2); ``D`` (H,) or None; ``step`` (H,);
    ``dt`` (B, L) or None; ``mask`` (B, L) bool or None; ``h0`` real view (B, H, N, 2) or None. Returns ``y``
    (B, L, H) and ``h_last`` (B, H, N, 2).
    """

    @staticmethod
    def forward(ctx, u, lam, B, C, D, step, dt, mask, h0, method, k_out, reverse):
        u, lam, B, C, step = (x.contiguous() for x in (u, lam, B, C, step))
        D, dt, h0 = (None if x is None else x.contiguous() for x in (D, dt, h0))
        mask = None if mask is None else mask.contiguous().to(torch.uint8)
        n_batch, length, H = u.shape
        N = lam.shape[1]
        chunk = 32  # CHUNK in cpu_scan.c
        y = torch.empty_like(u)
        h_last = u.new_empty(n_batch, H, N, 2)
        ckpt = u.new_empty(n_batch, -(-length // chunk), H, N, 2)
        suffix = DTYPES[u.dtype][0]
        failed = getattr(load(), f"ssm_fwd_{suffix}")(
            *(_ptr(x) for x in (u, dt, mask, lam, B, C, D, step, h0, y, h_last, ckpt)), n_batch, length, H, N,
            k_out, METHOD_IDS[method], int(reverse), torch.get_num_threads())
        if failed:
            raise MemoryError("diag_ssm_scan (cpu backend): could not allocate the state buffers")
        ctx.save_for_backward(u, lam, B, C, D, step, dt, mask, ckpt)
        ctx.config = (method, k_out, reverse, h0 is not None)
        return y, h_last

    @staticmethod
    def backward(ctx, grad_y, grad_h_last):
        u, lam, B, C, D, step, dt, mask, ckpt = ctx.saved_tensors
        method, k_out, reverse, has_h0 = ctx.config
        n_batch, length, H = u.shape
        N = lam.shape[1]
        grad_y = torch.zeros_like(u) if grad_y is None else grad_y.contiguous()
        grad_h_last = None if grad_h_last is None else grad_h_last.contiguous()
        threads = torch.get_num_threads()
        n_blocks = load().ssm_n_blocks(n_batch, H, threads)
        du = torch.empty_like(u)
        ddt = None if dt is None else u.new_empty(n_batch, length, n_blocks)
        dlam, dB, dC, dh0 = (u.new_empty(n_batch, H, N, 2) for _ in range(4))
        dD, dstep = u.new_empty(n_batch, H), u.new_empty(n_batch, H)
        failed = getattr(load(), f"ssm_bwd_{DTYPES[u.dtype][0]}")(
            *(_ptr(x) for x in (u, dt, mask, lam, B, C, D, step, ckpt, grad_y, grad_h_last, du, ddt, dlam, dB, dC,
                                dD, dstep, dh0)), n_batch, length, H, N, k_out, METHOD_IDS[method], int(reverse), threads)
        if failed:
            raise MemoryError("diag_ssm_scan (cpu backend): could not allocate the state buffers")
        need = ctx.needs_input_grad
        return (du, dlam.sum(0) if need[1] else None, dB.sum(0) if need[2] else None, dC.sum(0) if need[3] else None,
                dD.sum(0) if D is not None and need[4] else None, dstep.sum(0) if need[5] else None,
                ddt.sum(-1) if dt is not None and need[6] else None, None, dh0 if has_h0 else None, None, None, None)
