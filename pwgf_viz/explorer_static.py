"""Explorers that respond on the static site, without a kernel.

At build time an explorer renders a small grid of its own settings with the very code that draws the live widget
(its ``_render``), and :func:`static_explorer_html` writes them into one
``<div class="pwgf-static-explorer">``: native, labelled form controls (``<input type="range">``, ``<select>``,
radio buttons), one ``<img>`` and a caption, plus a JSON table of the precomputed pictures. The site's script
``_static/pwgf-explorer.js`` swaps the picture (its ``src``, its alt text and the caption) when a control moves,
with no kernel and no network. Identical pictures (a setting that does not change the figure, such as ``p`` for the
Poisson family) are stored once.

The key of a picture is the settings' value texts (:func:`value_text`) in control order, joined by ``"|"``; the
browser test builds the same key from the controls' state, independently of the script.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure

#: The CSS class of the stand-in (the site's script and tests look for it).
CSS_CLASS = "pwgf-static-explorer"
#: Control kinds: a slider over the listed values, a drop-down list, radio buttons.
KINDS = ("range", "select", "radio")
#: Image formats the stand-in can embed (WebP: about a third of the PNG size for these figures).
FORMATS = ("webp", "png")
_counter = itertools.count(1)


def value_text(value: object) -> str:
    """The text of a setting's value in keys and in the controls: ``"%g"`` for numbers, ``str`` otherwise.

    Parameters
    ----------
    value : object
        A setting's value.

    Returns
    -------
    str
        ``str`` of a bool or an integer, ``"%g"`` of another real number, else ``str(value)``.
    """
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Real):
        return f"{float(value):g}" if not isinstance(value, numbers.Integral) else str(int(value))
    return str(value)


@dataclass(frozen=True)
class Control:
    """One control of a static explorer.

    Parameters
    ----------
    setting : str
        The explorer's setting it sets (one of its ``SETTINGS``).
    label : str
        The visible label.
    values : Sequence
        The precomputed values, in the order the control offers them (at least one).
    kind : {"range", "select", "radio"}
        A slider over the values, a drop-down list or radio buttons.
    names : Sequence of str, optional
        The text shown for each value (default: :func:`value_text`).
    """

    setting: str
    label: str
    values: Sequence[object]
    kind: str = "range"
    names: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {self.kind!r}")
        if not self.values:
            raise ValueError(f"control {self.setting!r}: values must not be empty")
        texts = [value_text(v) for v in self.values]
        if len(set(texts)) != len(texts):
            raise ValueError(f"control {self.setting!r}: values must be distinct; got {texts}")
        if any("|" in t for t in texts):
            raise ValueError(f"control {self.setting!r}: values must not contain '|'; got {texts}")
        if self.names is not None and len(self.names) != len(texts):
            raise ValueError(f"control {self.setting!r}: names must have one entry per value; got {self.names}")

    def shown(self) -> list[str]:
        """The text shown for each value."""
        return list(self.names) if self.names is not None else [value_text(v) for v in self.values]


def encode(fig: Figure, fmt: str = "webp", dpi: float | None = None, quality: int = 80) -> tuple[str, bytes]:
    """The figure as ``(mime type, bytes)``: lossy WebP at ``quality`` or PNG (figure not closed).

    Parameters
    ----------
    fig : Figure
        The figure.
    fmt : {"webp", "png"}
        The format.
    dpi : float, optional
        Resolution (default: the figure's).
    quality : int
        WebP quality, 1 to 100.

    Returns
    -------
    tuple of (str, bytes)
        The MIME type and the encoded image.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}; got {fmt!r}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi or fig.dpi)
    if fmt == "png":
        return "image/png", buffer.getvalue()
    from PIL import Image

    out = io.BytesIO()
    Image.open(io.BytesIO(buffer.getvalue())).convert("RGB").save(out, format="WEBP", quality=quality, method=4)
    return "image/webp", out.getvalue()


def render_grid(render: Callable[..., tuple[Figure, str]], controls: Sequence[Control], base: dict[str, object],
                describe: Callable[[dict[str, object], str], str], fmt: str = "webp",
                dpi: float | None = None,
                canonical: Callable[[dict[str, object]], dict[str, object]] | None = None) -> dict[str, object]:
    """Render every combination of the controls' values.

    Parameters
    ----------
    render : callable
        ``render(**settings) -> (figure, summary)``: the live explorer's own drawing code.
    controls : sequence of Control
        The static controls; settings without a control keep their value in ``base``.
    base : dict
        The explorer's settings (every one ``render`` needs).
    describe : callable
        ``describe(settings, summary) -> alt text`` of the picture for those settings.
    fmt, dpi
        Image format and resolution (:func:`encode`).
    canonical : callable, optional
        ``canonical(settings) -> settings`` with the settings that do not change the figure reset (e.g. ``p`` for
        the Poisson family): settings with the same canonical form are drawn once.

    Returns
    -------
    dict
        ``"images"`` (distinct data URIs), ``"table"`` (key -> ``[image index, alt text, summary]``).
    """
    images: list[str] = []
    index: dict[str, int] = {}
    drawn: dict[str, list] = {}
    table: dict[str, list] = {}
    for combo in itertools.product(*(c.values for c in controls)):
        settings = {**base, **{c.setting: v for c, v in zip(controls, combo, strict=True)}}
        if canonical is not None:
            settings = canonical(settings)
        seen = repr(sorted(settings.items()))
        if seen not in drawn:
            fig, summary = render(**settings)
            mime, data = encode(fig, fmt, dpi)
            digest = hashlib.sha1(data).hexdigest()
            if digest not in index:
                index[digest] = len(images)
                images.append(f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}")
            drawn[seen] = [index[digest], describe(settings, summary), summary]
        table["|".join(value_text(v) for v in combo)] = drawn[seen]
    return {"images": images, "table": table}


def _control_html(uid: str, control: Control, current: object) -> str:
    texts = [value_text(v) for v in control.values]
    shown = dict(zip(texts, control.shown(), strict=True))
    chosen = value_text(current) if value_text(current) in texts else texts[0]
    ident = f"{uid}-{control.setting}"
    label = html.escape(control.label)
    setting = html.escape(control.setting)
    if control.kind == "range":
        k = texts.index(chosen)
        values, names = html.escape(json.dumps(texts)), html.escape(json.dumps(control.shown()))
        return (f'<span class="pwgf-static-control"><label for="{ident}">{label}</label> '
                f'<input type="range" id="{ident}" data-setting="{setting}" data-values="{values}" '
                f'data-names="{names}" min="0" max="{len(texts) - 1}" step="1" value="{k}" '
                f'aria-valuetext="{html.escape(shown[chosen])}"/> '
                f'<output for="{ident}">{html.escape(shown[chosen])}</output></span>')
    if control.kind == "select":
        options = "".join(f'<option value="{html.escape(t)}"{" selected" if t == chosen else ""}>'
                          f'{html.escape(shown[t])}</option>' for t in texts)
        return (f'<span class="pwgf-static-control"><label for="{ident}">{label}</label> '
                f'<select id="{ident}" data-setting="{setting}">{options}</select></span>')
    buttons = "".join(f'<label><input type="radio" name="{ident}" value="{html.escape(t)}"'
                      f'{" checked" if t == chosen else ""}/> {html.escape(shown[t])}</label> ' for t in texts)
    return (f'<fieldset class="pwgf-static-control" data-setting="{setting}"><legend>{label}</legend>'
            f'{buttons.strip()}</fieldset>')


def static_explorer_html(render: Callable[..., tuple[Figure, str]], controls: Sequence[Control],
                         base: dict[str, object], describe: Callable[[dict[str, object], str], str],
                         name: str, fixed_note: str = "", fmt: str = "webp", dpi: float | None = None,
                         canonical: Callable[[dict[str, object]], dict[str, object]] | None = None) -> str:
    """The static stand-in of a live explorer: controls, one picture, its caption, a note and the grid.

    Parameters
    ----------
    render, controls, base, describe, fmt, dpi, canonical
        As for :func:`render_grid`; the picture first shown is the one of ``base`` (or the first value of a
        control whose base value is not in the grid).
    name : str
        The explorer's name, for the group's accessible label.
    fixed_note : str
        A sentence on the settings that the static grid keeps fixed (plain text).

    Returns
    -------
    str
        The HTML ``<div class="pwgf-static-explorer">``, inside a ``<div class="pwgf-widget-fallback">``.
    """
    grid = render_grid(render, controls, base, describe, fmt, dpi, canonical)
    uid = f"pwgf-static-{next(_counter)}"
    texts = [value_text(base[c.setting]) if value_text(base[c.setting]) in [value_text(v) for v in c.values]
             else value_text(c.values[0]) for c in controls]
    image, alt, summary = grid["table"]["|".join(texts)]
    counts = " × ".join(str(len(c.values)) for c in controls)
    listed = "; ".join(f"{c.label}: {', '.join(c.shown())}" for c in controls)
    note = (f"Static explorer: {len(grid['table'])} precomputed settings ({counts}; {listed}). {fixed_note} "
            "Open this page on Binder, or press the Live Code button, for the live explorer with the full range "
            "of every control.")
    payload = json.dumps({"settings": [c.setting for c in controls], **grid}, separators=(",", ":"))
    payload = payload.replace("</", "<\\/")   # never closes the <script> element early
    controls_html = "\n".join(_control_html(uid, c, base[c.setting]) for c in controls)
    # Inside the fallback's div, which the site tests and the print export know.
    return (f'<div class="pwgf-widget-fallback"><div class="{CSS_CLASS}" id="{uid}" role="group" '
            f'aria-label="{html.escape(name)} (precomputed settings)">\n'
            f'<div class="pwgf-static-controls">\n{controls_html}\n</div>\n'
            f'<img class="pwgf-static-image" src="{grid["images"][image]}" alt="{html.escape(alt)}"/>\n'
            f'<p class="pwgf-static-summary" aria-live="polite"><small>{html.escape(summary)}</small></p>\n'
            f'<p class="pwgf-static-note"><em>{html.escape(" ".join(note.split()))}</em></p>\n'
            f'<script type="application/json" class="pwgf-static-data">{payload}</script>\n</div></div>')
