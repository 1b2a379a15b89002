r"""CfC: closed-form continuous-time networks (Hasani et al., Nature Machine Intelligence 2022).

A backbone MLP reads ``[u_t; h_{t-1}]``; four heads give ``ff1``, ``ff2`` and the time-gate pre-activations
``t_a``, ``t_b``; with the elapsed time ``dt_t``::

    gate = sigmoid(t_a * dt_t + t_b)
    default:  h_t = tanh(ff1) * (1 - gate) + gate * tanh(ff2)
    no_gate:  h_t = tanh(ff1) + gate * tanh(ff2)
    pure:     h_t = -A * exp(-dt_t * (|w_tau| + |ff1|)) * ff1 + A          (Cf-S, the direct solution)

``mixed_memory`` runs an LSTM memory update of ``(h, c)`` before every CfC update. With a layered wiring
(:class:`~tsrnn.nn.wirings.NCP`) the cell is a chain of backbone-less CfC cells, one per wiring layer,
evaluated within each step (layer ``l`` reads layer ``l - 1``'s new state), whose ``ff1`` / ``ff2`` weights are
masked by the wiring's synapses; the output is the last (motor) layer.

Speed: the input half of the first GEMM (backbone layer, or the four heads without a backbone) and the LSTM
input map run for all steps at once; the four heads are one fused GEMM per step.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tsrnn.nn.recurrent import ACTIVATIONS, LECUN_INNER, LECUN_OUTER, LSTMMemory, RecurrentLayer, lecun_tanh
from tsrnn.nn.wirings import Wiring

MODES = ("default", "no_gate", "pure")


class CfCCell(nn.Module):
    """One CfC update (backbone and heads) of ``hidden_size`` units reading ``input_size`` inputs.

    Parameters
    ----------
    input_size, hidden_size : int
    mode : {"default", "no_gate", "pure"}
    activation : {"lecun_tanh", "tanh", "relu", "silu", "gelu"}
        Backbone activation.
    backbone_units : int
    backbone_layers : int
        0 feeds ``[u; h]`` to the heads directly.
    backbone_dropout : float
        Dropout after every backbone layer but the first.
    sparsity_mask : Tensor, shape (hidden_size, input_size + hidden_size), optional
        0/1 mask on the ``ff1`` and ``ff2`` weights (wired CfC).
    """

    def __init__(self, input_size, hidden_size, mode="default", activation="lecun_tanh", backbone_units=128,
                 backbone_layers=1, backbone_dropout=0.0, sparsity_mask=None):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
        self.input_size, self.hidden_size, self.mode = input_size, hidden_size, mode
        self.activation, self.backbone_dropout = ACTIVATIONS[activation], backbone_dropout
        sizes = [input_size + hidden_size] + [backbone_units] * backbone_layers
        self.backbone = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:], strict=False))
        n_heads = 1 if mode == "pure" else 4
        self.heads = nn.Linear(sizes[-1], n_heads * hidden_size)  # rows: ff1, ff2, time_a, time_b
        if mode == "pure":
            self.w_tau = nn.Parameter(torch.zeros(hidden_size))
            self.A = nn.Parameter(torch.ones(hidden_size))
        if sparsity_mask is not None:
            mask = torch.ones(n_heads * hidden_size, sizes[-1])
            mask[: min(2, n_heads) * hidden_size] = torch.as_tensor(sparsity_mask, dtype=torch.float32).repeat(
                min(2, n_heads), 1)
            self.register_buffer("sparsity_mask", mask)
        else:
            self.sparsity_mask = None
        for layer in [*self.backbone, self.heads]:  # Xavier per weight matrix (each head on its own)
            for w in layer.weight.split(hidden_size if layer is self.heads else layer.weight.shape[0]):
                bound = math.sqrt(6.0 / (w.shape[0] + w.shape[1]))
                nn.init.uniform_(w, -bound, bound)

    def _first(self):
        """Weight and bias of the first layer that reads ``[u; h]``."""
        layer = self.backbone[0] if len(self.backbone) else self.heads
        weight = layer.weight if len(self.backbone) or self.sparsity_mask is None else layer.weight * self.sparsity_mask
        return weight, layer.bias

    def project_inputs(self, x):
        """The input half of the first layer: (..., input_size) -> (..., P) (all steps at once, or one step)."""
        weight, bias = self._first()
        return F.linear(x, weight[:, : self.input_size], bias)

    def prepare(self):
        weight, _ = self._first()
        heads = self.heads.weight if self.sparsity_mask is None else self.heads.weight * self.sparsity_mask
        return {"recurrent": weight[:, self.input_size :], "heads": heads}

    def forward(self, p_t, h, ts, ctx):
        """Projected input ``p_t`` (B, P), state ``h`` (B, hidden), elapsed time ``ts`` (B, 1) -> new ``h``."""
        z = p_t + h @ ctx["recurrent"].t()
        if len(self.backbone):
            z = self.activation(z)
            for layer in self.backbone[1:]:
                z = F.dropout(self.activation(layer(z)), self.backbone_dropout, self.training)
            z = F.linear(z, ctx["heads"], self.heads.bias)
        if self.mode == "pure":
            return -self.A * torch.exp(-ts * (self.w_tau.abs() + z.abs())) * z + self.A
        n = self.hidden_size
        ff1, ff2 = torch.tanh(z[:, : 2 * n]).chunk(2, dim=-1)
        gate = torch.sigmoid(torch.addcmul(z[:, 3 * n :], z[:, 2 * n : 3 * n], ts))
        if self.mode == "no_gate":
            return torch.addcmul(ff1, gate, ff2)
        return torch.lerp(ff1, ff2, gate)  # ff1 (1 - gate) + gate ff2


class CfC(RecurrentLayer):
    """A CfC layer over sequences, dense or wired.

    Parameters
    ----------
    input_size : int
    units : int or Wiring
        Hidden units, or a wiring (its ``input_dim`` must equal ``input_size``); a layered wiring gives a
        wired CfC whose output is its last layer.
    mode : {"default", "no_gate", "pure"}
    activation : str
        Backbone activation (dense only; wired cells use ``lecun_tanh`` and no backbone).
    backbone_units, backbone_layers, backbone_dropout
        Dense only.
    mixed_memory : bool
        An LSTM memory update before every CfC update (state ``(h, c)``).

    Examples
    --------
    >>> import torch
    >>> y, (h,) = CfC(3, 8, backbone_units=16)(torch.randn(2, 5, 3), dt=torch.rand(2, 5))
    >>> y.shape, h.shape
    (torch.Size([2, 5, 8]), torch.Size([2, 8]))
    """

    def __init__(self, input_size, units, mode="default", activation="lecun_tanh", backbone_units=128,
                 backbone_layers=1, backbone_dropout=0.0, mixed_memory=False):
        super().__init__()
        self.input_size, self.mixed_memory = input_size, mixed_memory
        if isinstance(units, Wiring):
            if units.input_dim != input_size:
                raise ValueError(f"the wiring has input_dim {units.input_dim}, the layer input_size {input_size}")
            self.wiring, self.units = units, units.units
            self.cells = nn.ModuleList()
            adjacency, sensory = torch.as_tensor(units.adjacency).abs(), torch.as_tensor(units.sensory_adjacency).abs()
            prev = None
            for layer in units.layers:
                rows = sensory[:, layer] if prev is None else adjacency[prev][:, layer]
                mask = torch.cat([rows, torch.ones(len(layer), len(layer), dtype=rows.dtype)]).t()
                self.cells.append(CfCCell(rows.shape[0], len(layer), mode, "lecun_tanh", backbone_layers=0,
                                          sparsity_mask=mask))
                prev = layer
            self.d_out = len(units.layers[-1])
        else:
            self.wiring, self.units = None, int(units)
            self.cells = nn.ModuleList([CfCCell(input_size, self.units, mode, activation, backbone_units,
                                                backbone_layers, backbone_dropout)])
            self.d_out = self.units
        self.sizes = [cell.hidden_size for cell in self.cells]
        self.memory = LSTMMemory(input_size, self.units) if mixed_memory else None
        #: Use the fused sequence loop where it applies (the autograd loop is its reference in the tests).
        self.use_fused = True

    def project_inputs(self, x):
        p = self.cells[0].project_inputs(x)
        return p if self.memory is None else torch.cat([p, self.memory.project_inputs(x)], dim=-1)

    def prepare(self):
        return {"cells": [cell.prepare() for cell in self.cells]}

    def forward(self, x, dt=None, mask=None, h0=None):
        """Run a whole sequence (see :meth:`RecurrentLayer.forward`); dense layers in the default and no_gate
        modes (with or without mixed memory) take a fused loop with a hand-written backward
        (:class:`_DenseCfCSequence`)."""
        cell = self.cells[0]
        fused = (self._fused_loop() and self.wiring is None and cell.mode != "pure"
                 and cell.activation in (lecun_tanh, torch.tanh)
                 and (len(cell.backbone) <= 1 or cell.backbone_dropout == 0.0 or not self.training))
        if not fused:
            return super().forward(x, dt=dt, mask=mask, h0=h0)
        ctx = cell.prepare()
        state = self.initial_state(x.shape[0], x.device, x.dtype) if h0 is None else tuple(h0)
        layers = [t for layer in cell.backbone[1:] for t in (layer.weight, layer.bias)]
        heads = (ctx["heads"], cell.heads.bias) if len(cell.backbone) else ()
        memory = ((self.memory.project_inputs(x), state[1], self.memory.recurrent_map.weight) if self.memory is not None
                  else (None, None, None))
        out = _DenseCfCSequence.apply(cell.project_inputs(x), state[0], dt, mask, ctx["recurrent"], *memory, cell.mode,
                                      cell.activation is lecun_tanh, len(cell.backbone), torch.is_grad_enabled(),
                                      *heads, *layers)
        if self.memory is not None:
            y, c = out
            return y, (y[:, -1], c)
        return out, (out[:, -1],)

    def cell(self, p_t, state, dt_t, ctx):
        h = state[0]
        if self.memory is not None:
            split = p_t.shape[-1] - 4 * self.units
            h, c = self.memory(p_t[:, split:], h, state[1])
            p_t = p_t[:, :split]
        ts = h.new_ones(h.shape[0], 1) if dt_t is None else dt_t.to(h.dtype)[:, None]
        new, inp = [], None
        for cell, h_l, cell_ctx in zip(self.cells, h.split(self.sizes, dim=-1), ctx["cells"], strict=True):
            if inp is not None:  # a later wiring layer reads the previous layer's new state
                p_t = cell.project_inputs(inp)
            inp = cell(p_t, h_l, ts, cell_ctx)
            new.append(inp)
        h = torch.cat(new, dim=-1) if len(new) > 1 else new[0]
        return (h, c) if self.memory is not None else (h,)

    def output(self, state):
        return state[0][:, -self.d_out :]

    def initial_state(self, batch_size, device=None, dtype=None):
        zeros = torch.zeros(batch_size, self.units, device=device, dtype=dtype or torch.get_default_dtype())
        return (zeros, zeros.clone()) if self.memory is not None else (zeros,)


class _DenseCfCSequence(torch.autograd.Function):
    """A dense CfC layer over a whole sequence with a hand-written backpropagation through time.

    The forward loop runs without an autograd graph, writing every step's activations into preallocated
    (L, B, width) buffers (every tanh computed as a sigmoid of prescaled weights); after it, the derivatives of
    each step's new state with respect to its four head outputs (and, with mixed memory, the LSTM gates') are
    computed for all steps at once. The backward then costs per step a few elementwise products, one GEMM per
    layer and one GEMM into the previous state; every weight gradient is one GEMM over all ``B * L`` rows at the
    end. Pinned to the autograd loop in the tests.

    Inputs: projected inputs ``p`` (B, L, P) (the first layer's input half, bias included), ``h0`` (B, N),
    gaps ``dt`` (B, L) or None, ``mask`` (B, L) or None, the first layer's recurrent half ``W_h`` (P, N); with
    mixed memory the LSTM's projected inputs ``p_mem`` (B, L, 4N) (bias included), ``c0`` (B, N) and recurrent
    weight ``W_rec`` (4N, N), else three Nones; the mode, whether the activation is LeCun's tanh (else tanh),
    the backbone depth, whether grad mode was on at the call (the forward itself runs without it), then (with a
    backbone) the heads' weight (4N, U) and bias and every further backbone layer's weight and bias. Returns the
    states (B, L, N), and with mixed memory the last cell state (B, N). Without grad mode, or when no input needs
    a gradient (a frozen layer on constant inputs), the derivatives for the backward are not formed.
    """

    @staticmethod
    def forward(ctx, p, h0, dt, mask, w_h, p_mem, c0, w_rec, mode, lecun, depth, grad_mode, *weights):
        inner, outer = (LECUN_INNER, LECUN_OUTER) if lecun else (1.0, 1.0)
        length, (n_batch, n) = p.shape[1], h0.shape
        memory = p_mem is not None
        new = lambda width: p.new_empty(length, n_batch, width)  # noqa: E731
        # tanh(x) = 2 sigmoid(2 x) - 1, and torch's sigmoid kernel is its own while tanh goes through MKL (several
        # times slower on AMD CPUs): every tanh of the loop is a sigmoid, its input doubled by prescaled weights.
        # Backbone layer i computes u_i = tanh(inner z_i) (sigmoid, then 2 s - 1 in place) and the next layer
        # reads outer * u_i; the ff heads keep (1 + tanh) / 2 (their rows doubled), turned into tanh after the loop.
        # Every layer's bias (the first layer's: its projected inputs) is written into the step buffers for all steps
        # by one op before the loop, and each step adds its matrix product in place (addmm_): addmm into another
        # tensor would copy the bias first, one small copy per layer and step.
        ff_rows = p.new_ones(4 * n)
        ff_rows[: 2 * n] = 2.0
        if depth:
            w_first = (w_h * (2.0 * inner)).t()
            layers = [((w * (2.0 * inner * outer)).t(), b * (2.0 * inner))
                      for w, b in zip(weights[2::2], weights[3::2], strict=True)]
            heads = ((weights[0] * outer * ff_rows[:, None]).t(), weights[1] * ff_rows)
        else:
            w_first = (w_h * ff_rows[:, None]).t()
            layers, heads = [], None
        acts = [new(w_h.shape[0])] + [new(w.shape[1]) for w, _ in layers] if depth else []
        act_steps = [a.unbind(0) for a in acts]
        out, feats, gates, y = new(4 * n), new(2 * n), new(n), new(n)
        if depth:
            torch.mul(p.transpose(0, 1), 2.0 * inner, out=acts[0])
            for a, (_, b) in zip(acts[1:], layers, strict=True):
                a.copy_(b)
            out.copy_(heads[1])
        else:
            torch.mul(p.transpose(0, 1), ff_rows, out=out)
        out_steps, feat_steps, gate_steps, y_steps = out.unbind(0), feats.unbind(0), gates.unbind(0), y.unbind(0)
        t_a, t_b = out[..., 2 * n : 3 * n].unbind(0), out[..., 3 * n :].unbind(0)
        ff1, ff2 = feats[..., :n].unbind(0), feats[..., n:].unbind(0)
        pre_ff = out[..., : 2 * n].unbind(0)
        gaps = None if dt is None else dt.t().to(p.dtype).unsqueeze(-1)  # (L, B, 1)
        dts = None if dt is None else gaps.unbind(0)
        if memory:  # LSTM gates (input, input gate, forget gate, output gate), forget bias +1 folded in
            w_rec_t = w_rec.t()
            lstm, cells, cell_tanh, h_mem = new(4 * n), new(n), new(n), new(n)
            lstm.copy_(p_mem.transpose(0, 1))
            lstm[..., 2 * n : 3 * n] += 1.0
            lstm_steps, cell_steps, tanh_steps, h_mem_steps = (lstm.unbind(0), cells.unbind(0), cell_tanh.unbind(0),
                                                               h_mem.unbind(0))
            g_in, g_ig, g_f, g_o = (lstm[..., k * n : (k + 1) * n].unbind(0) for k in range(4))
            g_sig = lstm[..., n:].unbind(0)
            c = c0
        minus_one, half = p.new_full((), -1.0), p.new_empty(n_batch, n)
        h = h0
        for t in range(length):
            if memory:
                lstm_steps[t].addmm_(h, w_rec_t)
                g_in[t].tanh_()
                g_sig[t].sigmoid_()
                c_new = torch.mul(c, g_f[t], out=cell_steps[t]).addcmul_(g_in[t], g_ig[t])
                state = torch.mul(torch.tanh(c_new, out=tanh_steps[t]), g_o[t], out=h_mem_steps[t])
            else:
                state = h
            if depth:
                a = act_steps[0][t].addmm_(state, w_first).sigmoid_()
                a = torch.add(minus_one, a, alpha=2.0, out=a)
                for i, (w, _) in enumerate(layers, start=1):
                    a = act_steps[i][t].addmm_(a, w).sigmoid_()
                    a = torch.add(minus_one, a, alpha=2.0, out=a)
                out_steps[t].addmm_(a, heads[0])
            else:
                out_steps[t].addmm_(state, w_first)
            torch.sigmoid(pre_ff[t], out=feat_steps[t])  # (1 + tanh ff) / 2
            if dts is None:
                torch.add(t_a[t], t_b[t], out=gate_steps[t]).sigmoid_()
            else:
                torch.addcmul(t_b[t], t_a[t], dts[t], out=gate_steps[t]).sigmoid_()
            if mode == "no_gate":  # tanh ff1 + g tanh ff2 = 2 (s_1 + g (s_2 - 1/2)) - 1
                torch.addcmul(ff1[t], gate_steps[t], torch.sub(ff2[t], 0.5, out=half), out=y_steps[t])
            else:  # lerp(tanh ff1, tanh ff2, g) = 2 lerp(s_1, s_2, g) - 1
                torch.lerp(ff1[t], ff2[t], gate_steps[t], out=y_steps[t])
            h = torch.add(minus_one, y_steps[t], alpha=2.0, out=y_steps[t])
            if mask is not None:
                h = y_steps[t].copy_(torch.where(mask[:, t, None], h, y_steps[t - 1] if t else h0))
            if memory:
                c = c_new if mask is None else torch.where(mask[:, t, None], c_new, cells[t - 1] if t else c0)
                if mask is not None:
                    cells[t] = c  # the carried cell state (the backward rebuilds c_new from the gates)
        if not (grad_mode and any(ctx.needs_input_grad)):  # no backward can follow: skip the derivatives
            return (y.transpose(0, 1), c) if memory else y.transpose(0, 1)
        feats.mul_(2.0).sub_(1.0)  # sigmoid(2 x) -> tanh(x)
        # d h_t / d (ff1, ff2, t_a, t_b) pre-activations, all steps at once, written in place into ``out``
        one = p.new_ones(())
        coef, f1, f2 = out, feats[..., :n], feats[..., n:]
        c_ff1, c_ff2, c_ta, c_tb = coef.view(length, n_batch, 4, n).unbind(2)
        torch.addcmul(one, f2, f2, value=-1.0, out=c_ff2).mul_(gates)  # g (1 - ff2^2)
        torch.addcmul(one, f1, f1, value=-1.0, out=c_ff1)
        if mode == "no_gate":  # h = ff1 + g ff2
            torch.mul(f2, gates, out=c_tb)
        else:  # h = ff1 + g (ff2 - ff1)
            c_ff1.mul_(torch.sub(one, gates, out=c_ta))
            torch.sub(f2, f1, out=c_tb).mul_(gates)
        c_tb.mul_(torch.sub(one, gates, out=gates))  # d h / d t_b = (ff2 [- ff1]) g (1 - g)
        if dt is None:
            c_ta.copy_(c_tb)
        else:
            torch.mul(c_tb, gaps, out=c_ta)
        keep = None if mask is None else mask.t().to(p.dtype).unsqueeze(-1)  # (L, B, 1)
        if keep is not None:
            coef.mul_(keep)
        memory_saved = ()
        if memory:
            # LSTM derivatives, all steps: d c_new / d (input, input gate, forget gate) pre-activations, the
            # output gate's, and d h_mem / d c_new
            c_prev = torch.cat([c0[None], cells[:-1]])
            ti, si, sf, so = lstm[..., :n], lstm[..., n : 2 * n], lstm[..., 2 * n : 3 * n], lstm[..., 3 * n :]
            coef_mem = torch.cat([si * (1.0 - ti * ti), ti * si * (1.0 - si), c_prev * sf * (1.0 - sf)], dim=-1)
            coef_out = cell_tanh * so * (1.0 - so)
            coef_cell = so * (1.0 - cell_tanh * cell_tanh)
            memory_saved = (h_mem, sf.contiguous(), coef_mem, coef_out, coef_cell, w_rec)
        ctx.save_for_backward(h0, y, coef, keep, w_h, *memory_saved, *weights, *acts)
        ctx.config = (inner, outer, depth, len(weights), memory)
        if memory:
            return y.transpose(0, 1), c
        return y.transpose(0, 1)

    @staticmethod
    def backward(ctx, grad_y, grad_c=None):
        inner, outer, depth, n_weights, memory = ctx.config
        h0, y, coef, keep, w_h, *rest = ctx.saved_tensors
        if memory:
            (h_mem, forget, coef_mem, coef_out, coef_cell, w_rec), rest = rest[:6], rest[6:]
        weights, acts = rest[:n_weights], rest[n_weights:]
        length, n_batch, n = y.shape
        # d act / d z of each backbone layer from its stored tanh, all steps at once; the per-step gradients
        # then overwrite these buffers in place (d_z_i = act_grad_i * d_a_i); d_out = coef * dh
        d_z = [torch.addcmul(u.new_ones(()), u, u, value=-1.0).mul_(inner * outer) for u in acts]
        d_out = torch.empty_like(coef)
        d_first = d_z[0] if depth else d_out
        coef_steps = coef.view(length, n_batch, 4, n).unbind(0)
        d_out_steps = d_out.view(length, n_batch, 4, n).unbind(0)
        grad_steps = grad_y.transpose(0, 1).contiguous().unbind(0)
        keep_steps = None if keep is None else keep.unbind(0)
        heads_w = weights[0] if depth else None
        layer_ws = weights[2::2]
        if memory:
            d_lstm = torch.empty_like(coef)  # (L, B, 4N): d loss / d LSTM gate pre-activations
            d_gates3 = d_lstm[..., : 3 * n].unflatten(-1, (3, n)).unbind(0)
            d_gate_o = d_lstm[..., 3 * n :].unbind(0)
            coef_mem_steps = coef_mem.unflatten(-1, (3, n)).unbind(0)
            dc = torch.zeros_like(h0) if grad_c is None else grad_c.clone()
        dh = grad_steps[-1].clone()
        for t in range(length - 1, -1, -1):
            torch.mul(coef_steps[t], dh.unsqueeze(1), out=d_out_steps[t])
            if depth:
                d_a = d_out[t] @ heads_w
                for i in range(depth - 1, -1, -1):
                    d_z[i][t].mul_(d_a)
                    if i:
                        d_a = d_z[i][t] @ layer_ws[i - 1]
            carry = None if keep_steps is None else dh * (1.0 - keep_steps[t])
            if memory:
                d_state = d_first[t] @ w_h  # d loss / d h_mem
                dc_new = torch.addcmul(dc if keep_steps is None else dc * keep_steps[t], d_state, coef_cell[t])
                torch.mul(coef_mem_steps[t], dc_new.unsqueeze(1), out=d_gates3[t])
                torch.mul(d_state, coef_out[t], out=d_gate_o[t])
                dc_prev = dc_new * forget[t]
                dc = dc_prev if keep_steps is None else dc_prev.addcmul_(dc, 1.0 - keep_steps[t])
                d_prev = d_lstm[t]
                w_prev = w_rec
            else:
                d_prev, w_prev = d_first[t], w_h
            dh = torch.mm(d_prev, w_prev) if t == 0 else torch.addmm(grad_steps[t - 1], d_prev, w_prev)
            if carry is not None:
                dh.add_(carry)
        flat = lambda a: a.reshape(-1, a.shape[-1])  # noqa: E731  (L * B, width)
        grads = []
        if depth:
            grads += [flat(d_out).t() @ (outer * flat(acts[-1])), d_out.sum((0, 1))]
            for i in range(1, depth):
                grads += [flat(d_z[i]).t() @ (outer * flat(acts[i - 1])), d_z[i].sum((0, 1))]
        # the state before each step is h0, then y[:-1]; the CfC update reads it (or, with memory, h_mem)
        if memory:
            grad_w_h = flat(d_first).t() @ flat(h_mem)
            grad_w_rec = torch.addmm(d_lstm[0].t() @ h0, flat(d_lstm[1:]).t(), flat(y[:-1]))
            mem_grads = (d_lstm.transpose(0, 1), dc, grad_w_rec)
        else:
            grad_w_h = torch.addmm(d_first[0].t() @ h0, flat(d_first[1:]).t(), flat(y[:-1]))
            mem_grads = (None, None, None)
        return (d_first.transpose(0, 1), dh, None, None, grad_w_h, *mem_grads, None, None, None, None, *grads)
