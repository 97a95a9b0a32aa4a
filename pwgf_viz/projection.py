r"""One step of the projected Wasserstein gradient flow on a one-dimensional Bernoulli (intro, ``eq-intro-st-step``).

The atoms :math:`z \in \{0, 1\}` with masses :math:`(1-p, p)` move by the particle step of the Wasserstein gradient
flow of :math:`F(q) = \mathbb{E}_q[f]`, :math:`z \mapsto z - \epsilon f'(z)`; the moved cloud is projected back onto
the Bernoulli family by matching its mean (*mean matching*):

.. math:: p' = \mathbb{E}[z - \epsilon f'(z)] = p - \epsilon\, \mathbb{E}_{z\sim\mathrm{Bern}(p)}[f'(z)],

one step of gradient descent with the mean straight-through gradient. Part III of the book derives this in general,
with the functions below: the particle step (:func:`particle_step`), mean matching (:func:`project_mean`,
chapter ``chap-st-as-pwgf``) and the exact :math:`W_2` projections (:func:`project_w2`: Gaussian, Bernoulli,
Poisson, dequantised Bernoulli and dequantised Poisson, chapters ``chap-projection``, ``chap-st-as-pwgf`` and
``chap-poisson-pwgf``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from scipy import optimize, special, stats

from .objectives import Objective
from .ot1d import discrete_distribution, quantile_wasserstein
from .validation import (
    check_array,
    check_objective,
    check_parameter,
    check_positive,
    normalise_weights,
    objective_slopes,
)


class BernoulliStep(NamedTuple):
    """Atoms, their masses, where the flow moved them, and the projected parameter."""

    atoms: torch.Tensor
    masses: torch.Tensor
    moved: torch.Tensor
    projected_p: float


def bernoulli_mean_matching_step(f: Objective, p: float, step: float) -> BernoulliStep:
    """Move the two atoms of :math:`\\mathrm{Bern}(p)` by :math:`-\\epsilon f'(z)` and match the mean.

    Parameters
    ----------
    f : callable
        The objective, mapping a float64 tensor of shape ``(n, ...)`` to ``(n,)``, differentiable (torch operations).
    p : float
        The Bernoulli probability, in (0, 1).
    step : float
        The step size :math:`\\epsilon > 0`, finite.

    Returns
    -------
    BernoulliStep
        ``atoms`` (0 and 1), ``masses`` :math:`(1-p, p)`, the ``moved`` atoms (float64 tensors of shape ``(2,)``) and
        ``projected_p``, the mean of the moved cloud :math:`p'` (not clipped to (0, 1)).
    """
    f = check_objective(f)
    theta = check_parameter("bernoulli", [p], "p").detach().double()
    step = check_positive(step, "step")
    atoms = torch.tensor([0.0, 1.0], dtype=torch.float64)
    moved = torch.from_numpy(particle_step(f, atoms[:, None], step)).reshape(-1)
    masses = torch.cat([1 - theta, theta])
    return BernoulliStep(atoms, masses, moved, float(masses @ moved))


# --- Part III: the three steps of the projected flow (chapters ``chap-projection`` and ``chap-st-as-pwgf``) ---

#: Families :func:`project_mean` accepts (mean matching needs a mean map).
MEAN_FAMILIES = ("bernoulli", "categorical", "poisson")
#: Families :func:`project_w2` accepts.
W2_FAMILIES = ("gaussian", "bernoulli", "poisson", "dequantised_bernoulli", "dequantised_poisson")


def particle_step(f: Objective, points: object, step: float) -> np.ndarray:
    r"""One forward-Euler step of the Wasserstein gradient flow of :math:`F(q) = \mathbb{E}_q[f]` on particles,
    :math:`z \mapsto z - \epsilon \nabla f(z)` (chapter 3, the particle ODE; chapter ``chap-projection``, step 2).

    ``points`` has shape ``(n,)`` (one coordinate) or ``(n, *S)``; ``f`` maps a float64 tensor of that shape to
    ``(n,)`` and must be differentiable (built from torch operations). Returns a float64 array of the same shape.

    Parameters
    ----------
    f : callable
        The objective, mapping a float64 tensor of shape ``(n, ...)`` to ``(n,)``, differentiable (torch operations).
    points : array_like
        The particles, finite, shape ``(n,)`` or ``(n, *S)`` (not a single number).
    step : float
        The step size :math:`\epsilon > 0`, finite.

    Returns
    -------
    numpy.ndarray
        The moved particles, float64, of ``points``' shape (finite, else ``ValueError``).
    """
    f = check_objective(f)
    step = check_positive(step, "step")
    z = torch.as_tensor(check_array(points, "points", scalar=False), dtype=torch.float64)
    slopes = objective_slopes(f, z)
    moved = (z - step * slopes).detach().numpy()
    if not np.isfinite(moved).all():
        raise ValueError(f"step = {step:g} moves the particles out of the finite range (or f' is not finite there)")
    return moved


def simplex_projection(v: np.ndarray) -> np.ndarray:
    r"""Euclidean projection of each row of ``v`` (shape ``(..., K)``) onto the probability simplex.

    The sort-based algorithm: :math:`\pi_k = \max(v_k - \tau, 0)` with the threshold :math:`\tau` that makes the
    entries sum to 1. Near an interior point it is the orthogonal projection onto :math:`\{\sum_k \pi_k = 1\}`,
    :math:`v - (\sum_k v_k - 1)/K`.

    Parameters
    ----------
    v : array_like
        Points, shape ``(..., K)`` with ``K >= 1`` (not validated).

    Returns
    -------
    numpy.ndarray
        float64 array of ``v``'s shape; each row is >= 0 and sums to 1.
    """
    v = np.asarray(v, dtype=np.float64)
    u = -np.sort(-v, axis=-1)
    css = np.cumsum(u, axis=-1) - 1
    k = np.arange(1, v.shape[-1] + 1)
    rho = np.sum(u - css / k > 0, axis=-1, keepdims=True)
    tau = np.take_along_axis(css, rho - 1, axis=-1) / rho
    return np.maximum(v - tau, 0.0)


def project_mean(family: str, points: object, weights: object = None) -> np.ndarray:
    r"""Mean matching: the projection of a weighted particle cloud onto a discrete family that returns the
    member whose mean equals the cloud's mean (chapter ``chap-st-as-pwgf``, ``eq-mean-matching``),

    .. math:: \mu(\theta') = \textstyle\sum_i w_i z_i .

    - ``"bernoulli"``: points of shape ``(n,)`` or ``(n, d)``; returns :math:`p'` (must lie in :math:`(0,1)`);
    - ``"poisson"``: the same shapes; returns :math:`\lambda'` (must be > 0);
    - ``"categorical"``: points of shape ``(n, K)`` (moved one-hot vectors); the mean leaves the simplex's
      affine hull when the moves do not sum to zero, so it is projected back onto the simplex
      (:func:`simplex_projection`); returns the probabilities :math:`\pi'`.

    A mean outside the parameter range (a step too large for the cloud) raises a ``ValueError`` naming ``points``.

    Parameters
    ----------
    family : {"bernoulli", "categorical", "poisson"}
        The family (:data:`MEAN_FAMILIES`).
    points : array_like
        The (moved) particles, finite, of the shapes above.
    weights : array_like, optional
        Masses of the points, ``n`` finite values >= 0 with a positive sum (normalised here); ``None`` for uniform.

    Returns
    -------
    numpy.ndarray
        The matched parameter: :math:`p'`, :math:`\lambda'` (shape ``()`` or ``(d,)``) or :math:`\pi'` (shape ``(K,)``),
        float64.
    """
    if not isinstance(family, str) or family not in MEAN_FAMILIES:
        raise ValueError(f"family must be one of {MEAN_FAMILIES}; got {family!r}")
    z = check_array(points, "points", scalar=False)
    w = normalise_weights(weights, z.shape[0], "weights")
    mean = np.tensordot(w, z, axes=1)
    if family == "categorical":
        if z.ndim != 2 or z.shape[1] < 2:
            raise ValueError(f"points must have shape (n, K) with K >= 2 for the categorical family; got {z.shape}")
        return simplex_projection(mean)
    if family == "bernoulli" and not ((mean > 0) & (mean < 1)).all():
        raise ValueError(f"points have mean {mean} outside (0, 1): no Bernoulli member matches it; take a smaller step")
    if family == "poisson" and not (mean > 0).all():
        raise ValueError(f"points have mean {mean} <= 0: no Poisson member matches it; take a smaller step")
    return mean


def _cell_quantile(left: np.ndarray, mass: np.ndarray, u: np.ndarray) -> np.ndarray:
    r"""Quantile function of the mixture :math:`\sum_i m_i\, U[\ell_i, \ell_i + 1)` at the levels ``u`` in (0, 1).

    Its CDF is piecewise linear with breakpoints at every :math:`\ell_i` and :math:`\ell_i + 1`; on each piece where
    the CDF rises, the quantile is the linear interpolation (flat pieces are gaps of the support and hold no level
    strictly inside them).
    """
    breaks = np.unique(np.concatenate([left, left + 1]))
    cdf = np.clip(breaks[:, None] - left[None, :], 0.0, 1.0) @ mass
    j = np.clip(np.searchsorted(cdf, u, side="left") - 1, 0, len(breaks) - 2)
    rise = cdf[j + 1] - cdf[j]
    return breaks[j] + (u - cdf[j]) / np.where(rise > 0, rise, 1.0) * (breaks[j + 1] - breaks[j])


def cell_w2(left_a: object, mass_a: object, left_b: object, mass_b: object) -> float:
    r""":math:`W_2` between two mixtures of unit-width uniform cells, :math:`\sum_i a_i U[x_i, x_i+1)` and
    :math:`\sum_j b_j U[y_j, y_j+1)`, computed exactly.

    Both quantile functions are piecewise linear in the level :math:`u`, with breakpoints at the CDF values of the
    cell ends; between merged breakpoints :math:`(F_a^{-1} - F_b^{-1})^2` is a quadratic, integrated exactly by
    two-point Gauss-Legendre at interior levels (so jumps of the quantiles at the breakpoints do not matter).

    Parameters
    ----------
    left_a : array_like
        Left ends :math:`x_i` of the cells of the first mixture, shape ``(n,)``, finite.
    mass_a : array_like or None
        Their masses, ``n`` values >= 0 with a positive sum (normalised); ``None`` for uniform.
    left_b : array_like
        Left ends :math:`y_j` of the second mixture, shape ``(m,)``.
    mass_b : array_like or None
        Their masses, as ``mass_a``.

    Returns
    -------
    float
        :math:`W_2 \ge 0`.
    """
    la, lb = check_array(left_a, "left_a", scalar=False), check_array(left_b, "left_b", scalar=False)
    ma, mb = normalise_weights(mass_a, la.shape[0], "mass_a"), normalise_weights(mass_b, lb.shape[0], "mass_b")
    levels = []
    for left, mass in ((la, ma), (lb, mb)):
        breaks = np.unique(np.concatenate([left, left + 1]))
        levels.append(np.clip(breaks[:, None] - left[None, :], 0.0, 1.0) @ mass)
    u = np.unique(np.clip(np.concatenate([[0.0, 1.0], *levels]), 0.0, 1.0))
    centre, half = 0.5 * (u[1:] + u[:-1]), 0.5 * np.diff(u)
    total = 0.0
    for node in (-1 / np.sqrt(3), 1 / np.sqrt(3)):
        level = centre + node * half
        total += np.sum(half * (_cell_quantile(la, ma, level) - _cell_quantile(lb, mb, level)) ** 2)
    return float(np.sqrt(max(total, 0.0)))


def _poisson_family(high: float) -> tuple[np.ndarray, Callable[[float], np.ndarray]]:
    """One support for every rate up to ``high`` (truncated at tail :math:`10^{-12}` there), and the masses of a
    rate on it, renormalised (the law conditioned on the support, as :func:`pwgf_viz.ot1d.discrete_distribution`)."""
    support, _ = discrete_distribution("poisson", float(high))
    log_factorial = special.gammaln(support + 1)

    def masses(rate: float) -> np.ndarray:
        log_p = support * np.log(rate) - rate - log_factorial
        p = np.exp(log_p - log_p.max())
        return p / p.sum()

    return support, masses


def gaussian_w2_projection(points: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    r"""Closed form of the :math:`W_2` projection of a 1-D discrete cloud onto :math:`\{N(m, s^2)\}`
    (chapter ``chap-projection``, ``eq-gaussian-projection``): with the quantile map
    :math:`F^{-1}_{m,s}(u) = m + s\,\Phi^{-1}(u)`,

    .. math:: m' = \textstyle\sum_i w_i z_i, \qquad
       s' = \int_0^1 F_q^{-1}(u)\,\Phi^{-1}(u)\,du = \sum_i z_{(i)} \big(\varphi(\Phi^{-1}(A_{i-1}))
       - \varphi(\Phi^{-1}(A_i))\big),

    :math:`z_{(i)}` sorted, :math:`A_i` their cumulative weights (clipped at 0: a cloud cannot have a negative
    scale).

    Parameters
    ----------
    points : numpy.ndarray
        The cloud's points, float64, shape ``(n,)`` (not validated: :func:`project_w2` has).
    weights : numpy.ndarray
        Their masses, shape ``(n,)``, >= 0 and summing to 1.

    Returns
    -------
    tuple of float
        ``(m', s')``, with ``s' >= 0``.
    """
    order = np.argsort(points, kind="stable")
    z, w = points[order], weights[order]
    cum = np.concatenate([[0.0], np.cumsum(w)])
    cum[-1] = 1.0
    density = stats.norm.pdf(stats.norm.ppf(np.clip(cum, 0.0, 1.0)))
    return float(w @ z), float(max(z @ (density[:-1] - density[1:]), 0.0))


def project_w2(family: str, points: object, weights: object = None, bracket: tuple[float, float] | None = None,
               ) -> float | tuple[float, float]:
    r"""The :math:`W_2` projection :math:`\arg\min_{\theta'} W_2(q, p_{\theta'})` of a 1-D weighted cloud ``q``
    (chapter ``chap-projection``).

    - ``"gaussian"``: closed form :func:`gaussian_w2_projection`; returns ``(m', s')``;
    - ``"bernoulli"``: closed form (``prop-lattice-degeneracy``): :math:`p' = q(z > 1/2)`, the mass closer to 1
      than to 0 (rounding); a tie at exactly 1/2 is counted as 0;
    - ``"poisson"``: numerical, bounded Brent minimisation of :func:`pwgf_viz.ot1d.quantile_wasserstein` over the
      rate (the lattice family, truncated at tail :math:`10^{-12}`);
    - ``"dequantised_poisson"``: ``points`` are the left ends of unit cells (the cloud
      :math:`\sum_i w_i U[z_i, z_i+1)`, each integer spread over its cell and moved); numerical minimisation of
      :func:`cell_w2` against :math:`\mathrm{Poisson}(\lambda') + U[0,1)` (``eq-dequantised-projection``);
    - ``"dequantised_bernoulli"``: the same for :math:`\mathrm{Bern}(p') + U[0,1)`, the cells :math:`[0,1)` and
      :math:`[1,2)` with masses :math:`(1-p', p')` (``eq-pwgf-bernoulli``, ``prop-metric-projection``);
      bounded minimisation over :math:`p' \in (0, 1)` (``bracket`` is ignored).

    ``bracket`` = ``(low, high)`` bounds the rate search (default: the cloud's mean :math:`\pm` 4 standard
    deviations + 1, kept > 0). The minimiser is found to an absolute tolerance of :math:`10^{-9}`.

    Parameters
    ----------
    family : {"gaussian", "bernoulli", "poisson", "dequantised_bernoulli", "dequantised_poisson"}
        The family (:data:`W2_FAMILIES`).
    points : array_like
        The cloud's points (or cell left ends), 1-D, finite, non-empty.
    weights : array_like, optional
        Masses of the points, ``n`` finite values >= 0 with a positive sum (normalised here); ``None`` for uniform.
    bracket : tuple of float, optional
        ``(low, high)`` with ``0 < low < high``, finite: the interval of the rate search (Poisson families only).

    Returns
    -------
    float or tuple of float
        ``(m', s')`` for ``"gaussian"``, else the projected parameter :math:`p'` or :math:`\lambda'`.
    """
    if not isinstance(family, str) or family not in W2_FAMILIES:
        raise ValueError(f"family must be one of {W2_FAMILIES}; got {family!r}")
    z = check_array(points, "points", ndim=1)
    w = normalise_weights(weights, z.shape[0], "weights")
    if family == "gaussian":
        return gaussian_w2_projection(z, w)
    if family == "bernoulli":
        return float(w[z > 0.5].sum())
    if family == "dequantised_bernoulli":
        cells = np.array([0.0, 1.0])

        def bernoulli_cost(p: float) -> float:
            return cell_w2(z, w, cells, np.array([1 - p, p])) ** 2

        result = optimize.minimize_scalar(bernoulli_cost, bounds=(1e-12, 1 - 1e-12), method="bounded",
                                          options={"xatol": 1e-12, "maxiter": 500})
        return float(result.x)
    mean = float(w @ z) + (0.5 if family == "dequantised_poisson" else 0.0)
    spread = float(np.sqrt(max(w @ (z - float(w @ z)) ** 2, 0.0)))
    if bracket is None:
        bracket = (max(mean - 4 * spread - 1, 1e-3), max(mean + 4 * spread + 1, 1.0))
    low, high = (check_positive(b, "bracket") for b in bracket)
    if not low < high:
        raise ValueError(f"bracket must be (low, high) with 0 < low < high; got {bracket}")
    support, masses = _poisson_family(high)
    if family == "poisson":
        def cost(rate: float) -> float:
            return quantile_wasserstein(z, support, w, masses(rate)) ** 2
    else:
        def cost(rate: float) -> float:
            return cell_w2(z, w, support, masses(rate)) ** 2
    result = optimize.minimize_scalar(cost, bounds=(low, high), method="bounded",
                                      options={"xatol": 1e-9, "maxiter": 500})
    return float(result.x)
