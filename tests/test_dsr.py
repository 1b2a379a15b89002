"""Dynamical-systems reconstruction: metrics, ground-truth systems, PLRNN models, training, symbolic dynamics,
reconstructors."""

import copy
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.base import clone
from tsrnn.datasets import make_lorenz96, make_trajectory
from tsrnn.datasets.dynamical import lorenz63_field, lorenz63_jacobian, rossler_field, rossler_jacobian

from tsrnn import ALRNNReconstructor, PLRNNReconstructor, ShallowPLRNNReconstructor, WARPReconstructor, load
from tsrnn.metrics import (
    lyapunov_spectrum,
    lyapunov_spectrum_flow,
    power_spectrum_distance,
    prediction_error,
    state_space_divergence,
)
from tsrnn.nn.plrnn import ALRNN, PLRNN, DendriticPLRNN, ShallowPLRNN
from tsrnn.nn.symbolic import all_regions, find_cycles, fixed_points, symbolic_sequence, transition_graph
from tsrnn.training.dsr import AdaptiveGTF, DSRLightningModule, RandomWindows, SelectByDivergence
from tsrnn.training.forcing import forced_recurrence, forced_recurrence_ref, keep_factors

# --- metrics -----------------------------------------------------------------------------------------------


def test_binned_divergence_hand_computed():
    x = np.repeat([0.0, 1.0], 1000)[:, None]
    assert state_space_divergence(x, x, n_bins=2) == pytest.approx(0.0, abs=1e-15)
    y = np.concatenate([np.zeros(1500), np.ones(500)])[:, None]
    a = 1e-5
    p = np.array([1000 + a, 1000 + a]) / (2000 + 2 * a)
    q = np.array([1500 + a, 500 + a]) / (2000 + 2 * a)
    assert state_space_divergence(x, y, n_bins=2) == pytest.approx(np.sum(p * np.log(p / q)), rel=1e-12)
    assert np.sum(p * np.log(p / q)) == pytest.approx(0.5 * np.log(4 / 3), rel=1e-4)
    # mass leaving the box (or diverging to inf) is penalized, never dropped
    far = np.concatenate([np.zeros(1000), np.full(1000, np.inf)])[:, None]
    assert state_space_divergence(x, far, n_bins=2) > 5


def test_gmm_divergence_of_shifted_gaussians():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10_000, 6))
    assert state_space_divergence(x, x) == pytest.approx(0.0, abs=1e-12)  # auto: GMM from 6 dimensions
    shift = np.zeros(6)
    shift[0] = 1.0
    # mixtures of unit-variance kernels over N(0, I) and N(mu, I) samples ~ N(., 2 I): KL = |mu|^2 / (2 * 2)
    d = state_space_divergence(x, rng.standard_normal((10_000, 6)) + shift, n_samples=2000)
    assert d == pytest.approx(0.25, abs=0.06)


def test_power_spectrum_distance():
    t = np.arange(5000) * 0.05
    x = np.stack([np.sin(t), np.cos(2 * t)], 1)
    assert power_spectrum_distance(x, x) == pytest.approx(0.0, abs=1e-6)
    assert power_spectrum_distance(x, 3 * x + 1) == pytest.approx(0.0, abs=1e-6)  # z-scored first
    far = power_spectrum_distance(x, np.stack([np.sin(5 * t), np.cos(9 * t)], 1))
    near = power_spectrum_distance(x, np.stack([np.sin(1.02 * t), np.cos(2.02 * t)], 1))
    assert 0 < near < far <= 1
    assert power_spectrum_distance(x, np.full_like(x, np.nan)) == 1.0
    with pytest.raises(ValueError, match="same shape"):
        power_spectrum_distance(x, x[:-1])


def test_lyapunov_exponents_of_lorenz_from_its_vector_field():
    lam = lyapunov_spectrum_flow(lorenz63_field, lorenz63_jacobian, [1.0, 1.0, 20.0], dt=0.01, n_steps=40_000)
    assert lam[0] == pytest.approx(0.906, rel=0.02)
    assert abs(lam[1]) < 0.02
    assert lam.sum() == pytest.approx(-(10 + 1 + 8 / 3), rel=1e-3)  # = the constant trace of the Jacobian


def test_lyapunov_of_a_linear_map_and_prediction_error():
    A = np.array([[0.5, 1.0], [0.0, 1.5]])
    lam = lyapunov_spectrum(lambda z: A @ z, lambda z: A, np.ones(2), n_steps=200, n_transient=0)
    np.testing.assert_allclose(lam, np.log([1.5, 0.5]), atol=1e-2)
    x = np.cumsum(np.ones((50, 2)), axis=0)
    assert prediction_error(x, lambda s, n: s + n, 5) == 0.0
    assert prediction_error(x, lambda s, n: s, 5) == 25.0


# --- ground truth --------------------------------------------------------------------------------------------


def test_trajectories_are_deterministic_standardized_and_noisy():
    a = make_trajectory("lorenz63", 3000, random_state=3)
    np.testing.assert_array_equal(a, make_trajectory("lorenz63", 3000, random_state=3))
    assert not np.allclose(a, make_trajectory("lorenz63", 3000, random_state=4))
    np.testing.assert_allclose(a.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(a.std(0), 1, atol=1e-12)
    clean, stats = make_trajectory("lorenz63", 3000, random_state=3, standardize=False, return_stats=True)
    np.testing.assert_allclose(stats[1], 1)
    noisy = make_trajectory("lorenz63", 3000, random_state=3, noise=0.05)
    assert np.std(noisy - a) == pytest.approx(0.05, rel=0.05)
    other = make_trajectory("lorenz63", 3000, random_state=5, stats=(clean.mean(0), clean.std(0)))
    assert abs(other.mean()) < 0.5
    # the sampled trajectory follows the equations (fourth-order central differences vs the vector field)
    def deriv(x, dt):
        return (-x[4:] + 8 * x[3:-1] - 8 * x[1:-3] + x[:-4]) / (12 * dt)

    np.testing.assert_allclose(deriv(clean, 0.01), lorenz63_field(clean[2:-2]), rtol=1e-2, atol=0.05)
    r = make_trajectory("rossler", 4000, dt=0.01, standardize=False)
    np.testing.assert_allclose(deriv(r, 0.01), rossler_field(r[2:-2]), rtol=1e-2, atol=0.05)
    assert make_lorenz96(n_dims=5, n_steps=100).shape == (100, 5)
    with pytest.raises(ValueError, match="system"):
        make_trajectory("henon")
    with pytest.raises(ValueError, match="make_lorenz96"):
        make_trajectory("lorenz96")
    with pytest.raises(ValueError, match="noise"):
        make_trajectory("lorenz63", 100, noise=-1)


def test_rossler_jacobian_matches_finite_differences():
    x = np.array([1.0, -2.0, 0.5])
    eps = 1e-6
    fd = np.stack([(rossler_field(x + eps * e) - rossler_field(x - eps * e)) / (2 * eps) for e in np.eye(3)], 1)
    np.testing.assert_allclose(rossler_jacobian(x), fd, atol=1e-6)


# --- models ---------------------------------------------------------------------------------------------------

MODELS = [lambda: PLRNN(3, 6), lambda: DendriticPLRNN(3, 6, n_bases=4), lambda: DendriticPLRNN(3, 6, 4, clipped=False),
          lambda: ShallowPLRNN(3, 5, 7), lambda: ShallowPLRNN(3, 5, 7, clipped=False), lambda: ALRNN(3, 6, 2)]


@pytest.mark.parametrize("make", MODELS, ids=["plrnn", "dend", "dend_unclipped", "shallow", "shallow_plain", "alrnn"])
def test_jacobian_and_region_maps_are_exact(make):
    torch.manual_seed(0)
    m = make().double()
    z = torch.randn(5, m.n_latent, dtype=torch.float64)
    auto = torch.stack([torch.autograd.functional.jacobian(lambda v: m(v[None])[0], z[i]) for i in range(5)])
    torch.testing.assert_close(m.jacobian(z), auto)
    for i in range(5):
        J, c = m.region_affine(m.region(z[i : i + 1])[0])
        torch.testing.assert_close(J @ z[i] + c, m(z[i : i + 1])[0])
        torch.testing.assert_close(J, m.jacobian(z[i : i + 1])[0])
    x = torch.randn(2, 3, dtype=torch.float64)
    torch.testing.assert_close(m.observe(m.init_state(x)), x)


def test_plrnn_w_is_off_diagonal_and_alrnn_units():
    m = PLRNN(2, 4)
    with torch.no_grad():
        m.W.add_(torch.eye(4) * 5.0)  # the diagonal of W never enters the map
    m2 = PLRNN(2, 4)
    m2.load_state_dict(m.state_dict())
    with torch.no_grad():
        m2.W.sub_(torch.eye(4) * 5.0)
    z = torch.randn(3, 4)
    torch.testing.assert_close(m(z), m2(z))
    with pytest.raises(ValueError, match="n_relu"):
        ALRNN(3, 4, n_relu=2)


# --- training -------------------------------------------------------------------------------------------------


def test_forcing_semantics():
    torch.manual_seed(0)
    model = ALRNN(2, 5, 1)
    x = torch.randn(3, 10, 2)
    full = DSRLightningModule(model, forcing="gtf", alpha=1.0)
    preds, carried = full.teacher_forced(x)
    torch.testing.assert_close(carried[:, 1:, :2], x[:, 1:-1])  # alpha = 1: carried observed units = data
    none = DSRLightningModule(model, forcing="gtf", alpha=0.0)
    free = model.simulate(model.init_state(x[:, 0]), 10)[:, 1:, :2]
    torch.testing.assert_close(none.teacher_forced(x)[0], free)  # alpha = 0: free run
    sparse = DSRLightningModule(model, forcing="sparse", tau=4)
    _, carried = sparse.teacher_forced(x)
    torch.testing.assert_close(carried[:, 4, :2], x[:, 4])
    torch.testing.assert_close(carried[:, 8, :2], x[:, 8])
    assert not torch.allclose(carried[:, 3, :2], x[:, 3])
    # no gradient flows into the replaced units: d loss / d (observed units before forcing) = 0
    h = model(model.init_state(x[:, 0])).detach().requires_grad_()
    g = torch.autograd.grad(model(torch.cat([x[:, 1], h[:, 2:]], -1)).sum(), h)[0]
    assert g[:, :2].abs().sum() == 0 and g[:, 2:].abs().sum() > 0


def test_adaptive_alpha_from_jacobian_norms():
    model = PLRNN(1, 2)
    with torch.no_grad():
        model.A.copy_(torch.tensor([2.0, 0.5]))
        model.W.zero_()
    states = torch.randn(4, 10, 2)
    assert AdaptiveGTF.estimate(model, states) == pytest.approx(1 - 1 / 2.0)
    with torch.no_grad():
        model.A.copy_(torch.tensor([0.5, 0.5]))
    assert AdaptiveGTF.estimate(model, states, bound="mean") == 0.0  # contracting: no forcing needed


MAPS = {
    "PLRNN": lambda: PLRNN(3, 6),
    "dendPLRNN": lambda: DendriticPLRNN(3, 6, n_bases=4, clipped=False),
    "dendPLRNN-clipped": lambda: DendriticPLRNN(3, 6, n_bases=4, clipped=True),
    "shPLRNN": lambda: ShallowPLRNN(3, 4, hidden_dim=10, clipped=False),
    "shPLRNN-clipped": lambda: ShallowPLRNN(3, 4, hidden_dim=10, clipped=True),
    "ALRNN": lambda: ALRNN(3, 8, n_relu=2),
}
KEEPS = {"gtf": ("gtf", 0.3, 1), "sparse": ("sparse", 0.0, 4), "free": ("gtf", 0.0, 1)}


@pytest.mark.parametrize("forcing", KEEPS)
@pytest.mark.parametrize("kind", MAPS)
def test_fused_forced_recurrence_equals_the_autograd_loop(kind, forcing):
    torch.manual_seed(0)
    model = MAPS[kind]().double()
    with torch.no_grad():  # states on both sides of every ReLU, and a map that is not contracting
        model.A.mul_(1.5)
    x = torch.randn(5, 21, 3, dtype=torch.float64)
    keep = keep_factors(20, *KEEPS[forcing])
    weights = torch.randn(5, 20, model.n_latent, dtype=torch.float64)
    results = []
    for run in (forced_recurrence_ref, forced_recurrence):
        model.zero_grad()
        states, carried = run(model, model.init_state(x[:, 0]), x, keep)
        (states * weights).sum().backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        results.append((states.detach(), carried, grads))
    (s_ref, c_ref, g_ref), (s_fused, c_fused, g_fused) = results
    torch.testing.assert_close(s_fused, s_ref)
    torch.testing.assert_close(c_fused, c_ref)
    assert set(g_fused) == set(g_ref) and "L" in g_ref  # L: the gradient into the initial state
    for name in g_ref:
        torch.testing.assert_close(g_fused[name], g_ref[name], msg=name)
    if forcing == "sparse":  # forced steps carry the data
        torch.testing.assert_close(c_fused[:, 4, :3], x[:, 4])


def test_lightning_module_fused_and_reference_give_the_same_loss_and_gradients():
    torch.manual_seed(0)
    model = ALRNN(3, 10, 2)
    x = torch.randn(4, 31, 3)
    out = []
    for fused in (False, True):
        module = DSRLightningModule(model, forcing="gtf", alpha=0.2, fused=fused)
        model.zero_grad()
        preds, _ = module.teacher_forced(x)
        loss = torch.mean((preds - x[:, 1:]) ** 2)
        loss.backward()
        out.append((loss.detach(), [p.grad.clone() for p in model.parameters()]))
    torch.testing.assert_close(out[0][0], out[1][0])
    for a, b in zip(out[0][1], out[1][1], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("bound", ["product", "mean"])
def test_adaptive_alpha_by_region_equals_every_state(bound):
    torch.manual_seed(0)
    model = ALRNN(3, 12, 2).double()
    with torch.no_grad():
        model.A.mul_(2.0)
        model.W.normal_(0, 0.5)
    states = torch.randn(6, 50, 12, dtype=torch.float64)  # 300 states, 4 regions: the per-region path
    with torch.no_grad():
        J = model.jacobian(states.reshape(-1, 12)).view(6, 50, 12, 12)
        if bound == "product":
            G = torch.exp(torch.log(torch.linalg.matrix_norm(J, ord=2)).mean(dim=1)).max()
        else:
            G = torch.linalg.matrix_norm(J.mean(dim=1), ord=2).max()
    assert float(G) > 1
    assert AdaptiveGTF.estimate(model, states, bound) == pytest.approx(1 - 1 / float(G), rel=1e-10)


def test_random_windows_are_deterministic():
    data = [np.arange(100.0)[:, None], np.arange(50.0)[:, None]]
    a, b = RandomWindows(data, 10, 20, seed=1), RandomWindows(data, 10, 20, seed=1)
    wa, wb = [a[i] for i in range(20)], [b[i] for i in range(20)]
    assert all(torch.equal(u, v) for u, v in zip(wa, wb, strict=True))
    assert all(u.shape == (11, 1) and torch.all(torch.diff(u[:, 0]) == 1) for u in wa)


# --- symbolic dynamics ------------------------------------------------------------------------------------------


def _tent():
    """An AL-RNN whose diagonal z1 = z2 carries the tent map x -> 1 - 2|x| (fixed point 1/3, 2-cycle -1/5, 3/5)."""
    m = ALRNN(1, 2, 1).double()
    with torch.no_grad():
        m.A.zero_()
        m.W.copy_(torch.tensor([[2.0, -4.0], [2.0, -4.0]]))
        m.h.copy_(torch.tensor([1.0, 1.0]))
    return m


def test_fixed_points_and_cycles_of_the_tent_map():
    m = _tent()
    fps = fixed_points(m, all_regions(1))
    assert len(fps) == 2 and all(f["real"] and not f["stable"] for f in fps)
    np.testing.assert_allclose(sorted(f["z"][0] for f in fps), [-1.0, 1 / 3])
    cycles = find_cycles(m, 2, n_trials=50, initial_states=np.random.default_rng(0).uniform(-1, 1, (50, 1)) * [1, 1])
    tent = [c for c in cycles if np.allclose(c["states"][:, 0], c["states"][:, 1])]
    assert len(tent) == 1
    np.testing.assert_allclose(sorted(tent[0]["states"][:, 0]), [-0.2, 0.6])
    for c in cycles:  # every reported cycle really is one, of minimal period 2
        z = torch.as_tensor(c["states"][:1])
        np.testing.assert_allclose(m(m(z)).detach().numpy(), c["states"][:1], atol=1e-10)
        assert not np.allclose(m(z).detach().numpy(), c["states"][:1])
    assert len(find_cycles(m, 1, n_trials=20)) == 2


def test_symbolic_sequence_and_graph():
    m = _tent()
    z = m.simulate(torch.tensor([[0.1, 0.1]], dtype=torch.float64), 200)[0].detach().numpy()
    symbols, regions, counts = symbolic_sequence(m, z)
    assert counts.sum() == 200 and np.all(np.diff(counts) <= 0) and regions.shape[1] == 1
    G = transition_graph(symbols, normalize=None)
    assert G.sum() == 199
    np.testing.assert_allclose(transition_graph(symbols).sum(axis=1), 1.0)


# --- reconstructors -------------------------------------------------------------------------------------------

FAST = dict(seq_len=30, batches_per_epoch=4, max_epochs=2, random_state=0)


@pytest.fixture(scope="module")
def lorenz():
    return make_trajectory("lorenz63", 3000, noise=0.05, random_state=0)


@pytest.mark.parametrize("cls, params", [(PLRNNReconstructor, {"n_latent": 5}),
                                         (PLRNNReconstructor, {"n_latent": 5, "n_bases": 3}),
                                         (ShallowPLRNNReconstructor, {"hidden_dim": 8}),
                                         (ShallowPLRNNReconstructor, {"hidden_dim": 8, "alpha": 0.3}),
                                         (ALRNNReconstructor, {"n_latent": 6, "forcing": "sparse", "tau": 8})])
def test_reconstructor_contract(cls, params, lorenz, tmp_path):
    est = cls(**params, **FAST)
    assert clone(est).get_params() == est.get_params()
    est.fit(lorenz)
    sim = est.simulate(50)
    assert sim.shape == (50, 3) and np.isfinite(sim).all()
    np.testing.assert_allclose(sim[0], lorenz[0])
    assert est.simulate(10, x0=lorenz[:4]).shape == (4, 10, 3)
    assert est.predict(lorenz[:7], n_steps=3).shape == (7, 3)
    np.testing.assert_allclose(est.predict(lorenz[:1], 4)[0], est.simulate(5, x0=lorenz[0])[-1])
    scores = est.score(lorenz[:400], metrics=["state_space_divergence", "power_spectrum_distance",
                                              "prediction_error"])
    assert set(scores) == {"state_space_divergence", "power_spectrum_distance", "prediction_error"}
    np.testing.assert_allclose(cls(**params, **FAST).fit(lorenz).simulate(30), est.simulate(30))  # random_state
    est.save(tmp_path / "m")
    back = load(tmp_path / "m")
    np.testing.assert_allclose(back.simulate(40), est.simulate(40))
    assert len(est.history_) == 2


def test_reconstructor_takes_a_stack_of_trajectories(lorenz):
    stack = lorenz[:2400].reshape(2, 1200, 3)
    est = PLRNNReconstructor(n_latent=4, **FAST).fit(stack)
    np.testing.assert_allclose(PLRNNReconstructor(n_latent=4, **FAST).fit(list(stack)).simulate(30), est.simulate(30))
    # the score of several test trajectories is the mean of their scores, each from a free run of its own
    metrics = ["state_space_divergence", "power_spectrum_distance"]
    each = [est.score(x, metrics=metrics) for x in stack]
    for scores in (est.score(stack, metrics=metrics), est.score(list(stack), metrics=metrics)):
        for name in metrics:
            assert scores[name] == pytest.approx((each[0][name] + each[1][name]) / 2)
    assert each[0] != each[1]
    rng = np.random.default_rng(0)
    t = np.stack([np.sort(rng.choice(1500, size=1200, replace=False)) * 0.01 for _ in range(2)])
    timed = PLRNNReconstructor(n_latent=4, dt=0.01, **FAST)
    np.testing.assert_allclose(timed.fit(stack, times=t).simulate(30), timed.fit(list(stack), times=list(t)).simulate(30))
    # tuples are sequences of trajectories too, of any lengths; a list of numbers is one trajectory's times
    uneven = (lorenz[:1200], lorenz[1200:2100])
    np.testing.assert_allclose(PLRNNReconstructor(n_latent=4, **FAST).fit(uneven).simulate(30),
                               PLRNNReconstructor(n_latent=4, **FAST).fit(list(uneven)).simulate(30))
    np.testing.assert_allclose(timed.fit(stack[0], times=list(t[0])).simulate(30),
                               timed.fit(stack[0], times=t[0]).simulate(30))


def test_select_by_divergence_keeps_the_best_weights():
    model = ALRNN(2, 3, 1)  # linear units rotating on a circle: the reference; a contracting rotation scores worse
    angle = torch.tensor(0.3)
    rotation = torch.stack([torch.stack([angle.cos(), -angle.sin()]), torch.stack([angle.sin(), angle.cos()])])
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.W[:2, :2] = rotation
        reference = model.observe(model.simulate(model.init_state(torch.tensor([[1.0, 0.0]])), 600))[0].numpy()
    good = copy.deepcopy(model.state_dict())
    module, callback = DSRLightningModule(model), SelectByDivergence(reference, every=2)
    trainer = SimpleNamespace(current_epoch=0, max_epochs=5)
    for epoch in range(5):  # evaluated after epochs 2, 4 and 5 (the last); the exact map is in place at epoch 4
        with torch.no_grad():
            model.W[:2, :2] = rotation * (1.0 if epoch == 3 else 0.95)
        trainer.current_epoch = epoch
        callback.on_train_epoch_end(trainer, module)
    assert [row["epoch"] for row in callback.scores] == [2, 4, 5]
    scores = [row["state_space_divergence"] for row in callback.scores]
    assert scores[1] == pytest.approx(0.0, abs=1e-12) and min(scores[0], scores[2]) > 1.0
    assert callback.best_epoch == 4 and callback.best_score == scores[1]
    torch.testing.assert_close(callback.best_state["W"], good["W"])


def test_reconstructor_model_selection(lorenz, tmp_path):
    est = ALRNNReconstructor(n_latent=6, forcing="sparse", tau=8, select_every=2,
                             **{**FAST, "max_epochs": 5}).fit(lorenz)
    assert [row["epoch"] for row in est.selection_] == [2, 4, 5]
    scores = [row["state_space_divergence"] for row in est.selection_]
    assert est.selected_epoch_ == est.selection_[int(np.argmin(scores))]["epoch"]
    est.save(tmp_path / "m")
    assert load(tmp_path / "m").selected_epoch_ == est.selected_epoch_
    assert ALRNNReconstructor(n_latent=6, **FAST).fit(lorenz).selection_ is None
    with pytest.raises(ValueError, match="select_every"):
        ALRNNReconstructor(n_latent=6, select_every=0, **FAST).fit(lorenz)


def test_diverged_reconstructor_fit_raises_unless_selection_kept_an_earlier_epoch(lorenz, poison_weights):
    fast = {**FAST, "max_epochs": 6, "batches_per_epoch": 5}
    # a too large step: NaN states reach the adaptive-alpha callback before the epoch's loss is seen
    with pytest.raises(FloatingPointError, match=r"train_loss was nan in epoch \d; lower lr \(lr = 10\)"):
        ShallowPLRNNReconstructor(lr=10.0, **fast).fit(lorenz)
    poisoned = {**fast, "trainer_kwargs": {"callbacks": [poison_weights(3)]}}
    with pytest.raises(FloatingPointError, match="epoch 3"):
        ALRNNReconstructor(n_latent=6, forcing="sparse", tau=8, **poisoned).fit(lorenz)
    est = ALRNNReconstructor(n_latent=6, forcing="sparse", tau=8, select_every=2, **poisoned).fit(lorenz)
    assert len(est.history_) == 4 and est.selected_epoch_ == 2  # the diverged epoch 4 is not scored
    assert [row["epoch"] for row in est.selection_] == [2]
    assert np.isfinite(est.simulate(100)).all()


def test_reconstructor_bad_input(lorenz):
    with pytest.raises(ValueError, match="times"):
        ALRNNReconstructor(**FAST).fit(lorenz, times=np.arange(len(lorenz)))
    with pytest.raises(ValueError, match="n_latent"):
        PLRNNReconstructor(n_latent=2, **FAST).fit(lorenz)
    with pytest.raises(ValueError, match="seq_len"):
        PLRNNReconstructor(**FAST).fit(lorenz[:20])
    with pytest.raises(ValueError, match="forcing"):
        PLRNNReconstructor(forcing="full", **FAST).fit(lorenz)
    with pytest.raises(ValueError, match=r"end_lr must be in \(0, inf\]"):
        PLRNNReconstructor(end_lr=0.0, **FAST).fit(lorenz)
    with pytest.raises(ValueError, match="metrics"):
        PLRNNReconstructor(n_latent=4, **FAST).fit(lorenz).score(lorenz, metrics="r2")
    with pytest.raises(ValueError, match="dimensions"):
        PLRNNReconstructor(n_latent=4, **FAST).fit(lorenz).predict(lorenz[:, :2])
    with pytest.raises(ValueError, match="n_relu"):
        ALRNNReconstructor(n_latent=4, n_relu=2, **FAST).fit(lorenz)


@pytest.mark.parametrize("cls, params", [(ShallowPLRNNReconstructor, {"hidden_dim": 8}),
                                         (ALRNNReconstructor, {"n_latent": 6, "forcing": "sparse", "tau": 8}),
                                         (WARPReconstructor, {"root_width": 6})])
def test_reconstructor_partial_fit(cls, params, lorenz, monkeypatch, tmp_path, poison_weights):
    """partial_fit: on an unfitted reconstructor the first epoch of a fit at the constant rate lr; later calls
    continue the map, RAdam's moments and adaptive GTF's alpha, with new windows, one epoch each."""
    fast = {**params, **FAST, "lr": 2e-3}
    start_alphas, init = [], DSRLightningModule.__init__
    monkeypatch.setattr(DSRLightningModule, "__init__",
                        lambda self, *a, **kw: start_alphas.append(kw["alpha"]) or init(self, *a, **kw))
    est = cls(**fast).partial_fit(lorenz)
    once = cls(**{**fast, "max_epochs": 1, "end_lr": 2e-3}).fit(lorenz)
    np.testing.assert_array_equal(est.simulate(30), once.simulate(30))
    first_alpha, x0 = est.alpha_, est.x0_.copy()
    before = {k: v.clone() for k, v in est.module_.state_dict().items()}
    est.set_params(lr=1e-3)
    est.partial_fit(lorenz[1000:])
    assert [row["epoch"] for row in est.history_] == [0, 1] and est.n_epochs_trained_ == 2
    assert any(not torch.equal(before[k], v) for k, v in est.module_.state_dict().items())
    assert all(entry["step"] == 2 * FAST["batches_per_epoch"] for entry in est._partial_fit_optimizer["state"].values())
    assert [g["lr"] for g in est._partial_fit_optimizer["param_groups"]] == [1e-3]  # the lr of the call
    np.testing.assert_array_equal(est.x0_, x0)  # simulate's default start: the first call's
    assert np.isfinite(est.simulate(100)).all()
    adaptive = est.alpha is None and est.forcing == "gtf"
    assert start_alphas[2] == (first_alpha if adaptive else 0.0)  # aGTF goes on from the first call's alpha
    if adaptive:
        assert first_alpha != 1.0  # (the value a new aGTF starts from)
    with pytest.raises(ValueError, match="has 2 dimensions, but the reconstructor was fitted with 3"):
        est.partial_fit(lorenz[:, :2])
    # fit starts over; partial_fit after it continues the fitted map with a new optimizer
    est.fit(lorenz)
    assert len(est.history_) == FAST["max_epochs"] and est._partial_fit_optimizer is None
    est.partial_fit(lorenz)
    assert len(est.history_) == FAST["max_epochs"] + 1
    assert all(entry["step"] == FAST["batches_per_epoch"] for entry in est._partial_fit_optimizer["state"].values())
    # a diverged call raises and leaves the fitted map as it was
    kept, history = est.simulate(30), list(est.history_)
    est.set_params(trainer_kwargs={"callbacks": [poison_weights(0)]})
    with pytest.raises(FloatingPointError, match="epoch 0"):
        est.partial_fit(lorenz)
    np.testing.assert_array_equal(est.simulate(30), kept)
    assert est.history_ == history
    est.set_params(trainer_kwargs=None)
    est.save(tmp_path / "m")
    back = load(tmp_path / "m").partial_fit(lorenz)  # a loaded reconstructor trains on, with the saved RAdam state
    assert len(back.history_) == FAST["max_epochs"] + 2 and np.isfinite(back.simulate(50)).all()
    np.testing.assert_array_equal(back.simulate(50), est.partial_fit(lorenz).simulate(50))
