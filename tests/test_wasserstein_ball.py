"""pwgf_viz.wasserstein_ball and pwgf_viz.adversarial: projected Sinkhorn against the exact projection and POT.

Tolerances come from the chapter's proposition prop-wball-gap: the entropic projection is within
sqrt(2 h(plan) / lam) of the exact one (h: the conditional entropy of the entropic plan), and from the stopping
tolerance ``tol`` of the iterations (relative excess of the plan's cost over eps).
"""

from __future__ import annotations

import numpy as np
import ot
import pytest
import torch

from pwgf_viz.adversarial import radius_attack
from pwgf_viz.wasserstein_ball import (
    entropic_gap_bound,
    exact_projection,
    pixel_cost,
    project_wasserstein_ball,
)

BAD = (ValueError, TypeError)


def stroke(seed: int) -> np.ndarray:
    """A random 'stroke' on a 5 x 5 grid: 4 to 7 inked pixels, as a distribution."""
    rng = np.random.default_rng(seed)
    image = np.zeros(25)
    image[rng.choice(25, size=rng.integers(4, 8), replace=False)] = rng.uniform(0.3, 1.0, size=1).item()
    image[image > 0] += rng.uniform(0, 0.5, size=(image > 0).sum())
    return image / image.sum()


@pytest.mark.parametrize("seed", range(4))
def test_pixel_cost_matches_definition(seed):
    rng = np.random.default_rng(seed)
    height, width = rng.integers(1, 7, size=2)
    p = float(rng.choice([1.0, 2.0, 3.0]))
    cost = pixel_cost(int(height), int(width), p)
    i, j = rng.integers(0, height * width, size=2)
    (ri, ci), (rj, cj) = divmod(int(i), int(width)), divmod(int(j), int(width))
    assert cost.shape == (height * width, height * width)
    assert np.isclose(cost[i, j], ((ri - rj) ** 2 + (ci - cj) ** 2) ** (p / 2))


@pytest.mark.parametrize("seed", range(5))
def test_projection_lies_inside_the_ball(seed):
    rng = np.random.default_rng(seed)
    x = stroke(seed)
    w = x + 0.08 * rng.standard_normal(25)
    cost, eps, tol = pixel_cost(5, 5), float(rng.uniform(0.05, 0.5)), 1e-6
    proj = project_wasserstein_ball(w, x, cost, eps, 300.0, tol=tol, max_iter=20_000)
    assert proj.converged
    assert (proj.z >= 0).all() and abs(proj.z.sum() - 1) < 1e-12
    # The plan couples x and z exactly, so the optimal cost is below the plan's, below eps (1 + tol).
    assert np.allclose(proj.plan.sum(1), x, atol=1e-12) and np.allclose(proj.plan.sum(0), proj.z, atol=1e-12)
    assert ot.emd2(x, proj.z, cost) <= proj.transport_cost + 1e-12 <= eps * (1 + tol) + 1e-12


@pytest.mark.parametrize("seed", range(3))
def test_matches_exact_projection_within_the_entropic_bound(seed):
    rng = np.random.default_rng(10 + seed)
    x = stroke(10 + seed)
    w = x + 0.06 * rng.standard_normal(25)
    cost, eps = pixel_cost(5, 5), 0.1
    z_exact, plan_exact = exact_projection(w, x, cost, eps)
    assert np.allclose(plan_exact.sum(1), x, atol=1e-9)
    assert ot.emd2(x, z_exact, cost) <= eps + 1e-9
    gaps = []
    for lam in (10.0, 100.0, 1000.0):
        proj = project_wasserstein_ball(w, x, cost, eps, lam, tol=1e-10, max_iter=50_000)
        assert proj.converged
        gaps.append(np.linalg.norm(proj.z - z_exact))
        assert gaps[-1] <= entropic_gap_bound(proj.plan, x, lam)  # proposition prop-wball-gap
        assert entropic_gap_bound(proj.plan, x, lam) <= np.sqrt(2 * np.log(25) / lam)
    assert gaps[0] > gaps[1] > gaps[2]  # converges as lam grows


@pytest.mark.parametrize("seed", range(3))
def test_idempotent_on_points_inside_the_ball(seed):
    """A point already inside is its own exact projection, so the entropic one is within the bound of it."""
    rng = np.random.default_rng(20 + seed)
    x = stroke(20 + seed)
    cost = pixel_cost(5, 5)
    # Move a tenth of every pixel's mass to a random neighbour inside the grid: cost <= 0.1 * 2 (diagonal).
    plan = np.diag(0.9 * x)
    for i in np.flatnonzero(x):
        r, c = divmod(int(i), 5)
        neighbours = [(r + a) * 5 + c + b for a in (-1, 0, 1) for b in (-1, 0, 1)
                      if (a or b) and 0 <= r + a < 5 and 0 <= c + b < 5]
        plan[i, rng.choice(neighbours)] += 0.1 * x[i]
    inside = plan.sum(0)
    eps = 0.5
    assert ot.emd2(x, inside, cost) < eps
    lam = 1000.0
    proj = project_wasserstein_ball(inside, x, cost, eps, lam, tol=1e-9, max_iter=50_000)
    assert proj.converged
    assert np.linalg.norm(proj.z - inside) <= entropic_gap_bound(proj.plan, x, lam)
    again = project_wasserstein_ball(proj.z, x, cost, eps, lam, tol=1e-9, max_iter=50_000)
    assert np.linalg.norm(again.z - proj.z) <= entropic_gap_bound(again.plan, x, lam)


def test_batch_equals_one_by_one_and_warm_start_agrees():
    rng = np.random.default_rng(3)
    xs = np.stack([stroke(s) for s in range(3)])
    ws = xs + 0.05 * rng.standard_normal(xs.shape)
    cost = pixel_cost(5, 5)
    batch = project_wasserstein_ball(ws, xs, cost, 0.2, 100.0, tol=1e-10, max_iter=20_000)
    for k in range(3):
        single = project_wasserstein_ball(ws[k], xs[k], cost, 0.2, 100.0, tol=1e-10, max_iter=20_000)
        assert np.allclose(batch.z[k], single.z, atol=1e-8)
    warm = project_wasserstein_ball(ws, xs, cost, 0.2, 100.0, tol=1e-10, max_iter=20_000,
                                    warm_start=(batch.beta, batch.psi))
    assert warm.iterations <= 10 and np.allclose(warm.z, batch.z, atol=1e-8)


@pytest.mark.parametrize(("seed", "lam"), [(s, lam) for lam in (1000.0, 3000.0) for s in range(4)])
def test_defaults_converge_on_the_chapters_sizes(seed, lam):
    """Issue 18: 5 x 5 strokes at the chapter's largest lam; at the defaults (max_iter 2000 before) 5 of these 8
    stopped short of tol."""
    rng = np.random.default_rng(seed)
    x = stroke(seed)
    w = x + 0.08 * rng.standard_normal(25)
    proj = project_wasserstein_ball(w, x, pixel_cost(5, 5), float(rng.uniform(0.05, 0.5)), lam)
    assert proj.converged


def test_result_reports_the_residual_reached():
    rng = np.random.default_rng(1)
    xs = np.stack([stroke(s) for s in range(2)])
    ws = xs + 0.08 * rng.standard_normal(xs.shape)
    cost = pixel_cost(5, 5)
    short = project_wasserstein_ball(ws, xs, cost, 0.2, 1000.0, max_iter=7)
    assert not short.converged and short.iterations == 7
    assert short.residual.shape == (2,) and np.isfinite(short.residual).all() and short.residual.max() >= 1e-4
    full = project_wasserstein_ball(ws[0], xs[0], cost, 0.2, 1000.0, tol=1e-6)
    assert full.converged and np.ndim(full.residual) == 0 and full.residual < 1e-6


def test_large_lambda_does_not_overflow():
    """lam * w of several thousand: e^{lam w} would overflow; the log-domain Lambert step does not."""
    x = stroke(5)
    w = 3 * x
    proj = project_wasserstein_ball(w, x, pixel_cost(5, 5), 0.3, 1e5, tol=1e-3, max_iter=200)
    assert np.isfinite(proj.z).all() and np.isfinite(proj.plan).all()


@pytest.mark.parametrize(("kwargs", "word"), [
    ({"x": np.full(25, 0.05)}, "sum to 1"),
    ({"x": np.r_[-0.1, np.full(24, 1.1 / 24)]}, ">= 0"),
    ({"x": np.full(24, 1 / 24)}, "shape"),
    ({"w": np.full(25, np.nan)}, "finite"),
    ({"w": ["a"] * 25}, "real numbers"),
    ({"cost": np.ones((5, 5))}, "cost"),
    ({"cost": -pixel_cost(5, 5)}, "cost"),
    ({"eps": 0.0}, "eps"),
    ({"eps": True}, "eps"),
    ({"lam": -1.0}, "lam"),
    ({"tol": 0}, "tol"),
    ({"max_iter": 0}, "max_iter"),
    ({"warm_start": (np.zeros(3), np.ones(1))}, "warm_start"),
])
def test_bad_input_is_rejected(kwargs, word):
    args = {"w": stroke(0), "x": stroke(1), "cost": pixel_cost(5, 5), "eps": 0.1, "lam": 100.0, "tol": 1e-3,
            "max_iter": 10}
    args.update(kwargs)
    with pytest.raises(BAD, match=word):
        project_wasserstein_ball(args.pop("w"), args.pop("x"), args.pop("cost"), args.pop("eps"),
                                 args.pop("lam"), **args)


def test_bad_input_to_helpers_is_rejected():
    with pytest.raises(BAD, match="height"):
        pixel_cost(0, 4)
    with pytest.raises(BAD, match="p"):
        pixel_cost(4, 4, p=-1)
    with pytest.raises(BAD, match="tiny"):
        exact_projection(np.full(100, 0.01), np.full(100, 0.01), pixel_cost(10, 10), 0.1)
    with pytest.raises(BAD, match="plan"):
        entropic_gap_bound(np.ones((3, 3)), stroke(0), 10.0)
    with pytest.raises(BAD, match="lam"):
        entropic_gap_bound(np.diag(stroke(0)), stroke(0), 0.0)


def tiny_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(25, 3))


def test_attacks_stay_in_their_balls():
    images = np.stack([stroke(s) * 1.5 for s in range(6)])  # pixels below 1
    assert images.max() < 1
    model = tiny_model()
    with torch.no_grad():
        labels = model(torch.from_numpy(images).float()).argmax(1).numpy()  # every clean image is right
    linf = radius_attack(model, images, labels, ball="linf", radii=[0.05, 0.1], steps_per_radius=3)
    bound = np.where(np.isfinite(linf.fooled_at), linf.fooled_at, 0.1)
    assert (np.abs(linf.adversarial - images).max(1) <= bound + 1e-12).all()
    assert ((linf.adversarial >= 0) & (linf.adversarial <= 1)).all()
    cost = pixel_cost(5, 5)
    wass = radius_attack(model, images, labels, ball="wasserstein", radii=[0.05, 0.2], steps_per_radius=2,
                         cost=cost, lam=100.0, tol=1e-6, track=0)
    assert ((wass.adversarial >= 0) & (wass.adversarial <= 1)).all()
    assert wass.converged
    checked = 0
    for i in range(6):
        radius = wass.fooled_at[i] if np.isfinite(wass.fooled_at[i]) else 0.2
        if radius == 0:
            continue
        mass = images[i].sum()
        kept = wass.adversarial[i].sum() / mass
        if abs(kept - 1) < 1e-9:  # the clip at 1 removed nothing: the image is inside the ball
            assert ot.emd2(images[i] / mass, wass.adversarial[i] / mass, cost) <= radius * (1 + 1e-6)
            checked += 1
    assert checked >= 3
    assert wass.trace.shape[1] == 25
    assert 0 <= wass.accuracy(0.1) <= 1


def test_attack_rejects_bad_input():
    images, labels = np.full((2, 25), 0.5), np.array([0, 1])
    model = tiny_model()
    with pytest.raises(BAD, match="ball"):
        radius_attack(model, images, labels, ball="l2", radii=[0.1])
    with pytest.raises(BAD, match="radii"):
        radius_attack(model, images, labels, ball="linf", radii=[0.2, 0.1])
    with pytest.raises(BAD, match="images"):
        radius_attack(model, images * 3, labels, ball="linf", radii=[0.1])
    with pytest.raises(BAD, match="labels"):
        radius_attack(model, images, np.array([0.5, 1.0]), ball="linf", radii=[0.1])
    with pytest.raises(BAD, match="model"):
        radius_attack(lambda x: x, images, labels, ball="linf", radii=[0.1])
    with pytest.raises(BAD, match="cost"):
        radius_attack(model, images, labels, ball="wasserstein", radii=[0.1], cost=np.ones((3, 3)))


def test_wright_omega_is_lambert_w_of_exp():
    """The identity the log-domain beta-update rests on: omega(t) = W0(e^t), where e^t does not overflow."""
    from scipy.special import lambertw, wrightomega

    t = np.linspace(-30, 700, 200)
    assert np.allclose(wrightomega(t).real, lambertw(np.exp(t)).real, rtol=1e-12, atol=1e-300)
    big = np.array([1e3, 1e5])  # e^t overflows here; omega + log(omega) = t still holds
    omega = wrightomega(big).real
    assert np.allclose(omega + np.log(omega), big, rtol=1e-14)
