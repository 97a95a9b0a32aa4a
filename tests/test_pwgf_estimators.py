"""The pWGF estimator and the generalized Gumbel-Softmax (Poisson): formulas, means against exact values.

Statistical tests: fixed seeds, sample means within 4 standard errors (SE = sample std / sqrt(n)).
"""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats
from test_estimators import THETAS, assert_mean_within, f_bern_3d, f_cat_batched, f_cat_k3, f_generic, t64

from pwgf_viz import exact_gradient, gradient_samples
from pwgf_viz.layers import poisson_truncated_logits, sample_gen_gumbel_softmax, sample_pwgf

N = 40_000


@pytest.mark.parametrize(("family", "f", "theta"), [
    ("bernoulli", f_bern_3d, t64([0.2, 0.6, 0.85])),
    ("categorical", f_cat_k3, t64([0.3, -1.0, 0.8])),
    ("categorical", f_cat_batched, t64([[0.4, -0.7, 1.1], [-0.2, 0.9, 0.05]])),
])
def test_pwgf_is_st_for_bernoulli_and_categorical(family, f, theta):
    # Theorem thm-st-pwgf: the mean projection of one particle step is the ST step, draw by draw.
    assert torch.equal(gradient_samples("pwgf", f, family, theta, 500, seed=3),
                       gradient_samples("st", f, family, theta, 500, seed=3))


@pytest.mark.parametrize("rate", [0.3, 2.0, 9.0])
def test_pwgf_poisson_rows_are_the_formula(rate):
    # Each draw's gradient is f'(z) (z + lambda) / (2 lambda), eq-pwgf-poisson.
    theta = t64([rate]).repeat(2000, 1).requires_grad_(True)
    torch.manual_seed(0)
    z = sample_pwgf("poisson", theta)
    f = torch.sin(z) + z**2
    (grad,) = torch.autograd.grad(f.sum(), theta)
    k = z.detach()
    expected = (torch.cos(k) + 2 * k) * (k + rate) / (2 * rate)
    assert torch.allclose(grad, expected, rtol=1e-12, atol=1e-12)
    assert bool((k == k.round()).all())   # the forward value is the discrete draw


def _trapezoid_mean(fprime, rate: float) -> float:
    """E[(f'(Z) + f'(Z+1))/2] for Z ~ Poisson(rate), summed to a tail below 1e-15."""
    k = torch.arange(int(stats.poisson.isf(1e-15, rate)) + 2, dtype=torch.float64)
    pmf = torch.as_tensor(stats.poisson.pmf(k.numpy(), rate))
    return float((pmf * 0.5 * (fprime(k) + fprime(k + 1))).sum())


@pytest.mark.parametrize("rate", [0.5, 2.0, 8.0, 30.0])
def test_pwgf_poisson_mean_is_the_trapezoid_rule(rate):
    # E[f'(Z)(Z+lam)/(2 lam)] = E[(f'(Z) + f'(Z+1))/2] (E[g(Z) Z] = lam E[g(Z+1)]), for any f.
    def f(z):
        return (torch.exp(-z / 4) + 0.1 * z**3).sum(-1)

    def fprime(k):
        return -torch.exp(-k / 4) / 4 + 0.3 * k**2

    samples = gradient_samples("pwgf", f, "poisson", t64([rate]), N, seed=7)
    assert_mean_within(samples, t64([_trapezoid_mean(fprime, rate)]))


@pytest.mark.parametrize("rate", [0.1, 1.0, 4.0, 50.0])
def test_pwgf_poisson_is_unbiased_for_quadratics(rate):
    # The trapezoid rule is exact for f' affine: E ghat = E[f(Z+1) - f(Z)] = exact gradient.
    def f(z):
        return (1.5 * (z - 2.5) ** 2 - z).sum(-1)

    theta = t64([rate])
    samples = gradient_samples("pwgf", f, "poisson", theta, N, seed=8)
    assert_mean_within(samples, exact_gradient(f, "poisson", theta))


@pytest.mark.parametrize("rate", [0.5, 2.0, 8.0])
def test_pwgf_poisson_variance_for_quadratic(rate):
    # f = (z - 2.5)^2: ghat = (2z - 5)(z + lam)/(2 lam); its variance from the exact moments of Z.
    k = torch.arange(int(stats.poisson.isf(1e-16, rate)) + 2, dtype=torch.float64)
    pmf = torch.as_tensor(stats.poisson.pmf(k.numpy(), rate))
    g = (2 * k - 5) * (k + rate) / (2 * rate)
    exact_var = float((pmf * g**2).sum() - (pmf * g).sum() ** 2)
    samples = gradient_samples("pwgf", lambda z: ((z - 2.5) ** 2).sum(-1), "poisson", t64([rate]), N, seed=9)
    # Sample variance of n draws: SE approx sqrt((mu4 - sigma^4)/n); 4 SE.
    centred = g - (pmf * g).sum()
    se = math.sqrt(float((pmf * centred**4).sum()) - exact_var**2) / math.sqrt(N)
    assert abs(float(samples.var()) - exact_var) < 4 * se


def test_gen_gumbel_softmax_truncated_logits_are_a_distribution():
    rate = t64([0.7, 3.0, 12.0])
    logits = poisson_truncated_logits(rate, 10)
    probs = logits.exp()
    assert probs.shape == (3, 11)
    assert torch.allclose(probs.sum(-1), torch.ones(3, dtype=torch.float64), atol=1e-14)
    head = torch.as_tensor(stats.poisson.pmf(range(10), rate.numpy()[:, None]))
    assert torch.allclose(probs[:, :10], head, rtol=1e-12)
    assert torch.allclose(probs[:, 10], torch.as_tensor(stats.poisson.sf(9, rate.numpy())), rtol=1e-9)


def test_gen_gumbel_softmax_hardens_to_a_truncated_poisson_draw():
    # At a small temperature the relaxed count is within rounding of the category its argmax picks, and the
    # argmax is an exact draw of the truncated categorical (Gumbel-max): compare frequencies with 4 SE.
    rate, n = 3.0, N
    torch.manual_seed(0)
    z = sample_gen_gumbel_softmax(t64([rate]).repeat(n, 1), truncation=8, temperature=1e-3)
    hard = z.round()
    assert float((z - hard).abs().median()) < 1e-6
    for k in range(9):
        p = stats.poisson.pmf(k, rate) if k < 8 else stats.poisson.sf(7, rate)
        freq = float((hard == k).double().mean())
        assert abs(freq - p) <= 4 * math.sqrt(p * (1 - p) / n) + 1e-12


def test_gen_gumbel_softmax_automatic_truncation_covers_the_tail():
    # truncation=None: the remainder category has mass below 1e-12 at the largest rate.
    theta = t64([0.5, 40.0])
    torch.manual_seed(1)
    z = sample_gen_gumbel_softmax(theta.repeat(4000, 1), temperature=0.05)
    upper = int(stats.poisson.isf(1e-12, 40.0)) + 1
    assert float(z.max()) <= upper
    assert abs(float(z[:, 1].mean()) - 40.0) < 4 * math.sqrt(40.0 / 4000) + 0.5


def test_gen_gumbel_softmax_bias_shrinks_with_temperature():
    # GenGS is biased at tau > 0 (it differentiates a relaxed objective); the bias at tau = 0.1 is smaller than at
    # tau = 1 on f = (z - 2.5)^2, lam = 2 (exact gradient 0). Measured: -0.36 at tau = 1, -0.14 at tau = 0.1.
    def f(z):
        return ((z - 2.5) ** 2).sum(-1)

    theta = t64([2.0])
    exact = float(exact_gradient(f, "poisson", theta))
    biases = {}
    for tau in (1.0, 0.1):
        s = gradient_samples("gen_gumbel_softmax", f, "poisson", theta, 100_000, seed=1, temperature=tau)
        se = float(s.std()) / math.sqrt(s.shape[0])
        biases[tau] = (float(s.mean()) - exact, se)
    (b1, se1), (b01, se01) = biases[1.0], biases[0.1]
    assert b1 < -4 * se1                              # tau = 1 is clearly biased
    assert abs(b01) + 4 * se01 < abs(b1) - 4 * se1    # and tau = 0.1 clearly less so


def test_gen_gumbel_softmax_options_and_bad_input():
    theta = t64(THETAS["poisson"][1])
    a = gradient_samples("gen_gumbel_softmax", f_generic, "poisson", theta, 50, seed=2, truncation=40)
    b = gradient_samples("gen_gumbel_softmax", f_generic, "poisson", theta, 50, seed=2, truncation=40,
                         temperature=0.2)
    assert not torch.equal(a, b)
    with pytest.raises(ValueError, match="truncation"):
        gradient_samples("gen_gumbel_softmax", f_generic, "poisson", theta, 5, truncation=0)
    with pytest.raises(TypeError, match="truncation"):
        gradient_samples("gen_gumbel_softmax", f_generic, "poisson", theta, 5, truncation=2.5)
    with pytest.raises(ValueError, match="temperature"):
        gradient_samples("gen_gumbel_softmax", f_generic, "poisson", theta, 5, temperature=0.0)
    with pytest.raises(TypeError, match="unexpected option"):
        gradient_samples("pwgf", f_generic, "poisson", theta, 5, temperature=0.5)
    with pytest.raises(ValueError, match="poisson"):
        gradient_samples("gen_gumbel_softmax", f_generic, "bernoulli", t64([0.3]), 5)
    with pytest.raises(ValueError, match="theta"):
        sample_pwgf("poisson", t64([-1.0]))
