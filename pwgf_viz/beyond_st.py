r"""Part VI (chapter ``beyond-straight-through``): the estimators after ReinMax against the exact gradient.

- :func:`enumerated_mean`: the exact mean of an estimator whose draw depends on the discrete sample alone
  (``st``, ``pwgf``, ``reinmax``, ``zgr``, ``gapped_st``), by enumeration of the support;
- :func:`bias_spread`: bias norm (exact when enumerable, else Monte Carlo with its standard error) and
  spread :math:`(\mathrm{tr}\,\mathrm{Cov})^{1/2}` of single-draw estimates (``eq-bias-std``);
- :func:`simplex_grid`: interior points of the 3-category simplex, as logits;
- :func:`zgr_limit_gap`: how far the Gumbel-Rao Jacobian at temperature :math:`\tau` is from the ZGR one.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from . import layers
from .compare import Problem, estimator_stats
from .estimators import get_estimator
from .exact import ENUMERABLE_ESTIMATORS, exact_mean
from .objectives import Objective
from .validation import check_count, check_parameter

#: Estimators whose draw is a function of the discrete sample (their exact mean is a finite sum).
ENUMERABLE = ENUMERABLE_ESTIMATORS


def enumerated_mean(estimator: str, f: Objective, family: str, theta: object, **options: object) -> torch.Tensor:
    r"""The exact mean :math:`\sum_z p_\theta(z)\,\hat g(z)` of an estimator in :data:`ENUMERABLE`
    (:func:`pwgf_viz.exact.exact_mean`, under the name the chapter uses).

    Parameters
    ----------
    estimator : str
        A name in :data:`ENUMERABLE`.
    f : callable
        The objective, differentiable in ``z``, mapping ``(n, *S)`` to ``(n,)``.
    family : {"bernoulli", "categorical"}
        The family (``st``, ``pwgf`` also accept ``"poisson"`` through :func:`pwgf_viz.exact.exact_mean`).
    theta : array_like
        Probabilities or logits of shape ``S``.
    \*\*options
        The estimator's options (``gap``, ``temperature``).

    Returns
    -------
    torch.Tensor
        The mean, float64, of ``theta``'s shape.
    """
    return exact_mean(estimator, f, family, theta, **options)


class BiasSpread(NamedTuple):
    """Bias norm, its standard error (0 when exact), spread, and whether the bias was enumerated."""

    bias: float
    bias_se: float
    spread: float
    exact: bool


def bias_spread(estimator: str, f: Objective, family: str, theta: object, n: int = 4000, seed: int = 0,
                **options: object) -> BiasSpread:
    r"""Bias :math:`\|\mathbb{E}\hat g - \nabla L\|` and spread :math:`(\mathrm{tr}\,\mathrm{Cov}\,\hat g)^{1/2}`.

    The bias is exact (enumeration, :func:`enumerated_mean`) for the estimators of :data:`ENUMERABLE`, and a
    Monte Carlo estimate from ``n`` draws with its standard error otherwise; the spread is always from the
    ``n`` draws (:func:`pwgf_viz.compare.estimator_stats`).

    Parameters
    ----------
    estimator : str
        A key of :data:`~pwgf_viz.estimators.ESTIMATORS` supporting ``family``.
    f : callable
        The objective, mapping ``(n, *S)`` to ``(n,)`` (differentiable for the pathwise estimators).
    family : {"bernoulli", "categorical", "poisson"}
        The family.
    theta : array_like
        Its parameter of shape ``S``, in the family's range.
    n : int, default 4000
        Draws of the Monte Carlo estimates, >= 2.
    seed : int, default 0
        Seed of the draws.
    \*\*options
        The estimator's options.

    Returns
    -------
    BiasSpread
        ``bias`` (norm), ``bias_se`` (0 when exact), ``spread`` and ``exact`` (whether the bias was enumerated).
    """
    n = check_count(n, "n", minimum=2)
    est = get_estimator(estimator)
    problem = Problem("point", f, family, torch.as_tensor(theta, dtype=torch.float64))
    stats = estimator_stats(problem, est.name, n, seed, **options)
    if est.name in ENUMERABLE and family in est.families:
        mean = enumerated_mean(est.name, f, family, problem.theta, **options)
        return BiasSpread(float((mean - stats.exact).norm()), 0.0, stats.std, True)
    return BiasSpread(stats.bias, stats.bias_se, stats.std, False)


def simplex_grid(step: int = 10) -> torch.Tensor:
    r"""Logits :math:`\log\pi` of the interior grid points :math:`\pi = (i, j, k)/\text{step}`, :math:`i, j, k \ge 1`.

    Returns a float64 tensor of shape ``(m, 3)``, :math:`m = (\text{step}-1)(\text{step}-2)/2`.

    Parameters
    ----------
    step : int, default 10
        The grid's denominator, in [3, 200].

    Returns
    -------
    torch.Tensor
        float64 logits of shape ``(m, 3)`` (each row's softmax is its grid point).
    """
    step = check_count(step, "step", minimum=3, maximum=200)
    points = [(i, j, step - i - j) for i in range(1, step - 1) for j in range(1, step - i)]
    return torch.log(torch.tensor(points, dtype=torch.float64) / step)


def zgr_limit_gap(theta: object, temperature: float, samples: int = 100_000, seed: int = 0) -> float:
    r"""Largest entry of :math:`|\mathbb{E}_K[J(\mathrm{softmax}((\theta+G)/\tau))/\tau \mid D] - J_{\mathrm{ZGR}}(D)|`.

    The Gumbel-Rao Jacobian averaged over ``samples`` conditional draws
    (:func:`pwgf_viz.layers.conditional_gumbel_logits`),
    against :math:`\tfrac12(J(\pi) + (D-\pi)(D-\pi)^\top)` (``eq-zgr``), maximised over the categories :math:`D`.

    Parameters
    ----------
    theta : array_like
        One vector of logits, shape ``(K,)`` with ``K >= 2``.
    temperature : float
        :math:`\tau > 0`.
    samples : int, default 100000
        Conditional Gumbel draws per category, in [1, 10**7].
    seed : int, default 0
        Seed of the draws; the global random state is restored after.

    Returns
    -------
    float
        The largest absolute entry of the difference, >= 0.
    """
    theta = check_parameter("categorical", theta).detach().to(torch.float64)
    if theta.dim() != 1:
        raise ValueError(f"theta must be one vector of logits; got shape {tuple(theta.shape)}")
    samples = check_count(samples, "samples", minimum=1, maximum=10**7)
    pi = torch.softmax(theta, -1)
    worst = 0.0
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        for i in range(theta.numel()):
            z = torch.nn.functional.one_hot(torch.tensor(i), theta.numel()).to(theta.dtype)
            soft = torch.softmax(layers.conditional_gumbel_logits(theta, z, samples) / temperature, -1)
            jac = layers._softmax_jacobian(soft).mean(0) / temperature
            zgr = 0.5 * (layers._softmax_jacobian(pi) + torch.outer(z - pi, z - pi))
            worst = max(worst, float((jac - zgr).abs().max()))
    return worst


def mean_difference_z(a: torch.Tensor, b: torch.Tensor) -> float:
    """The largest absolute difference of the two samples' means in units of its standard error, over coordinates.

    ``a`` and ``b`` are independent samples of shape ``(n, ...)``.

    Parameters
    ----------
    a : torch.Tensor
        A sample, shape ``(n, ...)``, ``n >= 2``.
    b : torch.Tensor
        An independent sample, shape ``(m, ...)`` with the same trailing shape, ``m >= 2``.

    Returns
    -------
    float
        :math:`\\max_j |\\bar a_j - \\bar b_j| / \\mathrm{se}_j` (``nan`` or ``inf`` where a coordinate has zero
        variance in both samples).
    """
    a = a.reshape(a.shape[0], -1).double()
    b = b.reshape(b.shape[0], -1).double()
    se = (a.var(0) / a.shape[0] + b.var(0) / b.shape[0]).sqrt()
    return float(((a.mean(0) - b.mean(0)).abs() / se).max())


def spread(samples: torch.Tensor) -> float:
    r""":math:`(\mathrm{tr}\,\widehat{\mathrm{Cov}})^{1/2}` of ``(n, ...)`` samples.

    Parameters
    ----------
    samples : torch.Tensor
        Shape ``(n, ...)``, ``n >= 2``.

    Returns
    -------
    float
        The square root of the summed sample variances.
    """
    flat = samples.reshape(samples.shape[0], -1).double()
    return math.sqrt(float(flat.var(0).sum()))


__all__ = ["ENUMERABLE", "BiasSpread", "bias_spread", "enumerated_mean", "mean_difference_z", "simplex_grid",
           "spread", "zgr_limit_gap"]
