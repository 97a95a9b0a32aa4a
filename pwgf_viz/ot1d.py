r"""Optimal transport on the real line, for the book's chapter 2 (``optimal-transport-1d``).

In one dimension the optimal coupling of two distributions is the monotone one, and the Wasserstein
distance of order :math:`p \ge 1` is an integral of quantile functions (chapter 2, equation ``eq-quantile``):

.. math:: W_p^p(\mu, \nu) = \int_0^1 \big|F_\mu^{-1}(u) - F_\nu^{-1}(u)\big|^p \, du .

POT already computes this for weighted samples (``ot.wasserstein_1d``, ``ot.emd_1d``) and on a full cost
matrix (``ot.emd2``); the book uses those. This module holds only what POT does not have:

- :func:`discrete_distribution`: support points and weights of the discrete families of the book
  (Bernoulli, and Poisson truncated with a stated tail bound);
- :func:`quantile_wasserstein`: the quantile formula evaluated *exactly* for discrete distributions, by merging
  the two lists of cumulative weights (no grid), written out so that the chapter can show the sorting formula
  beside POT's two solvers;
- :func:`bernoulli_wasserstein`: the closed form :math:`W_p(\mathrm{Bern}(\theta), \mathrm{Bern}(\theta'))
  = |\theta - \theta'|^{1/p}` (chapter 2, equation ``eq-bernoulli-wp``).
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from .exact import POISSON_TAIL, poisson_truncation
from .validation import check_array, check_positive, normalise_weights

OT_FAMILIES = ("bernoulli", "poisson")


def _check_order(p: object) -> float:
    """The order ``p`` of :math:`W_p`: a finite number >= 1."""
    p = check_positive(p, "p")
    if p < 1:
        raise ValueError(f"p is the order of W_p and must be a finite number >= 1; got {p}")
    return p


def discrete_distribution(family: str, theta: object, tail: float = POISSON_TAIL) -> tuple[np.ndarray, np.ndarray]:
    r"""Support points and weights of one member of a discrete family on :math:`\{0, 1, 2, \dots\}`.

    - ``"bernoulli"``, :math:`\theta \in [0, 1]`: support :math:`(0, 1)`, weights :math:`(1 - \theta, \theta)`;
    - ``"poisson"``, :math:`\lambda = \theta > 0`: support :math:`0, \dots, k` with :math:`k` the smallest integer
      with :math:`P(z > k) <` ``tail`` (:func:`pwgf_viz.exact.poisson_truncation`), weights the Poisson
      probabilities divided by :math:`P(z \le k)`. This is the Poisson law conditioned on :math:`z \le k`; it
      differs from the Poisson law by less than ``tail`` in total variation.

    Returns two float64 arrays of equal length; the weights sum to 1.

    Parameters
    ----------
    family : {"bernoulli", "poisson"}
        The family (:data:`OT_FAMILIES`).
    theta : float
        A single probability in [0, 1] (Bernoulli), or a real rate > 0 (Poisson).
    tail : float, default POISSON_TAIL
        The Poisson tail bound, in (0, 1) (:data:`~pwgf_viz.exact.POISSON_TAIL` = 1e-12).

    Returns
    -------
    tuple of numpy.ndarray
        ``(support, weights)``, float64 arrays of equal length; the weights sum to 1.
    """
    if not isinstance(family, str):
        raise TypeError(f"family must be a string, one of {OT_FAMILIES}; got {type(family).__name__}")
    if family not in OT_FAMILIES:
        raise ValueError(f"family must be one of {OT_FAMILIES}; got {family!r}")
    if family == "bernoulli":
        prob = check_array(theta, "theta", minimum=0, maximum=1)
        if prob.ndim != 0:
            raise ValueError(f"theta must be a single probability; got shape {prob.shape}")
        return np.array([0.0, 1.0]), np.array([1.0 - float(prob), float(prob)])
    if isinstance(theta, bool) or not isinstance(theta, numbers.Real):
        raise TypeError(f"theta holds a Poisson rate and must be a real number > 0; got {type(theta).__name__}")
    rate = check_positive(theta, "theta")
    tail = check_positive(tail, "tail")
    if tail >= 1:
        raise ValueError(f"tail must be a probability in (0, 1); got {tail}")
    top = int(poisson_truncation(torch.tensor([rate], dtype=torch.float64), tail)[0])
    support = np.arange(top + 1, dtype=np.float64)
    weights = torch.distributions.Poisson(torch.tensor(rate, dtype=torch.float64)).log_prob(
        torch.from_numpy(support)).exp().numpy()
    return support, weights / weights.sum()


def quantile_wasserstein(x: object, y: object, a: object = None, b: object = None, p: float = 2.0) -> float:
    r"""The Wasserstein distance :math:`W_p` between two discrete distributions on the line, by the quantile formula.

    :math:`\mu = \sum_i a_i \delta_{x_i}` and :math:`\nu = \sum_j b_j \delta_{y_j}` (uniform weights when ``a`` or
    ``b`` is ``None``; weights are divided by their sum). Both quantile functions are step functions whose jumps
    sit at the cumulative weights :math:`A_i = a_1 + \dots + a_i` and :math:`B_j` (after sorting the points). On
    each interval between consecutive values of the merged list :math:`0 < u_1 < \dots < 1` both are constant, so
    equation ``eq-quantile`` of chapter 2 is the exact finite sum

    .. math:: W_p^p(\mu, \nu) = \sum_k (u_k - u_{k-1}) \, \big|F_\mu^{-1}(\bar u_k) - F_\nu^{-1}(\bar u_k)\big|^p,
       \qquad \bar u_k = \tfrac12 (u_{k-1} + u_k),

    with :math:`F_\mu^{-1}(u) = x_{(i)}` for the first sorted index :math:`i` with :math:`A_i \ge u`. Returns
    :math:`W_p` (not its :math:`p`-th power, unlike ``ot.wasserstein_1d`` and ``ot.emd2``).

    Parameters
    ----------
    x : array_like
        Support points of :math:`\mu`, 1-D, finite, non-empty.
    y : array_like
        Support points of :math:`\nu`, 1-D, finite, non-empty.
    a : array_like, optional
        Weights of ``x``: ``len(x)`` values >= 0 with a positive sum; ``None`` for uniform.
    b : array_like, optional
        Weights of ``y``, likewise.
    p : float, default 2.0
        The order, finite and >= 1.

    Returns
    -------
    float
        :math:`W_p(\mu, \nu) \ge 0`.
    """
    x = check_array(x, "x", ndim=1)
    y = check_array(y, "y", ndim=1)
    a = normalise_weights(a, x.size, "a")
    b = normalise_weights(b, y.size, "b")
    p = _check_order(p)
    ox, oy = np.argsort(x, kind="stable"), np.argsort(y, kind="stable")
    x, a, y, b = x[ox], a[ox], y[oy], b[oy]
    cum_a, cum_b = np.cumsum(a), np.cumsum(b)
    u = np.unique(np.clip(np.concatenate([[0.0, 1.0], cum_a, cum_b]), 0.0, 1.0))
    mid = 0.5 * (u[:-1] + u[1:])
    # Index of the first cumulative weight >= mid; min() guards the last interval against rounding.
    qx = x[np.minimum(np.searchsorted(cum_a, mid), x.size - 1)]
    qy = y[np.minimum(np.searchsorted(cum_b, mid), y.size - 1)]
    return float(np.sum(np.diff(u) * np.abs(qx - qy) ** p) ** (1.0 / p))


def bernoulli_wasserstein(theta1: object, theta2: object, p: float = 2.0) -> np.ndarray | float:
    r"""Closed form :math:`W_p(\mathrm{Bern}(\theta_1), \mathrm{Bern}(\theta_2)) = |\theta_1 - \theta_2|^{1/p}`.

    Chapter 2, equation ``eq-bernoulli-wp``: the quantile functions differ by exactly 1 on a set of measure
    :math:`|\theta_1 - \theta_2|` and agree elsewhere. ``theta1`` and ``theta2`` are probabilities in
    :math:`[0, 1]` (numbers or arrays that broadcast); returns a float for scalar input, else an array.

    Parameters
    ----------
    theta1 : float or array_like
        Probabilities in [0, 1].
    theta2 : float or array_like
        Probabilities in [0, 1], broadcasting against ``theta1``.
    p : float, default 2.0
        The order, finite and >= 1.

    Returns
    -------
    float or numpy.ndarray
        The distances (a float for scalar input).
    """
    t1 = check_array(theta1, "theta1", minimum=0, maximum=1)
    t2 = check_array(theta2, "theta2", minimum=0, maximum=1)
    p = _check_order(p)
    out = np.abs(t1 - t2) ** (1.0 / p)
    return float(out) if out.ndim == 0 else out

