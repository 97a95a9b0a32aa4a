r"""Exact values and gradients of :math:`L(\theta) = \mathbb{E}_{p_\theta}[f(z)]` by enumeration.

These are the book's oracle (chapter 1, equations ``eq-objective`` and ``eq-exact-gradient``): every
estimator is compared against them. The sum

.. math:: L(\theta) = \sum_{z \in \mathcal{Z}} p_\theta(z)\, f(z)

runs over every configuration of the whole draw ``z`` and is differentiated with autograd, in float64.

Sizes (refused beyond, with a ``ValueError``):

- Bernoulli: at most :data:`MAX_BERNOULLI_DIM` = 20 coordinates (:math:`2^{20}` configurations);
- categorical: at most :data:`MAX_CONFIGURATIONS` = :math:`10^6` configurations :math:`K^d`;
- Poisson: each coordinate :math:`i` of :math:`d` is truncated at the smallest :math:`k_i` with
  :math:`P(z_i > k_i) < \delta / d`, :math:`\delta` = :data:`POISSON_TAIL` = :math:`10^{-12}`, so the
  dropped configurations carry total probability below :math:`\delta` (union bound). The value is then
  exact up to :math:`\delta \sup_{\text{dropped}} |f|`, and the gradient, computed by the shift identity
  :math:`\partial L/\partial\lambda_i = \mathbb{E}[f(z + e_i) - f(z)]`, up to :math:`\delta` times the largest
  increment of ``f`` there; the product of the :math:`k_i + 1` must not exceed :data:`MAX_CONFIGURATIONS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch
from scipy import stats

from . import families
from .validation import check_objective, check_options, check_parameter, evaluate_objective, objective_slopes

MAX_BERNOULLI_DIM = 20
MAX_CONFIGURATIONS = 1_000_000
POISSON_TAIL = 1e-12
_CHUNK = 1 << 16

Objective = Callable[[torch.Tensor], torch.Tensor]


def poisson_truncation(rates: torch.Tensor, tail: float = POISSON_TAIL) -> np.ndarray:
    r"""Per-coordinate upper ends: the smallest :math:`k_i` with :math:`P(z_i > k_i) < \text{tail}/d`.

    Parameters
    ----------
    rates : torch.Tensor
        Poisson rates, any shape, every entry > 0 (not validated here: callers have).
    tail : float, default POISSON_TAIL
        The total tail probability :math:`\delta` allowed to be dropped, in (0, 1); shared equally among the
        :math:`d` coordinates.

    Returns
    -------
    numpy.ndarray
        int64 array of shape ``(d,)`` (the rates flattened): the largest count kept per coordinate.
    """
    flat = rates.detach().reshape(-1).double().cpu().numpy()
    q = tail / flat.size
    ks = stats.poisson.isf(q, flat).astype(np.int64)
    # isf returns the smallest k with sf(k) <= q; step up while rounding leaves sf(k) >= q.
    while np.any(stats.poisson.sf(ks, flat) >= q):
        ks = ks + (stats.poisson.sf(ks, flat) >= q)
    return ks


def _radices(family: str, theta: torch.Tensor) -> tuple[np.ndarray, int]:
    """Mixed-radix description of the support: one radix per coordinate, and their product."""
    if family == "bernoulli":
        d = theta.numel()
        if d > MAX_BERNOULLI_DIM:
            raise ValueError(f"theta has {d} Bernoulli coordinates; exact enumeration handles at most "
                             f"{MAX_BERNOULLI_DIM} (2^{MAX_BERNOULLI_DIM} configurations)")
        radices = np.full(d, 2, dtype=np.int64)
    elif family == "categorical":
        k = theta.shape[-1]
        d = theta.numel() // k
        radices = np.full(d, k, dtype=np.int64)
    else:
        radices = poisson_truncation(theta) + 1
    total = float(np.prod(radices.astype(np.float64)))
    if family != "bernoulli" and total > MAX_CONFIGURATIONS:
        raise ValueError(f"theta describes {total:.3g} configurations; exact enumeration handles at most "
                         f"{MAX_CONFIGURATIONS:.0e} (bernoulli: d <= 20; categorical: K^d <= 1e6; "
                         f"poisson: product of truncated supports <= 1e6)")
    return radices, int(total)


def enumerate_support(family: str, theta: torch.Tensor) -> Iterator[torch.Tensor]:
    """Yield every configuration of a whole draw, in chunks of shape ``(m, *theta.shape)`` (float64).

    Poisson supports are truncated as documented in the module docstring.

    Parameters
    ----------
    family : {"bernoulli", "categorical", "poisson"}
        The family.
    theta : torch.Tensor
        A validated parameter of ``family`` (at most :data:`MAX_BERNOULLI_DIM` Bernoulli coordinates, at most
        :data:`MAX_CONFIGURATIONS` configurations otherwise).

    Yields
    ------
    torch.Tensor
        float64 chunks of at most 65536 configurations, shape ``(m, *theta.shape)`` (one-hot along the last axis for
        the categorical family), together covering the support once, in mixed-radix order.
    """
    radices, total = _radices(family, theta)
    weights = np.concatenate([np.cumprod(radices[::-1])[::-1][1:], [1]]).astype(np.int64)
    for start in range(0, total, _CHUNK):
        index = np.arange(start, min(start + _CHUNK, total), dtype=np.int64)
        digits = torch.from_numpy((index[:, None] // weights[None, :]) % radices[None, :])
        if family == "categorical":
            k = theta.shape[-1]
            z = torch.nn.functional.one_hot(digits, k).to(torch.float64)
        else:
            z = digits.to(torch.float64)
        yield z.reshape((len(index),) + tuple(theta.shape))


def _expectation(f: Objective, family: str, theta: torch.Tensor) -> torch.Tensor:
    """Differentiable float64 sum of ``p_theta(z) f(z)`` over the (truncated) support."""
    total = theta.new_zeros((), dtype=torch.float64)
    for z in enumerate_support(family, theta):
        weights = families.log_prob(family, theta, z).exp()
        total = total + (weights * evaluate_objective(f, z).to(torch.float64)).sum()
    return total


def _check_problem(f: object, family: str, theta: object) -> tuple[Objective, torch.Tensor]:
    """The checked objective, and ``theta`` as a detached float64 tensor of ``family``'s range."""
    return check_objective(f), check_parameter(family, theta).detach().to(torch.float64)


def exact_expectation(f: Objective, family: str, theta: object) -> float:
    r"""The exact value of :math:`L(\theta) = \mathbb{E}_{p_\theta}[f(z)]` (eq. ``eq-objective``).

    ``f`` maps a float tensor of shape ``(m, *theta.shape)`` to shape ``(m,)``.

    Parameters
    ----------
    f : callable
        The objective, mapping a float64 tensor of shape ``(m, *theta.shape)`` to a finite tensor of shape ``(m,)``.
    family : {"bernoulli", "categorical", "poisson"}
        The family of :math:`p_\theta`.
    theta : array_like or torch.Tensor
        Its parameter, in the family's range (:func:`~pwgf_viz.validation.check_parameter`), within the sizes of the
        module docstring.

    Returns
    -------
    float
        :math:`L(\theta)` (exact up to the Poisson truncation).
    """
    f, theta = _check_problem(f, family, theta)
    with torch.no_grad():
        return float(_expectation(f, family, theta))


def exact_gradient(f: Objective, family: str, theta: object) -> torch.Tensor:
    r"""The exact gradient :math:`\nabla_\theta L(\theta)` by enumeration (eq. ``eq-exact-gradient``).

    Returns a float64 tensor of ``theta``'s shape: with respect to the probabilities (Bernoulli), the
    logits (categorical) or the rates (Poisson).

    Parameters
    ----------
    f : callable
        The objective, as for :func:`exact_expectation` (it need not be differentiable).
    family, theta
        As in :func:`exact_expectation`.

    Returns
    -------
    torch.Tensor
        :math:`\nabla_\theta L`, float64, of ``theta``'s shape.
    """
    f, theta = _check_problem(f, family, theta)
    if family == "poisson":
        return _poisson_shift_gradient(f, theta)
    theta.requires_grad_(True)
    (grad,) = torch.autograd.grad(_expectation(f, family, theta), theta)
    return grad


def _poisson_shift_gradient(f: Objective, rates: torch.Tensor) -> torch.Tensor:
    r"""Poisson gradient by the shift identity :math:`\partial L/\partial\lambda_i = \mathbb{E}[f(z + e_i) - f(z)]`.

    Differentiating the truncated sum itself would leave a boundary term :math:`p_\lambda(k_i) f(k_i)` in the error;
    the shift identity only loses the dropped tail mass times the increments of ``f``.
    """
    d = rates.numel()
    shifts = torch.eye(d, dtype=torch.float64).reshape((d,) + tuple(rates.shape))
    grad = torch.zeros(d, dtype=torch.float64)
    for z in enumerate_support("poisson", rates):
        weights = families.log_prob("poisson", rates, z).exp()
        base = evaluate_objective(f, z).detach().to(torch.float64)
        shifted = (z[:, None] + shifts[None]).reshape((-1,) + tuple(rates.shape))
        increments = evaluate_objective(f, shifted).detach().to(torch.float64).reshape(-1, d) - base[:, None]
        grad = grad + weights @ increments
    return grad.reshape(rates.shape)


def exact_st_mean(f: Objective, family: str, theta: object) -> torch.Tensor:
    r"""The exact mean of the straight-through estimator, :math:`\mathbb{E}_{p_\theta}[\nabla_z f(z)]`.

    Mapped to ``theta`` by the chain rule through the mean map (eq. ``eq-st``): unchanged for Bernoulli
    and Poisson, :math:`J_{\mathrm{softmax}}^\top \mathbb{E}[\nabla_z f(z)]` for categorical logits. The
    ST estimator's bias is ``exact_st_mean(...) - exact_gradient(...)``.

    Parameters
    ----------
    f : callable
        The objective, differentiable in ``z`` (torch operations), mapping ``(m, *theta.shape)`` to ``(m,)``.
    family, theta
        As in :func:`exact_expectation`.

    Returns
    -------
    torch.Tensor
        The mean of the ST estimator, float64, of ``theta``'s shape.
    """
    f, theta = _check_problem(f, family, theta)
    grad_mean = torch.zeros_like(theta)
    for z in enumerate_support(family, theta):
        grad_z = objective_slopes(f, z)
        weights = families.log_prob(family, theta, z.detach()).exp()
        grad_mean = grad_mean + torch.einsum("m,m...->...", weights, grad_z.to(torch.float64))
    return families.mean_gradient_to_parameter(family, theta, grad_mean)


#: Estimators whose draw is a function of the discrete sample alone, so that their exact mean is a sum over
#: the support (:func:`exact_mean`).
ENUMERABLE_ESTIMATORS = ("st", "pwgf", "reinmax", "zgr", "gapped_st")


def exact_mean(estimator: str, f: Objective, family: str, theta: object, **options: object) -> torch.Tensor:
    r"""The exact mean :math:`\sum_z p_\theta(z)\,\hat g(z)` of a pathwise estimator whose draw depends on ``z``
    only (:data:`ENUMERABLE_ESTIMATORS`: ``"st"``, ``"pwgf"``, ``"reinmax"``, ``"zgr"``, ``"gapped_st"``), by
    enumeration of the support.

    The bias of such an estimator is ``exact_mean(...) - exact_gradient(...)``, with no sampling error.

    Parameters
    ----------
    estimator : {"st", "pwgf", "reinmax", "zgr", "gapped_st"}
        The estimator's registry name.
    f : callable
        The objective, differentiable in ``z`` (torch operations), mapping ``(n, *S)`` to ``(n,)``.
    family : {"bernoulli", "categorical", "poisson"}
        The family; all but ``"st"`` and ``"pwgf"`` support Bernoulli and categorical only.
    theta : array_like
        Probabilities, logits or rates of shape ``S``.
    \*\*options
        The estimator's options (``temperature`` for ReinMax; ``gap``, ``temperature`` for Gapped ST).

    Returns
    -------
    torch.Tensor
        The mean, float64, of ``theta``'s shape.
    """
    from . import estimators, layers  # layers imports this module

    est = estimators.get_estimator(estimator)
    if est.name not in ENUMERABLE_ESTIMATORS:
        raise ValueError(f"estimator must be one of {ENUMERABLE_ESTIMATORS} (a draw that depends on z only); "
                         f"got {est.name!r}")
    f = check_objective(f)
    family = est.check_family(family)
    theta = check_parameter(family, theta).detach().to(torch.float64)
    opts = check_options(options, dict(est.defaults), est.name)
    total = torch.zeros_like(theta)
    for z in enumerate_support(family, theta):
        rows = theta.unsqueeze(0).expand_as(z).clone().requires_grad_(True)
        if est.name == "st":
            drawn = z + (families.mean(family, rows) - families.mean(family, rows).detach())
        elif est.name == "pwgf":
            drawn = layers.pwgf_given(family, rows, z)
        elif est.name == "reinmax":
            drawn = layers.reinmax_given(family, rows, z, opts["temperature"])
        elif est.name == "zgr":
            drawn = layers.zgr_given(family, rows, z)
        else:
            drawn = layers.gapped_st_given(family, rows, z, opts["gap"], opts["temperature"])
        values = evaluate_objective(f, drawn)
        if not values.requires_grad:
            raise TypeError("f must be differentiable in its input (build it from torch operations): "
                            "its output does not depend on the samples")
        (grad,) = torch.autograd.grad(values.sum(), rows)
        if not bool(torch.isfinite(grad).all()):
            raise ValueError(f"the {est.name} draw is not finite on the support: f's derivative is not finite "
                             f"there, or theta is too close to the edge of its range")
        weights = families.log_prob(family, theta, z).exp()
        total = total + torch.einsum("m,m...->...", weights, grad)
    return total
