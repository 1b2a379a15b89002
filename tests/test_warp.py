"""WARP: the weight-space scans pinned to the step recurrence, the model to a NumPy transcription of its
equations, the physics formula to the mass-spring-damper ODE, and the estimators' contract."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tsrnn.nn.warp import WARP, LinearODE, RootMLP, Transition, WARPForecastNet, WARPSequenceNet
from tsrnn.ops.weight_scan import dense_scan, diagonal_scan, dplr_scan, weight_scan_ref

D, R = 10, 3


def _random_transition(kind, seed=0):
    g = torch.Generator().manual_seed(seed)
    tr = Transition(kind, D, rank=R).double()
    with torch.no_grad():
        for p in tr.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.3)
        if kind != "dense":
            tr.a.copy_(0.5 + 0.5 * torch.rand(D, generator=g, dtype=torch.float64))
    return tr


@pytest.mark.parametrize("kind", ["dense", "diagonal", "dplr"])
def test_scan_equals_step_recurrence_values_and_gradients(kind):
    tr = _random_transition(kind)
    u = torch.randn(3, 17, D, dtype=torch.float64, requires_grad=True)
    fast = tr.scan(u)
    ref = weight_scan_ref(tr.matrix(), u)
    torch.testing.assert_close(fast, ref, rtol=1e-10, atol=1e-12)
    w = torch.randn_like(ref)
    g_fast = torch.autograd.grad((fast * w).sum(), [u, *tr.parameters()])
    g_ref = torch.autograd.grad((ref * w).sum(), [u, *tr.parameters()])
    for a, b in zip(g_fast, g_ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-11)


def test_dplr_and_dense_scan_gradcheck_and_edge_lengths():
    g = torch.Generator().manual_seed(1)
    a = (0.5 + 0.5 * torch.rand(4, generator=g, dtype=torch.float64)).requires_grad_()
    P = (0.3 * torch.randn(4, 2, generator=g, dtype=torch.float64)).requires_grad_()
    Q = (0.3 * torch.randn(4, 2, generator=g, dtype=torch.float64)).requires_grad_()
    u = torch.randn(2, 5, 4, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(dplr_scan, (a, P, Q, u))
    A = (0.3 * torch.randn(4, 4, generator=g, dtype=torch.float64)).requires_grad_()
    assert torch.autograd.gradcheck(dense_scan, (A, u))  # the hand-written backward
    A = torch.diag(a) + P @ Q.T
    for length in (1, 2):
        torch.testing.assert_close(dplr_scan(a, P, Q, u[:, :length]), weight_scan_ref(A, u[:, :length]))
    for chunk in (1, 2, 3):  # chunked solves carry the state exactly
        torch.testing.assert_close(dplr_scan(a, P, Q, u, chunk=chunk), weight_scan_ref(A, u))
    assert torch.autograd.gradcheck(lambda *args: dplr_scan(*args, chunk=2), (a, P, Q, u))


def test_diagonal_and_dense_agree_with_closed_form():
    """theta_t = sum_k A^k u_{t-k}: the convolution form with kernel A^k (what the reference builds)."""
    g = torch.Generator().manual_seed(2)
    A = 0.3 * torch.randn(D, D, generator=g, dtype=torch.float64)
    u = torch.randn(2, 6, D, generator=g, dtype=torch.float64)
    powers = [torch.linalg.matrix_power(A, k) for k in range(6)]
    conv = torch.stack([sum(u[:, t - k] @ powers[k].T for k in range(t + 1)) for t in range(6)], dim=1)
    torch.testing.assert_close(dense_scan(A, u), conv)
    a = torch.rand(D, generator=g, dtype=torch.float64)
    conv = torch.stack([sum(u[:, t - k] * a**k for k in range(t + 1)) for t in range(6)], dim=1)
    torch.testing.assert_close(diagonal_scan(a, u), conv)


@pytest.mark.parametrize("kind", ["dense", "diagonal", "dplr"])
def test_transition_starts_at_identity(kind):
    tr = Transition(kind, D, rank=R)
    torch.testing.assert_close(tr.matrix(), torch.eye(D))
    theta = torch.randn(2, D)
    torch.testing.assert_close(tr.step(theta), theta)


def _numpy_root(theta, tau, shapes, act):
    h, off = np.array([tau]), 0
    for k, (o, i) in enumerate(shapes):
        W = theta[off : off + o * i].reshape(o, i)
        b = theta[off + o * i : off + o * i + o]
        off += o * i + o
        h = W @ h + b
        if k < len(shapes) - 1:
            h = act(h)
    return h


@pytest.mark.parametrize("kind", ["dense", "diagonal", "dplr"])
def test_model_equals_numpy_transcription(kind):
    """theta_0 = phi(x_0); theta_t = A theta_{t-1} + B (x_t - x_{t-1}); y_t = root_{theta_t}(tau_{t+1})."""
    torch.manual_seed(0)
    warp = WARP(3, 2, root_width=5, root_depth=2, activation="tanh", transition=kind, rank=2).double()
    with torch.no_grad():
        for p in warp.transition.parameters():
            p.add_(0.05 * torch.randn_like(p))
        warp.B.normal_(0, 0.3)
    x = torch.randn(2, 7, 3, dtype=torch.float64)
    tau = torch.rand(2, 7, dtype=torch.float64)
    theta = warp.scan(x)
    out = warp.decode(theta, tau).detach().numpy()
    A, B = warp.transition.matrix().detach().numpy(), warp.B.detach().numpy()
    xs = x.numpy()
    for i in range(2):
        th = warp.initial_theta(x[i : i + 1, 0])[0].detach().numpy()
        for t in range(7):
            if t:
                th = A @ th + B @ (xs[i, t] - xs[i, t - 1])
            np.testing.assert_allclose(theta[i, t].detach().numpy(), th, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(out[i, t], _numpy_root(th, tau[i, t].item(), warp.root.shapes, np.tanh),
                                       rtol=1e-10, atol=1e-12)


def test_root_layout_size_and_learned_initial_state():
    root = RootMLP(1, 32, 1, 7)
    assert root.n_params == 2 * 32 + 33 * 7
    warp = WARP(2, 7, root_width=32, init_state="learned")
    theta0 = warp.initial_theta(torch.randn(4, 2))
    assert theta0.shape == (4, root.n_params) and torch.equal(theta0[0], theta0[3])
    with pytest.raises(ValueError, match="init_state"):
        WARP(2, 7, init_state="zeros")
    with pytest.raises(ValueError, match="transition"):
        Transition("banded", 4)


@pytest.mark.parametrize("start", ["previous", "first"])
def test_linear_ode_formula_solves_the_mass_spring_damper(start):
    """With R = dt [[0, 1], [-k, -c]] the physics formula is the ODE's exact step from the previous value, or its
    solution from the first value."""
    from tsrnn.datasets import make_mass_spring_damper

    dt = 0.05
    X, params = make_mass_spring_damper(3, 60, dt, observe="both", random_state=1)
    formula = LinearODE(2, start=start)
    steps = torch.arange(1, 60, dtype=torch.float64)
    for i, (k, c, _, _) in enumerate(params):
        R = torch.tensor([[0.0, dt], [-k * dt, -c * dt]], dtype=torch.float64).reshape(4)
        x = torch.as_tensor(X[i])
        y = formula(R.expand(59, 4), steps, torch.ones(59, dtype=torch.float64), x[0].expand(59, 2), x[:-1])
        np.testing.assert_allclose(y.numpy(), X[i, 1:], atol=1e-8)
    with pytest.raises(ValueError, match="start"):
        LinearODE(2, start="last")


def test_mass_spring_damper_dataset_contract():
    from tsrnn.datasets import make_mass_spring_damper

    X, params = make_mass_spring_damper(4, 50, observe="both", random_state=3)
    X2, _ = make_mass_spring_damper(4, 50, observe="both", random_state=3)
    assert X.shape == (4, 50, 2) and params.shape == (4, 4) and np.array_equal(X, X2)
    np.testing.assert_allclose(X[:, 0], params[:, 2:])
    # velocity is the derivative of position (central differences)
    np.testing.assert_allclose((X[:, 2:, 0] - X[:, :-2, 0]) / 0.1, X[:, 1:-1, 1], atol=5e-3)
    with pytest.raises(ValueError, match="observe"):
        make_mass_spring_damper(2, 10, observe="energy")
    with pytest.raises(ValueError, match="damping"):
        make_mass_spring_damper(2, 10, damping=(0.5, 0.1))


def _forecast_net(forcing_prob, kind="dense"):
    torch.manual_seed(0)
    warp = WARP(2 + 1, 2, root_width=6, transition=kind).double()
    with torch.no_grad():
        warp.B.normal_(0, 0.2)
        for p in warp.transition.parameters():
            p.add_(0.02 * torch.randn_like(p))
    return WARPForecastNet(warp, 2, lookback=8, horizon=5, instance_norm=True, forcing_prob=forcing_prob,
                           context_loss=False)


def _rollout(net, x, truth=None):
    """Step-by-step transcription of the forecast: scan nothing, step everything."""
    values, mean, std = x, x.mean(1, keepdim=True), torch.sqrt(x.var(1, unbiased=False, keepdim=True) + 1e-5)
    values = (values - mean) / std
    span = net.span
    inp = [torch.cat([values[:, t], torch.full_like(values[:, t, :1], t / span)], -1) for t in range(8)]
    theta = net.warp.initial_theta(inp[0])
    for t in range(1, 8):
        theta = net.warp.step(theta, inp[t] - inp[t - 1])
    prev, outs = inp[-1], []
    for k in range(5):
        tau = torch.full_like(values[:, 0, 0], (8 + k) / span)
        y = net.warp.decode(theta, tau)
        outs.append(y)
        nxt = torch.cat([y if truth is None else (truth[:, k] - mean[:, 0]) / std[:, 0], tau[:, None]], -1)
        theta = net.warp.step(theta, nxt - prev)
        prev = nxt
    return torch.stack(outs, 1) * std + mean


@pytest.mark.parametrize("kind", ["dense", "dplr"])
def test_forecast_autoregressive_and_teacher_forced_equal_the_step_loop(kind):
    net = _forecast_net(1.0, kind)
    x = torch.randn(3, 8, 2, dtype=torch.float64)
    targets = torch.randn(3, 5, 2, dtype=torch.float64)
    net.eval()
    torch.testing.assert_close(net(x), _rollout(net, x))
    net.train()
    torch.testing.assert_close(net(x, targets=targets), _rollout(net, x, truth=targets))  # one parallel scan
    net.forcing_prob = 0.0
    torch.testing.assert_close(net(x, targets=targets), _rollout(net, x))


def test_context_predictions_are_one_step_ahead_over_the_lookback():
    """With context_loss, training also returns root(theta_t)(tau_{t+1}) for t < L - 1 against x_{t+1}, in the
    data's scale, and the training loss is the MSE over the context and horizon together."""
    from tsrnn.training.module import SequenceLightningModule, nan_mse

    net = _forecast_net(0.0)
    net.context_loss = True
    xin = torch.randn(3, 8, 2, dtype=torch.float64)
    targets = torch.randn(3, 5, 2, dtype=torch.float64)
    net.train()
    out, context, context_target = net(xin, targets=targets)
    values = xin
    mean, std = values.mean(1, keepdim=True), torch.sqrt(values.var(1, unbiased=False, keepdim=True) + 1e-5)
    inputs = torch.cat([(values - mean) / std, (torch.arange(8.0, dtype=torch.float64) / net.span).expand(3, 8)[..., None]],
                       -1)
    theta = net.warp.scan(inputs)
    expected = net.warp.decode(theta[:, :-1], torch.arange(1, 8.0, dtype=torch.float64).expand(3, 7) / net.span)
    torch.testing.assert_close(context, expected * std + mean)
    torch.testing.assert_close(context_target, xin[:, 1:])
    module = SequenceLightningModule(net).train()
    batch = {"x": xin, "y": targets}
    torch.manual_seed(0)
    loss = module._loss(batch)
    torch.manual_seed(0)
    out, context, context_target = net(xin, targets=targets)
    torch.testing.assert_close(loss, nan_mse(torch.cat([context, out], 1), torch.cat([context_target, targets], 1)))
    net.eval()
    assert isinstance(net(xin, targets=targets), torch.Tensor)


def test_sequence_net_stream_equals_forward_and_mask_picks_last_valid():
    torch.manual_seed(0)
    warp = WARP(2 + 1, 3, root_width=5, transition="diagonal")
    with torch.no_grad():
        warp.B.normal_(0, 0.3)
    net = WARPSequenceNet(warp, span=9).eval()
    x, dt = torch.randn(2, 10, 2), 0.5 + torch.rand(2, 10)
    streamed, state = net.stream(x[:, :4], dt[:, :4])
    more, _ = net.stream(x[:, 4:], dt[:, 4:], state)
    streamed = torch.cat([streamed, more], 1)
    for t in (0, 3, 9):
        torch.testing.assert_close(streamed[:, t], net(x[:, : t + 1], dt[:, : t + 1]), rtol=1e-5, atol=1e-6)
    mask = torch.ones(2, 10, dtype=torch.bool)
    mask[1, 6:] = False
    torch.testing.assert_close(net(x, dt, mask)[1], net(x[1:, :6], dt[1:, :6])[0])


def test_times_set_the_time_coordinate():
    """Uniformly spaced times equal no times; the decoder query follows the observed gaps."""
    torch.manual_seed(0)
    warp = WARP(1 + 1, 1, root_width=4, transition="diagonal")
    with torch.no_grad():
        warp.B.normal_(0, 0.5)
    net = WARPSequenceNet(warp, span=5).eval()
    x = torch.randn(2, 6, 1)
    torch.testing.assert_close(net(x), net(x, torch.ones(2, 6)))
    assert not torch.allclose(net(x), net(x, torch.tensor([[1.0, 1, 3, 1, 1, 1]] * 2)))


# --- estimators ------------------------------------------------------------------------------------------


def test_estimators_fit_predict_save_load(tmp_path):
    from tsrnn import WARPClassifier, WARPForecaster, WARPRegressor, load

    rng = np.random.default_rng(0)
    X = rng.standard_normal((24, 12, 2))
    y = (X[:, :, 0].mean(1) > 0).astype(int)
    for est, target in ((WARPClassifier(root_width=4, transition="dplr", rank=2, max_epochs=1, random_state=0), y),
                        (WARPRegressor(root_width=4, transition="diagonal", max_epochs=1, random_state=0),
                         X.sum((1, 2)))):
        est.fit(X, target)
        est.save(tmp_path / type(est).__name__)
        back = load(tmp_path / type(est).__name__)
        np.testing.assert_allclose(back.predict(X), est.predict(X))
    series = np.sin(np.arange(150) / 5.0)
    f = WARPForecaster(root_width=4, lookback=20, horizon=5, max_epochs=1, physics="linear_ode",
                       instance_norm=False, random_state=0).fit(series)
    f.save(tmp_path / "f")
    np.testing.assert_allclose(load(tmp_path / "f").predict(), f.predict())
    f2 = WARPForecaster(root_width=4, lookback=20, horizon=5, max_epochs=1, random_state=0).fit(series)
    np.testing.assert_array_equal(f2.predict(), WARPForecaster(root_width=4, lookback=20, horizon=5, max_epochs=1,
                                                                random_state=0).fit(series).predict())


def test_estimator_parameter_errors_name_the_argument():
    from tsrnn import WARPClassifier, WARPForecaster

    X, y = np.zeros((6, 5)), np.array([0, 1] * 3)
    for kw, match in ((dict(transition="full"), "transition"), (dict(root_width=0), "root_width"),
                      (dict(init_state="x"), "init_state"), (dict(activation="gelu"), "activation")):
        with pytest.raises((ValueError, TypeError), match=match):
            WARPClassifier(**kw).fit(X, y)
    for kw, match in ((dict(forcing_prob=1.5), "forcing_prob"), (dict(physics="pendulum"), "physics"),
                      (dict(output_bound=0.0), "output_bound"), (dict(output_bound=-1.0), "output_bound"),
                      (dict(physics=len), "physics")):
        with pytest.raises((ValueError, TypeError), match=match):
            WARPForecaster(lookback=4, horizon=2, **kw).fit(np.arange(30.0))
    f = WARPForecaster(lookback=4, horizon=2, max_epochs=1, physics=LinearODE(1)).fit(np.arange(30.0))
    with pytest.raises(ValueError, match="physics"):
        f.save("unused")


# --- reconstructor -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["diagonal", "dense"])
def test_warp_map_forced_equals_warp_on_data(kind):
    """Forcing the observed units at every step makes the map's weights WARP's theta_t on the data, and its
    output the root network of theta_t at x_t; the Jacobian equals autograd's of one step."""
    from tsrnn.nn.warp import WARPMap

    torch.manual_seed(0)
    m = WARPMap(3, root_width=5, transition=kind).double()
    with torch.no_grad():
        m.warp.B.normal_(0, 0.3)
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    theta = m.warp.scan(x)  # WARP on the data, no time channel
    z = m.init_state(x[:, 0])
    for t in range(5):
        psi = z[:, 3:]
        torch.testing.assert_close(psi + x[:, t] @ m.warp.B.T, theta[:, t])
        z = m(z)
        torch.testing.assert_close(z[:, :3], m.warp.decode(theta[:, t], x[:, t]))
        z = torch.cat([x[:, t + 1], z[:, 3:]], dim=-1)
    J = m.jacobian(z)
    J_ref = torch.autograd.functional.jacobian(lambda v: m(v[None])[0], z[0])
    torch.testing.assert_close(J[0], J_ref)


def test_reconstructor_contract(tmp_path):
    from tsrnn.datasets import make_trajectory

    from tsrnn import WARPReconstructor, load

    X = make_trajectory("lorenz63", n_steps=1500, random_state=0)
    rec = WARPReconstructor(root_width=6, seq_len=40, max_epochs=2, batches_per_epoch=4, random_state=0).fit(X)
    assert rec.forcing == "sparse" and rec.module_.n_latent == 3 + rec.module_.warp.dim
    sim = rec.simulate(50, x0=X[10])
    assert sim.shape == (50, 3) and np.allclose(sim[0], X[10])
    assert rec.predict(X[:7], n_steps=3).shape == (7, 3)
    rec.save(tmp_path / "rec")
    np.testing.assert_allclose(load(tmp_path / "rec").simulate(30), rec.simulate(30))
    again = WARPReconstructor(root_width=6, seq_len=40, max_epochs=2, batches_per_epoch=4, random_state=0).fit(X)
    np.testing.assert_array_equal(again.simulate(30), rec.simulate(30))
    with pytest.raises(ValueError, match="transition"):
        WARPReconstructor(transition="full").fit(X)


@pytest.mark.parametrize("start", ["previous", "first"])
def test_physics_forecast_equals_the_formula_step_loop(start):
    """WARP-Phys: every forecast is the formula with the root's parameters, from the previous forecast (or the
    window's first value); the forecasts are fed back into theta like WARP's."""
    torch.manual_seed(0)
    warp = WARP(2 + 1, 2, root_width=6, physics=LinearODE(2, start=start)).double()  # unbounded R
    with torch.no_grad():  # small weights: the generator R stays O(0.01) and the solution finite
        warp.B.normal_(0, 0.01)
    net = WARPForecastNet(warp, 2, lookback=8, horizon=4, instance_norm=False).eval()
    x = torch.randn(3, 8, 2, dtype=torch.float64)
    out = net(x)
    tau = torch.arange(12, dtype=torch.float64) / 11
    inputs = torch.cat([x, tau[:8].expand(3, 8)[..., None]], -1)
    theta, prev = warp.scan(inputs)[:, -1], inputs[:, -1]
    for k in range(4):
        R = warp.root(theta, tau[8 + k].expand(3, 1)).reshape(3, 2, 2)
        s, start_value = (1, prev[:, :2]) if start == "previous" else (8 + k, x[:, 0])
        y = (torch.matrix_exp(s * R) @ start_value[..., None])[..., 0]
        torch.testing.assert_close(out[:, k], y)
        nxt = torch.cat([y, tau[8 + k].expand(3, 1)], -1)
        theta, prev = warp.step(theta, nxt - prev), nxt


@pytest.mark.parametrize("with_times", [False, True], ids=["regular", "times"])
@pytest.mark.parametrize("task", ["classifier", "regressor"])
def test_estimator_streaming_equals_predict(task, with_times):
    from tsrnn import WARPClassifier, WARPRegressor

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 12, 2))
    times = np.cumsum(rng.uniform(0.3, 1.7, size=(20, 12)), axis=1) if with_times else None
    cls, y = (WARPClassifier, (X[:, :, 0].sum(1) > 0).astype(int)) if task == "classifier" else (
        WARPRegressor, X[:, :, 1].sum(1))
    est = cls(root_width=4, transition="diagonal", max_epochs=2, random_state=0).fit(X, y, times=times)
    est.stream(X[:, :5], times=None if times is None else times[:, :5], reset=True)
    rest = est.stream(X[:, 5:], times=None if times is None else times[:, 5:])
    if task == "regressor":
        np.testing.assert_allclose(rest[:, -1], est.predict(X, times=times), rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(rest[:, -1], est.predict(X, times=times))


def test_forecaster_with_irregular_times():
    """With times the positions (and so the query times and the time channel) follow the observed times."""
    from tsrnn import WARPForecaster

    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.5, 1.5, 300))
    y = np.sin(t / 4.0)
    f = WARPForecaster(root_width=4, lookback=20, horizon=5, max_epochs=1, random_state=0).fit(y, times=t)
    a = f.predict(y[-40:], times=t[-40:])
    b = f.predict(y[-40:], times=t[-40:] + np.linspace(0, 3, 40))  # other gaps, same values
    assert a.shape == (5,) and np.isfinite(a).all() and not np.allclose(a, b)
    with pytest.raises(ValueError, match="times"):
        f.predict(y[-40:], times=t[-40:][::-1])


def test_linear_ode_bound_keeps_the_solution_finite():
    formula, free = LinearODE(2, max_steps=199, start="first"), LinearODE(2, start="first")
    steps, gap = torch.tensor([0.0, 100.0, 199.0]), torch.ones(3)
    x0 = torch.ones(3, 2)
    wild = torch.full((3, 4), 50.0)
    assert torch.isfinite(formula(wild, steps, gap, x0, x0)).all()
    assert not torch.isfinite(free(wild, steps, gap, x0, x0)).all()
    small = 1e-3 * torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(formula(small, steps, gap, x0, x0), free(small, steps, gap, x0, x0), rtol=1e-4,
                               atol=1e-6)
