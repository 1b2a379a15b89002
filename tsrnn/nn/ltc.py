r"""LTC: liquid time-constant networks (Hasani, Lechner, Amini, Rus & Grosu, AAAI 2021), conductance form.

Neuron ``j``'s potential ``v_j`` follows, with synapse activations ``s_ij = sigmoid(sigma_ij (v_i - mu_ij))``
from neuron ``i`` and ``s~_kj = sigmoid(sigma~_kj (u_k - mu~_kj))`` from (affinely mapped) input ``k``::

    c_j dv_j/dt = g_j (e_j - v_j) + sum_i W_ij s_ij (E_ij - v_j) + sum_k W~_kj s~_kj (E~_kj - v_j)

``c``, ``g``, ``W``, ``W~`` are kept positive by softplus; ``W`` and ``W~`` are masked by the wiring, whose
polarities initialize the reversal potentials ``E``, ``E~``. Dividing by ``c`` gives the paper's
``dx/dt = -(1/tau + f) x + f A`` form (with different ``f`` in the two terms; ncps #57).

Solvers, per observation of elapsed time ``dt`` (the input held constant):

- ``"fused"`` (default): the paper's fused semi-implicit Euler step, ``ode_unfolds`` times with
  ``Delta = dt / ode_unfolds``::

      v <- (c/Delta v + g e + sum W s E + sum W~ s~ E~) / (c/Delta + g + sum W s + sum W~ s~ + eps)

  unconditionally stable (positive denominator).
- any torchdiffeq method (``"dopri5"``, ``"rk4"``, ``"euler"``, ...): the ODE above solved over
  ``[0, dt]`` per sample (as ``dv/ds = dt f(v)`` on ``s in [0, 1]``, so a batch may mix gaps), optionally with
  the adjoint method.

The output is the first ``output_dim`` (motor) neurons, mapped affinely. Speed: the input mapping and the
sensory sums depend on the input only and run for all steps at once; the positive, masked weights are
computed once per sequence, not per step. On CPU, where a C compiler is present, the fused solver runs as the
compiled kernel :class:`tsrnn.kernels.cpu_ltc.CpuFusedLTCFn` (the sensory synapses included, a hand-written
backward): over the whole sequence, or with mixed memory one step at a time between the LSTM updates. Elsewhere
it runs as :class:`_FusedLTCSequence` (whole sequence, hand-written backward) without mixed memory and as the
autograd step loop with it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tsrnn.nn.recurrent import LSTMMemory, RecurrentLayer
from tsrnn.nn.wirings import FullyConnected, Wiring
from tsrnn.ops._dispatch import resolve_backend

#: Uniform initialization ranges (ncps' defaults).
INIT_RANGES = {"gleak": (0.001, 1.0), "vleak": (-0.2, 0.2), "cm": (0.4, 0.6), "w": (0.001, 1.0), "sigma": (3.0, 8.0),
               "mu": (0.3, 0.8), "sensory_w": (0.001, 1.0), "sensory_sigma": (3.0, 8.0), "sensory_mu": (0.3, 0.8)}
MAPPINGS = ("affine", "linear", None)
#: Parameters the vector field reads directly (the sensory ones enter through the precomputed sensory sums).
FIELD_PARAMS = ("gleak", "vleak", "cm", "sigma", "mu", "w", "erev")
#: Elements of the (B, chunk, inputs, units) sensory tensor computed at once.
SENSORY_CHUNK = 1 << 22


def _check_solver(solver):
    """Raise a ``ValueError`` naming ``solver`` unless it is ``"fused"`` or one of torchdiffeq's methods."""
    try:  # torchdiffeq lists its methods only in a private module; if that moves, torchdiffeq checks at solve time
        from torchdiffeq._impl.odeint import SOLVERS
    except ImportError:
        return
    if solver != "fused" and solver not in SOLVERS:
        raise ValueError(f"solver must be 'fused' or a torchdiffeq method ({', '.join(sorted(SOLVERS))}), "
                         f"got {solver!r}")


class LTC(RecurrentLayer):
    """An LTC layer over sequences.

    Parameters
    ----------
    input_size : int
    units : int or Wiring
        Neurons (fully connected, all of them motor neurons) or a wiring with ``input_dim == input_size``.
    ode_unfolds : int
        Fused solver steps per observation.
    epsilon : float
        Added to the fused step's denominator.
    input_mapping, output_mapping : {"affine", "linear", None}
        Per-channel scale (and shift) of the inputs and of the motor outputs.
    mixed_memory : bool
        An LSTM memory update before every LTC update (state ``(v, c)``).
    solver : str
        ``"fused"`` or a torchdiffeq method name.
    solver_options : dict, optional
        Passed to ``torchdiffeq.odeint`` (``rtol``, ``atol``, ``options``).
    adjoint : bool
        Use ``torchdiffeq.odeint_adjoint`` (O(1) memory in the number of solver steps).

    Examples
    --------
    >>> import torch
    >>> y, (v,) = LTC(3, 6)(torch.randn(2, 5, 3), dt=torch.rand(2, 5) + 0.5)
    >>> y.shape, v.shape
    (torch.Size([2, 5, 6]), torch.Size([2, 6]))
    """

    def __init__(self, input_size, units, ode_unfolds=6, epsilon=1e-8, input_mapping="affine", output_mapping="affine",
                 mixed_memory=False, solver="fused", solver_options=None, adjoint=False):
        super().__init__()
        wiring = units if isinstance(units, Wiring) else FullyConnected(int(units), input_size)
        if wiring.input_dim != input_size:
            raise ValueError(f"the wiring has input_dim {wiring.input_dim}, the layer input_size {input_size}")
        for name, value in (("input_mapping", input_mapping), ("output_mapping", output_mapping)):
            if value not in MAPPINGS:
                raise ValueError(f"{name} must be one of {MAPPINGS}, got {value!r}")
        if int(ode_unfolds) < 1:
            raise ValueError(f"ode_unfolds must be >= 1, got {ode_unfolds}")
        _check_solver(solver)
        if solver == "fused" and (adjoint or solver_options):
            raise ValueError(f"{'adjoint' if adjoint else 'solver_options'} applies to torchdiffeq solvers only, "
                             "not to solver='fused'")
        self.wiring, self.input_size, self.units, self.d_out = wiring, input_size, wiring.units, wiring.output_dim
        self.ode_unfolds, self.epsilon, self.solver = int(ode_unfolds), epsilon, solver
        self.solver_options, self.adjoint = dict(solver_options or {}), adjoint
        self.input_mapping, self.output_mapping = input_mapping, output_mapping
        N, M = self.units, input_size
        for name, shape in (("gleak", (N,)), ("vleak", (N,)), ("cm", (N,)), ("sigma", (N, N)), ("mu", (N, N)),
                            ("w", (N, N)), ("sensory_sigma", (M, N)), ("sensory_mu", (M, N)), ("sensory_w", (M, N))):
            low, high = INIT_RANGES[name]
            self.register_parameter(name, nn.Parameter(torch.rand(shape) * (high - low) + low))
        self.erev = nn.Parameter(torch.as_tensor(wiring.adjacency, dtype=torch.float32).clone())
        self.sensory_erev = nn.Parameter(torch.as_tensor(wiring.sensory_adjacency, dtype=torch.float32).clone())
        self.register_buffer("sparsity_mask", torch.as_tensor(wiring.adjacency, dtype=torch.float32).abs())
        self.register_buffer("sensory_sparsity_mask", torch.as_tensor(wiring.sensory_adjacency, dtype=torch.float32).abs())
        self.input_w = nn.Parameter(torch.ones(M)) if input_mapping else None
        self.input_b = nn.Parameter(torch.zeros(M)) if input_mapping == "affine" else None
        self.output_w = nn.Parameter(torch.ones(self.d_out)) if output_mapping else None
        self.output_b = nn.Parameter(torch.zeros(self.d_out)) if output_mapping == "affine" else None
        self.memory = LSTMMemory(input_size, N) if mixed_memory else None
        #: Use the fused sequence solver where it applies (the autograd loop is its reference in the tests).
        self.use_fused = True
        #: Let the fused solver run as the compiled CPU kernel where it can (it and the torch version are both pinned
        #: to the autograd loop in the tests).
        self.use_kernel = True

    def forward(self, x, dt=None, mask=None, h0=None):
        """Run a whole sequence (see :meth:`RecurrentLayer.forward`). The fused solver runs as one autograd node with
        a hand-written backward (the compiled kernel or :class:`_FusedLTCSequence`); with mixed memory, as the
        compiled kernel one step at a time between the LSTM updates, else as the autograd step loop."""
        if not (self._fused_loop() and self.solver == "fused"):
            return super().forward(x, dt=dt, mask=mask, h0=h0)
        state = self.initial_state(x.shape[0], x.device, x.dtype) if h0 is None else tuple(h0)
        kernel = self._compiled_kernel(x, *state, dt)
        if self.memory is not None:
            return self._kernel_with_memory(x, dt, mask, state) if kernel else super().forward(x, dt, mask, h0)
        if kernel:
            v = self._kernel(self._map_inputs(x), state[0], dt, mask)
        else:
            ctx = self.prepare()
            v = _FusedLTCSequence.apply(self.project_inputs(x), state[0], dt, mask, ctx["we"], ctx["w"], ctx["sigma"],
                                        ctx["neg_sigma_mu"], ctx["cm"], ctx["gleak"], ctx["gleak"] * self.vleak,
                                        self.ode_unfolds, self.epsilon)
        return self.output((v,)), (v[:, -1],)

    def step(self, x_t, state, dt_t=None):
        """One streaming step (see :meth:`RecurrentLayer.step`); the fused solver runs it as :meth:`forward` runs a
        sequence of one step (on the compiled kernel where it applies)."""
        if not (self._fused_loop() and self.solver == "fused"):
            return super().step(x_t, state, dt_t)
        y, state = self(x_t[:, None], dt=None if dt_t is None else dt_t[:, None], h0=state)
        return y[:, 0], state

    def _kernel(self, u, v0, dt, mask, weights=None):
        """The compiled fused solver over mapped inputs ``u`` (B, L, input_size) from ``v0`` (B, N): the
        potentials after every step, (B, L, N). ``weights``: the kernel's weight arguments when already computed
        (:meth:`_kernel_weights`)."""
        from tsrnn.kernels.cpu_ltc import CpuFusedLTCFn

        return CpuFusedLTCFn.apply(u, v0, dt, mask, *(weights or self._kernel_weights()), self.ode_unfolds,
                                   self.epsilon, torch.is_grad_enabled())

    def _kernel_weights(self):
        """The compiled solver's weight arguments: the sensory and recurrent synapses, ``cm``, ``gleak``, and
        ``gleak * vleak``."""
        cm, gleak = F.softplus(self.cm), F.softplus(self.gleak)
        return (*self.synapses(sensory=True), *self.synapses(), cm, gleak, gleak * self.vleak)

    def _kernel_with_memory(self, x, dt, mask, state):
        """Mixed memory on the compiled solver: per step the LSTM update of ``(v, c)``, then one kernel call for the
        step (its synapses computed once per sequence). Returns what :meth:`forward` does."""
        length = x.shape[1]
        # per step, contiguous one-step slices (B, 1, ...), laid out once instead of copied by every kernel call
        u = self._map_inputs(x).transpose(0, 1).contiguous()[:, :, None]
        gaps = [None] * length if dt is None else dt.t().contiguous()[:, :, None]
        keeps = [None] * length if mask is None else mask.t().contiguous()[:, :, None]
        memory_inputs = self.memory.project_inputs(x).unbind(1)
        weights = self._kernel_weights()
        v, c = state
        outputs = []
        for t in range(length):
            # the kernel skips masked steps (their inputs may be missing); the LSTM's update is undone below
            h, c_new = self.memory(memory_inputs[t], v, c)
            v_new = self._kernel(u[t], h, gaps[t], keeps[t], weights)[:, 0]
            if mask is not None:
                v_new, c_new = torch.where(keeps[t], v_new, v), torch.where(keeps[t], c_new, c)
            v, c = v_new, c_new
            outputs.append(v)
        return self.output((torch.stack(outputs, dim=1),)), (v, c)

    def _compiled_kernel(self, *tensors):
        """Whether the fused solver runs as the compiled CPU kernel (:mod:`tsrnn.kernels.cpu_ltc`): CPU tensors of
        one float dtype and a C compiler, unless ``TSRNN_BACKEND`` forces another backend or ``use_kernel`` is
        False; else the torch implementation (:class:`_FusedLTCSequence`) runs."""
        if not self.use_kernel:
            return False
        from tsrnn.kernels import cpu_ltc

        available = cpu_ltc.supports(*tensors, *self.parameters())
        return resolve_backend("auto", op="LTC", cpu_available=available) == "cpu"

    def synapses(self, sensory=False):
        """The recurrent (or sensory) synapses' ``W E``, ``W``, ``sigma`` and ``-sigma mu``, each laid out
        (source, target): (N, N), or (input_size, N); ``W`` is positive (softplus) and masked by the wiring."""
        prefix = "sensory_" if sensory else ""
        w = F.softplus(getattr(self, prefix + "w")) * getattr(self, prefix + "sparsity_mask")
        sigma = getattr(self, prefix + "sigma")
        return w * getattr(self, prefix + "erev"), w, sigma, -sigma * getattr(self, prefix + "mu")

    def _map_inputs(self, x):
        if self.input_w is not None:
            x = x * self.input_w
        return x if self.input_b is None else x + self.input_b

    def project_inputs(self, x):
        """Sensory numerator and denominator sums for all steps, (B, L, 2N) (plus the LSTM input map)."""
        u = self._map_inputs(x)
        we, w, sigma, neg_sigma_mu = self.synapses(sensory=True)
        n_batch, length, M = u.shape
        # steps per chunk; an exported program's batch size is not fixed, so torch.export chunks as for one sample
        rows = 1 if torch.compiler.is_compiling() else n_batch
        step = max(1, SENSORY_CHUNK // max(1, rows * M * self.units))
        parts = []
        for start in range(0, length, step):
            s = torch.sigmoid(torch.addcmul(neg_sigma_mu, sigma, u[:, start : start + step, :, None]))
            parts.append(torch.cat([(s * we).sum(2), (s * w).sum(2)], dim=-1))
        p = torch.cat(parts, dim=1)
        return p if self.memory is None else torch.cat([p, self.memory.project_inputs(x)], dim=-1)

    def prepare(self):
        # laid out (N_post, N_pre): the sums run along memory
        we, w, sigma, neg_sigma_mu = (p.t().contiguous() for p in self.synapses())
        return {"we": we, "w": w, "sigma": sigma, "neg_sigma_mu": neg_sigma_mu, "cm": F.softplus(self.cm),
                "gleak": F.softplus(self.gleak)}

    def _synaptic(self, v, ctx):
        """Recurrent numerator and denominator sums ``sum_i W_ij s_ij E_ij`` and ``sum_i W_ij s_ij``, (B, N) each,
        with ``s_ij = sigmoid(sigma_ij v_i - sigma_ij mu_ij)`` held as (B, N_post j, N_pre i)."""
        s = torch.sigmoid(torch.addcmul(ctx["neg_sigma_mu"], ctx["sigma"], v[:, None, :]))
        return (s * ctx["we"]).sum(-1), (s * ctx["w"]).sum(-1)

    def vector_field(self, v, sensory, ctx):
        """``dv/dt`` of the LTC ODE at potentials ``v`` (B, N) with the step's sensory sums (B, 2N)."""
        num, den = self._synaptic(v, ctx)
        sens_num, sens_den = sensory.chunk(2, dim=-1)
        return (ctx["gleak"] * (self.vleak - v) + num + sens_num - (den + sens_den) * v) / ctx["cm"]

    def cell(self, p_t, state, dt_t, ctx):
        v = state[0]
        if self.memory is not None:
            v, c = self.memory(p_t[:, 2 * self.units :], v, state[1])
            p_t = p_t[:, : 2 * self.units]
        dt = v.new_ones(v.shape[0], 1) if dt_t is None else dt_t.to(v.dtype)[:, None]
        if self.solver == "fused":
            v = self._fused(v, p_t, dt, ctx)
        else:
            v = self._odeint(v, p_t, dt, ctx)
        return (v, c) if self.memory is not None else (v,)

    def _fused(self, v, sensory, dt, ctx):
        sens_num, sens_den = sensory.chunk(2, dim=-1)
        cm_t = ctx["cm"] * self.ode_unfolds / dt  # c / Delta, (B, N)
        leak = ctx["gleak"] * self.vleak
        for _ in range(self.ode_unfolds):
            num, den = self._synaptic(v, ctx)
            v = (cm_t * v + leak + num + sens_num) / (cm_t + ctx["gleak"] + den + sens_den + self.epsilon)
        return v

    def _odeint(self, v, sensory, dt, ctx):
        import torchdiffeq

        # The adjoint method differentiates through adjoint_params only, each exactly once: the field derives
        # its weights from the recurrent parameters at every evaluation, and the sensory sums (which carry
        # the sensory parameters' gradients through the outer graph) are passed as they are.
        func = _RescaledField(self, sensory, dt, None if self.adjoint else ctx)
        span = torch.tensor([0.0, 1.0], dtype=v.dtype, device=v.device)
        if self.adjoint:
            params = tuple(getattr(self, name) for name in FIELD_PARAMS) + (sensory, dt)
            return torchdiffeq.odeint_adjoint(func, v, span, method=self.solver,
                                              adjoint_params=tuple(p for p in params if p.requires_grad),
                                              **self.solver_options)[-1]
        return torchdiffeq.odeint(func, v, span, method=self.solver, **self.solver_options)[-1]

    def output(self, state):
        """Motor neurons of the state (..., units), mapped: (..., output_dim)."""
        y = state[0][..., : self.d_out]
        if self.output_w is not None:
            y = y * self.output_w
        return y if self.output_b is None else y + self.output_b

    def initial_state(self, batch_size, device=None, dtype=None):
        zeros = torch.zeros(batch_size, self.units, device=device, dtype=dtype or torch.get_default_dtype())
        return (zeros, zeros.clone()) if self.memory is not None else (zeros,)


class _RescaledField(nn.Module):
    """``dv/ds = dt f(v)`` on ``s in [0, 1]``: one solve covers per-sample gaps."""

    def __init__(self, layer, sensory, dt, ctx):
        super().__init__()
        self.layer, self.sensory, self.dt, self.ctx = layer, sensory, dt, ctx

    def forward(self, s, v):
        ctx = self.layer.prepare() if self.ctx is None else self.ctx
        return self.dt * self.layer.vector_field(v, self.sensory, ctx)


class _FusedLTCSequence(torch.autograd.Function):
    """The fused LTC solver over a whole sequence with a hand-written backpropagation through time.

    The synapse activations are held as (N_post, B, N_pre), so that the numerator and denominator sums of
    every solver step are one batched GEMM against the stacked ``(W E, W)`` weights, and the backward's
    activation gradient is one batched GEMM back. The forward keeps each solver step's potentials and
    denominator (small, (B, N)); the backward recomputes the (N, B, N) activations from them (storing them
    would cost ``L * ode_unfolds`` of those tensors) and accumulates the weight gradients in place. Pinned to
    the autograd loop in the tests.

    Inputs: sensory sums ``sens`` (B, L, 2N), ``v0`` (B, N), gaps ``dt`` (B, L) or None, ``mask`` (B, L) or
    None, ``we`` and ``w`` (N_post, N_pre), ``sigma`` and ``neg_sigma_mu`` (N_post, N_pre), ``cm``, ``gleak``
    and ``leak = gleak * vleak`` (N,), ``ode_unfolds``, ``epsilon``. Returns the potentials (B, L, N).
    """

    @staticmethod
    def forward(ctx, sens, v0, dt, mask, we, w, sigma, neg_sigma_mu, cm, gleak, leak, unfolds, eps):
        n_batch, length, _ = sens.shape
        n = v0.shape[1]
        # (N_post, 2, N_pre); the forward GEMM reads it transposed (MKL's batched GEMM is several times faster
        # with this operand transposed than with a contiguous (N_post, N_pre, 2))
        weights_t = torch.stack([we, w], dim=1)
        weights = weights_t.transpose(1, 2)
        sig, nsm = sigma[:, None, :], neg_sigma_mu[:, None, :]
        cm_t = _cm_steps(cm, dt, unfolds, length, sens.dtype)  # (L, B or 1, N): c / Delta
        sens_t = sens.transpose(0, 1)
        base_num = sens_t[..., :n] + leak  # (L, B, N)
        base_den = sens_t[..., n:] + (cm_t + gleak + eps)
        potentials = v0.new_empty(length, unfolds + 1, n_batch, n)  # every solver step's input, then its result
        inv_den = v0.new_empty(length, unfolds, n_batch, n)
        y = v0.new_empty(length, n_batch, n)
        syn = v0.new_empty(n, n_batch, n)
        v = v0
        for t in range(length):
            potentials[t, 0] = v
            for k in range(unfolds):
                torch.addcmul(nsm, sig, v, out=syn).sigmoid_()
                sums = torch.bmm(syn, weights)  # (N_post, B, 2)
                den = torch.add(base_den[t], sums[..., 1].t(), out=inv_den[t, k]).reciprocal_()
                v = torch.addcmul(base_num[t], cm_t[t], v).add_(sums[..., 0].t()).mul_(den)
                potentials[t, k + 1] = v
            if mask is not None:
                v = torch.where(mask[:, t, None], v, y[t - 1] if t else v0)
            y[t] = v
        ctx.save_for_backward(v0, dt, mask, weights_t, sigma, neg_sigma_mu, cm, potentials, inv_den, cm_t)
        ctx.unfolds = unfolds
        return y.transpose(0, 1)

    @staticmethod
    def backward(ctx, grad_y):
        v0, dt, mask, weights_t, sigma, neg_sigma_mu, cm, potentials, inv_den, cm_t = ctx.saved_tensors
        unfolds = ctx.unfolds
        length, _, n_batch, n = potentials.shape
        sig, nsm = sigma[:, None, :], neg_sigma_mu[:, None, :]
        grad_steps = grad_y.transpose(0, 1)
        keep = None if mask is None else mask.t().to(v0.dtype)[..., None]  # (L, B, 1)
        d_num, d_den = v0.new_empty(length, n_batch, n), v0.new_empty(length, n_batch, n)  # d base_num / base_den
        d_cm_t = v0.new_empty(length, n_batch, n)
        d_weights = weights_t.new_zeros(n, 2, n)  # (N_post, 2, N_pre)
        d_sigma, d_nsm = torch.zeros_like(sigma), torch.zeros_like(neg_sigma_mu)
        syn, d_syn, tmp = (v0.new_empty(n, n_batch, n) for _ in range(3))
        # per solver step, d loss / d (numerator, denominator) laid out (N_post, B, 2) for the batched GEMMs;
        # g_num / g_den are (B, N) views into it
        d_sums = v0.new_empty(unfolds, n, n_batch, 2)
        g_num, g_den = d_sums[..., 0].transpose(1, 2).unbind(0), d_sums[..., 1].transpose(1, 2).unbind(0)
        dv = torch.zeros_like(v0)
        for t in range(length - 1, -1, -1):
            dv = dv + grad_steps[t]
            if keep is not None:  # v_t = keep * solver result + (1 - keep) * v_{t-1}
                carry, dv = dv * (1.0 - keep[t]), dv * keep[t]
            for k in range(unfolds - 1, -1, -1):
                v = potentials[t, k]
                torch.mul(dv, inv_den[t, k], out=g_num[k])  # d loss / d numerator
                torch.mul(g_num[k], potentials[t, k + 1], out=g_den[k]).neg_()  # d loss / d denominator
                torch.addcmul(nsm, sig, v, out=syn).sigmoid_()
                d_weights.baddbmm_(d_sums[k].transpose(1, 2), syn)
                torch.bmm(d_sums[k], weights_t, out=d_syn)
                d_syn.mul_(torch.addcmul(syn, syn, syn, value=-1.0, out=syn))  # d loss / d pre-activation: s (1 - s)
                d_nsm += d_syn.sum(1)
                d_sigma += torch.mul(d_syn, v, out=tmp).sum(1)
                dv = torch.mul(d_syn, sig, out=tmp).sum(0).addcmul_(g_num[k], cm_t[t])
            # the step's base terms and c / Delta enter every solver step
            totals = d_sums.sum(0)
            d_num[t], d_den[t] = totals[..., 0].t(), totals[..., 1].t()
            d_cm_t[t] = (d_sums[..., 0] * potentials[t, :unfolds].transpose(1, 2)).sum(0).t() + d_den[t]
            if keep is not None:
                dv = dv + carry
        d_sens = torch.cat([d_num, d_den], dim=-1).transpose(0, 1)
        d_cm = (d_cm_t * _cm_steps(torch.ones_like(cm), dt, unfolds, length, cm.dtype)).sum((0, 1))
        d_we, d_w = d_weights.unbind(1)
        return (d_sens, dv, None, None, d_we, d_w, d_sigma, d_nsm, d_cm, d_den.sum((0, 1)), d_num.sum((0, 1)),
                None, None)


def _cm_steps(cm, dt, unfolds, length, dtype):
    """``c / Delta = c * ode_unfolds / dt`` per step: (L, B, N), or (L, 1, N) without gaps."""
    if dt is None:
        return (cm * unfolds).expand(length, 1, -1)
    return cm * unfolds / dt.t().to(dtype)[..., None]
