r"""Single-sample gradient estimators of :math:`\nabla_\theta \mathbb{E}_{p_\theta}[f(z)]`.

Each estimator is written as a *surrogate*: a per-sample scalar whose autograd gradient with respect
to ``theta`` is that sample's gradient estimate (chapter 1 gives each formula):

- ``reinforce`` (all families): :math:`f(z)\,\log p_\theta(z)`, ``f`` detached (``eq-reinforce``);
- ``reinforce_baseline`` (all): :math:`(f(z_i) - \bar f_{-i})\log p_\theta(z_i)`, leave-one-out mean (option
  ``groups``: the mean over the other draws of the same group, e.g. of the same data point);
- ``st`` (all): :math:`f(z + \mu - \mathrm{sg}[\mu])` (``eq-st``);
- ``gumbel_softmax`` (bernoulli, categorical): :math:`f(\tilde z)`, relaxed draw at temperature :math:`\tau`;
- ``st_gumbel_softmax`` (bernoulli, categorical): :math:`f(h(\tilde z) + \tilde z - \mathrm{sg}[\tilde z])`;
- ``arm`` (bernoulli): ARM in logits :math:`\alpha` (``eq-arm``);
- ``disarm`` (bernoulli): DisARM in logits :math:`\alpha` (``eq-disarm``);
- ``pwgf`` (all): the numerator of the :math:`W_2`-projected velocity of the dequantised family:
  :math:`f'(z)[z/(2p) + (1-z)/(2(1-p))]` for Bernoulli (``eq-pwgf-bernoulli``), ReinMax at temperature 1 for
  categorical (``thm-reinmax-pwgf``), :math:`f'(z)(z+\lambda)/(2\lambda)` for Poisson (``eq-pwgf-poisson``);
- ``reinmax`` (bernoulli, categorical): ReinMax (Liu et al., 2023; ``eq-reinmax``), option ``temperature``;
- ``gumbel_rao`` (bernoulli, categorical): ST-Gumbel-Softmax Rao-Blackwellised over ``samples`` conditional
  Gumbel draws (Paulus et al., 2021; ``eq-gumbel-rao``), options ``samples`` and ``temperature``;
- ``zgr`` (bernoulli, categorical): its zero-temperature limit (Shekhovtsov, 2023; ``eq-zgr``);
- ``gapped_st`` (bernoulli, categorical): Gapped ST (Fan et al., 2022; ``eq-gapped-st``), options ``gap``
  and ``temperature``;
- ``decoupled_st`` (bernoulli, categorical): ST-Gumbel-Softmax with separate forward and backward
  temperatures (Shah et al., 2024; ``eq-decoupled-st``), options ``forward_temperature`` and
  ``backward_temperature``;
- ``gen_gumbel_softmax`` (poisson): generalized Gumbel-Softmax (Joo et al., 2020; ``eq-gengs``), with options
  ``truncation`` and ``temperature``.

:func:`gradient_samples` draws ``n`` independent estimates at once (no Python loop over samples) by
giving every draw its own copy of ``theta``; :func:`surrogate` returns the averaged surrogate loss for
training models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

import torch

from . import families, layers
from .validation import (
    FAMILIES,
    MAX_ELEMENTS,
    check_count,
    check_family,
    check_objective,
    check_options,
    check_parameter,
    evaluate_objective,
)

Objective = Callable[[torch.Tensor], torch.Tensor]


class Draws(NamedTuple):
    """Per-draw surrogate losses (their gradient is the estimate) and objective values, shape ``(n,)``."""

    loss: torch.Tensor
    value: torch.Tensor


class Surrogate(NamedTuple):
    """A scalar ``loss`` to call ``backward`` on, and the mean objective value ``value`` (detached)."""

    loss: torch.Tensor
    value: torch.Tensor


SurrogateRule = Callable[..., Draws]


@dataclass(frozen=True)
class Estimator:
    """A named gradient estimator: which families it supports, whether it is unbiased, and its rule.

    Parameters
    ----------
    name : str
        The key of the estimator in :data:`ESTIMATORS`.
    families : tuple of str
        The families of :data:`~pwgf_viz.validation.FAMILIES` it supports.
    unbiased : bool
        Whether its mean is the exact gradient.
    rule : callable
        ``rule(f, family, theta_rows, **options)`` returning the :class:`Draws` of ``n`` draws, row ``i`` of
        ``theta_rows`` (shape ``(n, *theta.shape)``) parametrising draw ``i``.
    summary : str
        One line describing it, for tables.
    defaults : mapping of str to object, default {}
        Its options and their default values; no other option is accepted.
    min_samples : int, default 1
        The smallest number of draws per call (2 for a leave-one-out baseline).
    evaluations : int, default 1
        Evaluations of ``f`` per draw.
    """

    name: str
    families: tuple[str, ...]
    unbiased: bool
    rule: SurrogateRule
    summary: str
    defaults: Mapping[str, object] = field(default_factory=dict)
    min_samples: int = 1
    #: Evaluations of ``f`` per draw (2 for the antithetic pair of ARM and DisARM): the cost of one estimate.
    evaluations: int = 1

    def check_family(self, family: str) -> str:
        """Return ``family`` if this estimator supports it, else raise.

        Parameters
        ----------
        family : str
            A family of :data:`~pwgf_viz.validation.FAMILIES`; it must also be one of :attr:`families`.

        Returns
        -------
        str
            ``family``.
        """
        family = check_family(family)
        if family not in self.families:
            raise ValueError(f"estimator {self.name!r} supports families {self.families}; got {family!r}")
        return family

    def draws(self, f: Objective, family: str, theta_rows: torch.Tensor, **options: object) -> Draws:
        """Surrogates of ``n`` independent draws; row ``i`` of ``theta_rows`` parameterises draw ``i``.

        Parameters
        ----------
        f : callable
            The objective, mapping samples of shape ``(n, *S)`` to ``(n,)``.
        family : str
            One of :attr:`families` (not checked here: see :meth:`check_family`).
        theta_rows : torch.Tensor
            Shape ``(n, *theta.shape)``, valid parameters of ``family``.
        \\*\\*options
            The estimator's options; names must be keys of :attr:`defaults`, whose values fill the missing ones.

        Returns
        -------
        Draws
            Per-draw surrogate losses and objective values, each of shape ``(n,)``.
        """
        return self.rule(f, family, theta_rows, **check_options(options, dict(self.defaults), self.name))


def _score(f: Objective, family: str, theta_rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw ``z``, return ``f(z)`` (detached) and ``log p_theta(z)`` (differentiable), both ``(n,)``."""
    with torch.no_grad():
        z = families.distribution(family, theta_rows).sample()
    values = evaluate_objective(f, z).detach()
    return values, families.log_prob(family, theta_rows, z)


def _reinforce(f: Objective, family: str, theta_rows: torch.Tensor) -> Draws:
    r"""Score function: :math:`\hat g = f(z)\,\nabla_\theta \log p_\theta(z)` (eq. ``eq-reinforce``)."""
    values, log_p = _score(f, family, theta_rows)
    return Draws(values * log_p, values)


def _reinforce_baseline(f: Objective, family: str, theta_rows: torch.Tensor, groups: int) -> Draws:
    r"""Score function with the leave-one-out baseline :math:`\bar f_{-i} = \sum_{j\ne i} f(z_j)/(n-1)`.

    Each estimate stays unbiased because :math:`\bar f_{-i}` is independent of :math:`z_i` (eq. ``eq-rloo``).
    With ``groups`` :math:`G > 1` the rows form :math:`G` interleaved groups (row :math:`i` in group
    :math:`i \bmod G`, e.g. :math:`K` draws for each of :math:`G` data points, laid out draw-major) and the
    sum runs over the other :math:`K - 1` rows of the same group.
    """
    n = theta_rows.shape[0]
    groups = check_count(groups, "groups", minimum=1, maximum=max(1, n // 2))
    if n % groups:
        raise ValueError(f"groups must divide the number of draws n = {n}; got groups = {groups}")
    values, log_p = _score(f, family, theta_rows)
    per_group = values.reshape(n // groups, groups)
    baseline = ((per_group.sum(0) - per_group) / (n // groups - 1)).reshape(n)
    return Draws((values - baseline) * log_p, values)


def _pathwise(f: Objective, z: torch.Tensor) -> Draws:
    """Surrogate of an estimator whose draw carries its gradient: the objective itself."""
    values = evaluate_objective(f, z)
    if z.requires_grad and not values.requires_grad:
        raise TypeError("f must be differentiable in its input (build it from torch operations): "
                        "its output does not depend on the samples")
    return Draws(values, values.detach())


def _pathwise_rule(sample: Callable[..., torch.Tensor], **fixed: object) -> SurrogateRule:
    """The rule of an estimator whose draw ``sample(family, theta_rows, **options)`` (a :mod:`pwgf_viz.layers`
    function; the estimator's options are its keyword arguments) carries the estimator's gradient."""
    def rule(f: Objective, family: str, theta_rows: torch.Tensor, **options: object) -> Draws:
        return _pathwise(f, sample(family, theta_rows, **fixed, **options))
    return rule


def _gen_gumbel_softmax(f: Objective, family: str, theta_rows: torch.Tensor, truncation: int | None,
                        temperature: float) -> Draws:
    r"""Generalized Gumbel-Softmax: :math:`\hat g = \nabla_\lambda f(\tilde z)` with the relaxed count
    :math:`\tilde z` of :func:`pwgf_viz.layers.sample_gen_gumbel_softmax` (``eq-gengs``)."""
    return _pathwise(f, layers.sample_gen_gumbel_softmax(theta_rows, truncation, temperature))


def _logit_surrogate(grad_logits: torch.Tensor, theta_rows: torch.Tensor) -> torch.Tensor:
    r"""Per-draw :math:`\langle \hat g_\alpha, \alpha(\theta)\rangle`.

    Its gradient in ``p`` is :math:`\hat g_\alpha/(p(1-p))`: the chain rule through
    :math:`\alpha = \mathrm{logit}\,p`.
    """
    alpha = torch.logit(theta_rows)
    return (grad_logits.detach() * alpha).reshape(alpha.shape[0], -1).sum(-1)


def _broadcast(per_draw: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape a ``(n,)`` tensor so it broadcasts against ``(n, *S)``."""
    return per_draw.reshape((-1,) + (1,) * (like.dim() - 1))


def _arm(f: Objective, family: str, theta_rows: torch.Tensor) -> Draws:
    r"""ARM (Yin and Zhou, 2019), eq. ``eq-arm``, with :math:`u \sim U(0,1)^d` and logits :math:`\alpha`:

    .. math:: \hat g_\alpha = \big(f(1[u > \sigma(-\alpha)]) - f(1[u < \sigma(\alpha)])\big)\,(u - \tfrac12).
    """
    p = theta_rows.detach()
    u = torch.rand_like(p)
    values_anti = evaluate_objective(f, (u > 1 - p).to(p.dtype)).detach()
    values = evaluate_objective(f, (u < p).to(p.dtype)).detach()
    grad_logits = _broadcast(values_anti - values, u) * (u - 0.5)
    return Draws(_logit_surrogate(grad_logits, theta_rows), values)


def _disarm(f: Objective, family: str, theta_rows: torch.Tensor) -> Draws:
    r"""DisARM (Dong, Mnih and Tucker, 2020), eq. ``eq-disarm``, with antithetic draws
    :math:`b = 1[u < p]`, :math:`\tilde b = 1[1 - u < p]`:

    .. math::

        \hat g_\alpha = \tfrac12\big(f(b) - f(\tilde b)\big)\,(-1)^{\tilde b}\,
        1[b \ne \tilde b]\,\sigma(|\alpha|).
    """
    p = theta_rows.detach()
    u = torch.rand_like(p)
    b = (u < p).to(p.dtype)
    b_anti = (1 - u < p).to(p.dtype)
    values = evaluate_objective(f, b).detach()
    values_anti = evaluate_objective(f, b_anti).detach()
    weight = (1 - 2 * b_anti) * (b != b_anti).to(p.dtype) * torch.sigmoid(torch.logit(p).abs())
    grad_logits = 0.5 * _broadcast(values - values_anti, u) * weight
    return Draws(_logit_surrogate(grad_logits, theta_rows), values)


def _registry() -> Mapping[str, Estimator]:
    relaxed = ("bernoulli", "categorical")
    tau = {"temperature": 0.5}
    entries = [
        Estimator("reinforce", FAMILIES, True, _reinforce, "score function (REINFORCE)"),
        Estimator("reinforce_baseline", FAMILIES, True, _reinforce_baseline,
                  "score function with a leave-one-out baseline", {"groups": 1}, min_samples=2),
        Estimator("st", FAMILIES, False, _pathwise_rule(layers.sample_st),
                  "straight-through: grad f at the sample, through the mean"),
        Estimator("gumbel_softmax", relaxed, False, _pathwise_rule(layers.sample_gumbel_softmax),
                  "Gumbel-Softmax / Concrete relaxation", tau),
        Estimator("st_gumbel_softmax", relaxed, False, _pathwise_rule(layers.sample_gumbel_softmax, hard=True),
                  "straight-through Gumbel-Softmax", tau),
        Estimator("arm", ("bernoulli",), True, _arm, "Augment-REINFORCE-Merge", evaluations=2),
        Estimator("disarm", ("bernoulli",), True, _disarm, "ARM with antithetic, Rao-Blackwellised draws",
                  evaluations=2),
        Estimator("pwgf", FAMILIES, False, _pathwise_rule(layers.sample_pwgf),
                  "W2-projected flow of the dequantised family (numerator): trapezoid rule in each cell"),
        Estimator("reinmax", relaxed, False, _pathwise_rule(layers.sample_reinmax),
                  "ReinMax: second-order (Heun) straight-through", {"temperature": 1.0}),
        Estimator("gumbel_rao", relaxed, False, _pathwise_rule(layers.sample_gumbel_rao),
                  "Gumbel-Rao: ST-Gumbel-Softmax averaged over conditional Gumbel draws given the sample",
                  {"samples": 10, "temperature": 0.5}),
        Estimator("zgr", relaxed, False, _pathwise_rule(layers.sample_zgr),
                  "ZGR: zero-temperature limit of Gumbel-Rao"),
        Estimator("gapped_st", relaxed, False, _pathwise_rule(layers.sample_gapped_st),
                  "Gapped ST: softmax of deterministically perturbed logits with a margin",
                  {"gap": 1.0, "temperature": 1.0}),
        Estimator("decoupled_st", relaxed, False, _pathwise_rule(layers.sample_decoupled_st),
                  "decoupled ST-Gumbel-Softmax: forward and backward temperatures apart",
                  {"forward_temperature": 1.0, "backward_temperature": 1.0}),
        Estimator("gen_gumbel_softmax", ("poisson",), False, _gen_gumbel_softmax,
                  "generalized Gumbel-Softmax: truncate, relax the categorical, map back to a count",
                  {"truncation": None, "temperature": 0.5}),
    ]
    return MappingProxyType({e.name: e for e in entries})


#: Name -> :class:`Estimator`; read-only.
ESTIMATORS: Mapping[str, Estimator] = _registry()


def get_estimator(estimator: object) -> Estimator:
    """Look up an estimator by name (or pass an :class:`Estimator` through).

    Parameters
    ----------
    estimator : str or Estimator
        A key of :data:`ESTIMATORS`, or an :class:`Estimator` (returned as it is).

    Returns
    -------
    Estimator
        The estimator.
    """
    if isinstance(estimator, Estimator):
        return estimator
    if not isinstance(estimator, str):
        raise TypeError(f"estimator must be a name, one of {sorted(ESTIMATORS)}; "
                        f"got {type(estimator).__name__}")
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {sorted(ESTIMATORS)}; got {estimator!r}")
    return ESTIMATORS[estimator]


def _prepare(estimator: object, f: object, family: object, theta: object, n: object,
             ) -> tuple[Estimator, Objective, str, torch.Tensor, int]:
    est = get_estimator(estimator)
    f = check_objective(f)
    family = est.check_family(family)
    theta = check_parameter(family, theta)
    n = check_count(n, "n", minimum=est.min_samples)
    if n * theta.numel() > MAX_ELEMENTS:
        raise ValueError(f"n * theta.numel() = {n * theta.numel()} exceeds {MAX_ELEMENTS}; "
                         f"draw fewer samples per call")
    return est, f, family, theta, n


def gradient_samples(estimator: str | Estimator, f: Objective, family: str, theta: object, n: int,
                     seed: int = 0, **options: object) -> torch.Tensor:
    r"""``n`` independent single-sample estimates of :math:`\nabla_\theta \mathbb{E}_{p_\theta}[f(z)]`.

    Draws are vectorised: row ``i`` uses its own copy of ``theta``, so one backward pass gives all ``n`` per-draw
    gradients.

    Parameters
    ----------
    estimator : str or Estimator
        A key of :data:`ESTIMATORS` (or the estimator itself); it must support ``family``.
    f : callable
        The objective, mapping samples of shape ``(n, *theta.shape)`` (``(n, *theta.shape[:-1], K)`` one-hot for
        the categorical family) to a finite floating tensor of shape ``(n,)``; built from torch operations for the
        pathwise estimators, which differentiate it.
    family : {"bernoulli", "categorical", "poisson"}
        The family of :math:`p_\theta`.
    theta : array_like or torch.Tensor
        Its parameter (probabilities in (0, 1), logits with ``K >= 2`` on the last axis, or rates > 0).
    n : int
        The number of estimates, from the estimator's ``min_samples`` to :data:`~pwgf_viz.validation.MAX_SAMPLES`,
        with ``n * theta.numel() <=`` :data:`~pwgf_viz.validation.MAX_ELEMENTS`.
    seed : int, default 0
        Seed of the draws, in ``[0, 2**63 - 1]``; the global random state is left untouched.
    \*\*options
        The estimator's options (e.g. ``temperature`` > 0 for the Gumbel-Softmax estimators); see
        :attr:`Estimator.defaults`.

    Returns
    -------
    torch.Tensor
        The estimates, shape ``(n, *theta.shape)``, in ``theta``'s dtype, detached and finite.
    """
    est, f, family, theta, n = _prepare(estimator, f, family, theta, n)
    seed = check_count(seed, "seed", minimum=0, maximum=2**63 - 1)
    rows = theta.detach().unsqueeze(0).expand((n,) + tuple(theta.shape)).clone().requires_grad_(True)
    with torch.random.fork_rng(devices=[]):
        # Seed the CPU generator only (the one forked): torch.manual_seed would also reseed accelerator
        # generators outside the fork, and its lazy device hooks cost more than a small draw.
        torch.random.default_generator.manual_seed(seed)
        draws = est.draws(f, family, rows, **options)
    (grad,) = torch.autograd.grad(draws.loss.sum(), rows, allow_unused=True)
    if grad is None:
        grad = torch.zeros_like(rows)
    if not bool(torch.isfinite(grad).all()):
        raise ValueError(f"estimator {est.name!r} produced non-finite gradients: f's derivative is not "
                         f"finite on the samples, or theta is too close to the edge of its range")
    return grad.detach()


def surrogate(estimator: str | Estimator, f: Objective, family: str, theta: torch.Tensor, n: int = 1,
              **options: object) -> Surrogate:
    r"""A scalar surrogate loss for training: ``loss.backward()`` adds the estimator's gradient.

    ``theta`` may be the output of a network; the gradient flows into it and upstream. Uses the global random state
    (seed it with ``torch.manual_seed``).

    Parameters
    ----------
    estimator : str or Estimator
        A key of :data:`ESTIMATORS` (or the estimator itself); it must support ``family``.
    f : callable
        The objective, mapping samples of shape ``(n, *theta.shape)`` to ``(n,)`` (as for
        :func:`gradient_samples`).
    family : {"bernoulli", "categorical", "poisson"}
        The family of :math:`p_\theta`.
    theta : torch.Tensor
        Its parameter, in the family's range; gradients flow into it.
    n : int, default 1
        The number of draws averaged, from the estimator's ``min_samples`` on, with
        ``n * theta.numel() <=`` :data:`~pwgf_viz.validation.MAX_ELEMENTS`.
    \*\*options
        The estimator's options (see :attr:`Estimator.defaults`).

    Returns
    -------
    Surrogate
        ``loss``, a scalar whose gradient is the mean of the ``n`` single-sample estimates, and ``value``, the mean
        of ``f`` over the draws (detached).
    """
    est, f, family, theta, n = _prepare(estimator, f, family, theta, n)
    rows = theta.unsqueeze(0).expand((n,) + tuple(theta.shape))
    draws = est.draws(f, family, rows, **options)
    return Surrogate(draws.loss.mean(), draws.value.mean().detach())
