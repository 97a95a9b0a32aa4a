r"""Projection onto a Wasserstein ball around an image (chapter ``chap-wasserstein-adversarial``).

An image with non-negative pixels is read as a distribution of mass over the pixel grid. Given the reference
distribution :math:`x` (masses summing to 1) and any point :math:`w`, the projection onto the ball of radius
:math:`\epsilon` is (chapter equation ``eq-wball-projection``)

.. math:: \min_{z,\ \Pi \ge 0}\ \tfrac12\lVert w - z\rVert_2^2
   \quad\text{s.t.}\quad \Pi\mathbf 1 = x,\ \Pi^\top\mathbf 1 = z,\ \langle \Pi, C\rangle \le \epsilon,

with :math:`C_{ij}` the cost of moving a unit of mass from pixel :math:`i` to pixel :math:`j` (:func:`pixel_cost`).
Wong, Schmidt and Kolter (2019) add the entropy :math:`\tfrac1\lambda\sum_{ij}\Pi_{ij}\log\Pi_{ij}` and maximise
the dual by block coordinate ascent, the *projected Sinkhorn* iterations (equation ``eq-wball-updates``):

.. math:: \alpha \leftarrow \log\big(K e^{-\beta}\big) - \log x, \qquad
   \beta \leftarrow W_0\big(\lambda e^{\lambda w}\odot K^\top e^{-\alpha}\big) - \lambda w, \qquad
   \psi \leftarrow \max\big(0,\ \psi - t\,\partial_\psi g/\partial^2_\psi g\big),

with :math:`K = e^{-\psi C - 1}`, :math:`W_0` the Lambert W function and a Newton step on :math:`\psi`. The plan
is :math:`\Pi = \mathrm{diag}(e^{-\alpha})\,K\,\mathrm{diag}(e^{-\beta})` and the primal point
:math:`z = w + \beta/\lambda`.

:func:`project_wasserstein_ball` runs these updates in the log domain (``logsumexp``; the Lambert step as
:math:`W_0(e^t)` = Wright's :math:`\omega(t)`, so :math:`e^{\lambda w}` is never formed) and returns the column sums
of the row-normalised plan, which is an exact coupling of :math:`x` and the returned point.
:func:`exact_projection` solves the unregularised problem with a generic solver (SciPy's SLSQP), for tiny images,
and :func:`entropic_gap_bound` bounds the distance between the two (chapter proposition ``prop-wball-gap``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import ot
import torch
from scipy import optimize, special

from .validation import check_array, check_count, check_positive

#: Largest number of plan entries (support of x times pixels) :func:`exact_projection` accepts.
MAX_EXACT_VARIABLES = 1_000
#: Masses of a distribution must sum to 1 within this tolerance.
MASS_TOL = 1e-6
#: Sweeps between two evaluations of the stopping residuals.
CHECK_EVERY = 5
#: Default cap on the sweeps of :func:`project_wasserstein_ball`. The sweeps grow about in proportion to
#: :math:`\lambda`; at the default ``tol`` the chapter's 5 x 5 problems need up to about 2.3 lam of them
#: (6565 at lam = 3000), the 8 x 8 digits at lam = 1000 about 300.
DEFAULT_MAX_ITER = 20_000


def _check_distribution(x: object, name: str = "x") -> np.ndarray:
    """Masses >= 0 along the last axis summing to 1 (within ``MASS_TOL``)."""
    x = check_array(x, name, ndim=(1, 2), minimum=0)
    sums = x.sum(-1)
    if np.abs(sums - 1).max() > MASS_TOL:
        raise ValueError(f"{name} must sum to 1 along its last axis (divide the image by its total mass); "
                         f"got sums in [{sums.min():.6g}, {sums.max():.6g}]")
    return x


def _check_cost(cost: object, n: int) -> np.ndarray:
    """The ``(n, n)`` ground cost between ``n`` pixels, entries >= 0."""
    return check_array(cost, "cost", shape=(n, n), minimum=0)


def pixel_cost(height: int, width: int, p: float = 2.0) -> np.ndarray:
    r"""Ground cost :math:`C_{ij} = \lVert \mathrm{pos}_i - \mathrm{pos}_j \rVert_2^p` between the pixels of a grid.

    Pixels are numbered row by row (``image.reshape(-1)``) and one pixel step has length 1, so with the default
    :math:`p = 2` moving a share :math:`s` of the mass by one pixel costs :math:`s`. Built with ``ot.dist``.

    Parameters
    ----------
    height, width : int
        The grid's size in pixels, each in [1, 64].
    p : float, default 2.0
        The exponent :math:`p > 0`, finite.

    Returns
    -------
    numpy.ndarray
        :math:`C`, float64, shape ``(height * width, height * width)``, zero on the diagonal.
    """
    height = check_count(height, "height", 1, 64)
    width = check_count(width, "width", 1, 64)
    p = check_positive(p, "p")
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    positions = np.stack([rows.ravel(), cols.ravel()], axis=1).astype(np.float64)
    return ot.dist(positions, positions, metric="euclidean") ** p


@dataclass(frozen=True)
class BallProjection:
    """Result of :func:`project_wasserstein_ball` (leading batch axis as in the input).

    Parameters
    ----------
    z, plan, transport_cost
        The projected points, their couplings with ``x`` and the couplings' costs (see the attributes).
    iterations : int
        The sweeps run.
    converged, residual
        Whether the tolerance was reached, and what was reached.
    beta, psi
        The dual variables, for a warm start.
    """

    z: np.ndarray
    """The projected points, shape of ``w``; each sums to 1 and is >= 0."""
    plan: np.ndarray
    """Couplings of ``x`` and ``z`` (rows sum to ``x``, columns to ``z``), shape ``(..., n, n)``."""
    transport_cost: np.ndarray
    r""":math:`\langle \Pi, C\rangle`, an upper bound on the transport cost from ``x`` to ``z``."""
    iterations: int
    converged: bool
    """Whether ``residual`` fell below ``tol`` (for every point of a batch)."""
    residual: np.ndarray
    r"""The larger of the two stopping residuals after the last sweep, one per point: the :math:`\ell_1` gap
    between :math:`z` and :math:`w + \beta/\lambda`, and the relative violation of the cost constraint."""
    beta: np.ndarray
    r"""Dual variables :math:`\beta` (pass ``warm_start=(beta, psi)`` to a later call with a nearby ``w``)."""
    psi: np.ndarray
    r"""Dual variable :math:`\psi \ge 0` of the cost constraint (scaled by :math:`\lambda`)."""


def _row_normalised(log_x: torch.Tensor, log_col: torch.Tensor, psi: torch.Tensor,
                    cost: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""The plan :math:`\Pi_{ij} \propto e^{-\beta_j - \psi C_{ij}}` with rows scaled to sum to :math:`x_i`.

    It couples :math:`x` and its column sums :math:`z` exactly. Returns ``(plan, z, <plan, C>)``.
    """
    log_plan = log_col[:, None, :] - psi[:, None, None] * cost
    plan = (log_x[:, :, None] - torch.logsumexp(log_plan, dim=2, keepdim=True) + log_plan).exp()
    return plan, plan.sum(1), (plan * cost).sum((1, 2))


def project_wasserstein_ball(w: object, x: object, cost: object, eps: float, lam: float = 1000.0, *,
                             tol: float = 1e-4, max_iter: int = DEFAULT_MAX_ITER,
                             warm_start: tuple[object, object] | None = None) -> BallProjection:
    r"""Project ``w`` onto the Wasserstein ball of radius ``eps`` around ``x`` by projected Sinkhorn iterations.

    Runs the updates ``eq-wball-updates`` (see the module docstring) until both residuals are below ``tol``: the
    column sums of the plan against :math:`w + \beta/\lambda` (in :math:`\ell_1`), and
    :math:`|\langle\Pi, C\rangle - \epsilon| / \epsilon` (only its excess if :math:`\psi = 0`), for at most
    ``max_iter`` sweeps. The sweeps needed grow about in proportion to ``lam``: the default ``max_iter`` covers
    ``lam`` up to a few thousand on images of up to 8 x 8 pixels.

    Parameters
    ----------
    w : array_like
        The points to project, shape ``(n,)`` or ``(batch, n)``, any finite reals.
    x : array_like
        The centres, distributions of ``w``'s shape: masses >= 0 summing to 1 (within :data:`MASS_TOL`).
    cost : array_like
        The ``(n, n)`` ground cost, entries >= 0 (:func:`pixel_cost`).
    eps : float
        The radius :math:`\epsilon > 0`, a bound on :math:`\langle\Pi, C\rangle`.
    lam : float, default 1000.0
        The entropic parameter :math:`\lambda > 0`: larger is closer to the exact projection, and slower.
    tol : float, default 1e-4
        Tolerance of both residuals, > 0.
    max_iter : int, default DEFAULT_MAX_ITER
        Sweeps at the most, in [1, 100000].
    warm_start : tuple, optional
        ``(beta, psi)`` of an earlier :class:`BallProjection` with a nearby ``w``; ``None`` starts from
        :math:`\beta = \log n`, :math:`\psi = 1`.

    Returns
    -------
    BallProjection
        The points, plans, costs and duals; ``converged`` says whether the tolerance was reached, ``residual`` what
        was reached.
    """
    x = _check_distribution(x)
    w = check_array(w, "w")
    if w.shape != x.shape:
        raise ValueError(f"w must have the shape of x {x.shape}; got {w.shape}")
    single = x.ndim == 1
    cost_np = _check_cost(cost, x.shape[-1])
    eps = check_positive(eps, "eps")
    lam = check_positive(lam, "lam")
    tol = check_positive(tol, "tol")
    max_iter = check_count(max_iter, "max_iter", 1, 100_000)

    x_t = torch.from_numpy(np.atleast_2d(x))
    w_t = torch.from_numpy(np.atleast_2d(w))
    c = torch.from_numpy(cost_np)
    batch, n = x_t.shape
    log_x = torch.where(x_t > 0, x_t.clamp_min(1e-300).log(), torch.tensor(-torch.inf, dtype=torch.float64))
    if warm_start is None:
        log_col, psi = torch.full((batch, n), -np.log(n), dtype=torch.float64), torch.ones(batch, dtype=torch.float64)
    else:
        if not isinstance(warm_start, tuple | list) or len(warm_start) != 2:
            raise TypeError("warm_start must be a pair (beta, psi) from an earlier BallProjection, or None")
        beta0, psi0 = check_array(warm_start[0], "warm_start beta"), check_array(warm_start[1], "warm_start psi")
        if beta0.shape != w.shape or psi0.shape != x.shape[:-1]:
            raise ValueError(f"warm_start must be (beta, psi) of shapes {w.shape} and {x.shape[:-1]}; "
                             f"got {beta0.shape} and {psi0.shape}")
        log_col = -torch.from_numpy(np.atleast_2d(beta0)).clone()
        psi = torch.from_numpy(np.atleast_1d(psi0)).clamp_min(0).clone()

    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):
        log_kernel = -psi[:, None, None] * c - 1  # log K
        # alpha-update: rows of the plan sum to x.
        log_row = log_x - torch.logsumexp(log_col[:, None, :] + log_kernel, dim=2)
        # beta-update: W0(lam e^{lam w} s) = omega(log lam + lam w + log s), s = K^T e^{-alpha}.
        log_rows_kernel = log_row[:, :, None] + log_kernel
        log_s = torch.logsumexp(log_rows_kernel, dim=1)
        omega = torch.from_numpy(special.wrightomega((np.log(lam) + lam * w_t + log_s).numpy()).real)
        log_col = lam * w_t - omega  # b = -beta, beta = omega - lam w
        # psi-update: Newton step on the concave dual, halved (at most 7 times) to stay >= 0, then clipped.
        plan = (log_rows_kernel + log_col[:, None, :]).exp()
        slope = (plan * c).sum((1, 2)) - eps
        curvature = (plan * c * c).sum((1, 2))
        delta = torch.where(curvature > 0, slope / curvature.clamp_min(1e-300), torch.zeros_like(slope))
        halvings = torch.zeros_like(psi)
        for _ in range(7):
            negative = psi + delta * 0.5**halvings < 0
            if not bool(negative.any()):
                break
            halvings += negative.double()
        psi = (psi + delta * 0.5**halvings).clamp_min(0)
        if iterations % CHECK_EVERY == 0 or iterations == max_iter:
            plan, z, transport = _row_normalised(log_x, log_col, psi, c)
            stationarity = (z - omega / lam).abs().sum(1)
            excess = (transport - eps) / eps
            constraint = torch.where(psi > 0, excess.abs(), excess.clamp_min(0))
            residual = torch.maximum(stationarity, constraint)
            if float(residual.max()) < tol:
                converged = True
                break

    def out(t: torch.Tensor) -> np.ndarray:
        array = t.numpy()
        return array[0] if single else array

    return BallProjection(z=out(z), plan=out(plan), transport_cost=out(transport), iterations=iterations,
                          converged=converged, residual=out(residual), beta=out(-log_col), psi=out(psi))


def exact_projection(w: object, x: object, cost: object, eps: float) -> tuple[np.ndarray, np.ndarray]:
    r"""The unregularised projection ``eq-wball-projection`` of one point, by SciPy's SLSQP: ``(z, plan)``.

    Rows of :math:`\Pi` where :math:`x_i = 0` are zero, so the variables are the entries of the
    ``(support of x) x n`` block of the plan, with :math:`z = \Pi^\top\mathbf 1` substituted in the objective
    (a convex quadratic in :math:`\Pi`, linear constraints). For tiny images only: at most
    :data:`MAX_EXACT_VARIABLES` plan entries.

    Parameters
    ----------
    w, x, cost, eps
        As in :func:`project_wasserstein_ball`, for one point: ``w`` and ``x`` of shape ``(n,)``.

    Returns
    -------
    z : numpy.ndarray
        The projection, shape ``(n,)``.
    plan : numpy.ndarray
        The optimal coupling of ``x`` and ``z``, shape ``(n, n)``. Raises ``RuntimeError`` if SLSQP does not
        report success.
    """
    x = _check_distribution(x)
    w = check_array(w, "w")
    if x.ndim != 1 or w.shape != x.shape:
        raise ValueError(f"x and w must be single points of the same shape (n,); got {x.shape} and {w.shape}")
    cost = _check_cost(cost, x.size)
    eps = check_positive(eps, "eps")
    support = np.flatnonzero(x > 0)
    block = cost[support]
    rows, n = block.shape
    if rows * n > MAX_EXACT_VARIABLES:
        raise ValueError(f"exact_projection is for tiny images: (support of x) x n = {rows} x {n} plan entries, "
                         f"at most {MAX_EXACT_VARIABLES}")
    row_sums = np.kron(np.eye(rows), np.ones(n))

    def objective(p: np.ndarray) -> tuple[float, np.ndarray]:
        residual = p.reshape(rows, n).sum(0) - w
        return 0.5 * float(residual @ residual), np.tile(residual, rows)

    constraints = [
        {"type": "eq", "fun": lambda p: row_sums @ p - x[support], "jac": lambda p: row_sums},
        {"type": "ineq", "fun": lambda p: np.array([eps - block.ravel() @ p]), "jac": lambda p: -block.ravel()[None]},
    ]
    start = np.zeros((rows, n))
    start[np.arange(rows), support] = x[support]  # the identity plan: z = x, inside the ball
    result = optimize.minimize(objective, start.ravel(), jac=True, method="SLSQP", bounds=[(0, None)] * (rows * n),
                               constraints=constraints, options={"ftol": 1e-12, "maxiter": 1000})
    if not result.success:
        raise RuntimeError(f"SLSQP did not converge: {result.message}")
    plan = np.zeros((x.size, n))
    plan[support] = np.clip(result.x.reshape(rows, n), 0, None)
    return plan.sum(0), plan


def entropic_gap_bound(plan: object, x: object, lam: float) -> float:
    r"""Bound on :math:`\lVert z_\lambda - z^\star\rVert_2` from proposition ``prop-wball-gap``.

    :math:`\sqrt{2 h(\Pi_\lambda)/\lambda}` with :math:`h(\Pi) = -\sum_{ij}\Pi_{ij}\log(\Pi_{ij}/x_i)` the
    conditional entropy of the entropic plan (at most :math:`\log n`).

    Parameters
    ----------
    plan : array_like
        One entropic coupling :math:`\Pi_\lambda`, shape ``(n, n)``, >= 0, with row sums ``x``
        (:attr:`BallProjection.plan`).
    x : array_like
        The centre, a distribution of shape ``(n,)``.
    lam : float
        The :math:`\lambda > 0` the plan was computed with.

    Returns
    -------
    float
        :math:`\sqrt{2 h(\Pi_\lambda)/\lambda} \ge 0`.
    """
    x = _check_distribution(x)
    plan = check_array(plan, "plan")
    if x.ndim != 1 or plan.shape != (x.size, x.size):
        raise ValueError(f"plan must be one (n, n) coupling and x one distribution (n,); got {plan.shape}, {x.shape}")
    if (plan < 0).any():
        raise ValueError("plan must be >= 0")
    lam = check_positive(lam, "lam")
    conditional = np.divide(plan, x[:, None], out=np.zeros_like(plan), where=(plan > 0) & (x[:, None] > 0))
    entropy = -float(np.sum(plan * np.log(conditional, out=np.zeros_like(plan), where=conditional > 0)))
    return float(np.sqrt(2 * max(entropy, 0.0) / lam))

