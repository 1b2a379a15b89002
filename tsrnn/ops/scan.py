r"""Generic first-order linear recurrence ``h_t = a_t * h_{t-1} + b_t`` (elementwise, real or complex).

Time is dimension 1: ``a`` and ``b`` have shape ``(B, L, S...)``. ``reverse=True`` runs
``h_t = a_t * h_{t+1} + b_t`` from the end. The torch backend splits time into chunks, runs a short
sequential loop inside all chunks at once, solves the recurrence of the chunk-boundary states by the same
method recursively, and adds the carried state back: ``O(L)`` work, ``O(log L)`` Python-level steps, and
only products of ``a`` (never divisions), so it stays finite for any length with ``|a| <= 1``.

Gradients use the reverse recurrence (conjugate-Wirtinger convention for complex tensors):
``g_t = dh_t + conj(a_{t+1}) g_{t+1}``, ``dL/db_t = g_t``, ``dL/da_t = g_t conj(h_{t-1})``.
"""

from __future__ import annotations

import torch

from tsrnn.ops._dispatch import resolve_backend

#: Steps solved sequentially inside each chunk by the torch backend.
CHUNK_SIZE = 32
#: Above this many state elements per step (B * prod(S)), one op per step already streams at memory speed
#: and the plain sequential sweep is used.
WIDE_STEP = 8192


def linear_scan_ref(
    a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None, reverse: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reference: a plain loop over time, the specification of :func:`linear_scan`.

    Parameters
    ----------
    a : Tensor, shape (B, L, S...) or broadcastable to ``b``
    b : Tensor, shape (B, L, S...)
    h0 : Tensor, shape (B, S...), optional
        State before the first step (zero when omitted).
    reverse : bool
        Run from ``t = L-1`` down to ``0``.

    Returns
    -------
    h : Tensor, shape (B, L, S...)
    h_last : Tensor, shape (B, S...)
        State after the last step processed (``h[:, -1]``, or ``h[:, 0]`` when ``reverse``).
    """
    a, b = _broadcast(a, b)
    h = torch.zeros_like(b[:, 0]) if h0 is None else h0.to(b.dtype)
    out = [None] * b.shape[1]
    order = range(b.shape[1] - 1, -1, -1) if reverse else range(b.shape[1])
    for t in order:
        h = a[:, t] * h + b[:, t]
        out[t] = h
    return torch.stack(out, dim=1), h


def _broadcast(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    dtype = torch.promote_types(a.dtype, b.dtype)
    a, b = torch.broadcast_tensors(a.to(dtype), b.to(dtype))
    return a, b


def _scan_fast(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None, reverse: bool = False) -> torch.Tensor:
    """Scan (B, L, S) tensors without autograd, choosing the cheapest schedule for the shape.

    Wide steps: one fused multiply-add per step on a cache-resident state, copied into ``h``. Narrow
    steps (where per-step Python overhead would dominate): :func:`_scan_chunked`.
    """
    n_batch, length, width = b.shape
    if n_batch * width < WIDE_STEP:
        return _scan_chunked(a, b, h0, reverse)
    h = torch.empty_like(b)
    state = h0
    for t in range(length - 1, -1, -1) if reverse else range(length):
        state = b[:, t] if state is None else torch.addcmul(b[:, t], a[:, t], state)  # contiguous, cached
        h[:, t] = state
    return h


def _scan_chunked(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None, reverse: bool = False):
    """Scan (B, L, S) tensors without autograd, forward or reverse in time.

    Two sweeps over chunks of ``CHUNK_SIZE`` steps, all chunks at once: the first keeps only a running
    state to get each chunk's exit state from a zero start (and ``prod(a)`` over the chunk); the states
    entering the chunks then follow the same recurrence one level up (solved recursively); the second sweep
    reruns every chunk from its true entering state and writes ``h``. Reads ``a`` three times and ``b``
    twice, writes ``h`` once, with ``O(log L)`` Python-level steps. With no ``h0`` the first processed
    step ignores its ``a``.
    """
    n_batch, length, width = b.shape
    T = CHUNK_SIZE
    if length <= T:
        h = torch.empty_like(b)
        prev = h0
        for t in range(length - 1, -1, -1) if reverse else range(length):
            if prev is None:
                h[:, t] = b[:, t]
            else:
                torch.addcmul(b[:, t], a[:, t], prev, out=h[:, t])
            prev = h[:, t]
        return h
    n_chunks = -(-length // T)
    pad = n_chunks * T - length
    if pad:  # padded steps (a = 1, b = 0) carry the state through unchanged
        a = torch.cat([a, a.new_ones(n_batch, pad, width)], dim=1)
        b = torch.cat([b, b.new_zeros(n_batch, pad, width)], dim=1)
    a = a.reshape(n_batch, n_chunks, T, width)
    b = b.reshape(n_batch, n_chunks, T, width)
    order = list(range(T - 1, -1, -1)) if reverse else list(range(T))
    run = b[:, :, order[0]].clone()
    for t in order[1:]:
        torch.addcmul(b[:, :, t], a[:, :, t], run, out=run)
    exits = _scan_chunked(a.prod(dim=2), run, h0, reverse)
    entering = exits.new_zeros(n_batch, n_chunks, width) if h0 is None else h0.unsqueeze(1).repeat(1, n_chunks, 1)
    if reverse:
        entering[:, :-1] = exits[:, 1:]
    else:
        entering[:, 1:] = exits[:, :-1]
    h = torch.empty_like(b)
    torch.addcmul(b[:, :, order[0]], a[:, :, order[0]], entering, out=h[:, :, order[0]])
    for prev, t in zip(order, order[1:], strict=False):
        torch.addcmul(b[:, :, t], a[:, :, t], h[:, :, prev], out=h[:, :, t])
    return h.view(n_batch, n_chunks * T, width)[:, :length]


class _LinearScanFn(torch.autograd.Function):
    """Forward and backward by the chunked scan; inputs already (B, L, S), same dtype."""

    @staticmethod
    def forward(ctx, a, b, h0, reverse):
        with torch.no_grad():
            h = _scan_fast(a, b, h0, reverse)
        ctx.save_for_backward(a, h, h0)
        ctx.reverse = reverse
        return h

    @staticmethod
    def backward(ctx, grad_h):
        a, h, h0 = ctx.saved_tensors
        rev = ctx.reverse
        # g_t = grad_h_t + conj(a_next) g_next, where "next" is the step processed after t: the same
        # recurrence run in the opposite direction with the transitions shifted by one step.
        a_next = torch.empty_like(a)
        later, earlier = (slice(None, -1), slice(1, None)) if rev else (slice(1, None), slice(None, -1))
        a_next[:, earlier] = a[:, later].conj()
        a_next[:, -1 if not rev else 0] = 0
        g = _scan_fast(a_next, grad_h.contiguous(), None, not rev)
        grad_a = grad_h0 = None
        first = -1 if rev else 0
        if ctx.needs_input_grad[0]:
            grad_a = torch.empty_like(g)
            torch.mul(g[:, later], h[:, earlier].conj(), out=grad_a[:, later])
            grad_a[:, first] = 0 if h0 is None else g[:, first] * h0.conj()
        if h0 is not None and ctx.needs_input_grad[2]:
            grad_h0 = g[:, first] * a[:, first].conj()
        return grad_a, g, grad_h0, None


def _linear_scan_torch(a, b, h0, reverse):
    a, b = _broadcast(a, b)
    shape = b.shape
    n_batch, length = shape[:2]
    if length == 0:
        raise ValueError("b must have at least one time step (dimension 1), got length 0")
    a = a.reshape(n_batch, length, -1)
    b = b.reshape(n_batch, length, -1)
    if h0 is not None:
        h0 = h0.to(b.dtype).expand(n_batch, *shape[2:]).reshape(n_batch, -1)
    if torch.compiler.is_compiling():  # torch.export / torch.compile: out-of-place ops, any batch size
        h = _scan_doubling(a, b, h0, reverse).reshape(shape)
    else:
        h = _LinearScanFn.apply(a.contiguous(), b.contiguous(), h0, reverse).reshape(shape)
    return h, (h[:, 0] if reverse else h[:, -1])


def _scan_doubling(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None, reverse: bool = False):
    """Scan (B, L, S) tensors in ``ceil(log2 L)`` out-of-place steps (Hillis and Steele's doubling).

    After the step with shift ``d`` every ``(a_t, b_t)`` is the composition of the affine maps of steps
    ``t - 2d + 1 .. t``: ``(a_t a_{t-d}, b_t + a_t b_{t-d})``. ``O(L log L)`` work, but few graph nodes and no
    in-place writes, so that autograd differentiates it and ``torch.export`` traces it for any batch size.
    """
    if reverse:
        a, b = a.flip(1), b.flip(1)
    if h0 is not None:
        b = torch.cat([b[:, :1] + a[:, :1] * h0[:, None], b[:, 1:]], dim=1)
    shift = 1
    while shift < b.shape[1]:
        b = torch.cat([b[:, :shift], b[:, shift:] + a[:, shift:] * b[:, :-shift]], dim=1)
        a = torch.cat([a[:, :shift], a[:, shift:] * a[:, :-shift]], dim=1)
        shift *= 2
    return b.flip(1) if reverse else b


def linear_scan(
    a: torch.Tensor,
    b: torch.Tensor,
    h0: torch.Tensor | None = None,
    reverse: bool = False,
    lengths: torch.Tensor | None = None,
    backend: str = "auto",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Solve ``h_t = a_t * h_{t-1} + b_t`` along dimension 1.

    Parameters
    ----------
    a : Tensor, shape (B, L, S...) or broadcastable to ``b``, real or complex
        Decay (transition) per step.
    b : Tensor, shape (B, L, S...), real or complex
        Input per step.
    h0 : Tensor, shape (B, S...), optional
        Initial state (zero when omitted).
    reverse : bool
        Run backwards in time: ``h_t = a_t * h_{t+1} + b_t``.
    lengths : Tensor, shape (B,), int, optional
        Valid length of every row (variable-length batch): steps ``t >= lengths[i]`` leave the state unchanged
        (``a = 1``, ``b = 0``).
    backend : {"auto", "reference", "torch", "triton", "cpu"}
        ``"auto"`` uses the Triton kernel for CUDA tensors (when triton is installed), the compiled CPU kernel
        for CPU tensors of one dtype (when a C compiler is present; :mod:`tsrnn.kernels.cpu`) and the torch
        path otherwise; ``"triton"`` on CPU tensors needs Triton's interpreter (``TRITON_INTERPRET=1``).

    Returns
    -------
    h : Tensor, shape (B, L, S...)
        Every state.
    h_last : Tensor, shape (B, S...)
        The final state (``h[:, -1]``, or ``h[:, 0]`` when ``reverse``).

    Examples
    --------
    >>> import torch
    >>> a = torch.full((1, 4, 1), 0.5)
    >>> b = torch.ones(1, 4, 1)
    >>> h, last = linear_scan(a, b)
    >>> h.flatten().tolist()
    [1.0, 1.5, 1.75, 1.875]
    """
    _check_scan_inputs(a, b, h0)
    if lengths is not None:
        lengths = _check_lengths(lengths, b)
    backend = resolve_backend(backend, op="linear_scan", triton_available=_triton_supports(b, explicit=backend),
                              cpu_available=cpu_supports(a, b, h0))
    if backend == "triton":
        return _linear_scan_triton(a, b, h0, reverse, lengths)
    if backend == "cpu":
        return _linear_scan_cpu(a, b, h0, reverse, lengths)
    if lengths is not None:
        keep = (torch.arange(b.shape[1], device=b.device)[None, :] < lengths[:, None]).reshape(
            *b.shape[:2], *([1] * (b.ndim - 2)))
        a, b = _broadcast(a, b)
        a, b = torch.where(keep, a, torch.ones_like(a)), torch.where(keep, b, torch.zeros_like(b))
    if backend == "reference":
        return linear_scan_ref(a, b, h0, reverse)
    return _linear_scan_torch(a, b, h0, reverse)


_TRITON_DTYPES = (torch.float32, torch.float16, torch.bfloat16, torch.complex64)


def _triton_supports(b: torch.Tensor, explicit: str) -> bool:
    """Triton kernels run CUDA tensors, or CPU tensors under the interpreter when asked for explicitly."""
    import importlib.util
    import os

    if importlib.util.find_spec("triton") is None or b.dtype not in _TRITON_DTYPES:
        return False
    return b.is_cuda or (explicit == "triton" and os.environ.get("TRITON_INTERPRET") == "1")


def _linear_scan_triton(a, b, h0, reverse, lengths):
    from tsrnn.kernels.linear_scan import TritonLinearScanFn

    a, b = _broadcast(a, b)
    shape = b.shape
    n_batch, length = shape[:2]
    a, b = a.reshape(n_batch, length, -1), b.reshape(n_batch, length, -1)
    if h0 is not None:
        h0 = h0.to(b.dtype).expand(n_batch, *shape[2:]).reshape(n_batch, -1)
    if lengths is None:
        lengths = torch.full((n_batch,), length, dtype=torch.int32, device=b.device)
    h = TritonLinearScanFn.apply(a, b, h0, lengths.to(device=b.device, dtype=torch.int32), reverse).reshape(shape)
    return h, (h[:, 0] if reverse else h[:, -1])


def cpu_supports(*tensors: torch.Tensor | None) -> bool:
    """Whether the compiled CPU scan can run these tensors (CPU, one supported dtype, compiler present; never
    while torch.compile / torch.export trace the op)."""
    from tsrnn.kernels import cpu

    return cpu.runnable(tensors, cpu.DTYPES, cpu.load)


def _linear_scan_cpu(a, b, h0, reverse, lengths):
    from tsrnn.kernels.cpu import CpuLinearScanFn

    a, b = _broadcast(a, b)
    shape = b.shape
    n_batch, length = shape[:2]
    a, b = a.reshape(n_batch, length, -1).contiguous(), b.reshape(n_batch, length, -1).contiguous()
    if h0 is not None:
        h0 = h0.expand(n_batch, *shape[2:]).reshape(n_batch, -1).contiguous()
    if lengths is not None:
        lengths = lengths.to(torch.int64).contiguous()
    h = CpuLinearScanFn.apply(a, b, h0, lengths, reverse).reshape(shape)
    return h, (h[:, 0] if reverse else h[:, -1])


def _check_lengths(lengths, b):
    if not isinstance(lengths, torch.Tensor) or lengths.shape != (b.shape[0],) or lengths.is_floating_point():
        raise ValueError(f"lengths must be an integer tensor of shape ({b.shape[0]},), got {lengths!r}")
    if (lengths < 1).any() or (lengths > b.shape[1]).any():
        raise ValueError(f"lengths must lie in [1, {b.shape[1]}], got {lengths.tolist()}")
    return lengths


def _check_scan_inputs(a, b, h0):
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
        raise TypeError(f"a and b must be torch.Tensor, got {type(a).__name__} and {type(b).__name__}")
    if b.ndim < 2:
        raise ValueError(f"b must have shape (B, L, S...), got shape {tuple(b.shape)}")
    try:
        torch.broadcast_shapes(a.shape, b.shape)
    except RuntimeError:
        raise ValueError(f"a of shape {tuple(a.shape)} does not broadcast to b of shape {tuple(b.shape)}") from None
    if torch.broadcast_shapes(a.shape, b.shape) != b.shape:
        raise ValueError(f"a of shape {tuple(a.shape)} must broadcast to b's shape {tuple(b.shape)}")
    if h0 is not None:
        want = (b.shape[0], *b.shape[2:])
        try:
            ok = torch.broadcast_shapes(h0.shape, want) == want
        except RuntimeError:
            ok = False
        if not ok:
            raise ValueError(f"h0 must have shape {want}, got {tuple(h0.shape)}")
