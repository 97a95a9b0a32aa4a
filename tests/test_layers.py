"""Tests of the sampling layers :func:`sample_st` and :func:`sample_gumbel_softmax`.

Forward values must be genuine draws (exactly 0/1, one-hot, non-negative integers), and the backward
pass must carry exactly the gradient the estimator prescribes; all expected gradients are written by hand.
"""

from __future__ import annotations

import math

import pytest
import torch

from pwgf_viz import sample_gumbel_softmax, sample_st

F64 = torch.float64


def t64(values) -> torch.Tensor:
    return torch.tensor(values, dtype=F64)


def assert_mean_within(samples: torch.Tensor, expected: torch.Tensor, n_se: float = 4.0) -> None:
    """Per coordinate: |sample mean - expected| <= 4 SE (SE = sample std / sqrt(n))."""
    samples = samples.detach().to(F64)
    n = samples.shape[0]
    se = samples.std(0) / math.sqrt(n)
    error = (samples.mean(0) - expected.to(F64)).abs()
    assert bool((error <= n_se * se).all()), (error.tolist(), (n_se * se).tolist())


N = 20_000


# ---------------------------------------------------------------------------------------------------
# sample_st
# ---------------------------------------------------------------------------------------------------


DISCRETE_CASES = [
    ("bernoulli", [0.1, 0.3, 0.4, 0.55, 0.8, 0.9]),
    ("poisson", [0.3, 0.7, 2.5, 10.3]),
    ("categorical", [0.3, -1.0, 0.8, 0.1]),
]


def _assert_exactly_discrete(family: str, z: torch.Tensor) -> None:
    if family == "poisson":
        bad = (z < 0) | (z != z.round())
    else:
        bad = (z != 0) & (z != 1)
    assert not bool(bad.any()), f"{int(bad.sum())} non-discrete values, e.g. {z[bad][:3].tolist()}"
    if family == "categorical":
        assert bool((z.sum(-1) == 1).all())


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("family,values", DISCRETE_CASES)
def test_sample_st_forward_values_are_exactly_discrete(family, values, dtype):
    # The forward value is documented as the discrete sample itself: exactly 0/1, one-hot, or integers
    # (e.g. so that f may compare z == 1 or index with z).
    torch.manual_seed(0)
    theta = torch.tensor(values, dtype=dtype).expand(500, len(values)).clone().requires_grad_(True)
    _assert_exactly_discrete(family, sample_st(family, theta).detach())


def test_sample_st_distribution():
    # Each forward value is a draw of the right law: mean p, lam, softmax(a) (within 4 SE; the values are
    # rounded so that this test is independent of the exact-discreteness test above).
    torch.manual_seed(1)
    p = t64([0.1, 0.5, 0.85])
    assert_mean_within(sample_st("bernoulli", p.expand(N, 3)).detach().round(), p)
    lam = t64([0.3, 4.0])
    z = sample_st("poisson", lam.expand(N, 2)).detach().round()
    assert bool((z >= 0).all())
    assert_mean_within(z, lam)
    a = t64([0.3, -1.0, 0.8])
    z = sample_st("categorical", a.expand(N, 3)).detach().round()
    assert bool((z.sum(-1) == 1).all())
    assert_mean_within(z, torch.softmax(a, -1))


def _g(z: torch.Tensor) -> torch.Tensor:
    """grad_z of f(z) = sum(c (z - 0.3)^2 + sin z) with c = 1.5: 3 (z - 0.3) + cos z."""
    return 3.0 * (z - 0.3) + torch.cos(z)


def _f(z: torch.Tensor) -> torch.Tensor:
    return (1.5 * (z - 0.3) ** 2 + torch.sin(z)).sum()


@pytest.mark.parametrize("family,theta", [
    ("bernoulli", t64([[0.2, 0.6, 0.85], [0.5, 0.1, 0.99]])),
    ("poisson", t64([[0.7, 3.0, 12.0], [0.05, 1.0, 2.0]])),
])
def test_sample_st_gradient_is_grad_f_at_sample(family, theta):
    # dz/dmu := I, so d f(z) / d theta = grad_z f(z) evaluated at the forward value.
    torch.manual_seed(2)
    theta = theta.clone().requires_grad_(True)
    z = sample_st(family, theta)
    _f(z).backward()
    torch.testing.assert_close(theta.grad, _g(z.detach()), rtol=1e-12, atol=1e-12)


def test_sample_st_categorical_gradient_is_softmax_jacobian():
    # d f / d a = J^T grad_z f(z) with J = diag(pi) - pi pi^T, i.e. pi * (g - <pi, g>) per row.
    torch.manual_seed(3)
    a = t64([[0.3, -1.0, 0.8, 0.1], [1.5, 0.2, -0.3, 0.0]]).requires_grad_(True)
    z = sample_st("categorical", a)
    _f(z).backward()
    pi = torch.softmax(a.detach(), -1)
    g = _g(z.detach())
    expected = torch.stack([torch.diag(pi[r]) @ g[r] - pi[r] * (pi[r] @ g[r]) for r in range(2)])
    torch.testing.assert_close(a.grad, expected, rtol=1e-12, atol=1e-12)


def test_sample_st_gradient_flows_upstream():
    torch.manual_seed(4)
    # Bernoulli through a sigmoid: d f / d w = sigma'(w) g(z).
    w = t64([-1.0, 0.2, 2.0]).requires_grad_(True)
    z = sample_st("bernoulli", torch.sigmoid(w))
    _f(z).backward()
    s = torch.sigmoid(w.detach())
    torch.testing.assert_close(w.grad, s * (1 - s) * _g(z.detach()), rtol=1e-12, atol=1e-12)
    # Poisson through an exponential: d f / d v = exp(v) g(z).
    v = t64([-1.0, 0.5, 1.5]).requires_grad_(True)
    z = sample_st("poisson", torch.exp(v))
    _f(z).backward()
    torch.testing.assert_close(v.grad, torch.exp(v.detach()) * _g(z.detach()), rtol=1e-12, atol=1e-12)
    # Categorical through a linear map a = M x: d f / d x = M^T J^T g(z).
    m = t64([[1.0, 0.5], [-0.3, 2.0], [0.7, -1.1]])
    x = t64([0.4, -0.6]).requires_grad_(True)
    a = m @ x
    z = sample_st("categorical", a)
    _f(z).backward()
    pi = torch.softmax(a.detach(), -1)
    g = _g(z.detach())
    torch.testing.assert_close(x.grad, m.T @ (pi * (g - pi @ g)), rtol=1e-12, atol=1e-12)


def test_sample_st_accepts_python_numbers():
    torch.manual_seed(5)
    z = sample_st("bernoulli", 0.3)
    assert z.shape == ()
    assert z.dtype == F64
    assert z.round().item() in (0.0, 1.0)


# ---------------------------------------------------------------------------------------------------
# sample_gumbel_softmax
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tau", [0.1, 0.5, 2.0])
def test_relaxed_values_in_open_interval_and_simplex(tau):
    torch.manual_seed(6)
    y = sample_gumbel_softmax("bernoulli", t64([0.05, 0.5, 0.9]).expand(N, 3), temperature=tau)
    assert bool(((y > 0) & (y < 1)).all())
    # Categorical: on the simplex. Entries are mathematically in (0, 1) but may round to exactly 1 (or 0)
    # in float64 when the perturbed logits are > 37 tau apart, which happens at tau = 0.1: closed interval.
    y = sample_gumbel_softmax("categorical", t64([0.3, -1.0, 0.8]).expand(N, 3), temperature=tau)
    assert bool(((y >= 0) & (y <= 1)).all())
    torch.testing.assert_close(y.sum(-1), torch.ones(N, dtype=F64), rtol=0, atol=1e-12)


def test_relaxed_bernoulli_pathwise_gradient():
    # y = sigmoid((logit p + l)/tau) with l independent of p: dy/dp = y (1 - y) / (tau p (1 - p)).
    torch.manual_seed(7)
    tau = 0.5
    p = t64([0.2, 0.6, 0.85]).expand(50, 3).clone().requires_grad_(True)
    y = sample_gumbel_softmax("bernoulli", p, temperature=tau)
    y.sum().backward()
    yd = y.detach()
    torch.testing.assert_close(p.grad, yd * (1 - yd) / (tau * p.detach() * (1 - p.detach())),
                               rtol=1e-8, atol=1e-12)


def test_relaxed_categorical_pathwise_gradient():
    # y = softmax((a + g)/tau): dy/da = (diag y - y y^T) / tau; for f = <c, y>, grad = y (c - <y, c>) / tau.
    torch.manual_seed(8)
    tau = 0.7
    c = t64([1.0, -2.0, 0.5])
    a = t64([0.3, -1.0, 0.8]).expand(50, 3).clone().requires_grad_(True)
    y = sample_gumbel_softmax("categorical", a, temperature=tau)
    (y @ c).sum().backward()
    yd = y.detach()
    torch.testing.assert_close(a.grad, yd * (c - (yd @ c)[:, None]) / tau, rtol=1e-10, atol=1e-12)


def test_relaxed_samples_approach_hard_samples_at_low_temperature():
    # Bernoulli: y = sigmoid(x / tau), x = logit p + l. y is within 1e-3 of {0, 1} iff |x| / tau >= logit(1 -
    # 1e-3) = 6.907, i.e. |x| >= 0.069 at tau = 0.01. The logistic density is <= 1/4, so
    # P(|x| < 0.069) <= 2 * 0.069 / 4 = 0.035: the expected fraction is >= 0.965, and with 3 N = 6e4
    # entries its SE is <= sqrt(0.035 / 6e4) < 1e-3, so 0.95 sits > 15 SE below.
    torch.manual_seed(9)
    y = sample_gumbel_softmax("bernoulli", t64([0.2, 0.5, 0.9]).expand(N, 3), temperature=0.01)
    near = ((y < 1e-3) | (y > 1 - 1e-3)).to(F64).mean().item()
    assert near > 0.95
    # The same at tau = 1 is far from hard (sanity check that the threshold discriminates): there
    # P(|x| >= 6.9) is small.
    y1 = sample_gumbel_softmax("bernoulli", t64([0.2, 0.5, 0.9]).expand(N, 3), temperature=1.0)
    assert ((y1 < 1e-3) | (y1 > 1 - 1e-3)).to(F64).mean().item() < 0.5
    # Categorical, K = 3, equal logits, tau = 0.01. Sort the perturbed logits x1 > x2 > x3 and let
    # gap2 = x1 - x2 <= gap3 = x1 - x3. Then 1 - y_max <= exp(-gap2/tau) + exp(-gap3/tau) <= 2 exp(-gap2/tau)
    # and y_2, y_3 <= exp(-gap2/tau), so every entry is within 1e-3 of {0, 1} once gap2 >= tau log(2000)
    # = 0.076 = d. With E_i = exp(-g_i) iid Exp(1): E_(1) ~ Exp(3), E_(2) - E_(1) = X ~ Exp(2) independent,
    # gap2 = log(1 + X / E_(1)), so P(gap2 < d) = 1 - 3 / (3 + 2 (e^d - 1)) = 0.050.
    # Rows: P(y_max > 1 - 1e-3) >= 0.950; SE <= sqrt(0.05 / N) = 1.6e-3, threshold 0.93 is > 12 SE below.
    # Entries: outside that event all 3 are near; inside it the smallest entry y_3 <= exp(-gap3/tau) is also
    # near unless gap3 < 0.069, an event of probability ~ (e^d - 1)^2 E[E_(1)^2] = 0.0014 (X2 + X3 has
    # CDF ~ s^2 near 0). So the expected fraction of bad entries is <= (2 * 0.050 + 0.0014) / 3 = 0.034,
    # the fraction of near entries >= 0.966, and 0.95 is > 9 SE below.
    y = sample_gumbel_softmax("categorical", torch.zeros(N, 3, dtype=F64), temperature=0.01)
    assert (y.max(-1).values > 1 - 1e-3).to(F64).mean().item() > 0.93
    assert ((y < 1e-3) | (y > 1 - 1e-3)).to(F64).mean().item() > 0.95


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("family,values", [case for case in DISCRETE_CASES if case[0] != "poisson"])
def test_hard_gumbel_softmax_is_exactly_discrete(family, values, dtype):
    torch.manual_seed(10)
    theta = torch.tensor(values, dtype=dtype).expand(500, len(values)).clone().requires_grad_(True)
    z = sample_gumbel_softmax(family, theta, temperature=0.5, hard=True).detach()
    _assert_exactly_discrete(family, z)


@pytest.mark.parametrize("family,theta", [
    ("bernoulli", t64([0.2, 0.6, 0.85]).expand(40, 3)),
    ("categorical", t64([0.3, -1.0, 0.8]).expand(40, 3)),
])
def test_hard_gumbel_softmax_rounds_the_relaxed_draw_and_keeps_its_gradient(family, theta):
    # With the same seed the hard draw is the rounding of the relaxed one (threshold 1/2 / argmax), and its
    # gradient is that of the relaxed draw (nonzero).
    c = t64([1.0, -2.0, 0.5])
    torch.manual_seed(11)
    theta_soft = theta.clone().requires_grad_(True)
    soft = sample_gumbel_softmax(family, theta_soft, temperature=0.5)
    (soft @ c).sum().backward()
    torch.manual_seed(11)
    theta_hard = theta.clone().requires_grad_(True)
    hard = sample_gumbel_softmax(family, theta_hard, temperature=0.5, hard=True)
    (hard @ c).sum().backward()
    if family == "bernoulli":
        rounded = (soft.detach() > 0.5).to(F64)
    else:
        rounded = torch.nn.functional.one_hot(soft.detach().argmax(-1), 3).to(F64)
    torch.testing.assert_close(hard.detach(), rounded, rtol=0, atol=1e-12)
    torch.testing.assert_close(theta_hard.grad, theta_soft.grad, rtol=1e-12, atol=1e-12)
    assert bool((theta_hard.grad.abs() > 0).any())
    assert bool((theta_hard.grad.abs() > 0).all())


def test_hard_gumbel_softmax_distribution():
    # The rounded draw is an exact sample: P(z = 1) = p; argmax of a + Gumbel ~ softmax(a).
    torch.manual_seed(12)
    p = t64([0.1, 0.5, 0.85])
    z = sample_gumbel_softmax("bernoulli", p.expand(N, 3), temperature=0.3, hard=True).detach().round()
    assert_mean_within(z, p)
    a = t64([0.3, -1.0, 0.8])
    z = sample_gumbel_softmax("categorical", a.expand(N, 3), temperature=2.0, hard=True).detach().round()
    assert_mean_within(z, torch.softmax(a, -1))
