"""CfC, LTC (liquid networks) and LEM: pinned to ncps (same weights and inputs), to direct transcriptions of the
update equations, to torchdiffeq, and to themselves across the streaming, masked and whole-sequence views."""

import numpy as np
import pytest
import torch

from tsrnn.nn.cfc import CfC
from tsrnn.nn.lem import LEM
from tsrnn.nn.ltc import LTC
from tsrnn.nn.recurrent import RecurrentBackbone
from tsrnn.nn.wirings import AutoNCP, FullyConnected, Random, Wiring, wiring_from_config

ncps_torch = pytest.importorskip("ncps.torch")
ncps_wirings = pytest.importorskip("ncps.wirings")

B, L, M = 3, 7, 4


def _inputs(seed=0, n_batch=B):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n_batch, L, M, generator=g)
    dt = torch.rand(n_batch, L, generator=g) * 1.5 + 0.2  # per-sample elapsed times
    return x, dt


def _per_sample(ncps_model, x, dt, **kw):
    """ncps run one sample at a time: the correct semantics for per-sample elapsed times."""
    outs = [ncps_model(x[i : i + 1], timespans=dt[i : i + 1, :, None], **kw)[0] for i in range(x.shape[0])]
    return torch.cat(outs)


def _linear(dst, src):
    dst.weight.data.copy_(src.weight.data)
    dst.bias.data.copy_(src.bias.data)


def _copy_cfc_cell(mine, theirs):
    linears = [m for m in (theirs.backbone or []) if isinstance(m, torch.nn.Linear)]
    for dst, src in zip(mine.backbone, linears, strict=True):
        _linear(dst, src)
    heads = [theirs.ff1] if mine.mode == "pure" else [theirs.ff1, theirs.ff2, theirs.time_a, theirs.time_b]
    mine.heads.weight.data.copy_(torch.cat([h.weight.data for h in heads]))
    mine.heads.bias.data.copy_(torch.cat([h.bias.data for h in heads]))
    if mine.mode == "pure":
        mine.w_tau.data.copy_(theirs.w_tau.data[0])
        mine.A.data.copy_(theirs.A.data[0])


def _copy_memory(mine, theirs):
    if mine.memory is not None:
        _linear(mine.memory.input_map, theirs.lstm.input_map)
        mine.memory.recurrent_map.weight.data.copy_(theirs.lstm.recurrent_map.weight.data)


def _wiring_from_ncps(w):
    return Wiring(w.adjacency_matrix, w.sensory_adjacency_matrix, w.output_dim,
                  layers=[w.get_neurons_of_layer(i) for i in range(w.num_layers)])


@pytest.mark.parametrize("mode", ["default", "no_gate", "pure"])
@pytest.mark.parametrize("backbone_layers", [0, 1, 2])
@pytest.mark.parametrize("mixed", [False, True], ids=["plain", "mixed"])
def test_cfc_equals_ncps(mode, backbone_layers, mixed):
    torch.manual_seed(0)
    theirs = ncps_torch.CfC(M, 5, mode=mode, backbone_units=6, backbone_layers=backbone_layers, mixed_memory=mixed)
    mine = CfC(M, 5, mode=mode, backbone_units=6, backbone_layers=backbone_layers, mixed_memory=mixed)
    _copy_cfc_cell(mine.cells[0], theirs.rnn_cell)
    _copy_memory(mine, theirs)
    x, dt = _inputs()
    ours, _ = mine(x, dt=dt)
    torch.testing.assert_close(ours, _per_sample(theirs, x, dt), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(mine(x)[0], theirs(x)[0], rtol=1e-5, atol=1e-5)  # no times: elapsed 1


def test_wired_cfc_equals_ncps():
    torch.manual_seed(1)
    wiring = ncps_wirings.NCP(6, 4, 2, 3, 2, 3, 2)
    theirs = ncps_torch.CfC(M, wiring)
    mine = CfC(M, _wiring_from_ncps(wiring))
    for dst, src in zip(mine.cells, theirs.rnn_cell._layers, strict=True):
        _copy_cfc_cell(dst, src)
    x, dt = _inputs()
    ours, _ = mine(x, dt=dt)
    assert ours.shape == (B, L, 2)
    torch.testing.assert_close(ours, _per_sample(theirs, x, dt), rtol=1e-5, atol=1e-5)


def _copy_ltc(mine, theirs):
    for name, p in mine.named_parameters():
        if not name.startswith("memory."):
            p.data.copy_(theirs.rnn_cell._params[name].data)


@pytest.mark.parametrize("wiring", ["full", "ncp"])
@pytest.mark.parametrize("mixed", [False, True], ids=["plain", "mixed"])
def test_ltc_equals_ncps(wiring, mixed):
    torch.manual_seed(2)
    w = ncps_wirings.FullyConnected(6) if wiring == "full" else ncps_wirings.NCP(4, 3, 2, 2, 2, 2, 2)
    theirs = ncps_torch.LTC(M, w, mixed_memory=mixed)
    mine = LTC(M, _wiring_from_ncps(w), mixed_memory=mixed)
    _copy_ltc(mine, theirs)
    _copy_memory(mine, theirs)
    x, dt = _inputs()
    ours, _ = mine(x, dt=dt)
    torch.testing.assert_close(ours, _per_sample(theirs, x, dt), rtol=1e-5, atol=1e-5)


def test_ncps_batched_elapsed_times_are_wrong_where_tsrnn_is_right():
    """ncps #81-#83: ``timespans[:, t].squeeze()`` has shape (B,) and broadcasts against the units axis, not the
    batch axis: with B == units the batched result silently differs from per-sample runs (and with B != units
    it raises). tsrnn broadcasts elapsed times per sample."""
    torch.manual_seed(3)
    units = 3
    theirs = ncps_torch.CfC(M, units, backbone_units=6)
    mine = CfC(M, units, backbone_units=6)
    _copy_cfc_cell(mine.cells[0], theirs.rnn_cell)
    x, dt = _inputs(n_batch=units)
    truth = _per_sample(theirs, x, dt)
    batched = theirs(x, timespans=dt[..., None])[0]
    assert (batched - truth).abs().max() > 1e-3  # ncps: wrong when B == units
    with pytest.raises(RuntimeError):
        theirs(x[:2], timespans=dt[:2, :, None])  # ncps: B != units raises
    torch.testing.assert_close(mine(x, dt=dt)[0], truth, rtol=1e-5, atol=1e-5)


def _lem_transcription(x, dt_obs, layer):
    """LEM's update equations transcribed literally in float64 numpy, one sample and step at a time."""
    W = {k: v.detach().double().numpy() for k, v in layer.state_dict().items()}
    N = layer.units
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    out = np.zeros((x.shape[0], x.shape[1], N))
    for b in range(x.shape[0]):
        y, z = np.zeros(N), np.zeros(N)
        for t in range(x.shape[1]):
            u = x[b, t].double().numpy()
            a_in = W["inp2hid.weight"] @ u + W["inp2hid.bias"]
            a_hid = W["hid2hid.weight"] @ y + W["hid2hid.bias"]
            if dt_obs is None:
                dtbar_n = layer.dt * sig(a_in[:N] + a_hid[:N])
                dt_n = layer.dt * sig(a_in[N : 2 * N] + a_hid[N : 2 * N])
            else:
                step = layer.dt * float(dt_obs[b, t])
                dtbar_n = 1 - np.exp(-step * sig(a_in[:N] + a_hid[:N]))
                dt_n = 1 - np.exp(-step * sig(a_in[N : 2 * N] + a_hid[N : 2 * N]))
            z = (1 - dt_n) * z + dt_n * np.tanh(a_in[3 * N :] + a_hid[2 * N :])
            y = (1 - dtbar_n) * y + dtbar_n * np.tanh(W["transform_z.weight"] @ z + W["transform_z.bias"] + a_in[2 * N : 3 * N])
            out[b, t] = y
    return torch.from_numpy(out)


@pytest.mark.parametrize("with_times", [False, True])
def test_lem_equals_transcription(with_times):
    torch.manual_seed(4)
    layer = LEM(M, 5, dt=0.6).double()
    x, dt = _inputs()
    dt = dt if with_times else None
    ours, _ = layer(x.double(), dt=None if dt is None else dt.double())
    torch.testing.assert_close(ours, _lem_transcription(x, dt, layer), rtol=1e-10, atol=1e-12)


def _layers():
    torch.manual_seed(5)
    return {"cfc": CfC(M, 5, backbone_units=6, mixed_memory=True), "wired_cfc": CfC(M, AutoNCP(8, 2, M)),
            "ltc": LTC(M, Random(5, M, sparsity_level=0.3)), "ltc_memory": LTC(M, 5, mixed_memory=True),
            "lem": LEM(M, 5, dt=0.5)}


@pytest.mark.parametrize("name", ["cfc", "wired_cfc", "ltc", "ltc_memory", "lem"])
def test_streaming_equals_whole_sequence_and_padding_is_ignored(name):
    layer = _layers()[name].double()
    x, dt = (v.double() for v in _inputs())
    whole, last = layer(x, dt=dt)
    state, steps = layer.initial_state(B, dtype=torch.float64), []
    for t in range(L):
        y_t, state = layer.step(x[:, t], state, dt[:, t])
        steps.append(y_t)
    torch.testing.assert_close(torch.stack(steps, 1), whole, rtol=1e-12, atol=1e-12)
    for a, b in zip(state, last, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    # padding: append 3 garbage steps masked out; outputs at valid steps and the final state are unchanged
    pad = torch.randn(B, 3, M, dtype=torch.float64)
    mask = torch.ones(B, L + 3, dtype=torch.bool)
    mask[:, L:] = False
    padded, last_p = layer(torch.cat([x, pad], 1), dt=torch.cat([dt, torch.ones(B, 3, dtype=torch.float64)], 1),
                           mask=mask)
    torch.testing.assert_close(padded[:, :L], whole, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(last_p[0], last[0], rtol=1e-12, atol=1e-12)


def test_ltc_fused_solver_converges_to_torchdiffeq():
    torch.manual_seed(6)
    fused = LTC(M, 5).double()
    exact = LTC(M, 5, solver="dopri5", solver_options={"rtol": 1e-10, "atol": 1e-10}).double()
    exact.load_state_dict(fused.state_dict())
    x, dt = (v.double() for v in _inputs())
    reference, _ = exact(x, dt=dt * 3)
    errors = []
    for unfolds in (1, 4, 16, 64):
        fused.ode_unfolds = unfolds
        errors.append((fused(x, dt=dt * 3)[0] - reference).abs().max().item())
    assert all(b < a for a, b in zip(errors, errors[1:], strict=False)), errors
    assert errors[-1] < 0.05 * errors[0], errors


def test_ltc_adjoint_gradients_equal_direct():
    torch.manual_seed(7)
    direct = LTC(M, 4, solver="dopri5", solver_options={"rtol": 1e-10, "atol": 1e-10}).double()
    adjoint = LTC(M, 4, solver="dopri5", solver_options={"rtol": 1e-10, "atol": 1e-10}, adjoint=True).double()
    adjoint.load_state_dict(direct.state_dict())
    x, dt = (v.double()[:, :3] for v in _inputs())
    grads = []
    for layer in (direct, adjoint):
        layer.zero_grad()
        layer(x, dt=dt)[0].square().sum().backward()
        grads.append({k: p.grad.clone() for k, p in layer.named_parameters()})
    for k in grads[0]:
        torch.testing.assert_close(grads[1][k], grads[0][k], rtol=1e-6, atol=1e-8)


def test_wirings_round_trip_and_masks():
    for w in (FullyConnected(5, 3, output_dim=2, self_connections=False), Random(6, 2, sparsity_level=0.5, seed=3),
              AutoNCP(12, 3, input_dim=4, sparsity_level=0.6)):
        again = wiring_from_config(w.get_config())
        assert (again.adjacency == w.adjacency).all() and (again.sensory_adjacency == w.sensory_adjacency).all()
        assert again.layers == w.layers and again.output_dim == w.output_dim
    sparse = Random(4, 2, seed=9)
    explicit = wiring_from_config(Wiring.get_config(sparse))  # the explicit-matrix form of any wiring
    assert type(explicit) is Wiring and (explicit.adjacency == sparse.adjacency).all()
    assert int(np.abs(Random(10, 2, sparsity_level=0.5).adjacency).sum()) == 50
    ltc = LTC(3, AutoNCP(10, 2, 3))
    masked = torch.nn.functional.softplus(ltc.w) * ltc.sparsity_mask
    assert (masked[ltc.sparsity_mask == 0] == 0).all() and ltc.d_out == 2
    with pytest.raises(ValueError, match="output_size"):
        AutoNCP(4, 3, 2)
    with pytest.raises(ValueError, match="entries"):
        Wiring(np.full((2, 2), 2), np.zeros((1, 2)), 1)


def test_stacked_backbone_and_bad_arguments():
    backbone = RecurrentBackbone([CfC(M, 6, backbone_units=8), LEM(6, 5)])
    x, dt = _inputs()
    assert backbone(x, dt=dt).shape == (B, L, 5)
    with pytest.raises(ValueError, match="input_size"):
        RecurrentBackbone([CfC(M, 6), LEM(5, 5)])
    with pytest.raises(ValueError, match="mode"):
        CfC(M, 4, mode="fast")
    with pytest.raises(ValueError, match="dt"):
        LEM(M, 4, dt=0.0)
    with pytest.raises(ValueError, match="input_dim"):
        LTC(M, FullyConnected(4, input_dim=M + 1))
    with pytest.raises(ValueError, match="solver must be 'fused' or a torchdiffeq method .*dopri5.*got 'rk5'"):
        LTC(M, 4, solver="rk5")
    with pytest.raises(ValueError, match="adjoint applies to torchdiffeq solvers only"):
        LTC(M, 4, adjoint=True)
    with pytest.raises(ValueError, match="solver_options applies to torchdiffeq solvers only"):
        LTC(M, 4, solver_options={"step_size": 0.1})


def _assert_fused_equals_loop(layer, x, kw):
    """Run ``layer`` fused and as its autograd step loop (``use_fused``) on ``x`` (requires grad) with ``kw``:
    outputs, every part of the last state and the gradients of ``x``, every parameter and ``kw["h0"]`` agree, and
    the fused outputs and last state under ``torch.no_grad`` (inference) and of the frozen layer on constant inputs
    with grad mode on equal the loop's."""
    w = torch.randn(B, L, layer.d_out, dtype=torch.float64)
    results = []
    for fused in (True, False):
        layer.use_fused = fused
        layer.zero_grad()
        x.grad = None
        y, last = layer(x, **kw)
        ((y * w).sum() + sum((s * (i + 1)).square().sum() for i, s in enumerate(last))).backward()
        grads = [x.grad.clone()] + [p.grad.clone() for p in layer.parameters()]
        for s in kw.get("h0", ()):
            grads.append(s.grad.clone())
            s.grad = None
        results.append([y.detach(), *(s.detach() for s in last), *grads])
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    layer.use_fused = True
    with torch.no_grad():  # inference (the fused loops then skip the backward's derivatives)
        y, last = layer(x, **kw)
    for a, b in zip([y, *last], results[1], strict=False):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    layer.requires_grad_(False)  # frozen, on constant inputs, grad mode on: no backward can follow either
    constant = {k: tuple(s.detach() for s in v) if k == "h0" else v for k, v in kw.items()}
    y, last = layer(x.detach(), **constant)
    layer.requires_grad_(True)
    assert y.grad_fn is None
    for a, b in zip([y, *last], results[1], strict=False):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["default", "no_gate"])
@pytest.mark.parametrize("backbone_layers", [0, 1, 2])
@pytest.mark.parametrize("activation", ["lecun_tanh", "tanh"])
@pytest.mark.parametrize("extras", ["plain", "gaps_mask_h0"])
@pytest.mark.parametrize("mixed_memory", [False, True])
def test_fused_cfc_loop_equals_autograd_loop(mode, backbone_layers, activation, extras, mixed_memory):
    """The dense CfC's fused loop with hand-written backward == the step-by-step autograd loop (float64): outputs,
    last state and the gradients of inputs, every parameter and the initial state (with mixed memory, h and c)."""
    torch.manual_seed(8)
    layer = CfC(M, 5, mode=mode, activation=activation, backbone_units=6, backbone_layers=backbone_layers,
                mixed_memory=mixed_memory).double()
    x, dt = (v.double() for v in _inputs())
    x.requires_grad_()
    kw = {}
    if extras != "plain":
        mask = torch.ones(B, L, dtype=torch.bool)
        mask[1, 4:], mask[2, 2] = False, False  # padding, and a masked step inside a series
        h0 = tuple(torch.randn(B, 5, dtype=torch.float64, requires_grad=True) for _ in range(1 + mixed_memory))
        kw = dict(dt=dt, mask=mask, h0=h0)
    _assert_fused_equals_loop(layer, x, kw)


@pytest.mark.parametrize("extras", ["plain", "gaps", "mask_h0", "gaps_mask_h0"])
def test_fused_lem_sequence_equals_autograd_loop(extras):
    """LEM's fused loop with hand-written backward == the autograd step loop (float64): outputs, last (y, z) and
    the gradients of the inputs, every parameter and the initial state."""
    torch.manual_seed(10)
    layer = LEM(M, 5, dt=0.7).double()
    x, dt = (v.double() for v in _inputs())
    kw = {"dt": dt} if "gaps" in extras else {}
    if "mask" in extras:
        mask = torch.ones(B, L, dtype=torch.bool)
        mask[1, 4:], mask[2, 2] = False, False  # padding, and a masked step inside a series
        kw.update(mask=mask, h0=tuple(torch.randn(B, 5, dtype=torch.float64, requires_grad=True) for _ in range(2)))
    x.requires_grad_()
    _assert_fused_equals_loop(layer, x, kw)


def test_fused_lem_never_reads_padded_inputs():
    """Whatever the inputs hold on padded steps (here NaN), the fused LEM gives the outputs and recurrent-weight
    gradients of zero-filled padding (the input projection's weight gradient multiplies the inputs themselves, so
    the estimators zero-fill padding)."""
    torch.manual_seed(11)
    layer = LEM(M, 5, dt=0.7)
    mask = torch.ones(B, L, dtype=torch.bool)
    mask[1, 4:], mask[2, 2] = False, False
    results = []
    for fill in (0.0, torch.nan):
        layer.zero_grad()
        y, (_, z) = layer(_inputs()[0].masked_fill(~mask[..., None], fill), mask=mask)
        (y.square().sum() + z.sum()).backward()
        recurrent = [layer.hid2hid.weight, layer.hid2hid.bias, layer.transform_z.weight, layer.transform_z.bias]
        results.append([y.detach(), z.detach()] + [p.grad.clone() for p in recurrent])
    for a, b in zip(*results, strict=True):
        assert torch.isfinite(b).all()
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def _ltc_kernel_available():
    from tsrnn.kernels import cpu_ltc

    return cpu_ltc.load() is not None


needs_ltc_kernel = pytest.mark.skipif(not _ltc_kernel_available(), reason="no C compiler for the LTC kernel")


@pytest.mark.parametrize("implementation", [pytest.param("kernel", marks=needs_ltc_kernel), "torch",
                                            pytest.param("kernel, mixed memory", marks=needs_ltc_kernel)])
@pytest.mark.parametrize("wiring", ["dense", "ncp"])
@pytest.mark.parametrize("extras", ["plain", "gaps_mask_h0"])
@pytest.mark.parametrize("ode_unfolds", [1, 3])
def test_fused_ltc_sequence_equals_autograd_loop(implementation, wiring, extras, ode_unfolds, monkeypatch):
    """The fused LTC solver with hand-written backward, as the compiled CPU kernel (over the whole sequence, or
    per step between mixed memory's LSTM updates) and in torch, == the autograd step loop (float64), values and
    the gradients of the inputs, every parameter and the initial state."""
    torch.manual_seed(9)
    units = 5 if wiring == "dense" else AutoNCP(7, 2, input_dim=M, seed=1)
    mixed_memory = implementation.endswith("mixed memory")
    layer = LTC(M, units, ode_unfolds=ode_unfolds, mixed_memory=mixed_memory).double()
    layer.use_kernel = implementation.startswith("kernel")
    x, dt = (v.double() for v in _inputs())
    kw = {}
    if extras != "plain":
        mask = torch.ones(B, L, dtype=torch.bool)
        mask[1, 4:], mask[2, 2] = False, False
        h0 = tuple(torch.randn(B, layer.units, dtype=torch.float64, requires_grad=True)
                   for _ in range(1 + mixed_memory))
        kw = dict(dt=dt, mask=mask, h0=h0)
    from tsrnn.kernels.cpu_ltc import CpuFusedLTCFn

    calls = []
    apply = CpuFusedLTCFn.apply
    monkeypatch.setattr(CpuFusedLTCFn, "apply", lambda *args: calls.append(args[0].shape[1]) or apply(*args))
    _assert_fused_equals_loop(layer, x.requires_grad_(), kw)
    # the compiled solver ran (over the whole sequence, or one step per call with mixed memory), or it did not
    expected = [] if not layer.use_kernel else [1] * (3 * L) if mixed_memory else [L] * 3
    assert calls == expected


def _ltc_results(layer, x, kw, weights):
    """Outputs, last state and the gradients of the inputs, every parameter and the initial state."""
    layer.zero_grad()
    x = x.detach().requires_grad_()
    h0 = tuple(s.detach().requires_grad_() for s in kw.get("h0", ()))
    y, (last,) = layer(x, **{**kw, **({"h0": h0} if h0 else {})})
    ((y * weights).sum() + last.square().sum()).backward()
    return [y.detach(), last.detach(), x.grad] + [p.grad.clone() for p in layer.parameters()] + [s.grad for s in h0]


@needs_ltc_kernel
@pytest.mark.parametrize("sigma_scale", [1.0, 30.0], ids=["typical", "saturated"])
def test_ltc_kernel_single_precision_is_as_accurate_as_torch(sigma_scale):
    """The kernel in float32 (its vectorized logistic function included) is as close to the float64 solver as
    the torch solver in float32 is, outputs and every gradient, with gaps, a mask and an initial state; also
    where sigmas 30x their initial size saturate many synapses (the logistic's clamps), which makes the
    gradients ill-conditioned for both."""
    torch.manual_seed(12)
    layer = LTC(M, AutoNCP(16, 3, input_dim=M, seed=2), ode_unfolds=4).double()
    with torch.no_grad():
        layer.sigma.mul_(sigma_scale)
    x, dt = (v.double() * s for v, s in zip(_inputs(4), (5.0, 1.0), strict=True))
    mask = torch.ones(B, L, dtype=torch.bool)
    mask[0, 5:] = False
    kw = dict(dt=dt, mask=mask, h0=(torch.randn(B, layer.units, dtype=torch.float64),))
    weights = torch.randn(B, L, layer.d_out, dtype=torch.float64)
    layer.use_kernel = False
    reference = _ltc_results(layer, x, kw, weights)
    layer.float()
    single = {k: v if k == "mask" else tuple(s.float() for s in v) if k == "h0" else v.float() for k, v in kw.items()}
    errors = {}
    for use_kernel in (True, False):
        layer.use_kernel = use_kernel
        results = _ltc_results(layer, x.float(), single, weights.float())
        errors[use_kernel] = [((a.double() - b).abs().max() / b.abs().max()).item() for a, b in zip(results, reference,
                                                                                                   strict=True)]
    for kernel, torch_solver in zip(errors[True], errors[False], strict=True):
        assert kernel <= max(3 * torch_solver, 2e-6)


@needs_ltc_kernel
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_ltc_kernel_propagates_nan(dtype):
    """A NaN input reaches the outputs of its sample as NaN (never a finite value), as in the torch solver; the
    other samples are untouched."""
    torch.manual_seed(13)
    layer = LTC(M, 6).to(dtype)
    x = _inputs()[0].to(dtype)
    x[1, 3, 0] = torch.nan
    outputs = []
    for use_kernel in (True, False):
        layer.use_kernel = use_kernel
        with torch.no_grad():
            outputs.append(layer(x)[0])
    kernel, torch_solver = outputs
    assert kernel[1, 3:].isnan().all() and torch_solver[1, 3:].isnan().all()
    assert torch.isfinite(kernel[[0, 2]]).all()
    torch.testing.assert_close(kernel[[0, 2]], torch_solver[[0, 2]])


def test_ltc_without_a_working_compiler_takes_the_torch_solver(monkeypatch, tmp_path):
    from tsrnn.kernels import cpu_ltc

    monkeypatch.setenv("TSRNN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CC", "false")  # a "compiler" that always fails
    cpu_ltc.load.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="cpu_ltc.c .*pure-torch"):
            assert cpu_ltc.load() is None
        layer = LTC(M, 5)
        x = _inputs()[0]
        assert not layer._compiled_kernel(x)
        layer.use_fused = False
        expected = layer(x)[0]
        layer.use_fused = True
        torch.testing.assert_close(layer(x)[0], expected)
    finally:
        cpu_ltc.load.cache_clear()


@needs_ltc_kernel
def test_ltc_backend_override_selects_the_solver(monkeypatch):
    layer, x = LTC(M, 5), _inputs()[0]
    assert layer._compiled_kernel(x)
    assert not layer._compiled_kernel(x.double())  # mixed dtypes (float32 parameters)
    monkeypatch.setenv("TSRNN_BACKEND", "torch")
    assert not layer._compiled_kernel(x)


@needs_ltc_kernel
def test_ltc_kernel_threads_split_the_batch_exactly():
    """With two threads the kernel splits the batch into blocks (per-block gradient partials, added up): the same
    outputs and gradients as one thread (float64)."""
    torch.manual_seed(14)
    layer = LTC(M, 6).double()
    x, dt = (v.double() for v in _inputs(5, n_batch=5))
    kw = dict(dt=dt, h0=(torch.randn(5, 6, dtype=torch.float64),))
    weights = torch.randn(5, L, layer.d_out, dtype=torch.float64)
    threads = torch.get_num_threads()
    results = []
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            results.append(_ltc_results(layer, x, kw, weights))
    finally:
        torch.set_num_threads(threads)
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
