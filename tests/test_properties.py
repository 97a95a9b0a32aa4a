"""Property-based tests (hypothesis) of the public pwgf_viz API: random valid input gives finite output of the
documented shape (and, where a closed form exists, the exact value); random invalid input raises ValueError or
TypeError naming the argument, never a NaN result or a crash.

Parameters cover the numerical edges: Bernoulli probabilities down to 1e-12 from 0 and 1 (1e-7 in float32),
Poisson rates from 1e-3 to 1e3, categorical logits up to +-30, in float32 and float64. tests/test_validation.py
holds the fixed, hand-picked bad inputs; these tests draw them at random positions, shapes and sizes.
Settings are derandomized (same examples every run) and without deadlines (no timing flakiness).
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import pwgf_viz as pv  # noqa: E402
from pwgf_viz import (  # noqa: E402
    animation,
    compare,
    descent,
    exact,
    explorer,
    explorer_estimator,
    families,
    objectives,
    plots,
    projection,
)
from pwgf_viz.validation import MAX_SAMPLES  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(SETTINGS, max_examples=15)
BAD = (ValueError, TypeError)
DTYPES = st.sampled_from([torch.float32, torch.float64])
EDGE = {torch.float64: 1e-12, torch.float32: 1e-7}   # closest distance to 0 and 1 representable in each dtype


# ----------------------------------------------------------------------------------------------- strategies
@st.composite
def probabilities(draw, max_dim: int = 4) -> torch.Tensor:
    """Bernoulli probabilities, often at the edges (1e-12 / 1 - 1e-12 in float64)."""
    dtype = draw(DTYPES)
    eps = EDGE[dtype]
    value = st.one_of(st.sampled_from([eps, 1 - eps, 0.5, 1e-3, 1 - 1e-3]),
                      st.floats(min_value=eps, max_value=1 - eps))
    theta = torch.tensor(draw(st.lists(value, min_size=1, max_size=max_dim)), dtype=dtype)
    return theta.clamp(eps, 1 - eps)   # float32 rounding of 1 - 1e-12 would give exactly 1


@st.composite
def rates(draw, max_dim: int = 3) -> torch.Tensor:
    """Poisson rates, log-uniform in [1e-3, 1e3]."""
    dtype = draw(DTYPES)
    logs = draw(st.lists(st.floats(min_value=-3, max_value=3), min_size=1, max_size=max_dim))
    return torch.tensor([10.0**x for x in logs], dtype=dtype)


@st.composite
def logits(draw) -> torch.Tensor:
    """Categorical logits of shape (K,) or (2, K), K in 2..5, entries in [-30, 30]."""
    dtype = draw(DTYPES)
    k = draw(st.integers(2, 5))
    rows = draw(st.sampled_from([(), (2,)]))
    size = k * (rows[0] if rows else 1)
    values = draw(st.lists(st.floats(min_value=-30, max_value=30), min_size=size, max_size=size))
    return torch.tensor(values, dtype=dtype).reshape(rows + (k,))


PARAMETERS = {"bernoulli": probabilities(), "categorical": logits(), "poisson": rates()}


@st.composite
def problems(draw, family: str | None = None) -> tuple[str, torch.Tensor]:
    family = family or draw(st.sampled_from(sorted(PARAMETERS)))
    return family, draw(PARAMETERS[family])


def categorical_f(z: torch.Tensor) -> torch.Tensor:
    """(w . z)^2 summed over the one-hot groups, w = linspace(-1, 2, K) for K categories."""
    w = torch.linspace(-1.0, 2.0, z.shape[-1], dtype=z.dtype)
    return ((z * w).sum(-1) ** 2).reshape(z.shape[0], -1).sum(-1)


def f_for(family: str, theta: object):
    return categorical_f if family == "categorical" else objectives.quadratic(0.45)


def estimators_of(family: str) -> list[str]:
    return [name for name, e in pv.ESTIMATORS.items() if family in e.families]


def draw_estimator(data, family: str, max_n: int) -> tuple[str, int]:
    """An estimator of ``family`` and a number of draws it accepts, up to ``max_n``."""
    name = data.draw(st.sampled_from(estimators_of(family)), label="estimator")
    return name, data.draw(st.integers(min_value=pv.ESTIMATORS[name].min_samples, max_value=max_n), label="n")


# ------------------------------------------------------------------------------------------- valid input
@SETTINGS
@given(problem=problems(), data=st.data())
def test_gradient_samples_finite_and_shaped(problem, data):
    family, theta = problem
    name, n = draw_estimator(data, family, 64)
    grads = pv.gradient_samples(name, f_for(family, theta), family, theta, n, seed=data.draw(st.integers(0, 99)))
    assert grads.shape == (n, *theta.shape) and grads.dtype == theta.dtype
    assert torch.isfinite(grads).all()


@SETTINGS
@given(problem=problems(), data=st.data())
def test_surrogate_gradient_finite(problem, data):
    family, theta = problem
    name, n = draw_estimator(data, family, 16)
    theta = theta.clone().requires_grad_(True)
    torch.manual_seed(0)
    out = pv.surrogate(name, f_for(family, theta), family, theta, n)
    assert out.loss.shape == () and out.value.shape == () and torch.isfinite(out.value)
    out.loss.backward()
    assert theta.grad.shape == theta.shape and torch.isfinite(theta.grad).all()


@SETTINGS
@given(problem=problems())
def test_sample_st_support_and_gradient(problem):
    family, theta = problem
    theta = theta.clone().requires_grad_(True)
    z = pv.sample_st(family, theta)
    assert z.shape == theta.shape and z.dtype == theta.dtype and torch.isfinite(z).all()
    values = z.detach()
    if family == "bernoulli":
        assert set(values.unique().tolist()) <= {0.0, 1.0}
    elif family == "categorical":
        assert (values.sum(-1) == 1).all() and set(values.unique().tolist()) <= {0.0, 1.0}
    else:
        assert (values >= 0).all() and (values == values.round()).all()
    # Straight-through: d z / d mu = I, so d sum(z) / d theta is d sum(mu) / d theta.
    z.sum().backward()
    expected = torch.zeros_like(theta) if family == "categorical" else torch.ones_like(theta)
    torch.testing.assert_close(theta.grad, expected, atol=1e-5, rtol=0)


@SETTINGS
@given(problem=problems("bernoulli") | problems("categorical"),
       temperature=st.floats(min_value=1e-2, max_value=1e2), hard=st.booleans())
def test_sample_gumbel_softmax_range(problem, temperature, hard):
    family, theta = problem
    z = pv.sample_gumbel_softmax(family, theta, temperature, hard)
    assert z.shape == theta.shape and z.dtype == theta.dtype and torch.isfinite(z).all()
    assert ((z >= 0) & (z <= 1)).all()
    if family == "categorical":
        torch.testing.assert_close(z.sum(-1), torch.ones_like(z.sum(-1)), atol=1e-5, rtol=0)
    if hard:
        assert set(z.unique().tolist()) <= {0.0, 1.0}


@SETTINGS
@given(theta=probabilities(), t=st.floats(min_value=-2, max_value=2))
def test_exact_bernoulli_closed_form(theta, t):
    """E[sum (z_i - t)^2] = sum p_i (1-t)^2 + (1-p_i) t^2; gradient 1 - 2t; ST mean 2 (p - t): at p = 1e-12 too."""
    f = objectives.quadratic(t)
    p = theta.double()
    value = pv.exact_expectation(f, "bernoulli", theta)
    assert value == pytest.approx(float((p * (1 - t) ** 2 + (1 - p) * t**2).sum()), rel=1e-12, abs=1e-12)
    grad = pv.exact_gradient(f, "bernoulli", theta)
    assert grad.shape == theta.shape and grad.dtype == torch.float64
    torch.testing.assert_close(grad, torch.full_like(p, 1 - 2 * t), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(pv.exact_st_mean(f, "bernoulli", theta), 2 * (p - t), rtol=1e-10, atol=1e-10)


@SETTINGS
@given(rate=st.floats(min_value=-3, max_value=3).map(lambda x: 10.0**x), dtype=DTYPES,
       t=st.floats(min_value=-5, max_value=5))
def test_exact_poisson_closed_form(rate, dtype, t):
    """E[(z - t)^2] = lam + (lam - t)^2, gradient 1 + 2 (lam - t), ST mean 2 (lam - t), for lam in [1e-3, 1e3]."""
    f = objectives.quadratic(t)
    theta = torch.tensor([rate], dtype=dtype)
    lam = float(theta)
    # The enumeration stops at k with P(z > k) < 1e-12: the dropped tail is worth about 1e-12 (k + 1 + |t|)^2 in
    # the value and 1e-12 * 2 (k + 1 + |t|) in the gradients (module docstring of pwgf_viz.exact); 10x margin.
    reach = float(exact.poisson_truncation(theta)[0]) + 1 + abs(t)
    value_tol, grad_tol = 10 * exact.POISSON_TAIL * reach**2, 10 * exact.POISSON_TAIL * 2 * reach
    assert pv.exact_expectation(f, "poisson", theta) == pytest.approx(lam + (lam - t) ** 2, rel=1e-13, abs=value_tol)
    assert float(pv.exact_gradient(f, "poisson", theta)) == pytest.approx(1 + 2 * (lam - t), rel=1e-13, abs=grad_tol)
    assert float(pv.exact_st_mean(f, "poisson", theta)) == pytest.approx(2 * (lam - t), rel=1e-13, abs=grad_tol)


@SETTINGS
@given(theta=logits())
def test_exact_categorical_closed_form(theta):
    """f = (w.z)^2 per group: E = sum_g pi_g . w^2; the gradient in the logits is pi * (w^2 - pi . w^2)."""
    f = categorical_f
    pi = torch.softmax(theta.double(), -1)
    w2 = torch.linspace(-1.0, 2.0, theta.shape[-1], dtype=torch.float64) ** 2
    group_means = (pi * w2).sum(-1, keepdim=True)
    assert pv.exact_expectation(f, "categorical", theta) == pytest.approx(float(group_means.sum()), rel=1e-10)
    torch.testing.assert_close(pv.exact_gradient(f, "categorical", theta), pi * (w2 - group_means),
                               rtol=1e-9, atol=1e-12)


@FEW
@given(p=st.floats(min_value=0.01, max_value=0.99), t=st.floats(min_value=-1, max_value=2))
def test_unbiased_estimators_match_exact_gradient(p, t):
    """Mean of 4000 draws within 5 standard errors of the exact gradient (1 - 2t). (Nearer the edges 4000 draws
    rarely see both outcomes, so the mean says nothing; the closed-form tests above cover the edges.)"""
    f, n = objectives.quadratic(t), 4_000
    for name in ("reinforce_baseline", "disarm"):
        grads = pv.gradient_samples(name, f, "bernoulli", [p], n, seed=1).reshape(-1)
        se = float(grads.std()) / math.sqrt(n)
        assert abs(float(grads.mean()) - (1 - 2 * t)) <= 5 * se


@FEW
@given(theta0=st.floats(min_value=1e-3, max_value=1 - 1e-3), lr=st.floats(min_value=1e-4, max_value=10),
       steps=st.integers(1, 20), name=st.sampled_from(["exact", "st", "reinforce", "disarm"]))
def test_sgd_trajectory_shape_and_range(theta0, lr, steps, name):
    path = descent.sgd_trajectory(name, objectives.quadratic(0.45), "bernoulli", [theta0], lr, steps, seed=2)
    assert path.shape == (steps + 1, 1) and np.isfinite(path).all()
    assert (path >= descent.EDGE).all() and (path <= 1 - descent.EDGE).all()


@FEW
@given(p=st.floats(min_value=1e-12, max_value=1 - 1e-12), step=st.floats(min_value=1e-6, max_value=1e6))
def test_bernoulli_mean_matching_step_is_the_st_update(p, step):
    result = projection.bernoulli_mean_matching_step(objectives.quadratic(0.45), p, step)
    # p' = p - step * E[f'(z)] with f'(z) = 2 (z - 0.45): p' = p - step * 2 (p - 0.45).
    assert result.projected_p == pytest.approx(p - step * 2 * (p - 0.45), rel=1e-9, abs=1e-9)
    assert torch.isfinite(result.moved).all() and result.moved.shape == (2,)


@FEW
@given(length=st.integers(1, 10_000), frames=st.integers(2, animation.MAX_FRAMES))
def test_frame_indices(length, frames):
    idx = animation.frame_indices(length, frames)
    assert idx[0] == 0 and idx[-1] == length - 1 and len(idx) <= min(frames, length)
    assert np.all(np.diff(idx) > 0)


@FEW
@given(values=st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=50),
       exact=st.floats(min_value=-1e6, max_value=1e6), bins=st.integers(1, 80))
def test_gradient_histograms_accepts_finite_samples(values, exact, bins):
    fig = plots.gradient_histograms({"st": np.array(values)}, exact, bins=bins)
    assert len(fig.axes) == 1
    plt.close(fig)


def test_families_log_prob_is_exact_near_one():
    """log p(z) straight from log p and log1p(-p): exp of it is p itself, even at p = 1 - 1e-12."""
    theta = torch.tensor([1e-12, 1 - 1e-12], dtype=torch.float64)
    z = torch.tensor([[1.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    probs = families.log_prob("bernoulli", theta, z).exp()
    torch.testing.assert_close(probs, torch.stack([theta.prod(), (1 - theta).prod()]), rtol=1e-14, atol=0)


# ----------------------------------------------------------------------------------------- invalid input
def _poison(theta: torch.Tensor, index: int, value: float) -> torch.Tensor:
    bad = theta.detach().clone().reshape(-1)
    bad[index % bad.numel()] = value
    return bad.reshape(theta.shape)


THETA_CALLS = {
    "gradient_samples": lambda fam, th: pv.gradient_samples("st", f_for(fam, th), fam, th, 4),
    "surrogate": lambda fam, th: pv.surrogate("reinforce", f_for(fam, th), fam, th, 2),
    "sample_st": lambda fam, th: pv.sample_st(fam, th),
    "exact_expectation": lambda fam, th: pv.exact_expectation(f_for(fam, th), fam, th),
    "exact_gradient": lambda fam, th: pv.exact_gradient(f_for(fam, th), fam, th),
    "exact_st_mean": lambda fam, th: pv.exact_st_mean(f_for(fam, th), fam, th),
    "Problem": lambda fam, th: compare.Problem("x", f_for(fam, th), fam, th),
    "sgd_trajectory": lambda fam, th: descent.sgd_trajectory("st", f_for(fam, th), fam, th, 0.1, 2),
}


@SETTINGS
@given(problem=problems(), caller=st.sampled_from(sorted(THETA_CALLS)), index=st.integers(0, 9),
       bad=st.sampled_from([math.nan, math.inf, -math.inf]))
def test_non_finite_parameter_named(problem, caller, index, bad):
    family, theta = problem
    with pytest.raises(ValueError, match="theta"):
        THETA_CALLS[caller](family, _poison(theta, index, bad))


@SETTINGS
@given(problem=problems("bernoulli") | problems("poisson"), caller=st.sampled_from(sorted(THETA_CALLS)),
       index=st.integers(0, 9),
       bad=st.floats(min_value=-1e30, max_value=0.0) | st.floats(min_value=1.0, max_value=1e30)
       | st.sampled_from([math.inf, -math.inf]))
def test_out_of_range_parameter_named(problem, caller, index, bad):
    family, theta = problem
    if family == "poisson" and bad > 0:
        bad = -bad   # any rate > 0 is valid: make it a bad one
    with pytest.raises(ValueError, match="theta"):
        THETA_CALLS[caller](family, _poison(theta, index, bad))


@SETTINGS
@given(family=st.sampled_from(sorted(PARAMETERS)), caller=st.sampled_from(sorted(THETA_CALLS)),
       theta=st.one_of(
           st.lists(st.integers(-3, 3), min_size=1, max_size=4).map(torch.tensor),                 # int64
           st.lists(st.booleans(), min_size=1, max_size=4).map(torch.tensor),                      # bool
           st.lists(st.complex_numbers(max_magnitude=2), min_size=1, max_size=3).map(
               lambda v: torch.tensor(v, dtype=torch.complex128)),
           st.text(max_size=5),
           st.lists(st.text(max_size=3), min_size=1, max_size=3),
           st.none(),
           st.dictionaries(st.text(max_size=2), st.floats(), max_size=2),
       ))
def test_wrong_parameter_type_named(family, caller, theta):
    with pytest.raises(TypeError, match="theta"):
        THETA_CALLS[caller](family, theta)


@SETTINGS
@given(family=st.sampled_from(sorted(PARAMETERS)), caller=st.sampled_from(sorted(THETA_CALLS)),
       shape=st.sampled_from([(0,), (0, 3), (3, 0), (2, 0, 2)]), dtype=DTYPES)
def test_empty_parameter_named(family, caller, shape, dtype):
    with pytest.raises(ValueError, match="theta"):
        THETA_CALLS[caller](family, torch.empty(shape, dtype=dtype))


@SETTINGS
@given(n=st.one_of(st.integers(max_value=0), st.integers(min_value=MAX_SAMPLES + 1),
                   st.floats(allow_nan=True), st.booleans(), st.text(max_size=3), st.none()),
       name=st.sampled_from(["st", "reinforce", "disarm"]))
def test_bad_sample_count_named(n, name):
    with pytest.raises(BAD, match=r"\bn\b"):
        pv.gradient_samples(name, objectives.quadratic(0.45), "bernoulli", [0.3], n)


@FEW
@given(d=st.integers(21, 40))
def test_huge_exact_enumeration_refused(d):
    with pytest.raises(ValueError, match="theta"):
        pv.exact_gradient(objectives.quadratic(0.45), "bernoulli", torch.full((d,), 0.5, dtype=torch.float64))


@FEW
@given(size=st.integers(10**5, 10**6), n=st.integers(10**3, 10**4))
def test_huge_draws_refused(size, n):
    if size * n <= 50_000_000:
        n = 50_000_000 // size + 1
    with pytest.raises(ValueError, match=r"\bn\b"):
        pv.gradient_samples("st", objectives.quadratic(0.45), "bernoulli", torch.full((size,), 0.5), n)


BAD_REALS = st.one_of(st.sampled_from([math.nan, math.inf, -math.inf]), st.floats(max_value=0.0),
                      st.text(max_size=3), st.none(), st.booleans())


@SETTINGS
@given(temperature=BAD_REALS)
def test_bad_temperature_named(temperature):
    with pytest.raises(BAD, match="temperature"):
        pv.gradient_samples("gumbel_softmax", objectives.quadratic(0.45), "bernoulli", [0.3], 4,
                            temperature=temperature)


@SETTINGS
@given(lr=BAD_REALS)
def test_bad_learning_rate_named(lr):
    with pytest.raises(BAD, match="lr"):
        descent.sgd_trajectory("st", objectives.quadratic(0.45), "bernoulli", [0.5], lr, 3)


@SETTINGS
@given(step=BAD_REALS)
def test_bad_projection_step_named(step):
    with pytest.raises(BAD, match="step"):
        projection.bernoulli_mean_matching_step(objectives.quadratic(0.45), 0.3, step)


@SETTINGS
@given(value=st.one_of(st.sampled_from([math.nan, math.inf, -math.inf]), st.text(max_size=3), st.none()),
       which=st.sampled_from(["quadratic", "pair_interaction", "linear_score"]))
def test_bad_objective_parameters_named(value, which):
    argument = {"quadratic": "target", "pair_interaction": "offset", "linear_score": "weights"}[which]
    with pytest.raises(BAD, match=argument):
        getattr(objectives, which)(value if which != "linear_score" else [1.0, value])


@SETTINGS
@given(length=st.one_of(st.integers(max_value=0), st.floats(), st.text(max_size=2), st.none()))
def test_bad_animation_length_named(length):
    with pytest.raises(BAD, match="length"):
        animation.frame_indices(length, 10)


@SETTINGS
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=20).filter(
    lambda v: not v or not np.isfinite(v).all()))
def test_bad_histogram_samples_named(values):
    with pytest.raises(ValueError, match="samples"):
        plots.gradient_histograms({"st": np.array(values, dtype=float)}, 0.1)


@SETTINGS
@given(rows=st.integers(0, 5), cols=st.integers(1, 3), bad=st.sampled_from([None, math.nan, math.inf]))
def test_bad_estimator_stats_samples_named(rows, cols, bad):
    problem = compare.Problem("toy", objectives.quadratic(0.45), "bernoulli", [0.3])
    samples = torch.zeros(rows, cols, dtype=torch.float64)
    if bad is not None and rows >= 2 and cols == 1:
        samples[rows - 1, 0] = bad
    if rows >= 2 and cols == 1 and bad is None:
        return   # a valid sample set
    with pytest.raises(ValueError, match="samples"):
        compare.estimator_stats(problem, "st", 2, samples=samples)


@FEW
@given(setting=st.sampled_from(["p", "t", "n", "estimator"]),
       value=st.one_of(st.floats(allow_nan=True), st.integers(-5, 20_000), st.text(max_size=4)))
def test_explorer_refuses_out_of_range_settings(setting, value):
    valid = {"p": lambda v: isinstance(v, float) and 0.02 <= v <= 0.98,
             "t": lambda v: isinstance(v, int | float) and 0 <= v <= 1,
             "n": lambda v: v in explorer_estimator.EstimatorExplorer.SIZES and not isinstance(v, float),
             "estimator": lambda v: v in pv.ESTIMATORS}
    if valid[setting](value):
        return
    with pytest.raises(BAD, match=setting):
        explorer_estimator.EstimatorExplorer(**{setting: value})


BAD_COUNTS = st.one_of(st.integers(max_value=0), st.integers(min_value=10**9), st.floats(), st.text(max_size=2),
                       st.none(), st.booleans())


@SETTINGS
@given(value=BAD_COUNTS, which=st.sampled_from(["points:loss", "points:gradient", "bins", "frames", "fps", "dpi"]))
def test_bad_counts_named(value, which):
    f = objectives.quadratic(0.45)
    calls = {
        "points:loss": lambda: plots.bernoulli_loss_curve(f, points=value),
        "points:gradient": lambda: plots.exact_gradient_curve(f, points=value),
        "bins": lambda: plots.gradient_histograms({"st": np.array([0.1, 0.2])}, 0.1, bins=value),
        "frames": lambda: animation.frame_indices(10, value),
        "fps": lambda: animation.player(None, fps=value),
        "dpi": lambda: explorer.figure_png(Figure(), dpi=value),
    }
    with pytest.raises(BAD, match=which.split(":")[0]):
        calls[which]()
    plt.close("all")


@FEW
@given(p=st.floats(min_value=1e-12, max_value=1 - 1e-12), step=st.floats(min_value=1e-3, max_value=1.0))
def test_pwgf_step_figure_valid(p, step):
    fig = plots.pwgf_step_figure(objectives.quadratic(0.45), p, step)
    assert len(fig.axes) == 1
    plt.close(fig)


@SETTINGS
@given(p=st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0), st.text(max_size=2), st.none()))
def test_pwgf_step_figure_bad_p_named(p):
    with pytest.raises(BAD, match=r"\bp\b"):
        plots.pwgf_step_figure(objectives.quadratic(0.45), p, 0.1)


@SETTINGS
@given(path=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=10).filter(
    lambda v: not all(0 < x < 1 for x in v)))
def test_descent_animation_bad_paths_named(path):
    with pytest.raises(ValueError, match="paths"):
        animation.descent_animation({"st": np.array(path)}, objectives.quadratic(0.45))


@SETTINGS
@given(fig=st.one_of(st.none(), st.integers(), st.text(max_size=3), st.just(np.zeros((2, 2)))))
def test_figure_png_refuses_non_figures(fig):
    with pytest.raises(TypeError, match="fig"):
        explorer.figure_png(fig)


def test_markdown_table_refuses_no_stats():
    with pytest.raises(ValueError, match="stats"):
        compare.markdown_table([], ["st"])
