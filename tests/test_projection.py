"""Projections of Part III (pwgf_viz.projection): closed forms against brute-force minimisation with POT, the
degeneracy of the lattice projection, the eps -> 0 agreement of the projected flow with straight-through, the ST bias
formulas, and bad input rejected."""

from __future__ import annotations

import numpy as np
import ot
import pytest
import torch
from scipy import optimize, stats

from pwgf_viz import exact_gradient, exact_st_mean, objectives
from pwgf_viz.ot1d import discrete_distribution
from pwgf_viz.projection import (
    cell_w2,
    particle_step,
    project_mean,
    project_w2,
    simplex_projection,
)

TOY = objectives.quadratic(0.45)
QUAD25 = objectives.quadratic(2.5)


def poly(coefficients):
    def f(z):
        x = z.reshape(z.shape[0], -1).sum(-1)
        return sum(a * x**k for k, a in enumerate(coefficients))
    return objectives.Objective("poly", f)


def slopes(f, support):
    return support - particle_step(f, support, 1.0)


# --- particle step and moment projection ---

def test_particle_step_is_euler_step():
    z = np.array([-1.0, 0.0, 0.3, 2.0])
    assert np.allclose(particle_step(TOY, z, 0.1), z - 0.1 * 2 * (z - 0.45))


@pytest.mark.parametrize(("family", "f", "theta"), [("bernoulli", TOY, 0.3), ("bernoulli", poly([0, 0, 0, 1]), 0.7),
                                                    ("poisson", QUAD25, 4.0), ("poisson", poly([0, 1, 0, 0.1]), 1.5)])
def test_moment_projection_is_the_st_step(family, f, theta):
    # thm-st-pwgf: theta' = theta - eps E[f'(z)], for every eps (the map is affine).
    support, mass = discrete_distribution(family, theta)
    for eps in (0.1, 0.01, 1e-4):
        projected = project_mean(family, particle_step(f, support, eps), mass)
        expected = mass @ support - eps * float(exact_st_mean(f, family, [theta])[0])
        assert abs(projected - expected) < 1e-10


def test_categorical_moment_projection_has_the_st_logit_gradient():
    pi = np.array([0.2, 0.5, 0.3])
    f = objectives.linear_score([1.0, -2.0, 0.5])
    eps = 0.01
    moved = particle_step(f, np.eye(3), eps)
    new = project_mean("categorical", moved, pi)
    g = (np.eye(3) - moved).T @ pi / eps
    assert np.isclose(new.sum(), 1.0) and np.allclose(new, pi - eps * (g - g.mean()))
    jacobian = np.diag(pi) - np.outer(pi, pi)
    st = exact_st_mean(f, "categorical", torch.tensor(np.log(pi))).numpy()
    assert np.allclose(jacobian @ (pi - new) / eps, st, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_simplex_projection_against_a_solver(seed):
    v = np.random.default_rng(seed).normal(size=5)
    result = optimize.minimize(lambda x: np.sum((x - v) ** 2), np.full(5, 0.2), method="SLSQP",
                               constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1}], bounds=[(0, 1)] * 5,
                               options={"ftol": 1e-14})
    assert np.allclose(simplex_projection(v), result.x, atol=1e-6)


@pytest.mark.parametrize(("family", "c", "theta"), [("bernoulli", 0.45, 0.3), ("poisson", 2.5, 4.0),
                                                    ("categorical", np.array([1.0, 0.0, 0.5]), None)])
def test_projected_exact_flow_tends_to_st_as_eps_shrinks(family, c, theta):
    # The exact particle flow of |z - c|^2 for time eps, moment-projected: velocity -> -E[f'] with a gap O(eps).
    if family == "categorical":
        support, mass = np.eye(3), np.array([0.2, 0.5, 0.3])
        start = mass
    else:
        support, mass = discrete_distribution(family, theta)
        start = mass @ support
    f = objectives.quadratic(list(np.atleast_1d(c)))
    target = -(mass @ slopes(f, support))
    if family == "categorical":
        target = target - target.mean()
    gaps = []
    for eps in (1e-2, 1e-3, 1e-4):
        moved = c + (support - c) * np.exp(-2 * eps)
        gaps.append(np.abs((project_mean(family, moved, mass) - start) / eps - target).max())
    assert gaps[0] > 0 and 8 < gaps[0] / gaps[1] < 12 and 8 < gaps[1] / gaps[2] < 12


# --- W2 projections against brute force with POT ---

def test_gaussian_projection_against_pot_and_reparameterisation():
    quartic = objectives.Objective("z^4/4", lambda z: (z.reshape(z.shape[0], -1) ** 4).sum(-1) / 4)
    m, s, eps, n = -0.2, 0.7, 0.05, 3000
    xi = stats.norm.ppf((np.arange(n) + 0.5) / n)
    moved = particle_step(quartic, m + s * xi, eps)
    closed = project_w2("gaussian", moved)
    brute = optimize.minimize(lambda p: ot.wasserstein_1d(moved, p[0] + p[1] * xi, p=2), x0=[m, s],
                              method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14}).x
    reparam = (m - eps * (m**3 + 3 * m * s**2), s - eps * (3 * m**2 * s + 3 * s**3))
    assert np.allclose(closed, brute, atol=2e-3) and np.allclose(closed, reparam, atol=2e-3)


def test_gaussian_projection_of_a_weighted_cloud_against_the_definition():
    rng = np.random.default_rng(1)
    z, w = rng.normal(size=40), rng.uniform(size=40)
    w = w / w.sum()
    m, s = project_w2("gaussian", z, w)
    # The quantile formula with a fine grid of levels.
    levels = (np.arange(200_000) + 0.5) / 200_000
    order = np.argsort(z)
    quantile = z[order][np.minimum(np.searchsorted(np.cumsum(w[order]), levels), 39)]
    assert np.isclose(m, w @ z) and abs(s - np.mean(quantile * stats.norm.ppf(levels))) < 1e-3


@pytest.mark.parametrize("seed", range(4))
def test_bernoulli_projection_is_rounding_for_w1_and_w2(seed):
    rng = np.random.default_rng(seed)
    z, w = rng.uniform(-0.5, 1.5, size=6), rng.uniform(size=6)
    w = w / w.sum()
    grid = np.linspace(0, 1, 2001)
    for order in (1, 2):
        costs = [ot.emd2(w, np.array([1 - q, q]), np.abs(z[:, None] - np.array([0.0, 1.0])) ** order) for q in grid]
        assert abs(grid[int(np.argmin(costs))] - project_w2("bernoulli", z, w)) <= 1e-3


@pytest.mark.parametrize(("family", "f", "theta", "eps"), [("bernoulli", TOY, 0.3, 0.05),
                                                          ("bernoulli", TOY, 0.8, 0.4),
                                                          ("poisson", QUAD25, 4.0, 0.01),
                                                          ("poisson", QUAD25, 1.5, 0.005)])
def test_lattice_projection_does_not_move_for_small_steps(family, f, theta, eps):
    # prop-lattice-degeneracy: every atom moves less than half a step.
    support, mass = discrete_distribution(family, theta)
    moved = particle_step(f, support, eps)
    assert np.abs(moved - support).max() < 0.5
    assert abs(project_w2(family, moved, mass) - theta) < 1e-6


def test_poisson_projection_against_pot_grid_search():
    support, mass = discrete_distribution("poisson", 3.0)
    moved = particle_step(QUAD25, support, 0.2)   # a large step: the projection moves
    projected = project_w2("poisson", moved, mass)

    def cost(rate):
        s2, m2 = discrete_distribution("poisson", rate)
        return ot.wasserstein_1d(moved, s2, mass, m2, p=2)
    grid = np.linspace(1.0, 4.0, 601)
    best = min(cost(r) for r in grid)
    assert abs(projected - 3.0) > 0.05
    assert cost(projected) <= best + 1e-9


def test_cell_w2_against_pot():
    left_a, mass_a = np.array([0.0, 1.3, 2.1]), np.array([0.2, 0.5, 0.3])
    left_b, mass_b = np.array([0.5, 1.0, 4.0, 5.0]), np.array([0.1, 0.4, 0.3, 0.2])
    levels = (np.arange(40_000) + 0.5) / 40_000

    def samples(left, mass):
        x = np.linspace(left.min(), left.max() + 1, 200_001)
        cdf = np.clip(x[:, None] - left[None, :], 0, 1) @ mass
        return np.interp(levels, cdf, x)
    pot = np.sqrt(ot.wasserstein_1d(samples(left_a, mass_a), samples(left_b, mass_b), p=2))
    assert abs(cell_w2(left_a, mass_a, left_b, mass_b) - pot) < 1e-4
    assert cell_w2(left_a, mass_a, left_a, mass_a) < 1e-12


@pytest.mark.parametrize("rate", [0.5, 2.0, 8.0])
def test_dequantised_projection_tends_to_the_closed_form(rate):
    # eq-dequantised-projection: velocity -> -E[f'(Z)(Z + rate)/(2 rate)] / (1 + 1/(3 rate)), gap O(eps).
    support, mass = discrete_distribution("poisson", rate)
    closed = -(mass @ (slopes(QUAD25, support) * (support + rate) / (2 * rate))) / (1 + 1 / (3 * rate))
    gaps = [abs((project_w2("dequantised_poisson", particle_step(QUAD25, support, eps), mass) - rate) / eps - closed)
            for eps in (1e-2, 1e-3)]
    assert gaps[1] < 0.15 * gaps[0] + 1e-4 and gaps[1] < 1e-2 * max(1.0, abs(closed))


@pytest.mark.parametrize(("f", "p"), [(TOY, 0.3), (TOY, 0.8), (poly([0.0, 0.0, 0.0, 1.0]), 0.4)])
def test_dequantised_bernoulli_projection_velocity(f, p):
    # prop-metric-projection with eq-pwgf-bernoulli: (p(eps) - p)/eps -> -3p(1-p)(f'(0) + f'(1))/2 with an O(eps)
    # gap (slope 1 in log-log), and not mean matching's -E[f'(z)].
    support, mass = discrete_distribution("bernoulli", p)
    slopes = (support - particle_step(f, support, 1.0))
    target = -3 * p * (1 - p) * slopes.sum() / 2
    eps = np.array([1e-3, 1e-2])
    gaps = []
    for e in eps:
        moved = particle_step(f, support, e)
        gaps.append(abs((project_w2("dequantised_bernoulli", moved, mass) - p) / e - target))
    slope = np.log(gaps[1] / gaps[0]) / np.log(10)
    assert gaps[0] < 1e-3 * np.abs(slopes).max() ** 2 and 0.8 < slope < 1.2  # O(eps), constant ~ f'^2
    moved = particle_step(f, support, 1e-4)
    velocity = (project_w2("dequantised_bernoulli", moved, mass) - p) / 1e-4
    assert abs(velocity + mass @ slopes) > 0.05


def test_dequantised_bernoulli_metric():
    # G(p) = E[(d_p x)^2] = 1/(3p(1-p)) for the quantile map of Bern(p) + U[0,1), by finite differences.
    p, h = 0.3, 1e-6
    v = (np.arange(200_000) + 0.5) / 200_000

    def quantile(q):
        return np.where(v < 1 - q, v / (1 - q), 1 + (v - 1 + q) / q)

    tangent = (quantile(p + h) - quantile(p - h)) / (2 * h)
    assert abs(np.mean(tangent**2) - 1 / (3 * p * (1 - p))) < 1e-3
    # w(z) = E_u[d_p x | z] = z/(2p) + (1 - z)/(2(1 - p))
    assert abs(tangent[v < 1 - p].mean() - 1 / (2 * (1 - p))) < 1e-3
    assert abs(tangent[v > 1 - p].mean() - 1 / (2 * p)) < 1e-3


# --- the bias formulas of chapter convergence ---

@pytest.mark.parametrize("c", [0.0, 2.0, -1.0, 3.5])
def test_st_bias_bernoulli_constant_curvature(c):
    f = poly([0.1, -0.4, c / 2])
    for theta in (0.05, 0.3, 0.5, 0.9):
        b = float(exact_st_mean(f, "bernoulli", [theta])[0] - exact_gradient(f, "bernoulli", [theta])[0])
        assert abs(b - c * (theta - 0.5)) < 1e-10


@pytest.mark.parametrize("rate", [0.1, 2.0, 40.0])
def test_st_bias_poisson_constant_curvature(rate):
    for c in (2.0, -1.0):
        f = poly([0.0, 1.0, c / 2])
        b = float(exact_st_mean(f, "poisson", [rate])[0] - exact_gradient(f, "poisson", [rate])[0])
        assert abs(b + c / 2) < 1e-7


# --- bad input ---

@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: particle_step(TOY, [0.0, 1.0], 0.0), ValueError, "step"),
    (lambda: particle_step("f", [0.0, 1.0], 0.1), TypeError, "f must be"),
    (lambda: particle_step(TOY, [np.nan], 0.1), ValueError, "points"),
    (lambda: particle_step(lambda z: torch.ones(z.shape[0]), [0.0, 1.0], 0.1), TypeError, "differentiable"),
    (lambda: project_mean("gaussian", [0.0, 1.0]), ValueError, "family"),
    (lambda: project_mean("bernoulli", [1.2, 1.5]), ValueError, "outside"),
    (lambda: project_mean("poisson", [-1.0, 0.0]), ValueError, "<= 0"),
    (lambda: project_mean("bernoulli", [0.2, 0.5], [1.0]), ValueError, "weights"),
    (lambda: project_mean("bernoulli", [0.2, 0.5], [-1.0, 2.0]), ValueError, "weights"),
    (lambda: project_mean("categorical", [0.2, 0.5]), ValueError, "shape"),
    (lambda: project_mean("bernoulli", []), ValueError, "points"),
    (lambda: project_mean("bernoulli", ["a"]), TypeError, "points"),
    (lambda: project_w2("categorical", [0.0, 1.0]), ValueError, "family"),
    (lambda: project_w2("bernoulli", [[0.0, 1.0]]), ValueError, "1-D"),
    (lambda: project_w2("poisson", [1.0, 2.0], bracket=(3.0, 1.0)), ValueError, "bracket"),
    (lambda: project_w2("poisson", [1.0, 2.0], bracket=(0.0, 1.0)), ValueError, "bracket"),
    (lambda: cell_w2([0.0], [1.0], [0.0, 1.0], [1.0]), ValueError, "mass_b"),
])
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()
