"""Part VI estimators (gumbel_rao, zgr, gapped_st, decoupled_st) and the polynomial benchmark."""

import math

import pytest
import torch

from pwgf_viz import beyond_st, layers, polynomial
from pwgf_viz.estimators import ESTIMATORS, gradient_samples
from pwgf_viz.exact import exact_gradient

F64 = torch.float64
NEW = ("gumbel_rao", "zgr", "gapped_st", "decoupled_st")


def f_cubic(z):
    return ((z - 0.45).abs() ** 3).reshape(z.shape[0], -1).sum(-1)


def f_cat(z):
    t = torch.tensor([0.45, 0.3, 0.25], dtype=z.dtype)
    return ((z - t) ** 2).sum(-1).pow(1.5).reshape(z.shape[0], -1).sum(-1)


CASES = [("bernoulli", f_cubic, torch.tensor([0.2, 0.7], dtype=F64)),
         ("categorical", f_cat, torch.tensor([0.3, -1.0, 0.8], dtype=F64))]


def test_registry_entries():
    for name in NEW:
        est = ESTIMATORS[name]
        assert set(est.families) == {"bernoulli", "categorical"}
        assert not est.unbiased
        assert est.evaluations == 1


@pytest.mark.parametrize("family,f,theta", CASES)
def test_gumbel_rao_mean_is_st_gumbel_softmax_mean_and_spread_is_smaller(family, f, theta):
    n = 40_000
    for tau in (0.5, 1.0):
        gs = gradient_samples("st_gumbel_softmax", f, family, theta, n, seed=1, temperature=tau)
        gr = gradient_samples("gumbel_rao", f, family, theta, n, seed=2, temperature=tau, samples=10)
        assert beyond_st.mean_difference_z(gs, gr) < 4.0
        assert beyond_st.spread(gr) < beyond_st.spread(gs)


@pytest.mark.parametrize("family,f,theta", CASES)
def test_zgr_is_pwgf_and_reinmax_draw_by_draw(family, f, theta):
    zgr = gradient_samples("zgr", f, family, theta, 500, seed=3)
    assert torch.allclose(zgr, gradient_samples("pwgf", f, family, theta, 500, seed=3), atol=1e-12)
    assert torch.allclose(zgr, gradient_samples("reinmax", f, family, theta, 500, seed=3), atol=1e-12)


def test_zgr_is_the_zero_temperature_limit_of_gumbel_rao():
    theta = torch.tensor([0.3, -1.0, 0.8], dtype=F64)
    gaps = [beyond_st.zgr_limit_gap(theta, tau, samples=200_000, seed=0) for tau in (0.3, 0.01)]
    assert gaps[1] < 0.02 < gaps[0]


def test_conditional_gumbels_have_the_drawn_argmax():
    theta = torch.tensor([[0.3, -1.0, 0.8], [2.0, 0.0, -3.0]], dtype=F64)
    z = torch.nn.functional.one_hot(torch.tensor([1, 2]), 3).to(F64)
    logits = layers.conditional_gumbel_logits(theta, z, 1000)
    assert (logits.argmax(-1) == torch.tensor([1, 2])).all()
    # The maximum is Gumbel(logsumexp(theta)): mean logsumexp + Euler's gamma.
    top = logits.max(-1).values
    expected = torch.logsumexp(theta, -1) + 0.5772156649
    assert ((top.mean(0) - expected).abs() < 4 * math.pi / math.sqrt(6) / math.sqrt(1000)).all()


@pytest.mark.parametrize("family,f,theta", CASES)
def test_enumerated_means_match_monte_carlo(family, f, theta):
    for name in ("zgr", "gapped_st"):
        exact = beyond_st.enumerated_mean(name, f, family, theta)
        draws = gradient_samples(name, f, family, theta, 40_000, seed=5)
        se = draws.std(0) / math.sqrt(draws.shape[0])
        assert ((draws.mean(0) - exact).abs() < 4 * se + 1e-12).all()


@pytest.mark.parametrize("family,f,theta", CASES)
def test_decoupled_at_equal_temperatures_matches_st_gumbel_softmax(family, f, theta):
    a = gradient_samples("decoupled_st", f, family, theta, 40_000, seed=6, forward_temperature=1.0,
                         backward_temperature=0.5)
    b = gradient_samples("st_gumbel_softmax", f, family, theta, 40_000, seed=7, temperature=0.5)
    assert beyond_st.mean_difference_z(a, b) < 4.0


def test_gapped_logits_put_the_draw_on_top_with_the_margin():
    theta = torch.tensor([0.3, 0.2, -2.0], dtype=F64)
    z = torch.tensor([0.0, 0.0, 1.0], dtype=F64)
    m = layers.gapped_logits(theta, z, 1.0)
    assert m[2] == pytest.approx(0.3)
    assert (m[:2] <= 0.3 - 1.0 + 1e-12).all()


@pytest.mark.parametrize("name,option,value,error", [
    ("gumbel_rao", "samples", 0, ValueError), ("gumbel_rao", "samples", 2.5, TypeError),
    ("gumbel_rao", "temperature", 0.0, ValueError), ("gumbel_rao", "temperature", float("nan"), ValueError),
    ("gapped_st", "gap", -1.0, ValueError), ("gapped_st", "gap", float("inf"), ValueError),
    ("gapped_st", "temperature", -0.5, ValueError),
    ("decoupled_st", "forward_temperature", 0.0, ValueError),
    ("decoupled_st", "backward_temperature", float("inf"), ValueError),
])
def test_bad_options_are_refused_by_name(name, option, value, error):
    with pytest.raises(error, match=option):
        gradient_samples(name, f_cubic, "bernoulli", torch.tensor([0.3], dtype=F64), 4, **{option: value})


def test_unknown_option_is_refused():
    with pytest.raises(TypeError, match="unexpected option"):
        gradient_samples("zgr", f_cubic, "bernoulli", torch.tensor([0.3], dtype=F64), 4, temperature=1.0)


def test_polynomial_exact_loss_matches_monte_carlo():
    omega = torch.randn(3, polynomial.DIMENSION, dtype=F64, generator=torch.Generator().manual_seed(0))
    z = torch.bernoulli(torch.sigmoid(omega).expand(20_000, 3, -1), generator=torch.Generator().manual_seed(1))
    for q in polynomial.EXPONENTS:
        values = polynomial.objective(q)(z)
        se = values.std(0) / math.sqrt(values.shape[0])
        assert ((values.mean(0) - polynomial.exact_loss(omega, q)).abs() < 4 * se).all()


def test_polynomial_run_shapes_and_progress():
    setting = polynomial.Setting(steps=40, every=20, seeds=2)
    record = polynomial.run("reinmax", 2.0, setting)
    assert record["steps"] == [0, 20, 40]
    assert len(record["loss"]) == 2 and len(record["loss"][0]) == 3
    assert all(v > 0 for row in record["loss"] for v in row)


def test_exact_gradient_of_polynomial_coordinate():
    # On one coordinate the exact gradient in p is f(1) - f(0); the trapezoid (ReinMax) mean is (f'(0) + f'(1))/2.
    p = torch.tensor([0.3], dtype=F64)
    assert exact_gradient(f_cubic, "bernoulli", p).item() == pytest.approx(0.55 ** 3 - 0.45 ** 3)
    mean = beyond_st.enumerated_mean("zgr", f_cubic, "bernoulli", p)
    assert mean.item() == pytest.approx(0.5 * (3 * 0.55 ** 2 - 3 * 0.45 ** 2))


def test_categorical_vae_kl_elbo_and_training_step():
    from pwgf_viz import categorical_vae

    torch.manual_seed(0)
    model = categorical_vae.CategoricalVAE(64, 4, 3, "reinmax", hidden=8)
    x = (torch.rand(10, 64) < 0.3).float()
    zero = torch.zeros(10, 3, 4)
    assert torch.allclose(model.kl(zero), torch.zeros(10), atol=1e-6)
    assert (model.kl(torch.randn(10, 3, 4)) > 0).all()
    before = model.negative_elbo(x, samples=20)
    assert math.isfinite(before) and before > 0
    model.training_loss(x).loss.backward()
    assert all(p.grad is not None for p in model.encoder.parameters())
    with pytest.raises(ValueError, match="categorical"):
        categorical_vae.CategoricalVAE(64, 4, 3, "arm")


def test_experiment_script_appends_runs(tmp_path):
    import importlib.util
    from pathlib import Path

    from pwgf_viz.results import load_results

    path = Path(__file__).resolve().parents[1] / "experiments" / "beyond_st.py"
    spec = importlib.util.spec_from_file_location("beyond_st_script", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    common = ["--setting", "quick", "--folder", str(tmp_path), "--exponents", "2"]
    script.main(common + ["--estimators", "st"])
    script.main(common + ["--estimators", "st", "reinmax", "--append"])
    saved = load_results("beyond-st", tmp_path)
    assert [(r["q"], r["estimator"]) for r in saved["records"]] == [(2.0, "st"), (2.0, "reinmax")]
    assert saved["settings"]["finished_runs"] == 2 and saved["settings"]["setting"] == "quick"
