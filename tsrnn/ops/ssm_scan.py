r"""Fused discretize-and-scan for diagonal state-space models (S5, S4D recurrent mode, LSSL-diagonal).

With per-state steps ``Delta_p`` and optional per-step time gaps ``dt_{b,t}``::

    Delta_{b,t,p} = Delta_p * dt_{b,t}
    lambda_bar, gamma = discretize(Lambda_p, Delta_{b,t,p})
    h_{b,t} = lambda_bar * h_{b,t-1} + gamma * (B u_{b,t})
    y_{b,t} = k * Re(C h_{b,t}) + D * u_{b,t}          (k = 2 with conjugate symmetry, else 1)

Steps where ``mask`` is False leave the state unchanged (``lambda_bar = 1``, no input): that is how padded
steps of unequal-length batches are skipped.

Two structures share the op. *MIMO* (S5): one system with ``P`` states mixing all ``H`` channels,
``Lambda`` (P,), ``B`` (P, H), ``C`` (H_out, P), state (B, P). *SISO per channel* (S4D, the recurrent view
of convolutional SSMs): ``H`` independent systems with ``N`` states each, ``Lambda``, ``B``, ``C`` all
(H, N), per-channel steps (H,), state (B, H, N), ``y_h = k Re(sum_n C_hn h_hn) + D_h u_h``.
"""

from __future__ import annotations

import torch

from tsrnn.ops._dispatch import resolve_backend
from tsrnn.ops.discretize import METHODS, discretize_diag
from tsrnn.ops.scan import _triton_supports, cpu_supports, linear_scan


def _project_in(u, B):
    """``B u`` for real ``u`` (B, L, H) and complex ``B`` (P, H) as one real GEMM -> complex (B, L, P)."""
    P, H = B.shape
    W = torch.view_as_real(B).permute(0, 2, 1).reshape(2 * P, H)  # rows: Re B_0, Im B_0, Re B_1, ...
    out = u.to(W.dtype) @ W.transpose(0, 1)
    return torch.view_as_complex(out.view(*u.shape[:2], P, 2))


def _project_out(h, C, D, u, conj_sym):
    """``k Re(C h) + D u`` as one real GEMM on the (re, im) pairs of ``h``; (B, L, P) -> (B, L, H_out)."""
    H_out, P = C.shape
    sign = torch.tensor([2.0 if conj_sym else 1.0, -2.0 if conj_sym else -1.0], dtype=C.real.dtype, device=C.device)
    W = (torch.view_as_real(C) * sign).reshape(H_out, 2 * P)  # Re(C h) = C_re h_re - C_im h_im
    y = torch.view_as_real(h).reshape(*h.shape[:2], 2 * P) @ W.transpose(0, 1)
    return y if D is None else y + D * u


def _delta(step, dt, siso):
    """Per-state (and per-step) steps: (P,) / (H, 1), or (B, L, P) / (B, L, H, 1) with gaps."""
    step = step[:, None] if siso else step
    if dt is None:
        return step
    return (dt[..., None, None] if siso else dt[..., None]).to(step.dtype) * step


def diag_ssm_scan_ref(u, Lambda, B, C, D=None, step=None, dt=None, mask=None, method="zoh", conj_sym=True,
                      h0=None, reverse=False):
    """Reference of :func:`diag_ssm_scan`: a Python loop over time that discretizes at every step.

    Parameters and returns are those of :func:`diag_ssm_scan`.
    """
    siso = Lambda.ndim == 2
    n_batch, length, _ = u.shape
    h = torch.zeros(n_batch, *Lambda.shape, dtype=Lambda.dtype, device=u.device) if h0 is None else h0
    step = torch.ones(Lambda.shape[0], dtype=Lambda.real.dtype, device=u.device) if step is None else step
    k = 2.0 if conj_sym else 1.0
    ys = [None] * length
    order = range(length - 1, -1, -1) if reverse else range(length)
    for t in order:
        delta = _delta(step, None if dt is None else dt[:, t : t + 1], siso)
        delta = delta[:, 0] if dt is not None else delta
        a, g = discretize_diag(Lambda, delta, method)
        if siso:
            bu = u[:, t, :, None].to(Lambda.dtype) * B
        else:
            bu = u[:, t].to(Lambda.dtype) @ B.transpose(0, 1)
        h_new = a * h + g * bu
        if mask is not None:
            keep = mask[:, t].reshape(n_batch, *([1] * (h.ndim - 1)))
            h_new = torch.where(keep, h_new, h)
        h = h_new
        y = k * ((h * C).sum(-1) if siso else h @ C.transpose(0, 1)).real
        ys[t] = y if D is None else y + D * u[:, t]
    return torch.stack(ys, dim=1), h


def diag_ssm_scan(
    u: torch.Tensor,
    Lambda: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor | None = None,
    step: torch.Tensor | None = None,
    dt: torch.Tensor | None = None,
    mask: torch.Tensor | None = None,
    method: str = "zoh",
    conj_sym: bool = True,
    h0: torch.Tensor | None = None,
    reverse: bool = False,
    backend: str = "auto",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Discretize a diagonal SSM per step and run it over a sequence.

    Parameters
    ----------
    u : Tensor, shape (B, L, H), real
        Input sequence.
    Lambda : Tensor, shape (P,) (MIMO) or (H, N) (SISO per channel), complex
        Continuous-time eigenvalues (``Re < 0`` for stability).
    B : Tensor, shape (P, H) or (H, N), complex
        Input matrix in the eigenbasis.
    C : Tensor, shape (H_out, P) or (H, N), complex
        Output matrix in the eigenbasis.
    D : Tensor, shape (H,), real, optional
        Feedthrough (requires ``H_out == H``).
    step : Tensor, shape (P,) or (H,), real, optional
        Per-state (MIMO) or per-channel (SISO) step ``Delta > 0`` (1 when omitted).
    dt : Tensor, shape (B, L), real, optional
        Per-step time gaps multiplying ``step`` (irregular sampling); 1 when omitted.
    mask : Tensor, shape (B, L), bool, optional
        False marks steps that leave the state unchanged (padding).
    method : {"zoh", "bilinear", "euler", "backward_euler"}
    conj_sym : bool
        ``Lambda`` holds one of each conjugate pair; the output is ``2 Re(C h)``.
    h0 : Tensor, shape (B, P) or (B, H, N), complex, optional
    reverse : bool
        Scan from the last step to the first.
    backend : {"auto", "reference", "torch", "triton"}
        ``"triton"`` (``"auto"`` on CUDA, complex64 parameters): SISO systems run the fused kernel of
        :mod:`tsrnn.kernels.diag_ssm_scan`; MIMO systems run the generic Triton scan between two GEMMs.
        ``"cpu"`` (``"auto"`` on CPU with a C compiler): SISO systems run the fused compiled kernel of
        :mod:`tsrnn.kernels.cpu`; MIMO systems its generic scan between the torch discretization and GEMMs.

    Returns
    -------
    y : Tensor, shape (B, L, H_out), real
    h_last : Tensor, shape (B, P) or (B, H, N), complex
        The state after the last processed step.

    Examples
    --------
    >>> import torch
    >>> lam = torch.tensor([-0.5 + 0.0j])
    >>> y, h = diag_ssm_scan(torch.ones(1, 3, 1), lam, torch.ones(1, 1, dtype=torch.cfloat),
    ...                      torch.ones(1, 1, dtype=torch.cfloat), conj_sym=False)
    >>> y.shape, h.shape
    (torch.Size([1, 3, 1]), torch.Size([1, 1]))
    """
    _check_ssm_inputs(u, Lambda, B, C, D, step, dt, mask, h0)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    backend = resolve_backend(backend, op="diag_ssm_scan",
                              triton_available=_triton_supports(u, explicit=backend) and Lambda.dtype == torch.complex64,
                              cpu_available=cpu_supports(Lambda))
    if backend == "reference":
        return diag_ssm_scan_ref(u, Lambda, B, C, D, step, dt, mask, method, conj_sym, h0, reverse)
    siso = Lambda.ndim == 2
    step = torch.ones(Lambda.shape[0], dtype=Lambda.real.dtype, device=u.device) if step is None else step
    if backend in ("triton", "cpu") and siso:
        return _diag_ssm_scan_fused(backend, u, Lambda, B, C, D, step, dt, mask, method, conj_sym, h0, reverse)
    a, gamma = discretize_diag(Lambda, _delta(step, dt, siso), method)
    bu = gamma * (u.unsqueeze(-1).to(Lambda.dtype) * B if siso else _project_in(u, B))
    if mask is not None:
        keep = mask.reshape(*mask.shape, *([1] * (bu.ndim - 2)))
        a = torch.where(keep, a, torch.ones_like(a))
        bu = torch.where(keep, bu, torch.zeros_like(bu))
    # MIMO on "cpu" and "triton": discretization and projections in torch around the compiled scan
    h, h_last = linear_scan(a, bu, None if h0 is None else h0.to(bu.dtype), reverse=reverse, backend=backend)
    if siso:
        y = (2.0 if conj_sym else 1.0) * torch.einsum("blhn,hn->blh", h, C).real
        return (y if D is None else y + D * u), h_last
    return _project_out(h, C, D, u, conj_sym), h_last


def _diag_ssm_scan_fused(backend, u, Lambda, B, C, D, step, dt, mask, method, conj_sym, h0, reverse):
    """SISO systems through a fused kernel (state kept local, only ``y`` and chunk checkpoints written): Triton's
    (fp32 state, any input precision) or the compiled CPU one (in ``Lambda``'s precision)."""
    if backend == "triton":
        from tsrnn.kernels.diag_ssm_scan import TritonDiagSSMScanFn as Fn
    else:
        from tsrnn.kernels.cpu import CpuDiagSSMScanFn as Fn

        real = Lambda.real.dtype
        u, step, D, dt = (None if x is None else x.to(real) for x in (u, step, D, dt))
    h0_real = None if h0 is None else torch.view_as_real(h0.to(Lambda.dtype))
    y, h_last = Fn.apply(u, torch.view_as_real(Lambda), torch.view_as_real(B), torch.view_as_real(C), D, step, dt,
                         mask, h0_real, method, 2.0 if conj_sym else 1.0, reverse)
    return y, torch.view_as_complex(h_last.to(torch.float64 if Lambda.dtype == torch.complex128 else torch.float32))


def _check_ssm_inputs(u, Lambda, B, C, D, step, dt, mask, h0):
    if u.ndim != 3:
        raise ValueError(f"u must have shape (B, L, H), got {tuple(u.shape)}")
    n_batch, length, width = u.shape
    if Lambda.ndim == 2:  # SISO per channel
        if Lambda.shape[0] != width:
            raise ValueError(f"Lambda must have shape (H, N) with H = {width}, got {tuple(Lambda.shape)}")
        for name, value in (("B", B), ("C", C)):
            if value.shape != Lambda.shape:
                raise ValueError(f"{name} must have Lambda's shape {tuple(Lambda.shape)}, got {tuple(value.shape)}")
        state, n_steps = tuple(Lambda.shape), width
    elif Lambda.ndim == 1:
        P = Lambda.shape[0]
        if B.shape != (P, width):
            raise ValueError(f"B must have shape (P, H) = {(P, width)}, got {tuple(B.shape)}")
        if C.ndim != 2 or C.shape[1] != P:
            raise ValueError(f"C must have shape (H_out, {P}), got {tuple(C.shape)}")
        state, n_steps = (P,), P
    else:
        raise ValueError(f"Lambda must have shape (P,) or (H, N), got {tuple(Lambda.shape)}")
    if D is not None and (D.shape != (width,) or (Lambda.ndim == 1 and C.shape[0] != width)):
        raise ValueError(f"D must have shape ({width},) and the output width must be {width}, got D {tuple(D.shape)}")
    if step is not None and step.shape != (n_steps,):
        raise ValueError(f"step must have shape ({n_steps},), got {tuple(step.shape)}")
    if dt is not None and dt.shape != (n_batch, length):
        raise ValueError(f"dt must have shape (B, L) = {(n_batch, length)}, got {tuple(dt.shape)}")
    if mask is not None and (mask.shape != (n_batch, length) or mask.dtype != torch.bool):
        raise ValueError(f"mask must be a bool tensor of shape {(n_batch, length)}, got {mask.dtype} {tuple(mask.shape)}")
    if h0 is not None and tuple(h0.shape) != (n_batch, *state):
        raise ValueError(f"h0 must have shape {(n_batch, *state)}, got {tuple(h0.shape)}")
