"""The figure style: every estimator has its own look, from a colour-blind-safe palette."""

import matplotlib as mpl
import pytest

from pwgf_viz import ESTIMATORS, style


def test_every_estimator_has_a_style():
    missing = set(ESTIMATORS) - set(style.ESTIMATOR_STYLES)
    assert not missing, f"estimators without a colour and dash: {sorted(missing)}"


def test_no_two_estimators_look_alike():
    looks = list(style.ESTIMATOR_STYLES.values())
    assert len(set(looks)) == len(looks)


def test_colours_come_from_the_palette():
    assert set(style.COLORS.values()) <= set(style.OKABE_ITO.values())


def test_use_sets_legible_sizes():
    with mpl.rc_context():
        style.use()
        assert mpl.rcParams["font.size"] >= 10
        assert mpl.rcParams["figure.dpi"] >= 100


def test_line_style_rejects_unknown_names():
    assert style.line_style("st") == {"color": style.COLORS["st"], "linestyle": "-"}
    with pytest.raises(ValueError, match="name must be one of"):
        style.line_style("nope")
    with pytest.raises(TypeError, match="name must be a string"):
        style.line_style(3)
