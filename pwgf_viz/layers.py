r"""Sampling layers: draws of ``z`` that carry an estimator's surrogate gradient.

Use them inside an ``nn.Module`` exactly like a reparameterised sample: the forward value is a
genuine discrete draw (or a relaxed one for Gumbel-Softmax), and ``backward`` sends the estimator's
gradient into ``theta`` and everything upstream of it. The estimators in :mod:`pwgf_viz.estimators`
call these same functions, so a model and the book's figures use one implementation.

A parameter of shape ``(n, *S)`` gives ``n`` independent draws of shape ``S``; see
:mod:`pwgf_viz.families` for the parameterisation of each family.
"""

from __future__ import annotations

import torch
from torch import distributions as D

from . import families
from .validation import check_family, check_parameter, check_positive

PATHWISE_RELAXED_FAMILIES = ("bernoulli", "categorical")


def sample_st(family: str, theta: torch.Tensor) -> torch.Tensor:
    r"""A draw :math:`z \sim p_\theta` with the straight-through gradient (eq. ``eq-st``).

    The forward value is the discrete sample; the backward pass treats it as the mean
    :math:`\mu(\theta)`: ``z + (mu - mu.detach())``, so :math:`\partial z / \partial \mu := I`.

    - Bernoulli: :math:`z = 1[u < p]` and :math:`\partial z/\partial p := 1`;
    - categorical: the one-hot sample with the gradient of the probabilities ``softmax(theta)``
      (as :class:`torch.distributions.OneHotCategoricalStraightThrough`);
    - Poisson: :math:`\partial z/\partial \lambda := 1`.
    """
    family = check_family(family)
    theta = check_parameter(family, theta)
    with torch.no_grad():
        z = families.distribution(family, theta).sample()
    mu = families.mean(family, theta)
    return z + (mu - mu.detach())   # adds an exact zero: the forward value stays discrete


def _relaxed_sample(family: str, theta: torch.Tensor, temperature: float) -> torch.Tensor:
    """Concrete / Gumbel-Softmax relaxation of a Bernoulli or categorical draw (reparameterised)."""
    if family == "bernoulli":
        return D.RelaxedBernoulli(torch.as_tensor(temperature, dtype=theta.dtype), probs=theta,
                                  validate_args=False).rsample()
    return D.RelaxedOneHotCategorical(torch.as_tensor(temperature, dtype=theta.dtype), logits=theta,
                                      validate_args=False).rsample()


def _harden(family: str, soft: torch.Tensor) -> torch.Tensor:
    """The discrete draw a relaxed sample rounds to: threshold at 1/2, or the one-hot argmax."""
    if family == "bernoulli":
        return (soft > 0.5).to(soft.dtype)
    return torch.nn.functional.one_hot(soft.argmax(-1), soft.shape[-1]).to(soft.dtype)


def sample_gumbel_softmax(family: str, theta: torch.Tensor, temperature: float = 0.5,
                          hard: bool = False) -> torch.Tensor:
    r"""A Gumbel-Softmax (Concrete) draw, with the straight-through-Gumbel variant as ``hard=True``.

    Relaxed (eq. ``eq-gumbel-softmax``): :math:`\tilde z = \mathrm{softmax}((\theta + g)/\tau)` with
    Gumbel noise :math:`g` (for Bernoulli, :math:`\sigma((\mathrm{logit}\,p + \ell)/\tau)` with logistic
    noise :math:`\ell`); the gradient is the exact pathwise derivative of the relaxed sample.
    Hard: the forward value is the exact discrete draw :math:`\mathrm{hard}(\tilde z)`, the backward pass
    that of :math:`\tilde z`.
    """
    family = check_family(family)
    if family not in PATHWISE_RELAXED_FAMILIES:
        raise ValueError(f"family must be one of {PATHWISE_RELAXED_FAMILIES} for Gumbel-Softmax; "
                         f"got {family!r}")
    theta = check_parameter(family, theta)
    temperature = check_positive(temperature, "temperature")
    if not isinstance(hard, bool):
        raise TypeError(f"hard must be a bool; got {type(hard).__name__}")
    soft = _relaxed_sample(family, theta, temperature)
    if not hard:
        return soft
    return _harden(family, soft.detach()) + (soft - soft.detach())
