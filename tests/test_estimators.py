"""Statistical and structural tests of the gradient estimators (:mod:`pwgf_viz.estimators`).

Statistical tests use fixed seeds and compare sample means with exact values to within 4 standard
errors per coordinate (SE = sample std / sqrt(n)); where the std is exactly 0 they require equality to
1e-10. Expected values come from the exact oracle (itself tested against closed forms in
``test_exact.py``), from closed forms derived in the comments, or from scipy quadrature.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate

from pwgf_viz import ESTIMATORS, exact_gradient, exact_st_mean, gradient_samples, surrogate

F64 = torch.float64
N = 40_000


def t64(values) -> torch.Tensor:
    return torch.tensor(values, dtype=F64)


def assert_mean_within(samples: torch.Tensor, expected, n_se: float = 4.0) -> None:
    """Per coordinate: |sample mean - expected| <= n_se * SE, with a floor of 1e-10 (relative to
    max(1, |expected|)) for float64 rounding, which is what decides when the exact std is 0 (then the
    sample std is 0 or ~1e-17 from rounding, e.g. DisARM at p = 1/2 or ST on a linear f)."""
    samples = samples.detach().to(F64)
    expected = torch.as_tensor(expected, dtype=F64)
    n = samples.shape[0]
    mean = samples.mean(0)
    se = samples.std(0) / math.sqrt(n)
    assert mean.shape == expected.shape
    allowed = torch.maximum(n_se * se, 1e-10 * expected.abs().clamp(min=1.0))
    error = (mean - expected).abs()
    bad = error > allowed
    assert not bool(bad.any()), (f"sample mean {mean.tolist()} vs expected {expected.tolist()}: "
                                 f"error {error.tolist()} > allowed {allowed.tolist()}")


def softmax_np(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ---------------------------------------------------------------------------------------------------
# Objectives and cases
# ---------------------------------------------------------------------------------------------------


def f_quad_1d(z):
    return (z - 0.45) ** 2


def f_bern_3d(z):
    # z1 z2 + 2 z3^2 - z1 + sin(z1 + z3): interactions between coordinates.
    return z[:, 0] * z[:, 1] + 2.0 * z[:, 2] ** 2 - z[:, 0] + torch.sin(z[:, 0] + z[:, 2])


C3 = t64([1.5, -0.5, 2.0])


def f_cat_k3(z):
    s = z @ C3.to(z.dtype)
    return s**2 + torch.sin(s)


U, V, W = t64([1.0, -2.0, 0.5]), t64([0.3, 1.7, -1.0]), t64([2.0, 0.0, -0.5])


def f_cat_batched(z):
    # z has shape (n, 2, 3): f = (z0.u)(z1.v) + z0.w.
    return (z[:, 0] @ U.to(z.dtype)) * (z[:, 1] @ V.to(z.dtype)) + z[:, 0] @ W.to(z.dtype)


def f_pois_quad(z):
    return (z - 2.5) ** 2


def f_pois_exp(z):
    return torch.exp(-z / 2)


UNBIASED_CASES = [
    *[("bernoulli", f_quad_1d, t64(p), f"bern1d-p{p}") for p in (0.1, 0.5, 0.9)],
    ("bernoulli", f_bern_3d, t64([0.2, 0.6, 0.85]), "bern3d"),
    ("categorical", f_cat_k3, t64([0.3, -1.0, 0.8]), "cat3"),
    ("categorical", f_cat_batched, t64([[0.4, -0.7, 1.1], [-0.2, 0.9, 0.05]]), "cat2x3"),
    *[("poisson", f, t64(lam), f"pois-{name}-lam{lam}")
      for lam in (0.5, 4.0) for f, name in ((f_pois_quad, "quad"), (f_pois_exp, "exp"))],
]

UNBIASED = [name for name, est in ESTIMATORS.items() if est.unbiased]


def test_registry():
    assert set(ESTIMATORS) == {"reinforce", "reinforce_baseline", "st", "gumbel_softmax",
                               "st_gumbel_softmax", "arm", "disarm", "pwgf", "reinmax", "gen_gumbel_softmax",
                               "gumbel_rao", "zgr", "gapped_st", "decoupled_st"}
    assert set(UNBIASED) == {"reinforce", "reinforce_baseline", "arm", "disarm"}
    every = {"bernoulli", "categorical", "poisson"}
    assert set(ESTIMATORS["reinforce"].families) == every
    assert set(ESTIMATORS["reinforce_baseline"].families) == every
    assert set(ESTIMATORS["st"].families) == every
    assert set(ESTIMATORS["gumbel_softmax"].families) == {"bernoulli", "categorical"}
    assert set(ESTIMATORS["st_gumbel_softmax"].families) == {"bernoulli", "categorical"}
    assert set(ESTIMATORS["arm"].families) == {"bernoulli"}
    assert set(ESTIMATORS["disarm"].families) == {"bernoulli"}
    assert set(ESTIMATORS["pwgf"].families) == every
    assert set(ESTIMATORS["gen_gumbel_softmax"].families) == {"poisson"}
    for name in ("reinmax", "gumbel_rao", "zgr", "gapped_st", "decoupled_st"):
        assert set(ESTIMATORS[name].families) == {"bernoulli", "categorical"}


UNBIASED_RUNS = [(est, *case) for case in UNBIASED_CASES for est in UNBIASED
                 if case[0] in ESTIMATORS[est].families]


@pytest.mark.parametrize("estimator,family,f,theta,label", UNBIASED_RUNS,
                         ids=[f"{r[0]}-{r[-1]}" for r in UNBIASED_RUNS])
def test_unbiased_estimators_match_exact_gradient(estimator, family, f, theta, label):
    samples = gradient_samples(estimator, f, family, theta, N, seed=11)
    assert samples.shape == (N, *theta.shape)
    assert_mean_within(samples, exact_gradient(f, family, theta))


@pytest.mark.parametrize("estimator", ["arm", "disarm"])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_arm_disarm_closed_form_1d(estimator, p):
    # Independent check of the oracle used above: in 1-D L'(p) = f(1) - f(0) = 0.55^2 - 0.45^2 = 0.1.
    samples = gradient_samples(estimator, f_quad_1d, "bernoulli", t64(p), N, seed=5)
    assert_mean_within(samples, 0.55**2 - 0.45**2)


# ---------------------------------------------------------------------------------------------------
# Straight-through
# ---------------------------------------------------------------------------------------------------


def _st_independent(family, f, theta) -> torch.Tensor:
    """E[grad_z f(z)] (mapped to logits for categorical) by closed forms derived by hand."""
    if f is f_quad_1d:
        # f' = 2 (z - 0.45), E = 2 (p - 0.45).
        return 2 * (theta - 0.45)
    if f is f_bern_3d:
        # grad_z = (z2 - 1 + cos(z1 + z3), z1, 4 z3 + cos(z1 + z3)); E[cos(z1 + z3)] by enumeration of
        # the two independent bits z1, z3.
        p1, p2, p3 = theta.tolist()
        e_cos = sum(q1 * q3 * math.cos(a + b) for a, q1 in ((0, 1 - p1), (1, p1))
                    for b, q3 in ((0, 1 - p3), (1, p3)))
        return t64([p2 - 1 + e_cos, p1, 4 * p3 + e_cos])
    if f is f_cat_k3:
        # grad_z = (2 s + cos s) c with s = z.c = c_k on e_k: E = sum_k pi_k (2 c_k + cos c_k) c.
        c = C3.numpy()
        pi = softmax_np(theta.numpy())
        g = (pi @ (2 * c + np.cos(c))) * c
        return torch.from_numpy(pi * (g - pi @ g))
    if f is f_cat_batched:
        # grad_z0 = u (z1.v) + w, grad_z1 = v (z0.u).
        pi = softmax_np(theta.numpy())
        u, v, w = U.numpy(), V.numpy(), W.numpy()
        g = np.stack([u * (pi[1] @ v) + w, v * (pi[0] @ u)])
        return torch.from_numpy(pi * (g - (pi * g).sum(-1, keepdims=True)))
    if f is f_pois_quad:
        return 2 * theta - 5  # E[2 (z - 2.5)]
    if f is f_pois_exp:
        # E[-exp(-z/2)/2] = -exp(lam (e^{-1/2} - 1)) / 2 (Poisson MGF).
        return -0.5 * torch.exp(theta * (math.exp(-0.5) - 1))
    raise AssertionError("no closed form")


@pytest.mark.parametrize("family,f,theta,label", UNBIASED_CASES, ids=[c[-1] for c in UNBIASED_CASES])
def test_st_mean(family, f, theta, label):
    samples = gradient_samples("st", f, family, theta, N, seed=3)
    independent = _st_independent(family, f, theta)
    oracle = exact_st_mean(f, family, theta)
    torch.testing.assert_close(oracle, independent, rtol=1e-9, atol=1e-12)
    assert_mean_within(samples, oracle)
    assert_mean_within(samples, independent)


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_st_is_exact_for_linear_objectives(dtype):
    tol = 1e-10 if dtype == F64 else 1e-6  # float32 rounding of softmax in the categorical case
    w3 = torch.tensor([1.0, -2.0, 0.5], dtype=dtype)
    cases = [
        ("bernoulli", torch.tensor([0.2, 0.5, 0.7], dtype=dtype), w3),
        ("poisson", torch.tensor([0.3, 2.0, 9.0], dtype=dtype), w3),
        ("categorical", torch.tensor([0.1, -0.4, 1.3], dtype=dtype), w3),
        ("categorical", torch.tensor([[0.4, -0.7, 1.1], [-0.2, 0.9, 0.05]], dtype=dtype),
         torch.tensor([[1.0, -2.0, 0.5], [0.3, 0.0, -1.2]], dtype=dtype)),
    ]
    for family, theta, w in cases:
        def f(z, w=w):
            return (z * w).reshape(z.shape[0], -1).sum(-1)

        # Closed form: f = <z, w> so grad_mu = w; for logits J^T w = pi * (w - <pi, w>) per row.
        if family == "categorical":
            pi = torch.softmax(theta.double(), -1)
            expected = pi * (w.double() - (pi * w.double()).sum(-1, keepdim=True))
        else:
            expected = w.double().expand(theta.shape)
        samples = gradient_samples("st", f, family, theta, 500, seed=2)
        assert samples.dtype == dtype
        assert (samples.double() - expected).abs().max().item() <= tol, family
        # ST is unbiased for linear f: it equals the exact gradient.
        torch.testing.assert_close(exact_gradient(f, family, theta), expected, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------------------------------------
# Gumbel-Softmax
# ---------------------------------------------------------------------------------------------------


def _relaxed_objective(p: float, tau: float, f) -> float:
    """R(p) = E[f(sigmoid((logit p + logistic)/tau))] = int_0^1 f(y(u)) du, logistic = log u - log(1-u)."""
    logit = math.log(p) - math.log1p(-p)

    def integrand(u):
        x = (logit + math.log(u) - math.log1p(-u)) / tau
        y = 0.5 * (1 + math.tanh(x / 2))  # sigmoid, stable for large |x|
        return f(y)

    value, _ = integrate.quad(integrand, 0.0, 1.0, epsabs=1e-13, epsrel=1e-13, limit=400)
    return value


@pytest.mark.parametrize("tau", [0.5, 1.0])
@pytest.mark.parametrize("p", [0.3, 0.8])
def test_gumbel_softmax_is_unbiased_for_relaxed_objective(p, tau):
    # The Gumbel-Softmax estimate is the pathwise gradient of the relaxed objective R(p); its mean is R'(p).
    # R'(p) by a central difference of the quadrature: truncation h^2 R'''/6 ~ 1e-8, quadrature error
    # 1e-13 / h ~ 1e-9, both far below 4 SE (~1e-2 here).
    def f_scalar(y):
        return (y - 0.45) ** 2

    h = 1e-4
    plus, minus = _relaxed_objective(p + h, tau, f_scalar), _relaxed_objective(p - h, tau, f_scalar)
    derivative = (plus - minus) / (2 * h)
    samples = gradient_samples("gumbel_softmax", f_quad_1d, "bernoulli", t64(p), N, seed=7, temperature=tau)
    assert_mean_within(samples, derivative)


def test_gumbel_softmax_temperature_option_is_used():
    # Same draws (same seed), different temperatures: the estimates must differ.
    a = gradient_samples("gumbel_softmax", f_quad_1d, "bernoulli", t64(0.3), 100, seed=1, temperature=0.5)
    b = gradient_samples("gumbel_softmax", f_quad_1d, "bernoulli", t64(0.3), 100, seed=1, temperature=1.0)
    c = gradient_samples("gumbel_softmax", f_quad_1d, "bernoulli", t64(0.3), 100, seed=1)  # default 0.5
    assert not torch.equal(a, b)
    assert torch.equal(a, c)


class Recorder:
    """An objective that records the (detached) samples it is evaluated on."""

    def __init__(self, f):
        self.f = f
        self.calls: list[torch.Tensor] = []

    def __call__(self, z):
        self.calls.append(z.detach().clone())
        return self.f(z)


@pytest.mark.parametrize("family,theta", [
    ("bernoulli", t64([0.2, 0.7])),
    ("categorical", t64([0.3, -1.0, 0.8])),
    ("categorical", t64([[0.4, -0.7, 1.1], [-0.2, 0.9, 0.05]])),
])
def test_st_gumbel_softmax_forward_is_an_exact_sample(family, theta):
    # The forward value h(z~) is distributed exactly as p (Bernoulli: P(sigmoid((logit p + l)/tau) > 1/2)
    # = P(l > -logit p) = p) or softmax(logits) (Gumbel-max trick), for any temperature.
    rec = Recorder(lambda z: (z**2).reshape(z.shape[0], -1).sum(-1))
    gradient_samples("st_gumbel_softmax", rec, family, theta, N, seed=4, temperature=0.7)
    assert len(rec.calls) == 1
    z = rec.calls[0]
    assert z.shape == (N, *theta.shape)
    rounded = z.round()
    # Discrete up to rounding (exact discreteness is tested in test_layers.py).
    assert (z - rounded).abs().max().item() < 1e-12
    assert bool(((rounded == 0) | (rounded == 1)).all())
    if family == "categorical":
        assert bool((rounded.sum(-1) == 1).all())
        expected = torch.softmax(theta, -1)
    else:
        expected = theta
    assert_mean_within(rounded, expected)


# ---------------------------------------------------------------------------------------------------
# Shapes, dtypes, reproducibility
# ---------------------------------------------------------------------------------------------------

THETAS = {
    "bernoulli": [[0.3], [0.2, 0.6, 0.9], [[0.3, 0.6], [0.75, 0.1]], 0.4],
    "categorical": [[0.3, -1.0, 0.8], [[0.4, -0.7, 1.1], [-0.2, 0.9, 0.05]], [[[0.1, 0.2]], [[0.3, -0.5]]]],
    "poisson": [[0.5], [0.2, 3.0, 10.0], [[1.0, 2.0], [0.1, 7.0]], 4.0],
}

SUPPORTED = [(est, fam) for est in ESTIMATORS for fam in ESTIMATORS[est].families]


def f_generic(z):
    return ((z - 0.3) ** 2).reshape(z.shape[0], -1).sum(-1) + torch.sin(z.reshape(z.shape[0], -1)).sum(-1)


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("estimator,family", SUPPORTED)
def test_shape_dtype_finite(estimator, family, dtype):
    for values in THETAS[family]:
        theta = torch.tensor(values, dtype=dtype)
        out = gradient_samples(estimator, f_generic, family, theta, 6, seed=0)
        assert out.shape == (6, *theta.shape)
        assert out.dtype == dtype
        assert bool(torch.isfinite(out).all())
        assert not out.requires_grad


@pytest.mark.parametrize("estimator,family", SUPPORTED)
def test_reproducibility_and_global_rng(estimator, family):
    theta = torch.tensor(THETAS[family][1], dtype=F64)
    torch.manual_seed(1234)
    state = torch.get_rng_state()
    a = gradient_samples(estimator, f_generic, family, theta, 200, seed=42)
    assert torch.equal(torch.get_rng_state(), state), "gradient_samples changed the global RNG state"
    # Independent of the global state: same seed, same output after other global draws.
    torch.manual_seed(999)
    torch.rand(17)
    b = gradient_samples(estimator, f_generic, family, theta, 200, seed=42)
    assert torch.equal(a, b)
    c = gradient_samples(estimator, f_generic, family, theta, 200, seed=43)
    assert not torch.equal(a, c)


# ---------------------------------------------------------------------------------------------------
# Row-by-row checks: each row of gradient_samples is the estimate of its own draw
# ---------------------------------------------------------------------------------------------------


def _score(family: str, theta: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """grad_theta log p(z) by hand: Bernoulli z/p - (1-z)/(1-p); Poisson z/lam - 1; logits z - pi."""
    if family == "bernoulli":
        return z / theta - (1 - z) / (1 - theta)
    if family == "poisson":
        return z / theta - 1
    return z - torch.softmax(theta, -1)


FAMILY_THETA = [
    ("bernoulli", t64([0.2, 0.6, 0.85])),
    ("categorical", t64([[0.4, -0.7, 1.1], [-0.2, 0.9, 0.05]])),
    ("poisson", t64([0.7, 3.0])),
]


@pytest.mark.parametrize("family,theta", FAMILY_THETA)
def test_reinforce_rows(family, theta):
    rec = Recorder(f_generic)
    out = gradient_samples("reinforce", rec, family, theta, 5, seed=8)
    (z,) = rec.calls
    values = f_generic(z)
    expected = values.reshape((-1,) + (1,) * theta.dim()) * _score(family, theta, z)
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("family,theta", FAMILY_THETA)
def test_reinforce_baseline_rows(family, theta):
    # Leave-one-out baseline: (f_i - sum_{j != i} f_j / (n - 1)) * score_i.
    n = 5
    rec = Recorder(f_generic)
    out = gradient_samples("reinforce_baseline", rec, family, theta, n, seed=8)
    (z,) = rec.calls
    values = f_generic(z)
    baseline = torch.stack([(values.sum() - values[i]) / (n - 1) for i in range(n)])
    weight = (values - baseline).reshape((-1,) + (1,) * theta.dim())
    torch.testing.assert_close(out, weight * _score(family, theta, z), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("family,theta", FAMILY_THETA)
def test_st_rows(family, theta):
    # f = sum (z - 0.3)^2 + sin z: grad_z = 2 (z - 0.3) + cos z, mapped through softmax for logits.
    rec = Recorder(f_generic)
    out = gradient_samples("st", rec, family, theta, 5, seed=8)
    (z,) = rec.calls
    g = 2 * (z - 0.3) + torch.cos(z)
    if family == "categorical":
        pi = torch.softmax(theta, -1)
        g = pi * (g - (pi * g).sum(-1, keepdim=True))
    torch.testing.assert_close(out, g, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("tau", [0.5, 2.0])
def test_gumbel_softmax_rows(tau):
    # Bernoulli: y = sigmoid((logit p + l)/tau), dy/dp = y (1 - y) / (tau p (1 - p)); grad = f'(y) dy/dp.
    p = t64([0.2, 0.6, 0.85])
    rec = Recorder(f_generic)
    out = gradient_samples("gumbel_softmax", rec, "bernoulli", p, 5, seed=8, temperature=tau)
    (y,) = rec.calls
    assert bool(((y > 0) & (y < 1)).all())
    expected = (2 * (y - 0.3) + torch.cos(y)) * y * (1 - y) / (tau * p * (1 - p))
    torch.testing.assert_close(out, expected, rtol=1e-9, atol=1e-12)
    # Categorical: y = softmax((a + g)/tau), grad_a = y * (f'(y) - <y, f'(y)>) / tau row-wise.
    a = t64([[0.4, -0.7, 1.1], [-0.2, 0.9, 0.05]])
    rec = Recorder(f_generic)
    out = gradient_samples("gumbel_softmax", rec, "categorical", a, 5, seed=8, temperature=tau)
    (y,) = rec.calls
    torch.testing.assert_close(y.sum(-1), torch.ones(5, 2, dtype=F64), rtol=0, atol=1e-12)
    g = 2 * (y - 0.3) + torch.cos(y)
    torch.testing.assert_close(out, y * (g - (y * g).sum(-1, keepdim=True)) / tau, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------------
# surrogate
# ---------------------------------------------------------------------------------------------------


def f_target(z):
    return ((z - t64([0.1, 0.9, 0.4]).to(z.dtype)) ** 2).sum(-1)


@pytest.mark.parametrize("seed", [0, 1])
def test_surrogate_st_backward_through_sigmoid(seed):
    # theta = sigmoid(w): d loss / dw = sigma'(w) * mean_i f'(z_i), f'(z) = 2 (z - t).
    n = 64
    w = t64([-0.5, 0.3, 1.2]).requires_grad_(True)
    rec = Recorder(f_target)
    torch.manual_seed(seed)
    loss, value = surrogate("st", rec, "bernoulli", torch.sigmoid(w), n=n)
    loss.backward()
    (z,) = rec.calls
    assert z.shape == (n, 3)
    assert bool(((z.round() == 0) | (z.round() == 1)).all())
    s = torch.sigmoid(w.detach())
    expected = s * (1 - s) * (2 * (z - t64([0.1, 0.9, 0.4]))).mean(0)
    torch.testing.assert_close(w.grad, expected, rtol=1e-12, atol=1e-12)
    assert value.item() == pytest.approx(f_target(z).mean().item(), rel=1e-12)
    assert not value.requires_grad
    assert loss.dim() == 0
    # Same global seed: same draws and gradient.
    w2 = w.detach().clone().requires_grad_(True)
    rec2 = Recorder(f_target)
    torch.manual_seed(seed)
    loss2, _ = surrogate("st", rec2, "bernoulli", torch.sigmoid(w2), n=n)
    loss2.backward()
    assert torch.equal(rec2.calls[0], z)
    assert torch.equal(w2.grad, w.grad)


def test_surrogate_reinforce_backward_through_sigmoid():
    # Gradient of the mean REINFORCE surrogate: sigma'(w) * mean_i f(z_i) (z_i/p - (1 - z_i)/(1 - p)).
    n = 64
    w = t64([-0.5, 0.3, 1.2]).requires_grad_(True)
    rec = Recorder(f_target)
    torch.manual_seed(3)
    loss, _ = surrogate("reinforce", rec, "bernoulli", torch.sigmoid(w), n=n)
    loss.backward()
    (z,) = rec.calls
    p = torch.sigmoid(w.detach())
    expected = p * (1 - p) * (f_target(z)[:, None] * _score("bernoulli", p, z)).mean(0)
    torch.testing.assert_close(w.grad, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("estimator", UNBIASED)
def test_surrogate_gradient_is_unbiased(estimator):
    # The surrogate's gradient averages n single-draw estimates, so for an unbiased estimator its mean over
    # many calls is the exact gradient.
    p = t64([0.2, 0.6, 0.85])
    torch.manual_seed(0)
    grads = []
    for _ in range(2000):
        theta = p.clone().requires_grad_(True)
        loss, _ = surrogate(estimator, f_bern_3d, "bernoulli", theta, n=4)
        (g,) = torch.autograd.grad(loss, theta)
        grads.append(g)
    assert_mean_within(torch.stack(grads), exact_gradient(f_bern_3d, "bernoulli", p))


@pytest.mark.parametrize("estimator", [name for name, e in ESTIMATORS.items() if "bernoulli" in e.families])
def test_surrogate_without_grad_reports_value(estimator):
    # In an evaluation loop (torch.no_grad, or a theta that does not require grad) the surrogate still
    # reports the mean objective value: f is differentiable, only theta carries no graph.
    rec = Recorder(f_target)
    torch.manual_seed(0)
    with torch.no_grad():
        loss, value = surrogate(estimator, rec, "bernoulli", t64([0.2, 0.6, 0.85]), n=8)
    assert not loss.requires_grad
    assert math.isfinite(value.item())
    # ARM / DisARM evaluate f on a draw and on its antithetic partner: value is the mean over one of them.
    means = [f_target(z).mean().item() for z in rec.calls]
    assert any(value.item() == pytest.approx(m, rel=1e-12) for m in means)
