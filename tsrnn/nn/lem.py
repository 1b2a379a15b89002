r"""LEM: long expressive memory (Rusch, Mishra, Erichson & Mahoney, ICLR 2022).

The IMEX discretization of a multiscale ODE, with two learned, state- and input-dependent time scales::

    dt_n     = dt * sigmoid(W_2 y_{n-1} + V_2 u_n + b_2)
    dtbar_n  = dt * sigmoid(W_1 y_{n-1} + V_1 u_n + b_1)
    z_n = (1 - dt_n) * z_{n-1} + dt_n * tanh(W_z y_{n-1} + V_z u_n + b_z)
    y_n = (1 - dtbar_n) * y_{n-1} + dtbar_n * tanh(W_y z_n + V_y u_n + b_y)

Parameter layout as in the reference code: ``inp2hid`` (M -> 4N; chunks for ``dtbar``, ``dt``, the ``y``
update and the ``z`` update), ``hid2hid`` (N -> 3N; chunks ``dtbar``, ``dt``, ``z`` update), ``transform_z``
(N -> N, ``W_y``), all with biases, all initialized U(-1/sqrt(N), 1/sqrt(N)). Output: ``y``.

Irregular sampling (an extension; the reference has none): with gaps, each update relaxes toward its target
exactly as the underlying ODE would over the gap with the inputs held, ``dt_n = 1 - exp(-dt * gap *
sigmoid(.))`` (and likewise ``dtbar_n``): about ``dt * sigmoid(.)`` for short gaps, never above 1, so every
update stays a convex combination (bounded states) however long the gap.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from tsrnn.nn.recurrent import RecurrentLayer


class LEM(RecurrentLayer):
    """A LEM layer over sequences.

    Parameters
    ----------
    input_size : int
    units : int
    dt : float
        Base step (the paper tunes it per task, e.g. 0.21 for sequential MNIST).

    Examples
    --------
    >>> import torch
    >>> y, (h, z) = LEM(3, 8, dt=0.5)(torch.randn(2, 5, 3))
    >>> y.shape, z.shape
    (torch.Size([2, 5, 8]), torch.Size([2, 8]))
    """

    def __init__(self, input_size: int, units: int, dt: float = 1.0):
        super().__init__()
        if not dt > 0:
            raise ValueError(f"dt must be positive, got {dt}")
        self.input_size, self.units, self.d_out, self.dt = input_size, units, units, float(dt)
        self.inp2hid = nn.Linear(input_size, 4 * units)
        self.hid2hid = nn.Linear(units, 3 * units)
        self.transform_z = nn.Linear(units, units)
        bound = 1.0 / math.sqrt(units)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def project_inputs(self, x):
        """``V u + b`` of every gate and update for all steps: (B, L, 4N)."""
        return self.inp2hid(x)

    def cell(self, p_t, state, dt_t, ctx):
        y, z = state
        i_dtbar, i_dt, v_y, v_z = p_t.chunk(4, dim=-1)
        h_dtbar, h_dt, w_z = self.hid2hid(y).chunk(3, dim=-1)
        if dt_t is None:  # the reference's explicit steps
            dt_n = self.dt * torch.sigmoid(i_dt + h_dt)
            dtbar_n = self.dt * torch.sigmoid(i_dtbar + h_dtbar)
        else:  # exact relaxation over the observed gap: 1 - exp(-dt gap rate), always in (0, 1)
            step = self.dt * dt_t.to(y.dtype)[:, None]
            dt_n = -torch.expm1(-step * torch.sigmoid(i_dt + h_dt))
            dtbar_n = -torch.expm1(-step * torch.sigmoid(i_dtbar + h_dtbar))
        z = (1.0 - dt_n) * z + dt_n * torch.tanh(v_z + w_z)
        y = (1.0 - dtbar_n) * y + dtbar_n * torch.tanh(self.transform_z(z) + v_y)
        return y, z

    def initial_state(self, batch_size, device=None, dtype=None):
        zeros = torch.zeros(batch_size, self.units, device=device, dtype=dtype or torch.get_default_dtype())
        return zeros, zeros.clone()
