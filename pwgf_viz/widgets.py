"""Live explorers (ipywidgets) with a pre-rendered fallback for the static site.

An explorer displays as a MIME bundle with two entries: the live widget, which Jupyter, JupyterLab,
Binder and Thebe render, and a ``text/html`` fallback (a pre-rendered figure inside
``<div class="pwgf-widget-fallback">``), which the static site shows in the same place because the
book's configuration ranks ``text/html`` above the widget view for the HTML builder.
"""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Sequence

import ipywidgets as w
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .compare import Problem, estimator_stats
from .estimators import ESTIMATORS, gradient_samples
from .exact import exact_gradient, exact_st_mean
from .objectives import quadratic
from .plots import gradient_histograms
from .validation import check_count

FALLBACK_NOTE = ("Static preview at the default settings. Open this page on Binder, or press the Live Code "
                 "button, to move the controls.")


def figure_png(fig: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes (and closed, so notebooks do not show it twice)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()


def fallback_html(png: bytes, alt: str, note: str = FALLBACK_NOTE) -> str:
    """The static stand-in for a widget: an embedded image and a note on how to go live."""
    data = base64.b64encode(png).decode("ascii")
    return (f'<div class="pwgf-widget-fallback"><img src="data:image/png;base64,{data}" alt="{alt}" '
            f'style="max-width:100%"/><p><em>{note}</em></p></div>')


class EstimatorExplorer:
    r"""Explore one estimator on the toy :math:`\mathbb{E}_{z\sim\mathrm{Bern}(p)}[(z-t)^2]` (chapter 1).

    Controls: estimator, :math:`p`, :math:`t`, number of draws :math:`n`. The figure shows the histogram of
    the :math:`n` single-draw estimates, their mean, the exact gradient :math:`f(1)-f(0) = 1-2t` and the
    measured bias and standard deviation. :meth:`update` redraws (the widgets call it; tests and
    benchmarks can call it directly).
    """

    def __init__(self, estimator: str = "st", p: float = 0.3, t: float = 0.45, n: int = 2_000,
                 estimators: Sequence[str] | None = None, seed: int = 0) -> None:
        names = list(estimators or [k for k, e in ESTIMATORS.items() if "bernoulli" in e.families])
        self.seed = check_count(seed, "seed", minimum=0, maximum=2**63 - 1)
        self.estimator = w.Dropdown(options=names, value=estimator, description="estimator")
        self.p = w.FloatSlider(value=p, min=0.02, max=0.98, step=0.01, description="p")
        self.t = w.FloatSlider(value=t, min=0.0, max=1.0, step=0.01, description="t")
        self.n = w.SelectionSlider(options=[100, 300, 1_000, 2_000, 5_000, 10_000], value=n, description="n")
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.stats = w.HTML()
        self.last_redraw_seconds = float("nan")
        self._batch = False
        for control in (self.estimator, self.p, self.t, self.n):
            control.observe(self._on_change, names="value")
        self.widget = w.VBox([w.HBox([self.estimator, self.n]), w.HBox([self.p, self.t]), self.image, self.stats])
        self.update()

    def figure(self, estimator: str, p: float, t: float, n: int) -> tuple[Figure, str]:
        """The explorer's figure and its one-line summary for the given settings."""
        problem = Problem("toy", quadratic(t), "bernoulli", [p])
        samples = gradient_samples(estimator, problem.f, "bernoulli", [p], n, seed=self.seed)
        stats = estimator_stats(problem, estimator, n, samples=samples)
        exact, mean = stats.exact.item(), stats.mean.item()
        st_mean = float(exact_st_mean(problem.f, "bernoulli", [p])) if estimator == "st" else None
        fig = gradient_histograms({estimator: samples[:, 0]}, exact, st_mean,
                                  title=f"$f(z) = {problem.f.latex}$, $p = {p:.2f}$, $n = {n}$", bins=40)
        fig.set_size_inches(6.5, 2.2)
        summary = (f"exact gradient {exact:+.4f} · mean of {estimator} {mean:+.4f} · "
                   f"bias {mean - exact:+.4f} (standard error {stats.bias_se:.4f}) · std {stats.std:.4f}")
        return fig, summary

    def update(self, **settings: object) -> None:
        """Set any of ``estimator``, ``p``, ``t``, ``n`` and redraw; records :attr:`last_redraw_seconds`."""
        start = time.perf_counter()
        unknown = sorted(set(settings) - {"estimator", "p", "t", "n"})
        if unknown:
            raise TypeError(f"update got unexpected setting(s) {unknown}; it accepts estimator, p, t, n")
        self._batch = True
        try:
            for name, value in settings.items():
                getattr(self, name).value = value
        finally:
            self._batch = False
        fig, summary = self.figure(self.estimator.value, self.p.value, self.t.value, self.n.value)
        self.image.value = figure_png(fig)
        self.stats.value = f"<small>{summary}</small>"
        self.last_redraw_seconds = time.perf_counter() - start

    def _on_change(self, _change: dict) -> None:
        if not self._batch:
            self.update()

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

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict:
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        bundle["text/html"] = self.fallback()
        return bundle

