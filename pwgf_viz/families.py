"""The three discrete families of the book, as :mod:`torch.distributions` objects.

A parameter ``theta`` of shape ``S`` describes one draw ``z`` of the same shape ``S`` (the *event
shape* of the book; chapter 1, equation ``eq-objective``):

- ``"bernoulli"``: ``theta`` holds probabilities, ``z`` independent bits with ``P(z_i = 1) = theta_i``;
- ``"categorical"``: ``theta`` holds logits of shape ``(..., K)``, ``z`` one one-hot vector per leading
  index, drawn with probabilities ``softmax(theta)``;
- ``"poisson"``: ``theta`` holds rates, ``z`` independent counts with ``z_i ~ Poisson(theta_i)``.

Parameters may carry leading *sample* dimensions: a tensor of shape ``(n, *S)`` gives ``n`` independent
draws, one per row, which is how the estimators vectorise over samples.
"""

from __future__ import annotations

import torch
from torch import distributions as D


def distribution(family: str, theta: torch.Tensor) -> D.Distribution:
    """The torch distribution of ``z`` given the parameter ``theta`` (already validated)."""
    if family == "bernoulli":
        return D.Bernoulli(probs=theta, validate_args=False)
    if family == "categorical":
        return D.OneHotCategorical(logits=theta, validate_args=False)
    return D.Poisson(rate=theta, validate_args=False)


def mean(family: str, theta: torch.Tensor) -> torch.Tensor:
    """The mean map ``mu(theta) = E[z]``: ``theta`` (Bernoulli, Poisson), ``softmax(theta)`` (categorical)."""
    if family == "categorical":
        return torch.softmax(theta, dim=-1)
    return theta


def log_prob(family: str, theta: torch.Tensor, z: torch.Tensor, sample_dims: int = 1) -> torch.Tensor:
    """``log p_theta(z)`` of whole draws: the log-probabilities summed over the event dimensions.

    ``z`` has shape ``(m, *S)``; the result has shape ``(m,)``. ``theta`` has shape ``S`` or ``(m, *S)``.
    """
    if family == "bernoulli":
        # log p and log(1 - p) directly: torch's Bernoulli goes through the logit log p - log1p(-p), which loses
        # the relative precision of 1 - p near p = 1 (a 1e-4 error in the exact gradient at p = 1 - 1e-12).
        per_site = torch.where(z > 0.5, torch.log(theta), torch.log1p(-theta))
    else:
        per_site = distribution(family, theta).log_prob(z)
    return per_site.reshape(per_site.shape[:sample_dims] + (-1,)).sum(-1)


def mean_gradient_to_parameter(family: str, theta: torch.Tensor, grad_mean: torch.Tensor) -> torch.Tensor:
    """Turn a gradient with respect to the mean ``mu`` into one with respect to ``theta`` (chain rule).

    Identity for Bernoulli and Poisson. For categorical logits, ``J^T g`` with the softmax Jacobian
    ``J = diag(pi) - pi pi^T``, that is ``pi * (g - <pi, g>)`` per one-hot group.
    """
    if family != "categorical":
        return grad_mean
    probs = torch.softmax(theta, dim=-1)
    return probs * (grad_mean - (probs * grad_mean).sum(-1, keepdim=True))
