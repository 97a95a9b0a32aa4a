r"""Variational autoencoders with discrete latents, trained with a gradient estimator chosen by name.

A model has an encoder :math:`q_\phi(z \mid x)` (Bernoulli probabilities or Poisson rates :math:`\theta_\phi(x)`),
a fixed prior :math:`p(z)` and a decoder :math:`p_\psi(x \mid z)`. Its evidence lower bound (ELBO) is

.. math::

    \mathcal L(x) = \mathbb{E}_{q_\phi(z\mid x)}\big[\log p_\psi(x\mid z)\big]
    - \mathrm{KL}\big(q_\phi(z\mid x)\,\|\,p(z)\big) \;\le\; \log p(x)

(eq. ``eq-elbo`` of the Bernoulli VAE chapter). The KL term is analytic for both families and differentiated
exactly. The reconstruction term is an expectation :math:`\mathbb{E}_{p_\theta}[-f(z)]` with
:math:`f(z) = -\log p_\psi(x\mid z)` and :math:`\theta = \theta_\phi(x)`: its gradient with respect to the encoder is
what the estimators of :mod:`pwgf_viz.estimators` estimate. Training therefore minimises

- for the encoder, the estimator's surrogate of :math:`\mathbb{E}[f(z)]` plus the KL (``f`` sees a frozen copy of
  the decoder, so the surrogate sends gradient only into :math:`\phi`);
- for the decoder, :math:`f(z)` at a fresh draw :math:`z \sim q_\phi` (an unbiased gradient in :math:`\psi`, the
  same for every estimator).

The estimators differ in the encoder gradient only. Each data point gets a fixed number of evaluations of ``f``
per step (``evaluations``): :math:`K = \text{evaluations} / e` draws, :math:`e` = 2 for ARM and DisARM, 1 otherwise.
``reinforce_baseline`` averages over the other :math:`K - 1` draws of the same data point.

Evaluation (:meth:`LatentVAE.bounds`) estimates the ELBO by :math:`S` draws and the importance-weighted bound
:math:`\log \frac1S \sum_s p(x, z_s)/q(z_s\mid x) \le \log p(x)` from the same draws.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn
from torch.func import functional_call

from . import exact, families
from .estimators import Estimator, get_estimator
from .validation import check_count, check_options, check_positive

#: Bernoulli probabilities are squashed into [PROBABILITY_MARGIN, 1 - PROBABILITY_MARGIN]: float32 sigmoids
#: round to exactly 0 or 1 for logits beyond about 17 in size, where log(1 - p) and the ARM logits are infinite.
PROBABILITY_MARGIN = 1e-6
#: Smallest Poisson rate of the encoder (softplus + this).
MIN_RATE = 1e-3
#: Largest batch of rows (data points x draws) one evaluation call handles at once.
EVAL_CHUNK = 20_000
#: Data rows per block of :meth:`BernoulliVAE.exact_bounds` (a block holds rows x 2^d log-likelihoods).
EXACT_CHUNK = 64


class TrainingLoss(NamedTuple):
    """``loss`` to call ``backward`` on; ``elbo``, the batch mean of a one-draw ELBO estimate (detached)."""

    loss: torch.Tensor
    elbo: torch.Tensor


class Bounds(NamedTuple):
    """Per-data-point ELBO and a tighter bound, shape ``(n,)``: importance-weighted, or the exact log p(x)."""

    elbo: torch.Tensor
    importance: torch.Tensor


def mlp(n_in: int, n_out: int, hidden: int | None) -> nn.Module:
    """``Linear`` if ``hidden`` is None, else ``Linear - tanh - Linear`` with ``hidden`` units.

    Parameters
    ----------
    n_in : int
        Input width.
    n_out : int
        Output width.
    hidden : int or None
        Width of the hidden layer; ``None`` for none.

    Returns
    -------
    torch.nn.Module
        The freshly initialised network.
    """
    if hidden is None:
        return nn.Linear(n_in, n_out)
    return nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, n_out))


class LatentVAE(nn.Module):
    """The shared training and evaluation logic; subclasses give the family, prior, KL and decoder likelihood.

    Parameters
    ----------
    encoder : torch.nn.Module
        Maps data ``(n, n_features)`` to the raw encoder output that :meth:`latent_parameter` turns into
        :math:`\\theta_\\phi(x)`.
    decoder : torch.nn.Module
        Maps latents ``(n, n_latent)`` to what :meth:`log_likelihood` reads.
    n_features : int
        Data dimension.
    n_latent : int
        Latent dimension.
    estimator : str or Estimator
        The encoder's gradient estimator (a key of :data:`~pwgf_viz.estimators.ESTIMATORS`); it must support the
        subclass's :attr:`family`.
    \\*\\*options
        The estimator's options (names from its ``defaults``; ``temperature`` must be > 0).
    """

    family: str = ""
    #: Accepted range of the data entries, and what they are.
    data_range: tuple[float, float] = (-math.inf, math.inf)
    data_description: str = ""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, n_features: int, n_latent: int,
                 estimator: str | Estimator, **options: object) -> None:
        super().__init__()
        self.estimator = get_estimator(estimator)
        self.estimator.check_family(self.family)
        self.options = check_options(dict(options), dict(self.estimator.defaults), self.estimator.name)
        self.encoder = encoder
        self.decoder = decoder
        self.n_features = n_features
        self.n_latent = n_latent

    # -- family-specific parts ------------------------------------------------------------------------------
    def latent_parameter(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\theta_\\phi(x)`, shape ``(n, n_latent)``.

        Parameters
        ----------
        x : torch.Tensor
            Data, floating, shape ``(n, n_features)`` with ``n >= 1`` (checked by the caller).

        Returns
        -------
        torch.Tensor
            The parameters, shape ``(n, n_latent)``, differentiable in the encoder's weights.
        """
        raise NotImplementedError

    def kl(self, theta: torch.Tensor) -> torch.Tensor:
        """Analytic :math:`\\mathrm{KL}(q_\\theta \\| p)`, shape ``(n,)``.

        Parameters
        ----------
        theta : torch.Tensor
            Encoder parameters :math:`\\theta_\\phi(x)`, shape ``(n, n_latent)``.

        Returns
        -------
        torch.Tensor
            The KL of each row, shape ``(n,)``.
        """
        raise NotImplementedError

    def prior_log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """:math:`\\log p(z)`, shape ``(n,)``.

        Parameters
        ----------
        z : torch.Tensor
            Latent draws, shape ``(n, n_latent)``.

        Returns
        -------
        torch.Tensor
            The prior log-probability of each row, shape ``(n,)``.
        """
        raise NotImplementedError

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor,
                       params: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """:math:`\\log p_\\psi(x \\mid z)`, shape ``(n,)``; ``params`` replace the decoder's parameters.

        Parameters
        ----------
        x : torch.Tensor
            Data, floating, shape ``(n, n_features)`` with ``n >= 1``.
        z : torch.Tensor
            Latent draws, shape ``(n, n_latent)``.
        params : dict of str to torch.Tensor, optional
            Tensors replacing the decoder's parameters (by name, as ``named_parameters``); ``None`` uses the decoder's.

        Returns
        -------
        torch.Tensor
            The log-likelihood of each row, shape ``(n,)``.
        """
        raise NotImplementedError

    # -- shared logic ---------------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``model(x)``: the encoder's parameters :math:`\\theta_\\phi(x)` of :math:`q_\\phi(z \\mid x)`.

        Parameters
        ----------
        x : torch.Tensor
            Data, floating, shape ``(n, n_features)`` with ``n >= 1``, entries finite and in :attr:`data_range`.

        Returns
        -------
        torch.Tensor
            :math:`\\theta_\\phi(x)`, shape ``(n, n_latent)``.
        """
        return self.latent_parameter(self._check_data(x))

    def _decode(self, z: torch.Tensor, params: dict[str, torch.Tensor] | None) -> torch.Tensor:
        if params is None:
            return self.decoder(z)
        return functional_call(self.decoder, params, (z,))

    def _check_data(self, x: object, name: str = "x") -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError(f"{name} must be a floating torch tensor of shape (n, {self.n_features})")
        if x.dim() != 2 or x.shape[1] != self.n_features or x.shape[0] == 0:
            raise ValueError(f"{name} must have shape (n, {self.n_features}) with n >= 1; got {tuple(x.shape)}")
        low, high = self.data_range
        if not bool(torch.isfinite(x).all()) or bool((x < low).any()) or bool((x > high).any()):
            raise ValueError(f"{name} must hold finite values in [{low}, {high}] ({self.data_description})")
        return x

    def draws_per_point(self, evaluations: int) -> int:
        """:math:`K`: draws per data point that ``evaluations`` evaluations of ``f`` buy with this estimator.

        Parameters
        ----------
        evaluations : int
            Evaluations of ``f`` per data point, in [1, 1000]; at least the estimator's ``min_samples`` times its
            evaluations per draw.

        Returns
        -------
        int
            :math:`K` = ``evaluations // e`` (:math:`e` = 2 for ARM and DisARM, else 1).
        """
        evaluations = check_count(evaluations, "evaluations", minimum=1, maximum=1000)
        k = evaluations // self.estimator.evaluations
        if k < self.estimator.min_samples:
            raise ValueError(f"evaluations must be at least {self.estimator.min_samples * self.estimator.evaluations}"
                             f" for estimator {self.estimator.name!r}; got {evaluations}")
        return k

    def training_loss(self, x: torch.Tensor, evaluations: int = 2) -> TrainingLoss:
        """The loss whose gradient is the estimator's for the encoder and the pathwise one for the decoder.

        Parameters
        ----------
        x : torch.Tensor
            The batch, data as in :meth:`forward`.
        evaluations : int, default 2
            Evaluations of ``f`` per data point (see :meth:`draws_per_point`).

        Returns
        -------
        TrainingLoss
            ``loss``, a scalar to call ``backward`` on, and ``elbo``, the batch mean of a one-draw ELBO estimate
            (detached).
        """
        x = self._check_data(x)
        k = self.draws_per_point(evaluations)
        theta = self.latent_parameter(x)
        # draw-major: row j * n + i is draw j of point i (theta may carry an event dimension, as categorical logits)
        rows, x_rows = theta.repeat(k, *[1] * (theta.dim() - 1)), x.repeat(k, 1)
        frozen = {name: p.detach() for name, p in self.decoder.named_parameters()}

        def f(z: torch.Tensor) -> torch.Tensor:
            return -self.log_likelihood(x_rows, z, params=frozen)

        options = dict(self.options)
        if self.estimator.name == "reinforce_baseline":
            options["groups"] = x.shape[0]
        draws = self.estimator.draws(f, self.family, rows, **options)
        kl = self.kl(theta)
        with torch.no_grad():
            z = families.distribution(self.family, theta).sample()
        reconstruction = self.log_likelihood(x, z)
        loss = draws.loss.mean() + kl.mean() - reconstruction.mean()
        return TrainingLoss(loss, (reconstruction - kl).mean().detach())

    @torch.no_grad()
    def bounds(self, x: torch.Tensor, samples: int = 100) -> Bounds:
        """ELBO (:math:`S` draws, analytic KL) and importance-weighted bound (same draws) of each row of ``x``.

        Parameters
        ----------
        x : torch.Tensor
            The rows to bound, data as in :meth:`forward`.
        samples : int, default 100
            The number :math:`S` of draws per row, in [1, 100000].

        Returns
        -------
        Bounds
            ``elbo`` and ``importance`` (the importance-weighted bound), each of shape ``(n,)``.
        """
        x = self._check_data(x)
        samples = check_count(samples, "samples", minimum=1, maximum=100_000)
        elbo, importance = [], []
        step = max(1, EVAL_CHUNK // samples)
        for start in range(0, x.shape[0], step):
            xs = x[start:start + step]
            theta = self.latent_parameter(xs)
            q = families.distribution(self.family, theta)
            z = q.sample((samples,))                                       # (S, n, d)
            flat = z.reshape(-1, self.n_latent)
            log_lik = self.log_likelihood(xs.repeat(samples, 1), flat).reshape(samples, -1)
            log_w = log_lik + (self.prior_log_prob(flat).reshape(samples, -1)
                               - q.log_prob(z).sum(-1))
            elbo.append(log_lik.mean(0) - self.kl(theta))
            importance.append(torch.logsumexp(log_w, 0) - math.log(samples))
        return Bounds(torch.cat(elbo), torch.cat(importance))


class BernoulliVAE(LatentVAE):
    r"""Bernoulli latents :math:`z \in \{0,1\}^d` with prior :math:`\mathrm{Bernoulli}(\tfrac12)^d`, binary pixels.

    Encoder :math:`q(z_i = 1 \mid x) = \sigma(a_i(x))` (squashed by :data:`PROBABILITY_MARGIN`), decoder
    :math:`p(x_j = 1 \mid z) = \sigma(\ell_j(z))`; ``hidden=None`` makes both linear, else one ``tanh`` hidden
    layer of ``hidden`` units each. KL to the uniform prior:
    :math:`\sum_i q_i \log q_i + (1-q_i)\log(1-q_i) + \log 2`.

    Parameters
    ----------
    n_features : int
        Number of pixels, in [1, 100000].
    n_latent : int
        Number of latent bits :math:`d`, in [1, 1000] (at most 20 for :meth:`exact_bounds`).
    estimator : str or Estimator
        The encoder's gradient estimator; it must support the Bernoulli family.
    hidden : int, optional
        Hidden units of encoder and decoder, in [1, 10000]; ``None`` makes both linear.
    \*\*options
        The estimator's options.
    """

    family = "bernoulli"
    data_range = (0.0, 1.0)
    data_description = "binary pixels, or probabilities"

    def __init__(self, n_features: int, n_latent: int, estimator: str | Estimator, hidden: int | None = None,
                 **options: object) -> None:
        n_features = check_count(n_features, "n_features", minimum=1, maximum=100_000)
        n_latent = check_count(n_latent, "n_latent", minimum=1, maximum=1000)
        if hidden is not None:
            hidden = check_count(hidden, "hidden", minimum=1, maximum=10_000)
        super().__init__(mlp(n_features, n_latent, hidden), mlp(n_latent, n_features, hidden), n_features,
                         n_latent, estimator, **options)

    def latent_parameter(self, x: torch.Tensor) -> torch.Tensor:
        """See :meth:`LatentVAE.latent_parameter`.
        """
        return PROBABILITY_MARGIN + (1 - 2 * PROBABILITY_MARGIN) * torch.sigmoid(self.encoder(x))

    def kl(self, theta: torch.Tensor) -> torch.Tensor:
        """See :meth:`LatentVAE.kl`.
        """
        return (theta * theta.log() + (1 - theta) * torch.log1p(-theta) + math.log(2)).sum(-1)

    def prior_log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """See :meth:`LatentVAE.prior_log_prob`.
        """
        return torch.full(z.shape[:1], -self.n_latent * math.log(2), dtype=z.dtype)

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor,
                       params: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """See :meth:`LatentVAE.log_likelihood`.
        """
        logits = self._decode(z, params)
        return -nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)

    @torch.no_grad()
    def exact_bounds(self, x: torch.Tensor) -> Bounds:
        r"""Exact ELBO and exact :math:`\log p(x)` of each row of ``x``, by enumerating all :math:`2^d` codes.

        :math:`\mathcal L(x) = \sum_z q(z\mid x)\log p(x\mid z) - \mathrm{KL}` and
        :math:`\log p(x) = \log\sum_z 2^{-d} p(x\mid z)`; the decoder runs once on every code and
        :math:`\log p(x\mid z) = \sum_j x_j\ell_j(z) - \log(1 + e^{\ell_j(z)})` is a matrix product over all
        (row, code) pairs. Float64; at most :data:`pwgf_viz.exact.MAX_BERNOULLI_DIM` latent bits.

        Parameters
        ----------
        x : torch.Tensor
            The rows to bound: data as in :meth:`LatentVAE.forward`, entries in [0, 1].

        Returns
        -------
        Bounds
            ``elbo`` (exact) and ``importance`` (the exact :math:`\log p(x)`), float64, each of shape ``(n,)``.
        """
        x = self._check_data(x).double()
        codes = torch.cat(list(exact.enumerate_support("bernoulli", torch.full((self.n_latent,), 0.5,
                                                                               dtype=torch.float64))))
        logits = self.decoder(codes.float()).double()                                   # (M, D)
        softplus_sum = nn.functional.softplus(logits).sum(-1)                          # (M,)
        theta = self.latent_parameter(x.float()).double()                             # (n, d)
        log_q1, log_q0 = theta.log(), torch.log1p(-theta)
        elbo, log_px = [], []
        for start in range(0, x.shape[0], EXACT_CHUNK):
            xs = slice(start, start + EXACT_CHUNK)
            log_lik = x[xs] @ logits.T - softplus_sum                                  # (n, M)
            log_q = codes @ (log_q1[xs] - log_q0[xs]).T + log_q0[xs].sum(-1)           # (M, n)
            elbo.append((log_q.T.exp() * log_lik).sum(-1))
            log_px.append(torch.logsumexp(log_lik, -1) - self.n_latent * math.log(2))
        return Bounds(torch.cat(elbo) - self.kl(theta), torch.cat(log_px))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Pixel probabilities :math:`p(x_j = 1 \\mid z)` at one draw :math:`z \\sim q(z \\mid x)`.

        Parameters
        ----------
        x : torch.Tensor
            Binary images to reconstruct, shape and values as in :meth:`exact_bounds`.

        Returns
        -------
        torch.Tensor
            The probabilities, shape ``(n, n_features)``.
        """
        theta = self.latent_parameter(self._check_data(x))
        return torch.sigmoid(self.decoder(families.distribution(self.family, theta).sample()))


class PoissonFactorVAE(LatentVAE):
    r"""Poisson latents :math:`z \in \mathbb N^K`, prior :math:`\mathrm{Poisson}(\lambda_0)^K`, counts
    :math:`x \mid z \sim \mathrm{Poisson}(b + W z)` (eq. ``eq-poisson-factor``), :math:`W = \mathrm{softplus}(\cdot)
    \ge 0`, :math:`b = \mathrm{softplus}(\cdot) > 0`.

    Encoder rates :math:`\lambda(x) = \mathrm{softplus}(a(\log(1 + x))) +` :data:`MIN_RATE` (linear, or one ``tanh``
    hidden layer). KL between Poissons: :math:`\lambda\log(\lambda/\lambda_0) - \lambda + \lambda_0` per coordinate.
    The decoder's rate is linear in :math:`z`, so ``f`` is defined for real :math:`z \ge 0` (as ST, pWGF and the
    generalized Gumbel-Softmax need).

    Parameters
    ----------
    n_features : int
        Number of count features :math:`V`, in [1, 100000].
    n_latent : int
        Number of latent counts :math:`K`, in [1, 1000].
    estimator : str or Estimator
        The encoder's gradient estimator; it must support the Poisson family.
    prior_rate : float, default 1.0
        :math:`\lambda_0 > 0`, finite.
    hidden : int, optional
        Hidden units of the encoder, in [1, 10000]; ``None`` makes it linear (the decoder is always
        :math:`b + Wz`).
    \*\*options
        The estimator's options.
    """

    family = "poisson"
    data_range = (0.0, math.inf)
    data_description = "counts"

    def __init__(self, n_features: int, n_latent: int, estimator: str | Estimator, prior_rate: float = 1.0,
                 hidden: int | None = None, **options: object) -> None:
        n_features = check_count(n_features, "n_features", minimum=1, maximum=100_000)
        n_latent = check_count(n_latent, "n_latent", minimum=1, maximum=1000)
        if hidden is not None:
            hidden = check_count(hidden, "hidden", minimum=1, maximum=10_000)
        decoder = _PoissonFactorDecoder(n_latent, n_features)
        super().__init__(mlp(n_features, n_latent, hidden), decoder, n_features, n_latent, estimator, **options)
        self.prior_rate = check_positive(prior_rate, "prior_rate")

    def latent_parameter(self, x: torch.Tensor) -> torch.Tensor:
        """See :meth:`LatentVAE.latent_parameter`.
        """
        return nn.functional.softplus(self.encoder(torch.log1p(x))) + MIN_RATE

    def kl(self, theta: torch.Tensor) -> torch.Tensor:
        """See :meth:`LatentVAE.kl`.
        """
        rate0 = self.prior_rate
        return (theta * torch.log(theta / rate0) - theta + rate0).sum(-1)

    def prior_log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """See :meth:`LatentVAE.prior_log_prob`.
        """
        rate0 = self.prior_rate
        return (z * math.log(rate0) - rate0 - torch.lgamma(z + 1)).sum(-1)

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor,
                       params: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """See :meth:`LatentVAE.log_likelihood`.
        """
        rate = self._decode(z, params)
        return (x * torch.log(rate) - rate - torch.lgamma(x + 1)).sum(-1)

    def loadings(self) -> torch.Tensor:
        """The fitted :math:`W`, shape ``(V, K)``."""
        return self.decoder.loadings().detach()

    def offset(self) -> torch.Tensor:
        """The fitted :math:`b`, shape ``(V,)``."""
        return self.decoder.offset().detach()


class _PoissonFactorDecoder(nn.Module):
    """Rates :math:`b + W z` with :math:`W = \\mathrm{softplus}(U)`, :math:`b = \\mathrm{softplus}(c)`."""

    def __init__(self, n_latent: int, n_features: int) -> None:
        super().__init__()
        self.raw_loadings = nn.Parameter(torch.randn(n_features, n_latent) * 0.5 - 1.0)
        self.raw_offset = nn.Parameter(torch.zeros(n_features))

    def loadings(self) -> torch.Tensor:
        return nn.functional.softplus(self.raw_loadings)

    def offset(self) -> torch.Tensor:
        return nn.functional.softplus(self.raw_offset)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.offset() + z @ self.loadings().T
