r"""Gradient descent on the parameter of a discrete family, driven by any estimator or the exact gradient.

One step (chapter 1, ``eq-sgd``) is

.. math:: \theta_{t+1} = \Pi\big(\theta_t - \eta\, \bar g_t\big), \qquad
          \bar g_t = \tfrac1m \textstyle\sum_{j=1}^m \hat g_{t,j},

with :math:`m` single-draw estimates (or the exact gradient) and :math:`\Pi` the clip to the family's
parameter range (:math:`[\delta, 1-\delta]` for probabilities, :math:`[\delta, \infty)` for rates, none for
logits), :math:`\delta` = :data:`EDGE`.
"""

from __future__ import annotations

import numpy as np
import torch

from .estimators import get_estimator, gradient_samples
from .exact import exact_gradient
from .objectives import Objective
from .validation import check_count, check_family, check_parameter, check_positive

EDGE = 1e-3
EXACT = "exact"


def clip_to_family(family: str, theta: torch.Tensor) -> torch.Tensor:
    """Project a parameter back into the family's range, :math:`\\delta` away from its edges.

    Parameters
    ----------
    family : {"bernoulli", "categorical", "poisson"}
        The family whose range ``theta`` is brought back into.
    theta : torch.Tensor
        A parameter (possibly out of range after a step).

    Returns
    -------
    torch.Tensor
        ``theta`` clamped to :math:`[\\delta, 1 - \\delta]` (Bernoulli) or :math:`[\\delta, \\infty)` (Poisson),
        :math:`\\delta` = :data:`EDGE`; logits unchanged.
    """
    if family == "bernoulli":
        return theta.clamp(EDGE, 1 - EDGE)
    if family == "poisson":
        return theta.clamp(min=EDGE)
    return theta


def sgd_trajectory(estimator: str, f: Objective, family: str, theta0: object, lr: float, steps: int,
                   samples_per_step: int = 1, seed: int = 0, **options: object) -> np.ndarray:
    """The iterates :math:`\\theta_0, \\dots, \\theta_T` of eq. ``eq-sgd``, shape ``(steps + 1, *theta0.shape)``.

    ``estimator`` is a name from :data:`pwgf_viz.ESTIMATORS` or ``"exact"`` for full gradient descent.
    Step ``t`` draws with seed ``seed + t``, so trajectories are reproducible.

    Parameters
    ----------
    estimator : str
        A key of :data:`pwgf_viz.ESTIMATORS` supporting ``family``, or ``"exact"``.
    f : callable
        The objective (e.g. an :class:`~pwgf_viz.objectives.Objective`), mapping ``(n, *theta0.shape)`` to ``(n,)``.
    family : {"bernoulli", "categorical", "poisson"}
        The family.
    theta0 : array_like or torch.Tensor
        The starting parameter, in the family's range.
    lr : float
        The step size :math:`\\eta > 0`, finite.
    steps : int
        Number of steps :math:`T`, in [1, 100000].
    samples_per_step : int, default 1
        Estimates :math:`m` averaged per step, >= 1 (ignored for ``"exact"``).
    seed : int, default 0
        Seed of the first step's draws.
    \\*\\*options
        The estimator's options (e.g. ``temperature``).

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(steps + 1, *theta0.shape)``, the start first. Raises ``ValueError`` if an iterate
        overflows.
    """
    family = check_family(family)
    theta = check_parameter(family, theta0, "theta0").detach().double()
    lr = check_positive(lr, "lr")
    steps = check_count(steps, "steps", minimum=1, maximum=100_000)
    samples_per_step = check_count(samples_per_step, "samples_per_step")
    if estimator != EXACT:
        get_estimator(estimator).check_family(family)
    path = [theta.clone()]
    for t in range(steps):
        if estimator == EXACT:
            grad = exact_gradient(f, family, theta)
        else:
            grad = gradient_samples(estimator, f, family, theta, samples_per_step, seed=seed + t, **options).mean(0)
        theta = clip_to_family(family, theta - lr * grad)
        if not bool(torch.isfinite(theta).all()):
            raise ValueError(f"the iterate overflowed at step {t + 1}: lr = {lr:g} is too large for this objective")
        path.append(theta.clone())
    return torch.stack(path).numpy()
