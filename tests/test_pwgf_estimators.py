"""The pWGF and ReinMax estimators and the generalized Gumbel-Softmax: formulas, means against exact values.

Statistical tests: fixed seeds, sample means within 4 standard errors (SE = sample std / sqrt(n)).
"""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats
from test_estimators import THETAS, assert_mean_within, f_bern_3d, f_cat_batched, f_cat_k3, f_generic, t64

from pwgf_viz import exact_gradient, gradient_samples, objectives
from pwgf_viz.exact import exact_mean
from pwgf_viz.layers import poisson_truncated_logits, reinmax_given, sample_gen_gumbel_softmax, sample_pwgf

N = 40_000


CASES = [
    ("bernoulli", f_bern_3d, t64([0.2, 0.6, 0.85])),
    ("categorical", f_cat_k3, t64([0.3, -1.0, 0.8])),
    ("categorical", f_cat_batched, t64([[0.4, -0.7, 1.1], [-0.2, 0.9, 0.05]])),
]


@pytest.mark.parametrize(("family", "f", "theta"), CASES)
def test_pwgf_is_reinmax_at_temperature_one(family, f, theta):
    # thm-reinmax-pwgf: the W2-projected pWGF draw equals ReinMax at tau = 1, draw by draw (two implementations:
    # the tangent weight / edge-wise second moment against ReinMax's 2 J(pi1) - J(pi0) / 2).
    pwgf = gradient_samples("pwgf", f, family, theta, 500, seed=3)
    reinmax = gradient_samples("reinmax", f, family, theta, 500, seed=3)
    assert torch.allclose(pwgf, reinmax, rtol=1e-12, atol=1e-12)
    assert not torch.allclose(pwgf, gradient_samples("st", f, family, theta, 500, seed=3))


@pytest.mark.parametrize(("family", "f", "theta"), CASES)
def test_reinmax_at_other_temperatures_differs(family, f, theta):
    at_two = gradient_samples("reinmax", f, family, theta, 500, seed=3, temperature=2.0)
    assert not torch.allclose(at_two, gradient_samples("reinmax", f, family, theta, 500, seed=3))


def _reference_reinmax_logit_grad(logits, onehot, g, tau):
    """The backward pass of the reference implementation (microsoft/ReinMax, ReinMaxCore.backward), transcribed
    step by step with no upstream gradient at the probabilities: an independent check of layers.reinmax_given."""
    y_soft = logits.softmax(-1)
    shifted = 0.5 * ((logits / tau).softmax(-1) + onehot)
    grad_1 = (2 * g) * shifted
    grad_1 = grad_1 - shifted * grad_1.sum(-1, keepdim=True)
    grad_0 = (-0.5 * g) * y_soft
    grad_0 = grad_0 - y_soft * grad_0.sum(-1, keepdim=True)
    total = grad_0 + grad_1
    return total - total.mean(-1, keepdim=True)


@pytest.mark.parametrize("tau", [0.5, 1.0, 2.0, 5.0])
def test_reinmax_matches_the_reference_backward(tau):
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(64, 5, generator=gen, dtype=torch.float64)
    onehot = torch.nn.functional.one_hot(torch.randint(0, 5, (64,), generator=gen), 5).to(torch.float64)
    g = torch.randn(64, 5, generator=gen, dtype=torch.float64)
    rows = logits.clone().requires_grad_(True)
    (ours,) = torch.autograd.grad((reinmax_given("categorical", rows, onehot, tau) * g).sum(), rows)
    reference = _reference_reinmax_logit_grad(logits, onehot, g, tau)
    # The reference removes the mean of the logit gradient (a gauge: softmax is shift-invariant); ours sums to 0
    # already, because J(pi) 1 = 0.
    assert torch.allclose(ours.sum(-1), torch.zeros(64, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(ours, reference, atol=1e-12)


@pytest.mark.parametrize("tau", [0.5, 1.0, 3.0])
@pytest.mark.parametrize("p", [0.05, 0.3, 0.7, 0.97])
def test_bernoulli_reinmax_is_the_two_category_case(tau, p):
    # Bernoulli(p) is the categorical with logits (0, a), a = logit p: the p-gradient is d/da divided by
    # sigma'(a) = p (1 - p), and d/da = (grad_1 - grad_0) / 2 for the centred logit gradient.
    for bit in (0.0, 1.0):
        rows = t64([p]).requires_grad_(True)
        (ours,) = torch.autograd.grad((reinmax_given("bernoulli", rows, t64([bit]), tau) * 0.7).sum(), rows)
        logits = t64([0.0, math.log(p / (1 - p))])
        reference = _reference_reinmax_logit_grad(logits, t64([1 - bit, bit]), t64([0.0, 0.7]), tau)
        expected = float(reference[1] - reference[0]) / 2 / (p * (1 - p))
        assert float(ours[0]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("p", [0.02, 0.3, 0.5, 0.9, 0.999])
def test_pwgf_bernoulli_rows_are_the_formula(p):
    # eq-pwgf-bernoulli: each draw's gradient is f'(z) [z / (2p) + (1 - z) / (2 (1 - p))].
    theta = t64([p]).repeat(4000, 1).requires_grad_(True)
    torch.manual_seed(0)
    z = sample_pwgf("bernoulli", theta)
    f = torch.sin(3 * z) + z**2
    (grad,) = torch.autograd.grad(f.sum(), theta)
    k = z.detach()
    expected = (3 * torch.cos(3 * k) + 2 * k) * (k / (2 * p) + (1 - k) / (2 * (1 - p)))
    assert torch.allclose(grad, expected, rtol=1e-12, atol=1e-12)
    assert bool(((k == 0) | (k == 1)).all())


def test_pwgf_categorical_rows_are_the_edge_wise_formula():
    # thm-reinmax-pwgf: draw e_j gives the logit gradient (1/2) sum_k pi_k (g_k - g_j)(e_k - e_j).
    theta = t64([0.3, -1.0, 0.8, 0.1]).repeat(3000, 1).requires_grad_(True)
    torch.manual_seed(2)
    z = sample_pwgf("categorical", theta)
    g = t64([0.5, -2.0, 1.5, 0.25])
    (grad,) = torch.autograd.grad((z * g).sum(), theta)
    pi = torch.softmax(theta.detach()[0], -1)
    j = z.detach().argmax(-1)
    diff = g[None, :] - g[j][:, None]  # g_k - g_j
    expected = 0.5 * pi[None, :] * diff
    expected[torch.arange(3000), j] = -0.5 * (pi[None, :] * diff).sum(-1)
    assert torch.allclose(grad, expected, atol=1e-12)
    assert len(set(j.tolist())) == 4  # every vertex was drawn


def _f_cubic(z):
    return (z.reshape(z.shape[0], -1) ** 3).sum(-1)


def _f_quadratic_interactions(z):
    w = t64([[1.0, 0.5, -0.3], [0.5, -2.0, 0.7], [-0.3, 0.7, 0.4]])
    return ((z @ w) * z).sum(-1) + z.sum(-1)


@pytest.mark.parametrize("p", [t64([0.2, 0.6, 0.9]), t64([0.01, 0.5, 0.99])])
def test_pwgf_bernoulli_mean_is_the_trapezoid_rule(p):
    # thm-bernoulli-trapezoid: E[ghat_i] = E[(d_i f(z_{i<-0}) + d_i f(z_{i<-1})) / 2], exact for quadratic f (also
    # with interactions); for f = sum z^3 the bias is f'''/12 = 1/2 per coordinate; ST's is 3p - 1.
    assert torch.allclose(exact_mean("pwgf", _f_quadratic_interactions, "bernoulli", p),
                          exact_gradient(_f_quadratic_interactions, "bernoulli", p), atol=1e-12)
    bias = exact_mean("pwgf", _f_cubic, "bernoulli", p) - exact_gradient(_f_cubic, "bernoulli", p)
    assert torch.allclose(bias, torch.full_like(p, 0.5), atol=1e-12)
    st_bias = exact_mean("st", _f_cubic, "bernoulli", p) - exact_gradient(_f_cubic, "bernoulli", p)
    assert torch.allclose(st_bias, 3 * p - 1, atol=1e-12)


def _f_cat_quadratic(z):
    c = t64([1.0, 0.0, 0.5, -1.0])
    a = t64([[2.0, 0.3, 0.0, 0.1], [0.3, 1.0, -0.5, 0.0], [0.0, -0.5, 0.5, 0.2], [0.1, 0.0, 0.2, 1.5]])
    d = z.reshape(z.shape[0], -1, 4) - c
    return torch.einsum("nik,kl,nil->n", d, a, d)


@pytest.mark.parametrize("logits", [t64([0.3, -1.0, 0.8, 0.1]),
                                    t64([[2.0, -1.0, 0.0, 0.5], [0.0, 0.0, 0.0, -3.0]])])
def test_pwgf_categorical_mean_is_exact_for_quadratics(logits):
    # thm-reinmax-pwgf: the mean is the edge-wise trapezoid rule, exact for quadratic f; ST is not, nor is ReinMax
    # at tau = 2.
    exact = exact_gradient(_f_cat_quadratic, "categorical", logits)
    assert torch.allclose(exact_mean("pwgf", _f_cat_quadratic, "categorical", logits), exact, atol=1e-12)
    assert torch.allclose(exact_mean("reinmax", _f_cat_quadratic, "categorical", logits), exact, atol=1e-12)
    assert (exact_mean("st", _f_cat_quadratic, "categorical", logits) - exact).abs().max() > 1e-2
    tempered = exact_mean("reinmax", _f_cat_quadratic, "categorical", logits, temperature=2.0)
    assert (tempered - exact).abs().max() > 1e-3


@pytest.mark.parametrize("p", [0.05, 0.3, 0.8])
def test_pwgf_bernoulli_sample_mean_and_spread(p):
    # Monte Carlo against the exact mean (within 4 SE) and against the exact variance
    # Var = f'(0)^2 / (4 (1 - p)) + f'(1)^2 / (4 p) - trapezoid^2, which grows like 1/p and 1/(1 - p) at the edges.
    toy = objectives.quadratic(0.45)
    draws = gradient_samples("pwgf", toy, "bernoulli", [p], N, seed=11)[:, 0]
    assert_mean_within(draws, exact_gradient(toy, "bernoulli", [p])[0])
    variance = 0.81 / (4 * (1 - p)) + 1.21 / (4 * p) - 0.1**2
    # SE of a sample variance: sqrt((mu4 - var^2) / N), with mu4 the exact fourth central moment.
    a, b = -0.9 / (2 * (1 - p)), 1.1 / (2 * p)
    mu4 = (1 - p) * (a - 0.1) ** 4 + p * (b - 0.1) ** 4
    assert abs(float(draws.var()) - variance) < 4 * math.sqrt((mu4 - variance**2) / N)


@pytest.mark.parametrize("tau", [0.0, -1.0, float("nan"), float("inf")])
def test_reinmax_refuses_bad_temperatures(tau):
    with pytest.raises(ValueError, match="temperature"):
        gradient_samples("reinmax", f_bern_3d, "bernoulli", t64([0.2, 0.6, 0.85]), 4, temperature=tau)


def test_reinmax_refuses_non_numbers_and_poisson():
    with pytest.raises(TypeError, match="temperature"):
        gradient_samples("reinmax", f_bern_3d, "bernoulli", t64([0.2, 0.6, 0.85]), 4, temperature="1")
    with pytest.raises(ValueError, match="reinmax.*poisson"):
        gradient_samples("reinmax", f_generic, "poisson", t64([1.0]), 4)


def test_exact_mean_refuses_sampling_estimators():
    with pytest.raises(ValueError, match="estimator must be one of"):
        exact_mean("reinforce", f_bern_3d, "bernoulli", t64([0.2, 0.6, 0.85]))


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
