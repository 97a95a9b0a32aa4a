"""pwgf_viz.verdicts: Welch's comparison behind every "comparable or better" / "clearly better" of Part IV."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pwgf_viz.verdicts import Verdict, welch_df, welch_verdict


def test_welch_by_hand():
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 2.5, 3.0]
    v = welch_verdict(a, b)
    va, vb = np.var(a, ddof=1) / 4, np.var(b, ddof=1) / 3
    assert v.difference == pytest.approx(2.5 - 2.5)
    assert v.se == pytest.approx(math.sqrt(va + vb))
    assert v.df == pytest.approx((va + vb) ** 2 / (va**2 / 3 + vb**2 / 2))
    assert v.t == pytest.approx(stats.t.ppf(0.975, v.df))
    assert v.comparable_or_better and not v.clearly_better


@pytest.mark.parametrize("seed", range(20))
def test_clearly_better_is_scipy_welch_test_at_five_percent(seed):
    # The verdicts are the two-sided Welch t-test of scipy at level 0.05, read in the direction of the difference.
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0.0, 1.0, size=5), rng.normal(rng.uniform(-2.5, 2.5), rng.uniform(0.3, 2.0), size=7)
    v = welch_verdict(a.tolist(), b.tolist())
    test = stats.ttest_ind(a, b, equal_var=False)
    assert v.z == pytest.approx(test.statistic)
    significant = test.pvalue < 0.05
    assert v.clearly_better == (significant and v.difference < 0)
    assert v.comparable_or_better == (not significant or v.difference < 0)


def test_higher_is_better_turns_the_verdicts_not_the_difference():
    low, high = [1.0, 1.1, 0.9, 1.0], [2.0, 2.1, 1.9, 2.0]
    up = welch_verdict(high, low, better="higher")
    down = welch_verdict(high, low, better="lower")
    assert up.difference == down.difference == pytest.approx(1.0)
    assert up.clearly_better and up.comparable_or_better
    assert not down.clearly_better and not down.comparable_or_better and down.clearly_worse


def test_threshold_grows_as_seeds_get_fewer():
    # Same z = 2.2, two seeds fewer or more: the rule follows the number of seeds, not a fixed 2.
    def pair(n):
        base = np.linspace(-1.0, 1.0, n)
        base = base / base.std(ddof=1)
        return base.tolist(), (base - 2.2 * math.sqrt(2 / n)).tolist()

    few, many = welch_verdict(*pair(4)), welch_verdict(*pair(200))
    assert few.z == pytest.approx(2.2) and many.z == pytest.approx(2.2)
    assert few.df == pytest.approx(6.0) and few.t == pytest.approx(2.4469, abs=1e-4)
    assert few.comparable_or_better and not many.comparable_or_better
    assert 1.96 < many.t < 1.98


def test_degrees_of_freedom_limits():
    assert welch_df(1.0, 5, 1.0, 5) == pytest.approx(8.0)     # equal: n1 + n2 - 2
    assert welch_df(1.0, 5, 0.0, 9) == pytest.approx(4.0)     # one sample without spread: n1 - 1
    assert welch_df(0.0, 5, 0.0, 9) == 12.0                   # both: the limit n1 + n2 - 2
    v = welch_verdict([1.0, 1.0], [2.0, 2.0])
    assert v.se == 0.0 and v.clearly_better and v.z < -1e11


def test_verdict_is_a_plain_record():
    v = welch_verdict([0.0, 1.0], [0.0, 1.0])
    assert isinstance(v, Verdict) and v._fields == ("difference", "se", "df", "t", "comparable_or_better",
                                                    "clearly_better")


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: welch_verdict([1.0], [1.0, 2.0]), ValueError, "scores"),
    (lambda: welch_verdict([1.0, 2.0], [1.0, float("nan")]), ValueError, "rival_scores"),
    (lambda: welch_verdict("ab", [1.0, 2.0]), TypeError, "scores"),
    (lambda: welch_verdict([[1.0, 2.0]], [1.0, 2.0]), ValueError, "scores must be a 1-D"),
    (lambda: welch_verdict([1.0, 2.0], [1.0, 2.0], better="smaller"), ValueError, "better"),
    (lambda: welch_df(-1.0, 3, 1.0, 3), ValueError, "variance_a"),
    (lambda: welch_df(1.0, 3, "x", 3), TypeError, "variance_b"),
    (lambda: welch_df(1.0, 1, 1.0, 3), ValueError, "n_a"),
])
def test_bad_input_is_refused_by_name(call, error, match):
    with pytest.raises(error, match=match):
        call()
