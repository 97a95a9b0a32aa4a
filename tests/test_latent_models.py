"""pwgf_viz.data, models, train and latent_experiments: ELBOs against exact enumeration, training, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pwgf_viz import data, exact, latent_experiments, models, train
from pwgf_viz.estimators import ESTIMATORS, gradient_samples

torch.set_num_threads(1)


def _tiny_bernoulli(seed: int = 0, n_latent: int = 3, n_features: int = 6, hidden: int | None = None,
                    estimator: str = "st") -> models.BernoulliVAE:
    torch.manual_seed(seed)
    model = models.BernoulliVAE(n_features, n_latent, estimator, hidden=hidden)
    with torch.no_grad():   # spread the weights so the posterior and the likelihood vary
        for p in model.parameters():
            p.mul_(3.0)
    return model


def _tiny_poisson(seed: int = 0) -> models.PoissonFactorVAE:
    torch.manual_seed(seed)
    return models.PoissonFactorVAE(3, 2, "pwgf", prior_rate=1.2)


def _exact_terms(model: models.LatentVAE, x_row: torch.Tensor) -> tuple[float, float, float, float]:
    """Exact ELBO, log p(x), the variance of log p(x|z) under q, and the relative variance of the IW weights."""
    theta = model.latent_parameter(x_row[None]).detach()[0].double()

    def log_lik(z: torch.Tensor) -> torch.Tensor:
        return model.log_likelihood(x_row.expand(z.shape[0], -1), z.float()).double()

    def log_joint(z: torch.Tensor) -> torch.Tensor:
        return log_lik(z) + model.prior_log_prob(z.float()).double()

    family = model.family
    with torch.no_grad():
        recon = exact.exact_expectation(log_lik, family, theta)
        recon_sq = exact.exact_expectation(lambda z: log_lik(z) ** 2, family, theta)
        kl = float(model.kl(theta[None].float())[0])
        kl_enum = exact.exact_expectation(
            lambda z: exact.families.log_prob(family, theta, z) - model.prior_log_prob(z.float()).double(),
            family, theta)
        assert kl == pytest.approx(kl_enum, rel=1e-4, abs=1e-5)   # the analytic KL is the KL
        log_q = lambda z: exact.families.log_prob(family, theta, z)  # noqa: E731
        # p(x) = E_q[p(x, z)/q(z)] and E_q[(p(x, z)/q(z))^2], in a stable scale (shift by the ELBO)
        shift = recon - kl
        mean_w = exact.exact_expectation(lambda z: (log_joint(z) - log_q(z) - shift).exp(), family, theta)
        mean_w2 = exact.exact_expectation(lambda z: (2 * (log_joint(z) - log_q(z) - shift)).exp(), family, theta)
    return recon - kl, shift + math.log(mean_w), recon_sq - recon ** 2, mean_w2 / mean_w ** 2 - 1


@pytest.mark.parametrize("make", [_tiny_bernoulli, _tiny_poisson], ids=["bernoulli", "poisson"])
def test_elbo_and_bound_against_enumeration(make):
    model = make()
    torch.manual_seed(1)
    if model.family == "bernoulli":
        x = torch.bernoulli(torch.full((5, 6), 0.4))
    else:
        x = torch.poisson(torch.full((5, 3), 2.0))
    samples = 4000
    torch.manual_seed(2)
    bounds = model.bounds(x, samples)
    for i in range(x.shape[0]):
        elbo, log_px, var, rel_var = _exact_terms(model, x[i])
        assert elbo <= log_px + 1e-6
        se = math.sqrt(var / samples)
        assert abs(float(bounds.elbo[i]) - elbo) <= 4 * se + 1e-4, (i, float(bounds.elbo[i]), elbo, se)
        # log of a mean of S weights: delta-method bias -rel_var/(2S), standard error sqrt(rel_var/S)
        se_iw = math.sqrt(rel_var / samples)
        centre = log_px - rel_var / (2 * samples)
        assert abs(float(bounds.importance[i]) - centre) <= 4 * se_iw + rel_var / samples + 1e-4
        assert float(bounds.importance[i]) >= float(bounds.elbo[i]) - 4 * se


def test_log_marginal_against_enumeration():
    torch.manual_seed(0)
    loadings = torch.rand(3, 2) * 2
    offset = torch.tensor([0.2, 0.5, 0.3])
    x = torch.tensor([[0.0, 1.0, 3.0], [4.0, 2.0, 0.0]])
    got = latent_experiments.poisson_factor_log_marginal(x, loadings, offset, 1.3, tail=exact.POISSON_TAIL)
    for row, log_px in zip(x.double(), got, strict=True):
        def likelihood(z: torch.Tensor, row: torch.Tensor = row) -> torch.Tensor:
            rate = offset.double() + z @ loadings.double().T
            return (row * rate.log() - rate - torch.lgamma(row + 1)).sum(-1).exp()

        expected = math.log(exact.exact_expectation(likelihood, "poisson", torch.full((2,), 1.3, dtype=torch.float64)))
        assert float(log_px) == pytest.approx(expected, abs=1e-8)


def test_factor_model_exact_marginal_matches_its_bound():
    model = _tiny_poisson()
    x = torch.tensor([[1.0, 0.0, 2.0], [3.0, 1.0, 1.0]])
    exact_lp = latent_experiments.poisson_factor_log_marginal(x, model.loadings(), model.offset(), 1.2)
    for i in range(2):
        assert _exact_terms(model, x[i])[1] == pytest.approx(float(exact_lp[i]), abs=1e-5)


def _digits_subset(n: int = 300) -> data.Split:
    split = data.binarized_digits()
    return data.Split(split.train[:n], split.test[:100])


@pytest.mark.parametrize("estimator", latent_experiments.BERNOULLI_ESTIMATORS + ("pwgf", "reinforce"))
def test_each_bernoulli_estimator_improves_the_elbo(estimator):
    split = _digits_subset()
    before = train.evaluate(_make_digits_model(estimator, 0)(), split.test, 200)
    model, history = train.train(_make_digits_model(estimator, 0), split.train, split.test, epochs=8, seed=0,
                                 learning_rate=1e-2, batch_size=50)
    after = train.evaluate(model, split.test, 200)
    assert len(history.test_elbo) == 8
    # 8 x 6 steps move the test ELBO by several nats; the evaluation's own noise is below 0.1 nat
    assert after.elbo > before.elbo + 3.0, (before, after)
    assert after.importance >= after.elbo


def _make_digits_model(estimator: str, seed: int):
    def make() -> models.BernoulliVAE:
        torch.manual_seed(seed)
        return models.BernoulliVAE(64, 4, estimator)
    return make


@pytest.mark.parametrize("estimator", latent_experiments.POISSON_ESTIMATORS + ("reinforce",))
def test_each_poisson_estimator_improves_the_elbo(estimator):
    loadings = data.bars_loadings(2, 3, 2.0)
    counts = data.poisson_factor_data(loadings, torch.full((6,), 0.3), 1.5, 300, 100, seed=1)

    def make() -> models.PoissonFactorVAE:
        torch.manual_seed(0)
        return models.PoissonFactorVAE(6, 2, estimator, prior_rate=1.5)

    before = train.evaluate(make(), counts.test, 200)
    model, _ = train.train(make, counts.train, counts.test, epochs=10, seed=0, learning_rate=3e-2, batch_size=50)
    after = train.evaluate(model, counts.test, 200)
    assert after.elbo > before.elbo + 1.0, (before, after)


def test_encoder_gradient_is_the_estimator_and_decoder_gradient_is_pathwise():
    # The training loss sends the estimator's gradient to the encoder only: with frozen draws (reinforce on the
    # same seed) the encoder gradient of the reconstruction term equals gradient_samples through the chain rule.
    model = _tiny_bernoulli(estimator="reinforce")
    x = torch.bernoulli(torch.full((1, 6), 0.5))
    theta = model.latent_parameter(x)

    def f(z: torch.Tensor) -> torch.Tensor:
        return -model.log_likelihood(x.expand(z.shape[0], -1), z)

    exact_grad = exact.exact_gradient(lambda z: f(z.float()).double(), "bernoulli", theta.detach()[0].double())
    estimates = gradient_samples("reinforce", f, "bernoulli", theta.detach()[0], 20000, seed=3)
    se = estimates.double().std(0) / math.sqrt(20000)
    assert torch.all((estimates.double().mean(0) - exact_grad).abs() <= 4 * se + 1e-6)
    loss = model.training_loss(x, evaluations=2)
    loss.loss.backward()
    assert all(p.grad is not None for p in model.decoder.parameters())
    assert all(p.grad is not None for p in model.encoder.parameters())


@pytest.mark.parametrize("estimator", ["st", "gumbel_softmax", "reinforce"])
def test_decoder_gradient_is_pathwise_only(estimator):
    """The decoder's gradient of the training loss is -grad log p(x | z) at the reconstruction draw, nothing more:
    the estimator's surrogate (evaluated with a frozen decoder) must not reach the decoder."""
    model = _tiny_bernoulli(seed=2, estimator=estimator)
    x = torch.bernoulli(torch.full((4, 6), 0.5), generator=torch.Generator().manual_seed(0))
    torch.manual_seed(11)
    model.training_loss(x, evaluations=2).loss.backward()
    got = [p.grad.clone() for p in model.decoder.parameters()]
    # The same random stream by hand: first the estimator's draws (two per point), then the reconstruction draw.
    torch.manual_seed(11)
    with torch.no_grad():
        theta = model.latent_parameter(x)
        model.estimator.draws(lambda z: -model.log_likelihood(x.repeat(2, 1), z), "bernoulli", theta.repeat(2, 1),
                              **model.options)
        z = torch.bernoulli(theta)
    model.zero_grad()
    (-model.log_likelihood(x, z).mean()).backward()
    for g, p in zip(got, model.decoder.parameters(), strict=True):
        assert torch.allclose(g, p.grad, atol=1e-6), estimator


def test_reinforce_baseline_groups_leave_out_within_group():
    theta = torch.tensor([[0.3, 0.6], [0.5, 0.2]]).repeat(3, 1)   # 3 draws of 2 data points, draw-major
    calls = []

    def f(z: torch.Tensor) -> torch.Tensor:
        calls.append(z)
        return (z * torch.tensor([1.0, -2.0])).sum(-1) + torch.arange(z.shape[0], dtype=z.dtype)

    rows = theta.clone().requires_grad_(True)
    torch.manual_seed(0)
    out = ESTIMATORS["reinforce_baseline"].draws(f, "bernoulli", rows, groups=2)
    values = f(calls[0]).detach().reshape(3, 2)
    baseline = torch.stack([(values.sum(0) - values[k]) / 2 for k in range(3)]).reshape(6)
    torch.testing.assert_close(out.value, values.reshape(6))
    log_p = torch.where(calls[0] > 0.5, rows.log(), torch.log1p(-rows)).sum(-1)
    torch.testing.assert_close(out.loss, (values.reshape(6) - baseline) * log_p)
    with pytest.raises(ValueError, match="groups must divide"):
        ESTIMATORS["reinforce_baseline"].draws(f, "bernoulli", rows[:5], groups=2)
    with pytest.raises(ValueError, match=r"groups must be an integer in \[1, 3\]"):
        ESTIMATORS["reinforce_baseline"].draws(f, "bernoulli", rows, groups=4)
    with pytest.raises(ValueError, match="groups"):
        ESTIMATORS["reinforce_baseline"].draws(f, "bernoulli", rows, groups=0)


def test_loading_recovery_of_a_permuted_scaled_copy():
    true = data.bars_loadings(3, 2, 2.0)
    fitted = 0.5 * true[:, [2, 0, 1]]
    rec = latent_experiments.loading_recovery(fitted, true)
    assert rec.cosine == pytest.approx(1.0)
    assert rec.scale == pytest.approx(0.5)
    assert rec.order == [1, 2, 0]


def test_binarized_digits_split():
    split = data.binarized_digits()
    assert split.train.shape == (1438, 64) and split.test.shape == (359, 64)
    assert set(torch.unique(torch.cat([split.train, split.test])).tolist()) == {0.0, 1.0}
    again = data.binarized_digits()
    assert torch.equal(split.test, again.test)
    assert not torch.equal(data.binarized_digits(seed=1).test, split.test)


def test_poisson_factor_data_mean():
    loadings = data.bars_loadings(2, 3, 1.5)
    counts = data.poisson_factor_data(loadings, torch.full((6,), 0.4), 2.0, 20000, 10, seed=0)
    expected = 0.4 + 1.5 * 2.0
    # Var x = rate mean + W^2 Var z = 3.4 + 2.25 * 2 = 7.9 per word
    se = math.sqrt(7.9 / 20000)
    assert np.all(np.abs(counts.train.mean(0).numpy() - expected) <= 4 * se)
    assert counts.test.shape == (10, 6)


@pytest.mark.parametrize("call,error,match", [
    (lambda: models.BernoulliVAE(64, 4, "gen_gumbel_softmax"), ValueError, "supports families"),
    (lambda: models.PoissonFactorVAE(5, 2, "arm"), ValueError, "supports families"),
    (lambda: models.BernoulliVAE(64, 4, "st", temperature=0.5), TypeError, "temperature"),
    (lambda: models.BernoulliVAE(64, 0, "st"), ValueError, "n_latent"),
    (lambda: models.BernoulliVAE(64, 4, "nope"), ValueError, "estimator"),
    (lambda: models.BernoulliVAE(64, 4, "arm").training_loss(torch.zeros(3, 64), 1), ValueError, "evaluations"),
    (lambda: models.BernoulliVAE(64, 4, "reinforce_baseline").training_loss(torch.zeros(3, 64), 1), ValueError,
     "evaluations"),
    (lambda: models.BernoulliVAE(64, 4, "st").training_loss(torch.zeros(3, 10)), ValueError, "x must have shape"),
    (lambda: models.BernoulliVAE(64, 4, "st").bounds(torch.zeros(3, 64, dtype=torch.long)), TypeError, "x must"),
    (lambda: models.BernoulliVAE(64, 4, "st").bounds(torch.zeros(3, 64), 0), ValueError, "samples"),
    (lambda: models.PoissonFactorVAE(5, 2, "st", prior_rate=-1.0), ValueError, "prior_rate"),
    (lambda: data.binarized_digits(threshold=17), ValueError, "threshold"),
    (lambda: data.binarized_digits(test_fraction=1.0), ValueError, "test_fraction"),
    (lambda: data.poisson_factor_data(-torch.ones(3, 2), torch.ones(3), 1.0, 5, 5), ValueError, "loadings"),
    (lambda: data.poisson_factor_data(torch.ones(3, 2), torch.ones(2), 1.0, 5, 5), ValueError, "offset"),
    (lambda: data.bars_loadings(0), ValueError, "n_factors"),
    (lambda: train.train(lambda: models.BernoulliVAE(64, 4, "st"), torch.zeros(5, 64), torch.zeros(5, 64),
                         epochs=0), ValueError, "epochs"),
    (lambda: train.train(lambda: "model", torch.zeros(5, 64), torch.zeros(5, 64), epochs=1), TypeError,
     "make_model"),
    (lambda: train.evaluate("model", torch.zeros(5, 64)), TypeError, "model"),
    (lambda: latent_experiments.bernoulli_vae_experiment("medium"), ValueError, "setting"),
    (lambda: latent_experiments.settings_record("slow"), ValueError, "setting"),
    (lambda: models.BernoulliVAE(64, 4, "st").bounds(torch.full((3, 64), 2.0)), ValueError, r"\[0.0, 1.0\]"),
    (lambda: models.BernoulliVAE(64, 4, "st").bounds(torch.full((3, 64), math.nan)), ValueError, "finite"),
    (lambda: models.PoissonFactorVAE(5, 2, "st").bounds(-torch.ones(3, 5)), ValueError, "counts"),
    (lambda: train.train(lambda: models.BernoulliVAE(64, 4, "st"), torch.zeros(5, 64), torch.zeros(5, 64),
                         epochs=1, description=3), TypeError, "description"),
    (lambda: latent_experiments.loading_recovery(torch.ones(4, 2), torch.ones(4, 3)), ValueError, "same shape"),
    (lambda: latent_experiments.loading_recovery(torch.zeros(4, 2), torch.ones(4, 2)), ValueError, "all-zero"),
    (lambda: latent_experiments.poisson_factor_log_marginal(torch.ones(2, 3), torch.ones(4, 2), torch.ones(4), 1.0),
     ValueError, "x must be counts"),
    (lambda: latent_experiments.poisson_factor_log_marginal(torch.ones(2, 4), -torch.ones(4, 2), torch.ones(4), 1.0),
     ValueError, "loadings"),
    (lambda: latent_experiments.poisson_factor_log_marginal(torch.ones(2, 4), torch.ones(4, 2), torch.ones(3), 1.0),
     ValueError, "offset"),
    (lambda: latent_experiments.poisson_factor_log_marginal(torch.ones(2, 4), torch.ones(4, 2), torch.ones(4), 0.0),
     ValueError, "prior_rate"),
    (lambda: latent_experiments.poisson_factor_log_marginal(torch.ones(2, 4), torch.ones(4, 2), torch.ones(4), 1.0,
                                                            tail=1.5), ValueError, "tail"),
    (lambda: latent_experiments.poisson_factor_log_marginal(torch.ones(2, 40), torch.ones(40, 8), torch.ones(40),
                                                            3.0), ValueError, "codes"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_training_is_reproducible():
    split = _digits_subset(100)
    runs = [train.train(_make_digits_model("disarm", 0), split.train, split.test, epochs=2, seed=4)[1]
            for _ in range(2)]
    assert runs[0] == runs[1]


@pytest.mark.parametrize("hidden", [None, 5])
def test_exact_bounds_against_enumeration(hidden):
    model = _tiny_bernoulli(n_latent=4, hidden=hidden)
    torch.manual_seed(3)
    x = torch.bernoulli(torch.full((70, 6), 0.5))   # more rows than one block of exact_bounds
    bounds = model.exact_bounds(x)
    for i in (0, 33, 69):
        elbo, log_px, _, _ = _exact_terms(model, x[i])
        assert float(bounds.elbo[i]) == pytest.approx(elbo, abs=1e-4)
        assert float(bounds.importance[i]) == pytest.approx(log_px, abs=1e-4)


def test_posterior_moments_against_enumeration():
    torch.manual_seed(0)
    loadings = torch.rand(3, 2) * 2
    offset = torch.tensor([0.2, 0.5, 0.3])
    x = torch.tensor([[0.0, 1.0, 3.0], [4.0, 2.0, 0.0]])
    mean, var = latent_experiments.poisson_factor_posterior_moments(x, loadings, offset, 1.3, tail=exact.POISSON_TAIL)
    prior = torch.full((2,), 1.3, dtype=torch.float64)
    for i, row in enumerate(x.double()):
        def likelihood(z: torch.Tensor, row: torch.Tensor = row) -> torch.Tensor:
            rate = offset.double() + z @ loadings.double().T
            return (row * rate.log() - rate - torch.lgamma(row + 1)).sum(-1).exp()

        evidence = exact.exact_expectation(likelihood, "poisson", prior)
        for k in range(2):
            first = exact.exact_expectation(lambda z, k=k: z[:, k] * likelihood(z), "poisson", prior) / evidence
            second = exact.exact_expectation(lambda z, k=k: z[:, k] ** 2 * likelihood(z), "poisson", prior) / evidence
            assert float(mean[i, k]) == pytest.approx(first, rel=1e-9)
            assert float(var[i, k]) == pytest.approx(second - first**2, rel=1e-7)


def _script(name: str):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "experiments" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"script_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bernoulli_vae_script_merges_new_estimators_into_the_result_file():
    # --estimators keeps the other estimators' records, replaces the named ones, refuses another setting's file.
    script = _script("bernoulli_vae")
    settings = latent_experiments.settings_record("full")
    old = {"settings": settings, "records": [{"estimator": "st", "seed": 0}, {"estimator": "reinmax", "seed": 0}]}
    new = [{"estimator": "reinmax", "seed": 0, "test_elbo": -1.0}]
    assert script.merged(old, new, "full", ("reinmax",)) == [{"estimator": "st", "seed": 0}, *new]
    assert script.merged(None, new, "full", ("reinmax",)) == new
    with pytest.raises(ValueError, match="other settings"):
        script.merged(old, new, "quick", ("reinmax",))
