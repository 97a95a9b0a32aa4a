r"""The flow explorer of chapter 3: particles of a 1-D cloud following :math:`-\nabla f` (or Langevin dynamics).

The potential is a preset or an expression in ``z`` typed by the reader, parsed by SymPy from a whitelist of
names and characters (never evaluated as Python), and turned into NumPy functions for :math:`f` and
:math:`f'`. Like :class:`pwgf_viz.explorer_estimator.EstimatorExplorer`, the explorer displays as a live widget plus a
``text/html`` fallback; here the fallback is a pre-rendered animation of the flow at the default settings.
"""

from __future__ import annotations

import functools
import re

import ipywidgets as w
import numpy as np
import sympy
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

from .animation import DPI, player
from .animation_flows import density_flow_animation, step_times
from .explorer import FALLBACK_NOTE, Explorer
from .explorer_static import Control, value_text
from .flows import Potential, euler_flow, functional_values, langevin_flow
from .validation import check_count, check_positive

#: Preset potentials of the explorer, as expressions in ``z``.
PRESETS: dict[str, str] = {
    "double well": "(z^2 - 1)^2",
    "tilted double well": "(z^2 - 1)^2 + 0.5*z",
    "quadratic": "z^2/2",
    "triple well": "z^6/6 - 1.2*z^4 + 2*z^2",
    "cosine ripple": "z^2/4 + 0.5*cos(4*z)",
}
_FUNCTIONS = {"exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "sin": sympy.sin, "cos": sympy.cos,
              "tanh": sympy.tanh, "cosh": sympy.cosh, "abs": sympy.Abs, "pi": sympy.pi}
_ALLOWED_CHARS = re.compile(r"^[0-9A-Za-z+\-*/^(). ]*$")
_NAME = re.compile(r"[A-Za-z_]\w*")
#: The explorer's plotting range, and where :math:`e^{-f/T}` is normalised.
RANGE = (-2.5, 2.5)
_WIDE = np.linspace(-6.0, 6.0, 4001)


@functools.lru_cache(maxsize=64)
def parse_potential(expression: str) -> Potential:
    """A :class:`~pwgf_viz.flows.Potential` in ``d = 1`` from an expression in ``z`` such as ``"(z^2 - 1)^2"``.

    Accepted: numbers, ``z``, ``+ - * / ^ **``, parentheses and the names ``exp log sqrt sin cos tanh cosh abs
    pi``. The expression must be real and finite, with a finite derivative, on the explorer's range; otherwise
    a ``ValueError`` names ``expression``.
    """
    if not isinstance(expression, str):
        raise TypeError(f"expression must be a string such as '(z^2 - 1)^2'; got {type(expression).__name__}")
    text = expression.strip()
    if not text or len(text) > 200:
        raise ValueError(f"expression must be a non-empty formula in z of at most 200 characters; got {expression!r}")
    if not _ALLOWED_CHARS.match(text) or re.search(r"\.\s*[A-Za-z_]", text):
        raise ValueError(f"expression may hold only numbers, z, + - * / ^, parentheses and the functions "
                         f"{', '.join(sorted(_FUNCTIONS))}; got {expression!r}")
    unknown = sorted({name for name in _NAME.findall(text) if name != "z" and name not in _FUNCTIONS})
    if unknown:
        raise ValueError(f"expression uses unknown name(s) {unknown}; it accepts z and "
                         f"{', '.join(sorted(_FUNCTIONS))}")
    z = sympy.Symbol("z", real=True)
    try:
        expr = parse_expr(text, local_dict={"z": z, **_FUNCTIONS}, global_dict={
            "Integer": sympy.Integer, "Float": sympy.Float, "Rational": sympy.Rational, "Symbol": sympy.Symbol},
            transformations=(*standard_transformations, convert_xor))
    except Exception as err:  # tokenizer, parser and SymPy errors alike: the formula is malformed
        raise ValueError(f"expression {expression!r} is not a valid formula in z: {err}") from None
    if not isinstance(expr, sympy.Expr) or expr.free_symbols - {z}:
        raise ValueError(f"expression must be a formula in z alone; got {expression!r}")
    derivative = sympy.diff(expr, z)
    if any(e.has(sympy.zoo, sympy.oo, sympy.nan, sympy.I) for e in (expr, derivative)):
        raise ValueError(f"expression must be real and finite; got {expression!r}")
    value = sympy.lambdify(z, expr, "numpy")
    slope = sympy.lambdify(z, derivative, "numpy")
    probe = np.linspace(*RANGE, 201)
    with np.errstate(all="ignore"):
        samples = [np.asarray(fn(probe)) for fn in (value, slope)]
    if not all(s.dtype.kind in "iuf" and np.isfinite(s).all() for s in samples):
        raise ValueError(f"expression must be real and finite, with a finite derivative, on z in {list(RANGE)}; "
                         f"got {expression!r}")

    def f(points: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.asarray(value(points[..., 0]), dtype=np.float64), points.shape[:-1])

    def grad(points: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.asarray(slope(points), dtype=np.float64), points.shape)

    return Potential(text, sympy.latex(expr), f, grad)


def gibbs_on_range(potential: Potential, temperature: float, grid: np.ndarray) -> np.ndarray | None:
    r""":math:`e^{-f/T}/Z` on ``grid``, :math:`Z` by the trapezoid rule on :math:`[-6, 6]`; ``None`` if that fails.

    Parameters
    ----------
    potential : pwgf_viz.flows.Potential
        A 1-D potential.
    temperature : float
        :math:`T > 0`.
    grid : numpy.ndarray
        Points, shape ``(m,)``.

    Returns
    -------
    numpy.ndarray or None
        The density on ``grid``, shape ``(m,)``, or ``None`` where it overflows or :math:`Z` is not finite and > 0.
    """
    with np.errstate(all="ignore"):
        wide = -potential.f(_WIDE[:, None]) / temperature
        weights = np.exp(wide - wide.max())
        z = np.trapezoid(weights, _WIDE)
        density = np.exp(-potential.f(grid[:, None]) / temperature - wide.max()) / z
    return density if np.isfinite(density).all() and np.isfinite(z) and z > 0 else None


class FlowExplorer(Explorer):
    r"""Particles of a 1-D cloud, started from :math:`N(0, 0.5^2)`, flowing under :math:`-f'` (forward Euler,
    temperature 0) or under Langevin dynamics at temperature :math:`T` (chapter 3).

    Controls: a preset potential or a typed expression in ``z``, the number of particles, the step :math:`h`,
    the final time and the temperature. The figure shows the histogram of the cloud at time 0 (outline) and
    at the final time (filled), :math:`f` (grey), and :math:`e^{-f/T}/Z` (dashed) when :math:`T > 0`.
    :meth:`update` redraws and records :attr:`last_redraw_seconds`.

    Parameters
    ----------
    expression : str, default PRESETS["tilted double well"]
        The potential, a preset of :data:`PRESETS` or an expression in ``z``.
    particles : int, default 1000
        One of 100, 300, 1000, 3000.
    step : float, default 0.02
        One of 0.005, 0.01, 0.02, 0.05, 0.1.
    final_time : float, default 3.0
        In [0.1, 5].
    temperature : float, default 0.5
        In [0, 2].
    seed : int, default 0
        Seed of the initial cloud and of the Langevin noise, in ``[0, 2**63 - 1]``.
    """

    SETTINGS = ("expression", "particles", "step", "final_time", "temperature")
    TITLE = "Flow explorer"

    def __init__(self, expression: str = PRESETS["tilted double well"], particles: int = 1_000, step: float = 0.02,
                 final_time: float = 3.0, temperature: float = 0.5, seed: int = 0) -> None:
        self.seed = check_count(seed, "seed", minimum=0, maximum=2**63 - 1)
        preset = next((name for name, expr in PRESETS.items() if expr == expression), None)
        self.preset = w.Dropdown(options=[*PRESETS, "(typed)"], value=preset or "(typed)", description="f")
        self.expression = w.Text(value=expression, description="f(z) =", continuous_update=False)
        self.particles = w.SelectionSlider(options=[100, 300, 1_000, 3_000], value=particles,
                                           description="particles")
        self.step = w.SelectionSlider(options=[0.005, 0.01, 0.02, 0.05, 0.1], value=step, description="step h")
        self.final_time = w.FloatSlider(value=final_time, min=0.1, max=5.0, step=0.1, description="time")
        self.temperature = w.FloatSlider(value=temperature, min=0.0, max=2.0, step=0.05, description="T")
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.stats = w.HTML()
        self._figure: tuple[Figure, dict] | None = None
        self.preset.observe(self._on_preset, names="value")
        self._watch()
        self.widget = w.VBox([w.HBox([self.preset, self.expression]), w.HBox([self.particles, self.step]),
                              w.HBox([self.final_time, self.temperature]), self.image, self.stats])
        self.update()

    def trajectory(self, expression: str, particles: int, step: float, final_time: float,
                   temperature: float) -> tuple[Potential, np.ndarray, np.ndarray]:
        """The potential, the trajectory ``(steps + 1, particles, 1)`` and its times, for the given settings.

        Parameters
        ----------
        expression : str
            The potential, an expression in ``z`` (:func:`parse_potential`).
        particles : int
            Number of particles, in [1, 100000].
        step : float
            The step :math:`h > 0`.
        final_time : float
            The final time, > 0 (``max(1, round(final_time / step))`` steps).
        temperature : float
            :math:`T \\ge 0`; 0 for the Euler flow, else Langevin dynamics.

        Returns
        -------
        potential : pwgf_viz.flows.Potential
            The parsed potential.
        path : numpy.ndarray
            The particles, shape ``(steps + 1, particles, 1)``.
        times : numpy.ndarray
            The times, shape ``(steps + 1,)``.
        """
        potential = parse_potential(expression)
        particles = check_count(particles, "particles", maximum=100_000)
        step = check_positive(step, "step")
        final_time = check_positive(final_time, "final_time")
        if temperature != 0:
            temperature = check_positive(temperature, "temperature")
        n_steps = max(1, round(final_time / step))
        z0 = 0.5 * np.random.default_rng(self.seed).standard_normal(particles)
        with np.errstate(over="ignore", invalid="ignore"):
            if temperature == 0:
                path = euler_flow(potential.grad, z0, step, n_steps)
            else:
                path = langevin_flow(potential.grad, z0, step, n_steps, temperature, seed=self.seed)
        return potential, path, step_times(step, n_steps)

    def _canvas(self) -> tuple[Figure, dict]:
        """The explorer's figure, drawn once; redraws only change its artists' data (fast, no re-layout)."""
        edges = np.linspace(*RANGE, 61)
        grid = np.linspace(*RANGE, 300)
        fig = Figure(figsize=(5.6, 2.4), dpi=DPI)  # not a pyplot figure: notebooks do not show it
        FigureCanvasAgg(fig)  # one canvas for good: its renderer, and so its mathtext cache, is reused
        ax = fig.add_subplot()
        fig.subplots_adjust(left=0.08, right=0.92, bottom=0.17, top=0.87)
        twin = ax.twinx()
        (f_line,) = twin.plot(grid, grid, color="0.6", lw=1.2)
        twin.tick_params(labelsize=7, colors="0.45")
        zeros = np.zeros(len(edges) - 1)
        start = ax.stairs(zeros, edges, color="0.3", label="$q_0$")
        end = ax.stairs(zeros, edges, fill=True, color="#1f77b4", alpha=0.55, label="$q_t$")
        (gibbs,) = ax.plot(grid, grid, "k--", lw=1.2, label=r"$e^{-f/T}/Z$")
        ax.set_xlim(*RANGE)
        ax.set_xlabel("$z$", fontsize="small", labelpad=1)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize="small", frameon=False, loc="upper left")
        ax.set_zorder(twin.get_zorder() + 1)
        ax.patch.set_visible(False)
        return fig, {"ax": ax, "twin": twin, "f": f_line, "start": start, "end": end, "gibbs": gibbs,
                     "edges": edges, "grid": grid, "title": ax.set_title("", fontsize="medium"),
                     "time": ax.text(0.99, 0.97, "", transform=ax.transAxes, ha="right", va="top", fontsize="small")}

    def figure(self, expression: str, particles: int, step: float, final_time: float,
               temperature: float) -> tuple[Figure, str]:
        """The still frame at the final time (histograms of :math:`q_0` and :math:`q_t`, :math:`f`, and
        :math:`e^{-f/T}/Z` if :math:`T > 0`) and its one-line summary.

        Parameters
        ----------
        expression, particles, step, final_time, temperature
            The settings, as in :meth:`trajectory`.

        Returns
        -------
        figure : matplotlib.figure.Figure
            The explorer's figure (the same object at every call).
        summary : str
            :math:`\\mathbb{E}_q[f]` at both times, the number of steps and the share of particles outside the plot.
        """
        potential, path, times = self.trajectory(expression, particles, step, final_time, temperature)
        if self._figure is None:
            self._figure = self._canvas()
        fig, parts = self._figure
        edges, grid = parts["edges"], parts["grid"]
        heights = [np.histogram(path[k, :, 0], edges)[0] / (particles * np.diff(edges)) for k in (0, -1)]
        parts["start"].set_data(heights[0])
        parts["end"].set_data(heights[1])
        gibbs = gibbs_on_range(potential, temperature, grid) if temperature > 0 else None
        parts["gibbs"].set_visible(gibbs is not None)
        if gibbs is not None:
            parts["gibbs"].set_ydata(gibbs)
        top = max(float(np.max(heights)), 0.0 if gibbs is None else float(gibbs.max()))
        parts["ax"].set_ylim(0, 1.15 * top)
        values = potential.f(grid[:, None])
        parts["f"].set_ydata(values)
        span = float(values.max() - values.min()) or 1.0
        parts["twin"].set_ylim(values.min() - 0.05 * span, values.max() + 0.05 * span)
        # Mathtext is parsed once per distinct string (cached): keep what changes with every move in plain text.
        parts["title"].set_text(f"$f(z) = {potential.latex}$")
        kind = f"Langevin, T = {temperature:g}" if temperature else "Euler"
        parts["time"].set_text(f"{kind} particles\nt = {times[-1]:g}")
        energy = functional_values(potential.f, path[[0, -1]])
        outside = float(np.mean((path[-1] < RANGE[0]) | (path[-1] > RANGE[1])))
        summary = (f"E_q[f]: {energy[0]:.4f} at t = 0, {energy[1]:.4f} at t = {times[-1]:g} · "
                   f"{len(times) - 1} steps · {100 * outside:.1f}% of particles outside the plot")
        return fig, summary

    def _render(self, **settings: object) -> tuple[Figure, str]:
        return self.figure(**settings)

    #: Precomputed values of the static stand-in: every preset, early / middle / default final time, the
    #: Euler flow and two temperatures, fewer and the default number of particles (the step stays at its default).
    STATIC_TIMES = (0.5, 1.5, 3.0)
    STATIC_TEMPERATURES = (0.0, 0.5, 1.5)
    STATIC_PARTICLES = (300, 1_000)
    STATIC_DPI = 72

    @property
    def STATIC_NOTE(self) -> str:  # noqa: N802 - overrides the base class's constant
        return f"The step stays at h = {value_text(self.step.value)}; typed potentials need the live explorer."

    def static_controls(self) -> list[Control]:
        """The presets (:data:`PRESETS`), :data:`STATIC_TIMES`, :data:`STATIC_TEMPERATURES`,
        :data:`STATIC_PARTICLES`."""
        return [Control("expression", "f", list(PRESETS.values()), "select", names=list(PRESETS)),
                Control("final_time", "time", self.STATIC_TIMES),
                Control("temperature", "T", self.STATIC_TEMPERATURES),
                Control("particles", "particles", self.STATIC_PARTICLES, "radio")]

    def describe(self, settings: dict[str, object], summary: str) -> str:
        """See :meth:`~pwgf_viz.explorer.Explorer.describe`: the histograms shown for these settings, with the summary's
        numbers.
        """
        temperature = settings["temperature"]
        kind = f"Langevin dynamics at T = {value_text(temperature)}" if temperature else "the Euler flow"
        gibbs = ", with the Gibbs density exp(-f/T)/Z dashed" if temperature else ""
        return (f"Histograms of {settings['particles']} particles at time 0 (outline) and after "
                f"{kind} to time {value_text(settings['final_time'])} (filled), for f(z) = "
                f"{settings['expression']} (grey curve){gibbs}. {summary}")

    def _on_preset(self, change: dict) -> None:
        if change["new"] in PRESETS:
            self.expression.value = PRESETS[change["new"]]

    def fallback(self, frames: int = 16) -> str:
        """The pre-rendered fallback at the current (default) settings: an animation player of the flow.

        The player's image starts on the last frame (``src`` set in the HTML), so a reader without JavaScript
        still sees where the flow ends; the player's script switches to the first frame when the page loads.

        Parameters
        ----------
        frames : int, default 16
            Frames of the player, in [2, 40] (:data:`pwgf_viz.animation_flows.MAX_FLOW_FRAMES`).

        Returns
        -------
        str
            The player's HTML.
        """
        settings = self.settings()
        potential, path, times = self.trajectory(**settings)
        temperature = settings["temperature"]
        grid = np.linspace(*RANGE, 400)
        gibbs = gibbs_on_range(potential, temperature, grid) if temperature > 0 else None
        target = None if gibbs is None else (lambda points: np.interp(points, grid, gibbs))
        kind = f"Langevin particles, $T = {temperature:g}$" if temperature else "Euler particles"
        anim = density_flow_animation(path, times, potential, xlim=RANGE, bins=50, target=target,
                                      target_label=r"$e^{-f/T}/Z$", frames=frames, title=kind)
        html = player(anim).data
        # The frames are JavaScript string literals continued over lines ("\\" + newline): join them.
        last = re.findall(r'frames\[\d+\] = "(data:image/png;base64,[^"]*)"', html)[-1].replace("\\\n", "")
        html = re.sub(r'<img id="(_anim_img\w+)"', lambda m: f'<img id="{m[1]}" src="{last}" alt="{kind}"', html,
                      count=1)
        return f'<div class="pwgf-widget-fallback">{html}<p><em>{FALLBACK_NOTE}</em></p></div>'
