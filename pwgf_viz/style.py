"""The book's figure style: legible sizes and one colour-blind-safe look per estimator.

Every chapter calls :func:`use` once; figures then take sizes from matplotlib's rcParams (``"small"``,
``"medium"``) instead of fixed point sizes, and estimators take :func:`line_style`, so a curve has the same
colour *and* dash in every figure and two curves that coincide stay distinguishable.

The colours are the Okabe-Ito palette (M. Okabe and K. Ito, "Color Universal Design (CUD): how to make figures
and presentations that are friendly to colorblind people", 2008), safe for the common colour-vision
deficiencies; where two estimators share a colour (a family: ST and its variants), their dashes differ.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib as mpl
from cycler import cycler

from .validation import check_choice

#: The Okabe-Ito palette (yellow left out: too little contrast on white).
OKABE_ITO: Mapping[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#666666",
}

_O = OKABE_ITO
#: Colour and dash of each estimator, the same in every figure of the book; no two share both.
ESTIMATOR_STYLES: Mapping[str, tuple[str, str]] = {
    "exact": (_O["black"], "-"),
    "reinforce": (_O["blue"], "-"),
    "reinforce_baseline": (_O["sky_blue"], "-"),
    "st": (_O["vermillion"], "-"),
    "gapped_st": (_O["vermillion"], "--"),
    "decoupled_st": (_O["vermillion"], ":"),
    "gumbel_softmax": (_O["reddish_purple"], "-"),
    "st_gumbel_softmax": (_O["reddish_purple"], "--"),
    "gumbel_rao": (_O["reddish_purple"], ":"),
    "arm": (_O["bluish_green"], "-"),
    "disarm": (_O["bluish_green"], "--"),
    "pwgf": (_O["orange"], "--"),
    "reinmax": (_O["orange"], ":"),
    "zgr": (_O["blue"], "-."),
    "gen_gumbel_softmax": (_O["grey"], "-."),
}

#: Colour of each estimator (the first half of :data:`ESTIMATOR_STYLES`).
COLORS: Mapping[str, str] = {name: color for name, (color, _) in ESTIMATOR_STYLES.items()}

#: The rcParams :func:`use` sets. Still figures are drawn at 110 dpi with 10-point text, so that a figure
#: 7.5 inches wide, shown at a 700-pixel column, has text about 13 pixels high.
RC_PARAMS: Mapping[str, object] = {
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 11,
    "lines.linewidth": 1.6,
    "axes.prop_cycle": cycler(color=[_O[c] for c in ("blue", "vermillion", "bluish_green", "orange",
                                                     "reddish_purple", "sky_blue", "black", "grey")]),
}


def use() -> None:
    """Apply the book's figure style (:data:`RC_PARAMS`) to matplotlib's global rcParams.

    Returns
    -------
    None
    """
    mpl.rcParams.update(RC_PARAMS)


def line_style(name: str) -> dict[str, str]:
    """Keyword arguments for ``plot`` that draw estimator ``name`` in its colour and dash.

    Parameters
    ----------
    name : str
        An estimator of :data:`ESTIMATOR_STYLES` (or ``"exact"``).

    Returns
    -------
    dict
        ``{"color": ..., "linestyle": ...}``.
    """
    check_choice(name, "name", tuple(ESTIMATOR_STYLES))
    color, dash = ESTIMATOR_STYLES[name]
    return {"color": color, "linestyle": dash}
