"""Backend selection shared by every op dispatcher.

Each public op takes ``backend="auto" | "reference" | "torch" | "triton" | "cpu"``. ``"auto"`` resolves to
the Triton kernel for CUDA tensors where one exists for that op, to the compiled CPU kernel for CPU tensors
where one exists (and a C compiler is present), and to the vectorized torch path otherwise; while
``torch.compile`` or ``torch.export`` traces the op it resolves to the torch path, which they can trace (the
kernels are opaque to them). The environment variable ``TSRNN_BACKEND`` overrides ``"auto"`` for debugging.
"""

from __future__ import annotations

import os

import torch

BACKENDS = ("auto", "reference", "torch", "triton", "cpu")


def resolve_backend(backend: str, *, op: str, triton_available: bool = False, cpu_available: bool = False) -> str:
    """Return the concrete backend for ``op``.

    Parameters
    ----------
    backend : str
        One of ``"auto"``, ``"reference"``, ``"torch"``, ``"triton"``.
    op : str
        Name of the op, used in error messages.
    triton_available : bool
        Whether a Triton kernel exists for this op and these inputs.
    cpu_available : bool
        Whether a compiled CPU kernel exists for this op and these inputs.

    Returns
    -------
    str
        ``"reference"``, ``"torch"``, ``"triton"`` or ``"cpu"``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r} (op {op})")
    if backend == "auto":
        forced = os.environ.get("TSRNN_BACKEND", "").strip().lower()
        if forced:
            if forced not in BACKENDS[1:]:
                raise ValueError(f"TSRNN_BACKEND must be one of {BACKENDS[1:]}, got {forced!r}")
            backend = forced
        elif torch.compiler.is_compiling():
            return "torch"
        else:
            return "triton" if triton_available else "cpu" if cpu_available else "torch"
    if backend == "triton" and not triton_available:
        raise NotImplementedError(
            f"{op}: no Triton kernel is available for these inputs (it needs triton installed, CUDA tensors "
            "or TRITON_INTERPRET=1 for CPU testing, and a supported dtype); use backend='torch' or 'auto'"
        )
    if backend == "cpu" and not cpu_available:
        raise NotImplementedError(
            f"{op}: no compiled CPU kernel is available for these inputs (it needs CPU tensors, a C compiler "
            "and a float32/float64/complex64/complex128 dtype); use backend='torch' or 'auto'"
        )
    return backend
