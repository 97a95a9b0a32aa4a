"""The simulated projected flow beside SGD with straight-through (pwgf_viz.projected_flow), the signature animation and
the Part III explorer (pwgf_viz.explorer_pwgf)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.animation import FuncAnimation

from pwgf_viz import exact_gradient, exact_st_mean, gradient_samples, objectives
from pwgf_viz.animation import animation_figure
from pwgf_viz.explorer_pwgf import OBJECTIVES, PWGFExplorer, step_velocities
from pwgf_viz.projected_flow import draw_particles, projected_flow, signature_animation

TOY = objectives.quadratic(0.45)
QUAD25 = objectives.quadratic(2.5)


@pytest.mark.parametrize(("family", "theta"), [("bernoulli", 0.7), ("poisson", 3.0)])
def test_particles_are_the_estimator_draws(family, theta):
    z = draw_particles(family, theta, 300, seed=11)
    grads = gradient_samples("st", QUAD25, family, [theta], 300, seed=11)[:, 0].numpy()
    assert np.allclose(grads, 2 * (z - 2.5))


@pytest.mark.parametrize(("family", "f", "theta0"), [("bernoulli", TOY, 0.85), ("poisson", QUAD25, 6.0)])
def test_projected_flow_is_sgd_with_st(family, f, theta0):
    # thm-st-pwgf with particles: the projected displacement is the N-sample ST step, on the same draws.
    flow = projected_flow(f, family, theta0, step=0.05, steps=30, particles=100, seed=2)
    assert flow.theta.shape == (31,) and flow.particles.shape == (30, 100) and flow.free.shape == (31, 100)
    assert np.abs(flow.theta - flow.st).max() < 1e-12
    steps = flow.theta[1:] - flow.theta[:-1]
    assert np.allclose(steps, np.mean(flow.moved - flow.particles, axis=1))


def test_pwgf_and_exact_paths():
    # The exact path is gradient descent with L'(p) = 0.1 on the toy; the pWGF path draws the same seeds, and its
    # per-step mean is the trapezoid rule (f'(0) + f'(1))/2 = 0.1 (thm-bernoulli-trapezoid), so it drifts the same.
    flow = projected_flow(TOY, "bernoulli", 0.85, step=0.1, steps=100, particles=400, seed=3, edge=0.02)
    assert flow.pwgf.shape == flow.exact.shape == (101,) and flow.edge == 0.02
    assert np.allclose(flow.exact[:41], 0.85 - 0.01 * np.arange(41))
    assert flow.exact[-1] == 0.02 and flow.pwgf.min() >= 0.02 and flow.pwgf.max() <= 0.98
    for t in (0, 5, 20):
        grads = gradient_samples("pwgf", TOY, "bernoulli", [flow.pwgf[t]], 400, seed=3 + t)
        assert flow.pwgf[t + 1] == pytest.approx(flow.pwgf[t] - 0.1 * float(grads.mean()), abs=1e-15)
    # SGD with ST rests near 0.45, the pWGF path heads to the minimiser 0 of L(p) = 0.2025 + 0.1 p.
    assert abs(flow.st[-10:].mean() - 0.45) < 0.05 and flow.pwgf[-10:].mean() < 0.3


def test_free_flow_reaches_the_minimiser_of_f():
    flow = projected_flow(TOY, "bernoulli", 0.85, step=0.05, steps=60, particles=50)
    assert np.allclose(flow.free[-1], 0.45, atol=1e-3)


def test_signature_animation_frames():
    flow = projected_flow(TOY, "bernoulli", 0.85, step=0.05, steps=40, particles=50)
    anim = signature_animation(flow, TOY, frames=12)
    assert isinstance(anim, FuncAnimation)
    assert len(list(anim.new_frame_seq())) == 12
    html = anim.to_jshtml()
    assert html.count("frames[") >= 12 and len(html) < 1_000_000
    with pytest.raises(ValueError, match="frames"):
        signature_animation(flow, TOY, frames=500)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"family": "categorical"}, ValueError, "family"),
    ({"theta0": 1.5}, ValueError, "theta0"),
    ({"step": -0.1}, ValueError, "step"),
    ({"steps": 0}, ValueError, "steps"),
    ({"particles": 2.5}, TypeError, "particles"),
    ({"step": 3.0}, ValueError, "smaller step"),
    ({"edge": 0.5}, ValueError, "edge"),
    ({"edge": 0.0}, ValueError, "edge"),
])
def test_projected_flow_rejects_bad_input(kwargs, error, match):
    args = {"f": TOY, "family": "bernoulli", "theta0": 0.5, "step": 0.05, "steps": 5} | kwargs
    with pytest.raises(error, match=match):
        projected_flow(**args)


@pytest.mark.parametrize(("family", "theta"), [("bernoulli", 0.3), ("poisson", 4.0)])
def test_step_velocities(family, theta):
    # Rows of explorer_pwgf.ROWS; the dequantised rows are tested in test_static_explorers.py.
    v = step_velocities(TOY, family, theta, 0.01)["velocities"]
    assert abs(v[0] + float(exact_gradient(TOY, family, [theta])[0])) < 1e-8
    assert abs(v[1] + float(exact_st_mean(TOY, family, [theta])[0])) < 1e-8
    assert abs(v[2]) < 1e-3   # the lattice W2 projection does not move (prop-lattice-degeneracy)
    assert abs(v[3] - v[4]) < 0.05 * max(1.0, abs(v[4]))   # the step's projection is near its limit


def test_explorer_redraws_and_falls_back():
    explorer = PWGFExplorer()
    for name in OBJECTIVES:
        explorer.update(objective=name, family="poisson", rate=2.0)
        assert explorer.image.value[:4] == b"\x89PNG"
    assert explorer.family.value == "poisson"
    assert 'class="pwgf-widget-fallback"' in explorer._repr_mimebundle_()["text/html"]
    with pytest.raises(ValueError, match="objective"):
        explorer.update(objective="z^5")
    with pytest.raises(ValueError, match="family"):
        step_velocities(TOY, "categorical", 0.3, 0.1)
    with pytest.raises(TypeError, match="setting"):
        explorer.update(colour="red")


def test_signature_animation_two_plus_one_layout():
    # Two panels on top, the descents below across the whole width (plus the loss's twin axis).
    flow = projected_flow(TOY, "bernoulli", 0.85, step=0.05, steps=20, particles=20)
    fig = animation_figure(signature_animation(flow, TOY, frames=4))
    free_ax, proj_ax, st_ax = fig.axes[:3]
    top_left, top_right, bottom = (ax.get_position() for ax in (free_ax, proj_ax, st_ax))
    assert top_left.y0 > bottom.y1 and top_right.y0 > bottom.y1
    assert bottom.x0 <= top_left.x0 + 1e-9 and bottom.x1 > top_right.x0
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in (free_ax, proj_ax, st_ax))
