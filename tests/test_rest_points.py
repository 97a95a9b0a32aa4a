"""Closed-form Bernoulli flows and rest points (pwgf_viz.rest_points) against enumeration and Euler steps."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import pwgf_viz as pv
from pwgf_viz import objectives
from pwgf_viz import rest_points as rp


def one_bit(fn):
    return objectives.Objective("f", lambda z: fn(z.reshape(z.shape[0], -1)[:, 0]))


TOY = objectives.quadratic(0.45)
CONCAVE = one_bit(lambda x: -((x - 0.45) ** 2))
QUARTIC = one_bit(lambda x: (x - 0.45) ** 4)
WIGGLE = one_bit(lambda x: (x - 0.45) ** 2 - 0.03 * torch.sin(2 * math.pi * x))


def test_lattice_data_of_the_toy():
    d = rp.lattice_data(TOY)
    assert d.f0 == pytest.approx(0.2025) and d.f1 == pytest.approx(0.3025)
    assert d.d0 == pytest.approx(-0.9) and d.d1 == pytest.approx(1.1)
    assert d.c == pytest.approx(2.0) and d.delta == pytest.approx(0.1) and d.trapezoid == pytest.approx(0.1)


@pytest.mark.parametrize("f", [TOY, CONCAVE, QUARTIC, WIGGLE])
@pytest.mark.parametrize("theta", [0.1, 0.45, 0.8])
def test_means_match_enumeration(f, theta):
    d = rp.lattice_data(f)
    assert rp.st_mean(d, theta) == pytest.approx(float(pv.exact_mean("st", f, "bernoulli", [theta])[0]), abs=1e-12)
    assert d.trapezoid == pytest.approx(float(pv.exact_mean("pwgf", f, "bernoulli", [theta])[0]), abs=1e-12)
    assert d.delta == pytest.approx(float(pv.exact_gradient(f, "bernoulli", [theta])[0]), abs=1e-9)


def test_rest_points_and_kinds():
    assert rp.st_rest_point(rp.lattice_data(TOY)) == rp.RestPoint(pytest.approx(0.45), "attracting")
    assert rp.st_rest_point(rp.lattice_data(CONCAVE)).kind == "repelling"
    assert rp.st_rest_point(rp.lattice_data(QUARTIC)).theta == pytest.approx(0.3645 / 1.03)
    assert rp.st_rest_point(rp.lattice_data(WIGGLE)).theta == pytest.approx((0.9 + 0.06 * math.pi) / 2)
    assert rp.st_rest_point(rp.LatticeData(0.0, 3.0, 3.0, 3.0)).kind == "none"
    assert rp.st_rest_point(rp.LatticeData(0.0, 0.0, 0.0, 0.0)).kind == "everywhere"
    assert rp.st_rest_point(rp.LatticeData(0.0, 1.0, 1.0, 3.0)) == rp.RestPoint(None, "none")  # -a/c < 0


@pytest.mark.parametrize("f, theta0", [(TOY, 0.9), (TOY, 0.05), (CONCAVE, 0.3), (CONCAVE, 0.6)])
def test_st_flow_is_euler_of_the_enumerated_mean(f, theta0):
    d = rp.lattice_data(f)

    def velocity(q):
        q = min(max(q, 1e-12), 1 - 1e-12)
        return -float(pv.exact_mean("st", f, "bernoulli", [q])[0])

    dt, steps = 2e-3, 1000
    closed = rp.st_flow(d, theta0, dt * np.arange(steps + 1))
    assert np.max(np.abs(closed - rp.euler(velocity, theta0, dt, steps))) < 2e-3


def test_st_flow_exponential_rate_and_edges():
    d = rp.lattice_data(TOY)
    t = np.array([0.0, 0.5, 1.0])
    assert np.allclose(rp.st_flow(d, 0.9, t) - 0.45, 0.45 * np.exp(-2 * t))
    concave = rp.lattice_data(CONCAVE)
    assert rp.st_flow(concave, 0.3, [10.0, 1e6])[()].tolist() == [0.0, 0.0]
    assert rp.st_flow(concave, 0.6, [1e6])[0] == 1.0
    assert rp.st_flow(concave, 0.45, [1e6])[0] == pytest.approx(0.45)  # no overflow, no NaN
    affine = rp.LatticeData(-1.0, 2.0, 3.0, 3.0)
    assert np.allclose(rp.st_flow(affine, 0.9, [0.1, 0.3, 1.0]), [0.6, 0.0, 0.0])


def test_exact_and_pwgf_flows():
    d = rp.lattice_data(TOY)
    assert np.allclose(rp.exact_flow(d, 0.8, [0.0, 2.0, 100.0]), [0.8, 0.6, 0.0])
    assert np.allclose(rp.pwgf_flow(d, 0.8, [2.0]), [0.6])
    projected = rp.pwgf_flow(d, 0.5, [math.log(9) / 0.3], projected=True)
    assert projected[0] == pytest.approx(0.1)

    def velocity(q):
        return -3 * q * (1 - q) * float(pv.exact_mean("pwgf", TOY, "bernoulli", [q])[0])

    dt, steps = 2e-3, 1000
    closed = rp.pwgf_flow(d, 0.6, dt * np.arange(steps + 1), projected=True)
    assert np.max(np.abs(closed - rp.euler(velocity, 0.6, dt, steps))) < 1e-3


def test_flow_limits():
    for f, st, exact, pwgf in ((TOY, (0.45, 0.45), 0.0, 0.0), (CONCAVE, (0.0, 1.0), 1.0, 1.0),
                               (WIGGLE, (0.5442, 0.5442), 0.0, 1.0)):
        d = rp.lattice_data(f)
        assert [rp.flow_limit(d, q, "st") for q in (0.3, 0.7)] == pytest.approx(list(st), abs=1e-4)
        assert rp.flow_limit(d, 0.3, "exact") == exact and rp.flow_limit(d, 0.3, "pwgf") == pwgf
    with pytest.raises(ValueError, match="flow must be one of"):
        rp.flow_limit(rp.lattice_data(TOY), 0.3, "reinforce")


def test_two_weight_field_rest_points_and_autograd():
    d = rp.lattice_data(TOY)
    assert np.all(rp.two_weight_st_field(d, [0.0, 0.0]) == 0)
    assert np.abs(rp.two_weight_st_field(d, [2.0, math.log(0.45 / 0.55) / 2.0])).max() < 1e-15
    w = torch.tensor([0.7, -1.3], dtype=torch.float64, requires_grad=True)
    theta = torch.sigmoid(w[0] * w[1])
    mean = pv.exact_mean("st", TOY, "bernoulli", [float(theta.detach())])[0]
    (grad,) = torch.autograd.grad(theta * mean, w)
    assert np.allclose(rp.two_weight_st_field(d, [0.7, -1.3]), -grad.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        rp.two_weight_st_field(d, [1.0, 2.0, 3.0])


def test_logit_velocity_is_sigma_prime_squared():
    d = rp.lattice_data(TOY)
    alphas = np.array([-3.0, 0.0, 2.0])
    a_dot, theta_dot = rp.logit_st_velocity(d, alphas)
    theta = 1 / (1 + np.exp(-alphas))
    assert np.allclose(a_dot, -theta * (1 - theta) * rp.st_mean(d, theta))
    assert np.allclose(theta_dot, theta * (1 - theta) * a_dot)


def test_bias_sup_smoothness_and_variance():
    d = rp.lattice_data(TOY)
    grid = np.linspace(0, 1, 200_001)
    bias = grid * (1 - grid) * (d.a + d.c * grid - d.delta)
    assert rp.logit_st_bias_sup(d) == pytest.approx(np.abs(bias).max(), abs=1e-9)
    alphas = np.linspace(-10, 10, 200_001)
    s = 1 / (1 + np.exp(-alphas))
    assert rp.logit_smoothness(d) == pytest.approx(abs(d.delta) * np.abs(s * (1 - s) * (1 - 2 * s)).max(), rel=1e-6)
    variance = grid**3 * (1 - grid) ** 3 * d.c**2
    assert rp.logit_st_variance_sup(d) == pytest.approx(variance.max())
    assert rp.logit_st_variance_sup(d, samples=4) == pytest.approx(variance.max() / 4)


def test_logit_sgd_means_and_bound():
    d = rp.lattice_data(TOY)
    # one step from alpha = 0 with many runs: the sample mean step is -lr sigma' E[f'], within 4 SE
    step = rp.logit_sgd("st", d, 0.0, lr=1.0, steps=1, runs=100_000, seed=0)[1]
    assert abs(step.mean() + 0.25 * 0.1) < 4 * step.std() / math.sqrt(step.size)
    step = rp.logit_sgd("pwgf", d, 0.0, lr=1.0, steps=1, runs=100_000, seed=0)[1]
    assert abs(step.mean() + 0.25 * d.trapezoid) < 4 * step.std() / math.sqrt(step.size)
    exact = rp.logit_sgd("exact", d, 0.0, lr=1.0, steps=1, runs=3, seed=0)[1]
    assert np.allclose(exact, -0.25 * 0.1)
    bound = rp.biased_sgd_bound(0.08, 1.0, 2000, rp.logit_st_bias_sup(d), rp.logit_smoothness(d),
                                rp.logit_st_variance_sup(d))
    assert bound == pytest.approx(2 * 0.08 / 2000 + 1 / 108 + 0.1 / (6 * math.sqrt(3)) / 16)


def test_input_checks():
    d = rp.lattice_data(TOY)
    with pytest.raises(TypeError, match="LatticeData"):
        rp.st_mean((0.0, 1.0, 0.0, 1.0), 0.5)
    with pytest.raises(ValueError, match=r"data.d0 must be finite"):
        rp.st_rest_point(rp.LatticeData(0.0, 1.0, float("nan"), 1.0))
    with pytest.raises(ValueError, match=r"theta .* \[0, 1\]"):
        rp.st_mean(d, 1.5)
    with pytest.raises(ValueError, match="t holds times"):
        rp.st_flow(d, 0.5, [-1.0])
    with pytest.raises(ValueError, match=r"open interval"):
        rp.pwgf_flow(d, 0.0, [1.0], projected=True)
    with pytest.raises(TypeError, match="projected must be"):
        rp.pwgf_flow(d, 0.5, [1.0], projected=1)
    with pytest.raises(ValueError, match="lr \\* beta <= 1"):
        rp.biased_sgd_bound(1.0, 10.0, 10, 0.1, 1.0, 0.1)
    with pytest.raises(ValueError, match="gap must be >= 0"):
        rp.biased_sgd_bound(-1.0, 1.0, 10, 0.1, 0.1, 0.1)
    with pytest.raises(ValueError, match="estimator must be one of"):
        rp.logit_sgd("reinforce", d, 0.0, 1.0, 10, 10)
    with pytest.raises(ValueError, match="lr must be"):
        rp.logit_sgd("st", d, 0.0, -1.0, 10, 10)
    with pytest.raises(TypeError, match="velocity must be callable"):
        rp.euler(1.0, 0.5, 0.1, 10)
