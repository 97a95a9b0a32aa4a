r"""The one rule by which the experiment chapters (Part IV) call an estimator *comparable or better* or *clearly
better* than a rival.

Given the per-seed scores :math:`x_1, \dots, x_{n}` of an estimator and :math:`y_1, \dots, y_{m}` of a rival, with
means :math:`\bar x, \bar y` and sample variances :math:`s_x^2, s_y^2`, :func:`welch_verdict` computes Welch's test
of the difference of means:

.. math::

    d = \bar x - \bar y, \qquad
    \mathrm{se} = \sqrt{\frac{s_x^2}{n} + \frac{s_y^2}{m}}, \qquad
    \nu = \frac{\big(s_x^2/n + s_y^2/m\big)^2}{\frac{(s_x^2/n)^2}{n - 1} + \frac{(s_y^2/m)^2}{m - 1}}
    \quad\text{(Welch–Satterthwaite)},

and the two-sided 95 % quantile :math:`t = t_{0.975}(\nu)` of Student's distribution with :math:`\nu` degrees of
freedom. Where lower scores are better (a loss, a relative gap), the estimator is

- *comparable or better* when :math:`d \le t\,\mathrm{se}`: the rival is not significantly better;
- *clearly better* when :math:`d < -t\,\mathrm{se}`: it is significantly better than the rival.

Where higher scores are better (an ELBO), the same holds with :math:`-d` in place of :math:`d`. The threshold
:math:`t` grows as the seeds get fewer (:math:`t \approx 2.78` at :math:`\nu = 4`, :math:`2.26` at :math:`9`,
:math:`1.96` in the limit), so the rule says how many seeds a verdict rests on instead of a fixed "two standard
errors".
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import NamedTuple

from scipy import stats

from .results import mean_sd
from .validation import check_array, check_count

#: Two-sided level of the verdicts: the quantile is :math:`t_{(1 + 0.95)/2}(\nu)`.
LEVEL = 0.95
#: The directions a score can be read in.
DIRECTIONS = ("lower", "higher")


class Verdict(NamedTuple):
    """Welch's comparison of an estimator's scores with a rival's (module docstring).

    ``difference`` is the estimator's mean minus the rival's, as measured (not turned by ``better``); ``se`` its
    standard error, ``df`` the Welch–Satterthwaite degrees of freedom, ``t`` the two-sided 95 % quantile at ``df``.
    """

    difference: float
    se: float
    df: float
    t: float
    comparable_or_better: bool
    clearly_better: bool

    @property
    def z(self) -> float:
        """The difference in standard errors (a floor of :math:`10^{-12}` on the standard error)."""
        return self.difference / max(self.se, 1e-12)

    @property
    def clearly_worse(self) -> bool:
        """The rival is clearly better: the estimator is not comparable or better."""
        return not self.comparable_or_better


def _summary(values: Sequence[float], name: str) -> tuple[float, float, int]:
    """Mean, sample standard deviation and size of a one-dimensional sample of at least two finite numbers."""
    array = check_array(values, name, ndim=1, scalar=False)
    if array.size < 2:
        raise ValueError(f"{name} must hold at least two scores (one per seed); got {array.size}")
    mean, sd = mean_sd(array.tolist())
    return mean, sd, array.size


def welch_df(variance_a: float, n_a: int, variance_b: float, n_b: int) -> float:
    r"""The Welch–Satterthwaite degrees of freedom :math:`\nu` of two samples (module docstring).

    Parameters
    ----------
    variance_a, variance_b : float
        Sample variances (``ddof=1``) of the two samples, finite and >= 0.
    n_a, n_b : int
        Their sizes, at least 2.

    Returns
    -------
    float
        :math:`\nu`, between :math:`\min(n_a, n_b) - 1` and :math:`n_a + n_b - 2`. When both variances are zero the
        formula is 0/0; its limit for equal variances and sizes, :math:`n_a + n_b - 2`, is returned.
    """
    for name, value in (("variance_a", variance_a), ("variance_b", variance_b)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a finite number >= 0; got {type(value).__name__}")
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    n_a, n_b = check_count(n_a, "n_a", minimum=2), check_count(n_b, "n_b", minimum=2)
    a, b = variance_a / n_a, variance_b / n_b
    if a + b == 0:
        return float(n_a + n_b - 2)
    return (a + b) ** 2 / (a**2 / (n_a - 1) + b**2 / (n_b - 1))


def welch_verdict(scores: Sequence[float], rival_scores: Sequence[float], better: str = "lower") -> Verdict:
    r"""Compare per-seed ``scores`` of an estimator with a rival's by Welch's test (module docstring).

    Parameters
    ----------
    scores, rival_scores : sequence of float
        Final scores, one per seed, at least two finite numbers each.
    better : {"lower", "higher"}
        Which direction of the score is better: ``"lower"`` for a loss or a relative gap, ``"higher"`` for an ELBO.

    Returns
    -------
    Verdict
        The difference of means :math:`d = \bar x - \bar y`, its standard error, the degrees of freedom
        :math:`\nu`, the quantile :math:`t = t_{0.975}(\nu)`, and the verdicts: with ``better="lower"``
        comparable or better when :math:`d \le t\,\mathrm{se}`, clearly better when :math:`d < -t\,\mathrm{se}`;
        with ``better="higher"`` the same for :math:`-d`.
    """
    if better not in DIRECTIONS:
        raise ValueError(f"better must be one of {DIRECTIONS}; got {better!r}")
    mean, sd, n = _summary(scores, "scores")
    rival_mean, rival_sd, m = _summary(rival_scores, "rival_scores")
    difference = mean - rival_mean
    se = math.sqrt(sd**2 / n + rival_sd**2 / m)
    df = welch_df(sd**2, n, rival_sd**2, m)
    t = float(stats.t.ppf((1 + LEVEL) / 2, df))
    loss = difference if better == "lower" else -difference   # how much worse than the rival
    return Verdict(difference, se, df, t, loss <= t * se, loss < -t * se)
