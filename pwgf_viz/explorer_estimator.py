r"""The estimator explorer of chapter ``discrete-gradients``: one estimator's single-draw estimates on the toy
:math:`\mathbb{E}_{z\sim\mathrm{Bern}(p)}[(z-t)^2]`, against the exact gradient (:class:`EstimatorExplorer`).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import ipywidgets as w
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .compare import Problem, estimator_stats
from .estimators import ESTIMATORS, get_estimator, gradient_samples
from .exact import exact_gradient, exact_st_mean
from .explorer import Explorer, _in_range, fallback_html, figure_png
from .explorer_static import Control, value_text
from .objectives import quadratic
from .plots import COLORS, gradient_histograms
from .validation import check_count


class EstimatorExplorer(Explorer):
    r"""Explore one estimator on the toy :math:`\mathbb{E}_{z\sim\mathrm{Bern}(p)}[(z-t)^2]` (chapter 1).

    Controls: estimator, :math:`p`, :math:`t`, number of draws :math:`n`. The figure shows the histogram of
    the :math:`n` single-draw estimates, their mean, the exact gradient :math:`f(1)-f(0) = 1-2t` and the
    measured bias and standard deviation. :meth:`update` redraws (the widgets call it; tests and
    benchmarks can call it directly).

    A redraw reuses one figure and updates its artists (histogram, lines, title, limits) in place, with a fixed
    layout, so that moving a control stays fast (``make bench`` measures the redraw time).

    Parameters
    ----------
    estimator : str, default "st"
        The estimator shown first, one of ``estimators``.
    p : float, default 0.3
        The Bernoulli probability, in [0.02, 0.98].
    t : float, default 0.45
        The target of :math:`f(z) = (z - t)^2`, in [0, 1].
    n : int, default 2000
        Draws, one of :attr:`SIZES`.
    estimators : sequence of str, optional
        The estimators of the drop-down, each supporting Bernoulli; by default every such estimator of
        :data:`~pwgf_viz.estimators.ESTIMATORS`.
    seed : int, default 0
        Seed of the draws, in ``[0, 2**63 - 1]``.
    """

    SETTINGS = ("estimator", "p", "t", "n")
    TITLE = "Estimator explorer"
    BINS = 40
    SIZES = (100, 300, 1_000, 2_000, 5_000, 10_000)
    DPI = 80

    def __init__(self, estimator: str = "st", p: float = 0.3, t: float = 0.45, n: int = 2_000,
                 estimators: Sequence[str] | None = None, seed: int = 0) -> None:
        names = list(estimators or [k for k, e in ESTIMATORS.items() if "bernoulli" in e.families])
        for name in names:
            get_estimator(name).check_family("bernoulli")
        estimator, p, t, n = self._checked(names, estimator, p, t, n)
        self.seed = check_count(seed, "seed", minimum=0, maximum=2**63 - 1)
        self.estimator = w.Dropdown(options=names, value=estimator, description="estimator")
        self.p = w.FloatSlider(value=p, min=0.02, max=0.98, step=0.01, description="p")
        self.t = w.FloatSlider(value=t, min=0.0, max=1.0, step=0.01, description="t")
        self.n = w.SelectionSlider(options=list(self.SIZES), value=n, description="n")
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.stats = w.HTML()
        self._build_figure()
        self._watch()
        self.widget = w.VBox([w.HBox([self.estimator, self.n]), w.HBox([self.p, self.t]), self.image, self.stats])
        self.update()

    def _build_figure(self) -> None:
        """The one figure every redraw updates: a filled histogram and three vertical lines."""
        fig = Figure(figsize=(6.5, 2.2), dpi=self.DPI)
        FigureCanvasAgg(fig)  # one canvas for good: its renderer, and so its text caches, are reused
        ax = fig.add_subplot()
        fig.subplots_adjust(left=0.2, right=0.98, bottom=0.22, top=0.86)
        edges = np.linspace(0.0, 1.0, self.BINS + 1)
        self._hist = ax.stairs(np.zeros(self.BINS), edges, fill=True, alpha=0.55)
        self._exact_line = ax.axvline(0.0, color="black", lw=1.6)
        self._mean_line = ax.axvline(0.0, lw=1.6, ls="--")
        self._st_line = ax.axvline(0.0, lw=0.8, ls=":")
        ax.set_yticks([])
        ax.spines[["left", "right", "top"]].set_visible(False)
        # The key to the lines is in the HTML line under the image: text rendering dominates a redraw.
        ax.set_xlabel("single-draw gradient estimate", fontsize="medium")
        self._ylabel = ax.set_ylabel("", rotation=0, ha="right", va="center", fontsize="medium")
        # A figure text, not an axes title (placing a title measures every tick label again), in plain text
        # (parsing mathtext on every redraw is slow).
        self._title = fig.text(0.59, 0.97, "", ha="center", va="top", fontsize="large", parse_math=False)
        self._fig, self._ax = fig, ax

    def _draw(self, estimator: str, p: float, t: float, n: int) -> str:
        """Update the figure's artists for the given settings; returns the one-line summary."""
        problem = Problem("toy", quadratic(t), "bernoulli", [p])
        samples = gradient_samples(estimator, problem.f, "bernoulli", [p], n, seed=self.seed)
        stats = estimator_stats(problem, estimator, n, samples=samples)
        exact, mean = stats.exact.item(), stats.mean.item()
        values = samples[:, 0].numpy()
        # Same binning as plots.gradient_histograms: the central 99% of the draws and the exact gradient.
        low, high = np.quantile(values, [0.005, 0.995])
        low, high = min(float(low), exact), max(float(high), exact)
        pad = 0.05 * (high - low or 1.0)
        edges = np.linspace(low - pad, high + pad, self.BINS + 1)
        density, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges, density=True)
        color = COLORS.get(estimator, "#555555")
        self._hist.set_data(density, edges)
        self._hist.set_color(color)
        self._exact_line.set_xdata([exact, exact])
        self._mean_line.set_xdata([mean, mean])
        self._mean_line.set_color(color)
        if estimator == "st":
            st_mean = float(exact_st_mean(problem.f, "bernoulli", [p]))
            self._st_line.set_xdata([st_mean, st_mean])
            self._st_line.set_color(color)
        self._st_line.set_visible(estimator == "st")
        self._ax.set_xlim(edges[0], edges[-1])
        self._ax.set_ylim(0, 1.05 * float(density.max()))
        self._ylabel.set_text(estimator)
        self._title.set_text(f"f(z) = (z \u2212 {t:g})\u00b2,  p = {p:.2f},  n = {n}")
        return (f"exact gradient {exact:+.4f} (black line) · mean of {estimator} {mean:+.4f} (dashed) · "
                f"bias {mean - exact:+.4f} (standard error {stats.bias_se:.4f}) · std {stats.std:.4f}")

    def _checked(self, names: Sequence[str], estimator: object, p: object, t: object,
                 n: object) -> tuple[str, float, float, int]:
        """The settings, validated against the controls' ranges (a slider would silently clamp them)."""
        if estimator not in names:
            raise ValueError(f"estimator must be one of {list(names)}; got {estimator!r}")
        p = _in_range(p, "p", 0.02, 0.98)
        t = _in_range(t, "t", 0.0, 1.0)
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n not in self.SIZES:
            raise ValueError(f"n must be one of {self.SIZES}; got {n!r}")
        return str(estimator), p, t, int(n)

    def _render(self, estimator: str, p: float, t: float, n: int) -> tuple[Figure, str]:
        settings = self._checked(self.estimator.options, estimator, p, t, n)
        return self._fig, self._draw(*settings)

    #: Precomputed values of the static stand-in (:meth:`static_controls`): p near 0, below, at and above 1/2
    #: (the ST bias (2p - 1) changes sign at 1/2); t at both ends and inside; few and many draws.
    STATIC_P = (0.1, 0.3, 0.5, 0.9)
    STATIC_T = (0.0, 0.45, 1.0)
    STATIC_N = (300, 2_000)
    STATIC_NOTE = "The seed is fixed (0), so each picture is one set of draws."
    STATIC_DPI = 72

    def static_controls(self) -> list[Control]:
        """Every estimator of the explorer; :data:`STATIC_P`, :data:`STATIC_T`, :data:`STATIC_N`."""
        return [Control("estimator", "estimator", list(self.estimator.options), "select"),
                Control("p", "p", self.STATIC_P), Control("t", "t", self.STATIC_T),
                Control("n", "draws n", self.STATIC_N, "radio")]

    def describe(self, settings: dict[str, object], summary: str) -> str:
        """See :meth:`~pwgf_viz.explorer.Explorer.describe`: what the histogram shows for these settings, with its
        numbers.
        """
        return (f"Histogram of {settings['n']} single-draw gradient estimates of {settings['estimator']} for "
                f"f(z) = (z - {value_text(settings['t'])})^2 and p = {value_text(settings['p'])}: {summary}")

    def fallback(self) -> str:
        """The pre-rendered fallback: every Bernoulli estimator at the default settings, side by side."""
        f = quadratic(self.t.value)
        p, n = self.p.value, self.n.value
        samples = {name: gradient_samples(name, f, "bernoulli", [p], n, seed=self.seed)[:, 0].numpy()
                   for name in self.estimator.options}
        fig = gradient_histograms(samples, float(exact_gradient(f, "bernoulli", [p])),
                                  float(exact_st_mean(f, "bernoulli", [p])),
                                  title=f"$f(z) = {f.latex}$, $p = {p:.2f}$, $n = {n}$ draws per estimator")
        return fallback_html(figure_png(fig), "Histograms of single-draw gradient estimates per estimator")

