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

from . import exact, families
from .validation import check_count, check_family, check_parameter, check_positive

PATHWISE_RELAXED_FAMILIES = ("bernoulli", "categorical")
#: Largest truncation level of the generalized Gumbel-Softmax (memory grows with draws x truncation).
MAX_TRUNCATION = 100_000


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


def sample_pwgf(family: str, theta: torch.Tensor) -> torch.Tensor:
    r"""A draw :math:`z \sim p_\theta` with the projected-Wasserstein-gradient-flow (pWGF) gradient.

    - Bernoulli and categorical: the mean (first-moment) projection of one particle step, which *is* the
      straight-through gradient (chapter 5, ``thm-st-pwgf``): identical to :func:`sample_st`.
    - Poisson: the :math:`W_2` projection after spreading each count :math:`k` uniformly over the cell
      :math:`[k, k+1)` (chapter 7, ``eq-pwgf-poisson``),

      .. math:: \frac{\partial z}{\partial \lambda} := \frac{z + \lambda}{2\lambda},
         \qquad \hat g = f'(z)\,\frac{z + \lambda}{2\lambda},

      whose mean :math:`\mathbb{E}\,\tfrac12(f'(Z) + f'(Z+1))` is the trapezoid rule for the exact gradient
      :math:`\mathbb{E}[f(Z+1) - f(Z)]` (exact for quadratic ``f``).
    """
    family = check_family(family)
    theta = check_parameter(family, theta)
    if family != "poisson":
        return sample_st(family, theta)
    with torch.no_grad():
        z = families.distribution(family, theta).sample()
    weight = (z + theta.detach()) / (2 * theta.detach())
    return z + weight * (theta - theta.detach())   # adds an exact zero; d z / d lambda = weight


def poisson_truncated_logits(rate: torch.Tensor, truncation: int) -> torch.Tensor:
    r"""Log-probabilities of the truncated Poisson of the generalized Gumbel-Softmax (Joo et al., 2020).

    Shape ``(*rate.shape, truncation + 1)``: categories :math:`k = 0, \dots, n-1` with
    :math:`\log p_\lambda(k) = k\log\lambda - \lambda - \log k!`, and a last category :math:`n` holding the
    remainder :math:`P(Z \ge n) = 1 - \sum_{k<n} p_\lambda(k)` (clamped at the smallest normal number, where
    rounding makes it vanish). Differentiable in ``rate``.
    """
    k = torch.arange(truncation, dtype=rate.dtype, device=rate.device)
    rate = rate.unsqueeze(-1)
    head = k * torch.log(rate) - rate - torch.lgamma(k + 1)
    remainder = (1 - head.exp().sum(-1, keepdim=True)).clamp_min(torch.finfo(rate.dtype).tiny)
    return torch.cat([head, remainder.log()], dim=-1)


def sample_gen_gumbel_softmax(theta: torch.Tensor, truncation: int | None = None, temperature: float = 0.5,
                              ) -> torch.Tensor:
    r"""A generalized Gumbel-Softmax draw of a Poisson count (Joo et al., 2020; chapter 7, ``eq-gengs``).

    Truncate :math:`\mathrm{Poisson}(\lambda)` at ``truncation`` :math:`n` (:func:`poisson_truncated_logits`),
    relax the categorical draw over :math:`\{0, \dots, n\}` with Gumbel noise :math:`g`,
    :math:`w = \mathrm{softmax}((\log \pi + g)/\tau)`, and map it linearly back to a count:
    :math:`\tilde z = \sum_k k\, w_k \in [0, n]`. The gradient is the exact pathwise derivative of
    :math:`\tilde z`; as :math:`\tau \to 0` and :math:`n \to \infty`, :math:`\tilde z` tends in
    distribution to a Poisson draw. ``truncation=None`` picks the smallest :math:`n` with
    :math:`P(Z \ge n) < 10^{-12}` at the largest rate (:func:`pwgf_viz.exact.poisson_truncation`).
    """
    theta = check_parameter("poisson", theta)
    if truncation is None:
        truncation = int(exact.poisson_truncation(theta.detach().max().reshape(1))[0]) + 1
    truncation = check_count(truncation, "truncation", minimum=1, maximum=MAX_TRUNCATION)
    temperature = check_positive(temperature, "temperature")
    logits = poisson_truncated_logits(theta, truncation)
    weights = D.RelaxedOneHotCategorical(torch.as_tensor(temperature, dtype=theta.dtype), logits=logits,
                                         validate_args=False).rsample()
    support = torch.arange(truncation + 1, dtype=theta.dtype, device=theta.device)
    return weights @ support


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
