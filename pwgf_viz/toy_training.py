r"""The training loop of the toy experiments of Part IV: Adam on the unconstrained parameter.

One run (chapter ``toy-experiments``, eq. ``eq-toy-adam``) trains the unconstrained parameter :math:`\omega` of a
family, :math:`\theta = \sigma(\omega)` (Bernoulli probabilities) or :math:`\theta = e^{\omega}` (Poisson rates), with
Adam (:class:`torch.optim.Adam`, default betas; the learning rate decays linearly from ``lr`` to 0 over the run, so
each run settles where its estimator's mean vanishes) fed the chain-ruled estimate

.. math:: \hat g_\omega = \bar g_t \odot \frac{\partial\theta}{\partial\omega}, \qquad
          \bar g_t = \frac1m \sum_{j=1}^m \hat g_{t,j},

where :math:`m` draws (:func:`pwgf_viz.toy_problems.draws_per_step`) spend a fixed budget of
:data:`pwgf_viz.toy_problems.EVALUATIONS` evaluations of ``f`` per step (ARM and DisARM evaluate ``f`` twice per
draw, so they get half as many draws). The :math:`m` draws of a step are one call of
:func:`pwgf_viz.estimators.gradient_samples`: ``reinforce_baseline``'s leave-one-out baseline of a draw is the
other draw of its step.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import torch

from .estimators import get_estimator, gradient_samples
from .exact import exact_gradient
from .toy_problems import EVALUATIONS, EXACT, ToyProblem, draws_per_step, estimator_options
from .validation import check_count, check_positive

#: The unconstrained parameter is kept in ``[-OMEGA_LIMIT, OMEGA_LIMIT]`` (probabilities stay inside (0, 1) in float64).
OMEGA_LIMIT = 30.0


def _to_omega(family: str, theta: torch.Tensor) -> torch.Tensor:
    return torch.logit(theta) if family == "bernoulli" else torch.log(theta)


def _from_omega(family: str, omega: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(omega) if family == "bernoulli" else torch.exp(omega)


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread inside the block, then restore the previous count.

    The toy tensors hold a handful of numbers, for which torch's intra-op threads cost more than they save.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class Run(NamedTuple):
    """The iterates :math:`\\theta_0, \\dots, \\theta_T` (shape ``(T + 1, *S)``) and the mean wall time of a step."""

    path: np.ndarray
    seconds_per_step: float


def adam_run(estimator: str, problem: ToyProblem, steps: int, lr: float = 0.05, seed: int = 0,
             evaluations: int = EVALUATIONS) -> Run:
    """Train ``problem``'s parameter with Adam on :math:`\\omega` (module docstring), driven by ``estimator``.

    ``estimator`` is a name from :data:`pwgf_viz.ESTIMATORS` supporting the family, or ``"exact"``. Step ``t`` of
    seed ``s`` draws with seed ``(s + 1) * 10**6 + t``, so runs are reproducible and seeds independent. The timed
    part of a step is the estimate, its chain rule and the Adam update (not the scoring).

    Parameters
    ----------
    estimator : str
        A name of :data:`pwgf_viz.ESTIMATORS` that supports the problem's family, or ``"exact"``
        (:data:`~pwgf_viz.toy_problems.EXACT`) for the exact gradient.
    problem : ToyProblem
        The problem (:func:`pwgf_viz.toy_problems.toy_problems`).
    steps : int
        Adam steps, in [1, 100000]; the learning rate decays linearly to 0 over them.
    lr : float, default 0.05
        Adam's initial learning rate, > 0, finite.
    seed : int, default 0
        The run's seed, in [0, 1000000].
    evaluations : int, default EVALUATIONS
        Evaluations of ``f`` per step (:func:`pwgf_viz.toy_problems.draws_per_step`).

    Returns
    -------
    Run
        The iterates :math:`\\theta_0, \\dots, \\theta_T` and the mean wall time of a step, in seconds.
    """
    if not isinstance(problem, ToyProblem):
        raise TypeError(f"problem must be a ToyProblem (see toy_problems()); got {type(problem).__name__}")
    steps = check_count(steps, "steps", minimum=1, maximum=100_000)
    lr = check_positive(lr, "lr")
    seed = check_count(seed, "seed", minimum=0, maximum=1_000_000)
    if estimator == EXACT:
        draws, options = 0, {}
    else:
        get_estimator(estimator).check_family(problem.family)
        draws, options = draws_per_step(estimator, evaluations), estimator_options(estimator)
    with single_thread():
        path, elapsed = _adam_steps(estimator, problem, steps, lr, seed, draws, options)
    return Run(torch.stack(path).numpy(), elapsed / steps)


def _adam_steps(estimator: str, problem: ToyProblem, steps: int, lr: float, seed: int, draws: int,
                options: dict[str, object]) -> tuple[list[torch.Tensor], float]:
    """The loop of :func:`adam_run`: the iterates and the summed wall time of the steps."""
    family = problem.family
    omega = _to_omega(family, problem.theta0).clone().requires_grad_(True)
    optimizer = torch.optim.Adam([omega], lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1 - t / steps)
    path = [problem.theta0.clone()]
    elapsed = 0.0
    for t in range(steps):
        start = time.perf_counter()
        optimizer.zero_grad()
        theta = _from_omega(family, omega)
        if estimator == EXACT:
            grad = exact_gradient(problem.f, family, theta.detach())
        else:
            grad = gradient_samples(estimator, problem.f, family, theta.detach(), draws,
                                    seed=(seed + 1) * 10**6 + t, **options).mean(0)
        theta.backward(grad)
        optimizer.step()
        schedule.step()
        with torch.no_grad():
            omega.clamp_(-OMEGA_LIMIT, OMEGA_LIMIT)
        elapsed += time.perf_counter() - start
        path.append(_from_omega(family, omega.detach()))
    return path, elapsed
