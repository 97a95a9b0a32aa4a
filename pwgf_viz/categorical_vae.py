r"""A categorical-latent VAE on the binarised 8 x 8 digits (chapter ``beyond-straight-through``).

:math:`L` independent categorical latents with :math:`C` classes each, uniform prior, one-hot codes fed to the
decoder; encoder logits :math:`\theta_\phi(x)` of shape ``(n, L, C)``, decoder Bernoulli pixels
:math:`p_\psi(x \mid z)`. As for the VAEs of Part IV (:mod:`pwgf_viz.models`), the encoder gets the chosen
estimator's surrogate of :math:`\mathbb{E}_{q}[-\log p_\psi(x\mid z)]` (with a frozen copy of the decoder) plus the
analytic :math:`\mathrm{KL}(q\,\|\,\mathrm{Uniform}) = \sum_l \sum_c \pi_{lc}\log\pi_{lc} + L\log C`, and the
decoder the pathwise gradient at a fresh draw; the test score is :math:`-\mathcal L`, the negative ELBO
(``eq-elbo``) by :math:`S` draws, in nats per image.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from torch import nn

from . import data, families, results
from .estimators import get_estimator
from .models import LatentVAE, mlp
from .validation import check_count, check_positive

#: The estimators compared (registry names), with their options.
ESTIMATORS = {
    "st": {},
    "st_gumbel_softmax": {"temperature": 1.0},
    "gumbel_rao": {"samples": 10, "temperature": 1.0},
    "gapped_st": {"gap": 1.0, "temperature": 1.0},
    "reinmax": {"temperature": 1.0},
    "reinforce_baseline": {},
}
#: Latent shapes (C classes, L latents).
SHAPES = ((8, 4), (4, 24))


class CategoricalVAE(LatentVAE):
    """Encoder and decoder MLPs (``hidden`` tanh units, or linear if None) around ``L`` categorical latents.

    Training is :meth:`pwgf_viz.models.LatentVAE.training_loss`: the estimator's surrogate for the encoder, the
    pathwise gradient at a fresh draw for the decoder, the analytic KL to the uniform prior.

    Parameters
    ----------
    n_features : int
        Number of pixels, in [1, 100000].
    n_classes : int
        Classes :math:`C` per latent, in [2, 1000].
    n_latent : int
        Number :math:`L` of latents, in [1, 1000].
    estimator : str
        The encoder's gradient estimator (a key of :data:`~pwgf_viz.estimators.ESTIMATORS`); it must support the
        categorical family.
    hidden : int or None, default 64
        Hidden units of encoder and decoder; ``None`` makes both linear.
    \\*\\*options
        The estimator's options.
    """

    family = "categorical"
    data_range = (0.0, 1.0)
    data_description = "binary pixels, or probabilities"

    def __init__(self, n_features: int, n_classes: int, n_latent: int, estimator: str,
                 hidden: int | None = 64, **options: object) -> None:
        n_features = check_count(n_features, "n_features", minimum=1, maximum=100_000)
        self.n_classes = check_count(n_classes, "n_classes", minimum=2, maximum=1000)
        n_latent = check_count(n_latent, "n_latent", minimum=1, maximum=1000)
        get_estimator(estimator).check_family(self.family)   # refuse a Bernoulli-only estimator before building
        width = self.n_classes * n_latent
        super().__init__(mlp(n_features, width, hidden), mlp(width, n_features, hidden), n_features, n_latent,
                         estimator, **options)

    def latent_parameter(self, x: torch.Tensor) -> torch.Tensor:
        """See :meth:`~pwgf_viz.models.LatentVAE.latent_parameter`; here the encoder logits, shape ``(n, L, C)``."""
        return self.encoder(x).reshape(x.shape[0], self.n_latent, self.n_classes)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Encoder logits, shape ``(n, L, C)`` (the encoder's :math:`\\theta_\\phi(x)`).

        Parameters
        ----------
        x : torch.Tensor
            Data, floating, shape ``(n, n_features)`` with ``n >= 1``, entries in [0, 1].

        Returns
        -------
        torch.Tensor
            The logits, shape ``(n, L, C)``.
        """
        return self.latent_parameter(self._check_data(x))

    def kl(self, logits: torch.Tensor) -> torch.Tensor:
        """See :meth:`~pwgf_viz.models.LatentVAE.kl`; here :math:`\\mathrm{KL}(q \\| \\mathrm{Uniform})` of logits,
        shape ``(n, L, C)``.
        """
        log_pi = torch.log_softmax(logits, -1)
        return (log_pi.exp() * log_pi).sum((-1, -2)) + self.n_latent * math.log(self.n_classes)

    def prior_log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """See :meth:`~pwgf_viz.models.LatentVAE.prior_log_prob`; here the constant :math:`-L \\log C` of one-hot
        ``z``, shape ``(n, L, C)``.
        """
        return torch.full(z.shape[:1], -self.n_latent * math.log(self.n_classes), dtype=z.dtype)

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor, params: dict | None = None) -> torch.Tensor:
        """See :meth:`~pwgf_viz.models.LatentVAE.log_likelihood`; here ``z`` is one-hot, shape ``(n, L, C)``."""
        out = self._decode(z.reshape(z.shape[0], -1), params)
        return -nn.functional.binary_cross_entropy_with_logits(out, x, reduction="none").sum(-1)

    @torch.no_grad()
    def negative_elbo(self, x: torch.Tensor, samples: int = 100) -> float:
        """Mean over rows of :math:`-\\mathcal L(x)`: :math:`S` draws for the reconstruction, analytic KL.

        Parameters
        ----------
        x : torch.Tensor
            Data, as in :meth:`logits`.
        samples : int, default 100
            The number :math:`S` of draws per row, in [1, 10000].

        Returns
        -------
        float
            The mean negative ELBO, in nats per image.
        """
        samples = check_count(samples, "samples", minimum=1, maximum=10_000)
        logits = self.logits(x)
        z = families.distribution("categorical", logits).sample((samples,))
        log_lik = self.log_likelihood(x.repeat(samples, 1), z.reshape(-1, self.n_latent, self.n_classes))
        elbo = log_lik.reshape(samples, -1).mean(0) - self.kl(logits)
        return float(-elbo.mean())


@dataclass(frozen=True)
class Setting:
    """Epochs, seeds and optimiser of the categorical VAE runs.

    Parameters
    ----------
    epochs : int
        Passes over the training set.
    seeds : int
        Number of seeds :func:`run_all` runs (0 to ``seeds - 1``).
    batch_size : int, default 100
        Images per step.
    learning_rate : float, default 1e-2
        Adam's step size, > 0.
    hidden : int or None, default 64
        Hidden width of encoder and decoder (``None``: linear).
    evaluations : int, default 2
        Evaluations of ``f`` per data point and step (:meth:`~pwgf_viz.models.LatentVAE.draws_per_point`).
    eval_samples : int, default 100
        Draws per image of the test score.
    """

    epochs: int
    seeds: int
    batch_size: int = 100
    learning_rate: float = 1e-2
    hidden: int | None = 64
    evaluations: int = 2
    eval_samples: int = 100


#: ``quick``: what the book runs; ``full``: from ``experiments/beyond_st.py --vae --setting full``.
SETTINGS = {"quick": Setting(epochs=5, seeds=2), "full": Setting(epochs=100, seeds=5)}


def run(estimator: str, n_classes: int, n_latent: int, setting: Setting, seed: int = 0) -> dict[str, object]:
    """Train one model; return its test and train negative ELBO (nats per image) and the wall time.

    Parameters
    ----------
    estimator : str
        A registry name supporting the categorical family (options from :data:`ESTIMATORS`).
    n_classes, n_latent : int
        :math:`C` and :math:`L`.
    setting : Setting
        Epochs, batch size, learning rate (Adam), hidden width, evaluations of ``f`` per data point.
    seed : int, default 0
        Seeds the initialisation, the batches and the draws (the global generator is restored after).

    Returns
    -------
    dict
        ``estimator``, ``shape`` ("CxL"), ``seed``, ``test_neg_elbo``, ``train_neg_elbo``, ``seconds``.
    """
    check_positive(setting.learning_rate, "learning_rate")
    split = data.binarized_digits()
    train = torch.as_tensor(split.train)
    test = torch.as_tensor(split.test)
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        model = CategoricalVAE(train.shape[1], n_classes, n_latent, estimator, setting.hidden,
                               **ESTIMATORS.get(estimator, {}))
        optimizer = torch.optim.Adam(model.parameters(), lr=setting.learning_rate)
        start = time.perf_counter()
        for _ in range(setting.epochs):
            order = torch.randperm(train.shape[0])
            for i in range(0, train.shape[0], setting.batch_size):
                loss = model.training_loss(train[order[i:i + setting.batch_size]], setting.evaluations).loss
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        seconds = time.perf_counter() - start
        return {"estimator": estimator, "shape": f"{n_classes}x{n_latent}", "seed": seed,
                "test_neg_elbo": model.negative_elbo(test, setting.eval_samples),
                "train_neg_elbo": model.negative_elbo(train, setting.eval_samples), "seconds": seconds}


def run_all(setting: Setting, progress: bool = False, save=None) -> list[dict[str, object]]:
    """:func:`run` for every seed (outermost), shape and estimator; ``save(records)`` after each run.

    Parameters
    ----------
    setting : Setting
        The runs' settings (e.g. ``SETTINGS["quick"]``).
    progress : bool, default False
        Print one line per run: its shape, estimator, seed, test negative ELBO and time.
    save : callable, optional
        As in :func:`pwgf_viz.results.run_each`.

    Returns
    -------
    list of dict
        The records of :func:`run`, seed-major.
    """
    calls = [(name, n_classes, n_latent, setting, seed) for seed in range(setting.seeds)
             for n_classes, n_latent in SHAPES for name in ESTIMATORS]
    return results.run_each(run, calls, _describe if progress else None, save)


def _describe(r: dict) -> str:
    return f"{r['shape']} {r['estimator']} seed {r['seed']}: test -ELBO {r['test_neg_elbo']:.2f} ({r['seconds']:.0f} s)"
