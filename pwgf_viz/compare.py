r"""Bias and spread of gradient estimators, measured against the exact gradient.

For a problem :math:`(f, \text{family}, \theta)` and an estimator with single-draw estimates
:math:`\hat g_1, \dots, \hat g_n`, the book reports (chapter 1, ``eq-bias-std``):

.. math::

    \text{bias} = \Big\|\tfrac1n \textstyle\sum_i \hat g_i - \nabla L(\theta)\Big\|_2, \qquad
    \text{std} = \Big(\operatorname{tr} \widehat{\operatorname{Cov}}(\hat g)\Big)^{1/2},

with the bias's Monte Carlo standard error :math:`\text{std}/\sqrt{n}`: a bias below about three standard
errors is indistinguishable from zero at this sample size. When the draws are not independent, as with the option
``groups`` :math:`G` of ``reinforce_baseline`` (each draw's baseline comes from the other draws of its group), the
standard error is that of the :math:`G` independent group means instead (:func:`estimator_stats`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from . import tables
from .estimators import get_estimator, gradient_samples
from .exact import exact_gradient
from .objectives import Objective
from .validation import check_count, check_family, check_parameter


@dataclass(frozen=True)
class Problem:
    """An objective, a family and a parameter: one column of the book's comparison tables.

    Parameters
    ----------
    name : str
        The column's heading.
    f : callable
        The objective (:mod:`pwgf_viz.objectives`), mapping samples of shape ``(m, *theta.shape)`` to ``(m,)``.
    family : {"bernoulli", "categorical", "poisson"}
        The family of :math:`p_\\theta`.
    theta : array_like or torch.Tensor
        Its parameter, in the family's range; stored as a detached float64 tensor.
    """

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
    """Summary of ``n`` draws of one estimator on one problem, as :func:`estimator_stats` returns it.

    Parameters
    ----------
    problem : str
        The problem's :attr:`Problem.name`.
    estimator : str
        The estimator's name.
    n : int
        The number of draws.
    mean : torch.Tensor
        The mean estimate, of ``theta``'s shape.
    exact : torch.Tensor
        The exact gradient, of ``theta``'s shape.
    bias : float
        :math:`\\|\\text{mean} - \\nabla L\\|_2` (``eq-bias-std``).
    bias_se : float
        The bias's Monte Carlo standard error.
    std : float
        The spread of a single draw, :math:`(\\operatorname{tr}\\widehat{\\operatorname{Cov}})^{1/2}`.
    """

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
    r"""Draw ``n`` estimates (or use the given ``samples``) and compare their mean with the exact gradient.

    Parameters
    ----------
    problem : Problem
        The objective, family and parameter.
    estimator : str
        A name of :data:`pwgf_viz.ESTIMATORS`.
    n, seed : int
        Number of draws and their seed (ignored when ``samples`` is given).
    samples : torch.Tensor, optional
        Estimates already drawn, shape ``(n, *theta.shape)``.
    \*\*options
        The estimator's options. With ``groups`` :math:`G > 1` (``reinforce_baseline``) the draws of a group share
        their baselines, so only the :math:`G` group means are independent: the bias's standard error is then the
        spread of a group mean over :math:`\sqrt{G}`, not ``std`` over :math:`\sqrt{n}`.

    Returns
    -------
    EstimatorStats
        Mean, bias, the bias's standard error, and ``std``, the spread of a single draw.
    """
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
    std = _spread(flat)
    groups = options.get("groups", 1)
    bias_se = std / math.sqrt(flat.shape[0]) if groups == 1 else _grouped_se(flat, groups)
    return EstimatorStats(problem.name, get_estimator(estimator).name, flat.shape[0], mean.reshape(exact.shape),
                          exact, float((mean - exact.reshape(-1)).norm()), bias_se, std)


def _spread(flat: torch.Tensor) -> float:
    """Square root of the total sample variance of the rows of ``flat``."""
    return math.sqrt(float(flat.var(0, unbiased=True).sum()))


def _grouped_se(flat: torch.Tensor, groups: object) -> float:
    """Standard error of the mean of rows in ``groups`` interleaved groups (row ``i`` in group ``i mod G``)."""
    groups = check_count(groups, "groups", minimum=2, maximum=flat.shape[0] // 2)
    if flat.shape[0] % groups:
        raise ValueError(f"groups must divide the number of draws n = {flat.shape[0]}; got groups = {groups}")
    means = flat.reshape(flat.shape[0] // groups, groups, -1).mean(0)
    return _spread(means) / math.sqrt(groups)


def comparison(problems: Sequence[Problem], estimators: Sequence[str], n: int = 10_000,
               seed: int = 0) -> list[EstimatorStats]:
    """Stats of every estimator that supports each problem's family, in order.

    Parameters
    ----------
    problems : sequence of Problem
        The problems, outer loop.
    estimators : sequence of str
        Names of :data:`pwgf_viz.ESTIMATORS`, inner loop; those that do not support a problem's family are skipped.
    n, seed : int
        As in :func:`estimator_stats` (the same seed for every pair).

    Returns
    -------
    list of EstimatorStats
        One per supported (problem, estimator) pair, problem-major.
    """
    return [estimator_stats(problem, name, n, seed)
            for problem in problems for name in estimators
            if problem.family in get_estimator(name).families]


def markdown_table(stats: Sequence[EstimatorStats], estimators: Sequence[str], spec: str = ".3f") -> str:
    """A Markdown table: one row per estimator, one column per problem, cells ``bias / std`` (blank: unsupported).

    The first row gives each problem's exact gradient norm, the scale against which bias and std are read.

    Parameters
    ----------
    stats : sequence of EstimatorStats
        From :func:`comparison` or :func:`estimator_stats`; at least one.
    estimators : sequence of str
        The rows, in order.
    spec : str, default ".3f"
        The format of the numbers (``".3f"``: three decimals; ``".3g"``: three significant digits).

    Returns
    -------
    str
        The table, as :func:`bias_std_table` lays it out.
    """
    if not stats:
        raise ValueError("stats must hold at least one EstimatorStats (from comparison or estimator_stats)")
    norms = {s.problem: float(s.exact.norm()) for s in stats}
    return bias_std_table(norms, {(s.problem, s.estimator): (s.bias, s.std) for s in stats}, estimators, spec)


def bias_std_table(norms: Mapping[str, float], cells: Mapping[tuple[str, str], tuple[float, float]],
                   estimators: Sequence[str], spec: str = ".3f") -> str:
    """The layout of the book's bias tables (:func:`markdown_table`, and the toy chapter's).

    Parameters
    ----------
    norms : mapping
        Problem -> exact gradient norm; its keys, in order, are the columns.
    cells : mapping
        (problem, estimator) -> (bias, std); a missing pair is a blank cell.
    estimators : sequence of str
        The rows, in order.
    spec : str
        Format spec of the numbers, e.g. ``".3f"`` or ``".3g"``.

    Returns
    -------
    str
        A first row of the exact norms in italics, then one row per estimator, cells ``bias / std``.
    """
    if not norms:
        raise ValueError("norms must give the exact gradient norm of at least one problem (a column)")
    try:
        format(1.0, spec)
    except (TypeError, ValueError) as error:
        raise ValueError(f"spec must be a float format spec such as '.3f' or '.3g'; got {spec!r}") from error
    problems = list(norms)
    rows = [["*exact ‖∇L‖*", *(f"*{norms[p]:{spec}}*" for p in problems)]]
    for e in estimators:
        rows.append([f"`{e}`", *(_bias_std(cells[p, e], spec) if (p, e) in cells else "" for p in problems)])
    return tables.markdown(["estimator", *problems], rows)


def _bias_std(cell: tuple[float, float], spec: str) -> str:
    bias, std = cell
    return f"{bias:{spec}}{tables.NBSP}/{tables.NBSP}{std:{spec}}"
