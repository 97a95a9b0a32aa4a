r"""Closed-form mean flows of ST, pWGF and exact gradient descent on one Bernoulli coordinate, and their rest points.

On :math:`z \sim \mathrm{Bern}(\theta)` every estimator of :math:`L'(\theta)` that reads :math:`f` only through
:math:`f(0), f(1), f'(0), f'(1)` has a mean that is a polynomial of degree at most one in :math:`\theta`
(chapter ``chap-convergence``). With :math:`a = f'(0)`, :math:`c = f'(1) - f'(0)` and
:math:`\Delta = f(1) - f(0)`:

- ST (``eq-st-flow``): :math:`\dot\theta = -(a + c\,\theta)`;
- exact gradient flow: :math:`\dot\theta = -\Delta`;
- pWGF estimator (its mean, the trapezoid rule): :math:`\dot\theta = -\tfrac12(f'(0) + f'(1))`, and the
  :math:`W_2`-projected flow of the dequantised family, preconditioned by :math:`G^{-1} = 3\theta(1-\theta)`:
  :math:`\dot\theta = -\tfrac32\theta(1-\theta)(f'(0) + f'(1))`.

Each flow lives on :math:`[0, 1]` and stops at an edge it reaches (a 1-D autonomous flow is monotone, so an
edge it reaches is absorbing); the closed forms below are clipped accordingly. The module also holds the logit
and two-weight parameterisations of the chapter and a vectorised SGD in logits for the discrete-time bound
(``prop-biased-sgd``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .objectives import Objective
from .validation import (
    as_parameter,
    check_count,
    check_objective,
    check_parameter,
    check_positive,
    check_real,
    evaluate_objective,
)

#: Rest-point kinds of the ST flow.
KINDS = ("attracting", "repelling", "none", "everywhere")
#: Estimators of :func:`logit_sgd`.
LOGIT_ESTIMATORS = ("exact", "st", "pwgf")


@dataclass(frozen=True)
class LatticeData:
    """The four numbers of :math:`f` that the Bernoulli flows read: :math:`f(0), f(1), f'(0), f'(1)`.

    Parameters
    ----------
    f0, f1 : float
        :math:`f(0)` and :math:`f(1)`, finite.
    d0, d1 : float
        :math:`f'(0)` and :math:`f'(1)`, finite.
    """

    f0: float
    f1: float
    d0: float
    d1: float

    @property
    def a(self) -> float:
        """:math:`a = f'(0)`, the ST velocity's value at :math:`\\theta = 0` (with a minus sign)."""
        return self.d0

    @property
    def c(self) -> float:
        """:math:`c = f'(1) - f'(0)`, the slope of the ST mean in :math:`\\theta`."""
        return self.d1 - self.d0

    @property
    def delta(self) -> float:
        """:math:`\\Delta = f(1) - f(0) = L'(\\theta)`, the exact gradient."""
        return self.f1 - self.f0

    @property
    def trapezoid(self) -> float:
        """:math:`\\tfrac12(f'(0) + f'(1))`, the mean of the pWGF estimator."""
        return 0.5 * (self.d0 + self.d1)


@dataclass(frozen=True)
class RestPoint:
    """The interior rest point of the ST flow, ``theta`` (``None`` if there is none) and its ``kind``.

    Parameters
    ----------
    theta : float or None
        The rest point in :math:`(0, 1)`, or ``None``.
    kind : str
        One of :data:`KINDS`: how the flow behaves there (see :func:`st_rest_point`).
    """

    theta: float | None
    kind: str


def check_lattice(data: object) -> LatticeData:
    """Return ``data`` if it is a :class:`LatticeData` with finite entries, else raise.

    Parameters
    ----------
    data : object
        What :func:`lattice_data` returns, or a :class:`LatticeData` built by hand: its ``f0``, ``f1``, ``d0``,
        ``d1`` must be finite real numbers.

    Returns
    -------
    LatticeData
        ``data``, unchanged.
    """
    if not isinstance(data, LatticeData):
        raise TypeError(f"data must be a LatticeData (see lattice_data); got {type(data).__name__}")
    for name in ("f0", "f1", "d0", "d1"):
        check_real(getattr(data, name), f"data.{name}")
    return data


def lattice_data(f: Objective) -> LatticeData:
    """Values and derivatives of a one-coordinate objective at the lattice points 0 and 1.

    Parameters
    ----------
    f : Objective
        Maps draws of shape ``(n, 1)`` to shape ``(n,)``, differentiable in its input.

    Returns
    -------
    LatticeData
        :math:`f(0), f(1), f'(0), f'(1)` (derivatives by autograd, float64).
    """
    f = check_objective(f)
    z = torch.tensor([[0.0], [1.0]], dtype=torch.float64, requires_grad=True)
    values = evaluate_objective(f, z)
    (grad,) = torch.autograd.grad(values.sum(), z)
    v, g = values.detach().numpy(), grad.reshape(-1).numpy()
    return LatticeData(float(v[0]), float(v[1]), float(g[0]), float(g[1]))


def _theta(theta: object, name: str = "theta", closed: bool = True) -> np.ndarray:
    """Probabilities as an array; in [0, 1] if ``closed`` else in (0, 1)."""
    if not closed:
        return check_parameter("bernoulli", theta, name).detach().double().numpy()
    values = as_parameter(theta, name).detach().double().numpy()
    if ((values < 0) | (values > 1)).any():
        raise ValueError(f"{name} holds Bernoulli probabilities and must lie in [0, 1]; "
                         f"got values in [{values.min():.4g}, {values.max():.4g}]")
    return values


def _start(theta0: object, closed: bool = True) -> float:
    """The start of a flow: a probability, in [0, 1] if ``closed`` else in (0, 1)."""
    return float(_theta(theta0, "theta0", closed=closed).reshape(-1)[0])


def _times(t: object) -> np.ndarray:
    values = as_parameter(t, "t").detach().double().numpy()
    if (values < 0).any():
        raise ValueError(f"t holds times and must be >= 0; got minimum {values.min():.4g}")
    return values


def _st_drift(data: LatticeData, theta: np.ndarray | float) -> np.ndarray | float:
    """:math:`\\mathbb{E}[f'(z)] = a + c\\,\\theta`, the mean ST gradient, for checked arguments."""
    return data.a + data.c * theta


def st_mean(data: LatticeData, theta: object) -> np.ndarray:
    """Mean ST gradient :math:`\\mathbb{E}[f'(z)] = a + c\\,\\theta` on a Bernoulli (``eq-st-flow``).

    Parameters
    ----------
    data : LatticeData
        From :func:`lattice_data`.
    theta : array_like
        Probabilities in :math:`[0, 1]`.

    Returns
    -------
    numpy.ndarray
        :math:`(1-\\theta) f'(0) + \\theta f'(1)`, the shape of ``theta``.
    """
    data = check_lattice(data)
    return _st_drift(data, _theta(theta))


def st_rest_point(data: LatticeData) -> RestPoint:
    """The interior rest point of :math:`\\dot\\theta = -(a + c\\theta)` and its stability (``eq-st-flow``).

    Parameters
    ----------
    data : LatticeData
        From :func:`lattice_data`; only :math:`a` and :math:`c` enter.

    Returns
    -------
    RestPoint
        :math:`\\theta^* = -a/c` with kind ``"attracting"`` (:math:`c > 0`) or ``"repelling"`` (:math:`c < 0`) when
        :math:`\\theta^* \\in (0, 1)`; ``theta=None`` with kind ``"none"`` otherwise, or ``"everywhere"`` when
        :math:`a = c = 0`.
    """
    data = check_lattice(data)
    if data.c == 0:
        return RestPoint(None, "everywhere" if data.a == 0 else "none")
    star = -data.a / data.c
    if not 0 < star < 1:
        return RestPoint(None, "none")
    return RestPoint(star, "attracting" if data.c > 0 else "repelling")


def st_flow(data: LatticeData, theta0: object, t: object) -> np.ndarray:
    """Solution of the ST flow :math:`\\dot\\theta = -(a + c\\theta)` on :math:`[0, 1]` (``eq-st-solution``).

    Parameters
    ----------
    data : LatticeData
        From :func:`lattice_data`.
    theta0 : float
        Start, in :math:`[0, 1]`.
    t : array_like
        Times :math:`\\ge 0`.

    Returns
    -------
    numpy.ndarray
        :math:`\\theta^* + (\\theta_0 - \\theta^*) e^{-ct}` with :math:`\\theta^* = -a/c` (:math:`c \\ne 0`), or
        :math:`\\theta_0 - a t` (:math:`c = 0`), clipped to :math:`[0, 1]` (the flow stops at an edge), shape of ``t``.
    """
    data = check_lattice(data)
    start = _start(theta0)
    times = _times(t)
    if data.c == 0:
        path = start - data.a * times
    else:
        star = -data.a / data.c
        # e^{-ct} for c < 0 grows without bound; past e^700 the flow has long left [0, 1] (no overflow)
        path = star + (start - star) * np.exp(np.minimum(-data.c * times, 700.0))
    return np.clip(path, 0.0, 1.0)


def exact_flow(data: LatticeData, theta0: object, t: object) -> np.ndarray:
    """Solution of the exact gradient flow :math:`\\dot\\theta = -\\Delta` on :math:`[0, 1]`.

    Parameters
    ----------
    data, theta0, t
        As in :func:`st_flow`.

    Returns
    -------
    numpy.ndarray
        :math:`\\theta_0 - \\Delta t` clipped to :math:`[0, 1]`, the shape of ``t``.
    """
    data = check_lattice(data)
    start = _start(theta0)
    return np.clip(start - data.delta * _times(t), 0.0, 1.0)


def pwgf_flow(data: LatticeData, theta0: object, t: object, projected: bool = False) -> np.ndarray:
    """Solution of the pWGF mean flow on :math:`[0, 1]` (``eq-pwgf-flows``).

    Parameters
    ----------
    data, t
        As in :func:`st_flow`.
    theta0 : float
        Start: in :math:`[0, 1]`, or in :math:`(0, 1)` if ``projected``.
    projected : bool
        ``False``: the estimator's mean flow :math:`\\dot\\theta = -s/2`, :math:`s = f'(0) + f'(1)`, solved as
        :math:`\\theta_0 - s t/2` clipped to :math:`[0, 1]`. ``True``: the :math:`W_2`-projected flow
        :math:`\\dot\\theta = -\\tfrac32\\theta(1-\\theta)s`, the logistic solution
        :math:`\\sigma(\\operatorname{logit}\\theta_0 - \\tfrac32 s t)`, which never reaches an edge.

    Returns
    -------
    numpy.ndarray
        The trajectory at the times ``t``.
    """
    data = check_lattice(data)
    if not isinstance(projected, bool):
        raise TypeError(f"projected must be True or False; got {type(projected).__name__}")
    start = _start(theta0, closed=not projected)
    times = _times(t)
    s = data.d0 + data.d1
    if not projected:
        return np.clip(start - 0.5 * s * times, 0.0, 1.0)
    logit = math.log(start / (1 - start)) - 1.5 * s * times
    return 1.0 / (1.0 + np.exp(np.clip(-logit, -700.0, 700.0)))


def flow_limit(data: LatticeData, theta0: object, flow: str) -> float:
    """Where a flow started at ``theta0`` ends as :math:`t \\to \\infty`.

    Parameters
    ----------
    data : LatticeData
        From :func:`lattice_data`.
    theta0 : float
        Start, in :math:`(0, 1)`.
    flow : {"st", "exact", "pwgf"}
        Which flow (the two pWGF flows share their limits).

    Returns
    -------
    float
        0, 1, an interior rest point, or ``theta0`` itself where the velocity vanishes there.
    """
    data = check_lattice(data)
    start = _start(theta0, closed=False)
    if flow == "st":
        velocity = -_st_drift(data, start)
        rest = st_rest_point(data)
        if velocity == 0:
            return start
        if rest.kind == "attracting":
            return rest.theta
        return 0.0 if velocity < 0 else 1.0
    if flow in ("exact", "pwgf"):
        velocity = -data.delta if flow == "exact" else -data.trapezoid
        return start if velocity == 0 else (0.0 if velocity < 0 else 1.0)
    raise ValueError(f"flow must be one of 'st', 'exact', 'pwgf'; got {flow!r}")


def euler(velocity: object, theta0: object, dt: float, steps: int) -> np.ndarray:
    """Explicit Euler steps :math:`\\theta_{k+1} = \\Pi_{[0,1]}(\\theta_k + h\\,v(\\theta_k))`.

    Parameters
    ----------
    velocity : callable
        Maps a float in :math:`[0, 1]` to the velocity there.
    theta0 : float
        Start, in :math:`[0, 1]`.
    dt : float
        Step :math:`h > 0`.
    steps : int
        Number of steps.

    Returns
    -------
    numpy.ndarray
        The ``steps + 1`` iterates.
    """
    if not callable(velocity):
        raise TypeError(f"velocity must be callable; got {type(velocity).__name__}")
    theta = _start(theta0)
    dt = check_positive(dt, "dt")
    steps = check_count(steps, "steps", maximum=10_000_000)
    path = np.empty(steps + 1)
    path[0] = theta
    for k in range(steps):
        theta = min(1.0, max(0.0, theta + dt * float(velocity(theta))))
        path[k + 1] = theta
    return path


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(np.clip(-a, -700.0, 700.0)))


def _reals(x: object, name: str) -> np.ndarray:
    return as_parameter(x, name).detach().double().numpy()


def logit_st_velocity(data: LatticeData, logit: object) -> tuple[np.ndarray, np.ndarray]:
    """The ST flow through a logit :math:`\\theta = \\sigma(\\alpha)` (``eq-logit-flow``).

    Parameters
    ----------
    data : LatticeData
        From :func:`lattice_data`.
    logit : array_like
        Logits :math:`\\alpha`.

    Returns
    -------
    tuple of numpy.ndarray
        :math:`\\dot\\alpha = -\\sigma'(\\alpha)\\,\\mathbb{E}[f']` and the induced
        :math:`\\dot\\theta = -\\sigma'(\\alpha)^2\\,\\mathbb{E}[f']`.
    """
    data = check_lattice(data)
    alpha = _reals(logit, "logit")
    theta = _sigmoid(alpha)
    slope = theta * (1 - theta)
    mean = _st_drift(data, theta)
    return -slope * mean, -slope**2 * mean


def two_weight_st_field(data: LatticeData, w: object) -> np.ndarray:
    """The ST flow in the weights of :math:`\\theta = \\sigma(w_1 w_2)` (``eq-weight-flow``).

    Parameters
    ----------
    data : LatticeData
        The problem, as in :func:`st_mean`.
    w : array_like
        Weights, shape ``(..., 2)``.

    Returns
    -------
    numpy.ndarray
        :math:`\\dot w = -J^\\top \\sigma'(h)\\,\\mathbb{E}[f']` with :math:`h = w_1 w_2` and :math:`J = (w_2, w_1)`,
        shape of ``w``.
    """
    data = check_lattice(data)
    weights = _reals(w, "w")
    if weights.shape[-1] != 2:
        raise ValueError(f"w must have shape (..., 2); got shape {weights.shape}")
    h = weights[..., 0] * weights[..., 1]
    theta = _sigmoid(h)
    drive = theta * (1 - theta) * _st_drift(data, theta)
    jac = weights[..., ::-1]
    return -jac * drive[..., None]


def logit_smoothness(data: LatticeData) -> float:
    """Smoothness constant of :math:`L(\\alpha) = f(0) + \\sigma(\\alpha)\\Delta` in the logit.

    Parameters
    ----------
    data : LatticeData
        From :func:`lattice_data`; only :math:`\\Delta` enters.

    Returns
    -------
    float
        :math:`\\beta = |\\Delta| \\sup|\\sigma''| = |\\Delta| / (6\\sqrt3)`.
    """
    return abs(check_lattice(data).delta) / (6 * math.sqrt(3))


def logit_st_bias_sup(data: LatticeData) -> float:
    """:math:`\\sup_\\alpha |b(\\alpha)|` for ST through a logit, :math:`b = \\sigma'(\\alpha)(a + c\\theta - \\Delta)`.

    Parameters
    ----------
    data : LatticeData
        From :func:`lattice_data`; :math:`a`, :math:`c` and :math:`\\Delta` enter.

    Returns
    -------
    float
        The maximum over :math:`\\theta \\in [0, 1]` of :math:`|\\theta(1-\\theta)(a - \\Delta + c\\theta)|`, from the
        roots of its derivative.
    """
    data = check_lattice(data)
    alpha, c = data.a - data.delta, data.c
    poly = np.polynomial.Polynomial([0.0, alpha, c - alpha, -c])  # theta (1 - theta)(alpha + c theta)
    roots = poly.deriv().roots()
    candidates = [0.0, 1.0, *[r.real for r in roots if abs(r.imag) < 1e-12 and 0 <= r.real <= 1]]
    return float(max(abs(poly(x)) for x in candidates))


def logit_st_variance_sup(data: LatticeData, samples: int = 1) -> float:
    """:math:`\\sup_\\alpha` of the variance of the ``samples``-draw ST logit gradient.

    Parameters
    ----------
    data : LatticeData
        From :func:`lattice_data`; only :math:`c` enters.
    samples : int
        Draws averaged per step.

    Returns
    -------
    float
        :math:`\\sup_\\theta \\theta^3(1-\\theta)^3 c^2 / m = c^2/(64 m)`.
    """
    data = check_lattice(data)
    samples = check_count(samples, "samples")
    return data.c**2 / (64 * samples)


def biased_sgd_bound(gap: float, lr: float, steps: int, bias_sup: float, beta: float, variance: float) -> float:
    """Right side of the biased-SGD bound (``prop-biased-sgd``).

    Parameters
    ----------
    gap : float
        :math:`L(\\theta_0) - \\inf L \\ge 0`.
    lr : float
        Step :math:`\\eta`, with :math:`\\eta\\beta \\le 1`.
    steps : int
        Number of steps :math:`T`.
    bias_sup : float
        :math:`\\sup|b|`.
    beta : float
        Smoothness constant :math:`\\beta \\ge 0`.
    variance : float
        Bound :math:`\\sigma^2` on the estimator's variance.

    Returns
    -------
    float
        :math:`2(L_0 - L^*)/(\\eta T) + \\sup|b|^2 + \\beta\\eta\\sigma^2`.
    """
    gap, bias_sup, beta, variance = (check_real(v, n) for v, n in
                                     ((gap, "gap"), (bias_sup, "bias_sup"), (beta, "beta"), (variance, "variance")))
    for value, name in ((gap, "gap"), (bias_sup, "bias_sup"), (beta, "beta"), (variance, "variance")):
        if value < 0:
            raise ValueError(f"{name} must be >= 0; got {value}")
    lr = check_positive(lr, "lr")
    steps = check_count(steps, "steps")
    if lr * beta > 1:
        raise ValueError(f"the bound needs lr * beta <= 1; got lr = {lr:g}, beta = {beta:g}")
    return 2 * gap / (lr * steps) + bias_sup**2 + beta * lr * variance


def logit_sgd(estimator: str, data: LatticeData, logit0: float, lr: float, steps: int, runs: int,
              samples: int = 1, seed: int = 0) -> np.ndarray:
    """SGD on a Bernoulli logit, :math:`\\alpha_{t+1} = \\alpha_t - \\eta\\,\\bar g_t`, for many runs at once.

    Parameters
    ----------
    estimator : {"exact", "st", "pwgf"}
        ``"exact"``: :math:`\\sigma'(\\alpha)\\Delta`; ``"st"``: :math:`\\sigma'(\\alpha) f'(z)`; ``"pwgf"``:
        :math:`\\sigma'(\\alpha) f'(z)[z/(2\\theta) + (1-z)/(2(1-\\theta))]` (``eq-pwgf-bernoulli``), with
        :math:`z \\sim \\mathrm{Bern}(\\sigma(\\alpha))`.
    data : LatticeData
        From :func:`lattice_data`.
    logit0 : float
        Start :math:`\\alpha_0`.
    lr : float
        Step :math:`\\eta > 0`.
    steps : int
        Number of steps.
    runs : int
        Independent runs (vectorised).
    samples : int
        Draws averaged per step.
    seed : int
        Seed of NumPy's generator.

    Returns
    -------
    numpy.ndarray
        Logits, shape ``(steps + 1, runs)``.
    """
    data = check_lattice(data)
    if estimator not in LOGIT_ESTIMATORS:
        raise ValueError(f"estimator must be one of {LOGIT_ESTIMATORS}; got {estimator!r}")
    alpha = np.full(check_count(runs, "runs", maximum=100_000), check_real(logit0, "logit0"))
    lr = check_positive(lr, "lr")
    steps = check_count(steps, "steps", maximum=1_000_000)
    samples = check_count(samples, "samples", maximum=10_000)
    rng = np.random.default_rng(check_count(seed, "seed", minimum=0, maximum=2**63 - 1))
    path = np.empty((steps + 1, alpha.size))
    path[0] = alpha
    for t in range(steps):
        theta = _sigmoid(alpha)
        slope = theta * (1 - theta)
        if estimator == "exact":
            grad = slope * data.delta
        else:
            z = rng.random((samples, alpha.size)) < theta
            if estimator == "st":
                grad = slope * np.where(z, data.d1, data.d0).mean(0)
            else:  # sigma'(alpha) times the pWGF draw, simplified so that no 1 / theta is formed
                grad = 0.5 * np.where(z, data.d1 * (1 - theta), data.d0 * theta).mean(0)
        alpha = alpha - lr * grad
        path[t + 1] = alpha
    return path
