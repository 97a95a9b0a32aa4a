"""pwgf_viz: the helper package of the book *Straight-Through as a Projected Wasserstein Gradient Flow*.

Gradient estimators for discrete random variables (torch), their exact counterparts by enumeration,
and the plots, animations and explorers the chapters show.

**Module map** (as POT's package docstring has one):

Estimators and the exact oracle
    :mod:`~pwgf_viz.families` (Bernoulli, categorical, Poisson as ``torch.distributions``),
    :mod:`~pwgf_viz.estimators` (the registry :data:`ESTIMATORS`), :mod:`~pwgf_viz.layers` (the sampling layers
    behind them), :mod:`~pwgf_viz.exact` (values, gradients and estimator means by enumeration),
    :mod:`~pwgf_viz.compare` (bias and spread against the exact gradient), :mod:`~pwgf_viz.objectives`,
    :mod:`~pwgf_viz.descent`, :mod:`~pwgf_viz.check` (exercise answers), :mod:`~pwgf_viz.validation` (every
    argument check).
Transport, flows and projections (Parts II and III)
    :mod:`~pwgf_viz.ot1d` (optimal transport on the line), :mod:`~pwgf_viz.flows` (Wasserstein gradient flows:
    particle Euler, JKO, Langevin), :mod:`~pwgf_viz.projection` (one projected step: mean matching, W2
    projections), :mod:`~pwgf_viz.projected_flow` (the projected flow simulated with particles),
    :mod:`~pwgf_viz.rest_points` (closed-form mean flows and their rest points).
Experiments (Parts IV to VI)
    the toys :mod:`~pwgf_viz.toy_problems` (problems, settings, budget), :mod:`~pwgf_viz.toy_training` (the Adam
    loop), :mod:`~pwgf_viz.toy_scoring` (exact losses, relative gaps), :mod:`~pwgf_viz.toy_runs` (the grid and its
    records), :mod:`~pwgf_viz.toy_claims` and :mod:`~pwgf_viz.toy_tables`; :mod:`~pwgf_viz.verdicts` (the one rule
    for "comparable or better" and "clearly better": Welch's test), :mod:`~pwgf_viz.tables` (the one Markdown table
    renderer), :mod:`~pwgf_viz.data`, :mod:`~pwgf_viz.models` (VAEs with discrete latents),
    :mod:`~pwgf_viz.train`, :mod:`~pwgf_viz.latent_experiments`, :mod:`~pwgf_viz.results` (committed result
    files), :mod:`~pwgf_viz.quantized`, :mod:`~pwgf_viz.quantized_mlp`, :mod:`~pwgf_viz.wasserstein_ball`,
    :mod:`~pwgf_viz.adversarial`, :mod:`~pwgf_viz.beyond_st`, :mod:`~pwgf_viz.polynomial`,
    :mod:`~pwgf_viz.categorical_vae`, :mod:`~pwgf_viz.vq` (vector quantisation: ST and the rotation trick).
Figures, animations, explorers
    :mod:`~pwgf_viz.style` (the figure style: sizes, colour-blind-safe colours and dashes),
    :mod:`~pwgf_viz.plots`, :mod:`~pwgf_viz.animation` (self-contained players), :mod:`~pwgf_viz.animation_flows`
    (animations of particle flows), :mod:`~pwgf_viz.explorer` (the shared explorer base class) and the explorers
    :mod:`~pwgf_viz.explorer_estimator`, :mod:`~pwgf_viz.explorer_flow`, :mod:`~pwgf_viz.explorer_pwgf`, with
    their static stand-ins from :mod:`~pwgf_viz.explorer_static`; :mod:`~pwgf_viz.export` (figures and
    animations as files, for slides); :mod:`~pwgf_viz.slides` (the lecture decks of ``make slides``).
"""

from . import style  # noqa: F401 - `pv.style.use()` in every chapter
from .check import check
from .estimators import ESTIMATORS, Estimator, Surrogate, get_estimator, gradient_samples, surrogate
from .exact import exact_expectation, exact_gradient, exact_mean, exact_st_mean
from .layers import sample_gumbel_softmax, sample_pwgf, sample_reinmax, sample_st
from .validation import FAMILIES

__all__ = [
    "ESTIMATORS",
    "FAMILIES",
    "Estimator",
    "Surrogate",
    "check",
    "exact_expectation",
    "exact_gradient",
    "exact_mean",
    "exact_st_mean",
    "get_estimator",
    "gradient_samples",
    "sample_gumbel_softmax",
    "sample_pwgf",
    "sample_reinmax",
    "sample_st",
    "surrogate",
]
