"""Static figures of the book (matplotlib). Each function returns the figure it draws."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from .exact import exact_expectation, exact_gradient, exact_st_mean
from .objectives import Objective
from .projection import bernoulli_mean_matching_step
from .style import COLORS, ESTIMATOR_STYLES
from .validation import check_array, check_count


def _finite_number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real | np.floating | torch.Tensor):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    return value


def gradient_histograms(samples: Mapping[str, np.ndarray | torch.Tensor], exact: float,
                        st_mean: float | None = None, title: str = "", bins: int = 60) -> Figure:
    """One histogram of single-draw gradient estimates per estimator, on a shared axis, with the exact gradient.

    ``samples`` maps estimator names to 1-D arrays of estimates (one coordinate). The exact gradient is the
    black line; each estimator's sample mean is a dashed line in its colour, so bias reads as the gap.

    Parameters
    ----------
    samples : mapping of str to array_like
        Estimator name to its estimates, non-empty; each array is flattened, finite.
    exact : float
        The exact gradient, finite.
    st_mean : float, optional
        The exact mean of the ST estimator, drawn dotted in the ``"st"`` panel.
    title : str, default ""
        The figure's title.
    bins : int, default 60
        Bins of the shared histogram axis, in [1, 1000].

    Returns
    -------
    matplotlib.figure.Figure
        One row per estimator.
    """
    if not samples:
        raise ValueError("samples must map at least one estimator name to its estimates")
    # Any shape is accepted and flattened: the histogram pools every estimate.
    arrays = {name: check_array(values, f"samples[{name!r}]").reshape(-1) for name, values in samples.items()}
    exact = _finite_number(exact, "exact")
    if st_mean is not None:
        st_mean = _finite_number(st_mean, "st_mean")
    bins = check_count(bins, "bins", minimum=1, maximum=1_000)
    low = min(float(np.quantile(a, 0.005)) for a in arrays.values())
    high = max(float(np.quantile(a, 0.995)) for a in arrays.values())
    low, high = min(low, exact), max(high, exact)
    pad = 0.05 * (high - low or 1.0)
    edges = np.linspace(low - pad, high + pad, bins + 1)
    fig, axes = plt.subplots(len(arrays), 1, figsize=(7, 0.95 * len(arrays) + 0.8), sharex=True, squeeze=False)
    for ax, (name, values) in zip(axes[:, 0], arrays.items(), strict=True):
        color = COLORS.get(name, "#555555")
        ax.hist(np.clip(values, edges[0], edges[-1]), bins=edges, color=color, alpha=0.55, density=True)
        ax.axvline(exact, color="black", lw=1.6)
        ax.axvline(values.mean(), color=color, lw=1.6, ls="--")
        if st_mean is not None and name == "st":
            ax.axvline(st_mean, color=color, lw=0.8, ls=":")
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize="medium")
        ax.spines[["left", "right", "top"]].set_visible(False)
    axes[-1, 0].set_xlabel("single-draw gradient estimate (black: exact gradient, dashed: sample mean)")
    if title:
        axes[0, 0].set_title(title, fontsize="large")
    fig.tight_layout()
    return fig


def bernoulli_loss_curve(f: Objective, ax: plt.Axes | None = None, points: int = 101) -> plt.Axes:
    r"""The exact loss :math:`L(p) = (1-p) f(0) + p f(1)` of a 1-D Bernoulli objective on :math:`p \in (0, 1)`.

    Parameters
    ----------
    f : callable
        A 1-D Bernoulli objective (e.g. :func:`pwgf_viz.objectives.quadratic`), mapping ``(n, 1)`` to ``(n,)``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current axes when ``None``.
    points : int, default 101
        Grid points on :math:`[0.001, 0.999]`, in [2, 10000].

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, with the curve.
    """
    points = check_count(points, "points", minimum=2, maximum=10_000)
    ax = ax or plt.gca()
    grid = np.linspace(0.001, 0.999, points)
    values = [exact_expectation(f, "bernoulli", [p]) for p in grid]
    ax.plot(grid, values, color="black", lw=1.5, label="exact $L(p)$")
    ax.set_xlabel("$p$")
    ax.set_ylabel("$L(p)$")
    return ax


def pwgf_step_figure(f: Objective, p: float, step: float) -> Figure:
    r"""One projected-flow step on a 1-D Bernoulli: move the atoms downhill, then match the mean.

    The atoms :math:`z \in \{0, 1\}` with masses :math:`(1-p, p)` move to :math:`z - \epsilon f'(z)`
    (the particle step of a Wasserstein gradient flow). The Bernoulli with the moved cloud's mean is
    :math:`p' = p - \epsilon\, \mathbb{E}[f'(z)]`: the straight-through update (Part III derives it).

    Parameters
    ----------
    f : callable
        A 1-D Bernoulli objective (e.g. :func:`pwgf_viz.objectives.quadratic`), mapping ``(n, 1)`` to ``(n,)``.
    p : float
        The Bernoulli probability, in (0, 1).
    step : float
        The step size :math:`\epsilon > 0`.

    Returns
    -------
    matplotlib.figure.Figure
        The atoms before and after the move, and the projected Bernoulli.
    """
    result = bernoulli_mean_matching_step(f, p, step)
    moved, masses, new_p = result.moved.numpy(), result.masses.numpy(), result.projected_p
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.bar([0, 1], masses, width=0.05, color="#1f77b4", label=f"$p_\\theta$, $p={p:g}$")
    ax.bar(moved, masses, width=0.05, color="#ff7f0e", alpha=0.7, label="atoms moved by $-\\epsilon f'(z)$")
    for start, end, mass in zip([0, 1], moved, masses, strict=True):
        ax.annotate("", xy=(end, mass + 0.04), xytext=(start, mass + 0.04),
                    arrowprops={"arrowstyle": "->", "color": "#ff7f0e"})
    ax.axvline(p, color="#1f77b4", ls=":", lw=1)
    ax.axvline(new_p, color="#ff7f0e", ls=":", lw=1)
    ax.bar([0, 1], [1 - new_p, new_p], width=0.02, color="#d62728", label=f"projected back: $p'={new_p:.3f}$")
    ax.set_xlabel("$z$ (dotted: means before and after the move)")
    ax.set_ylabel("mass")
    ax.set_ylim(0, 1.1)
    ax.legend(loc="upper center", fontsize="small", ncol=3, frameon=False)
    fig.tight_layout()
    return fig


def exact_gradient_curve(f: Objective, ax: plt.Axes | None = None, points: int = 99) -> plt.Axes:
    """Exact gradient and exact ST mean of a 1-D Bernoulli objective as functions of :math:`p`.

    Parameters
    ----------
    f : callable
        A 1-D Bernoulli objective, differentiable (e.g. :func:`pwgf_viz.objectives.quadratic`), mapping
        ``(n, 1)`` to ``(n,)``.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: the current axes).
    points : int, default 99
        Grid points on :math:`[0.01, 0.99]`, in [2, 10000].

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, with both curves and a legend.
    """
    points = check_count(points, "points", minimum=2, maximum=10_000)
    ax = ax or plt.gca()
    grid = np.linspace(0.01, 0.99, points)
    exact = [float(exact_gradient(f, "bernoulli", [p])) for p in grid]
    st = [float(exact_st_mean(f, "bernoulli", [p])) for p in grid]
    ax.plot(grid, exact, color=COLORS["exact"], label="exact $L'(p)$")
    ax.plot(grid, st, color=COLORS["st"], label="mean of ST, $\\mathbb{E}[f'(z)]$")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("$p$")
    ax.legend(fontsize="small", frameon=False)
    return ax


def _check_panels(panels: object, name: str) -> Mapping:
    if not isinstance(panels, Mapping) or not panels:
        raise ValueError(f"{name} must map at least one panel title to its series")
    for title, series in panels.items():
        if not isinstance(series, Mapping) or not series:
            raise ValueError(f"{name}[{title!r}] must map at least one estimator name to its data")
    return panels


def band_panels(panels: Mapping[str, Mapping[str, tuple]], ylabel: str, ncols: int = 3,
                floor: float = 1e-4) -> Figure:
    """One panel per title: for each estimator a line (mean over seeds) in a band (min to max over seeds).

    ``panels[title][estimator]`` is ``(steps, mean, low, high)``, four arrays of one length. The y axis is
    logarithmic, values below ``floor`` are drawn at ``floor``; ``"exact"`` is drawn dashed in black, every other
    estimator in its colour and dash (:data:`pwgf_viz.style.ESTIMATOR_STYLES`), so coinciding curves stay apart.

    Parameters
    ----------
    panels : mapping of str to mapping of str to tuple
        Panel title to ``{estimator: (steps, mean, low, high)}``, non-empty, each series non-empty; the arrays finite.
    ylabel : str
        Label of the y axes.
    ncols : int, default 3
        Panels per row, in [1, 6].
    floor : float, default 1e-4
        The smallest value drawn, > 0, finite.

    Returns
    -------
    matplotlib.figure.Figure
        The panels, with one shared legend below.
    """
    panels = _check_panels(panels, "panels")
    ncols = check_count(ncols, "ncols", minimum=1, maximum=6)
    floor = _finite_number(floor, "floor")
    if floor <= 0:
        raise ValueError(f"floor must be > 0 (log axis); got {floor}")
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, 2.6 * nrows), squeeze=False)
    for ax, (title, series) in zip(axes.flat, panels.items(), strict=False):
        for name, curve in series.items():
            if len(curve) != 4:
                raise ValueError(f"panels[{title!r}][{name!r}] must be (steps, mean, low, high)")
            steps, mean, low, high = (check_array(a, f"panels[{title!r}][{name!r}]").reshape(-1) for a in curve)
            if not len(steps) == len(mean) == len(low) == len(high):
                raise ValueError(f"panels[{title!r}][{name!r}]: steps, mean, low and high must have one length")
            color, dash = ESTIMATOR_STYLES.get(name, ("#555555", "-"))
            style = {"ls": "--", "lw": 1.2} if name == "exact" else {"ls": dash, "lw": 1.4}
            ax.plot(steps, np.maximum(mean, floor), color=color, label=name, **style)
            if name != "exact":
                ax.fill_between(steps, np.maximum(low, floor), np.maximum(high, floor), color=color, alpha=0.15,
                                lw=0)
        ax.set_yscale("log")
        ax.set_title(title, fontsize="medium")
        ax.set_xlabel("step", fontsize="small")
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel, fontsize="small")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    handles = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=min(len(handles), 5), fontsize="small",
               frameon=False)
    # Room below the panels for the legend's rows (about 0.22 inch each), whatever the figure's height.
    legend_inches = 0.1 + 0.22 * math.ceil(len(handles) / 5)
    fig.tight_layout(rect=(0, legend_inches / fig.get_figheight(), 1, 1))
    return fig


def bar_panels(panels: Mapping[str, Mapping[str, float]], xlabel: str) -> Figure:
    """One horizontal bar chart per title, one bar per estimator (in its colour), values not printed.

    Parameters
    ----------
    panels : mapping of str to mapping of str to float
        Panel title to ``{estimator: value}``, non-empty, each non-empty; values finite.
    xlabel : str
        Label of the x axes.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per title, side by side.
    """
    panels = _check_panels(panels, "panels")
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 0.35 * max(map(len, panels.values())) + 1),
                             squeeze=False)
    for ax, (title, values) in zip(axes[0], panels.items(), strict=True):
        names = list(values)
        heights = [_finite_number(values[n], f"panels[{title!r}][{n!r}]") for n in names]
        ax.barh(range(len(names)), heights, color=[COLORS.get(n, "#555555") for n in names])
        ax.set_yticks(range(len(names)), names, fontsize="small")
        ax.invert_yaxis()
        ax.set_title(title, fontsize="medium")
        ax.set_xlabel(xlabel, fontsize="small")
    axes[0, 0].set_ylabel("estimator", fontsize="small")
    fig.tight_layout()
    return fig
