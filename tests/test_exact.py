"""Tests of the exact oracle (:mod:`pwgf_viz.exact`) against closed forms and independent computations.

Every expected value below is either derived by hand (derivation in the comment next to it), computed
by an enumeration written here independently of the package, or obtained by finite differences.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy import stats

from pwgf_viz import exact, exact_expectation, exact_gradient, exact_st_mean

F64 = torch.float64


def t64(values) -> torch.Tensor:
    return torch.tensor(values, dtype=F64)


def softmax_np(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ---------------------------------------------------------------------------------------------------
# Bernoulli
# ---------------------------------------------------------------------------------------------------


def f_bern_1d(z: torch.Tensor) -> torch.Tensor:
    # An arbitrary non-linear function of the bit; only f(0) and f(1) matter.
    return torch.exp(z) * 3.0 - z + torch.sin(2.0 * z)


@pytest.mark.parametrize("p", [0.01, 0.1, 0.5, 0.9, 0.99])
def test_bernoulli_1d_value_and_gradient(p):
    # L(p) = p f(1) + (1 - p) f(0), hence L'(p) = f(1) - f(0).
    f0 = 3.0  # 3 e^0 - 0 + sin 0
    f1 = 3.0 * math.e - 1.0 + math.sin(2.0)
    value = exact_expectation(f_bern_1d, "bernoulli", t64(p))
    assert value == pytest.approx(p * f1 + (1 - p) * f0, rel=1e-12)
    grad = exact_gradient(f_bern_1d, "bernoulli", t64(p))
    assert grad.shape == ()
    assert grad.dtype == F64
    assert grad.item() == pytest.approx(f1 - f0, rel=1e-12)
    # Shape (1,) behaves the same.
    grad1 = exact_gradient(lambda z: f_bern_1d(z[:, 0]), "bernoulli", t64([p]))
    assert grad1.shape == (1,)
    assert grad1.item() == pytest.approx(f1 - f0, rel=1e-12)


def f_bern_3d(z: torch.Tensor) -> torch.Tensor:
    # f = z1 z2 + 2 z3^2 - z1 (coordinates 1, 2, 3 stored at indices 0, 1, 2).
    return z[:, 0] * z[:, 1] + 2.0 * z[:, 2] ** 2 - z[:, 0]


@pytest.mark.parametrize("p", [(0.2, 0.6, 0.85), (0.5, 0.5, 0.5), (0.03, 0.97, 0.4)])
def test_bernoulli_3d_interaction_closed_form(p):
    # Independent bits with E[z_i] = p_i and z^2 = z for a bit:
    #   L = p1 p2 + 2 p3 - p1,  dL/dp1 = p2 - 1,  dL/dp2 = p1,  dL/dp3 = 2.
    p1, p2, p3 = p
    value = exact_expectation(f_bern_3d, "bernoulli", t64(p))
    assert value == pytest.approx(p1 * p2 + 2 * p3 - p1, rel=1e-12)
    grad = exact_gradient(f_bern_3d, "bernoulli", t64(p))
    assert grad.shape == (3,)
    torch.testing.assert_close(grad, t64([p2 - 1, p1, 2.0]), rtol=1e-12, atol=1e-12)


def test_bernoulli_matrix_shaped_theta():
    # theta of shape (2, 2): f = z00 z11 - 3 z01 + z10 z01.
    # L = p00 p11 - 3 p01 + p10 p01, gradient [[p11, -3 + p10], [p01, p00]].
    p = t64([[0.2, 0.7], [0.4, 0.9]])

    def f(z):
        return z[:, 0, 0] * z[:, 1, 1] - 3 * z[:, 0, 1] + z[:, 1, 0] * z[:, 0, 1]

    expected = t64([[0.9, -3 + 0.4], [0.7, 0.2]])
    grad = exact_gradient(f, "bernoulli", p)
    assert grad.shape == (2, 2)
    torch.testing.assert_close(grad, expected, rtol=1e-12, atol=1e-12)


def test_bernoulli_twenty_coordinates_is_allowed():
    # The documented limit is 20 coordinates (2^20 configurations). For f = sum_i z_i, L = sum_i p_i, so
    # the gradient is the all-ones vector.
    p = torch.linspace(0.05, 0.95, 20, dtype=F64)
    grad = exact_gradient(lambda z: z.sum(-1), "bernoulli", p)
    torch.testing.assert_close(grad, torch.ones(20, dtype=F64), rtol=1e-10, atol=1e-10)


def test_bernoulli_twenty_one_coordinates_refused():
    p = torch.full((21,), 0.5, dtype=F64)
    for fn in (exact_expectation, exact_gradient, exact_st_mean):
        with pytest.raises(ValueError, match="20"):
            fn(lambda z: z.sum(-1), "bernoulli", p)


# ---------------------------------------------------------------------------------------------------
# Categorical
# ---------------------------------------------------------------------------------------------------


def test_categorical_vector_closed_form():
    # L = sum_k pi_k f(e_k); dL/da_j = sum_k f(e_k) pi_k (delta_jk - pi_j) = pi_j (f(e_j) - L).
    a = np.array([0.3, -1.2, 0.8, 2.0])
    c = np.array([1.5, -0.5, 2.0, 0.25])

    def f(z):
        s = z @ torch.as_tensor(c, dtype=z.dtype)
        return s + s**2 + torch.cos(s)

    f_e = c + c**2 + np.cos(c)  # f at the one-hot vectors e_k
    pi = softmax_np(a)
    value = float(pi @ f_e)
    assert exact_expectation(f, "categorical", t64(a)) == pytest.approx(value, rel=1e-12)
    grad = exact_gradient(f, "categorical", t64(a))
    assert grad.shape == (4,)
    np.testing.assert_allclose(grad.numpy(), pi * (f_e - value), rtol=1e-10, atol=1e-13)
    # The logits gradient sums to zero (softmax is invariant to a shift of the logits).
    assert abs(grad.sum().item()) < 1e-12


def _categorical_enumeration(a: np.ndarray, f_config) -> tuple[float, np.ndarray]:
    """Independent enumeration over one-hot configurations of logits ``a`` of shape (d, K).

    Uses the score identity grad_a log p(z) = z - pi row-wise, so grad L = sum_z p(z) f(z) (z - pi).
    """
    d, k = a.shape
    pi = softmax_np(a)
    value, grad = 0.0, np.zeros_like(a)
    for config in itertools.product(range(k), repeat=d):
        onehot = np.zeros((d, k))
        onehot[np.arange(d), config] = 1.0
        prob = float(np.prod(pi[np.arange(d), config]))
        fz = f_config(onehot)
        value += prob * fz
        grad += prob * fz * (onehot - pi)
    return value, grad


def test_categorical_batched_logits_enumeration():
    # Logits of shape (2, 3): K^d = 3^2 = 9 configurations.
    a = np.array([[0.4, -0.7, 1.1], [-0.2, 0.9, 0.05]])
    u, v, w = np.array([1.0, -2.0, 0.5]), np.array([0.3, 1.7, -1.0]), np.array([2.0, 0.0, -0.5])

    def f(z):
        zt = z.to(F64)
        return (zt[:, 0] @ t64(u)) * (zt[:, 1] @ t64(v)) + zt[:, 0] @ t64(w) + torch.sin(zt[:, 1] @ t64(w))

    def f_np(onehot):
        return (onehot[0] @ u) * (onehot[1] @ v) + onehot[0] @ w + math.sin(onehot[1] @ w)

    value, grad_expected = _categorical_enumeration(a, f_np)
    assert exact_expectation(f, "categorical", t64(a)) == pytest.approx(value, rel=1e-12)
    grad = exact_gradient(f, "categorical", t64(a))
    assert grad.shape == (2, 3)
    np.testing.assert_allclose(grad.numpy(), grad_expected, rtol=1e-10, atol=1e-13)
    # Each row of a logits gradient sums to zero (softmax is invariant to a shift of a row).
    np.testing.assert_allclose(grad.sum(-1).numpy(), 0.0, atol=1e-12)


def test_categorical_configuration_limit():
    # K^d = 10^6 is the largest allowed; with equal logits and f = number of rows in category 0,
    # L = d / K = 6 / 10.
    value = exact_expectation(lambda z: z[:, :, 0].sum(-1), "categorical", torch.zeros(6, 10, dtype=F64))
    assert value == pytest.approx(0.6, rel=1e-10)
    # 8^7 = 2.1e6 > 10^6 configurations: refused.
    for fn in (exact_expectation, exact_gradient, exact_st_mean):
        with pytest.raises(ValueError, match="configurations"):
            fn(lambda z: z.flatten(1).sum(-1), "categorical", torch.zeros(7, 8, dtype=F64))


# ---------------------------------------------------------------------------------------------------
# Poisson
# ---------------------------------------------------------------------------------------------------

RATES = [1e-3, 0.5, 4.0, 50.0, 1e3]


@pytest.mark.parametrize("lam", RATES)
def test_poisson_second_moment(lam):
    # E[z^2] = Var z + (E z)^2 = lam + lam^2, so d/dlam = 1 + 2 lam.
    # Truncation at K (P(z > K) < 1e-12): the value misses about 1e-12 * K^2, relative < 1e-9. The gradient
    # of the truncated sum is sum_{k<K} p(k)(f(k+1) - f(k)) - p(K) f(K) (from p'(k) = p(k-1) - p(k)), off by
    # about p(K) f(K+1). Worst case here is lam = 1e-3, K = 3: p(3) f(4) = (1e-9 / 6) * 16 = 2.7e-9,
    # relative to 1 + 2 lam ~ 1; for large lam p(K) < 1e-12 and f(K+1) / (1 + 2 lam) < K. Hence rtol 1e-7.
    value = exact_expectation(lambda z: z**2, "poisson", t64(lam))
    assert value == pytest.approx(lam + lam**2, rel=1e-9)
    grad = exact_gradient(lambda z: z**2, "poisson", t64(lam))
    assert grad.shape == ()
    assert math.isfinite(grad.item())
    assert grad.item() == pytest.approx(1 + 2 * lam, rel=1e-7)


@pytest.mark.parametrize("lam", RATES)
def test_poisson_exponential_objective(lam):
    # f(z) = exp(-z/2). Poisson MGF: E[e^{tz}] = exp(lam (e^t - 1)), so with t = -1/2
    #   L = exp(lam (e^{-1/2} - 1)),  dL/dlam = (e^{-1/2} - 1) L.
    # At lam = 1e3, L = exp(-393.5) ~ 1e-171: still a normal float64, so this checks no overflow/underflow.
    def f(z):
        return torch.exp(-z / 2)

    c = math.exp(-0.5) - 1.0
    closed = math.exp(lam * c)
    value = exact_expectation(f, "poisson", t64(lam))
    assert value == pytest.approx(closed, rel=1e-8)
    grad = exact_gradient(f, "poisson", t64(lam)).item()
    assert math.isfinite(grad)
    assert grad == pytest.approx(c * closed, rel=1e-7)
    # Identity d/dlam E[f(z)] = E[f(z+1) - f(z)] (from p'(k) = p(k-1) - p(k)).
    delta = exact_expectation(lambda z: f(z + 1) - f(z), "poisson", t64(lam))
    assert grad == pytest.approx(delta, rel=1e-7)


def test_poisson_two_coordinates():
    # f = z1 z2 + z1^2 with independent coordinates: L = lam1 lam2 + lam1 + lam1^2,
    # grad = (lam2 + 1 + 2 lam1, lam1).
    lam1, lam2 = 0.7, 3.0

    def f(z):
        return z[:, 0] * z[:, 1] + z[:, 0] ** 2

    assert exact_expectation(f, "poisson", t64([lam1, lam2])) == pytest.approx(
        lam1 * lam2 + lam1 + lam1**2, rel=1e-9)
    grad = exact_gradient(f, "poisson", t64([lam1, lam2]))
    torch.testing.assert_close(grad, t64([lam2 + 1 + 2 * lam1, lam1]), rtol=1e-8, atol=1e-10)


def test_poisson_too_many_configurations_refused():
    # Four coordinates at rate 50 keep about 110 values each: 110^4 > 10^6 configurations.
    with pytest.raises(ValueError, match="configurations"):
        exact_gradient(lambda z: z.sum(-1), "poisson", torch.full((4,), 50.0, dtype=F64))


@pytest.mark.parametrize("rates", [[1e-3], [0.5], [4.0], [50.0], [1e3], [0.7, 3.0], RATES,
                                   [1e-6, 1e-2, 0.3, 2.0, 7.5, 20.0, 200.0, 5e3]])
def test_poisson_truncation_is_minimal(rates):
    # Documented: the smallest k_i with P(z_i > k_i) < 1e-12 / d.
    rates_np = np.array(rates, dtype=np.float64)
    q = 1e-12 / rates_np.size
    ks = exact.poisson_truncation(torch.tensor(rates_np))
    assert ks.shape == rates_np.shape
    assert np.all(stats.poisson.sf(ks, rates_np) < q)
    smaller = ks - 1
    # k - 1 fails (for k = 0 there is nothing smaller: the minimality is then trivial).
    has_smaller = smaller >= 0
    assert np.all(stats.poisson.sf(smaller[has_smaller], rates_np[has_smaller]) >= q)


# ---------------------------------------------------------------------------------------------------
# Finite differences
# ---------------------------------------------------------------------------------------------------


def _central_differences(f, family, theta: torch.Tensor, h: float = 1e-5) -> torch.Tensor:
    grad = torch.zeros_like(theta)
    flat = grad.view(-1)
    for i in range(theta.numel()):
        plus, minus = theta.clone(), theta.clone()
        plus.view(-1)[i] += h
        minus.view(-1)[i] -= h
        flat[i] = (exact_expectation(f, family, plus) - exact_expectation(f, family, minus)) / (2 * h)
    return grad


def _random_smooth_objective(gen: torch.Generator, size: int):
    a, b, c = (torch.randn(size, generator=gen, dtype=F64) for _ in range(3))

    def f(z):
        x = z.reshape(z.shape[0], -1).to(F64)
        # Bounded and smooth: sin, cos and a Gaussian bump (bounded |f| keeps the Poisson truncation
        # jumps, < 1e-12 sup|f| / 2h ~ 1e-7 sup|f|, well below the tolerance).
        return torch.sin(x @ a) + 0.5 * torch.cos(x @ b) * torch.exp(-0.1 * (x @ c) ** 2)

    return f


@pytest.mark.parametrize("family,theta", [
    ("bernoulli", t64([0.2, 0.55, 0.9, 0.35])),
    ("bernoulli", t64([[0.3, 0.6], [0.75, 0.1]])),
    ("categorical", t64([0.3, -1.0, 0.8, 0.1])),
    ("categorical", t64([[0.4, -0.7, 1.1], [-0.2, 0.9, 0.05]])),
    ("poisson", t64([0.8, 2.5])),
    ("poisson", t64(6.0)),
])
@pytest.mark.parametrize("seed", [0, 1])
def test_finite_differences_match_exact_gradient(family, theta, seed):
    # Central differences have truncation error h^2 |L'''| / 6 ~ 1e-10 and rounding error
    # ~ eps |L| / h ~ 1e-11: a tolerance of 1e-6 relative (with a 1e-6 absolute floor) is ample.
    gen = torch.Generator().manual_seed(seed)
    f = _random_smooth_objective(gen, theta.numel())
    fd = _central_differences(f, family, theta)
    grad = exact_gradient(f, family, theta)
    assert grad.shape == theta.shape
    torch.testing.assert_close(grad, fd, rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------------------------------
# Exact mean of the straight-through estimator
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.37, 0.5, 0.9])
def test_st_mean_bernoulli_1d(p):
    # ST mean = E_p[f'(z)] = p f'(1) + (1 - p) f'(0), with f = sin(3z) + z^3, f' = 3 cos(3z) + 3 z^2.
    def f(z):
        return torch.sin(3 * z) + z**3

    def fprime(z):
        return 3 * math.cos(3 * z) + 3 * z**2

    st = exact_st_mean(f, "bernoulli", t64(p))
    assert st.shape == ()
    assert st.item() == pytest.approx(p * fprime(1) + (1 - p) * fprime(0), rel=1e-12)


@pytest.mark.parametrize("p", [0.05, 0.3, 0.5, 0.8])
@pytest.mark.parametrize("t", [-0.7, 0.45, 2.0])
def test_st_bias_of_quadratic_is_c_times_p_minus_half(p, t):
    # f = (z - t)^2: ST mean = p 2(1 - t) + (1 - p) 2(-t) = 2 (p - t); exact gradient = f(1) - f(0)
    # = 1 - 2t. Bias = 2p - 2t - 1 + 2t = 2 (p - 1/2) = c (p - 1/2) with c = f'' = 2.
    def f(z):
        return (z - t) ** 2

    st = exact_st_mean(f, "bernoulli", t64(p)).item()
    assert st == pytest.approx(2 * (p - t), abs=1e-12)
    bias = st - exact_gradient(f, "bernoulli", t64(p)).item()
    assert bias == pytest.approx(2 * (p - 0.5), abs=1e-12)


def test_st_mean_bernoulli_3d():
    # f = z1 z2 + 2 z3^2 - z1: grad_z f = (z2 - 1, z1, 4 z3), mean (p2 - 1, p1, 4 p3).
    p = (0.2, 0.6, 0.85)
    st = exact_st_mean(f_bern_3d, "bernoulli", t64(p))
    torch.testing.assert_close(st, t64([p[1] - 1, p[0], 4 * p[2]]), rtol=1e-12, atol=1e-12)


def test_st_mean_categorical():
    # f = (z.c)^2: grad_z f = 2 (z.c) c, so E[grad_z f] = 2 (pi.c) c; in logits: pi * (g - pi.g).
    a = np.array([0.3, -1.2, 0.8, 2.0])
    c = np.array([1.5, -0.5, 2.0, 0.25])

    def f(z):
        return (z @ t64(c)) ** 2

    pi = softmax_np(a)
    g = 2 * (pi @ c) * c
    expected = pi * (g - pi @ g)
    st = exact_st_mean(f, "categorical", t64(a))
    np.testing.assert_allclose(st.numpy(), expected, rtol=1e-10, atol=1e-13)


def test_st_mean_categorical_batched():
    # f = (z0.u)(z1.v) + z0.w: grad_z0 = u (z1.v) + w, grad_z1 = v (z0.u); expectations with pi0, pi1;
    # each row mapped by the softmax Jacobian: pi_r * (g_r - pi_r.g_r).
    a = np.array([[0.4, -0.7, 1.1], [-0.2, 0.9, 0.05]])
    u, v, w = np.array([1.0, -2.0, 0.5]), np.array([0.3, 1.7, -1.0]), np.array([2.0, 0.0, -0.5])

    def f(z):
        return (z[:, 0] @ t64(u)) * (z[:, 1] @ t64(v)) + z[:, 0] @ t64(w)

    pi = softmax_np(a)
    g = np.stack([u * (pi[1] @ v) + w, v * (pi[0] @ u)])
    expected = pi * (g - (pi * g).sum(-1, keepdims=True))
    st = exact_st_mean(f, "categorical", t64(a))
    assert st.shape == (2, 3)
    np.testing.assert_allclose(st.numpy(), expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("lam", [0.5, 4.0, 50.0])
def test_st_mean_poisson(lam):
    # f = (z - 2.5)^2: E[f'(z)] = E[2 (z - 2.5)] = 2 lam - 5.
    st = exact_st_mean(lambda z: (z - 2.5) ** 2, "poisson", t64(lam))
    assert st.item() == pytest.approx(2 * lam - 5, rel=1e-9, abs=1e-9)


def test_st_mean_equals_gradient_for_linear_objectives():
    # For linear f the ST estimator is exact: E[grad f] = w = grad_mu (mu.w).
    w = t64([1.0, -2.0, 0.5])
    for family, theta in (("bernoulli", t64([0.2, 0.5, 0.7])), ("poisson", t64([0.3, 2.0, 9.0])),
                          ("categorical", t64([0.1, -0.4, 1.3]))):
        st = exact_st_mean(lambda z: z @ w, family, theta)
        torch.testing.assert_close(st, exact_gradient(lambda z: z @ w, family, theta), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------------
# Dtypes
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("family,values", [
    ("bernoulli", [0.2, 0.6, 0.85]),
    ("categorical", [0.3, -1.0, 0.8]),
    ("poisson", [0.7, 3.0, 1.5]),
])
def test_float32_theta(family, values):
    def f(z):
        return torch.sin(z @ t64([1.0, -0.5, 2.0]).to(z.dtype)) + z[:, 0] * z[:, 1]

    theta32 = torch.tensor(values, dtype=torch.float32)
    theta64 = torch.tensor(values, dtype=F64)
    for fn in (exact_gradient, exact_st_mean):
        g32 = fn(f, family, theta32)
        assert g32.dtype == F64
        assert g32.shape == theta32.shape
        # Same float values in float64: identical computation.
        torch.testing.assert_close(g32, fn(f, family, theta32.double()), rtol=1e-12, atol=1e-12)
        # Against the decimal values: differs only by the float32 rounding of theta (~6e-8 relative).
        torch.testing.assert_close(g32, fn(f, family, theta64), rtol=1e-5, atol=1e-6)
    value64 = exact_expectation(f, family, theta64)
    assert exact_expectation(f, family, theta32) == pytest.approx(value64, rel=1e-5)
