r"""Bias and spread of gradient estimators, measured against the exact gradient.

For a problem :math:`(f, \text{family}, \theta)` and an estimator with single-draw estimates
:math:`\hat g_1, \dots, \hat g_n`, the book reports (chapter 1, ``eq-bias-std``):

.. math::

    \text{bias} = \Big\|\tfrac1n \textstyle\sum_i \hat g_i - \nabla L(\theta)\Big\|_2, \qquad
    \text{std} = \Big(\operatorname{tr} \widehat{\operatorname{Cov}}(\hat g)\Big)^{1/2},

with the bias's Monte Carlo standard error :math:`\text{std}/\sqrt{n}`: a bias below about three standard
errors is indistinguishable from zero at this sample size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .estimators import get_estimator, gradient_samples
from .exact import exact_gradient
from .objectives import Objective
from .validation import check_count, check_family, check_parameter


@dataclass(frozen=True)
class Problem:
    """An objective, a family and a parameter: one row of the book's comparison tables."""

    name: str
    f: Objective
    family: str
    theta: torch.Tensor

    def __post_init__(self) -> None:
        check_family(self.family)
        object.__setattr__(self, "theta", check_parameter(self.family, self.theta).detach().double())

    def exact(self) -> torch.Tensor:
        """The exact gradient by enumeration."""
        return exact_gradient(self.f, self.family, self.theta)


@dataclass(frozen=True)
class EstimatorStats:
    """Summary of ``n`` draws of one estimator on one problem."""

    problem: str
    estimator: str
    n: int
    mean: torch.Tensor
    exact: torch.Tensor
    bias: float
    bias_se: float
    std: float


def estimator_stats(problem: Problem, estimator: str, n: int = 10_000, seed: int = 0,
                    samples: torch.Tensor | None = None, **options: object) -> EstimatorStats:
    """Draw ``n`` estimates (or use the given ``samples``) and compare their mean with the exact gradient."""
    n = check_count(n, "n", minimum=2)
    if samples is None:
        samples = gradient_samples(estimator, problem.f, problem.family, problem.theta, n, seed=seed, **options)
    elif not isinstance(samples, torch.Tensor):
        raise TypeError(f"samples must be a torch tensor of shape (n, *theta.shape); got {type(samples).__name__}")
    elif samples.dim() < 1 or samples.shape[0] < 2 or tuple(samples.shape[1:]) != tuple(problem.theta.shape):
        raise ValueError(f"samples must have shape (n, {', '.join(map(str, problem.theta.shape))}) with n >= 2; "
                         f"got {tuple(samples.shape)}")
    elif not bool(torch.isfinite(samples).all()):
        raise ValueError("samples must be finite; got NaN or infinite values")
    flat = samples.reshape(samples.shape[0], -1).double()
    exact = problem.exact()
    mean = flat.mean(0)
    std = math.sqrt(float(flat.var(0, unbiased=True).sum()))
    return EstimatorStats(problem.name, get_estimator(estimator).name, flat.shape[0], mean.reshape(exact.shape),
                          exact, float((mean - exact.reshape(-1)).norm()), std / math.sqrt(flat.shape[0]), std)


def comparison(problems: Sequence[Problem], estimators: Sequence[str], n: int = 10_000,
               seed: int = 0) -> list[EstimatorStats]:
    """Stats of every estimator that supports each problem's family, in order."""
    return [estimator_stats(problem, name, n, seed)
            for problem in problems for name in estimators
            if problem.family in get_estimator(name).families]


def markdown_table(stats: Sequence[EstimatorStats], estimators: Sequence[str]) -> str:
    """A Markdown table: one row per estimator, one column per problem, cells ``bias / std`` (blank: unsupported).

    The first row gives each problem's exact gradient norm, the scale against which bias and std are read.
    """
    if not stats:
        raise ValueError("stats must hold at least one EstimatorStats (from comparison or estimator_stats)")
    problems = list(dict.fromkeys(s.problem for s in stats))
    cell = {(s.problem, s.estimator): s for s in stats}
    exact = {s.problem: float(s.exact.norm()) for s in stats}
    rows = ["| estimator | " + " | ".join(problems) + " |", "|---|" + "---:|" * len(problems),
            "| *exact ‖∇L‖* | " + " | ".join(f"*{exact[p]:.3f}*" for p in problems) + " |"]
    for e in estimators:
        entries = [f"{cell[p, e].bias:.3f}\u00a0/\u00a0{cell[p, e].std:.3f}" if (p, e) in cell else ""
                   for p in problems]   # no-break spaces keep "bias / std" on one line
        rows.append(f"| `{e}` | " + " | ".join(entries) + " |")
    return "\n".join(rows)
