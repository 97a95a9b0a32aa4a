r"""The experiments of Part IV's latent-variable chapters, one source for the chapters and ``experiments/*.py``.

- :func:`bernoulli_vae_experiment`: Bernoulli VAEs on binarized 8 x 8 digits, every estimator of
  :data:`BERNOULLI_ESTIMATORS`, linear and one-hidden-layer networks, several seeds, same budget;
- :func:`poisson_latent_experiment`: a Poisson factor model (eq. ``eq-poisson-factor``) on counts drawn from known
  loadings, the estimators of :data:`POISSON_ESTIMATORS`, several seeds; recovery of the loadings.

Each returns flat records (one per run) for :func:`pwgf_viz.results.save_results` and
:func:`pwgf_viz.results.summary_table`. :data:`SETTINGS` holds the *quick* setting the book runs when it is built
and the *full* one of the scripts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from . import data, exact
from .models import BernoulliVAE, LatentVAE, PoissonFactorVAE
from .train import evaluate, train
from .validation import as_parameter, check_positive

#: Estimators of the Bernoulli VAE. ``reinmax`` runs at its default temperature 1, where it equals ``pwgf`` (the
#: W2-projected estimator of the dequantised Bernoulli family) draw by draw (``thm-reinmax-pwgf``): it stands for both.
BERNOULLI_ESTIMATORS = ("st", "reinmax", "reinforce_baseline", "gumbel_softmax", "st_gumbel_softmax", "arm",
                        "disarm")
POISSON_ESTIMATORS = ("st", "pwgf", "gen_gumbel_softmax", "reinforce_baseline")
#: Hidden units of the encoder and decoder: None = linear.
ARCHITECTURES: Mapping[str, int | None] = MappingProxyType({"linear": None, "nonlinear": 64})


@dataclass(frozen=True)
class Setting:
    """How long and how often to train: epochs, seeds, the draws of the final evaluation, and whether to add the
    exact test ELBO and log-likelihood of the Bernoulli VAEs (enumeration of the :math:`2^{16}` codes).

    Parameters
    ----------
    bernoulli_epochs : int
        Epochs of each Bernoulli VAE.
    poisson_epochs : int
        Epochs of each Poisson factor model.
    seeds : int
        Seeds per estimator (0 to ``seeds - 1``).
    eval_samples : int
        Draws per test point of the final evaluation.
    exact : bool
        Add the exact test ELBO and log-likelihood of the Bernoulli VAEs.
    """

    bernoulli_epochs: int
    poisson_epochs: int
    seeds: int
    eval_samples: int
    exact: bool


SETTINGS: Mapping[str, Setting] = MappingProxyType({
    "quick": Setting(bernoulli_epochs=20, poisson_epochs=60, seeds=3, eval_samples=100, exact=False),
    "full": Setting(bernoulli_epochs=100, poisson_epochs=200, seeds=5, eval_samples=1000, exact=True),
})

#: Shared hyper-parameters (every estimator gets the same).
BERNOULLI_CONFIG = MappingProxyType({"n_latent": 16, "batch_size": 100, "learning_rate": 1e-2, "evaluations": 2})
POISSON_CONFIG = MappingProxyType({
    "n_factors": 4, "words_per_factor": 5, "weight": 2.0, "offset": 0.3, "prior_rate": 1.5, "n_train": 1000,
    "n_test": 500, "batch_size": 100, "learning_rate": 3e-2, "evaluations": 2,
})


#: Rows per block of :func:`poisson_factor_log_marginal` (a block holds rows x codes float64 values).
LOG_MARGINAL_ROWS = 32


class Experiment(NamedTuple):
    """Records (one dict per run) and, if asked for, the trained models by ``(architecture, estimator, seed)``."""

    records: list[dict]
    models: dict[tuple[str, str, int], LatentVAE]


def _rounded(curve: list[float]) -> list[float]:
    """A curve to a thousandth of a nat: far below the spread over seeds, and keeps result files small."""
    return [round(v, 3) for v in curve]


def _setting(setting: object) -> Setting:
    if not isinstance(setting, str) or setting not in SETTINGS:
        raise ValueError(f"setting must be one of {sorted(SETTINGS)}; got {setting!r}")
    return SETTINGS[setting]


def settings_record(setting: str) -> dict:
    """The setting and the hyper-parameters, as stored beside the records of a result file.

    Parameters
    ----------
    setting : {"quick", "full"}
        The key of :data:`SETTINGS`.

    Returns
    -------
    dict
        ``setting``, the fields of the :class:`Setting`, and the ``bernoulli`` and ``poisson`` hyper-parameters.
    """
    return {"setting": setting, **asdict(_setting(setting)), "bernoulli": dict(BERNOULLI_CONFIG),
            "poisson": dict(POISSON_CONFIG)}


def bernoulli_vae_experiment(setting: str = "quick", progress: bool = False, keep_models: bool = False,
                             estimators: tuple[str, ...] = BERNOULLI_ESTIMATORS) -> Experiment:
    """Train a Bernoulli VAE per architecture, estimator and seed; record final test ELBO and bound, and curves.

    Parameters
    ----------
    setting : {"quick", "full"}, default "quick"
        The key of :data:`SETTINGS`.
    progress : bool, default False
        Show a progress bar per run.
    keep_models : bool, default False
        Keep the trained models in the result.
    estimators : tuple of str, default BERNOULLI_ESTIMATORS
        The estimators to run (keys of :data:`~pwgf_viz.estimators.ESTIMATORS` supporting the family).

    Returns
    -------
    Experiment
        One record per architecture, estimator and seed (``test_elbo``, ``test_iw_bound``, ``train_elbo``, the
        per-epoch test ``curve``, and with ``exact`` ``test_elbo_exact`` and ``test_log_likelihood``), and the models.
    """
    chosen = _setting(setting)
    split = data.binarized_digits()
    records, models = [], {}
    for architecture, hidden in ARCHITECTURES.items():
        for name in estimators:
            for seed in range(chosen.seeds):
                def make(name: str = name, hidden: int | None = hidden) -> BernoulliVAE:
                    return BernoulliVAE(split.train.shape[1], BERNOULLI_CONFIG["n_latent"], name, hidden=hidden)

                model, history = train(make, split.train, split.test, epochs=chosen.bernoulli_epochs, seed=seed,
                                       batch_size=BERNOULLI_CONFIG["batch_size"],
                                       learning_rate=BERNOULLI_CONFIG["learning_rate"],
                                       evaluations=BERNOULLI_CONFIG["evaluations"], progress=progress,
                                       description=f"{architecture} {name} seed {seed}")
                final = evaluate(model, split.test, chosen.eval_samples)
                record = {"architecture": architecture, "estimator": name, "seed": seed, "test_elbo": final.elbo,
                          "test_iw_bound": final.importance, "train_elbo": history.train_elbo[-1],
                          "curve": _rounded(history.test_elbo)}
                if chosen.exact:
                    bounds = model.exact_bounds(split.test)
                    record |= {"test_elbo_exact": float(bounds.elbo.mean()),
                               "test_log_likelihood": float(bounds.importance.mean())}
                records.append(record)
                if keep_models:
                    models[(architecture, name, seed)] = model
    return Experiment(records, models)


def factor_data() -> data.FactorData:
    """The counts of the Poisson chapter, from :data:`POISSON_CONFIG` (seed 0)."""
    c = POISSON_CONFIG
    loadings = data.bars_loadings(c["n_factors"], c["words_per_factor"], c["weight"])
    offset = torch.full((loadings.shape[0],), c["offset"])
    return data.poisson_factor_data(loadings, offset, c["prior_rate"], c["n_train"], c["n_test"], seed=0)


class _Codes(NamedTuple):
    """Every code :math:`z \\in \\{0..k\\}^K` of the truncated prior and the pieces of :math:`\\log p(x, z)`."""

    codes: torch.Tensor      # (M, K)
    log_rate: torch.Tensor   # (V, M): log of the decoder's rates b + W z
    constant: torch.Tensor   # (M,): log p(z) - sum of the rates


def _enumerate_codes(loadings: torch.Tensor, offset: torch.Tensor, prior_rate: float, tail: object) -> _Codes:
    tail = check_positive(tail, "tail")
    if not tail < 1:
        raise ValueError(f"tail must lie in the open interval (0, 1); got {tail}")
    n_factors = loadings.shape[1]
    top = int(exact.poisson_truncation(torch.full((n_factors,), prior_rate), tail)[0])
    if (top + 1) ** n_factors > exact.MAX_CONFIGURATIONS:
        raise ValueError(f"{(top + 1) ** n_factors} codes to sum over (K = {n_factors} factors, each 0..{top}); "
                         f"at most {exact.MAX_CONFIGURATIONS:.0e}: use fewer factors or a larger tail")
    grid = torch.arange(top + 1, dtype=torch.float64)
    codes = torch.cartesian_prod(*[grid] * n_factors).reshape(-1, n_factors)
    log_prior = (codes * math.log(prior_rate) - prior_rate - torch.lgamma(codes + 1)).sum(-1)
    rate = offset.double() + codes @ loadings.double().T
    return _Codes(codes, rate.log().T, log_prior - rate.sum(-1))


def poisson_factor_log_marginal(x: torch.Tensor, loadings: torch.Tensor, offset: torch.Tensor,
                                prior_rate: float, tail: float = 1e-10) -> torch.Tensor:
    r"""Exact :math:`\log p(x) = \log \sum_z \mathrm{Poisson}(z; \lambda_0)\,\mathrm{Poisson}(x; b + W z)` per row.

    The sum runs over :math:`z \in \{0..k\}^K`, :math:`k` the truncation of :func:`pwgf_viz.exact.poisson_truncation`
    at ``tail``, so the dropped prior mass is below ``tail`` (float64).

    Parameters
    ----------
    x : torch.Tensor
        Counts >= 0, shape ``(n, V)``.
    loadings : torch.Tensor
        :math:`W`, shape ``(V, K)``, entries >= 0.
    offset : torch.Tensor
        :math:`b`, shape ``(V,)``, entries > 0.
    prior_rate : float
        :math:`\lambda_0 > 0`.
    tail : float, default 1e-10
        The prior mass allowed to be dropped, in (0, 1); at most :data:`pwgf_viz.exact.MAX_CONFIGURATIONS` codes.

    Returns
    -------
    torch.Tensor
        float64, shape ``(n,)``.
    """
    x, loadings, offset, prior_rate = _check_factor_model(x, loadings, offset, prior_rate)
    c = _enumerate_codes(loadings, offset, prior_rate, tail)
    # log Poisson(x; r) summed over words = x . log r - sum r - sum log x!: a matrix product per block of rows
    blocks = [torch.logsumexp(xs @ c.log_rate + c.constant, dim=1) - torch.lgamma(xs + 1).sum(-1)
              for xs in x.double().split(LOG_MARGINAL_ROWS)]
    return torch.cat(blocks)


def poisson_factor_posterior_moments(x: torch.Tensor, loadings: torch.Tensor, offset: torch.Tensor,
                                     prior_rate: float, tail: float = 1e-10) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Exact posterior mean and variance of each :math:`z_k` given each row of ``x``, shapes ``(n, K)``.

    :math:`p(z \mid x) \propto p(z)\,p(x \mid z)` over the codes of :func:`poisson_factor_log_marginal`. A product of
    Poissons (the encoder's family) has variance equal to its mean; this posterior's ratio shows how far it is.

    Parameters
    ----------
    x, loadings, offset, prior_rate, tail
        The counts and the model, as in :func:`poisson_factor_log_marginal`.

    Returns
    -------
    mean, variance : torch.Tensor
        float64, shape ``(n, K)`` each.
    """
    x, loadings, offset, prior_rate = _check_factor_model(x, loadings, offset, prior_rate)
    c = _enumerate_codes(loadings, offset, prior_rate, tail)
    means, variances = [], []
    for xs in x.double().split(LOG_MARGINAL_ROWS):
        weights = torch.softmax(xs @ c.log_rate + c.constant, dim=1)
        mean = weights @ c.codes
        means.append(mean)
        variances.append(weights @ c.codes**2 - mean**2)
    return torch.cat(means), torch.cat(variances)


def _check_factor_model(x: object, loadings: object, offset: object, prior_rate: object,
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    w = as_parameter(loadings, "loadings")
    if w.dim() != 2 or bool((w < 0).any()):
        raise ValueError(f"loadings must be a (V, K) matrix with entries >= 0; got shape {tuple(w.shape)}")
    b = as_parameter(offset, "offset")
    if b.shape != (w.shape[0],) or bool((b <= 0).any()):
        raise ValueError(f"offset must have shape ({w.shape[0]},) and entries > 0; got shape {tuple(b.shape)}")
    counts = as_parameter(x, "x")
    if counts.dim() != 2 or counts.shape[1] != w.shape[0] or bool((counts < 0).any()):
        raise ValueError(f"x must be counts >= 0 of shape (n, {w.shape[0]}); got shape {tuple(counts.shape)}")
    return counts.detach(), w.detach(), b.detach(), check_positive(prior_rate, "prior_rate")


class Recovery(NamedTuple):
    """How well fitted loadings match the true ones after matching factors (Hungarian on cosine similarity)."""

    cosine: float
    scale: float
    order: list[int]


def loading_recovery(fitted: torch.Tensor, true: torch.Tensor) -> Recovery:
    r"""Match fitted factors to true ones (``scipy.optimize.linear_sum_assignment`` on column cosines).

    ``cosine``: mean cosine similarity of matched columns (1 = same pattern); ``scale``:
    :math:`\sum W_{\text{fit}} / \sum W_{\text{true}}` over the matched columns' entries; ``order[k]``: the fitted
    column matched to true column :math:`k`.

    Parameters
    ----------
    fitted : torch.Tensor
        Fitted loadings, shape ``(V, K)``, no all-zero column.
    true : torch.Tensor
        True loadings, same shape, no all-zero column.

    Returns
    -------
    Recovery
        ``cosine``, ``scale`` and ``order`` as above.
    """
    fitted, true = as_parameter(fitted, "fitted").detach(), as_parameter(true, "true").detach()
    if true.dim() != 2 or fitted.shape != true.shape:
        raise ValueError(f"fitted and true must be matrices of the same shape (V, K); got {tuple(fitted.shape)} "
                         f"and {tuple(true.shape)}")
    norms_f, norms_t = fitted.double().norm(dim=0, keepdim=True), true.double().norm(dim=0, keepdim=True)
    if bool((norms_f == 0).any()) or bool((norms_t == 0).any()):
        raise ValueError("fitted and true must not have an all-zero column (its direction is undefined)")
    f = fitted.double() / norms_f
    t = true.double() / norms_t
    similarity = (t.T @ f).numpy()
    rows, cols = linear_sum_assignment(-similarity)
    order = [int(c) for _, c in sorted(zip(rows, cols, strict=True))]
    cosine = float(np.mean(similarity[rows, cols]))
    scale = float(fitted[:, order].sum() / true.sum())
    return Recovery(cosine, scale, order)


def poisson_latent_experiment(setting: str = "quick", progress: bool = False, keep_models: bool = False,
                              estimators: tuple[str, ...] = POISSON_ESTIMATORS) -> Experiment:
    """Fit the Poisson factor model per estimator and seed; record test ELBO, bound, exact log-likelihood, recovery.

    Parameters
    ----------
    setting, progress, keep_models
        As in :func:`bernoulli_vae_experiment`.
    estimators : tuple of str, default POISSON_ESTIMATORS
        The estimators to run, among those of :data:`~pwgf_viz.estimators.ESTIMATORS` defined for the Poisson
        family.

    Returns
    -------
    Experiment
        One record per estimator and seed (``test_elbo``, ``test_iw_bound``, ``test_log_likelihood``,
        ``loading_cosine``, ``loading_scale``, ``offset_mean``, ``train_elbo``, ``curve``), and the models.
    """
    chosen = _setting(setting)
    c = POISSON_CONFIG
    counts = factor_data()
    records, models = [], {}
    for name in estimators:
        for seed in range(chosen.seeds):
            def make(name: str = name) -> PoissonFactorVAE:
                return PoissonFactorVAE(counts.train.shape[1], c["n_factors"], name, prior_rate=c["prior_rate"])

            model, history = train(make, counts.train, counts.test, epochs=chosen.poisson_epochs, seed=seed,
                                   batch_size=c["batch_size"], learning_rate=c["learning_rate"],
                                   evaluations=c["evaluations"], progress=progress, description=f"{name} seed {seed}")
            final = evaluate(model, counts.test, chosen.eval_samples)
            log_marginal = poisson_factor_log_marginal(counts.test, model.loadings(), model.offset(), c["prior_rate"])
            recovery = loading_recovery(model.loadings(), counts.loadings)
            records.append({"architecture": "linear", "estimator": name, "seed": seed, "test_elbo": final.elbo,
                            "test_iw_bound": final.importance, "test_log_likelihood": float(log_marginal.mean()),
                            "loading_cosine": recovery.cosine, "loading_scale": recovery.scale,
                            "offset_mean": float(model.offset().mean()), "train_elbo": history.train_elbo[-1],
                            "curve": _rounded(history.test_elbo)})
            if keep_models:
                models[("linear", name, seed)] = model
    return Experiment(records, models)
