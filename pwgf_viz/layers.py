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

    Parameters
    ----------
    family : {"bernoulli", "categorical", "poisson"}
        The family of the draw.
    theta : torch.Tensor
        Probabilities in (0, 1), logits of shape ``(..., K)`` with ``K >= 2``, or rates > 0
        (:mod:`pwgf_viz.families`); leading dimensions are draws.

    Returns
    -------
    torch.Tensor
        The discrete draw (forward value), of the shape of ``theta``, differentiable in ``theta`` with the ST
        Jacobian.
    """
    family = check_family(family)
    theta = check_parameter(family, theta)
    z = _draw(family, theta)
    mu = families.mean(family, theta)
    return z + (mu - mu.detach())   # adds an exact zero: the forward value stays discrete


def _draw(family: str, theta: torch.Tensor) -> torch.Tensor:
    """A discrete draw of ``p_theta`` that carries no gradient (the ``*_given`` functions attach it)."""
    with torch.no_grad():
        return families.distribution(family, theta).sample()


def _check_relaxed(family: str, theta: torch.Tensor, method: str) -> tuple[str, torch.Tensor]:
    """The checked ``family`` and ``theta`` of a method defined for the Bernoulli and categorical families only."""
    family = check_family(family)
    if family not in PATHWISE_RELAXED_FAMILIES:
        raise ValueError(f"family must be one of {PATHWISE_RELAXED_FAMILIES} for {method}; got {family!r}")
    return family, check_parameter(family, theta)


def _softmax_jacobian(pi: torch.Tensor) -> torch.Tensor:
    r""":math:`J(\pi) = \mathrm{diag}(\pi) - \pi\pi^\top` for every row of ``pi`` (shape ``(..., K, K)``)."""
    return torch.diag_embed(pi) - pi.unsqueeze(-1) * pi.unsqueeze(-2)


def _with_jacobian(z: torch.Tensor, theta: torch.Tensor, jacobian: torch.Tensor) -> torch.Tensor:
    r"""``z`` (forward value) whose backward pass is :math:`\partial z/\partial\theta := A`, per row.

    ``jacobian`` :math:`A` has shape ``(..., K, K)`` and is symmetric, so the upstream gradient :math:`g` reaches
    ``theta`` as :math:`A g`. The added term is an exact zero in the forward pass.
    """
    delta = (theta - theta.detach()).unsqueeze(-1)
    return z + (jacobian.detach() @ delta).squeeze(-1)


def pwgf_weight(family: str, theta: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    r"""The W2-projected tangent weight :math:`w(z) = \mathbb{E}_u[\partial_\theta\tilde z \mid z]` of the
    dequantised family (Bernoulli ``eq-pwgf-bernoulli``, Poisson ``eq-pwgf-poisson``), so that the
    pWGF estimator is :math:`\hat g = f'(z)\,w(z)`:

    .. math:: w_{\mathrm{Bern}}(z) = \frac{z}{2\theta} + \frac{1 - z}{2(1-\theta)}, \qquad
       w_{\mathrm{Pois}}(z) = \frac{z + \lambda}{2\lambda}.

    Parameters
    ----------
    family : {"bernoulli", "poisson"}
        The lattice family (the categorical construction is edge-wise, :func:`sample_pwgf`).
    theta : torch.Tensor
        Probabilities or rates, any shape (not validated here: callers have).
    z : torch.Tensor
        Draws of the same shape.

    Returns
    -------
    torch.Tensor
        The weights, detached, of ``z``'s shape.
    """
    theta = theta.detach()
    if family == "bernoulli":
        return z / (2 * theta) + (1 - z) / (2 * (1 - theta))
    if family == "poisson":
        return (z + theta) / (2 * theta)
    raise ValueError(f"family must be 'bernoulli' or 'poisson'; got {family!r}")


def pwgf_given(family: str, theta: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    r"""The pWGF draw of :func:`sample_pwgf` for a given discrete draw ``z`` (the exact means enumerate ``z``).

    Parameters
    ----------
    family : {"bernoulli", "categorical", "poisson"}
        The family (not validated here: the ``sample_*`` caller has).
    theta : torch.Tensor
        Probabilities, logits or rates, shape ``(..., *S)``; the gradient flows into it.
    z : torch.Tensor
        The discrete draw, same shape (one-hot for the categorical family).

    Returns
    -------
    torch.Tensor
        ``z`` (forward value), differentiable in ``theta`` with the pWGF Jacobian.
    """
    if family == "categorical":
        # Edge-wise construction (thm-reinmax-pwgf): dz/dtheta := (1/2) sum_k pi_k (e_k - z)(e_k - z)^T,
        # the second moment of the probabilities about the drawn vertex.
        pi = torch.softmax(theta.detach(), dim=-1)
        moment = torch.diag_embed(pi) - pi.unsqueeze(-1) * z.unsqueeze(-2) - z.unsqueeze(-1) * pi.unsqueeze(-2) \
            + z.unsqueeze(-1) * z.unsqueeze(-2)
        return _with_jacobian(z, theta, 0.5 * moment)
    return z + pwgf_weight(family, theta, z) * (theta - theta.detach())   # adds an exact zero


def sample_pwgf(family: str, theta: torch.Tensor) -> torch.Tensor:
    r"""A draw :math:`z \sim p_\theta` with the pWGF gradient: the numerator of the :math:`W_2`-projected velocity
    of the dequantised family (chapters ``chap-st-as-pwgf`` and ``chap-poisson-pwgf``).

    Each lattice point :math:`k` is spread over its unit cell :math:`[k, k+1)`, the cloud is moved by the flow
    of :math:`f` (velocity :math:`-f'(k)` in cell :math:`k`), and the moved cloud is projected back by
    :math:`W_2`. The projected velocity is :math:`-G(\theta)^{-1}\mathbb{E}[f'(z)\,w(z)]`; this draw carries
    the numerator, :math:`\partial z/\partial\theta := w(z)` (:func:`pwgf_weight`):

    - Bernoulli (each coordinate of a product): :math:`\hat g = f'(z)\,[z/(2\theta) + (1-z)/(2(1-\theta))]`
      (``eq-pwgf-bernoulli``), whose mean is the trapezoid rule :math:`\tfrac12(f'(0) + f'(1))`;
    - categorical (logits): the sum over the edges :math:`\{z, e_k\}` of the Bernoulli construction,
      :math:`\partial z/\partial\theta := \tfrac12\sum_k \pi_k (e_k - z)(e_k - z)^\top`
      (``thm-reinmax-pwgf``): ReinMax at temperature 1;
    - Poisson: :math:`\hat g = f'(z)\,(z + \lambda)/(2\lambda)` (``eq-pwgf-poisson``).

    Parameters
    ----------
    family : {"bernoulli", "categorical", "poisson"}
        The family of the draw.
    theta : torch.Tensor
        Probabilities, logits or rates (:mod:`pwgf_viz.families`); leading dimensions are draws.

    Returns
    -------
    torch.Tensor
        The discrete draw (forward value), differentiable in ``theta`` with the pWGF Jacobian.
    """
    family = check_family(family)
    theta = check_parameter(family, theta)
    z = _draw(family, theta)
    return pwgf_given(family, theta, z)


def reinmax_given(family: str, theta: torch.Tensor, z: torch.Tensor, temperature: float) -> torch.Tensor:
    r"""The ReinMax draw of :func:`sample_reinmax` for a given discrete draw ``z``.

    Parameters
    ----------
    family, theta, z
        As in :func:`pwgf_given`, for the Bernoulli and categorical families only.
    temperature : float
        :math:`\tau > 0` (not validated here).

    Returns
    -------
    torch.Tensor
        The draw ``z`` itself in the forward pass; its Jacobian in ``theta`` is ReinMax's.
    """
    if family == "categorical":
        pi0 = torch.softmax(theta.detach(), dim=-1)
        pi1 = 0.5 * (torch.softmax(theta.detach() / temperature, dim=-1) + z)
        return _with_jacobian(z, theta, 2 * _softmax_jacobian(pi1) - 0.5 * _softmax_jacobian(pi0))
    # Bernoulli: the two-category form with logit a = logit(p), mapped back to p through sigma'(a) = p(1 - p).
    p = theta.detach()
    q = 0.5 * (torch.sigmoid(torch.logit(p) / temperature) + z)
    weight = (2 * q * (1 - q) - 0.5 * p * (1 - p)) / (p * (1 - p))
    return z + weight * (theta - theta.detach())   # adds an exact zero


def sample_reinmax(family: str, theta: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    r"""A draw :math:`D \sim p_\theta` with the ReinMax gradient (Liu et al., 2023; ``eq-reinmax``).

    With :math:`\pi_0 = \mathrm{softmax}(\theta)`, :math:`\pi_1 = \tfrac12(\mathrm{softmax}(\theta/\tau) + D)`
    and :math:`J(\pi) = \mathrm{diag}(\pi) - \pi\pi^\top`, the gradient in the logits is
    :math:`2J(\pi_1)g - \tfrac12 J(\pi_0)g` for the upstream gradient :math:`g = \nabla_D f`. A Bernoulli
    probability :math:`p` is the two-category case with logit :math:`a = \mathrm{logit}\,p`, mapped back to
    :math:`p` by the chain rule. At :math:`\tau = 1` the draw equals :func:`sample_pwgf` (``thm-reinmax-pwgf``).

    Parameters
    ----------
    family : {"bernoulli", "categorical"}
        Probabilities (Bernoulli) or logits (categorical).
    theta : torch.Tensor
        The parameter; leading dimensions are draws.
    temperature : float, default 1.0
        :math:`\tau > 0`, finite. The reference implementation refuses :math:`\tau < 1`; this one accepts every
        :math:`\tau > 0` so the book can show what smaller temperatures do.

    Returns
    -------
    torch.Tensor
        The discrete draw, carrying the ReinMax Jacobian in ``theta``.

    References
    ----------
    Liu, Dong, Liu, Yu and Gao, "Bridging discrete and backpropagation: Straight-through and beyond",
    NeurIPS 2023 (arXiv:2304.08612); reference implementation ``microsoft/ReinMax``.
    """
    family, theta = _check_relaxed(family, theta, "ReinMax")
    temperature = check_positive(temperature, "temperature")
    z = _draw(family, theta)
    return reinmax_given(family, theta, z, temperature)


def poisson_truncated_logits(rate: torch.Tensor, truncation: int) -> torch.Tensor:
    r"""Log-probabilities of the truncated Poisson of the generalized Gumbel-Softmax (Joo et al., 2020).

    Shape ``(*rate.shape, truncation + 1)``: categories :math:`k = 0, \dots, n-1` with
    :math:`\log p_\lambda(k) = k\log\lambda - \lambda - \log k!`, and a last category :math:`n` holding the
    remainder :math:`P(Z \ge n) = 1 - \sum_{k<n} p_\lambda(k)` (clamped at the smallest normal number, where
    rounding makes it vanish). Differentiable in ``rate``.

    Parameters
    ----------
    rate : torch.Tensor
        Poisson rates > 0, any shape (not validated here).
    truncation : int
        The truncation level :math:`n \ge 1`.

    Returns
    -------
    torch.Tensor
        Shape ``(*rate.shape, truncation + 1)``, in ``rate``'s dtype.
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

    Parameters
    ----------
    theta : torch.Tensor
        Poisson rates > 0; leading dimensions are draws.
    truncation : int, optional
        The truncation level :math:`n`, in ``[1, MAX_TRUNCATION]`` (:data:`MAX_TRUNCATION`); ``None`` chooses it as
        above.
    temperature : float, default 0.5
        :math:`\tau > 0`, finite.

    Returns
    -------
    torch.Tensor
        The relaxed counts :math:`\tilde z \in [0, n]`, of ``theta``'s shape, differentiable in ``theta``.

    References
    ----------
    Joo, Kim, Kang and Moon, "Generalized Gumbel-Softmax gradient estimator for generic discrete random
    variables" (arXiv:2003.01847, 2020).
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

    Parameters
    ----------
    family : {"bernoulli", "categorical"}
        Probabilities (Bernoulli, logistic noise) or logits (categorical, Gumbel noise).
    theta : torch.Tensor
        The parameter; leading dimensions are draws.
    temperature : float, default 0.5
        :math:`\tau > 0`, finite.
    hard : bool, default False
        Return the discrete draw with the relaxed gradient (straight-through Gumbel-Softmax).

    Returns
    -------
    torch.Tensor
        The relaxed draw :math:`\tilde z` (in (0, 1), or on the simplex along the last axis), or with ``hard=True``
        the discrete draw; of ``theta``'s shape, differentiable in ``theta``.

    References
    ----------
    Jang, Gu and Poole, "Categorical reparameterization with Gumbel-Softmax", ICLR 2017; Maddison, Mnih and Teh,
    "The Concrete distribution", ICLR 2017.
    """
    family, theta = _check_relaxed(family, theta, "Gumbel-Softmax")
    temperature = check_positive(temperature, "temperature")
    if not isinstance(hard, bool):
        raise TypeError(f"hard must be a bool; got {type(hard).__name__}")
    soft = _relaxed_sample(family, theta, temperature)
    if not hard:
        return soft
    return _harden(family, soft.detach()) + (soft - soft.detach())


# ---------------------------------------------------------------------------------------------------
# Part VI (chapter ``chap-beyond-st``): estimators after ReinMax. Each ``*_given`` function takes the
# discrete draw ``z`` (so the exact mean of a draw that depends on ``z`` alone can be enumerated), each
# ``sample_*`` draws ``z`` and calls it. A Bernoulli probability ``p`` is the two-category case with
# logit ``a = logit(p)``; the gradient in ``a`` is mapped back to ``p`` through ``da/dp = 1/(p(1-p))``.
# ---------------------------------------------------------------------------------------------------

def _bernoulli_logit_weight(z: torch.Tensor, theta: torch.Tensor, dz_da: torch.Tensor) -> torch.Tensor:
    r"""``z`` whose backward pass is :math:`\partial z/\partial p := (\partial z/\partial a)/(p(1-p))`."""
    p = theta.detach()
    return z + (dz_da.detach() / (p * (1 - p))) * (theta - theta.detach())   # adds an exact zero


def conditional_gumbel_logits(theta: torch.Tensor, z: torch.Tensor, samples: int) -> torch.Tensor:
    r"""``samples`` draws of the perturbed logits :math:`\theta + G` given that their argmax is ``z``.

    With :math:`E_j \sim \mathrm{Exp}(1)` independent and :math:`Z = \sum_j e^{\theta_j}`, the maximum,
    at the drawn category :math:`i`, is :math:`\log Z - \log E_i` (a Gumbel with location
    :math:`\log Z`), and every other coordinate is :math:`-\log(E_j e^{-\theta_j} + E_i/Z)`, a Gumbel
    with location :math:`\theta_j` truncated below the maximum (Paulus, Maddison and Krause, 2021,
    app. A). Computed in log space (``logaddexp``).

    Parameters
    ----------
    theta : torch.Tensor
        Logits, shape ``(..., K)`` (detached here: the noise carries no gradient).
    z : torch.Tensor
        One-hot draws of the same shape.
    samples : int
        The number :math:`K` of conditional draws per ``z``.

    Returns
    -------
    torch.Tensor
        Shape ``(samples, ..., K)``; the argmax of every draw is the category of ``z``.
    """
    theta = theta.detach()
    exp = torch.empty((samples,) + tuple(theta.shape), dtype=theta.dtype, device=theta.device).exponential_()
    exp = exp.clamp_min(torch.finfo(theta.dtype).tiny)   # an exact 0 would give an infinite logit
    log_norm = torch.logsumexp(theta, dim=-1, keepdim=True)
    log_ei = (exp * z).sum(-1, keepdim=True).log()
    others = -torch.logaddexp(exp.log() - theta, log_ei - log_norm)
    return torch.where(z.bool(), log_norm - log_ei, others)


def gumbel_rao_given(family: str, theta: torch.Tensor, z: torch.Tensor, samples: int,
                     temperature: float) -> torch.Tensor:
    r"""The Gumbel-Rao draw of :func:`sample_gumbel_rao` for a given discrete draw ``z``.

    Parameters
    ----------
    family, theta, z
        As in :func:`pwgf_given`, for the Bernoulli and categorical families only.
    samples : int
        The number of conditional noise draws, >= 1 (not validated here).
    temperature : float
        :math:`\tau > 0` (not validated here).

    Returns
    -------
    torch.Tensor
        ``z``, with the Jacobian in ``theta`` averaged over the conditional draws.
    """
    if family == "categorical":
        soft = torch.softmax(conditional_gumbel_logits(theta, z, samples) / temperature, dim=-1)
        return _with_jacobian(z, theta, _softmax_jacobian(soft).mean(0) / temperature)
    # Bernoulli: z = 1[a + L > 0] with logistic L; given z, L = logit(U) with U uniform on the
    # interval the draw came from, (1 - p, 1) for z = 1 and (0, 1 - p) for z = 0.
    p = theta.detach()
    v = torch.rand((samples,) + tuple(p.shape), dtype=p.dtype, device=p.device)
    u = torch.where(z.bool(), (1 - p) + p * v, (1 - p) * v)
    soft = torch.sigmoid((torch.logit(p) + torch.logit(u)) / temperature)
    return _bernoulli_logit_weight(z, theta, (soft * (1 - soft)).mean(0) / temperature)


def sample_gumbel_rao(family: str, theta: torch.Tensor, samples: int = 10, temperature: float = 0.5,
                      ) -> torch.Tensor:
    r"""A draw with the Gumbel-Rao Monte Carlo gradient (Paulus, Maddison and Krause, ICLR 2021; ``eq-gumbel-rao``).

    The ST-Gumbel-Softmax gradient :math:`J(\mathrm{softmax}((\theta + G)/\tau))^\top\nabla_D f/\tau`
    depends on the noise :math:`G` only through the Jacobian, and :math:`\nabla_D f` depends on :math:`G`
    only through the draw :math:`D = \mathrm{onehot}(\arg\max(\theta + G))`. Conditioning on :math:`D`
    (Rao-Blackwellisation) and averaging the Jacobian over ``samples`` :math:`K` conditional draws
    :math:`G_k \mid D` (:func:`conditional_gumbel_logits`) keeps the mean of ST-Gumbel-Softmax at the same
    :math:`\tau` and can only lower the variance. The noise is not differentiated (the total derivative
    through :math:`G_k \mid D` would change the mean). One evaluation of ``f`` per draw.

    Parameters
    ----------
    family, theta
        As in :func:`sample_gumbel_softmax`.
    samples : int, default 10
        :math:`K \ge 1` conditional noise draws per discrete draw; :math:`K = 1` has the variance of
        ST-Gumbel-Softmax up to the draw of :math:`G` given :math:`D`.
    temperature : float, default 0.5
        :math:`\tau > 0`, finite.

    Returns
    -------
    torch.Tensor
        The discrete draw; its Jacobian in ``theta`` is the average over the :math:`K` noise draws.

    References
    ----------
    Paulus, Maddison and Krause, "Rao-Blackwellizing the straight-through Gumbel-Softmax gradient
    estimator", ICLR 2021 (arXiv:2010.04838).
    """
    family, theta = _check_relaxed(family, theta, "Gumbel-Rao")
    samples = check_count(samples, "samples", minimum=1, maximum=10_000)
    temperature = check_positive(temperature, "temperature")
    z = _draw(family, theta)
    return gumbel_rao_given(family, theta, z, samples, temperature)


def zgr_given(family: str, theta: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    r"""The ZGR draw of :func:`sample_zgr` for a given discrete draw ``z``.

    Parameters
    ----------
    family, theta, z
        As in :func:`pwgf_given`, for the Bernoulli and categorical families only.

    Returns
    -------
    torch.Tensor
        ``z``, whose Jacobian in ``theta`` is ZGR's.
    """
    if family == "categorical":
        pi = torch.softmax(theta.detach(), dim=-1)
        centred = z - pi
        jacobian = 0.5 * (_softmax_jacobian(pi) + centred.unsqueeze(-1) * centred.unsqueeze(-2))
        return _with_jacobian(z, theta, jacobian)
    p = theta.detach()
    return _bernoulli_logit_weight(z, theta, 0.5 * (z * (1 - p) + (1 - z) * p))


def sample_zgr(family: str, theta: torch.Tensor) -> torch.Tensor:
    r"""A draw with the ZGR gradient: the zero-temperature limit of Gumbel-Rao (Shekhovtsov, 2023; ``eq-zgr``).

    As :math:`\tau \to 0` with :math:`K \to \infty`, the conditional mean of the Gumbel-Softmax Jacobian
    :math:`\mathbb{E}[J(\mathrm{softmax}((\theta+G)/\tau))/\tau \mid D]` tends to

    .. math:: \tfrac12\big(J(\pi) + (D - \pi)(D - \pi)^\top\big), \qquad J(\pi) = \mathrm{diag}\,\pi - \pi\pi^\top,

    half the ST Jacobian plus half the outer product of the centred draw (for a Bernoulli:
    :math:`\partial D/\partial a := \tfrac12(D(1-p) + (1-D)p)`). The chapter checks the limit numerically and shows
    that this draw equals :func:`sample_pwgf` (and ReinMax at :math:`\tau = 1`) for every ``z``.

    Parameters
    ----------
    family, theta
        As in :func:`sample_reinmax`.

    Returns
    -------
    torch.Tensor
        The discrete draw with the ZGR Jacobian.

    References
    ----------
    Shekhovtsov, "Cold analysis of Rao-Blackwellized straight-through Gumbel-Softmax gradient estimator",
    ICML 2023.
    """
    family, theta = _check_relaxed(family, theta, "ZGR")
    z = _draw(family, theta)
    return zgr_given(family, theta, z)


def gapped_logits(theta: torch.Tensor, z: torch.Tensor, gap: float) -> torch.Tensor:
    r"""The deterministic perturbation of Gapped ST: logits whose argmax is ``z`` by a margin ``gap``.

    The drawn category :math:`i` is raised to the largest logit, :math:`m_i = \max_j\theta_j`; every other
    category within ``gap`` of that maximum is lowered to :math:`\max_j\theta_j - \text{gap}`; the rest are
    unchanged. Returned as :math:`\theta + \delta` with the shift :math:`\delta` detached, so the gradient
    in :math:`\theta` is the identity (Fan et al., 2022, the "mover").

    Parameters
    ----------
    theta : torch.Tensor
        Logits, shape ``(..., K)``.
    z : torch.Tensor
        One-hot draws of the same shape.
    gap : float
        The margin, > 0 (not validated here).

    Returns
    -------
    torch.Tensor
        The perturbed logits, shape ``(..., K)``, with the gradient of ``theta``.
    """
    base = theta.detach()
    top = base.max(dim=-1, keepdim=True).values
    shift = torch.where(z.bool(), top - base, -(base - top + gap).clamp_min(0.0))
    return theta + shift


def gapped_st_given(family: str, theta: torch.Tensor, z: torch.Tensor, gap: float,
                    temperature: float) -> torch.Tensor:
    r"""The Gapped ST draw of :func:`sample_gapped_st` for a given discrete draw ``z``.

    Parameters
    ----------
    family, theta, z
        As in :func:`pwgf_given`, for the Bernoulli and categorical families only.
    gap : float
        The margin, > 0 (not validated here).
    temperature : float
        :math:`\tau > 0` (not validated here).

    Returns
    -------
    torch.Tensor
        ``z``, carrying the Gapped ST Jacobian in ``theta``.
    """
    if family == "categorical":
        soft = torch.softmax(gapped_logits(theta.detach(), z, gap) / temperature, dim=-1)
        return _with_jacobian(z, theta, _softmax_jacobian(soft) / temperature)
    p = theta.detach()
    a = torch.logit(p)
    two = torch.stack([a, torch.zeros_like(a)], dim=-1)
    soft = torch.softmax(gapped_logits(two, torch.stack([z, 1 - z], dim=-1), gap) / temperature, dim=-1)[..., 0]
    return _bernoulli_logit_weight(z, theta, soft * (1 - soft) / temperature)


def sample_gapped_st(family: str, theta: torch.Tensor, gap: float = 1.0, temperature: float = 1.0,
                     ) -> torch.Tensor:
    r"""A draw with the Gapped Straight-Through gradient (Fan et al., ICML 2022; ``eq-gapped-st``).

    Instead of Gumbel noise, a deterministic perturbation :math:`m(\theta, D)` of the logits that makes the
    drawn category the argmax with a margin of at least ``gap`` (:func:`gapped_logits`); the gradient is
    that of :math:`\mathrm{softmax}(m/\tau)`, :math:`\partial D/\partial\theta := J(\mathrm{softmax}(m/\tau))/\tau`.
    It needs no noise beyond the draw, one evaluation of ``f``. A Bernoulli probability is the
    two-category case with logits :math:`(\mathrm{logit}\,p, 0)`.

    Parameters
    ----------
    family, theta
        As in :func:`sample_reinmax`.
    gap : float, default 1.0
        The margin, > 0, finite (the paper's GST-1.0; the reference code also offers an adaptive gap).
    temperature : float, default 1.0
        The temperature :math:`\tau > 0` of the softmax of the perturbed logits, finite.

    Returns
    -------
    torch.Tensor
        The discrete draw (forward value), differentiable in ``theta`` with the Jacobian
        :math:`J(\mathrm{softmax}(m/\tau))/\tau`.

    References
    ----------
    Fan, Chi, Rudnicky and Ramadge, "Training discrete deep generative models via gapped
    straight-through estimator", ICML 2022 (arXiv:2206.07235); reference code ``chijames/GST``.
    """
    family, theta = _check_relaxed(family, theta, "Gapped ST")
    gap = check_positive(gap, "gap")
    temperature = check_positive(temperature, "temperature")
    z = _draw(family, theta)
    return gapped_st_given(family, theta, z, gap, temperature)


def sample_decoupled_st(family: str, theta: torch.Tensor, forward_temperature: float = 1.0,
                        backward_temperature: float = 1.0) -> torch.Tensor:
    r"""A draw with the decoupled straight-through Gumbel-Softmax gradient (Shah et al., 2024; ``eq-decoupled-st``).

    One Gumbel draw :math:`G` serves two temperatures: the forward value is the discrete draw
    :math:`D = \mathrm{onehot}(\arg\max(\theta/\tau_f + G))`, a sample of :math:`\mathrm{softmax}(\theta/\tau_f)`,
    and the backward pass is that of :math:`\mathrm{softmax}((\theta + G)/\tau_b)`. At :math:`\tau_f = 1` it
    is ST-Gumbel-Softmax at :math:`\tau_b`; at :math:`\tau_f \ne 1` the draws come from a tempered
    distribution, not from :math:`p_\theta`. (The book's reading of the method: the abstract defines it by
    the two temperatures; this is the form in which :math:`\tau_f` changes the forward pass.)

    Parameters
    ----------
    family, theta
        As in :func:`sample_gumbel_softmax`.
    forward_temperature : float, default 1.0
        :math:`\tau_f > 0`, finite.
    backward_temperature : float, default 1.0
        :math:`\tau_b > 0`, finite.

    Returns
    -------
    torch.Tensor
        The discrete draw of :math:`\mathrm{softmax}(\theta/\tau_f)` (forward value),
        probability of a one), differentiable in ``theta`` as :math:`\mathrm{softmax}((\theta + G)/\tau_b)`.

    References
    ----------
    Shah, Yan, Mozer and Liu, "Improving discrete optimisation via decoupled straight-through estimator"
    (arXiv:2410.13331, 2024).
    """
    family, theta = _check_relaxed(family, theta, "decoupled ST")
    tau_f = check_positive(forward_temperature, "forward_temperature")
    tau_b = check_positive(backward_temperature, "backward_temperature")
    if family == "categorical":
        logits = theta
    else:
        a = torch.logit(theta)
        logits = torch.stack([a, torch.zeros_like(a)], dim=-1)
    with torch.no_grad():
        noise = -torch.empty_like(logits).exponential_().log()
        hard = torch.nn.functional.one_hot((logits.detach() / tau_f + noise).argmax(-1),
                                           logits.shape[-1]).to(logits.dtype)
    soft = torch.softmax((logits + noise) / tau_b, dim=-1)
    drawn = hard + (soft - soft.detach())
    return drawn if family == "categorical" else drawn[..., 0]
