r"""The problems and settings of the toy experiments of Part IV (chapter ``toy-experiments``).

Six problems (:func:`toy_problems`): an objective, a family, a start :math:`\theta_0` and a probe point where bias
and spread are measured. Every estimator that supports a problem's family trains on it (:func:`estimators_for`)
at the same budget of :data:`EVALUATIONS` evaluations of ``f`` per step (:func:`draws_per_step`) and with fixed
options (:func:`estimator_options`). :data:`SETTINGS` gives the sizes of the quick run (the book) and of the full
one (``experiments/toy_experiments.py``). Training is :mod:`pwgf_viz.toy_training`, scoring
:mod:`pwgf_viz.toy_scoring`, the grid of runs :mod:`pwgf_viz.toy_runs`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import torch

from . import objectives
from .estimators import get_estimator
from .objectives import Objective
from .toy_scoring import loss_minimum
from .validation import check_count, check_family, check_objective, check_parameter, check_positive

#: Name of the reference run that follows the exact gradient.
EXACT = "exact"
#: Estimators compared on Bernoulli problems. ``reinmax`` runs at temperature 1 (:data:`REINMAX_TEMPERATURE`), where
#: it equals ``pwgf`` draw by draw (``thm-reinmax-pwgf``): it stands for both in the runs; the bias table has both.
BERNOULLI_ESTIMATORS = ("st", "reinmax", "reinforce_baseline", "gumbel_softmax", "st_gumbel_softmax", "arm",
                        "disarm")
#: Estimators compared on Poisson problems.
POISSON_ESTIMATORS = ("st", "pwgf", "reinforce_baseline", "gen_gumbel_softmax")
#: Temperature of the Gumbel-Softmax estimators (``gumbel_softmax``, ``st_gumbel_softmax``, ``gen_gumbel_softmax``).
TEMPERATURE = 0.5
#: Temperature of ``reinmax``: 1, where it is the W2-projected pWGF estimator of the dequantised Bernoulli family.
REINMAX_TEMPERATURE = 1.0
#: Evaluations of ``f`` per optimisation step, whatever the estimator.
EVALUATIONS = 2


@dataclass(frozen=True)
class ToyProblem:
    """An objective, a family, a start and a probe point (where bias and spread are measured).

    Parameters
    ----------
    key : str
        A short non-empty name, the problem's column in the tables.
    title : str
        The problem as the chapter's figures title it (may hold LaTeX).
    f : callable
        The objective (:mod:`pwgf_viz.objectives`).
    family : {"bernoulli", "poisson"}
        The family of :math:`p_\\theta`.
    theta0 : array_like or torch.Tensor
        The start of every run, in the family's range; stored as a detached float64 tensor.
    probe : array_like or torch.Tensor
        Where the bias table measures, of ``theta0``'s shape and in the family's range.

    Attributes
    ----------
    minimum : float
        :math:`L^\\star`, the infimum of the exact loss over the family for ``theta0``'s shape
        (:func:`pwgf_viz.toy_scoring.loss_minimum`), computed on construction; the runs' gaps are measured from it.
    """

    key: str
    title: str
    f: Objective
    family: str
    theta0: torch.Tensor
    probe: torch.Tensor
    minimum: float = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key:
            raise ValueError(f"key must be a non-empty string (a table column); got {self.key!r}")
        check_objective(self.f)
        family = check_family(self.family)
        if family == "categorical":
            raise ValueError("family must be 'bernoulli' or 'poisson' for a toy problem; got 'categorical'")
        object.__setattr__(self, "theta0", check_parameter(family, self.theta0, "theta0").detach().double())
        object.__setattr__(self, "probe", check_parameter(family, self.probe, "probe").detach().double())
        if self.probe.shape != self.theta0.shape:
            raise ValueError(f"probe must have theta0's shape {tuple(self.theta0.shape)}; "
                             f"got {tuple(self.probe.shape)}")
        object.__setattr__(self, "minimum", loss_minimum(self.f, family, self.theta0))


@dataclass(frozen=True)
class Setting:
    """Sizes of one experiment: steps and seeds of the runs, draws of the bias table, points kept per curve.

    Parameters
    ----------
    steps : int
        Adam steps per run, in [10, 100000].
    seeds : int
        Seeds per (problem, estimator), in [2, 1000].
    lr : float, default 0.05
        Adam's learning rate, > 0, finite.
    bias_draws : int, default 10000
        Draws per cell of the bias table, in [2, 1000000].
    curve_points : int, default 61
        Points kept per learning curve, in [2, 10000].
    """

    steps: int
    seeds: int
    lr: float = 0.05
    bias_draws: int = 10_000
    curve_points: int = 61

    def __post_init__(self) -> None:
        check_count(self.steps, "steps", minimum=10, maximum=100_000)
        check_count(self.seeds, "seeds", minimum=2, maximum=1_000)
        check_positive(self.lr, "lr")
        check_count(self.bias_draws, "bias_draws", minimum=2, maximum=1_000_000)
        check_count(self.curve_points, "curve_points", minimum=2, maximum=10_000)


#: The quick setting runs when the book is built; the full one by ``experiments/toy_experiments.py``.
SETTINGS: Mapping[str, Setting] = {
    "quick": Setting(steps=250, seeds=5),
    "full": Setting(steps=1000, seeds=10, bias_draws=100_000),
}


def toy_problems() -> tuple[ToyProblem, ...]:
    r"""The six problems of the chapter.

    - ``t=0.45``, ``t=0.49``, ``t=0.499``: :math:`(z - t)^2`, :math:`z \sim \mathrm{Bern}(p)`, from :math:`p_0 = 1/2`
      (``eq-toy``); the optimum :math:`p \to 0` has :math:`L^\star = t^2`, and :math:`|L'| = 1 - 2t` shrinks with
      the gap :math:`\tfrac12 - t`;
    - ``lsq``: :math:`\|Az - y\|^2` on 10 bits (``objectives.least_squares``; :math:`A` is 12 x 10 with
      :math:`N(0, 1/12)` entries, :math:`y = A z^\circ + 0.3\,\varepsilon` for random bits :math:`z^\circ`, NumPy
      seed 2019), from :math:`p_0 = (\tfrac12, \dots)`;
    - ``pois-quad``: :math:`(z - 2.5)^2`, :math:`z \sim \mathrm{Poisson}(\lambda)`, from :math:`\lambda_0 = 4`
      (optimum :math:`\lambda = 2`, ST's rest point 2.5);
    - ``pois-log``: :math:`0.2 z - \log(1 + z)` from :math:`\lambda_0 = 1` (``objectives.cost_minus_log``).
    """
    rng = np.random.default_rng(2019)
    a = rng.normal(0.0, 1.0 / math.sqrt(12), size=(12, 10))
    bits = (rng.random(10) < 0.5).astype(float)
    y = a @ bits + 0.3 * rng.normal(size=12)
    problems = [ToyProblem(f"t={t:g}", rf"$(z - {t:g})^2$, Bernoulli", objectives.quadratic(t), "bernoulli",
                           [0.5], [0.25]) for t in (0.45, 0.49, 0.499)]
    lsq = objectives.least_squares(a.tolist(), y.tolist())
    problems.append(ToyProblem("lsq", r"$\Vert Az - y\Vert^2$, 10 bits", lsq, "bernoulli", [0.5] * 10,
                               np.linspace(0.2, 0.8, 10)))
    problems.append(ToyProblem("pois-quad", r"$(z - 2.5)^2$, Poisson", objectives.quadratic(2.5), "poisson",
                               [4.0], [4.0]))
    problems.append(ToyProblem("pois-log", r"$0.2z - \log(1+z)$, Poisson", objectives.cost_minus_log(0.2),
                               "poisson", [1.0], [1.0]))
    return tuple(problems)


def estimators_for(family: str) -> tuple[str, ...]:
    """The estimators compared on a family.

    Parameters
    ----------
    family : {"bernoulli", "poisson"}
        The family; ``"categorical"`` has no toy problem.

    Returns
    -------
    tuple of str
        :data:`BERNOULLI_ESTIMATORS` or :data:`POISSON_ESTIMATORS`.
    """
    family = check_family(family)
    if family == "bernoulli":
        return BERNOULLI_ESTIMATORS
    if family == "poisson":
        return POISSON_ESTIMATORS
    raise ValueError("family must be 'bernoulli' or 'poisson' for the toy experiments; got 'categorical'")


def draws_per_step(estimator: str, evaluations: int = EVALUATIONS) -> int:
    """Draws that spend ``evaluations`` evaluations of ``f`` (half as many for ARM and DisARM, which evaluate ``f``
    twice per draw).

    Parameters
    ----------
    estimator : str
        A name of :data:`pwgf_viz.ESTIMATORS`.
    evaluations : int, default EVALUATIONS
        The budget per step, even, in [2, 10000].

    Returns
    -------
    int
        ``evaluations // Estimator.evaluations``.
    """
    est = get_estimator(estimator)
    evaluations = check_count(evaluations, "evaluations", minimum=2, maximum=10_000)
    if evaluations % 2:
        raise ValueError(f"evaluations must be even (ARM and DisARM evaluate f twice per draw); got {evaluations}")
    return evaluations // est.evaluations


def estimator_options(estimator: str) -> dict[str, object]:
    """The fixed options of an estimator in these experiments.

    Parameters
    ----------
    estimator : str
        A name of :data:`pwgf_viz.ESTIMATORS`.

    Returns
    -------
    dict of str to object
        ``temperature`` = :data:`REINMAX_TEMPERATURE` for ``reinmax``, :data:`TEMPERATURE` for the other estimators
        that have a temperature, empty otherwise.
    """
    est = get_estimator(estimator)
    if est.name == "reinmax":
        return {"temperature": REINMAX_TEMPERATURE}
    return {"temperature": TEMPERATURE} if "temperature" in est.defaults else {}
