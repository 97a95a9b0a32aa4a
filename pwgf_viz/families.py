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
    """The torch distribution of ``z`` given the parameter ``theta`` (already validated).

    Parameters
    ----------
    family : {"bernoulli", "categorical", "poisson"}
        The family (any other string is read as ``"poisson"``).
    theta : torch.Tensor
        Probabilities, logits of shape ``(..., K)`` or rates; ``torch.distributions`` does not re-validate them.

    Returns
    -------
    torch.distributions.Distribution
        ``Bernoulli(probs=theta)``, ``OneHotCategorical(logits=theta)`` or ``Poisson(rate=theta)``.
    """
    if family == "bernoulli":
        return D.Bernoulli(probs=theta, validate_args=False)
    if family == "categorical":
        return D.OneHotCategorical(logits=theta, validate_args=False)
    return D.Poisson(rate=theta, validate_args=False)


def mean(family: str, theta: torch.Tensor) -> torch.Tensor:
    """The mean map ``mu(theta) = E[z]``: ``theta`` (Bernoulli, Poisson), ``softmax(theta)`` (categorical).

    Parameters
    ----------
    family : {"bernoulli", "categorical", "poisson"}
        The family.
    theta : torch.Tensor
        Its (validated) parameter.

    Returns
    -------
    torch.Tensor
        :math:`\\mu(\\theta)`, of ``theta``'s shape (differentiable).
    """
    if family == "categorical":
        return torch.softmax(theta, dim=-1)
    return theta


def log_prob(family: str, theta: torch.Tensor, z: torch.Tensor, sample_dims: int = 1) -> torch.Tensor:
    """``log p_theta(z)`` of whole draws: the log-probabilities summed over the event dimensions.

    ``z`` has shape ``(m, *S)``; the result has shape ``(m,)``. ``theta`` has shape ``S`` or ``(m, *S)``.

    Parameters
    ----------
    family : {"bernoulli", "categorical", "poisson"}
        The family.
    theta : torch.Tensor
        Its (validated) parameter, shape ``S`` or ``(m, *S)``.
    z : torch.Tensor
        Draws, shape ``(m, *S)`` (one-hot along the last axis for the categorical family).
    sample_dims : int, default 1
        How many leading axes of the result are sample axes, >= 0; the remaining event axes are summed.

    Returns
    -------
    torch.Tensor
        The log-probabilities, of shape ``z.shape[:sample_dims]`` (``(m,)`` by default), differentiable in
        ``theta``.
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

    Parameters
    ----------
    family : {"bernoulli", "categorical", "poisson"}
        The family.
    theta : torch.Tensor
        Its parameter, shape ``S``.
    grad_mean : torch.Tensor
        A gradient with respect to :math:`\\mu`, shape ``S``.

    Returns
    -------
    torch.Tensor
        The gradient with respect to ``theta``, shape ``S``.
    """
    if family != "categorical":
        return grad_mean
    probs = torch.softmax(theta, dim=-1)
    return probs * (grad_mean - (probs * grad_mean).sum(-1, keepdim=True))
