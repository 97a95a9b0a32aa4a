"""Animations for the static site: matplotlib ``FuncAnimation`` rendered as self-contained JavaScript players.

``to_jshtml`` embeds one PNG per frame, so every animation here keeps its frame count and figure size
small (a page must stay under 3 MB): :data:`MAX_FRAMES` frames at :data:`DPI` dots per inch.

A player also carries a still (``image/png``: its last frame at full size, captioned, see :func:`still_png`) that
the PDF shows in its place; the web page shows only the player.
"""

from __future__ import annotations

import base64
import html as html_escape
import io
import re
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML
from matplotlib.animation import FuncAnimation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image  # matplotlib's own image library

from .exact import exact_expectation
from .objectives import Objective
from .plots import bernoulli_loss_curve
from .style import ESTIMATOR_STYLES, OKABE_ITO
from .validation import check_count

MAX_FRAMES = 60
DPI = 80
_CDN_STYLESHEET = re.compile(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*"\s*/?>\n?')
# A to_jshtml frame: a JavaScript string literal, continued over lines with "\\" + newline.
_JS_FRAME = re.compile(r'frames\[\d+\] = "data:image/png;base64,([^"]*)"')
_IMG_PNG = re.compile(r'<img[^>]*\bsrc="data:image/png;base64,([^"]+)"')
ALT_PREFIX = "Animation"
SLIDER_LABEL = "Frame of the animation"
# The player's frame and slider, which get ALT_PREFIX alt text and the SLIDER_LABEL label.
_PLAYER_IMG = re.compile(r'<img id="_anim_img(?P<id>[0-9a-f]+)"(?P<rest>[^>]*)>')
_PLAYER_SLIDER = re.compile(r'<input id="_anim_slider(?P<id>[0-9a-f]+)"')
STILL_GAP = 8  # white pixels between the frames of a still
#: Dashes and markers given in turn to the curves of one animation, so that curves that coincide stay apart.
DASHES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P")


def frame_indices(length: int, frames: int) -> np.ndarray:
    """At most ``frames`` indices spread evenly over ``range(length)``, always including the last.

    Parameters
    ----------
    length : int
        Number of steps to choose from, >= 1.
    frames : int
        The most frames, in ``[2, MAX_FRAMES]``.

    Returns
    -------
    numpy.ndarray
        Increasing int indices, from 0 to ``length - 1``, at most ``frames`` of them.
    """
    length = check_count(length, "length", minimum=1)
    frames = check_count(frames, "frames", minimum=2, maximum=MAX_FRAMES)
    return np.unique(np.linspace(0, length - 1, min(frames, length)).round().astype(int))


def descent_animation(paths: Mapping[str, np.ndarray], f: Objective, frames: int = 30,
                      estimators: Sequence[str] | None = None, title: str = "") -> FuncAnimation:
    """Gradient descent on a 1-D Bernoulli parameter under several gradients, as an animation.

    Left: the exact loss :math:`L(p)` with one marker per estimator at :math:`(p_t, L(p_t))`. Right: the
    trajectories :math:`p_t` drawn up to step :math:`t`. ``paths`` maps names to arrays of iterates
    (from :func:`pwgf_viz.descent.sgd_trajectory`), all of the same length. Each estimator keeps its colour and gets
    its own dash (:func:`curve_styles`) and marker (:data:`MARKERS`), so paths that coincide stay distinguishable
    without colour.

    Parameters
    ----------
    paths : mapping of str to numpy.ndarray
        Estimator name to its iterates, each of shape ``(T + 1,)`` or ``(T + 1, 1)``, probabilities in (0, 1), all of
        one length.
    f : callable
        The 1-D Bernoulli objective the paths descend.
    frames : int, default 30
        The most frames, in ``[2, MAX_FRAMES]``.
    estimators : sequence of str, optional
        Which paths to draw, in this order; all of ``paths`` when ``None``.
    title : str, default ""
        The figure's title (the step number is appended).

    Returns
    -------
    matplotlib.animation.FuncAnimation
        The animation (its figure is closed: show it with :func:`player`).
    """
    names = list(estimators or paths)
    if not names:
        raise ValueError("paths must hold at least one trajectory")
    series = {name: np.asarray(paths[name], dtype=float).reshape(len(paths[name]), -1)[:, 0] for name in names}
    lengths = {len(s) for s in series.values()}
    if len(lengths) != 1:
        raise ValueError(f"paths must all have the same length; got lengths {sorted(lengths)}")
    length = lengths.pop()
    for name, s in series.items():
        if s.size == 0 or not (np.isfinite(s).all() and ((s > 0) & (s < 1)).all()):
            raise ValueError(f"paths[{name!r}] must be a non-empty trajectory of Bernoulli probabilities in (0, 1)")
    losses = {name: np.array([exact_expectation(f, "bernoulli", [p]) for p in s]) for name, s in series.items()}
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.5, 2.9), dpi=DPI)
    bernoulli_loss_curve(f, left)
    left.lines[-1].set_color("0.6")  # grey: black is the exact estimator's colour
    right.set_xlim(0, length - 1)
    right.set_ylim(0, 1)
    right.set_xlabel("step $t$")
    right.set_ylabel("$p_t$")
    markers, lines = {}, {}
    for name, (color, dash), marker in zip(names, curve_styles(names), MARKERS * len(names), strict=False):
        (markers[name],) = left.plot([], [], marker, color=color, ms=7, mfc="none", mew=1.6, label=name)
        # The right-hand curve carries the marker at its newest point, so the legend shows dash and marker.
        (lines[name],) = right.plot([], [], color=color, ls=dash, lw=1.5, marker=marker, ms=5, mfc="none",
                                    markevery=[-1], label=name)
    left.legend(handles=list(lines.values()), fontsize="small", frameon=False, loc="best")
    caption = fig.suptitle(title, fontsize="large")
    fig.tight_layout()
    steps = np.arange(length)

    def draw(t: int) -> list:
        for name in names:
            markers[name].set_data([series[name][t]], [losses[name][t]])
            lines[name].set_data(steps[: t + 1], series[name][: t + 1])
        caption.set_text(f"{title}  step {t}" if title else f"step {t}")
        return [*markers.values(), *lines.values(), caption]

    anim = FuncAnimation(fig, draw, frames=frame_indices(length, frames), blit=False)
    plt.close(fig)
    return anim


def curve_styles(names: Sequence[str]) -> list[tuple[str, str]]:
    """Colour and dash of each curve of one figure: the estimator's own (:data:`pwgf_viz.style.ESTIMATOR_STYLES`),
    with the dash moved to the next free one of :data:`DASHES` when an earlier curve already has it.

    Parameters
    ----------
    names : sequence of str
        The curves, in drawing order; names outside the estimator styles get an Okabe-Ito colour in turn.

    Returns
    -------
    list of (str, str)
        ``(color, linestyle)`` per name; the dashes differ while there are at most ``len(DASHES)`` curves.
    """
    if isinstance(names, str) or not all(isinstance(name, str) for name in names):
        raise TypeError(f"names must be a sequence of curve names (str); got {names!r}")
    spare = [c for c in OKABE_ITO.values() if c not in {c for c, _ in ESTIMATOR_STYLES.values()}]
    spare = spare or list(OKABE_ITO.values())
    styles, used = [], set()
    for i, name in enumerate(names):
        color, dash = ESTIMATOR_STYLES.get(name, (spare[i % len(spare)], DASHES[0]))
        if dash in used:
            dash = next((d for d in DASHES if d not in used), dash)
        used.add(dash)
        styles.append((color, dash))
    return styles


def animation_figure(anim: FuncAnimation) -> plt.Figure:
    """The figure an animation draws on, e.g. to restyle or check it before :func:`player` renders it.

    Parameters
    ----------
    anim : matplotlib.animation.FuncAnimation
        An animation of this module (or any ``FuncAnimation``).

    Returns
    -------
    matplotlib.figure.Figure
        Its figure (closed: it is not shown on its own).
    """
    if not isinstance(anim, FuncAnimation):
        raise TypeError(f"anim must be a matplotlib FuncAnimation; got {type(anim).__name__}")
    return anim._fig  # matplotlib keeps the figure there and offers no public accessor


def html_frames(html: str) -> list[bytes]:
    """The PNG frames embedded in HTML: those of a ``to_jshtml`` player, else every ``<img>`` with PNG data.

    Parameters
    ----------
    html : str
        A player's HTML, or any HTML.

    Returns
    -------
    list of bytes
        The PNG files, in order (empty if there is none).
    """
    if not isinstance(html, str):
        raise TypeError(f"html must be a string; got {type(html).__name__}")
    encoded = [m.replace("\\\n", "") for m in _JS_FRAME.findall(html)] or _IMG_PNG.findall(html)
    return [base64.b64decode(data) for data in encoded]


def still_caption(picked: Sequence[int], total: int) -> str:
    """The caption printed under the still of an animation: which frames it shows, and where the rest is.

    Parameters
    ----------
    picked : sequence of int
        The 0-based frames shown, increasing.
    total : int
        The number of frames of the animation.

    Returns
    -------
    str
        E.g. ``"Frame 24 of 24 of the animation (the web edition plays them all)."``.
    """
    shown = ", ".join(str(k + 1) for k in picked)
    noun = "Frame" if len(picked) == 1 else "Frames"
    return f"{noun} {shown} of {total} of the animation (the web edition plays them all)."


def _caption_strip(text: str, width: int) -> Image.Image:
    """``text`` in 11-point type on a white strip ``width`` pixels wide (at 100 dpi), as a PIL image."""
    fig = Figure(figsize=(width / 100, 0.36), dpi=100, facecolor="white")
    fig.text(0.01, 0.5, text, fontsize=11, va="center", ha="left", fontstyle="italic")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")


def still_png(html: str, frames: int | None = None) -> bytes | None:
    """A still of an animation (or of a widget's fallback) for print, as PNG bytes: its last frame, full size,
    with a caption that says which frame it is.

    The printed page shows one large frame (the state the animation reaches), not thumbnails too small to read;
    ``frames`` asks for that many frames, evenly spread from the first to the last, one under the other at full
    width. The caption (:func:`still_caption`) is drawn under them. HTML without a player gives its first
    embedded PNG image unchanged, and HTML without any gives ``None``.

    Parameters
    ----------
    html : str
        A player's HTML, or any HTML.
    frames : int, optional
        Frames in the still, in ``[1, MAX_FRAMES]``; by default 1, the last.

    Returns
    -------
    bytes or None
        The PNG file, or ``None``.
    """
    if frames is not None:
        frames = check_count(frames, "frames", minimum=1, maximum=MAX_FRAMES)
    pngs = html_frames(html)
    if not pngs:
        return None
    if _JS_FRAME.search(html) is None:
        return pngs[0]
    count = min(frames or 1, len(pngs))
    picked = [len(pngs) - 1] if count == 1 else \
        list(np.unique(np.linspace(0, len(pngs) - 1, count).round().astype(int)))
    images = [Image.open(io.BytesIO(pngs[i])).convert("RGB") for i in picked]
    width = max(im.width for im in images)
    caption = _caption_strip(still_caption(picked, len(pngs)), width)
    height = sum(im.height for im in images) + STILL_GAP * (len(images) - 1)
    still = Image.new("RGB", (width, height + caption.height), "white")
    top = 0
    for im in images:
        still.paste(im, (0, top))
        top += im.height + STILL_GAP
    still.paste(caption, (0, height))
    buffer = io.BytesIO()
    still.save(buffer, format="png", optimize=True)
    return buffer.getvalue()


def plain_text(label: str) -> str:
    """A matplotlib label for a screen reader: TeX's ``$``, braces and backslashes dropped (``$\\mu_t$`` reads
    ``mu_t``), font commands (``\\mathrm`` ...) removed.

    Parameters
    ----------
    label : str
        A title or axis label, possibly with TeX.

    Returns
    -------
    str
        The label as plain text.
    """
    if not isinstance(label, str):
        raise TypeError(f"label must be a string; got {type(label).__name__}")
    text = re.sub(r"\\(?:mathrm|mathbf|mathcal|operatorname|text|left|right)\b", "", label)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    text = re.sub(r"[${}\\]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def figure_alt(fig: plt.Figure) -> str:
    """Alt text for an animated figure: its title (``suptitle``) and the titles of its panels (or, for a panel
    without a title, what it plots: "y label against x label").

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The animated figure, before its first frame is drawn.

    Returns
    -------
    str
        "Animation: <title>. panels: <panel>; ...", or "Animation" for a figure without any title or labels.
    """
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    panels = [plain_text(ax.get_title() or f"{ax.get_ylabel()} against {ax.get_xlabel()}")
              for ax in fig.axes if ax.get_title() or (ax.get_xlabel() and ax.get_ylabel())]
    parts = [plain_text(suptitle)] if suptitle.strip() else []
    if panels:
        parts.append("panels: " + "; ".join(panels))
    return f"{ALT_PREFIX}: " + ". ".join(parts) if parts else ALT_PREFIX


def accessible_player(html: str, alt: str) -> str:
    """A ``to_jshtml`` player with alt text on its frame image and a label on its frame slider.

    matplotlib's player has buttons with ``aria-label`` but an ``<img>`` without ``alt`` and an unlabelled
    ``<input type="range">`` (axe-core: critical violations ``image-alt`` and ``label``). Players that already
    have them are left as they are, so this can run twice (``player`` and the book's Sphinx extension, which
    fixes outputs served from the execution cache).

    Parameters
    ----------
    html : str
        The player's HTML.
    alt : str
        The text every frame stands for (the image element is the same for all frames).

    Returns
    -------
    str
        The HTML with ``alt`` on the frame image and ``aria-label`` on the slider.
    """
    if not isinstance(html, str):
        raise TypeError(f"html must be a string; got {type(html).__name__}")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt must be a non-empty string; got {alt!r}")
    escaped = html_escape.escape(alt.strip(), quote=True)

    def img(match: re.Match) -> str:
        if re.search(r"\balt=", match["rest"]):
            return match[0]
        return f'<img id="_anim_img{match["id"]}" alt="{escaped}"{match["rest"]}>'

    html = _PLAYER_IMG.sub(img, html)
    if f'aria-label="{SLIDER_LABEL}"' in html:
        return html
    return _PLAYER_SLIDER.sub(lambda m: f'{m[0]} aria-label="{SLIDER_LABEL}"', html)


class AnimationPlayer(HTML):
    """The HTML of a ``to_jshtml`` player (``text/html``, what the web page shows) that also offers a still
    (``image/png``, :func:`still_png`), which the LaTeX/PDF builder picks because it cannot show HTML.

    Parameters
    ----------
    data : str
        The player's HTML (as for :class:`IPython.display.HTML`).
    """

    def _repr_png_(self) -> bytes | None:
        return still_png(self.data)


def player(anim: FuncAnimation, fps: int = 8, name: str | None = None, alt: str | None = None) -> AnimationPlayer:
    """A self-contained JavaScript player (``to_jshtml``) that runs on the static site without a kernel.

    matplotlib's player links a Font Awesome stylesheet from a CDN for its button icons; the link is removed so
    the page loads nothing from the network (the book's theme ships Font Awesome itself). The result displays as
    the player on the web and as a still of three frames in the PDF (:class:`AnimationPlayer`). Frames are drawn
    at the figure's own dpi (:data:`DPI` for the figures of this package), whatever ``savefig.dpi`` says. Under
    ``python -m pwgf_viz.export`` the animation is also written to files (GIF, PNG still, MP4), named after the
    chapter and ``name`` (default: the section). The frame image carries ``alt`` (default: the figure's title
    and panel titles, :func:`figure_alt`) and the slider a label (:func:`accessible_player`).

    Parameters
    ----------
    anim : matplotlib.animation.FuncAnimation
        The animation (e.g. of :func:`descent_animation`).
    fps : int, default 8
        Frames per second, in [1, 60].
    name : str, optional
        Stem of the exported files.
    alt : str, optional
        Alt text, non-empty; by default :func:`figure_alt` of the animation's figure.

    Returns
    -------
    AnimationPlayer
        The player, with its still.
    """
    fps = check_count(fps, "fps", minimum=1, maximum=60)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a string naming the animation's files, or None; got {type(name).__name__}")
    if alt is not None and (not isinstance(alt, str) or not alt.strip()):
        raise ValueError(f"alt must be a non-empty string or None; got {alt!r}")
    # Before to_jshtml: the titles as they stand before any frame is drawn.
    alt = alt or figure_alt(animation_figure(anim))
    # Frames at the animation's own dpi (DPI), not at the still figures' savefig.dpi of pwgf_viz.style: the
    # frame count and size above keep a page under 3 MB only at DPI.
    with plt.rc_context({"savefig.dpi": "figure"}):
        jshtml = anim.to_jshtml(fps=fps, default_mode="once")
    shown = AnimationPlayer(accessible_player(_CDN_STYLESHEET.sub("", jshtml), alt))
    from .export import record_animation  # a no-op unless the chapter runs under pwgf_viz.export

    record_animation(anim, shown, fps=fps, name=name)
    return shown
