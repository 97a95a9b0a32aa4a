r"""Exact scoring of the toy runs of Part IV: every iterate's loss by enumeration, as a relative gap.

A run of :mod:`pwgf_viz.toy_training` is scored by the exact loss :math:`L(\theta_t)` of every iterate
(:func:`exact_losses`) as the *relative gap* (chapter ``toy-experiments``, eq. ``eq-relative-gap``)

.. math:: \Delta_t = \frac{L(\theta_t) - L^\star}{L(\theta_0) - L^\star}, \qquad L^\star = \inf_\theta L(\theta),

1 at the start, 0 at the optimum (:func:`relative_gap`, with :math:`L^\star` from :func:`loss_minimum`). A run's
score, its *final gap*, is the mean of :math:`\Delta_t` over its last :data:`FINAL_FRACTION` of steps
(:func:`final_gap`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import torch
from scipy import optimize

from . import families
from .exact import enumerate_support, exact_expectation
from .objectives import Objective
from .validation import check_family, check_objective, check_parameter

if TYPE_CHECKING:
    from .toy_problems import ToyProblem

#: Fraction of the last steps over which a run's final gap is averaged.
FINAL_FRACTION = 0.1


def loss_minimum(f: Objective, family: str, theta: torch.Tensor) -> float:
    r""":math:`L^\star = \inf_\theta L(\theta)` over the family, for parameters of ``theta``'s shape.

    Bernoulli: :math:`L` is affine in each :math:`p_i`, so the infimum is :math:`\min_z f(z)` over the vertices
    (enumerated). Poisson (one rate): a bounded scalar minimisation of the exact :math:`L` over
    :math:`\log\lambda \in [-7, 4]`.

    Parameters
    ----------
    f : callable
        The objective (:mod:`pwgf_viz.objectives`).
    family : {"bernoulli", "poisson"}
        The family of :math:`p_\theta`.
    theta : torch.Tensor
        A parameter of the family: only its shape matters; a single rate for the Poisson family.

    Returns
    -------
    float
        :math:`L^\star`. Raises ``ValueError`` when the Poisson minimum lies at the edge of the searched rates.
    """
    f = check_objective(f)
    family = check_family(family)
    theta = check_parameter(family, theta).detach().double()
    if family == "bernoulli":
        return min(float(f(z).min()) for z in enumerate_support(family, torch.full_like(theta, 0.5)))
    if family != "poisson" or theta.numel() != 1:
        raise ValueError("loss_minimum handles Bernoulli parameters of any shape and a single Poisson rate; "
                         f"got family {family!r} with shape {tuple(theta.shape)}")
    shape = theta.shape
    result = optimize.minimize_scalar(lambda s: exact_expectation(f, family, torch.full(shape, math.exp(s))),
                                      bounds=(-7.0, 4.0), method="bounded", options={"xatol": 1e-10})
    if not -7.0 + 1e-6 < result.x < 4.0 - 1e-6:
        raise ValueError(f"f's exact loss is smallest at the edge of the searched rates (log rate {result.x:.3f} in "
                         f"[-7, 4]): its infimum over the Poisson family is not attained inside; choose another f")
    return float(result.fun)


def exact_losses(f: Objective, family: str, path: object) -> np.ndarray:
    r"""The exact loss :math:`L(\theta_t)` of every iterate of ``path`` (shape ``(T, *S)``), by enumeration.

    Vectorised over iterates: the support is enumerated once (Poisson: truncated at the largest rate of the path,
    which bounds the tail of every iterate, as in :mod:`pwgf_viz.exact`).

    Parameters
    ----------
    f, family
        As in :func:`loss_minimum`.
    path : numpy.ndarray or torch.Tensor
        The iterates :math:`\theta_0, \dots, \theta_T`, shape ``(T + 1, *S)``, each in the family's range.

    Returns
    -------
    numpy.ndarray
        :math:`L(\theta_t)`, float64, shape ``(T + 1,)``; row by row equal to
        :func:`~pwgf_viz.exact.exact_expectation`.
    """
    f = check_objective(f)
    family = check_family(family)
    if family == "categorical":
        raise ValueError("exact_losses handles the families 'bernoulli' and 'poisson'; got 'categorical'")
    if isinstance(path, np.ndarray):
        path = torch.from_numpy(np.ascontiguousarray(path, dtype=np.float64))
    path = check_parameter(family, path, "path").detach().double()
    if path.dim() < 2:
        raise ValueError(f"path must have shape (T, *theta.shape), one row per iterate; got {tuple(path.shape)}")
    reference = path.max(0).values
    totals = torch.zeros(path.shape[0], dtype=torch.float64)
    for z in enumerate_support(family, reference):
        values = f(z).detach().double()
        block = max(1, 2_000_000 // max(1, z.numel()))
        for start in range(0, path.shape[0], block):
            rows = path[start:start + block]
            log_p = families.log_prob(family, rows[:, None], z[None].expand((rows.shape[0],) + tuple(z.shape)),
                                      sample_dims=2)
            totals[start:start + block] += log_p.exp() @ values
    return totals.numpy()


def relative_gap(problem: ToyProblem, losses: np.ndarray) -> np.ndarray:
    """:math:`\\Delta_t` of eq. ``eq-relative-gap`` for exact losses of a run of ``problem``.

    Parameters
    ----------
    problem : ToyProblem
        The run's problem; its start gives :math:`L(\\theta_0)` and its ``minimum`` :math:`L^\\star`.
    losses : numpy.ndarray
        Exact losses of the iterates (:func:`exact_losses`).

    Returns
    -------
    numpy.ndarray
        :math:`(L(\\theta_t) - L^\\star)/(L(\\theta_0) - L^\\star)`, of the shape of ``losses``.
    """
    initial = exact_expectation(problem.f, problem.family, problem.theta0)
    return (np.asarray(losses, dtype=float) - problem.minimum) / (initial - problem.minimum)


def final_gap(gap: np.ndarray) -> float:
    """A run's score: the mean relative gap over its last :data:`FINAL_FRACTION` of steps (at least one).

    Parameters
    ----------
    gap : numpy.ndarray
        The relative gaps :math:`\\Delta_0, \\dots, \\Delta_T` of a run of :math:`T` steps (:func:`relative_gap`).

    Returns
    -------
    float
        The mean of the last :math:`\\max(1, \\mathrm{round}(T \\cdot \\mathrm{FINAL\\_FRACTION}))` entries.
    """
    gap = np.asarray(gap, dtype=float)
    if gap.ndim != 1 or gap.size < 2:
        raise ValueError(f"gap must be one relative gap per iterate of a run, at least two; got shape {gap.shape}")
    tail = max(1, round(FINAL_FRACTION * (gap.size - 1)))
    return float(gap[-tail:].mean())
