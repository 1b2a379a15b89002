"""Step-wise recurrent layers (CfC, LTC, LEM): the shared time loop, masks, gaps, streaming and stacking.

A :class:`RecurrentLayer` splits its update into what depends on the input only, computed for all steps at
once by :meth:`~RecurrentLayer.project_inputs` (one GEMM over ``B * L`` rows instead of ``L`` small ones), and
the recurrent rest, :meth:`~RecurrentLayer.cell`, run once per step. Per-step gaps ``dt`` (B, L) are the
elapsed times (1 when omitted; per sample, so a batch can mix time grids). Where ``mask`` is False (padding)
the state is carried unchanged, so outputs at valid steps do not depend on how much padding follows.
"""

from __future__ import annotations

import torch
from torch import nn

#: LeCun's scaled tanh, ``LECUN_OUTER * tanh(LECUN_INNER * x)``.
LECUN_OUTER, LECUN_INNER = 1.7159, 0.666


def lecun_tanh(x: torch.Tensor) -> torch.Tensor:
    """LeCun's scaled tanh, ``1.7159 tanh(0.666 x)`` (the CfC backbone's default activation)."""
    return LECUN_OUTER * torch.tanh(LECUN_INNER * x)


ACTIVATIONS = {"lecun_tanh": lecun_tanh, "tanh": torch.tanh, "relu": torch.relu, "silu": nn.functional.silu,
               "gelu": nn.functional.gelu}


class RecurrentLayer(nn.Module):
    """Base of step-wise recurrent layers.

    Subclasses set ``input_size`` and ``d_out`` and implement :meth:`project_inputs`, :meth:`prepare`,
    :meth:`cell`, :meth:`output` and :meth:`initial_state`. The state is a tuple of (B, ·) tensors.
    """

    input_size: int
    d_out: int
    #: Whether the layer runs whole sequences in a fused loop of its own (subclasses that have one set it).
    use_fused: bool = False

    def _fused_loop(self) -> bool:
        """Take the fused sequence loop: ``use_fused``, except while ``torch.compile`` or ``torch.export`` traces
        the layer; they trace the autograd step loop instead (the fused loops' in-place kernels are opaque to them)."""
        return self.use_fused and not torch.compiler.is_compiling()

    def project_inputs(self, x: torch.Tensor) -> torch.Tensor:
        """Input-only part of every step: (B, L, input_size) -> (B, L, P)."""
        raise NotImplementedError

    def prepare(self) -> dict:
        """Weights derived from the parameters once per sequence (fused matrices, positive transforms)."""
        return {}

    def cell(self, p_t: torch.Tensor, state: tuple, dt_t: torch.Tensor | None, ctx: dict) -> tuple:
        """One step: projected input ``p_t`` (B, P), state, gap ``dt_t`` (B,) or None -> new state."""
        raise NotImplementedError

    def output(self, state: tuple) -> torch.Tensor:
        """The layer's output for a state: (B, d_out)."""
        return state[0]

    def initial_state(self, batch_size: int, device=None, dtype=None) -> tuple:
        """Zero state."""
        raise NotImplementedError

    def forward(self, x, dt=None, mask=None, h0=None):
        """Run a whole sequence.

        Parameters
        ----------
        x : Tensor, shape (B, L, input_size)
        dt : Tensor, shape (B, L), optional
            Elapsed time before every step (1 when omitted).
        mask : Tensor, shape (B, L), bool, optional
            False at padded steps (state carried unchanged).
        h0 : tuple of Tensor, optional
            Initial state (zero when omitted).

        Returns
        -------
        y : Tensor, shape (B, L, d_out)
        h_last : tuple of Tensor
            The state after the last step.
        """
        n_batch, length, _ = x.shape
        # unbind once: indexing p[:, t] would make every step's backward allocate a full (B, L, P) gradient
        p = self.project_inputs(x).unbind(1)
        gaps = [None] * length if dt is None else dt.unbind(1)
        keeps = None if mask is None else mask[:, :, None].unbind(1)
        ctx = self.prepare()
        state = self.initial_state(n_batch, x.device, x.dtype) if h0 is None else tuple(h0)
        outputs = []
        for t in range(length):
            new = self.cell(p[t], state, gaps[t], ctx)
            if keeps is not None:
                new = tuple(torch.where(keeps[t], n, s) for n, s in zip(new, state, strict=True))
            state = new
            outputs.append(self.output(state))
        return torch.stack(outputs, dim=1), state

    def step(self, x_t, state, dt_t=None):
        """One streaming step: ``x_t`` (B, input_size) -> (output (B, d_out), new state)."""
        state = self.cell(self.project_inputs(x_t[:, None])[:, 0], tuple(state), dt_t, self.prepare())
        return self.output(state), state


class LSTMMemory(nn.Module):
    """The memory cell of mixed-memory RNNs (Lechner & Hasani 2020): an LSTM update of ``(h, c)`` run before
    the continuous-time update of ``h`` at every step.

    Gates (input, input gate, forget gate, output gate) from ``W_in u + b + W_rec h``, forget bias +1;
    ``W_in`` Xavier, ``W_rec`` orthogonal (no bias), biases U(-0.1, 0.1).
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_map = nn.Linear(input_size, 4 * hidden_size)
        self.recurrent_map = nn.Linear(hidden_size, 4 * hidden_size, bias=False)
        nn.init.xavier_uniform_(self.input_map.weight)
        nn.init.uniform_(self.input_map.bias, -0.1, 0.1)
        nn.init.orthogonal_(self.recurrent_map.weight)

    def project_inputs(self, x):
        """(B, L, input_size) -> (B, L, 4 hidden)."""
        return self.input_map(x)

    def forward(self, p_t, h, c):
        """Projected input (B, 4 hidden), ``h``, ``c`` (B, hidden) -> new ``(h, c)``."""
        i, ig, fg, og = (p_t + self.recurrent_map(h)).chunk(4, dim=-1)
        c = c * torch.sigmoid(fg + 1.0) + torch.tanh(i) * torch.sigmoid(ig)
        return torch.tanh(c) * torch.sigmoid(og), c


class RecurrentBackbone(nn.Module):
    """A stack of recurrent layers, each consuming the previous one's outputs (no encoder: the first layer
    reads the input channels).

    Parameters
    ----------
    layers : list of RecurrentLayer
    dropout : float
        Dropout between layers.
    """

    def __init__(self, layers: list[RecurrentLayer], dropout: float = 0.0):
        super().__init__()
        for prev, layer in zip(layers, layers[1:], strict=False):
            if layer.input_size != prev.d_out:
                raise ValueError(f"a layer with input_size {layer.input_size} cannot follow one with {prev.d_out} outputs")
        self.layers = nn.ModuleList(layers)
        self.dropout = nn.Dropout(dropout)
        self.n_inputs, self.d_model = layers[0].input_size, layers[-1].d_out

    def forward(self, x, dt=None, mask=None):
        """x : (B, L, n_inputs) -> features (B, L, d_model)."""
        for i, layer in enumerate(self.layers):
            x, _ = layer(self.dropout(x) if i else x, dt=dt, mask=mask)
        return x

    def initial_state(self, batch_size: int, device=None) -> list:
        """Zero state of every layer, for :meth:`step`."""
        return [layer.initial_state(batch_size, device) for layer in self.layers]

    def step(self, x_t, state, dt_t=None):
        """One streaming step: ``x_t`` (B, n_inputs) -> features (B, d_model) and the new state list."""
        new_state = []
        for layer, h in zip(self.layers, state, strict=True):
            x_t, h = layer.step(x_t, h, dt_t)
            new_state.append(h)
        return x_t, new_state
