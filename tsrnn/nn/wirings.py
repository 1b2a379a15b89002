"""Wirings: which neurons of a liquid network (LTC, CfC) connect, as sparsity masks with polarities.

A wiring of ``units`` neurons fed by ``input_dim`` inputs is two matrices with entries in {-1, 0, +1}:
``adjacency`` (units, units), source neuron -> target neuron, and ``sensory_adjacency`` (input_dim, units),
input -> neuron. The sign is the synapse's polarity (initial reversal potential of an LTC synapse), zero means
no synapse. Neurons ``0 .. output_dim - 1`` are the motor (output) neurons. Layered wirings (NCP) also list
their layers (inter, command, motor), which a wired CfC evaluates one after another within a time step.

Wirings: :class:`FullyConnected`, :class:`Random` (sparse), :class:`NCP` (Lechner et al., Nature Machine
Intelligence 2020: sensory -> inter -> command -> motor with recurrent command synapses) and :class:`AutoNCP`
(NCP sized from a unit count and a sparsity). Every wiring is deterministic given its ``seed`` and round-trips
through :meth:`Wiring.get_config` / :func:`wiring_from_config`.
"""

from __future__ import annotations

import numpy as np


class Wiring:
    """Explicit wiring (the base class; generated wirings subclass it).

    Parameters
    ----------
    adjacency : array-like, shape (units, units)
        Entries in {-1, 0, 1}: polarity of the synapse from row neuron to column neuron.
    sensory_adjacency : array-like, shape (input_dim, units)
    output_dim : int
        Motor neurons (the first ``output_dim`` neurons).
    layers : list of list of int, optional
        Neuron ids per layer, evaluated in order (default: one layer of all neurons).
    """

    def __init__(self, adjacency, sensory_adjacency, output_dim: int, layers=None):
        self.adjacency = _check_polarities(adjacency, "adjacency")
        self.sensory_adjacency = _check_polarities(sensory_adjacency, "sensory_adjacency")
        units = self.adjacency.shape[0]
        if self.adjacency.shape != (units, units):
            raise ValueError(f"adjacency must be square, got shape {self.adjacency.shape}")
        if self.sensory_adjacency.shape[1] != units:
            raise ValueError(f"sensory_adjacency must have {units} columns, got shape {self.sensory_adjacency.shape}")
        if not 1 <= int(output_dim) <= units:
            raise ValueError(f"output_dim must lie in [1, {units}], got {output_dim}")
        self.output_dim = int(output_dim)
        self.layers = [list(range(units))] if layers is None else [[int(i) for i in layer] for layer in layers]
        if sorted(i for layer in self.layers for i in layer) != list(range(units)):
            raise ValueError("layers must partition the neuron ids 0 .. units - 1")

    @property
    def units(self) -> int:
        return self.adjacency.shape[0]

    @property
    def input_dim(self) -> int:
        return self.sensory_adjacency.shape[0]

    def get_config(self) -> dict:
        """JSON-serializable description; :func:`wiring_from_config` rebuilds the same wiring."""
        return {"class": "Wiring", "adjacency": self.adjacency.tolist(),
                "sensory_adjacency": self.sensory_adjacency.tolist(), "output_dim": self.output_dim,
                "layers": self.layers}

    def __repr__(self):
        return (f"{type(self).__name__}(units={self.units}, input_dim={self.input_dim}, output_dim={self.output_dim}, "
                f"synapses={int(np.abs(self.adjacency).sum())}, sensory_synapses={int(np.abs(self.sensory_adjacency).sum())})")


def _check_polarities(matrix, name):
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or not np.isin(matrix, (-1, 0, 1)).all():
        raise ValueError(f"{name} must be a 2-D array with entries in {{-1, 0, 1}}")
    return matrix.astype(np.int8)


def _polarity(rng, size, excitatory_share=2 / 3):
    return np.where(rng.random(size) < excitatory_share, 1, -1)


class FullyConnected(Wiring):
    """Every neuron to every neuron (self-connections optional) and every input to every neuron; polarities
    drawn +1 with probability 2/3 (as ncps does).

    Examples
    --------
    >>> FullyConnected(4, input_dim=2, output_dim=1).adjacency.shape
    (4, 4)
    """

    def __init__(self, units: int, input_dim: int, output_dim: int | None = None, self_connections: bool = True,
                 seed: int = 1111):
        rng = np.random.default_rng(seed)
        adjacency = _polarity(rng, (units, units))
        if not self_connections:
            np.fill_diagonal(adjacency, 0)
        super().__init__(adjacency, _polarity(rng, (input_dim, units)), units if output_dim is None else output_dim)
        self._config = dict(units=units, input_dim=input_dim, output_dim=output_dim, self_connections=self_connections,
                            seed=seed)

    def get_config(self):
        return {"class": "FullyConnected", **self._config}


class Random(Wiring):
    """A random sparse wiring: each synapse (and each sensory synapse) present with probability
    ``1 - sparsity_level`` (exactly ``round(units^2 (1 - sparsity_level))`` recurrent synapses)."""

    def __init__(self, units: int, input_dim: int, output_dim: int | None = None, sparsity_level: float = 0.5,
                 seed: int = 1111):
        if not 0.0 <= sparsity_level < 1.0:
            raise ValueError(f"sparsity_level must lie in [0, 1), got {sparsity_level}")
        rng = np.random.default_rng(seed)
        adjacency = np.zeros((units, units), dtype=np.int8)
        n_syn = int(round(units * units * (1 - sparsity_level)))
        chosen = rng.choice(units * units, size=n_syn, replace=False)
        adjacency.flat[chosen] = _polarity(rng, n_syn)
        n_sens = int(round(input_dim * units * (1 - sparsity_level)))
        sensory = np.zeros((input_dim, units), dtype=np.int8)
        sensory.flat[rng.choice(input_dim * units, size=n_sens, replace=False)] = _polarity(rng, n_sens)
        super().__init__(adjacency, sensory, units if output_dim is None else output_dim)
        self._config = dict(units=units, input_dim=input_dim, output_dim=output_dim, sparsity_level=sparsity_level,
                            seed=seed)

    def get_config(self):
        return {"class": "Random", **self._config}


class NCP(Wiring):
    """Neural circuit policy: sensory -> inter -> command -> motor, plus recurrent command synapses.

    Neuron ids: motor ``[0, m)``, command ``[m, m + c)``, inter ``[m + c, m + c + i)``; layers (inter, command,
    motor). Each input reaches ``sensory_fanout`` random inter neurons, each inter neuron ``inter_fanout``
    random command neurons, ``recurrent_command_synapses`` random command -> command synapses, each motor
    neuron receives from ``motor_fanin`` random command neurons; neurons left without an incoming (inter,
    command) or outgoing (command) synapse get random ones. Polarities are +1 or -1 with equal probability.

    Examples
    --------
    >>> w = NCP(inter_neurons=6, command_neurons=4, motor_neurons=2, sensory_fanout=3, inter_fanout=2,
    ...         recurrent_command_synapses=3, motor_fanin=2, input_dim=5)
    >>> w.units, [len(layer) for layer in w.layers]
    (12, [6, 4, 2])
    """

    def __init__(self, inter_neurons: int, command_neurons: int, motor_neurons: int, sensory_fanout: int,
                 inter_fanout: int, recurrent_command_synapses: int, motor_fanin: int, input_dim: int,
                 seed: int = 22222):
        n_i, n_c, n_m = inter_neurons, command_neurons, motor_neurons
        for name, value, high in (("sensory_fanout", sensory_fanout, n_i), ("inter_fanout", inter_fanout, n_c),
                                  ("motor_fanin", motor_fanin, n_c)):
            if not 1 <= value <= high:
                raise ValueError(f"{name} must lie in [1, {high}], got {value}")
        if recurrent_command_synapses < 0:
            raise ValueError(f"recurrent_command_synapses must be >= 0, got {recurrent_command_synapses}")
        rng = np.random.default_rng(seed)
        units = n_i + n_c + n_m
        motor, command, inter = np.arange(n_m), np.arange(n_m, n_m + n_c), np.arange(n_m + n_c, units)
        adjacency = np.zeros((units, units), dtype=np.int8)
        sensory = np.zeros((input_dim, units), dtype=np.int8)
        sign = lambda: 1 if rng.random() < 0.5 else -1  # noqa: E731
        for src in range(input_dim):
            for dst in rng.choice(inter, size=sensory_fanout, replace=False):
                sensory[src, dst] = sign()
        fanin = max(1, int(round(input_dim * sensory_fanout / n_i)))
        for dst in inter:  # inter neurons nobody projects to
            if not sensory[:, dst].any():
                for src in rng.choice(input_dim, size=min(fanin, input_dim), replace=False):
                    sensory[src, dst] = sign()
        for src in inter:
            for dst in rng.choice(command, size=inter_fanout, replace=False):
                adjacency[src, dst] = sign()
        fanin = max(1, int(round(n_i * inter_fanout / n_c)))
        for dst in command:
            if not adjacency[inter, dst].any():
                for src in rng.choice(inter, size=min(fanin, n_i), replace=False):
                    adjacency[src, dst] = sign()
        for _ in range(recurrent_command_synapses):
            adjacency[rng.choice(command), rng.choice(command)] = sign()
        for dst in motor:
            for src in rng.choice(command, size=motor_fanin, replace=False):
                adjacency[src, dst] = sign()
        for src in command:  # command neurons reaching no motor neuron
            if not adjacency[src, motor].any():
                adjacency[src, rng.choice(motor)] = sign()
        super().__init__(adjacency, sensory, n_m, layers=[inter.tolist(), command.tolist(), motor.tolist()])
        self._config = dict(inter_neurons=n_i, command_neurons=n_c, motor_neurons=n_m, sensory_fanout=sensory_fanout,
                            inter_fanout=inter_fanout, recurrent_command_synapses=recurrent_command_synapses,
                            motor_fanin=motor_fanin, input_dim=input_dim, seed=seed)

    def get_config(self):
        return {"class": "NCP", **self._config}


class AutoNCP(NCP):
    """An NCP sized from ``units``, ``output_size`` and ``sparsity_level`` (density ``d = 1 - sparsity_level``):
    command ``max(int(0.4 (units - output_size)), 1)``, inter the rest, fan-outs/-ins scaled by ``d``.

    Examples
    --------
    >>> AutoNCP(16, output_size=2, input_dim=3).units
    16
    """

    def __init__(self, units: int, output_size: int, input_dim: int, sparsity_level: float = 0.5, seed: int = 22222):
        if output_size >= units - 2:
            raise ValueError(f"output_size must be less than units - 2 = {units - 2}, got {output_size}")
        if not 0.1 <= sparsity_level <= 0.9:
            raise ValueError(f"sparsity_level must lie in [0.1, 0.9], got {sparsity_level}")
        density = 1.0 - sparsity_level
        n_c = max(int(0.4 * (units - output_size)), 1)
        n_i = units - output_size - n_c
        super().__init__(n_i, n_c, output_size, sensory_fanout=max(int(n_i * density), 1),
                         inter_fanout=max(int(n_c * density), 1),
                         recurrent_command_synapses=max(int(2 * n_c * density), 1),
                         motor_fanin=max(int(n_c * density), 1), input_dim=input_dim, seed=seed)
        self._config = dict(units=units, output_size=output_size, input_dim=input_dim, sparsity_level=sparsity_level,
                            seed=seed)

    def get_config(self):
        return {"class": "AutoNCP", **self._config}


WIRINGS = {cls.__name__: cls for cls in (FullyConnected, Random, NCP, AutoNCP)}


def wiring_from_config(config: dict) -> Wiring:
    """Rebuild a wiring from :meth:`Wiring.get_config`.

    Examples
    --------
    >>> w = AutoNCP(10, output_size=1, input_dim=2, seed=3)
    >>> (wiring_from_config(w.get_config()).adjacency == w.adjacency).all()
    np.True_
    """
    config = dict(config)
    name = config.pop("class", None)
    if name == "Wiring":
        return Wiring(**config)
    if name not in WIRINGS:
        raise ValueError(f"unknown wiring class {name!r}; expected one of {['Wiring', *WIRINGS]}")
    return WIRINGS[name](**config)


def make_wiring(wiring, units: int, input_dim: int, output_dim: int | None = None, seed: int = 1111) -> Wiring:
    """A wiring from a name (``"fully_connected"``, ``"random"``, ``"ncp"``), a config dict or a Wiring.

    ``"random"`` has sparsity 0.5; ``"ncp"`` is :class:`AutoNCP` with ``output_dim`` motor neurons (default
    ``max(1, units // 4)``) and sparsity 0.5.
    """
    if isinstance(wiring, Wiring):
        if wiring.units != units or wiring.input_dim != input_dim:
            raise ValueError(f"wiring has {wiring.units} units and {wiring.input_dim} inputs; the layer needs {units} "
                             f"units and {input_dim} inputs")
        return wiring
    if isinstance(wiring, dict):
        return make_wiring(wiring_from_config(wiring), units, input_dim)
    if wiring == "fully_connected":
        return FullyConnected(units, input_dim, output_dim, seed=seed)
    if wiring == "random":
        return Random(units, input_dim, output_dim, sparsity_level=0.5, seed=seed)
    if wiring == "ncp":
        return AutoNCP(units, output_dim or max(1, units // 4), input_dim, sparsity_level=0.5, seed=seed)
    raise ValueError(f"wiring must be 'fully_connected', 'random', 'ncp', a config dict or a Wiring, got {wiring!r}")
