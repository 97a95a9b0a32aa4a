r"""The two-linear-layer network with binarized ReLU of Yin et al. (2019): population loss and coarse gradients.

Model (chapter ``quantized-nets``): an input :math:`Z\in\mathbb R^{m\times n}` with i.i.d. :math:`\mathcal N(0,1)`
entries, a filter :math:`w\in\mathbb R^n` shared by the :math:`m` rows, second-layer weights :math:`v\in\mathbb R^m`
and the binarized ReLU :math:`\sigma(x) = \mathbb 1[x > 0]`:

.. math:: y(Z; v, w) = v^\top\sigma(Zw), \qquad f(v, w) = \tfrac12\,\mathbb E_Z\big(y(Z; v, w) - y(Z; v^*, w^*)\big)^2 .

With :math:`\theta = \angle(w, w^*)` and :math:`\hat w = w/\lVert w\rVert` (eq. ``eq-yin-loss``),

.. math:: f = \tfrac18\Big[v^\top(I + \mathbf 1\mathbf 1^\top)v - 2v^\top\big((1 - \tfrac{2\theta}{\pi})I
          + \mathbf 1\mathbf 1^\top\big)v^* + v^{*\top}(I + \mathbf 1\mathbf 1^\top)v^*\Big] .

The coarse gradient replaces :math:`\sigma'` (zero almost everywhere) by the derivative :math:`\mu'` of a proxy
:math:`\mu` (identity, ReLU, clipped ReLU :math:`\min(\max(x, 0), 1)`) in the chain rule (eq. ``eq-coarse``):

.. math:: g_\mu(v, w; Z) = Z^\top\big(\mu'(Zw)\odot v\big)\,(y - y^*) ;

the gradient in :math:`v`, :math:`\sigma(Zw)\,(y - y^*)`, needs no proxy. Its expectations are in closed form
(eqs. ``eq-coarse-id``, ``eq-coarse-relu``, ``eq-coarse-crelu``), derived in the chapter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from .validation import check_array, check_count, check_positive

#: The proxies whose derivative replaces :math:`\sigma'` in the coarse gradient.
STES = ("identity", "relu", "clipped_relu")
#: Name of the population (true) gradient in :func:`train`.
EXACT = "exact"
_SQRT_2PI = math.sqrt(2 * math.pi)


def _vector(value: object, name: str, size: int | None = None) -> np.ndarray:
    """A finite float64 vector (a list or NumPy array: this module is NumPy-only), of length ``size`` when given."""
    return check_array(value, name, ndim=1, shape=None if size is None else (size,), types=(list, tuple, np.ndarray))


def _weights(v: object, w: object, v_star: object, w_star: object) -> tuple[np.ndarray, ...]:
    """Check a student ``(v, w)`` against its teacher ``(v_star, w_star)``; filters must be non-zero."""
    v_star = _vector(v_star, "v_star")
    w_star = _vector(w_star, "w_star")
    v = _vector(v, "v", v_star.size)
    w = _vector(w, "w", w_star.size)
    for name, filt in (("w", w), ("w_star", w_star)):
        if not np.linalg.norm(filt) > 0:
            raise ValueError(f"{name} must be a non-zero filter: the network only sees its direction")
    return v, w, v_star, w_star


def check_ste(ste: object, allow_exact: bool = False) -> str:
    """Return ``ste`` if it names a proxy of :data:`STES` (or ``"exact"`` when allowed), else raise.

    Parameters
    ----------
    ste : object
        The argument to check.
    allow_exact : bool, default False
        Also accept ``"exact"`` (:data:`EXACT`, the population gradient).

    Returns
    -------
    str
        ``ste``.
    """
    names = STES + ((EXACT,) if allow_exact else ())
    if not isinstance(ste, str):
        raise TypeError(f"ste must be a string, one of {names}; got {type(ste).__name__}")
    if ste not in names:
        raise ValueError(f"ste must be one of {names}; got {ste!r}")
    return ste


def binarized_relu(x: np.ndarray) -> np.ndarray:
    r"""The activation :math:`\sigma(x) = \mathbb 1[x > 0]`, as floats.

    Parameters
    ----------
    x : array_like
        Pre-activations, any shape.

    Returns
    -------
    numpy.ndarray
        float64 zeros and ones of ``x``'s shape.
    """
    return (np.asarray(x) > 0).astype(np.float64)


def proxy_derivative(ste: str, x: np.ndarray) -> np.ndarray:
    r""":math:`\mu'(x)` of the proxy.

    1 (identity), :math:`\mathbb 1[x>0]` (ReLU), :math:`\mathbb 1[0<x<1]` (clipped ReLU).

    Parameters
    ----------
    ste : {"identity", "relu", "clipped_relu"}
        The proxy :math:`\mu` (:data:`STES`).
    x : array_like
        Pre-activations, any shape.

    Returns
    -------
    numpy.ndarray
        float64 array of ``x``'s shape.
    """
    ste = check_ste(ste)
    x = np.asarray(x, dtype=np.float64)
    if ste == "identity":
        return np.ones_like(x)
    if ste == "relu":
        return (x > 0).astype(np.float64)
    return ((x > 0) & (x < 1)).astype(np.float64)


#: Below this :math:`\sin\theta` the tangent direction :math:`(I - \hat w\hat w^\top)\hat w^*` is rounding noise:
#: the filters count as parallel (:math:`\theta\in\{0, \pi\}`, where :math:`f` is not differentiable in :math:`w`).
PARALLEL_TOL = 1e-9


def _geometry(w: np.ndarray, w_star: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float, np.ndarray]:
    """Unit filters, :math:`\\cos\\theta`, :math:`\\sin\\theta` and the unit tangent towards :math:`\\hat w^*`.

    The tangent :math:`(I - \\hat w\\hat w^\\top)\\hat w^*/\\sin\\theta` is zero (and :math:`\\sin\\theta` is 0) when
    :math:`\\sin\\theta <` :data:`PARALLEL_TOL`.
    """
    w_hat = w / np.linalg.norm(w)
    w_star_hat = w_star / np.linalg.norm(w_star)
    cos = float(w_hat @ w_star_hat)
    tangent = w_star_hat - cos * w_hat
    sin = float(np.linalg.norm(tangent))
    if sin < PARALLEL_TOL:
        return w_hat, w_star_hat, math.copysign(1.0, cos), 0.0, np.zeros_like(w)
    return w_hat, w_star_hat, cos, sin, tangent / sin


def _theta(w: np.ndarray, w_star: np.ndarray) -> float:
    _, _, cos, sin, _ = _geometry(w, w_star)
    return math.atan2(sin, cos)


def angle(w: object, w_star: object) -> float:
    r""":math:`\theta = \angle(w, w^*)\in[0, \pi]`, computed as ``atan2`` (accurate near 0 and :math:`\pi`).

    Parameters
    ----------
    w : array_like
        A filter, a list or NumPy array of shape ``(n,)``, finite and non-zero.
    w_star : array_like
        Another, same shape.

    Returns
    -------
    float
        :math:`\theta` in :math:`[0, \pi]`; exactly 0 or :math:`\pi` when :math:`\sin\theta <` :data:`PARALLEL_TOL`.
    """
    w_star = _vector(w_star, "w_star")
    w = _vector(w, "w", w_star.size)
    if not (np.linalg.norm(w) > 0 and np.linalg.norm(w_star) > 0):
        raise ValueError("w and w_star must be non-zero filters")
    return _theta(w, w_star)


def _loss(v: np.ndarray, w: np.ndarray, v_star: np.ndarray, w_star: np.ndarray) -> float:
    theta = _theta(w, w_star)
    one_v, one_s = v.sum(), v_star.sum()
    student = v @ v + one_v**2
    cross = (1 - 2 * theta / math.pi) * (v @ v_star) + one_v * one_s
    teacher = v_star @ v_star + one_s**2
    return float((student - 2 * cross + teacher) / 8)


def _true_gradient(v: np.ndarray, w: np.ndarray, v_star: np.ndarray,
                   w_star: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    _, _, cos, sin, unit_tangent = _geometry(w, w_star)
    theta = math.atan2(sin, cos)
    grad_v = (v + v.sum() - (1 - 2 * theta / math.pi) * v_star - v_star.sum()) / 4
    grad_w = -(v @ v_star) / (2 * math.pi * np.linalg.norm(w)) * unit_tangent
    return grad_v, grad_w


def _coarse_w(ste: str, v: np.ndarray, w: np.ndarray, v_star: np.ndarray, w_star: np.ndarray) -> np.ndarray:
    w_hat, w_star_hat, cos, sin, _ = _geometry(w, w_star)
    vv, cross = v @ v, v @ v_star
    h = vv + v.sum() ** 2 - v.sum() * v_star.sum() + cross
    if ste == "identity":
        return (vv * w_hat - cross * w_star_hat) / _SQRT_2PI
    if ste == "relu":
        return (h * w_hat - cross * (w_hat + w_star_hat)) / (2 * _SQRT_2PI)
    a = 1 / float(np.linalg.norm(w))
    density = math.exp(-a * a / 2) / _SQRT_2PI
    cot_arg = a * cos / sin if sin > 0 else math.copysign(math.inf, cos)
    csc_arg = a / sin if sin > 0 else math.inf
    c = 1 / _SQRT_2PI - density
    q = 1 / (2 * _SQRT_2PI) - density * float(ndtr(cot_arg))
    p = (float(ndtr(csc_arg)) - 0.5) / _SQRT_2PI
    return c / 2 * h * w_hat - cross * (q * w_hat + p * w_star_hat)


def population_loss(v: object, w: object, v_star: object, w_star: object) -> float:
    """The population loss :math:`f(v, w)` in closed form (eq. ``eq-yin-loss``).

    Parameters
    ----------
    v : array_like
        Second-layer weights, a list or NumPy array of shape ``(m,)``, finite.
    w : array_like
        The filter, shape ``(n,)``, finite and non-zero.
    v_star : array_like
        The teacher's second-layer weights, shape ``(m,)``, finite.
    w_star : array_like
        The teacher's filter, shape ``(n,)``, finite and non-zero.

    Returns
    -------
    float
        :math:`f(v, w) \\ge 0`.
    """
    return _loss(*_weights(v, w, v_star, w_star))


def population_gradient(v: object, w: object, v_star: object, w_star: object) -> tuple[np.ndarray, np.ndarray]:
    r"""The true gradient :math:`(\nabla_v f, \nabla_w f)` (eq. ``eq-yin-grad``).

    :math:`\nabla_v f = \tfrac14(I + \mathbf 1\mathbf 1^\top)v - \tfrac14\big((1 - \tfrac{2\theta}\pi)I
    + \mathbf 1\mathbf 1^\top\big)v^*` and :math:`\nabla_w f = -\frac{v^\top v^*}{2\pi\lVert w\rVert\sin\theta}
    (I - \hat w\hat w^\top)\hat w^*`. At :math:`\theta\in\{0, \pi\}` (up to :data:`PARALLEL_TOL`), where :math:`f`
    is not differentiable in :math:`w`, the :math:`w` part returned is zero.

    Parameters
    ----------
    v, w, v_star, w_star : array_like
        The student's and the teacher's weights, as in :func:`population_loss`.

    Returns
    -------
    tuple of numpy.ndarray
        The gradient in :math:`v`, shape ``(m,)``, and in :math:`w`, shape ``(n,)``.
    """
    return _true_gradient(*_weights(v, w, v_star, w_star))


def expected_coarse_gradient(ste: str, v: object, w: object, v_star: object,
                             w_star: object) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`(\nabla_v f, \mathbb E_Z\,g_\mu)`: true gradient in :math:`v`, expected coarse gradient in :math:`w`.

    With :math:`h = \lVert v\rVert^2 + (\mathbf 1^\top v)^2 - (\mathbf 1^\top v)(\mathbf 1^\top v^*) + v^\top v^*`,
    :math:`a = 1/\lVert w\rVert`, :math:`\varphi, \Phi` the standard normal density and distribution function:

    - identity (``eq-coarse-id``): :math:`\frac1{\sqrt{2\pi}}\big(\lVert v\rVert^2\hat w - (v^\top v^*)\hat w^*\big)`;
    - ReLU (``eq-coarse-relu``): :math:`\frac1{2\sqrt{2\pi}}\big(h\,\hat w - (v^\top v^*)(\hat w + \hat w^*)\big)`;
    - clipped ReLU (``eq-coarse-crelu``): :math:`\frac{c}{2}h\,\hat w - (v^\top v^*)(q\,\hat w + p\,\hat w^*)` with
      :math:`c = \frac1{\sqrt{2\pi}} - \varphi(a)`, :math:`q = \frac1{2\sqrt{2\pi}} - \varphi(a)\Phi(a\cot\theta)`,
      :math:`p = \frac1{\sqrt{2\pi}}\big(\Phi(a/\sin\theta) - \tfrac12\big)`.

    Parameters
    ----------
    ste : {"identity", "relu", "clipped_relu"}
        The proxy :math:`\mu` (:data:`STES`).
    v, w, v_star, w_star : array_like
        The student's and the teacher's weights, as in :func:`population_loss`.

    Returns
    -------
    tuple of numpy.ndarray
        The gradient in :math:`v`, shape ``(m,)``, and expected coarse gradient in :math:`w`, shape ``(n,)``.
    """
    ste = check_ste(ste)
    v, w, v_star, w_star = _weights(v, w, v_star, w_star)
    return _true_gradient(v, w, v_star, w_star)[0], _coarse_w(ste, v, w, v_star, w_star)


def draw_inputs(m: int, n: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    """``batch`` inputs :math:`Z` with i.i.d. standard normal entries, shape ``(batch, m, n)``.

    Parameters
    ----------
    m : int
        Rows of :math:`Z` (the number of hidden units), >= 1.
    n : int
        Columns (the filter length), >= 1.
    batch : int
        Number of inputs, in ``[1, max(1, 10**7 // (m * n))]``.
    rng : numpy.random.Generator
        The source of the draws.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(batch, m, n)``.
    """
    m = check_count(m, "m")
    n = check_count(n, "n")
    batch = check_count(batch, "batch", maximum=10_000_000 // (m * n) or 1)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    return rng.standard_normal((batch, m, n))


def coarse_gradient_samples(ste: str, v: object, w: object, v_star: object, w_star: object,
                            z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""One :math:`v`-gradient and one coarse :math:`w`-gradient (eq. ``eq-coarse``) per input.

    Returns arrays of shapes ``(batch, m)`` and ``(batch, n)``.

    ``ste = "exact"`` is refused: :math:`\sigma' = 0` makes the sample gradient in :math:`w` vanish; use
    :func:`population_gradient`.

    Parameters
    ----------
    ste, v, w, v_star, w_star
        As in :func:`expected_coarse_gradient`.
    z : array_like
        Inputs of shape ``(batch, m, n)``, finite (:func:`draw_inputs`).

    Returns
    -------
    tuple of numpy.ndarray
        The :math:`v`-gradients, shape ``(batch, m)``, and the coarse :math:`w`-gradients, shape ``(batch, n)``.
    """
    ste = check_ste(ste)
    v, w, v_star, w_star = _weights(v, w, v_star, w_star)
    z = check_array(z, "z", shape=(None, v.size, w.size))
    return _sample_gradients(ste, v, w, v_star, w_star, z)


def _sample_gradients(ste: str, v: np.ndarray, w: np.ndarray, v_star: np.ndarray, w_star: np.ndarray,
                      z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pre = z @ w
    hidden = binarized_relu(pre)
    residual = hidden @ v - binarized_relu(z @ w_star) @ v_star
    grad_v = hidden * residual[:, None]
    grad_w = np.einsum("bmn,bm->bn", z, proxy_derivative(ste, pre) * v) * residual[:, None]
    return grad_v, grad_w


def spurious_minimum(v_star: object) -> np.ndarray:
    r"""Second-layer weights of the critical point at :math:`\theta = \pi`.

    :math:`v = -v^* + \frac{2\,\mathbf 1^\top v^*}{m+1}\mathbf 1`.

    It solves :math:`\nabla_v f = 0` with :math:`\theta = \pi`; it is a local minimum when :math:`v^\top v^* < 0`,
    i.e. :math:`(\mathbf 1^\top v^*)^2 < \tfrac{m+1}{2}\lVert v^*\rVert^2` (eq. ``eq-spurious``).

    Parameters
    ----------
    v_star : array_like
        The teacher's second-layer weights, a list or NumPy array of shape ``(m,)``, finite.

    Returns
    -------
    numpy.ndarray
        The weights :math:`v`, shape ``(m,)``.
    """
    v_star = _vector(v_star, "v_star")
    return -v_star + 2 * v_star.sum() / (v_star.size + 1)


@dataclass(frozen=True)
class Trajectory:
    """Iterates of :func:`train`: ``v`` ``(steps+1, m)``, ``w`` ``(steps+1, n)``, ``loss`` and ``angle`` ``(steps+1,)``,
    ``cosine`` ``(steps+1,)``: cosine between the expected step direction and the true gradient, in :math:`(v, w)`.

    Parameters
    ----------
    ste : str
        The proxy of :data:`STES`, or ``"exact"``.
    v : numpy.ndarray
        Second-layer weights, shape ``(steps + 1, m)``, the start first.
    w : numpy.ndarray
        Filters, shape ``(steps + 1, n)``.
    loss : numpy.ndarray
        :math:`f` at each iterate, shape ``(steps + 1,)``.
    angle : numpy.ndarray
        :math:`\\theta` at each iterate, shape ``(steps + 1,)``.
    cosine : numpy.ndarray
        The cosine of :func:`gradient_cosine` at each iterate, shape ``(steps + 1,)``.
    """

    ste: str
    v: np.ndarray
    w: np.ndarray
    loss: np.ndarray
    angle: np.ndarray
    cosine: np.ndarray


def _cosine(ste: str, v: np.ndarray, w: np.ndarray, v_star: np.ndarray, w_star: np.ndarray) -> float:
    grad_v, grad_w = _true_gradient(v, w, v_star, w_star)
    true = np.concatenate([grad_v, grad_w])
    step = true if ste == EXACT else np.concatenate([grad_v, _coarse_w(ste, v, w, v_star, w_star)])
    norms = np.linalg.norm(true) * np.linalg.norm(step)
    return float(true @ step / norms) if norms > 0 else math.nan


def gradient_cosine(ste: str, v: object, w: object, v_star: object, w_star: object) -> float:
    r"""Cosine between :math:`(\nabla_v f, \mathbb E g_\mu)` and :math:`(\nabla_v f, \nabla_w f)`.

    ``ste = "exact"`` gives 1; the result is ``nan`` where one of the two vectors is 0.

    Parameters
    ----------
    ste : {"identity", "relu", "clipped_relu", "exact"}
        The proxy, or ``"exact"``.
    v, w, v_star, w_star : array_like
        The student's and the teacher's weights, as in :func:`population_loss`.

    Returns
    -------
    float
        The cosine, in [-1, 1], or ``nan``.
    """
    ste = check_ste(ste, allow_exact=True)
    return _cosine(ste, *_weights(v, w, v_star, w_star))


def train(ste: str, v0: object, w0: object, v_star: object, w_star: object, lr: float, steps: int,
          batch: int | None = None, seed: int = 0) -> Trajectory:
    r"""(Coarse) gradient descent (eq. ``eq-cgd``).

    Steps :math:`v \leftarrow v - \eta\,\nabla_v`, :math:`w \leftarrow w - \eta\,g_\mu`.

    ``ste`` is a proxy of :data:`STES` or ``"exact"`` (the population gradient). With ``batch=None`` the steps use
    the expected gradients (closed forms); with an integer, the mean of ``batch`` sampled gradients
    (:func:`coarse_gradient_samples`, inputs from ``numpy.random.default_rng(seed)``). ``w`` is not normalised.

    Parameters
    ----------
    ste : {"identity", "relu", "clipped_relu", "exact"}
        The proxy, or ``"exact"``.
    v0 : array_like
        Initial second-layer weights, a list or NumPy array of shape ``(m,)``, finite.
    w0 : array_like
        Initial filter, shape ``(n,)``, finite and non-zero.
    v_star : array_like
        The teacher's second-layer weights, shape ``(m,)``.
    w_star : array_like
        The teacher's filter, shape ``(n,)``, non-zero.
    lr : float
        The step size :math:`\eta > 0`, finite.
    steps : int
        Number of steps, in [1, 100000].
    batch : int, optional
        Inputs per sampled step, in [1, 100000]; ``None`` (the only choice for ``"exact"``) uses the expected
        gradients.
    seed : int, default 0
        Seed of the inputs, in ``[0, 2**32 - 1]``.

    Returns
    -------
    Trajectory
        The iterates, losses, angles and cosines. Raises ``ValueError`` if an iterate overflows or the filter reaches 0.
    """
    ste = check_ste(ste, allow_exact=True)
    v, w, v_star, w_star = _weights(v0, w0, v_star, w_star)
    lr = check_positive(lr, "lr")
    steps = check_count(steps, "steps", maximum=100_000)
    if batch is not None:
        if ste == EXACT:
            raise ValueError("batch must be None for ste='exact': the sampled gradient in w is zero")
        batch = check_count(batch, "batch", maximum=100_000)
    seed = check_count(seed, "seed", minimum=0, maximum=2**32 - 1)
    rng = np.random.default_rng(seed)
    vs, ws = [v], [w]
    for t in range(steps):
        if batch is not None:
            z = rng.standard_normal((batch, v.size, w.size))
            grad_v, grad_w = (g.mean(0) for g in _sample_gradients(ste, v, w, v_star, w_star, z))
        elif ste == EXACT:
            grad_v, grad_w = _true_gradient(v, w, v_star, w_star)
        else:
            grad_v, grad_w = _true_gradient(v, w, v_star, w_star)[0], _coarse_w(ste, v, w, v_star, w_star)
        v, w = v - lr * grad_v, w - lr * grad_w
        if not (np.all(np.isfinite(v)) and np.all(np.isfinite(w))):
            raise ValueError(f"the iterate overflowed at step {t + 1}: lr = {lr:g} is too large")
        if not np.linalg.norm(w) > 0:
            raise ValueError(f"the filter w reached 0 at step {t + 1}; try a smaller lr")
        vs.append(v)
        ws.append(w)
    pairs = list(zip(vs, ws, strict=True))
    loss = np.array([_loss(a, b, v_star, w_star) for a, b in pairs])
    angles = np.array([_theta(b, w_star) for b in ws])
    cosine = np.array([_cosine(ste, a, b, v_star, w_star) for a, b in pairs])
    return Trajectory(ste, np.array(vs), np.array(ws), loss, angles, cosine)
