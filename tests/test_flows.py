"""Tests of pwgf_viz.flows (particle flows, JKO steps, Fokker-Planck), its animations and the flow explorer."""

from __future__ import annotations

import base64
import math
import re
import warnings

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pwgf_viz import flows
from pwgf_viz.animation_flows import MAX_FLOW_FRAMES, density_flow_animation, scatter_flow_animation, step_times
from pwgf_viz.explorer_flow import FlowExplorer, parse_potential

WELL = flows.double_well()
finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False)


# --- closed forms -------------------------------------------------------------------------------------------------

@given(z0=hnp.arrays(np.float64, st.integers(1, 20), elements=finite), a=st.floats(0.1, 5),
       step=st.floats(1e-3, 0.15), n_steps=st.integers(1, 30))
@settings(max_examples=40, deadline=None)
def test_euler_on_a_quadratic_contracts_exactly(z0, a, step, n_steps):
    path = flows.euler_flow(flows.quadratic(a).grad, z0, step, n_steps)
    assert path.shape == (n_steps + 1, z0.size, 1)
    factors = (1 - step * a) ** np.arange(n_steps + 1)
    np.testing.assert_allclose(path[..., 0], factors[:, None] * z0, rtol=1e-12, atol=1e-12)


@given(z0=hnp.arrays(np.float64, st.tuples(st.integers(1, 10), st.integers(1, 3)), elements=finite),
       a=st.floats(0.1, 5), step=st.floats(1e-3, 1.0), n_steps=st.integers(1, 10))
@settings(max_examples=30, deadline=None)
def test_jko_on_a_quadratic_divides_by_one_plus_step(z0, a, step, n_steps):
    path = flows.jko_flow(flows.quadratic(a).grad, z0, step, n_steps)
    assert path.shape == (n_steps + 1, *z0.shape)
    factors = (1 + step * a) ** -np.arange(n_steps + 1.0)
    np.testing.assert_allclose(path, factors[:, None, None] * z0, rtol=1e-9, atol=1e-12)


def test_euler_approaches_the_exact_contraction_at_first_order():
    a, z0 = 2.0, np.array([1.0, -0.5, 3.0])
    errors = []
    for step in (0.02, 0.01, 0.005):
        path = flows.euler_flow(flows.quadratic(a).grad, z0, step, round(1 / step))
        errors.append(np.abs(path[-1, :, 0] - math.exp(-a) * z0).max())
    assert errors[0] > errors[1] > errors[2]
    assert 1.9 < errors[0] / errors[1] < 2.1 and 1.9 < errors[1] / errors[2] < 2.1


def test_jko_and_euler_agree_as_the_step_shrinks():
    z0 = np.random.default_rng(0).normal(0, 0.5, 400)
    gaps = []
    for step in (0.05, 0.025, 0.0125):
        k = round(1 / step)
        euler = flows.euler_flow(WELL.grad, z0, step, k)[-1, :, 0]
        jko = flows.jko_flow(WELL.grad, z0, step, k)[-1, :, 0]
        gaps.append(math.sqrt(ot.wasserstein_1d(euler, jko, p=2)))
    assert 1.9 < gaps[0] / gaps[1] < 2.1 and 1.9 < gaps[1] / gaps[2] < 2.1
    assert gaps[-1] < 0.015


def test_prox_step_minimises_the_jko_objective():
    """Proposition prop-wgf-jko-prox, checked against the definition with POT's exact W2."""
    well = flows.double_well_2d()
    rng = np.random.default_rng(1)
    start, step = rng.normal(0, 0.7, (60, 2)), 0.1
    weights = np.full(60, 1 / 60)

    def objective(cloud):
        return well.f(cloud).mean() + ot.emd2(weights, weights, ot.dist(start, cloud)) / (2 * step)

    moved = flows.prox_step(well.grad, start, step)
    np.testing.assert_allclose(moved + step * well.grad(moved), start, atol=1e-10)
    best = objective(moved)
    assert best < objective(start - step * well.grad(start))
    assert all(best < objective(moved + s * rng.normal(size=moved.shape)) for s in (1e-3, 1e-2, 1e-1))


# --- Langevin and Fokker-Planck -----------------------------------------------------------------------------------

def test_langevin_stationary_variance_of_the_ou_process():
    """Euler-Maruyama on f = a z^2/2 keeps N(0, 2T/(a(2 - h a))) invariant (not T/a)."""
    a, step, temperature, n = 1.0, 0.2, 0.7, 40_000
    v = 2 * temperature / (a * (2 - step * a))
    z0 = np.random.default_rng(2).normal(0, math.sqrt(v), n)
    final = flows.langevin_flow(flows.quadratic(a).grad, z0, step, 60, temperature, seed=3)[-1, :, 0]
    se_var, se_mean = v * math.sqrt(2 / (n - 1)), math.sqrt(v / n)
    assert abs(final.var() - v) < 4 * se_var
    assert abs(final.mean()) < 4 * se_mean
    assert final.var() - temperature / a > 4 * se_var          # the step bias is real


def test_langevin_is_reproducible_and_seeded():
    a = flows.langevin_flow(WELL.grad, [0.0, 1.0], 0.01, 5, seed=4)
    b = flows.langevin_flow(WELL.grad, [0.0, 1.0], 0.01, 5, seed=4)
    c = flows.langevin_flow(WELL.grad, [0.0, 1.0], 0.01, 5, seed=5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_partition_function_and_gibbs_density():
    quad = flows.quadratic(2.0)
    assert abs(flows.partition_function(quad.f, 0.5) - math.sqrt(2 * math.pi * 0.5 / 2.0)) < 1e-9
    grid = np.linspace(-4, 4, 4001)
    density = flows.gibbs_density(WELL.f, grid)
    assert abs(np.trapezoid(density, grid) - 1) < 1e-6


def test_entropic_jko_tends_to_the_gibbs_density():
    x = np.linspace(-3, 3, 121)
    start = np.exp(-((x - 1.2) ** 2) / 0.1)
    start /= start.sum()
    target = flows.gibbs_density(WELL.f, x)
    target /= target.sum()
    tv = {}
    for reg in (0.2, 0.1):
        masses = flows.entropic_jko_flow(start, x, WELL.f(x[:, None]), 0.1, 60, temperature=1.0, reg=reg)
        assert masses.shape == (61, 121)
        np.testing.assert_allclose(masses.sum(1), 1, atol=1e-12)
        tv[reg] = 0.5 * np.abs(masses[-1] - target).sum()
    assert tv[0.1] < tv[0.2] < 0.05
    assert 1.7 < tv[0.2] / tv[0.1] < 2.3


WIDE_GRID = np.linspace(-8, 8, 400)
WIDE_GAUSSIAN = np.exp(-WIDE_GRID**2 / 2) / np.exp(-WIDE_GRID**2 / 2).sum()  # masses down to 2e-16 at the ends


@pytest.mark.parametrize("potential", ["zero", "well", "quadratic"])
@pytest.mark.parametrize("reg", [0.05, 0.01])
def test_entropic_jko_step_on_a_wide_grid_with_tiny_masses(potential, reg):
    """Issue 18: the scalings leave float64 (a ~ p^(T/reg)) and the double well's e^(-f) underflows at |x| = 8."""
    f = {"zero": np.zeros(400), "well": WELL.f(WIDE_GRID[:, None]), "quadratic": WIDE_GRID**2 / 2}[potential]
    q = flows.entropic_jko_step(WIDE_GAUSSIAN, WIDE_GRID, f, 0.1, 1.0, reg)
    assert np.isfinite(q).all() and (q >= 0).all() and abs(q.sum() - 1) < 1e-12


def _pot_jko_step(p, x, f, step, temperature, reg):
    """The same step by POT's semi-relaxed Sinkhorn: (2 step) x the objective of eq-wgf-entropic-jko is
    <C, g> + 2 step reg (entropy) + 2 step T KL(q | e^(-f/T)) with the first marginal fixed (reg_m = inf)."""
    cost = (x[:, None] - x[None, :]) ** 2
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "If reg_type = entropy", UserWarning)
        plan = ot.unbalanced.sinkhorn_unbalanced(p, np.exp(-(f - f.min()) / temperature), cost, 2 * step * reg,
                                                 (np.inf, 2 * step * temperature), method="sinkhorn",
                                                 reg_type="entropy", numItermax=200_000, stopThr=1e-14)
    return plan.sum(0), np.abs(plan.sum(1) - p).sum()


@pytest.mark.parametrize("case", ["book grid", "wide gaussian, quadratic", "wide gaussian, quadratic, small reg",
                                  "wide gaussian, flat"])
def test_entropic_jko_step_matches_pot(case):
    book_x = np.linspace(-3, 3, 241)
    book_p = np.exp(-((book_x - 1.5) ** 2) / (2 * 0.25**2))
    x, p, f, step, temperature, reg = {
        "book grid": (book_x, book_p / book_p.sum(), WELL.f(book_x[:, None]), 0.05, 1.0, 0.1),
        "wide gaussian, quadratic": (WIDE_GRID, WIDE_GAUSSIAN, WIDE_GRID**2 / 2, 0.1, 1.0, 0.05),
        "wide gaussian, quadratic, small reg": (WIDE_GRID, WIDE_GAUSSIAN, WIDE_GRID**2 / 2, 0.1, 1.0, 0.01),
        "wide gaussian, flat": (WIDE_GRID, WIDE_GAUSSIAN, np.zeros(400), 0.1, 0.5, 0.05),
    }[case]
    tol = 1e-10
    q = flows.entropic_jko_step(p, x, f, step, temperature, reg, tol=tol)
    q_pot, pot_residual = _pot_jko_step(p, x, f, step, temperature, reg)
    assert pot_residual < 1e-12  # POT reached its fixed point, so the comparison is meaningful
    # Both iterations contract by about T / (T + reg) per sweep, so each stopped point lies within
    # (T + reg) / reg times its first-marginal residual of the common solution.
    bound = (temperature + reg) / reg * (tol + pot_residual)
    assert np.abs(q - q_pot / q_pot.sum()).sum() < bound


@pytest.mark.parametrize("reg", [0.05, 0.01])
def test_entropic_jko_step_is_optimal_where_pot_unbalanced_fails(reg):
    """Where e^(-f) underflows (the double well at |x| = 8) POT's unbalanced solver fails; check instead the optimality
    condition in q with POT's balanced log-domain Sinkhorn between p and the returned q: its dual potential
    log v_j equals -(f_j + T log q_j) / reg + const (b of the docstring, up to a constant)."""
    step, temperature = 0.1, 1.0
    f = WELL.f(WIDE_GRID[:, None])
    tol = 1e-10
    q = flows.entropic_jko_step(WIDE_GAUSSIAN, WIDE_GRID, f, step, temperature, reg, tol=tol)
    keep = q > 1e-12
    q_keep = q[keep] / q[keep].sum()
    cost = (WIDE_GRID[:, None] - WIDE_GRID[None, keep]) ** 2
    with np.errstate(over="ignore"):
        plan, log = ot.sinkhorn(WIDE_GAUSSIAN, q_keep, cost, 2 * step * reg, method="sinkhorn_log",
                                numItermax=100_000, stopThr=1e-13, log=True)
    pot_residual = np.abs(plan.sum(0) - q_keep).sum()
    assert pot_residual < 1e-11
    residual = log["log_v"] + (f[keep] + temperature * np.log(q_keep)) / reg
    bulk, q_min = q_keep > 1e-4, 1e-4
    # A dual potential at a column of mass q_j is known to (marginal error) / q_j; our q to
    # (T + reg) / reg * tol in l1, which enters the residual multiplied by T / reg.
    bound = (temperature / reg * (temperature + reg) / reg * tol + pot_residual) / q_min
    assert np.ptp(residual[bulk]) < bound


def test_entropic_jko_step_names_the_slow_contraction():
    with pytest.raises(RuntimeError, match=r"did not converge in 5 iterations.*temperature / \(temperature \+ reg\)"):
        flows.entropic_jko_step(WIDE_GAUSSIAN, WIDE_GRID, np.zeros(400), 0.1, 1.0, 0.01, max_iter=5)


# --- functional values --------------------------------------------------------------------------------------------

def test_functional_values_of_the_potential_energy():
    path = flows.euler_flow(flows.quadratic(1.0).grad, [1.0, -2.0], 0.1, 3)
    values = flows.functional_values(flows.quadratic(1.0).f, path)
    expected = 0.5 * (1 + 4) / 2 * 0.9 ** (2 * np.arange(4))
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    assert flows.functional_values(WELL.f, path[0]).shape == (1,)


def test_free_energy_of_a_gaussian_sample():
    """F_1(N(0, 1)) for f = z^2/2 is 1/2 - log(2 pi e)/2 = -log Z: the minimum."""
    sample = np.random.default_rng(5).normal(0, 1, (1, 20_000, 1))
    value = flows.functional_values(flows.quadratic(1.0).f, sample, temperature=1.0)[0]
    assert abs(value + 0.5 * math.log(2 * math.pi)) < 0.02


# --- bad input ----------------------------------------------------------------------------------------------------

bad_steps = st.one_of(st.floats(max_value=0.0), st.just(math.nan), st.just(math.inf))


@given(step=bad_steps)
@settings(max_examples=20, deadline=None)
def test_bad_step_is_rejected(step):
    for flow in (flows.euler_flow, flows.langevin_flow, flows.jko_flow):
        with pytest.raises(ValueError, match="step"):
            flow(WELL.grad, [0.1, 0.2], step, 3)


@given(n_steps=st.one_of(st.integers(max_value=0), st.floats(0.5, 10), st.booleans()))
@settings(max_examples=20, deadline=None)
def test_bad_n_steps_is_rejected(n_steps):
    with pytest.raises((ValueError, TypeError), match="n_steps"):
        flows.euler_flow(WELL.grad, [0.1], 0.1, n_steps)


@pytest.mark.parametrize("z0", [[], [[math.nan]], [1.0, math.inf], np.zeros((2, 2, 2)), ["a", "b"], np.zeros((3, 0))])
def test_bad_particles_are_rejected(z0):
    with pytest.raises((ValueError, TypeError), match="z0"):
        flows.euler_flow(WELL.grad, z0, 0.1, 2)


@pytest.mark.parametrize("grad_f, message", [
    (lambda z: z[:, 0], "grad_f must map"),
    (lambda z: np.full_like(z, np.nan), "grad_f returned NaN"),
    ("not callable", "grad_f must be a callable"),
])
def test_bad_grad_f_is_rejected(grad_f, message):
    with pytest.raises((ValueError, TypeError), match=message):
        flows.euler_flow(grad_f, [0.1, 0.2], 0.1, 2)
    with pytest.raises((ValueError, TypeError), match=message):
        flows.prox_step(grad_f, [0.1, 0.2], 0.1)


def test_diverging_euler_flow_is_reported_not_silent():
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(ValueError, match="grad_f returned NaN"):
        flows.euler_flow(WELL.grad, [3.0], 1.0, 50)


def test_bad_temperature_and_grid_arguments_are_rejected():
    with pytest.raises(ValueError, match="temperature"):
        flows.langevin_flow(WELL.grad, [0.0], 0.1, 2, temperature=-1.0)
    with pytest.raises(ValueError, match="temperature"):
        flows.functional_values(WELL.f, np.zeros((2, 5, 1)), temperature=-0.5)
    with pytest.raises(ValueError, match="d = 1"):
        flows.functional_values(lambda z: z.sum(-1), np.zeros((2, 5, 2)), temperature=1.0)
    with pytest.raises(ValueError, match="sum to 1"):
        flows.entropic_jko_step(np.ones(5), np.linspace(0, 1, 5), np.zeros(5), 0.1, 1.0, 0.1)
    with pytest.raises(ValueError, match="same shape"):
        flows.entropic_jko_step(np.ones(5) / 5, np.linspace(0, 1, 4), np.zeros(5), 0.1, 1.0, 0.1)
    with pytest.raises(ValueError, match="reg"):
        flows.entropic_jko_step(np.ones(5) / 5, np.linspace(0, 1, 5), np.zeros(5), 0.1, 1.0, 0.0)
    with pytest.raises(ValueError, match="integrable"):
        flows.partition_function(lambda z: -(z[:, 0] ** 2))


# --- animations and explorer --------------------------------------------------------------------------------------

def test_animations_cap_their_frames_and_check_shapes():
    path = flows.euler_flow(WELL.grad, np.linspace(-1.5, 1.5, 50), 0.01, 100)
    anim = density_flow_animation(path, step_times(0.01, 100), WELL, frames=MAX_FLOW_FRAMES)
    assert len(re.findall(r"frames\[\d+\] = ", anim.to_jshtml())) == MAX_FLOW_FRAMES
    with pytest.raises(ValueError, match="frames"):
        density_flow_animation(path, step_times(0.01, 100), WELL, frames=MAX_FLOW_FRAMES + 1)
    with pytest.raises(ValueError, match="times"):
        density_flow_animation(path, step_times(0.01, 50), WELL)
    with pytest.raises(ValueError, match="trajectory"):
        scatter_flow_animation(path, step_times(0.01, 100), flows.double_well_2d())


@given(text=st.text(alphabet="z0123456789+-*/^(). expsinlogqrtcha_[]'\"", max_size=25))
@settings(max_examples=150, deadline=None)
def test_parse_potential_accepts_formulas_or_names_expression(text):
    try:
        potential = parse_potential(text)
    except ValueError as err:
        assert "expression" in str(err)
    else:
        points = np.linspace(-2, 2, 7)[:, None]
        assert potential.f(points).shape == (7,) and np.isfinite(potential.f(points)).all()
        assert potential.grad(points).shape == (7, 1) and np.isfinite(potential.grad(points)).all()


def test_parse_potential_matches_the_preset_and_refuses_code():
    parsed = parse_potential("(z^2 - 1)^2")
    points = np.linspace(-2, 2, 9)[:, None]
    np.testing.assert_allclose(parsed.f(points), WELL.f(points), rtol=1e-12)
    np.testing.assert_allclose(parsed.grad(points), WELL.grad(points), rtol=1e-12)
    for bad in ("__import__('os')", "z.conjugate()", "open(z)", "lambda: 1", "x + z", "1/z"):
        with pytest.raises(ValueError, match="expression"):
            parse_potential(bad)
    with pytest.raises(TypeError, match="expression"):
        parse_potential(3.0)


def test_flow_explorer_redraws_and_falls_back_to_an_animation():
    explorer = FlowExplorer(particles=300, final_time=1.0)
    explorer.update(temperature=0.0, expression="z^2/2")
    assert explorer.last_redraw_seconds > 0 and bytes(explorer.image.value).startswith(b"\x89PNG")
    assert "E_q[f]" in explorer.stats.value
    with pytest.raises(TypeError, match="unexpected setting"):
        explorer.update(colour="red")
    with pytest.raises(ValueError, match="expression"):
        explorer.update(expression="import os")
    html = explorer.fallback(frames=4)
    poster = re.search(r'<img id="_anim_img\w+" src="data:image/png;base64,([^"]*)"', html)
    assert html.count("<img") == 1 and base64.b64decode(poster[1], validate=True).startswith(b"\x89PNG")
    assert html.startswith('<div class="pwgf-widget-fallback">') and 'class="animation"' in html
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "pwgf-widget-fallback" in bundle["text/html"]
