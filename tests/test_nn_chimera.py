"""Chimera: the 2-D scan against its double loop, the data-independent layer against a 2-D convolution."""

from math import comb

import numpy as np
import pytest
import torch

from tsrnn import ChimeraClassifier, ChimeraForecaster, load
from tsrnn.nn.chimera import Chimera2DSSM, ChimeraBackbone, ChimeraForecastNet
from tsrnn.ops.scan2d import scan2d, scan2d_ref


def _grid(shape, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    a = [(0.6 * torch.rand(shape, generator=g, dtype=torch.float64)).to(dtype) for _ in range(4)]
    u = [torch.randn(shape, generator=g, dtype=torch.float64).to(dtype) for _ in range(2)]
    return a + u


@pytest.mark.parametrize("loop", ["variates", "time", "auto"])
@pytest.mark.parametrize("shape", [(2, 3, 7, 4), (1, 6, 2, 2, 3), (2, 1, 5, 2), (2, 4, 1, 3)])
def test_scan2d_equals_double_loop_forward_and_gradients(loop, shape):
    args = [t.requires_grad_() for t in _grid(shape)]
    ref = scan2d_ref(*args)
    got = scan2d(*args, loop=loop)
    w = [torch.randn(shape, dtype=torch.float64) for _ in range(2)]
    for r, f in zip(ref, got, strict=True):
        torch.testing.assert_close(f, r, rtol=1e-12, atol=1e-12)
    kw = dict(allow_unused=True, materialize_grads=True)  # one variate or one step leaves coefficients unused
    g_ref = torch.autograd.grad(sum((r * wi).sum() for r, wi in zip(ref, w, strict=True)), args, **kw)
    g_got = torch.autograd.grad(sum((f * wi).sum() for f, wi in zip(got, w, strict=True)), args, **kw)
    for a, b in zip(g_ref, g_got, strict=True):
        torch.testing.assert_close(b, a, rtol=1e-12, atol=1e-12)


def test_scan2d_gradcheck_and_complex():
    args = [t.requires_grad_() for t in _grid((1, 3, 4, 2), seed=1)]
    assert torch.autograd.gradcheck(lambda *a: scan2d(*a, loop="variates"), args)
    cargs = _grid((2, 3, 5, 2), seed=2, dtype=torch.complex128)
    for r, f in zip(scan2d_ref(*cargs), scan2d(*cargs), strict=True):
        torch.testing.assert_close(f, r)


def test_scan2d_rejects_mismatched_shapes():
    args = _grid((1, 2, 3, 2))
    args[1] = args[1][..., :1]
    with pytest.raises(ValueError, match="a2 must have the shape"):
        scan2d(*args)


def _closed_form_kernel(a1, a2, a3, a4, b1, b2, c1, c2, V, T):
    """Impulse response of the constant-coefficient 2-D system from its transfer function (binomial sums).

    With delay operators z_t, z_v: (I - [[a1 z_t, a2 z_t], [a3 z_v, a4 z_v]]) H = b X, and 1/det expands as
    sum_k (a2 a3 z_t z_v)^k / ((1 - a1 z_t)(1 - a4 z_v))^(k+1), whose (p, q) coefficient is
    D[p, q] = sum_k (a2 a3)^k C(p, k) a1^(p-k) C(q, k) a4^(q-k). Arrays: one value per state (N,).
    """
    def D(p, q):
        if p < 0 or q < 0:
            return np.zeros_like(a1)
        return sum((a2 * a3) ** k * comb(p, k) * a1 ** (p - k) * comb(q, k) * a4 ** (q - k) for k in range(min(p, q) + 1))

    K = np.zeros((V, T))
    for q in range(V):
        for p in range(T):
            k1 = b1 * (D(p, q) - a4 * D(p, q - 1)) + a2 * b2 * D(p - 1, q)
            k2 = a3 * b1 * D(p, q - 1) + b2 * (D(p, q) - a1 * D(p - 1, q))
            K[q, p] = np.sum(c1 * k1 + c2 * k2)
    return K


@pytest.mark.parametrize("reverse", [False, True])
def test_data_independent_layer_is_a_2d_convolution(reverse):
    torch.manual_seed(0)
    D, N, V, T = 3, 4, 5, 9
    ssm = Chimera2DSSM(D, N, 0.05, 0.5, 0.1, 1.0, selective=False, reverse=reverse).double()
    with torch.no_grad():
        ssm.coupling.uniform_(-1.5, 1.5)
        ssm.BC.normal_()
    u = torch.randn(2, V, T, D, dtype=torch.float64)
    coeffs, C1, C2 = ssm.coefficients(u)
    y = ssm.readout(*scan2d(*coeffs), C1, C2, u).detach().numpy()
    # the same layer as a causal 2-D convolution with the closed-form kernel, computed independently
    A = torch.exp(ssm.A_log).detach().numpy()
    dt1, dt2 = torch.nn.functional.softplus(ssm.dt_bias).detach().numpy()
    s2, s3 = torch.tanh(ssm.coupling).detach().numpy()
    B1, B2, c1, c2 = ssm.BC.detach().numpy()
    x = u.numpy()[:, ::-1] if reverse else u.numpy()
    want = np.zeros_like(x)
    for d in range(D):
        a1, a4 = np.exp(-dt1[d] * A[0, d]), np.exp(-dt2[d] * A[1, d])
        K = _closed_form_kernel(a1, (1 - a1) * s2[d], (1 - a4) * s3[d], a4, (1 - a1) / A[0, d] * B1[d],
                                (1 - a4) / A[1, d] * B2[d], c1[d], c2[d], V, T)
        for v in range(V):
            for t in range(T):
                want[:, v, t, d] = np.einsum("bqp,qp->b", x[:, v::-1, t::-1, d], K[: v + 1, : t + 1])
    want = (want[:, ::-1] if reverse else want) + ssm.D.detach().numpy() * u.numpy()
    np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-10)


def test_no_coupling_decouples_into_two_1d_scans():
    from tsrnn.ops.scan import linear_scan_ref

    a1, _, _, a4, u1, u2 = _grid((2, 3, 6, 2), seed=3)
    zero = torch.zeros_like(a1)
    h1, h2 = scan2d(a1, zero, zero, a4, u1, u2)
    torch.testing.assert_close(h1, torch.stack([linear_scan_ref(a1[:, v], u1[:, v])[0] for v in range(3)], 1))
    torch.testing.assert_close(h2, torch.stack([linear_scan_ref(a4[:, :, t], u2[:, :, t])[0] for t in range(6)], 2))


def test_selective_backbone_is_causal_in_time_and_masks_hold_the_state():
    torch.manual_seed(0)
    net = ChimeraBackbone(3, d_model=8, d_state=4, n_layers=2).double()
    x = torch.randn(2, 10, 3, dtype=torch.float64)
    full = net(x)
    torch.testing.assert_close(net(x[:, :6]), full[:, :6])  # outputs never depend on later steps
    mask = torch.ones(2, 10, dtype=torch.bool)
    mask[0, 6:] = False
    padded = x.clone()
    padded[0, 6:] = 0.0
    torch.testing.assert_close(net(padded, mask=mask)[0, :6], full[0, :6])
    dt = torch.ones(2, 10, dtype=torch.float64)
    torch.testing.assert_close(net(x, dt=dt), full)
    assert not torch.allclose(net(x, dt=2 * dt), full)  # gaps scale the time steps


def test_forecast_net_shapes_and_decoders():
    torch.manual_seed(0)
    for decoder in ("closed_loop", "direct"):
        net = ChimeraForecastNet(ChimeraBackbone(3, d_model=8, d_state=4, n_layers=1), horizon=5, decoder=decoder)
        out = net(torch.randn(4, 12, 3))
        assert out.shape == (4, 5, 3)
        out.sum().backward()
    with pytest.raises(ValueError, match="decoder"):
        ChimeraForecastNet(ChimeraBackbone(3), 5, decoder="rnn")


def test_chimera_estimators(tmp_path):
    t = np.arange(400.0)
    y = np.stack([np.sin(t / 4), np.cos(t / 4), np.sin(t / 8)], axis=1)
    est = ChimeraForecaster(lookback=24, horizon=6, d_model=8, d_state=4, n_layers=1, max_epochs=15, lr=1e-2,
                            random_state=0).fit(y[:300])
    pred = est.predict(y[:300])
    assert pred.shape == (6, 3) and np.mean((pred - y[300:306]) ** 2) < 0.1
    est.save(tmp_path / "f")
    np.testing.assert_allclose(load(tmp_path / "f").predict(), est.predict(), rtol=1e-6)
    rng = np.random.default_rng(0)
    X = [rng.standard_normal((n, 2)) + (i % 2) for i, n in enumerate(rng.integers(8, 15, size=40))]
    labels = np.arange(40) % 2
    clf = ChimeraClassifier(d_model=8, d_state=2, n_layers=1, max_epochs=20, lr=1e-2, random_state=0).fit(X, labels)
    assert clf.score(X, labels) > 0.9
    np.testing.assert_allclose(clf.predict_proba(X[:3]), np.concatenate([clf.predict_proba([x]) for x in X[:3]]),
                               rtol=1e-5, atol=1e-6)  # padding of unequal lengths changes nothing
    with pytest.raises(ValueError, match="decoder"):
        ChimeraForecaster(decoder="x").fit(y)
    with pytest.raises(ValueError, match=r"trend_dt_min must be in \(0, inf\]"):
        ChimeraForecaster(trend_dt_min=0.0).fit(y)
