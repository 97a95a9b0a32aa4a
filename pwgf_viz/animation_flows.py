"""Animations of particle flows (chapter 3): a 1-D cloud with its histogram, a 2-D cloud over contour lines.

Both return a matplotlib ``FuncAnimation``; show it on the static site with :func:`pwgf_viz.animation.player`.
Frames are capped at 40 and drawn at :data:`pwgf_viz.animation.DPI` so that a page holding several stays small.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

from .animation import DPI, frame_indices
from .flows import Potential, as_particles
from .validation import check_count, check_positive

#: Most frames a flow animation may have (below :data:`pwgf_viz.animation.MAX_FRAMES`: pages hold several).
MAX_FLOW_FRAMES = 40
#: Most particles drawn as dots (a rug or a scatter); the histogram uses all of them.
MAX_DRAWN = 300


def _trajectory(trajectory: object, dim: int) -> np.ndarray:
    array = np.asarray(trajectory, dtype=np.float64)
    if array.ndim != 3 or array.shape[2] != dim or array.shape[0] < 2:
        raise ValueError(f"trajectory must have shape (steps >= 2, n, {dim}); got shape {np.shape(trajectory)}")
    for cloud in array:
        as_particles(cloud, "trajectory")
    return array


def _times(times: object, length: int) -> np.ndarray:
    t = np.asarray(times, dtype=np.float64)
    if t.shape != (length,) or not np.isfinite(t).all():
        raise ValueError(f"times must be {length} finite numbers (one per step of the trajectory); "
                         f"got shape {t.shape}")
    return t


def density_flow_animation(trajectory: object, times: object, potential: Potential,
                           xlim: tuple[float, float] = (-2.0, 2.0), bins: int = 60,
                           target: Callable[[np.ndarray], np.ndarray] | None = None,
                           target_label: str = r"$e^{-f}/Z$", frames: int = 30, title: str = "",
                           ymax: float | None = None) -> FuncAnimation:
    r"""A 1-D particle cloud flowing: its histogram (a density estimate of :math:`q_t`), a rug of the particles,
    the potential :math:`f` (grey, right axis) and, if given, a ``target`` density on the grid (dashed).

    ``trajectory`` has shape ``(steps, n, 1)`` and ``times`` one time per step; at most ``frames`` (<= 40)
    evenly spread steps are drawn.

    Parameters
    ----------
    trajectory : array_like
        The clouds, shape ``(steps, n, 1)`` with ``steps >= 2``, finite.
    times : array_like
        The time of each step, ``steps`` finite numbers.
    potential : pwgf_viz.flows.Potential
        The potential :math:`f` drawn in grey (its ``f`` and ``latex``).
    xlim : tuple of float, default (-2.0, 2.0)
        ``(low, high)``, finite, ``low < high``: the x range and the histogram's range.
    bins : int, default 60
        Histogram bins, in [2, 500].
    target : callable, optional
        A density on a 1-D grid, drawn dashed.
    target_label : str, default "$e^{-f}/Z$"
        The legend entry of ``target``.
    frames : int, default 30
        The most frames, in ``[2, MAX_FLOW_FRAMES]``.
    title : str, default ""
        The title (the time is appended).
    ymax : float, optional
        Top of the density axis; by default 1.15 times the highest bar drawn (or of ``target``).

    Returns
    -------
    matplotlib.animation.FuncAnimation
        The animation (its figure is closed).
    """
    path = _trajectory(trajectory, 1)[..., 0]
    t = _times(times, len(path))
    frames = check_count(frames, "frames", minimum=2, maximum=MAX_FLOW_FRAMES)
    bins = check_count(bins, "bins", minimum=2, maximum=500)
    low, high = (float(v) for v in xlim)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"xlim must be two finite numbers (low, high) with low < high; got {xlim}")
    edges = np.linspace(low, high, bins + 1)
    grid = np.linspace(low, high, 400)
    heights = np.array([np.histogram(cloud, edges, density=True)[0] * (
        np.mean((cloud >= low) & (cloud <= high))) for cloud in path])
    fig, ax = plt.subplots(figsize=(5.6, 2.5), dpi=DPI)
    twin = ax.twinx()
    twin.plot(grid, potential.f(grid[:, None]), color="0.6", lw=1.2)
    twin.set_ylabel(f"$f(z) = {potential.latex}$", color="0.45", fontsize="small")
    twin.tick_params(labelsize=7, colors="0.45")
    top = ymax if ymax is not None else 1.15 * float(heights[frame_indices(len(path), frames)].max())
    if target is not None:
        density = np.asarray(target(grid), dtype=np.float64)
        ax.plot(grid, density, "k--", lw=1.2, label=target_label)
        top = max(top, 1.15 * float(density.max()))
        ax.legend(fontsize="small", frameon=False, loc="upper left")
    # Opaque flat colours and no anti-aliasing on the moving parts: each frame is a PNG, smooth edges cost bytes.
    stairs = ax.stairs(heights[0], edges, fill=True, color="#8fbbe0", antialiased=False)
    drawn = np.linspace(0, path.shape[1] - 1, min(MAX_DRAWN, path.shape[1])).astype(int)
    (rug,) = ax.plot(path[0, drawn], np.full(drawn.size, 0.03 * top), "|", color="#d62728", ms=6,
                     antialiased=False)
    ax.set_xlim(low, high)
    ax.set_ylim(0, top)
    ax.set_xlabel("$z$", fontsize="small")
    ax.set_ylabel("density of $q_t$", fontsize="small")
    ax.tick_params(labelsize=7)
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)
    caption = ax.set_title(f"{title}  $t = {t[0]:.2f}$" if title else f"$t = {t[0]:.2f}$", fontsize="medium")
    fig.tight_layout()

    def draw(k: int) -> list:
        stairs.set_data(heights[k])
        rug.set_xdata(path[k, drawn])
        caption.set_text(f"{title}  $t = {t[k]:.2f}$" if title else f"$t = {t[k]:.2f}$")
        return [stairs, rug, caption]

    anim = FuncAnimation(fig, draw, frames=frame_indices(len(path), frames), blit=False)
    plt.close(fig)
    return anim


def scatter_flow_animation(trajectory: object, times: object, potential: Potential,
                           extent: tuple[float, float, float, float] = (-2.0, 2.0, -1.5, 1.5), frames: int = 30,
                           title: str = "") -> FuncAnimation:
    r"""A 2-D particle cloud (at most 300 dots) flowing over the contour lines of :math:`f`.

    ``trajectory`` has shape ``(steps, n, 2)`` and ``times`` one time per step.

    Parameters
    ----------
    trajectory, times : array_like
        As in :func:`density_flow_animation`, with clouds in two dimensions: shape ``(steps, n, 2)``.
    potential : pwgf_viz.flows.Potential
        The potential :math:`f` whose contour lines are drawn.
    extent : tuple of float, default (-2.0, 2.0, -1.5, 1.5)
        ``(xmin, xmax, ymin, ymax)``, finite, with ``xmin < xmax`` and ``ymin < ymax``.
    frames : int, default 30
        The most frames, in ``[2, MAX_FLOW_FRAMES]``.
    title : str, default ""
        The title (the time is appended).

    Returns
    -------
    matplotlib.animation.FuncAnimation
        The animation (its figure is closed).
    """
    path = _trajectory(trajectory, 2)
    t = _times(times, len(path))
    frames = check_count(frames, "frames", minimum=2, maximum=MAX_FLOW_FRAMES)
    x0, x1, y0, y1 = (float(v) for v in extent)
    if not (np.isfinite([x0, x1, y0, y1]).all() and x0 < x1 and y0 < y1):
        raise ValueError(f"extent must be (xmin, xmax, ymin, ymax) with xmin < xmax and ymin < ymax; got {extent}")
    xs, ys = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 150))
    values = potential.f(np.stack([xs, ys], axis=-1).reshape(-1, 2)).reshape(xs.shape)
    fig, ax = plt.subplots(figsize=(4.0, 2.9), dpi=DPI)
    # Flat colours without anti-aliasing: each frame is a PNG, and smooth edges multiply its size.
    levels = np.quantile(values, np.linspace(0.02, 0.9, 8))
    ax.contour(xs, ys, values, levels=levels, colors="0.65", linewidths=0.8, antialiased=False)
    drawn = np.linspace(0, path.shape[1] - 1, min(MAX_DRAWN, path.shape[1])).astype(int)
    dots = ax.scatter(path[0, drawn, 0], path[0, drawn, 1], s=5, color="#d62728", antialiased=False,
                      linewidths=0)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xlabel("$z_1$", fontsize="small")
    ax.set_ylabel("$z_2$", fontsize="small")
    ax.tick_params(labelsize=7)
    caption = ax.set_title(f"{title}  $t = {t[0]:.2f}$" if title else f"$t = {t[0]:.2f}$", fontsize="medium")
    fig.tight_layout()

    def draw(k: int) -> list:
        dots.set_offsets(path[k, drawn])
        caption.set_text(f"{title}  $t = {t[k]:.2f}$" if title else f"$t = {t[k]:.2f}$")
        return [dots, caption]

    anim = FuncAnimation(fig, draw, frames=frame_indices(len(path), frames), blit=False)
    plt.close(fig)
    return anim


def step_times(step: float, n_steps: int) -> np.ndarray:
    """The times :math:`0, h, 2h, \\dots, n h` of a trajectory of ``n_steps`` steps of size ``step``.

    Parameters
    ----------
    step : float
        The step size :math:`h > 0`, finite.
    n_steps : int
        Number of steps :math:`n`, in [1, 10**7].

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n_steps + 1,)``.
    """
    step = check_positive(step, "step")
    n_steps = check_count(n_steps, "n_steps", maximum=10_000_000)
    return step * np.arange(n_steps + 1)
