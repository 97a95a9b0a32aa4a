r"""Projected gradient attacks with a growing radius (chapter ``chap-wasserstein-adversarial``).

The protocol of Wong, Schmidt and Kolter (2019): starting from the clean images, repeat ``steps_per_radius``
times an ascent step on the cross-entropy loss (the sign of the gradient, times ``step_size``), a projection onto
the ball of the current radius around the clean image, and a clip to the pixel range :math:`[0, 1]`; then move to
the next, larger radius, keeping the iterate. An image is *fooled at radius* :math:`r` when its prediction first
becomes wrong while the radius is :math:`r`; it is not attacked further. The share of images not fooled at radius
:math:`\le r` is the accuracy under attack at :math:`r`: an upper bound on the accuracy against any attack in that
ball up to two slacks, the projection's tolerance ``tol`` (the transport cost may exceed :math:`r` by that
fraction) and the final clip to :math:`[0, 1]`, which can remove a little ink.

Two balls:

- ``"linf"``: :math:`\{x' : \lVert x' - x\rVert_\infty \le r\}`, projection by clipping;
- ``"wasserstein"``: the image :math:`X` is divided by its total mass :math:`m = \sum_i X_i` to give the
  distribution :math:`x = X/m`; the iterate :math:`X'` is divided by the *same* :math:`m`, projected by
  :func:`pwgf_viz.wasserstein_ball.project_wasserstein_ball` onto :math:`\{z : \text{cost}(x \to z) \le r\}`,
  and multiplied by :math:`m` again. The projection keeps the mass :math:`m` and makes every pixel
  :math:`\ge 0`; the clip at 1 that follows can only remove mass (the chapter measures how much).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .validation import check_array, check_count, check_positive
from .wasserstein_ball import _check_cost, project_wasserstein_ball

BALLS = ("linf", "wasserstein")


@dataclass(frozen=True)
class AttackResult:
    """Result of :func:`radius_attack`; ``fooled_at[i]`` is ``inf`` where image ``i`` resisted every radius.

    Parameters
    ----------
    fooled_at : numpy.ndarray
        Shape ``(batch,)``; see the attribute below.
    adversarial : numpy.ndarray
        Shape ``(batch, n)``.
    trace : numpy.ndarray
        Shape ``(steps, n)``, empty (``(0, n)``) without ``track``.
    converged : bool
        Whether every projection converged.
    """

    fooled_at: np.ndarray
    """Radius at which each image was first misclassified (0 if the clean image is, ``inf`` if never)."""
    adversarial: np.ndarray
    """The iterate at that moment (the last iterate for images never fooled), shape of the images."""
    trace: np.ndarray
    """The iterates of image ``track`` after each of its steps until it is fooled, shape ``(steps, n)``."""
    converged: bool
    """Whether every Wasserstein projection reached its tolerance (always True for ``"linf"``)."""

    def accuracy(self, radius: float) -> float:
        """Share of images not fooled at any radius <= ``radius``.

        Parameters
        ----------
        radius : float
            The radius (any real number; below the first radius only the clean misclassifications count).

        Returns
        -------
        float
            The accuracy under attack, in [0, 1].
        """
        return float(np.mean(self.fooled_at > radius))


def _check_radii(radii: object) -> np.ndarray:
    radii = check_array(radii, "radii")
    if radii.ndim != 1 or (radii <= 0).any() or (np.diff(radii) <= 0).any():
        raise ValueError("radii must be a 1-D increasing sequence of numbers > 0")
    return radii


def radius_attack(model: torch.nn.Module, images: object, labels: object, *, ball: str, radii: object,
                  steps_per_radius: int = 10, step_size: float = 0.05, cost: object = None, lam: float = 1000.0,
                  tol: float = 1e-2, track: int | None = None) -> AttackResult:
    r"""Attack ``model`` on ``images`` (shape ``(batch, n)``, pixels in [0, 1]) with true ``labels``.

    ``ball``: ``"linf"`` or ``"wasserstein"`` (then ``cost`` is the ``(n, n)`` ground cost, ``lam`` and ``tol``
    go to the projection); ``radii``: increasing radii; ``steps_per_radius`` projected sign-gradient steps of
    ``step_size`` at each radius. The projections of an image are warm-started from its previous dual variables.

    Parameters
    ----------
    model : torch.nn.Module
        The classifier: float32 images ``(batch, n)`` to logits ``(batch, classes)``.
    images : array_like
        Clean images, shape ``(batch, n)``, pixels in [0, 1] (positive total mass for ``"wasserstein"``).
    labels : array_like
        True classes, ``batch`` integers.
    ball : {"linf", "wasserstein"}
        The ball (:data:`BALLS`).
    radii : array_like
        The radii, 1-D, increasing, every entry > 0.
    steps_per_radius : int, default 10
        Sign-gradient steps at each radius, in [1, 1000].
    step_size : float, default 0.05
        The ascent step, > 0, finite.
    cost : array_like, optional
        The ``(n, n)`` ground cost of the Wasserstein ball (required for it, checked by
        :mod:`pwgf_viz.wasserstein_ball`); ignored for ``"linf"``.
    lam : float, default 1000.0
        The entropic parameter of :func:`~pwgf_viz.wasserstein_ball.project_wasserstein_ball`.
    tol : float, default 1e-2
        The projection's relative tolerance on the transport cost.
    track : int, optional
        Index of an image whose iterates to record, in ``[0, batch - 1]``.

    Returns
    -------
    AttackResult
        The radius at which each image was fooled, the adversarial images, the trace of ``track`` and whether every
        projection converged.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if ball not in BALLS:
        raise ValueError(f"ball must be one of {BALLS}; got {ball!r}")
    images = check_array(images, "images")
    if images.ndim != 2 or images.min() < 0 or images.max() > 1:
        raise ValueError("images must have shape (batch, n) with pixels in [0, 1]")
    labels = np.asarray(labels)
    if labels.shape != images.shape[:1] or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be {images.shape[0]} integers; got shape {labels.shape}, dtype {labels.dtype}")
    radii = _check_radii(radii)
    steps_per_radius = check_count(steps_per_radius, "steps_per_radius", 1, 1000)
    step_size = check_positive(step_size, "step_size")
    if track is not None:
        track = check_count(track, "track", 0, images.shape[0] - 1)
    batch, n = images.shape
    if ball == "wasserstein":
        cost = _check_cost(cost, n)
        mass = images.sum(1, keepdims=True)
        if (mass <= 0).any():
            raise ValueError("every image must have positive total mass for the Wasserstein ball")
        beta, psi = np.zeros((batch, n)), np.ones(batch)
        started = np.zeros(batch, dtype=bool)

    targets = torch.from_numpy(labels.astype(np.int64))

    def predict(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(x).float()).argmax(1).numpy()

    converged = True
    current = images.copy()
    fooled_at = np.where(predict(images) != labels, 0.0, np.inf)
    adversarial = images.copy()
    trace = []
    for radius in radii:
        for _ in range(steps_per_radius):
            active = np.flatnonzero(np.isinf(fooled_at))
            if active.size == 0:
                break
            x_var = torch.from_numpy(current[active]).float().requires_grad_(True)
            loss = torch.nn.functional.cross_entropy(model(x_var), targets[active], reduction="sum")
            (grad,) = torch.autograd.grad(loss, x_var)
            moved = current[active] + step_size * np.sign(grad.double().numpy())
            if ball == "linf":
                moved = np.clip(moved, images[active] - radius, images[active] + radius)
            else:
                warm = started[active].all()
                result = project_wasserstein_ball(
                    moved / mass[active], images[active] / mass[active], cost, radius, lam, tol=tol,
                    warm_start=(beta[active], psi[active]) if warm else None)
                beta[active], psi[active], started[active] = result.beta, result.psi, True
                converged = converged and result.converged
                moved = result.z * mass[active]
            current[active] = np.clip(moved, 0, 1)
            if track is not None and np.isinf(fooled_at[track]):
                trace.append(current[track].copy())
            fooled = active[predict(current[active]) != labels[active]]
            fooled_at[fooled] = radius
            adversarial[fooled] = current[fooled]
    still = np.isinf(fooled_at)
    adversarial[still] = current[still]
    return AttackResult(fooled_at=fooled_at, adversarial=adversarial,
                        trace=np.array(trace) if trace else np.empty((0, n)), converged=converged)
