"""What every explorer shares: the :class:`Explorer` base class (live ipywidgets controls, one figure redrawn in
place, a static stand-in for the site), and the PNG and fallback helpers.

The explorers themselves are the modules ``explorer_*``: :mod:`pwgf_viz.explorer_estimator` (chapter 1),
:mod:`pwgf_viz.explorer_flow` (chapter 3), :mod:`pwgf_viz.explorer_pwgf` (chapter 5); the static stand-in is built by
:mod:`pwgf_viz.explorer_static`.

An explorer displays as a MIME bundle with three entries: the live widget, which Jupyter, JupyterLab,
Binder and Thebe render; a ``text/html`` stand-in, which the static site shows in the same place because the
book's configuration ranks ``text/html`` above the widget view for the HTML builder; and an ``image/png``
still (:func:`pwgf_viz.animation.still_png` of :meth:`Explorer.fallback`), which the PDF shows.

The stand-in of an explorer that declares :meth:`Explorer.static_controls` is a static explorer
(:mod:`pwgf_viz.explorer_static`): a grid of its settings drawn at build time by the live explorer's own
``_render``, behind native controls that swap the precomputed picture in the browser, without a kernel. An explorer
without static controls falls back to :meth:`Explorer.fallback` (a pre-rendered figure inside
``<div class="pwgf-widget-fallback">``).
"""

from __future__ import annotations

import base64
import io
import numbers
import time

import ipywidgets as w
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .animation import still_png
from .explorer_static import Control, static_explorer_html
from .validation import check_count

FALLBACK_NOTE = ("Static preview at the default settings. Open this page on Binder, or press the Live Code "
                 "button, to move the controls.")


def figure_png(fig: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes (and closed, so notebooks do not show it twice).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    dpi : int, default 80
        Resolution, in [10, 600].

    Returns
    -------
    bytes
        The PNG file.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
    dpi = check_count(dpi, "dpi", minimum=10, maximum=600)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()


def fallback_html(png: bytes, alt: str, note: str = FALLBACK_NOTE) -> str:
    """The static stand-in for a widget: an embedded image and a note on how to go live.

    Parameters
    ----------
    png : bytes
        The picture, a PNG file (e.g. of :func:`figure_png`).
    alt : str
        Its alt text, inserted unescaped: it must not contain ``"``.
    note : str, default FALLBACK_NOTE
        The note under the picture (:data:`FALLBACK_NOTE`).

    Returns
    -------
    str
        ``<div class="pwgf-widget-fallback">`` with the image and the note.
    """
    data = base64.b64encode(png).decode("ascii")
    return (f'<div class="pwgf-widget-fallback"><img src="data:image/png;base64,{data}" alt="{alt}" '
            f'style="max-width:100%"/><p><em>{note}</em></p></div>')


def _in_range(value: object, name: str, low: float, high: float) -> float:
    """``value`` as a float if it is a real number in ``[low, high]`` (a slider's range), else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [{low}, {high}]; got {type(value).__name__}")
    if not low <= float(value) <= high:   # also refuses NaN
        raise ValueError(f"{name} must be a number in [{low}, {high}]; got {value}")
    return float(value)


class Explorer:
    """What every live explorer shares: controls named in :attr:`SETTINGS`, one figure redrawn in place, a summary
    line, and a static fallback for the site.

    A subclass creates the controls (ipywidgets, one attribute per name in :attr:`SETTINGS`), ``image``, ``stats``
    and ``widget``, calls ``_watch()``, and implements ``_render`` and :meth:`fallback`. :meth:`update` is
    the redraw the controls call (tests and ``make bench`` call it directly) and records
    :attr:`last_redraw_seconds`.
    """

    SETTINGS: tuple[str, ...] = ()
    image: w.Image
    stats: w.HTML
    widget: w.Widget
    last_redraw_seconds: float = float("nan")
    _batch: bool = False

    def settings(self) -> dict[str, object]:
        """The current value of every control."""
        return {name: getattr(self, name).value for name in self.SETTINGS}

    def _render(self, **settings: object) -> tuple[Figure, str]:
        """Draw the given settings into the explorer's figure; returns the figure and its one-line summary."""
        raise NotImplementedError

    def fallback(self) -> str:
        """The pre-rendered HTML the static site shows in place of the live widget."""
        raise NotImplementedError

    def static_controls(self) -> list[Control]:
        """The controls of the static stand-in and their precomputed values (none: the plain fallback)."""
        return []

    def describe(self, settings: dict[str, object], summary: str) -> str:
        """The alt text of the picture drawn for ``settings`` (whose one-line summary is ``summary``).

        Parameters
        ----------
        settings : dict of str to object
            A value for every name of :attr:`SETTINGS`.
        summary : str
            The summary ``_render`` returned for them.

        Returns
        -------
        str
            The alt text (by default ``summary``).
        """
        return summary

    #: The explorer's name for readers (the static stand-in's accessible label).
    TITLE: str = "Explorer"
    #: A sentence for the static stand-in's note: which settings stay fixed there.
    STATIC_NOTE: str = ""
    #: Resolution of the static stand-in's pictures (``None``: the live figure's).
    STATIC_DPI: float | None = None

    def canonical(self, settings: dict[str, object]) -> dict[str, object]:
        """``settings`` with those that do not change the figure reset (default: all of them matter).

        Parameters
        ----------
        settings : dict of str to object
            A value for every name of :attr:`SETTINGS`.

        Returns
        -------
        dict of str to object
            Settings that draw the same figure; two settings with equal canonical forms share one picture of the
            static stand-in.
        """
        return settings

    def static_html(self) -> str:
        """The static explorer (:func:`pwgf_viz.explorer_static.static_explorer_html`) of
        :meth:`static_controls`, drawn by the live explorer's ``_render``, at the current settings for the rest."""
        return static_explorer_html(self._render, self.static_controls(), self.settings(), self.describe,
                                    name=self.TITLE, fixed_note=self.STATIC_NOTE, dpi=self.STATIC_DPI,
                                    canonical=self.canonical)

    def _watch(self) -> None:
        for name in self.SETTINGS:
            getattr(self, name).observe(self._on_change, names="value")

    def update(self, **settings: object) -> None:
        """Set any of the :attr:`SETTINGS` and redraw; records :attr:`last_redraw_seconds`. Bad settings raise
        (``ValueError``/``TypeError`` naming the setting) before any control moves.

        Parameters
        ----------
        \\*\\*settings
            New values of controls, by their names in :attr:`SETTINGS`, in the ranges of the controls; the others keep
            their values.
        """
        start = time.perf_counter()
        unknown = sorted(set(settings) - set(self.SETTINGS))
        if unknown:
            raise TypeError(f"update got unexpected setting(s) {unknown}; it accepts {', '.join(self.SETTINGS)}")
        fig, summary = self._render(**{**self.settings(), **settings})
        self._batch = True
        try:
            for name, value in settings.items():
                getattr(self, name).value = value
        finally:
            self._batch = False
        buffer = io.BytesIO()
        # Fast zlib level: the live image is sent to the browser once, size matters less than time.
        fig.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
        self.image.value = buffer.getvalue()
        self.stats.value = f"<small>{summary}</small>"
        self.last_redraw_seconds = time.perf_counter() - start

    def _on_change(self, _change: dict) -> None:
        if self._batch:
            return
        try:
            self.update()
        except ValueError as err:  # e.g. a typed expression that does not parse: say so, keep the last figure
            self.stats.value = f"<small><b>{err}</b></small>"

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict:
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        fallback = self.fallback()
        bundle["text/html"] = self.static_html() if self.static_controls() else fallback
        still = still_png(fallback)
        if still is not None:
            bundle["image/png"] = still
            from .export import record_still  # a no-op unless the chapter runs under pwgf_viz.export

            record_still(still)
        return bundle
