r"""The live explorer of chapter ``chap-st-as-pwgf``: one projected-flow step, computed exactly, for a chosen
objective, family, parameter and step size.

The figure shows, on the left, the family member :math:`p_\theta` (bars) and its atoms after one particle step
:math:`z \mapsto z - \epsilon f'(z)` (orange); on the right, the parameter velocity :math:`(\theta' - \theta)/\epsilon`
that each projection gives, beside the exact :math:`-\nabla L(\theta)` (the rows of :data:`ROWS`, in order):

0. the exact :math:`-\mathrm{d}L/\mathrm{d}\theta`;
1. **mean matching** (``def-mean-matching``, ``eq-mean-matching``): minus the straight-through mean
   :math:`\mathbb{E}[f'(Z)]` (``thm-st-pwgf``);
2. the exact :math:`W_2` projection onto the **lattice** family (:func:`pwgf_viz.projection.project_w2`), which
   does not move for small steps (``prop-lattice-degeneracy``);
3. the :math:`W_2` projection of the **dequantised** family at the explorer's step (each lattice cell
   :math:`[k, k+1)` moved by :math:`-\epsilon f'(k)`, projected numerically by
   :func:`~pwgf_viz.projection.project_w2` ``("dequantised_bernoulli" / "dequantised_poisson")``);
4. its limit :math:`\epsilon \to 0` in closed form, with the pWGF weight :math:`w` of
   :func:`pwgf_viz.layers.pwgf_weight`: :math:`-3p(1-p)\,\mathbb{E}[f'(Z)w(Z)] = -\tfrac32 p(1-p)(f'(0)+f'(1))`
   (Bernoulli, ``thm-bernoulli-trapezoid``) and :math:`-\mathbb{E}[f'(Z)w(Z)]/(1 + 1/(3\lambda))` (Poisson,
   ``eq-dequantised-projection``).

On the static site the explorer is a grid of precomputed settings (:meth:`PWGFExplorer.static_controls`, see
:mod:`pwgf_viz.explorer_static`).
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .animation import DPI
from .exact import exact_gradient
from .explorer import Explorer, fallback_html, figure_png
from .explorer_static import Control, value_text
from .layers import pwgf_weight
from .objectives import Objective, quadratic
from .ot1d import discrete_distribution
from .projection import particle_step, project_w2
from .validation import check_parameter, check_positive


def _cubic(z):  # noqa: ANN001, ANN202 - torch in, torch out
    return (z.reshape(z.shape[0], -1) ** 3).sum(-1) / 10


#: Preset objectives of the explorer.
OBJECTIVES: dict[str, Objective] = {
    "(z - 0.45)^2": quadratic(0.45),
    "(z - 2.5)^2": quadratic(2.5),
    "z^3 / 10": Objective("z^3/10", _cubic),
}
#: Rows of the velocity panel, top to bottom.
ROWS = ("exact  -dL/dθ", "mean matching (= -ST)", "lattice W2 projection", "dequantised W2, step ε",
        "dequantised W2, ε → 0")
_COLORS = ("#000000", "#d62728", "#7f7f7f", "#1f77b4", "#9ecae1")


def dequantised_velocity(f: Objective, family: str, theta: float) -> float:
    r"""The limit :math:`\epsilon \to 0` of the dequantised :math:`W_2`-projected velocity (row 4 of :data:`ROWS`).

    Parameters
    ----------
    f : Objective
        The objective (differentiable in ``z``).
    family : {"bernoulli", "poisson"}
        The lattice family, dequantised (each lattice point :math:`k` spread over :math:`[k, k+1)`).
    theta : float
        The probability :math:`p` or the rate :math:`\lambda`.

    Returns
    -------
    float
        :math:`-3p(1-p)\,\mathbb{E}[f'(Z)w(Z)]` (Bernoulli, ``eq-pwgf-bernoulli``) or
        :math:`-\mathbb{E}[f'(Z)w(Z)]/(1 + 1/(3\lambda))` (Poisson, ``eq-dequantised-projection``), with
        :math:`w` the pWGF weight :func:`pwgf_viz.layers.pwgf_weight`.
    """
    if family not in ("bernoulli", "poisson"):
        raise ValueError(f"family must be 'bernoulli' or 'poisson'; got {family!r}")
    theta = float(check_parameter(family, [theta])[0])
    support, mass = discrete_distribution(family, theta)
    slope = support - particle_step(f, support, 1.0)   # f'(k): a particle step of size 1 is k - f'(k)
    weight = pwgf_weight(family, torch.tensor(theta, dtype=torch.float64),
                         torch.as_tensor(support, dtype=torch.float64)).numpy()
    mean = float(mass @ (slope * weight))
    if family == "bernoulli":
        return -3 * theta * (1 - theta) * mean
    return -mean / (1 + 1 / (3 * theta))


def step_velocities(f: Objective, family: str, theta: float, step: float) -> dict[str, object]:
    r"""One exact projected-flow step from :math:`p_\theta` (``family`` ``"bernoulli"`` or ``"poisson"``).

    Parameters
    ----------
    f : Objective
        The objective.
    family : {"bernoulli", "poisson"}
        The family.
    theta : float
        Its parameter (probability or rate).
    step : float
        The particle step :math:`\epsilon > 0`.

    Returns
    -------
    dict
        ``"support"``, ``"mass"``, ``"moved"`` (the atoms after :math:`z \mapsto z - \epsilon f'(z)`) and
        ``"velocities"``: the five velocities of :data:`ROWS`, in that order (0 exact, 1 mean matching,
        2 lattice :math:`W_2`, 3 dequantised :math:`W_2` at ``step``, 4 its limit, :func:`dequantised_velocity`).
    """
    if family not in ("bernoulli", "poisson"):
        raise ValueError(f"family must be 'bernoulli' or 'poisson'; got {family!r}")
    theta = float(check_parameter(family, [theta])[0])
    step = check_positive(step, "step")
    support, mass = discrete_distribution(family, theta)
    moved = particle_step(f, support, step)
    slope = (support - moved) / step
    exact = -float(exact_gradient(f, family, [theta])[0])
    mean_matching = -float(mass @ slope)
    lattice = project_w2(family, moved, mass)
    dequantised = project_w2(f"dequantised_{family}", moved, mass)
    velocities = np.array([exact, mean_matching, (lattice - theta) / step, (dequantised - theta) / step,
                           dequantised_velocity(f, family, theta)])
    return {"support": support, "mass": mass, "moved": moved, "velocities": velocities}


class PWGFExplorer(Explorer):
    r"""One step of the projected flow, exactly (no sampling): objective, family, parameter and step size.

    Controls: the objective (:data:`OBJECTIVES`), the family, :math:`p` (Bernoulli) or :math:`\lambda` (Poisson),
    and :math:`\epsilon`. :meth:`update` redraws and records :attr:`last_redraw_seconds`.

    Parameters
    ----------
    objective : str, default "(z - 0.45)^2"
        A key of :data:`OBJECTIVES`.
    family : {"bernoulli", "poisson"}, default "bernoulli"
        The family.
    p : float, default 0.3
        The Bernoulli probability, in [0.02, 0.98].
    rate : float, default 4.0
        The Poisson rate, in [0.2, 20].
    step : float, default 0.05
        The step size :math:`\epsilon`, one of 0.01, 0.02, 0.05, 0.1, 0.2.
    """

    SETTINGS = ("objective", "family", "p", "rate", "step")
    TITLE = "Projected-step explorer"

    def __init__(self, objective: str = "(z - 0.45)^2", family: str = "bernoulli", p: float = 0.3,
                 rate: float = 4.0, step: float = 0.05) -> None:
        self.objective = w.Dropdown(options=list(OBJECTIVES), value=objective, description="f(z)")
        self.family = w.Dropdown(options=["bernoulli", "poisson"], value=family, description="family")
        self.p = w.FloatSlider(value=p, min=0.02, max=0.98, step=0.01, description="p")
        self.rate = w.FloatSlider(value=rate, min=0.2, max=20.0, step=0.1, description="rate λ")
        self.step = w.SelectionSlider(options=[0.01, 0.02, 0.05, 0.1, 0.2], value=step, description="step ε")
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.stats = w.HTML()
        self._figure: tuple[Figure, dict] | None = None
        self._watch()
        self.widget = w.VBox([w.HBox([self.objective, self.family]), w.HBox([self.p, self.rate]), self.step,
                              self.image, self.stats])
        self.update()

    def _canvas(self) -> tuple[Figure, dict]:
        fig = Figure(figsize=(7.2, 2.5), dpi=DPI)
        FigureCanvasAgg(fig)
        left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.18, top=0.88, wspace=0.75)
        right.barh(np.arange(len(ROWS)), np.zeros(len(ROWS)), color=_COLORS)
        right.set_yticks(np.arange(len(ROWS)), ROWS, fontsize="small")
        right.invert_yaxis()
        right.axvline(0, color="0.5", lw=0.8)
        right.tick_params(labelsize=7)
        right.set_xlabel("parameter velocity (θ' - θ)/ε", fontsize="small")
        left.tick_params(labelsize=7)
        left.set_xlabel("z", fontsize="small")
        left.set_ylabel("mass", fontsize="small")
        for axis in (left.xaxis, left.yaxis, right.xaxis):   # few tick labels: text dominates the redraw time
            axis.set_major_locator(MaxNLocator(4))
        return fig, {"left": left, "right": right, "bars": right.patches,
                     "title": left.set_title("", fontsize="small"), "values": []}

    def _render(self, objective: str, family: str, p: float, rate: float, step: float) -> tuple[Figure, str]:
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {list(OBJECTIVES)}; got {objective!r}")
        theta = p if family == "bernoulli" else rate
        result = step_velocities(OBJECTIVES[objective], family, theta, step)
        if self._figure is None:
            self._figure = self._canvas()
        fig, parts = self._figure
        left = parts["left"]
        for artist in parts["values"]:
            artist.remove()
        keep = result["mass"] > 1e-4
        support, mass, moved = result["support"][keep], result["mass"][keep], result["moved"][keep]
        parts["values"] = [left.vlines(support, 0, mass, color="#1f77b4", lw=4),
                           left.vlines(moved, 0, mass, color="#ff7f0e", lw=2)]
        left.set_xlim(min(support.min(), moved.min()) - 0.3, max(support.max(), moved.max()) + 0.3)
        left.set_ylim(0, 1.1 * mass.max())
        parts["title"].set_text(f"p_θ (blue), atoms moved by -ε f'(z) (orange), ε = {step:g}")
        v = result["velocities"]
        for bar, value in zip(parts["bars"], v, strict=True):
            bar.set_width(value)
        span = float(np.abs(v).max()) or 1.0
        parts["right"].set_xlim(-1.15 * span if v.min() < 0 else -0.1 * span,
                                1.15 * span if v.max() > 0 else 0.1 * span)
        summary = " · ".join(f"{name}: {value:+.4f}" for name, value in zip(ROWS, v, strict=True))
        return fig, f"{family}, θ = {theta:g}, f(z) = {objective}: {summary}"

    #: Precomputed values of the static stand-in: p near 0, below, at and above 1/2; small to large rates;
    #: small, default and large steps.
    STATIC_P = (0.1, 0.3, 0.5, 0.9)
    STATIC_RATES = (0.5, 2.0, 4.0, 10.0)
    STATIC_STEPS = (0.01, 0.05, 0.2)
    STATIC_NOTE = "p applies to the Bernoulli family, the rate λ to the Poisson family."

    def static_controls(self) -> list[Control]:
        """Every objective and family; :data:`STATIC_P`, :data:`STATIC_RATES`, :data:`STATIC_STEPS`."""
        return [Control("objective", "f(z)", list(OBJECTIVES), "select"),
                Control("family", "family", ["bernoulli", "poisson"], "radio"),
                Control("p", "p", self.STATIC_P), Control("rate", "rate λ", self.STATIC_RATES),
                Control("step", "step ε", self.STATIC_STEPS)]

    def canonical(self, settings: dict[str, object]) -> dict[str, object]:
        """See :meth:`~pwgf_viz.explorer.Explorer.canonical`: the parameter of the other family does not change the
        figure.
        """
        unused = "rate" if settings["family"] == "bernoulli" else "p"
        return {**settings, unused: self.settings()[unused]}

    def describe(self, settings: dict[str, object], summary: str) -> str:
        """See :meth:`~pwgf_viz.explorer.Explorer.describe`: what both panels show for these settings, with every
        velocity.
        """
        theta = settings["p"] if settings["family"] == "bernoulli" else settings["rate"]
        return (f"Left: the {settings['family']} distribution with parameter {value_text(theta)} and its atoms "
                f"after one particle step of size {value_text(settings['step'])}. Right: bars of the parameter "
                f"velocity of each projection. {summary}")

    def fallback(self) -> str:
        fig, summary = self._render(**self.settings())
        return fallback_html(figure_png(fig), alt=summary)
