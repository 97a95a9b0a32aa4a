r"""Wasserstein gradient flows of the potential energy :math:`F(q) = \mathbb{E}_q[f]` (chapter 3), on particles
and on a 1-D grid.

Shape rule. A cloud of :math:`n` particles in :math:`\mathbb{R}^d` is an array of shape ``(n, d)``; a 1-D
array of length ``n`` is read as ``n`` particles in dimension ``d = 1``. A trajectory is always returned with
shape ``(n_steps + 1, n, d)`` (row ``k`` is the cloud after ``k`` steps, row 0 the initial cloud). A potential
``f`` maps a cloud ``(n, d)`` to its values ``(n,)``; its gradient ``grad_f`` maps ``(n, d)`` to ``(n, d)``.

Every flow is vectorised over particles; only the time steps are a Python loop.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import integrate, stats

from .validation import check_array, check_count, check_positive

Field = Callable[[np.ndarray], np.ndarray]

#: Largest number of particles times dimensions times stored steps a trajectory may hold (float64: 400 MB).
MAX_TRAJECTORY_ELEMENTS = 50_000_000


@dataclass(frozen=True)
class Potential:
    r"""A potential :math:`f` with its gradient and a LaTeX formula, for particle clouds of shape ``(n, d)``.

    Parameters
    ----------
    name : str
        A short name, for titles and menus.
    latex : str
        The formula of :math:`f`, LaTeX without dollars.
    f : callable
        The potential, mapping a cloud ``(n, d)`` to its values ``(n,)``.
    grad : callable
        Its gradient, mapping ``(n, d)`` to ``(n, d)``.
    dim : int, default 1
        The dimension :math:`d` of the particles.
    """

    name: str
    latex: str
    f: Field
    grad: Field
    dim: int = 1


def quadratic(a: float = 1.0) -> Potential:
    r""":math:`f(z) = \tfrac a2 |z|^2`: the flow is the contraction :math:`z_t = e^{-at} z_0`.

    Parameters
    ----------
    a : float, default 1.0
        The curvature :math:`a > 0`, finite.

    Returns
    -------
    Potential
        :math:`f`, :math:`\nabla f(z) = a z`, in any dimension.
    """
    a = check_positive(a, "a")
    return Potential("quadratic", rf"\tfrac{{{a:g}}}{{2}} z^2", lambda z: 0.5 * a * (z**2).sum(-1),
                     lambda z: a * z)


def double_well(tilt: float = 0.0) -> Potential:
    r"""1-D double well :math:`f(z) = (z^2 - 1)^2 + c z`, wells near :math:`\pm 1` (tilted by :math:`c`).

    Parameters
    ----------
    tilt : float, default 0.0
        The tilt :math:`c`, finite; :math:`c > 0` deepens the left well.

    Returns
    -------
    Potential
        :math:`f` and :math:`f'(z) = 4z(z^2 - 1) + c`, in :math:`d = 1`.
    """
    c = float(tilt)
    if not np.isfinite(c):
        raise ValueError(f"tilt must be a finite number; got {tilt}")
    latex = "(z^2 - 1)^2" + (f" {'+' if c > 0 else '-'} {abs(c):g} z" if c else "")
    name = "tilted double well" if c else "double well"
    return Potential(name, latex, lambda z: ((z**2 - 1) ** 2 + c * z).sum(-1),
                     lambda z: 4 * z * (z**2 - 1) + c)


def double_well_2d() -> Potential:
    r"""2-D double well :math:`f(x, y) = (x^2 - 1)^2 + y^2`, minima at :math:`(\pm 1, 0)`, saddle at the origin."""

    def f(z: np.ndarray) -> np.ndarray:
        return (z[..., 0] ** 2 - 1) ** 2 + z[..., 1] ** 2

    def grad(z: np.ndarray) -> np.ndarray:
        return np.stack([4 * z[..., 0] * (z[..., 0] ** 2 - 1), 2 * z[..., 1]], axis=-1)

    return Potential("2-D double well", "(x^2 - 1)^2 + y^2", f, grad, dim=2)


def as_particles(z: object, name: str = "z0") -> np.ndarray:
    """``z`` as a float64 cloud of shape ``(n, d)`` (a 1-D array is ``n`` particles in ``d = 1``).

    Parameters
    ----------
    z : array_like
        Particles, shape ``(n,)`` or ``(n, d)``, finite, non-empty.
    name : str, default "z0"
        Its name, for error messages.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n, d)``.
    """
    array = check_array(z, name, ndim=(1, 2))
    return array[:, None] if array.ndim == 1 else array


def _gradient(grad_f: Field, z: np.ndarray) -> np.ndarray:
    """``grad_f(z)`` checked: a finite float array of the shape of ``z``."""
    out = np.asarray(grad_f(z), dtype=np.float64)
    if out.shape != z.shape:
        raise ValueError(f"grad_f must map particles of shape {z.shape} to the same shape; got shape {out.shape}")
    if not np.isfinite(out).all():
        raise ValueError("grad_f returned NaN or infinite values (the particles may have diverged: "
                         "try a smaller step)")
    return out


def _check_field(grad_f: object) -> None:
    if not callable(grad_f):
        raise TypeError(f"grad_f must be a callable mapping particles (n, d) to gradients (n, d); "
                        f"got {type(grad_f).__name__}")


def _setup(grad_f: object, z0: object, step: object, n_steps: object) -> tuple[np.ndarray, float, int]:
    _check_field(grad_f)
    z = as_particles(z0)
    step = check_positive(step, "step")
    n_steps = check_count(n_steps, "n_steps", minimum=1, maximum=MAX_TRAJECTORY_ELEMENTS)
    if (n_steps + 1) * z.size > MAX_TRAJECTORY_ELEMENTS:
        raise ValueError(f"n_steps * particles * dimensions must stay below {MAX_TRAJECTORY_ELEMENTS}; "
                         f"got ({n_steps} + 1) * {z.size}")
    return z, step, n_steps


def _trajectory(z: np.ndarray, n_steps: int, move: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The clouds ``z``, ``move(z)``, ``move(move(z))``, ...: shape ``(n_steps + 1, *z.shape)``."""
    path = np.empty((n_steps + 1, *z.shape))
    path[0] = z
    for k in range(n_steps):
        path[k + 1] = move(path[k])
    return path


def euler_flow(grad_f: Field, z0: object, step: float, n_steps: int) -> np.ndarray:
    r"""Forward Euler on every particle, :math:`z_{k+1} = z_k - \epsilon \nabla f(z_k)` (eq. ``eq-wgf-euler-step``).

    The pushed-forward cloud :math:`(\mathrm{id} - \epsilon\nabla f)_\# q_k` is the explicit step of the Wasserstein
    gradient flow of :math:`F(q) = \mathbb{E}_q[f]`.

    Parameters
    ----------
    grad_f : callable
        :math:`\nabla f`, mapping a cloud ``(n, d)`` to ``(n, d)``; it must stay finite along the trajectory.
    z0 : array_like
        The initial cloud, shape ``(n,)`` or ``(n, d)`` (:func:`as_particles`).
    step : float
        The step :math:`\epsilon > 0`, finite.
    n_steps : int
        Number of steps, >= 1, with ``(n_steps + 1) * n * d`` at most :data:`MAX_TRAJECTORY_ELEMENTS`.

    Returns
    -------
    numpy.ndarray
        The trajectory, shape ``(n_steps + 1, n, d)``.
    """
    z, step, n_steps = _setup(grad_f, z0, step, n_steps)
    return _trajectory(z, n_steps, lambda cloud: cloud - step * _gradient(grad_f, cloud))


def langevin_flow(grad_f: Field, z0: object, step: float, n_steps: int, temperature: float = 1.0,
                  seed: int = 0) -> np.ndarray:
    r"""Euler-Maruyama for the Langevin SDE :math:`dz = -\nabla f(z)\,dt + \sqrt{2T}\,dW` (eq. ``eq-wgf-langevin``):

    :math:`z_{k+1} = z_k - \epsilon\nabla f(z_k) + \sqrt{2T\epsilon}\,\xi_k`, :math:`\xi_k \sim N(0, I)` drawn from
    ``numpy.random.default_rng(seed)``. The law of :math:`z_t` solves the Fokker-Planck equation, whose
    stationary density is :math:`e^{-f/T}/Z`.

    Parameters
    ----------
    grad_f, z0, step, n_steps
        As in :func:`euler_flow`.
    temperature : float, default 1.0
        :math:`T > 0`, finite.
    seed : int, default 0
        Seed of the noise, in ``[0, 2**63 - 1]``.

    Returns
    -------
    numpy.ndarray
        The trajectory, shape ``(n_steps + 1, n, d)``.
    """
    z, step, n_steps = _setup(grad_f, z0, step, n_steps)
    temperature = check_positive(temperature, "temperature")
    seed = check_count(seed, "seed", minimum=0, maximum=2**63 - 1)
    rng = np.random.default_rng(seed)
    noise = np.sqrt(2 * temperature * step)
    return _trajectory(z, n_steps,
                       lambda cloud: cloud - step * _gradient(grad_f, cloud) + noise * rng.standard_normal(z.shape))


def prox_step(grad_f: Field, z: object, step: float, tol: float = 1e-12, max_iter: int = 100) -> np.ndarray:
    r"""One JKO step of :math:`F(q) = \mathbb{E}_q[f]` from the empirical measure of ``z``: every particle moves to
    :math:`\mathrm{prox}_{\epsilon f}(z) = \arg\min_y f(y) + |y - z|^2/(2\epsilon)` (eq. ``eq-wgf-jko-prox``).

    Solves the optimality condition :math:`y - z + \epsilon\nabla f(y) = 0` by Newton's method (Jacobian of
    ``grad_f`` by central differences, batched over particles) from the Euler point, halving a particle's
    Newton step while its residual does not decrease. Raises ``RuntimeError`` unless the residual falls below
    ``tol`` (relative to the cloud's scale) and the prox objective is strictly convex at the solution
    (:math:`I + \epsilon\nabla^2 f(y) \succ 0`, a local minimum; it is the global one when
    :math:`\epsilon\,\max(0, -\lambda_{\min}(\nabla^2 f)) < 1`).

    Parameters
    ----------
    grad_f : callable
        As in :func:`euler_flow`.
    z : array_like
        The cloud to move, shape ``(n,)`` or ``(n, d)``.
    step : float
        The step :math:`\epsilon > 0`, finite.
    tol : float, default 1e-12
        Tolerance of the largest residual relative to ``1 + max |z|``, > 0.
    max_iter : int, default 100
        Newton steps at the most, in [1, 10000].

    Returns
    -------
    numpy.ndarray
        The moved cloud, shape ``(n, d)``.
    """
    _check_field(grad_f)
    x = as_particles(z, "z")
    step = check_positive(step, "step")
    tol = check_positive(tol, "tol")
    max_iter = check_count(max_iter, "max_iter", maximum=10_000)
    n, d = x.shape
    scale = 1.0 + np.abs(x).max()
    eye = np.eye(d)

    def residual(y: np.ndarray) -> np.ndarray:
        return y - x + step * _gradient(grad_f, y)

    def jacobian(y: np.ndarray) -> np.ndarray:
        delta = 1e-6 * (1.0 + np.abs(y))
        columns = [(_gradient(grad_f, y + delta[:, [k]] * eye[k]) - _gradient(grad_f, y - delta[:, [k]] * eye[k]))
                   / (2 * delta[:, [k]]) for k in range(d)]
        return eye + step * np.stack(columns, axis=-1)

    y = x - step * _gradient(grad_f, x)
    r = residual(y)
    for _ in range(max_iter):
        norms = np.linalg.norm(r, axis=1)
        if norms.max() <= tol * scale:
            break
        move = np.linalg.solve(jacobian(y), -r[..., None])[..., 0]
        length = np.ones(n)
        for _ in range(30):
            candidate = y + length[:, None] * move
            r_new = residual(candidate)
            worse = np.linalg.norm(r_new, axis=1) >= norms
            if not (worse & (norms > tol * scale)).any():
                break
            length = np.where(worse, length / 2, length)
        y, r = candidate, r_new
    else:
        largest = np.linalg.norm(r, axis=1).max()
        raise RuntimeError(f"prox_step did not converge in {max_iter} Newton steps "
                           f"(largest residual {largest:.3g}); try a smaller step")
    if (np.linalg.eigvalsh(0.5 * (jacobian(y) + jacobian(y).transpose(0, 2, 1))) <= 0).any():
        raise RuntimeError("prox_step found a stationary point that is not a minimum of f(y) + |y - z|^2/(2 step); "
                           "try a smaller step")
    return y


def jko_flow(grad_f: Field, z0: object, step: float, n_steps: int) -> np.ndarray:
    r"""``n_steps`` JKO (proximal, implicit Euler) steps of :math:`F(q) = \mathbb{E}_q[f]` on particles
    (:func:`prox_step`, at its default tolerance).

    Parameters
    ----------
    grad_f, z0, step, n_steps
        As in :func:`euler_flow`.

    Returns
    -------
    numpy.ndarray
        The trajectory, shape ``(n_steps + 1, n, d)``.
    """
    z, step, n_steps = _setup(grad_f, z0, step, n_steps)
    return _trajectory(z, n_steps, lambda cloud: prox_step(grad_f, cloud, step))


def functional_values(f: Field, trajectory: object, temperature: float = 0.0) -> np.ndarray:
    r"""The functional along a trajectory ``(steps, n, d)`` (or one cloud ``(n, d)``), one value per step.

    With ``temperature = 0``: the potential energy :math:`F(q) = \mathbb{E}_q[f]`, the mean of ``f`` over the
    particles (eq. ``eq-wgf-potential-energy``). With :math:`T > 0` (clouds in ``d = 1`` only): the free energy
    :math:`F(q) + T\,\mathbb{E}_q[\log q] = F(q) - T\,H(q)` (eq. ``eq-wgf-free-energy``), the differential entropy
    :math:`H` estimated from the particles by ``scipy.stats.differential_entropy`` (spacing estimator).

    Parameters
    ----------
    f : callable
        The potential, mapping a cloud ``(n, d)`` to finite values ``(n,)``.
    trajectory : array_like
        Clouds, shape ``(steps, n, d)``, or one cloud ``(n, d)``; finite.
    temperature : float, default 0.0
        :math:`T \ge 0`; with :math:`T > 0` the clouds must be 1-D with at least 2 particles.

    Returns
    -------
    numpy.ndarray
        The functional at each step, shape ``(steps,)`` (``(1,)`` for one cloud).
    """
    if not callable(f):
        raise TypeError(f"f must be a callable mapping particles (n, d) to values (n,); got {type(f).__name__}")
    array = check_array(trajectory, "trajectory", ndim=(2, 3))
    if array.ndim == 2:
        array = array[None]
    values = []
    for cloud in array:
        out = np.asarray(f(cloud), dtype=np.float64)
        if out.shape != (cloud.shape[0],):
            raise ValueError(f"f must map particles of shape {cloud.shape} to shape ({cloud.shape[0]},); "
                             f"got shape {out.shape}")
        if not np.isfinite(out).all():
            raise ValueError("f returned NaN or infinite values on the trajectory")
        values.append(out.mean())
    energy = np.array(values)
    if temperature == 0:
        return energy
    temperature = check_positive(temperature, "temperature")
    if array.shape[2] != 1 or array.shape[1] < 2:
        raise ValueError(f"the entropy term needs clouds of at least 2 particles in d = 1; got shape {array.shape[1:]}")
    entropy = stats.differential_entropy(array[..., 0], axis=1)
    return energy - temperature * entropy


def partition_function(f: Field, temperature: float = 1.0) -> float:
    r""":math:`Z = \int_{\mathbb{R}} e^{-f(z)/T}\,dz` for a 1-D potential, by adaptive quadrature
    (``scipy.integrate.quad``, relative tolerance :math:`10^{-11}`).

    Parameters
    ----------
    f : callable
        The potential, mapping particles ``(n, 1)`` to values ``(n,)``; :math:`e^{-f/T}` must be integrable.
    temperature : float, default 1.0
        :math:`T > 0`, finite.

    Returns
    -------
    float
        :math:`Z > 0`. Raises ``ValueError`` when the quadrature fails or the integral is not finite and positive.
    """
    if not callable(f):
        raise TypeError(f"f must be a callable mapping particles (n, 1) to values (n,); got {type(f).__name__}")
    temperature = check_positive(temperature, "temperature")
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("error", integrate.IntegrationWarning)
        try:
            z, _ = integrate.quad(lambda x: float(np.exp(-f(np.array([[x]]))[0] / temperature)), -np.inf, np.inf,
                                  epsabs=0, epsrel=1e-11, limit=200)
        except integrate.IntegrationWarning as warning:
            raise ValueError(f"exp(-f / temperature) must be integrable; quadrature failed: {warning}") from None
    if not (np.isfinite(z) and z > 0):
        raise ValueError(f"exp(-f / temperature) must be integrable with a positive integral; got {z}")
    return z


def gibbs_density(f: Field, grid: object, temperature: float = 1.0) -> np.ndarray:
    r"""The stationary density :math:`e^{-f/T}/Z` of the Fokker-Planck equation (eq. ``eq-wgf-gibbs``) on ``grid``.

    Parameters
    ----------
    f, temperature
        As in :func:`partition_function`.
    grid : array_like
        Points of the line, shape ``(m,)`` or ``(m, 1)``, finite.

    Returns
    -------
    numpy.ndarray
        The density at the points, shape ``(m,)``.
    """
    points = as_particles(grid, "grid")
    if points.shape[1] != 1:
        raise ValueError(f"grid must be 1-D; got shape {np.shape(grid)}")
    z = partition_function(f, temperature)
    return np.exp(-np.asarray(f(points), dtype=np.float64) / temperature) / z


def _check_grid_problem(mass: object, grid: object, potential: object, step: object, temperature: object,
                        reg: object, tol: object) -> tuple:
    """The arguments of the grid JKO solvers, validated: masses, grid, potential, step, temperature, reg, tol."""
    scalars = tuple(check_positive(v, name) for v, name in
                    ((step, "step"), (temperature, "temperature"), (reg, "reg"), (tol, "tol")))
    p = check_array(mass, "mass", minimum=0)
    x = as_particles(grid, "grid")[:, 0]
    f = check_array(potential, "potential")
    if p.shape != x.shape or f.shape != x.shape:
        raise ValueError(f"mass, grid and potential must have the same shape (m,); got {p.shape}, {x.shape}, {f.shape}")
    if not abs(p.sum() - 1) < 1e-9:
        raise ValueError(f"mass must sum to 1; got {p.sum():.10g}")
    return (p, x, f, *scalars)


#: Largest move of a log-potential between two rebuilds of the cached exponentials in ``_entropic_jko``:
#: the cached sums then stay within ``[e^-50, m e^50]``, far from float64 under- and overflow.
LOG_ABSORB = 50.0


class _LogKernelProduct:
    r""":math:`\log(K e^{g})` for :math:`K = e^{-M}`, exactly ``logsumexp(g - M, axis=1)``, with the row maxima and
    the exponentials cached at a reference :math:`g_0` and rebuilt only when :math:`g` leaves
    :math:`g_0 \pm` ``LOG_ABSORB``: between rebuilds one step costs a matrix-vector product, as in the scaling
    (non-log) form, yet no scaling is ever formed."""

    def __init__(self, neg_log_kernel: np.ndarray) -> None:
        self.cost = neg_log_kernel
        self.reference: np.ndarray | None = None

    def _rebuild(self, g: np.ndarray) -> None:
        # Entries of g at -inf (no mass) carry no weight; the reference keeps them at 0 so g - reference stays -inf.
        self.reference = np.where(np.isfinite(g), g, 0.0)
        exponent = np.where(np.isfinite(g), g, -np.inf)[None, :] - self.cost
        self.row_max = exponent.max(axis=1)
        self.cached = np.exp(exponent - self.row_max[:, None])

    def __call__(self, g: np.ndarray) -> np.ndarray:
        finite = np.isfinite(g)
        if self.reference is None or np.abs(g[finite] - self.reference[finite]).max() > LOG_ABSORB:
            self._rebuild(g)
        shift = np.where(finite, g - self.reference, -np.inf)
        # Each row of the cache holds a 1 at its maximum, so the sum is >= e^-LOG_ABSORB there: its log is finite.
        return self.row_max + np.log(self.cached @ np.exp(shift))


def _entropic_jko(p: np.ndarray, cost: np.ndarray, f: np.ndarray, temperature: float, reg: float,
                  log_b: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Alternating scalings of :func:`entropic_jko_step` in the log domain, from :math:`\log b` = ``log_b``;
    ``cost`` is :math:`|x_i - x_j|^2/(2\epsilon\kappa)` (:math:`K = e^{-\text{cost}}`). Returns the new masses and
    the last :math:`\log b`.

    The scalings themselves are never formed: they scale like powers :math:`T/\kappa` of the masses (and
    :math:`e^{-f/(\kappa + T)}`), which leave float64 for small masses or small :math:`\kappa/T`."""
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    log_gibbs = -(f - f.min()) / (reg + temperature)
    power = temperature / (reg + temperature)
    log_k_b, log_kt_a = _LogKernelProduct(cost), _LogKernelProduct(cost.T)
    log_kb = log_k_b(log_b)
    error = np.inf
    for _ in range(max_iter):
        log_a = log_p - log_kb
        log_kta = log_kt_a(log_a)
        log_b = log_gibbs - power * log_kta
        log_kb = log_k_b(log_b)
        with np.errstate(over="ignore"):
            error = np.abs(np.exp(log_a + log_kb) - p).sum()
        if error < tol:
            break
    else:
        raise RuntimeError(f"entropic_jko_step did not converge in {max_iter} iterations (first-marginal error "
                           f"{error:.3g}, tol {tol:g}): each iteration contracts the error by about "
                           f"temperature / (temperature + reg) = {power:.4g}, so small reg / temperature needs "
                           "many iterations; raise max_iter or reg")
    log_q = log_b + log_kta
    q = np.exp(log_q - log_q.max())
    return q / q.sum(), log_b


def _scaled_cost(x: np.ndarray, step: float, reg: float) -> np.ndarray:
    """``-log K``: the squared distances of the grid over ``2 step reg``."""
    return (x[:, None] - x[None, :]) ** 2 / (2 * step * reg)


def entropic_jko_step(mass: object, grid: object, potential: object, step: float, temperature: float,
                      reg: float, tol: float = 1e-10, max_iter: int = 100_000) -> np.ndarray:
    r"""One entropic JKO step on a 1-D grid (Peyre 2015; eq. ``eq-wgf-entropic-jko``).

    Minimises over couplings :math:`\gamma \ge 0` with first marginal ``mass`` (:math:`p`, summing to 1)

    .. math:: \frac{1}{2\epsilon}\sum_{ij} |x_i - x_j|^2 \gamma_{ij} + \kappa \sum_{ij} \gamma_{ij}(\log\gamma_{ij} - 1)
              + \sum_j f_j q_j + T \sum_j q_j \log q_j, \qquad q = \gamma^\top \mathbf 1,

    and returns the new masses :math:`q` (``potential`` holds :math:`f_j = f(x_j)`). The optimum is
    :math:`\gamma = \mathrm{diag}(a) K \mathrm{diag}(b)` with :math:`K_{ij} = e^{-|x_i - x_j|^2/(2\epsilon\kappa)}`;
    the scalings solve, alternately, :math:`a = p / (K b)` and
    :math:`b = \big(e^{-f} (K^\top a)^{-T}\big)^{1/(\kappa + T)}`, until the first marginal is within
    ``tol`` (in :math:`\ell^1`). The iterations run on :math:`\log a, \log b` (log-sum-exp products with
    :math:`K`), so tiny masses and large potentials do not overflow. Each contracts the error by about
    :math:`T/(T + \kappa)`.

    Parameters
    ----------
    mass : array_like
        The masses :math:`p` on the grid, shape ``(m,)``, >= 0, summing to 1 (within 1e-9).
    grid : array_like
        The points :math:`x`, shape ``(m,)``, finite.
    potential : array_like
        :math:`f_j = f(x_j)`, shape ``(m,)``, finite.
    step : float
        The step :math:`\epsilon > 0`.
    temperature : float
        :math:`T > 0`, the weight of the entropy of :math:`q`.
    reg : float
        The entropic regularisation :math:`\kappa > 0` of the coupling.
    tol : float, default 1e-10
        Tolerance on the first marginal, in :math:`\ell^1`, > 0.
    max_iter : int, default 100000
        Iterations at the most, in [1, 10000000].

    Returns
    -------
    numpy.ndarray
        The new masses :math:`q`, shape ``(m,)``, summing to 1. Raises ``RuntimeError`` after ``max_iter``
        iterations without convergence.
    """
    p, x, f, step, temperature, reg, tol = _check_grid_problem(mass, grid, potential, step, temperature, reg, tol)
    max_iter = check_count(max_iter, "max_iter", maximum=10_000_000)
    return _entropic_jko(p, _scaled_cost(x, step, reg), f, temperature, reg, np.zeros_like(p), tol,
                         max_iter)[0]


def entropic_jko_flow(mass: object, grid: object, potential: object, step: float, n_steps: int,
                      temperature: float, reg: float, tol: float = 1e-10) -> np.ndarray:
    """``n_steps`` :func:`entropic_jko_step` from ``mass``, each warm-started from the previous scaling ``b``
    (at most 100000 iterations per step).

    Parameters
    ----------
    mass, grid, potential, step, temperature, reg, tol
        As in :func:`entropic_jko_step`.
    n_steps : int
        Number of steps, in [1, 100000].

    Returns
    -------
    numpy.ndarray
        The masses after each step, row 0 the initial ``mass``, shape ``(n_steps + 1, m)``.
    """
    p, x, f, step, temperature, reg, tol = _check_grid_problem(mass, grid, potential, step, temperature, reg, tol)
    n_steps = check_count(n_steps, "n_steps", maximum=100_000)
    cost = _scaled_cost(x, step, reg)
    masses, log_b = [p], np.zeros_like(p)
    for _ in range(n_steps):
        q, log_b = _entropic_jko(masses[-1], cost, f, temperature, reg, log_b, tol, 100_000)
        masses.append(q)
    return np.array(masses)
