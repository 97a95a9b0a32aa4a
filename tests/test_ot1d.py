"""pwgf_viz.ot1d: the quantile formula against POT's two solvers, closed forms, and input validation."""

from __future__ import annotations

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from pwgf_viz.ot1d import bernoulli_wasserstein, discrete_distribution, quantile_wasserstein

BAD = (ValueError, TypeError)
TOL = 1e-8  # the agreement the chapter asserts


def pot_distances(x, y, a, b, p):
    """W_p by ot.wasserstein_1d and by ot.emd2 on the full cost matrix |x_i - y_j|^p (both return W_p^p)."""
    sorting = ot.wasserstein_1d(x, y, a, b, p=p) ** (1 / p)
    cost = np.abs(x[:, None] - y[None, :]) ** p
    simplex = ot.emd2(a, b, cost) ** (1 / p)
    return float(sorting), float(simplex)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("p", [1, 1.5, 2, 3])
def test_three_way_agreement_on_weighted_samples(seed, p):
    rng = np.random.default_rng(seed)
    n, m = rng.integers(1, 60, size=2)
    x = rng.normal(size=n)
    y = rng.exponential(size=m) + rng.normal()
    # Ties inside and across the two supports, and some zero weights, are part of the test.
    x[: n // 3] = np.round(x[: n // 3], 1)
    y[: m // 3] = np.round(y[: m // 3], 1)
    a = rng.dirichlet(np.ones(n))
    b = rng.dirichlet(np.ones(m))
    if n > 2:
        a[0] = 0.0
        a /= a.sum()
    quantile = quantile_wasserstein(x, y, a, b, p=p)
    sorting, simplex = pot_distances(x, y, a, b, p)
    assert abs(quantile - sorting) < TOL and abs(quantile - simplex) < TOL


def test_uniform_weights_by_default():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=40), rng.normal(1.0, 2.0, size=25)
    uniform = quantile_wasserstein(x, y, np.full(40, 2.5), np.full(25, 0.1))  # weights are normalised
    assert quantile_wasserstein(x, y) == pytest.approx(uniform, abs=1e-12)
    sorting, _ = pot_distances(x, y, np.full(40, 1 / 40), np.full(25, 1 / 25), 2)
    assert quantile_wasserstein(x, y) == pytest.approx(sorting, abs=TOL)


def test_equal_size_uniform_samples_pair_sorted_points():
    # With n points each and uniform weights, the optimal coupling pairs the i-th smallest with the i-th smallest.
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=50), rng.uniform(size=50)
    expected = np.mean((np.sort(x) - np.sort(y)) ** 2) ** 0.5
    assert quantile_wasserstein(x, y, p=2) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("t1", [0.0, 0.2, 0.5, 0.97, 1.0])
@pytest.mark.parametrize("t2", [0.0, 0.3, 0.51, 1.0])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_bernoulli_closed_form(t1, t2, p):
    x, a = discrete_distribution("bernoulli", t1)
    y, b = discrete_distribution("bernoulli", t2)
    closed = bernoulli_wasserstein(t1, t2, p=p)
    assert closed == pytest.approx(abs(t1 - t2) ** (1 / p), abs=1e-15)
    assert quantile_wasserstein(x, y, a, b, p=p) == pytest.approx(closed, abs=TOL)
    for value in pot_distances(x, y, a, b, p):
        assert value == pytest.approx(closed, abs=TOL)


def test_bernoulli_closed_form_broadcasts():
    out = bernoulli_wasserstein(0.3, np.array([0.3, 0.4, 0.7]), p=2)
    np.testing.assert_allclose(out, np.sqrt([0.0, 0.1, 0.4]), atol=1e-15)


@pytest.mark.parametrize(("lam", "mu"), [(0.5, 0.7), (4.0, 4.5), (1.0, 10.0), (20.0, 19.0)])
def test_poisson_three_ways_and_mean_difference(lam, mu):
    x, a = discrete_distribution("poisson", lam)
    y, b = discrete_distribution("poisson", mu)
    assert a.sum() == pytest.approx(1.0, abs=1e-15) and b.sum() == pytest.approx(1.0, abs=1e-15)
    for p in (1, 2):
        quantile = quantile_wasserstein(x, y, a, b, p=p)
        for value in pot_distances(x, y, a, b, p):
            assert value == pytest.approx(quantile, abs=TOL)
    # Poisson laws are stochastically ordered, so W1 is the difference of the means (up to the 1e-12 truncation).
    assert quantile_wasserstein(x, y, a, b, p=1) == pytest.approx(abs(lam - mu), abs=1e-9)


def test_poisson_truncation_tail_bound():
    for lam in (0.1, 3.0, 50.0):
        support, _ = discrete_distribution("poisson", lam, tail=1e-9)
        assert stats.poisson.sf(support[-1], lam) < 1e-9 <= stats.poisson.sf(support[-1] - 1, lam)


@pytest.mark.parametrize("h", [1e-1, 1e-3, 1e-5])
def test_small_lattice_steps_cost_a_whole_unit(h):
    # Quantile functions of Poisson(4) and Poisson(4 + h) differ by 0 or 1, so W2^2 = W1 = h.
    x, a = discrete_distribution("poisson", 4.0)
    y, b = discrete_distribution("poisson", 4.0 + h)
    w1 = quantile_wasserstein(x, y, a, b, p=1)
    w2 = quantile_wasserstein(x, y, a, b, p=2)
    assert w2**2 == pytest.approx(w1, rel=1e-9)
    assert w1 == pytest.approx(h, rel=1e-6)


def test_cramer_is_scipy_energy_distance_over_sqrt2():
    # The chapter uses l2^2 = energy_distance^2 / 2; check it against exact CDF integrals.
    for t1, t2 in ((0.2, 0.7), (0.63, 0.5), (0.0, 1.0)):
        x, a = discrete_distribution("bernoulli", t1)
        y, b = discrete_distribution("bernoulli", t2)
        assert stats.energy_distance(x, y, a, b) ** 2 / 2 == pytest.approx((t1 - t2) ** 2, abs=1e-14)
    x, a = discrete_distribution("poisson", 3.0)
    y, b = discrete_distribution("poisson", 5.0)
    top = int(max(x[-1], y[-1]))
    grid = np.arange(top + 1)
    cdf_a = np.cumsum(np.bincount(x.astype(int), a, minlength=top + 1))
    cdf_b = np.cumsum(np.bincount(y.astype(int), b, minlength=top + 1))
    exact = np.sum((cdf_a - cdf_b)[:-1] ** 2 * np.diff(grid))
    assert stats.energy_distance(x, y, a, b) ** 2 / 2 == pytest.approx(exact, rel=1e-12)


# ---- properties on valid input -----------------------------------------------------------------------------

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
positive = st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False)


@st.composite
def weighted_points(draw):
    n = draw(st.integers(1, 12))
    x = draw(arrays(np.float64, n, elements=finite))
    a = draw(arrays(np.float64, n, elements=positive))
    return x, a


@settings(max_examples=60, deadline=None)
@given(weighted_points(), weighted_points(), st.sampled_from([1, 2, 3.5]))
def test_valid_input_gives_a_finite_symmetric_distance(first, second, p):
    (x, a), (y, b) = first, second
    d = quantile_wasserstein(x, y, a, b, p=p)
    assert np.isfinite(d) and d >= 0
    assert quantile_wasserstein(y, x, b, a, p=p) == pytest.approx(d, rel=1e-12, abs=1e-12)
    assert quantile_wasserstein(x, x, a, a, p=p) == 0.0
    # The distance of order p is at least the distance of order 1 (Jensen), up to rounding.
    assert d >= quantile_wasserstein(x, y, a, b, p=1) * (1 - 1e-12) - 1e-9


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.sampled_from([1, 2, 4]))
def test_bernoulli_valid_input(t1, t2, p):
    d = bernoulli_wasserstein(t1, t2, p=p)
    assert np.isfinite(d) and d >= 0 and d == bernoulli_wasserstein(t2, t1, p=p)


# ---- bad input is rejected, naming the argument --------------------------------------------------------------

bad_number = st.sampled_from([float("nan"), float("inf"), -float("inf")])


@settings(max_examples=30, deadline=None)
@given(weighted_points(), bad_number, st.sampled_from(["x", "y", "a", "b"]))
def test_non_finite_input_is_rejected(points, bad, where):
    x, a = points
    args = {"x": x.copy(), "y": x.copy(), "a": a.copy(), "b": a.copy()}
    args[where][0] = bad
    with pytest.raises(ValueError, match=rf"\b{where}\b"):
        quantile_wasserstein(**args)


@settings(max_examples=30, deadline=None)
@given(weighted_points(), st.floats(-1e3, -1e-9), st.sampled_from(["a", "b"]))
def test_negative_weights_are_rejected(points, negative, where):
    x, a = points
    args = {"x": x, "y": x, "a": a.copy(), "b": a.copy()}
    args[where][0] = negative
    with pytest.raises(ValueError, match=rf"\b{where}\b"):
        quantile_wasserstein(**args)


@settings(max_examples=30, deadline=None)
@given(st.one_of(st.floats(-10, 0.999), bad_number))
def test_order_below_one_is_rejected(p):
    with pytest.raises(ValueError, match=r"\bp\b"):
        quantile_wasserstein([0.0, 1.0], [0.5], p=p)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"x": [], "y": [1.0]}, "x"),
        ({"x": [[0.0, 1.0]], "y": [1.0]}, "x"),
        ({"x": ["a", "b"], "y": [1.0]}, "x"),
        ({"x": [0.0], "y": None}, "y"),
        ({"x": [0.0, 1.0], "y": [1.0], "a": [1.0]}, "a"),
        ({"x": [0.0, 1.0], "y": [1.0], "a": [0.0, 0.0]}, "a"),
        ({"x": [0.0, 1.0], "y": [1.0], "b": [1.0, 2.0]}, "b"),
        ({"x": [0.0, 1.0], "y": [1.0], "p": "2"}, "p"),
        ({"x": [0.0, 1.0], "y": [1.0], "p": True}, "p"),
    ],
)
def test_malformed_input_is_rejected(kwargs, name):
    with pytest.raises(BAD, match=rf"\b{name}\b"):
        quantile_wasserstein(**kwargs)


@settings(max_examples=30, deadline=None)
@given(st.one_of(st.floats(-1e3, -1e-9), st.floats(1 + 1e-9, 1e3), bad_number), st.sampled_from(["theta1", "theta2"]))
def test_bernoulli_probability_outside_unit_interval_is_rejected(bad, where):
    args = {"theta1": 0.3, "theta2": 0.6}
    args[where] = bad
    with pytest.raises(ValueError, match=where):
        bernoulli_wasserstein(**args)


@pytest.mark.parametrize(
    ("args", "error", "name"),
    [
        (("gaussian", 0.5), ValueError, "family"),
        ((3, 0.5), TypeError, "family"),
        (("bernoulli", 1.5), ValueError, "theta"),
        (("bernoulli", [0.2, 0.3]), ValueError, "theta"),
        (("bernoulli", "0.5"), TypeError, "theta"),
        (("bernoulli", True), TypeError, "theta"),
        (("poisson", 0.0), ValueError, "theta"),
        (("poisson", -2.0), ValueError, "theta"),
        (("poisson", float("nan")), ValueError, "theta"),
        (("poisson", [4.0]), TypeError, "theta"),
    ],
)
def test_discrete_distribution_rejects_bad_input(args, error, name):
    with pytest.raises(error, match=name):
        discrete_distribution(*args)


@pytest.mark.parametrize("tail", [0.0, 1.0, -1e-3, float("nan")])
def test_poisson_tail_must_be_a_probability(tail):
    with pytest.raises(ValueError, match="tail"):
        discrete_distribution("poisson", 2.0, tail=tail)
