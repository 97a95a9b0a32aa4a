"""pwgf_viz: the helper package of the book *Straight-Through as a Projected Wasserstein Gradient Flow*.

Gradient estimators for discrete random variables (torch), their exact counterparts by enumeration,
and the plots, animations and explorers the chapters show.
"""

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
