r"""WARP: weight-space adaptive recurrent prediction (Nzoyem et al., ICLR 2026).

The hidden state is the flattened weight vector ``theta`` of a small "root" MLP, updated linearly by the input
differences and decoded by evaluating the root network itself at a time coordinate::

    theta_0 = phi(x_0)                                  (a hypernetwork of the first observation, or learned)
    theta_t = A theta_{t-1} + B (x_t - x_{t-1})          (A = I and B = 0 at initialization)
    y_t     = root_{theta_t}(tau_{t+1})                  (the root evaluated at the next normalized time)

``tau`` is the position of a step in time units divided by the span of the sequence (``linspace(0, 1, T)`` on a
regular grid); with observation ``times`` the positions follow the observed times. The normalized time is also
appended to the input ("time as a channel"), so ``B`` sees the time gaps. ``A`` is dense in the paper; here it can
also be diagonal or diagonal-plus-low-rank (:mod:`tsrnn.ops.weight_scan` solves each in its cheapest form).

The physics-informed variant (forecasting) replaces the root network's output by a parametric formula whose
parameters the root network produces: e.g. :class:`LinearODE`, the solution ``y(s) = expm(s R) x_0`` of a linear
system from the window's first value (the mass-spring-damper among them).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from tsrnn.nn.blocks import mark_ssm_parameters
from tsrnn.nn.heads import instance_normalize, last_valid
from tsrnn.nn.plrnn import LatentMap
from tsrnn.ops.weight_scan import dense_scan, diagonal_scan, dplr_scan

TRANSITIONS = ("dense", "diagonal", "dplr")
ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "swish": nn.functional.silu}


class RootMLP:
    """Layout of the root network's weights in ``theta`` and its evaluation for a batch of weight vectors.

    ``theta`` holds, layer by layer, the weight matrix (row-major, ``(out, in)``) then the bias.

    Parameters
    ----------
    d_in : int
        Input width (1: the normalized time).
    width : int
        Hidden width.
    depth : int
        Hidden layers (0: a linear map ``d_in -> d_out``).
    d_out : int
    activation : {"relu", "tanh", "swish"}
        Between layers; the output layer is linear.
    """

    def __init__(self, d_in: int, width: int, depth: int, d_out: int, activation: str = "relu"):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        widths = [d_in] + [width] * depth + [d_out]
        self.shapes = list(zip(widths[1:], widths[:-1], strict=True))  # (out, in) per layer
        self.n_params = sum(o * i + o for o, i in self.shapes)
        self.activation = ACTIVATIONS[activation]

    def init_vector(self, zero_output: bool = False) -> torch.Tensor:
        """A weight vector initialized like ``nn.Linear`` (uniform in +-1/sqrt(fan_in)), shape (n_params,);
        ``zero_output`` zeroes the output layer (the network starts at 0)."""
        parts = []
        for k, (o, i) in enumerate(self.shapes):
            bound = 0.0 if zero_output and k == len(self.shapes) - 1 else 1.0 / math.sqrt(i)
            parts.append(torch.empty(o * i + o).uniform_(-bound, bound))
        return torch.cat(parts)

    def __call__(self, theta: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """Evaluate the network of every weight vector on its own input.

        Parameters
        ----------
        theta : Tensor, shape (..., n_params)
        inputs : Tensor, shape (..., d_in)

        Returns
        -------
        Tensor, shape (..., d_out)
        """
        lead = theta.shape[:-1]
        h, offset = inputs, 0
        for k, (o, i) in enumerate(self.shapes):
            W = theta[..., offset : offset + o * i].reshape(*lead, o, i)
            b = theta[..., offset + o * i : offset + o * i + o]
            offset += o * i + o
            h = torch.matmul(W, h.unsqueeze(-1)).squeeze(-1) + b
            if k < len(self.shapes) - 1:
                h = self.activation(h)
        return h


class Transition(nn.Module):
    """The transition ``A`` of the weight recurrence, initialized to the identity.

    Parameters
    ----------
    kind : {"dense", "diagonal", "dplr"}
        ``dense``: a full ``D x D`` matrix (the paper), stored as ``A = I + W / D``. Adam moves every entry of a
        parameter by about the learning rate per step, which for a plain ``D x D`` parameter is a change of up to
        ``lr * D`` in spectral norm: at lr 1e-3 and D of a few hundred the recurrence explodes within a few steps
        (the reference code trains everything at lr 1e-5 instead). The ``1 / D`` scale bounds the change by ``lr``.
        ``diagonal``: ``diag(a)``. ``dplr``: ``diag(a) + P Q^T`` with ``P`` random
        (std ``1/sqrt(D)``) and ``Q = 0`` at initialization, so ``A = I`` exactly and both factors get gradients.
    dim : int
        ``D``, the length of ``theta``.
    rank : int
        ``r`` of ``dplr``.
    """

    def __init__(self, kind: str, dim: int, rank: int = 8):
        super().__init__()
        if kind not in TRANSITIONS:
            raise ValueError(f"transition must be one of {TRANSITIONS}, got {kind!r}")
        self.kind, self.dim = kind, dim
        if kind == "dense":  # A = I + W / D: one Adam step moves the spectrum by at most ~lr (see the class doc)
            self.W = nn.Parameter(torch.zeros(dim, dim))
        else:
            self.a = nn.Parameter(torch.ones(dim))
        if kind == "dplr":
            self.P = nn.Parameter(torch.randn(dim, rank) / math.sqrt(dim))
            self.Q = nn.Parameter(torch.zeros(dim, rank))
        mark_ssm_parameters(self, *self._parameters)

    def matrix(self) -> torch.Tensor:
        """``A`` materialized, shape (D, D)."""
        if self.kind == "dense":
            return torch.eye(self.dim, dtype=self.W.dtype, device=self.W.device) + self.W / self.dim
        A = torch.diag(self.a)
        return A + self.P @ self.Q.T if self.kind == "dplr" else A

    def scan(self, u: torch.Tensor) -> torch.Tensor:
        """``theta_t = A theta_{t-1} + u_t`` from ``theta_{-1} = 0``: u (B, T, D) -> theta (B, T, D)."""
        if self.kind == "dense":
            return dense_scan(self.matrix().to(u.dtype), u)
        if self.kind == "diagonal":
            return diagonal_scan(self.a, u)
        return dplr_scan(self.a.to(u.dtype), self.P.to(u.dtype), self.Q.to(u.dtype), u)

    def step(self, theta: torch.Tensor) -> torch.Tensor:
        """``A theta``: theta (B, D) -> (B, D)."""
        if self.kind == "dense":
            return theta + theta @ self.W.T / self.dim
        out = self.a * theta
        return out + (theta @ self.Q) @ self.P.T if self.kind == "dplr" else out


class GradualMLP(nn.Module):
    """Hypernetwork ``x_0 -> theta_0``: linear layers whose widths interpolate linearly from ``d_in`` to ``d_out``,
    ReLU between them; the last layer starts at weight 0 and bias ``bias_init`` (the root network's own
    initialization), so every sequence starts from the same root network and the dependence on ``x_0`` is
    learned (a random last layer perturbs every root weight by O(1) and makes long rollouts explode).

    Parameters
    ----------
    d_in, d_out : int
    n_layers : int
    bias_init : Tensor, shape (d_out,)
    """

    def __init__(self, d_in: int, d_out: int, n_layers: int, bias_init: torch.Tensor):
        super().__init__()
        widths = [round(d_in + (d_out - d_in) * k / n_layers) for k in range(n_layers + 1)]
        layers = []
        for k in range(n_layers):
            layers.append(nn.Linear(widths[k], widths[k + 1]))
            if k < n_layers - 1:
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)
        with torch.no_grad():
            layers[-1].weight.zero_()
            layers[-1].bias.copy_(bias_init)

    def forward(self, x):
        """x (B, d_in) -> (B, d_out)."""
        return self.net(x)


class LinearODE:
    """Physics formula for WARP-Phys: a linear ODE ``dx/dt = R x`` whose generator ``R`` (C x C, per step) the root
    network supplies, solved exactly.

    ``start="previous"`` (default) advances the previous value by the gap, ``y = expm(gap R) x_prev``: one exact
    step, so with the lookback's one-step predictions in the loss (``context_loss``) fitting ``R`` is a regression
    of each value on the one before. ``start="first"`` gives the solution from the window's first value,
    ``y = expm(s R) x_0`` with ``s`` the query's position in steps. The mass-spring-damper
    ``m x'' + c x' + k x = 0`` observed as (position, velocity) is the case ``R = dt [[0, 1], [-k/m, -c/m]]`` (in
    standardized units the off-diagonal entries absorb the channels' scales, so all four entries are free). The
    root network's output layer starts at zero (``R = 0``: persistence).

    Parameters
    ----------
    n_channels : int
    max_steps : float, optional
        The window's span. When given, every entry of ``R`` is softly bounded, ``r tanh(R / r)`` with
        ``r = 60 / (C s_max)`` and ``s_max`` the longest time in an exponent (``"first"``: ``max_steps``;
        ``"previous"``: one step), so that ``expm`` stays finite in float32 while an unstable ``R`` is trained away.
    start : {"previous", "first"}
    """

    def __init__(self, n_channels: int, max_steps: float | None = None, start: str = "previous"):
        if start not in ("previous", "first"):
            raise ValueError(f"start must be 'previous' or 'first', got {start!r}")
        self.n_channels, self.start = n_channels, start
        self.n_params = n_channels * n_channels
        longest = 1.0 if start == "previous" else max_steps  # the longest time in an exponent
        self.max_rate = None if max_steps is None else 60.0 / (n_channels * longest)

    def __call__(self, params: torch.Tensor, steps: torch.Tensor, gap: torch.Tensor, x0: torch.Tensor,
                 x_prev: torch.Tensor) -> torch.Tensor:
        """params (..., C*C); steps (...) since the first value; gap (...) since the previous value; x0, x_prev
        (..., C) the first and previous values -> y (..., C)."""
        if self.max_rate is not None:
            params = self.max_rate * torch.tanh(params / self.max_rate)
        R = params.unflatten(-1, (self.n_channels, self.n_channels))
        t, x = (gap, x_prev) if self.start == "previous" else (steps, x0)
        return torch.matmul(torch.matrix_exp(t[..., None, None] * R), x.unsqueeze(-1)).squeeze(-1)


#: Physics formulas by name (for estimators, whose parameters must be serializable).
PHYSICS = {"linear_ode": LinearODE}


class WARP(nn.Module):
    """The WARP recurrence and decoder over sequences of inputs ``x`` (the time channel included).

    Parameters
    ----------
    d_input : int
        Input channels per step (values, indicators and the normalized time).
    d_output : int
        Outputs of the decoder (forecast channels, classes or targets).
    root_width, root_depth : int
        Hidden width and hidden layers of the root MLP (input: the normalized time).
    activation : {"relu", "tanh", "swish"}
    transition : {"dense", "diagonal", "dplr"}
        Structure of ``A`` (:class:`Transition`).
    rank : int
        Rank of the low-rank part of ``dplr``.
    init_state : {"hypernet", "learned"}
        ``theta_0`` from a two-layer :class:`GradualMLP` of ``x_0``, or one learned vector.
    physics : callable, optional
        ``physics(params, steps, gap, x0, x_prev) -> y`` with an attribute ``n_params``: the root network outputs
        ``n_params`` values, which :class:`WARPForecastNet` turns into ``y = physics(root(tau), steps, gap, x0,
        x_prev)`` with ``steps`` the query's position from the window's first step, ``gap`` its distance from the
        previous step, ``x0`` the first and ``x_prev`` the previous values (e.g. :class:`LinearODE`).
        Here it sets the root network's output size and starts its output layer at zero.
    root_inputs : int
        Inputs of the root network: 1 (the normalized time) for the task networks; :class:`WARPMap` feeds it the
        current observation instead.

    Examples
    --------
    >>> import torch
    >>> warp = WARP(d_input=3, d_output=2, root_width=8, transition="diagonal")
    >>> theta = warp.scan(torch.randn(4, 10, 3))
    >>> theta.shape == (4, 10, warp.dim), warp.decode(theta, torch.rand(4, 10)).shape
    (True, torch.Size([4, 10, 2]))
    """

    def __init__(self, d_input: int, d_output: int, root_width: int = 64, root_depth: int = 1,
                 activation: str = "relu", transition: str = "dense", rank: int = 8, init_state: str = "hypernet",
                 physics=None, root_inputs: int = 1):
        super().__init__()
        if init_state not in ("hypernet", "learned"):
            raise ValueError(f"init_state must be 'hypernet' or 'learned', got {init_state!r}")
        self.physics = physics
        self.root = RootMLP(root_inputs, root_width, root_depth, physics.n_params if physics is not None else d_output,
                            activation)
        self.dim, self.d_input, self.d_output = self.root.n_params, d_input, d_output
        self.transition = Transition(transition, self.dim, rank)
        self.B = nn.Parameter(torch.zeros(self.dim, d_input))
        mark_ssm_parameters(self, "B")
        root_init = self.root.init_vector(zero_output=physics is not None)  # a physics formula starts at R = 0
        if init_state == "hypernet":
            self.hypernet = GradualMLP(d_input, self.dim, 2, root_init)
        else:
            self.theta0 = nn.Parameter(root_init)

    def initial_theta(self, x0: torch.Tensor) -> torch.Tensor:
        """``theta_0`` from the first inputs: x0 (B, d_input) -> (B, D)."""
        if hasattr(self, "hypernet"):
            return self.hypernet(x0)
        return self.theta0.to(x0.dtype).expand(x0.shape[0], -1)

    def scan(self, x: torch.Tensor) -> torch.Tensor:
        """All states, parallel in time where ``A`` allows: x (B, T, d_input) -> theta (B, T, D)."""
        u = torch.cat([self.initial_theta(x[:, 0]).unsqueeze(1), (x[:, 1:] - x[:, :-1]) @ self.B.T.to(x.dtype)],
                      dim=1)
        return self.transition.scan(u)

    def step(self, theta: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
        """One update: theta (B, D), dx = x_t - x_{t-1} (B, d_input) -> theta_t (B, D)."""
        return self.transition.step(theta) + dx @ self.B.T

    def decode(self, theta: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
        """The root network of every state at its query: theta (..., D), tau (...) (the time) or (..., root_inputs)
        -> (..., d_output) (``physics.n_params`` with a physics formula)."""
        query = tau.unsqueeze(-1) if tau.ndim == theta.ndim - 1 else tau
        return self.root(theta, query.to(theta.dtype))


def positions(dt: torch.Tensor | None, batch: int, length: int, device=None, dtype=None) -> torch.Tensor:
    """Position of every step in time units from the first: ``arange`` without gaps, else ``cumsum(dt) - dt_0``
    (``dt`` (B, L) gaps, the first one ignored). Returns (B, L)."""
    if dt is None:
        return torch.arange(length, device=device, dtype=dtype).expand(batch, length)
    return torch.cumsum(dt.to(dtype), dim=1) - dt[:, :1].to(dtype)


class WARPForecastNet(nn.Module):
    """WARP forecaster: encode the lookback by the recurrence, then roll the horizon out autoregressively.

    Each forecast step is the root network of the current state at the next time; its prediction is fed back as
    the next input (``forcing_prob`` of the steps get the true value instead while training). With
    ``forcing_prob = 1`` training is fully teacher-forced and the whole window is one parallel scan; prediction
    (and validation) is always autoregressive. The span that normalizes time is ``lookback + horizon - 1``.

    Parameters
    ----------
    warp : WARP
        With ``d_input = C (+ C indicators) + 1`` and ``d_output = C``.
    n_channels, lookback, horizon : int
    instance_norm : bool
        Standardize every window per channel and undo it on the forecast.
    indicators : bool
        The input carries observed-indicator channels after the values.
    forcing_prob : float
        Probability of feeding the true value at a training step of the horizon.
    context_loss : bool
        While training, also return the one-step predictions over the lookback (the root network of ``theta_t`` at
        ``tau_{t+1}``) with their targets, so that the loss covers every step of the window after the first as in
        the reference (a horizon-only loss leaves a physics formula without the context to fit).
    output_bound : float, optional
        Soft bound on every forecast (in normalized units), ``y = b tanh(y / b)``: a forecast that runs away feeds
        ever larger differences back into the state, and the rollout explodes (the reference offers a final tanh
        for the same reason). None leaves the output unbounded.
    """

    #: The training loop passes the window's targets as ``targets`` (teacher forcing).
    reads_targets = True

    def __init__(self, warp: WARP, n_channels: int, lookback: int, horizon: int, instance_norm: bool = True,
                 indicators: bool = False, forcing_prob: float = 0.0, context_loss: bool = False,
                 output_bound: float | None = None):
        super().__init__()
        self.warp, self.n_channels, self.lookback, self.horizon = warp, n_channels, lookback, horizon
        self.instance_norm, self.indicators, self.forcing_prob = instance_norm, indicators, forcing_prob
        self.context_loss, self.output_bound = context_loss, output_bound
        self.span = float(max(lookback + horizon - 1, 1))

    def _inputs(self, values, observed, tau):
        parts = [values, observed] if self.indicators else [values]
        return torch.cat(parts + [tau.unsqueeze(-1)], dim=-1)

    def _decode(self, theta, tau, gap, x0, x_prev):
        y = self.warp.decode(theta, tau)
        if self.warp.physics is not None:
            y = self.warp.physics(y, tau * self.span, gap, x0, x_prev)
        return y if self.output_bound is None else self.output_bound * torch.tanh(y / self.output_bound)

    def forward(self, x, dt=None, mask=None, targets=None):
        """x (B, L, C_in), dt (B, L), targets (B, H, C) (training only) -> forecast (B, H, C); while training with
        ``context_loss`` also the lookback's one-step predictions and their targets, both (B, L - 1, C)."""
        C, H = self.n_channels, self.horizon
        values = x[..., :C]
        observed = x[..., C : 2 * C] if self.indicators else torch.ones_like(values)
        if self.instance_norm:
            values, mean, std = instance_normalize(values, observed)
        pos = positions(dt, x.shape[0], x.shape[1], x.device, x.dtype)
        future = pos[:, -1:] + torch.arange(1, H + 1, device=x.device, dtype=x.dtype)
        inputs, tau_future = self._inputs(values, observed, pos / self.span), future / self.span
        truth = None
        if self.training and targets is not None and self.forcing_prob > 0:
            t_obs = (~torch.isnan(targets)).to(x.dtype)
            t_val = torch.nan_to_num(targets)
            if self.instance_norm:
                t_val = (t_val - mean) / std * t_obs
            truth = self._inputs(t_val, t_obs, tau_future)
        x0 = inputs[:, 0, :C]
        if truth is not None and self.forcing_prob >= 1.0:  # teacher-forced: one scan over the whole window
            theta_all = self.warp.scan(torch.cat([inputs, truth[:, :-1]], dim=1))
            theta_context = theta_all[:, : x.shape[1]]
            previous = torch.cat([inputs[:, -1:, :C], truth[:, :-1, :C]], dim=1)
            out = self._decode(theta_all[:, -H:], tau_future, torch.ones_like(tau_future), x0.unsqueeze(1), previous)
        else:
            theta_context = self.warp.scan(inputs)
            theta = theta_context[:, -1]
            prev, outs = inputs[:, -1], []
            for k in range(H):
                y = self._decode(theta, tau_future[:, k], torch.ones_like(tau_future[:, k]), x0, prev[:, :C])
                outs.append(y)
                if k == H - 1:
                    break
                nxt = self._inputs(y, torch.ones_like(y), tau_future[:, k])
                if truth is not None:
                    use_truth = torch.rand(x.shape[0], 1, device=x.device) < self.forcing_prob
                    nxt = torch.where(use_truth, truth[:, k], nxt)
                theta = self.warp.step(theta, nxt - prev)
                prev = nxt
            out = torch.stack(outs, dim=1)
        if self.instance_norm:
            out = out * std + mean
        if not (self.training and self.context_loss and targets is not None) or x.shape[1] < 2:
            return out
        # one-step predictions over the lookback, with their targets (missing: NaN), join the training loss
        context = self._decode(theta_context[:, :-1], pos[:, 1:] / self.span, pos[:, 1:] - pos[:, :-1],
                               x0.unsqueeze(1), inputs[:, :-1, :C])
        if self.instance_norm:
            context = context * std + mean
        seen = observed[:, 1:] > 0
        if mask is not None:
            seen = seen & mask[:, 1:, None]
        return out, context, torch.where(seen, x[:, 1:, :C], torch.full_like(context, float("nan")))


class WARPSequenceNet(nn.Module):
    """WARP for classification and regression: the root network of the last state at the next time (logits or
    targets); time is normalized by ``span`` (the longest training sequence's span).

    Parameters
    ----------
    warp : WARP
        With ``d_input`` = input channels + 1 (the time channel).
    span : float
        Time units mapped to 1.
    """

    def __init__(self, warp: WARP, span: float):
        super().__init__()
        self.warp, self.span = warp, float(max(span, 1.0))

    def forward(self, x, dt=None, mask=None):
        """x (B, L, C), dt (B, L), mask (B, L) -> (B, d_output)."""
        pos = positions(dt, x.shape[0], x.shape[1], x.device, x.dtype)
        theta = self.warp.scan(torch.cat([x, (pos / self.span).unsqueeze(-1)], dim=-1))
        last = last_valid(theta, mask)
        return self.warp.decode(last, (last_valid(pos.unsqueeze(-1), mask)[:, 0] + 1.0) / self.span)

    def stream(self, x, dt=None, state=None):
        """The output after every step of ``B`` streams, carrying ``(theta, last input, last position)`` across
        calls: x (B, T, C), dt (B, T) -> (B, T, d_output), state."""
        outs = []
        for t in range(x.shape[1]):
            gap = torch.ones_like(x[:, t, 0]) if dt is None else dt[:, t].to(x.dtype)
            if state is None:
                pos = torch.zeros_like(gap)
                inp = torch.cat([x[:, t], (pos / self.span)[:, None]], dim=-1)
                theta = self.warp.initial_theta(inp)
            else:
                theta, prev, last = state
                pos = last + gap
                inp = torch.cat([x[:, t], (pos / self.span)[:, None]], dim=-1)
                theta = self.warp.step(theta, inp - prev)
            state = (theta, inp, pos)
            outs.append(self.warp.decode(theta, (pos + 1.0) / self.span))
        return torch.stack(outs, dim=1), state


class WARPMap(LatentMap):
    """WARP as an autonomous map for dynamical-systems reconstruction (the interface of
    :class:`tsrnn.nn.plrnn.PiecewiseLinearRNN`: identity readout of the first ``n_obs`` latent units).

    The root network reads the current observation instead of the time (the reference's ``input_prev_data``
    option; a time input would make a free-running model non-autonomous): ``x_{t+1} = root_{theta_t}(x_t)`` with
    ``theta_t = A theta_{t-1} + B (x_t - x_{t-1})``. The latent state is ``z_t = [x_t; psi_t]`` with
    ``psi_t = A theta_{t-1} - B x_{t-1}`` (everything of ``theta_t`` but the current observation), so that
    teacher forcing, which overwrites ``x_t``, also feeds the data into ``theta_t = psi_t + B x_t`` as WARP does.

    Parameters
    ----------
    n_obs : int
    root_width, root_depth, activation, transition, rank
        As :class:`WARP`.
    """

    def __init__(self, n_obs: int, root_width: int = 32, root_depth: int = 1, activation: str = "relu",
                 transition: str = "diagonal", rank: int = 8):
        super().__init__()
        self.warp = WARP(n_obs, n_obs, root_width=root_width, root_depth=root_depth, activation=activation,
                         transition=transition, rank=rank, root_inputs=n_obs)
        self.n_obs, self.n_latent = n_obs, n_obs + self.warp.dim

    def init_state(self, x: torch.Tensor) -> torch.Tensor:
        """``z_0 = [x_0; phi(x_0) - B x_0]``: (B, N) -> (B, M)."""
        return torch.cat([x, self.warp.initial_theta(x) - x @ self.warp.B.T], dim=-1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """One step: (B, M) -> (B, M)."""
        x, psi = z[..., : self.n_obs], z[..., self.n_obs :]
        Bx = x @ self.warp.B.T
        theta = psi + Bx
        return torch.cat([self.warp.decode(theta, x), self.warp.transition.step(theta) - Bx], dim=-1)

    def jacobian(self, z: torch.Tensor) -> torch.Tensor:
        """``dF/dz`` by automatic differentiation: (B, M) -> (B, M, M)."""
        return torch.func.vmap(torch.func.jacrev(lambda v: self(v[None])[0]))(z)
