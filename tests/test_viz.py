"""Tests of the book's figures, animations, explorers, comparisons and descent helpers."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import pwgf_viz as pv  # noqa: E402
from pwgf_viz import animation, compare, descent, explorer_estimator, objectives, plots, projection  # noqa: E402

TOY = objectives.quadratic(0.45)


def test_estimator_stats_matches_direct_computation() -> None:
    problem = compare.Problem("toy", TOY, "bernoulli", [0.3])
    samples = pv.gradient_samples("reinforce", TOY, "bernoulli", [0.3], 5_000, seed=3)
    stats = compare.estimator_stats(problem, "reinforce", 5_000, seed=3)
    # Exact gradient of the toy: f(1) - f(0) = 1 - 2 * 0.45 = 0.1.
    assert stats.exact.item() == pytest.approx(0.1, abs=1e-12)
    assert stats.bias == pytest.approx(abs(samples.mean().item() - 0.1), rel=1e-9)
    assert stats.std == pytest.approx(samples.std().item(), rel=1e-9)
    assert stats.bias_se == pytest.approx(samples.std().item() / np.sqrt(5_000), rel=1e-9)


def test_comparison_skips_unsupported_families_and_table_leaves_them_blank() -> None:
    problems = [compare.Problem("poisson", objectives.quadratic(2.5), "poisson", [4.0])]
    stats = compare.comparison(problems, ["st", "arm"], n=1_000)
    assert [s.estimator for s in stats] == ["st"]
    table = compare.markdown_table(stats, ["st", "arm"]).splitlines()
    assert table[0] == "| estimator | poisson |"
    assert table[2] == "| *exact ‖∇L‖* | *4.000* |"   # exact gradient of (z - 2.5)^2 at rate 4: 2 * 4 - 4 = 4
    assert table[3].startswith("| `st` | 0.") and "\u00a0/\u00a0" in table[3] and table[4] == "| `arm` |  |"


def test_problem_rejects_bad_parameter() -> None:
    with pytest.raises(ValueError, match="theta"):
        compare.Problem("bad", TOY, "bernoulli", [1.5])
    with pytest.raises(ValueError, match="family"):
        compare.Problem("bad", TOY, "gaussian", [0.5])


def test_exact_descent_follows_closed_form() -> None:
    # L'(p) = 0.1 everywhere, so p_t = max(0.8 - 0.05 * 0.1 * t, 1e-3).
    path = descent.sgd_trajectory("exact", TOY, "bernoulli", [0.8], lr=0.05, steps=40)
    expected = np.maximum(0.8 - 0.005 * np.arange(41), descent.EDGE)
    np.testing.assert_allclose(path[:, 0], expected, atol=1e-12)


def test_descent_is_reproducible_and_stays_in_range() -> None:
    a = descent.sgd_trajectory("st", TOY, "bernoulli", [0.8], lr=0.5, steps=30, seed=4)
    b = descent.sgd_trajectory("st", TOY, "bernoulli", [0.8], lr=0.5, steps=30, seed=4)
    np.testing.assert_array_equal(a, b)
    assert a.min() >= descent.EDGE and a.max() <= 1 - descent.EDGE


@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"lr": 0.0}, ValueError, "lr"), ({"steps": 0}, ValueError, "steps"), ({"theta0": [1.2]}, ValueError, "theta0"),
    ({"samples_per_step": 1.5}, TypeError, "samples_per_step"), ({"estimator": "arm", "family": "poisson",
                                                                    "theta0": [2.0]}, ValueError, "arm"),
])
def test_descent_bad_input(kwargs: dict, error: type, name: str) -> None:
    args = {"estimator": "st", "f": TOY, "family": "bernoulli", "theta0": [0.5], "lr": 0.1, "steps": 5} | kwargs
    with pytest.raises(error, match=name):
        descent.sgd_trajectory(**args)


def test_moment_step_is_the_st_step() -> None:
    # The projected parameter is p - eps * E[f'(z)] with E[f'(z)] = p f'(1) + (1 - p) f'(0), f'(z) = 2 (z - 0.45).
    for p, eps in ((0.3, 0.05), (0.7, 0.2)):
        step = projection.bernoulli_mean_matching_step(TOY, p, eps)
        expected = p - eps * (p * 2 * 0.55 + (1 - p) * 2 * (-0.45))
        assert step.projected_p == pytest.approx(expected, abs=1e-12)
        assert step.projected_p == pytest.approx(p - eps * pv.exact_st_mean(TOY, "bernoulli", [p]).item(), abs=1e-12)
    with pytest.raises(ValueError, match="step"):
        projection.bernoulli_mean_matching_step(TOY, 0.3, -1.0)


def test_frame_indices() -> None:
    idx = animation.frame_indices(101, 30)
    assert idx[0] == 0 and idx[-1] == 100 and len(idx) == 30 and np.all(np.diff(idx) > 0)
    assert list(animation.frame_indices(5, 30)) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="frames"):
        animation.frame_indices(10, animation.MAX_FRAMES + 1)


def test_descent_animation_player_is_self_contained() -> None:
    paths = {name: descent.sgd_trajectory(name, TOY, "bernoulli", [0.8], lr=0.1, steps=20, seed=0)
             for name in ("exact", "st")}
    anim = animation.descent_animation(paths, TOY, frames=6)
    html = animation.player(anim).data
    assert html.count("data:image/png;base64") == 6
    assert "<script" in html and "anim" in html
    assert "https://" not in html
    with pytest.raises(ValueError, match="same length"):
        animation.descent_animation({"a": np.zeros(3), "b": np.zeros(4)}, TOY)


def test_gradient_histograms() -> None:
    fig = plots.gradient_histograms({"st": np.array([-0.9, 1.1, 1.1]), "arm": np.array([0.0, 0.2])}, 0.1)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="samples"):
        plots.gradient_histograms({}, 0.1)


def test_explorer_redraws_and_offers_a_fallback() -> None:
    explorer = explorer_estimator.EstimatorExplorer(n=100)
    first = bytes(explorer.image.value)
    assert first.startswith(b"\x89PNG")
    explorer.update(p=0.7, estimator="disarm")
    assert bytes(explorer.image.value) != first and explorer.last_redraw_seconds > 0
    assert "disarm" in explorer.stats.value
    # The summary reports the exact gradient of the toy, 1 - 2t = 0.1.
    assert "exact gradient +0.1000" in explorer.stats.value
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"].startswith('<div class="pwgf-widget-fallback"><div class="pwgf-static-explorer"')
    with pytest.raises(TypeError, match="colour"):
        explorer.update(colour="red")


def test_objectives_shapes_and_errors() -> None:
    z = torch.tensor([[0.0, 1.0], [1.0, 1.0]])
    torch.testing.assert_close(objectives.pair_interaction(0.8)(z), torch.tensor([0.04, 1.44]))
    with pytest.raises(ValueError, match="2 coordinates"):
        objectives.pair_interaction()(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="weights"):
        objectives.linear_score([1.0, 2.0])(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="target"):
        objectives.quadratic(float("nan"))


def test_descent_animation_curves_differ_without_colour() -> None:
    # ST and pWGF can coincide: every curve has its own dash and marker, the estimator's own colour.
    names = ("exact", "st", "pwgf", "reinforce")
    paths = {name: np.linspace(0.8, 0.2, 5) for name in names}
    fig = animation.animation_figure(animation.descent_animation(paths, TOY, frames=3))
    left, right = fig.axes
    styles = {(line.get_linestyle(), line.get_marker()) for line in right.lines}
    assert len(styles) == len(names)
    assert [line.get_color() for line in right.lines] == [plots.COLORS[name] for name in names]
    assert [text.get_text() for text in left.get_legend().get_texts()] == list(names)
    assert [dash for _, dash in animation.curve_styles(names)] == ["-", "--", "-.", ":"]


def test_curve_styles_and_animation_figure_reject_bad_input() -> None:
    assert animation.curve_styles(["not_an_estimator"])[0][1] == "-"
    with pytest.raises(TypeError, match="names"):
        animation.curve_styles("st")
    with pytest.raises(TypeError, match="anim"):
        animation.animation_figure(matplotlib.pyplot.figure())


def test_player_frames_at_the_animation_dpi() -> None:
    # The book's style draws still figures at 110 dpi; animation frames stay at animation.DPI (page budget).
    from PIL import Image

    paths = {"st": np.linspace(0.8, 0.4, 4)}
    with matplotlib.rc_context(pv.style.RC_PARAMS):
        html = animation.player(animation.descent_animation(paths, TOY, frames=2)).data
    width, _ = Image.open(io.BytesIO(animation.html_frames(html)[0])).size
    assert width == round(7.5 * animation.DPI)
