"""The toy experiments of Part IV (pwgf_viz.toy_problems, toy_scoring, toy_training, toy_runs, toy_claims,
toy_tables): exact scoring, runs, bias measurement, claims, tables, bad input.

Statistical tests: fixed seeds, sample means within 4 standard errors (SE = sample std / sqrt(n), or of the group
means for draws that share a baseline).
"""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pytest
import torch

from pwgf_viz import (
    compare,
    exact_expectation,
    exact_gradient,
    exact_st_mean,
    gradient_samples,
    objectives,
    plots,
    toy_claims,
    toy_problems,
    toy_runs,
    toy_scoring,
    toy_tables,
    toy_training,
)
from pwgf_viz.exact import exact_mean
from pwgf_viz.results import load_results, save_results

PROBLEMS = toy_problems.toy_problems()
BY_KEY = {p.key: p for p in PROBLEMS}


def test_problem_catalogue():
    assert [p.key for p in PROBLEMS] == ["t=0.45", "t=0.49", "t=0.499", "lsq", "pois-quad", "pois-log"]
    assert {p.family for p in PROBLEMS} == {"bernoulli", "poisson"}
    assert BY_KEY["lsq"].theta0.shape == (10,)


@pytest.mark.parametrize("t", [0.45, 0.49, 0.499])
def test_minimum_of_the_toy_is_t_squared(t):
    # L(p) = t^2 + p (1 - 2t): the infimum over p in (0, 1) is t^2 (p -> 0).
    assert BY_KEY[f"t={t:g}"].minimum == pytest.approx(t**2, abs=1e-15)


def test_minimum_of_least_squares_is_the_best_vertex():
    problem = BY_KEY["lsq"]
    vertices = torch.tensor(list(itertools.product([0.0, 1.0], repeat=10)), dtype=torch.float64)
    assert problem.minimum == pytest.approx(float(problem.f(vertices).min()), abs=1e-12)


def test_minimum_of_poisson_problems():
    # L(lambda) = lambda + (lambda - 2.5)^2 is smallest at lambda = 2: 2.25.
    assert BY_KEY["pois-quad"].minimum == pytest.approx(2.25, abs=1e-8)
    problem = BY_KEY["pois-log"]
    grid = np.linspace(3.0, 6.0, 301)
    brute = min(exact_expectation(problem.f, "poisson", [r]) for r in grid)
    assert problem.minimum <= brute + 1e-12
    assert problem.minimum == pytest.approx(brute, abs=1e-5)
    # The exact gradient vanishes at the minimiser, ST's mean does not (f'' != 0).
    rate = grid[int(np.argmin([exact_expectation(problem.f, "poisson", [r]) for r in grid]))]
    assert abs(float(exact_gradient(problem.f, "poisson", [rate])[0])) < 2e-3
    assert float(exact_st_mean(problem.f, "poisson", [rate])[0]) < -0.01


@pytest.mark.parametrize("key", ["lsq", "pois-log", "t=0.49"])
def test_exact_losses_equal_enumeration_row_by_row(key):
    problem = BY_KEY[key]
    rng = np.random.default_rng(0)
    if problem.family == "bernoulli":
        path = rng.uniform(0.02, 0.98, size=(7, *problem.theta0.shape))
    else:
        path = rng.uniform(0.1, 9.0, size=(7, 1))
    losses = toy_scoring.exact_losses(problem.f, problem.family, path)
    expected = [exact_expectation(problem.f, problem.family, row) for row in path]
    # Bernoulli: the same finite sum. Poisson: both sums drop a tail of mass < 1e-12 (POISSON_TAIL), at different
    # truncation points (the path's largest rate here, each row's own rate there): |f| < 10 on those tails.
    atol = 1e-14 if problem.family == "bernoulli" else 1e-11
    assert np.allclose(losses, expected, rtol=0, atol=atol)


def test_relative_gap_of_the_toy_is_2p():
    # Delta(p) = (L(p) - t^2) / (L(1/2) - t^2) = p (1 - 2t) / ((1 - 2t) / 2) = 2p.
    problem = BY_KEY["t=0.45"]
    p = np.array([[0.5], [0.3], [0.01]])
    gap = toy_scoring.relative_gap(problem, toy_scoring.exact_losses(problem.f, "bernoulli", p))
    assert np.allclose(gap, 2 * p[:, 0], atol=1e-12)


def test_exact_run_reaches_the_poisson_optimum():
    run = toy_training.adam_run("exact", BY_KEY["pois-quad"], steps=300, lr=0.05)
    assert run.path.shape == (301, 1)
    assert run.path[0, 0] == 4.0
    assert run.path[-1, 0] == pytest.approx(2.0, abs=0.02)
    assert run.seconds_per_step > 0


def test_st_run_settles_at_its_rest_point():
    # ST's mean 2 (lambda - 2.5) vanishes at 2.5; with the learning rate decaying to 0 the run settles near it.
    finals = [toy_training.adam_run("st", BY_KEY["pois-quad"], steps=300, seed=s).path[-30:, 0].mean()
              for s in range(3)]
    assert abs(np.mean(finals) - 2.5) < 0.25


def test_runs_are_reproducible_and_seeds_differ():
    problem = BY_KEY["t=0.45"]
    a = toy_training.adam_run("disarm", problem, steps=20, seed=3).path
    b = toy_training.adam_run("disarm", problem, steps=20, seed=3).path
    c = toy_training.adam_run("disarm", problem, steps=20, seed=4).path
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_single_thread_restores_the_thread_count():
    before = torch.get_num_threads()
    with toy_training.single_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_budget_of_evaluations():
    assert toy_problems.draws_per_step("arm") == toy_problems.draws_per_step("disarm") == 1
    assert toy_problems.draws_per_step("st") == toy_problems.draws_per_step("reinforce_baseline") == 2
    assert toy_problems.draws_per_step("st", evaluations=8) == 8
    assert toy_problems.draws_per_step("arm", evaluations=8) == 4
    assert toy_problems.estimator_options("gumbel_softmax") == {"temperature": 0.5}
    assert toy_problems.estimator_options("gen_gumbel_softmax") == {"temperature": 0.5}
    assert toy_problems.estimator_options("st") == {}
    # reinmax runs at temperature 1, where it is pWGF (thm-reinmax-pwgf), not at the Gumbel-Softmax temperature
    assert toy_problems.estimator_options("reinmax") == {"temperature": 1.0}
    assert toy_problems.draws_per_step("reinmax") == 2
    assert "reinmax" in toy_problems.BERNOULLI_ESTIMATORS and "pwgf" not in toy_problems.BERNOULLI_ESTIMATORS


def test_bias_draws_are_made_as_training_makes_them():
    # Training averages the two draws of a step, and reinforce_baseline's baseline of one is the other: the bias
    # table's draws form groups of two (row i with row i + n/2), not one leave-one-out group of all n.
    assert toy_runs.bias_options("reinforce_baseline", 10_000) == {"groups": 5_000}
    assert toy_runs.bias_options("gumbel_softmax", 10_000) == {"temperature": 0.5}
    problem = BY_KEY["pois-log"]
    stats = {s.estimator: s for s in toy_runs.bias_stats(problem, n=2_000, seed=3)}["reinforce_baseline"]
    draws = gradient_samples("reinforce_baseline", problem.f, "poisson", problem.probe, 2_000, seed=3, groups=1_000)
    assert torch.allclose(stats.mean, draws.mean(0)) and stats.std == pytest.approx(float(draws.std(0)[0]))
    # The pairs are the independent units: the bias's standard error is that of the 1000 pair means.
    pairs = draws.reshape(2, 1_000).mean(0)
    assert stats.bias_se == pytest.approx(float(pairs.std()) / math.sqrt(1_000))


@pytest.mark.parametrize("key", ["t=0.45", "lsq", "pois-quad", "pois-log"])
def test_bias_measurement_against_the_exact_gradient(key):
    # Unbiased estimators (and pWGF on the Poisson quadratic; pWGF = ReinMax on the Bernoulli problems, whose f are
    # quadratic, so the trapezoid rule is exact) within 4 SE of zero; ST's mean within 4 SE of its exact mean
    # E[grad f(z)] (so its measured bias is that of the exact formulas).
    problem = BY_KEY[key]
    stats = {s.estimator: s for s in toy_runs.bias_stats(problem, n=20_000, seed=5)}
    for name, s in stats.items():
        assert torch.allclose(s.exact, exact_gradient(problem.f, problem.family, problem.probe))
        if name in ("reinforce_baseline", "arm", "disarm") or (key == "pois-quad" and name == "pwgf") or (
                problem.family == "bernoulli" and name in ("pwgf", "reinmax")):
            assert s.bias <= 4 * s.bias_se, (name, s.bias, s.bias_se)
    st_mean = exact_st_mean(problem.f, problem.family, problem.probe)
    assert float((stats["st"].mean - st_mean).norm()) <= 4 * stats["st"].bias_se
    if problem.family == "bernoulli":
        # pwgf and reinmax (tau = 1) agree draw by draw (same seed), to rounding; ST is another estimator
        names = [s.estimator for s in toy_runs.bias_stats(problem, n=2, seed=5)]
        assert names.index("pwgf") + 1 == names.index("reinmax")
        assert torch.allclose(stats["pwgf"].mean, stats["reinmax"].mean, rtol=1e-12, atol=1e-12)
        assert stats["pwgf"].std == pytest.approx(stats["reinmax"].std, rel=1e-12)
        assert not torch.allclose(stats["st"].mean, stats["reinmax"].mean)
        exact_pwgf = exact_mean("reinmax", problem.f, problem.family, problem.probe)
        assert torch.allclose(exact_pwgf, exact_gradient(problem.f, problem.family, problem.probe), atol=1e-12)


def test_grid_records_curves_and_round_trip(tmp_path):
    setting = toy_problems.Setting(steps=12, seeds=2, bias_draws=200, curve_points=5)
    problems = [BY_KEY["t=0.45"], BY_KEY["pois-quad"]]
    results = toy_runs.run_grid(problems, setting)
    expected_runs = (1 + 2 * len(toy_problems.BERNOULLI_ESTIMATORS)) + (1 + 2 * len(toy_problems.POISSON_ESTIMATORS))
    assert len(results.runs) == expected_runs
    curve = results.curves["t=0.45", "st"]
    assert curve.steps.tolist() == [0, 3, 6, 9, 12]
    assert np.all(curve.low <= curve.mean) and np.all(curve.mean <= curve.high)
    assert curve.mean[0] == pytest.approx(1.0)   # every run starts at theta0: relative gap 1
    finals = [r["final_gap"] for r in results.runs if r["problem"] == "t=0.45" and r["estimator"] == "st"]
    assert len(finals) == 2
    save_results("toy", results.to_records(), {"steps": 12}, folder=tmp_path)
    back = toy_runs.ToyResults.from_records(load_results("toy", folder=tmp_path)["records"])
    assert back.runs == results.runs and back.bias == results.bias
    assert np.allclose(back.curves["pois-quad", "pwgf"].mean, results.curves["pois-quad", "pwgf"].mean, rtol=1e-5)
    table = toy_tables.final_gap_table(results.runs, problems).splitlines()
    assert table[0] == "| estimator | t=0.45 | pois-quad | runs |"
    assert table[2].startswith("| `exact` |") and table[2].endswith("| 1 |")
    bits = toy_tables.final_gap_table(results.runs, [BY_KEY["t=0.45"]]).splitlines()
    assert not any(line.startswith("| `pwgf` |") for line in bits)  # ran on counts only: no row
    bits = toy_tables.bias_table(results.bias, [BY_KEY["t=0.45"]]).splitlines()
    assert not any(line.startswith("| `gen_gumbel_softmax` |") for line in bits)  # counts only: no row
    counts = toy_tables.bias_table(results.bias, [BY_KEY["pois-quad"]])
    assert "| `gen_gumbel_softmax` |" in counts and "| `arm` |" not in counts
    assert "bias" not in toy_tables.bias_table(results.bias, problems).splitlines()[0]
    panels = toy_runs.step_time_panels(results.runs, problems)
    assert set(panels) == {"Bernoulli", "Poisson"} and "exact" not in panels["Bernoulli"]
    assert set(toy_runs.curve_panels(results, problems)) == {p.title for p in problems}


def test_problem_table_by_hand():
    # (z - t)^2 from p0 = 1/2: L(p0) = t^2 + (1 - 2t)/2 = 0.2525 and L* = t^2 = 0.2025 at t = 0.45.
    lines = toy_tables.problem_table([BY_KEY["t=0.45"], BY_KEY["lsq"]]).splitlines()
    assert lines[0] == "| key | $f$, family | $\\theta_0$ | probe | $L(\\theta_0)$ | $L^\\star$ |"
    assert lines[1] == "|---|---|---|---|---:|---:|"
    assert lines[2] == "| t=0.45 | $(z - 0.45)^2$, Bernoulli | 0.5 | 0.25 | 0.2525 | 0.2025 |"
    assert lines[3].startswith("| lsq |") and "| 0.5 (each) | 0.2 to 0.8 |" in lines[3]
    assert len(lines) == 4


def test_claim_comparisons_rows():
    # Bernoulli problems: ST and pWGF (run as reinmax) each against the best rival other than both; Poisson: pWGF
    # against the best other, ST included.
    runs = [{"problem": p, "estimator": e, "seed": s, "final_gap": g + 0.01 * s}
            for p, family in (("t=0.45", "bernoulli"), ("pois-quad", "poisson"))
            for g, e in enumerate(toy_problems.estimators_for(family)) for s in range(3)]
    comparisons = toy_claims.claim_comparisons(runs, [BY_KEY["t=0.45"], BY_KEY["pois-quad"]])
    assert [(c.problem, c.estimator, c.rival) for c in comparisons] == [
        ("t=0.45", "st", "reinforce_baseline"), ("t=0.45", "reinmax", "reinforce_baseline"),
        ("pois-quad", "pwgf", "st")]
    assert len(toy_tables.claim_table(comparisons).splitlines()) == 5


def test_compare_final_gaps_by_hand():
    runs = [{"problem": "a", "estimator": e, "seed": s, "final_gap": g}
            for e, gaps in {"st": [0.5, 0.7, 0.6], "arm": [0.1, 0.2, 0.3], "disarm": [0.9, 1.0, 1.1]}.items()
            for s, g in enumerate(gaps)]
    c = toy_claims.compare_final_gaps(runs, "a", "st", ["arm", "disarm"])
    assert c.rival == "arm"
    se = math.sqrt(statistics.variance([0.5, 0.7, 0.6]) / 3 + statistics.variance([0.1, 0.2, 0.3]) / 3)
    assert c.z == pytest.approx((0.6 - 0.2) / se)
    # Equal variances and sizes: Welch's degrees of freedom are n1 + n2 - 2 = 4, the threshold t_0.975(4).
    assert c.verdict.df == pytest.approx(4.0) and c.t == pytest.approx(2.7764451, abs=1e-6)
    assert not c.comparable_or_better and not c.clearly_better
    assert toy_claims.compare_final_gaps(runs, "a", "st", ["disarm"]).clearly_better
    table = toy_tables.claim_table([c]).splitlines()
    assert table[0] == "| problem | estimator | held | z | needs | final gap | best rival | its gap |"
    assert table[2] == ("| a | `st` | **no** | +4.9 | z\u00a0≤\u00a02.78 | 0.6000\u00a0±\u00a00.1000 | `arm` "
                        "| 0.2000\u00a0±\u00a00.1000 |")


def test_claim_threshold_lies_between_two_and_two_standard_errors_of_few_seeds():
    # z = 2.2 is "comparable or better" with 5 seeds each (t = 2.31 at 8 degrees of freedom), not with 100 (1.97).
    def runs(n):
        own = [0.5 + 0.1 * (i - (n - 1) / 2) / math.sqrt(n * (n + 1) / 12) for i in range(n)]  # sd 0.1 exactly
        shift = 2.2 * 0.1 * math.sqrt(2 / n)
        return ([{"problem": "a", "estimator": "st", "seed": i, "final_gap": g} for i, g in enumerate(own)]
                + [{"problem": "a", "estimator": "arm", "seed": i, "final_gap": g - shift} for i, g in enumerate(own)])

    few, many = (toy_claims.compare_final_gaps(runs(n), "a", "st", ["arm"]) for n in (5, 100))
    assert few.z == pytest.approx(2.2) and many.z == pytest.approx(2.2)
    assert few.comparable_or_better and not many.comparable_or_better


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: toy_problems.ToyProblem("x", "", objectives.quadratic(0.4), "categorical", [0.1, 0.2], [0.1, 0.2]),
     ValueError, "family"),
    (lambda: toy_problems.ToyProblem("x", "", objectives.quadratic(0.4), "bernoulli", [0.5], [0.2, 0.3]),
     ValueError, "probe"),
    (lambda: toy_problems.ToyProblem("x", "", objectives.quadratic(0.4), "bernoulli", [1.5], [0.2]),
     ValueError, "theta0"),
    (lambda: toy_problems.ToyProblem("", "", objectives.quadratic(0.4), "bernoulli", [0.5], [0.2]), ValueError, "key"),
    (lambda: toy_problems.ToyProblem("x", "", 3, "bernoulli", [0.5], [0.2]), TypeError, "f must be"),
    (lambda: toy_problems.Setting(steps=0, seeds=5), ValueError, "steps"),
    (lambda: toy_problems.Setting(steps=100, seeds=1), ValueError, "seeds"),
    (lambda: toy_problems.Setting(steps=100, seeds=5, lr=-1.0), ValueError, "lr"),
    (lambda: toy_training.adam_run("st", "t=0.45", steps=5), TypeError, "problem"),
    (lambda: toy_training.adam_run("arm", BY_KEY["pois-quad"], steps=5), ValueError, "supports families"),
    (lambda: toy_training.adam_run("nope", BY_KEY["t=0.45"], steps=5), ValueError, "estimator"),
    (lambda: toy_training.adam_run("st", BY_KEY["t=0.45"], steps=0), ValueError, "steps"),
    (lambda: toy_training.adam_run("st", BY_KEY["t=0.45"], steps=5, lr=0.0), ValueError, "lr"),
    (lambda: toy_training.adam_run("st", BY_KEY["t=0.45"], steps=5, seed=-1), ValueError, "seed"),
    (lambda: toy_problems.draws_per_step("st", evaluations=3), ValueError, "evaluations"),
    (lambda: toy_problems.estimators_for("categorical"), ValueError, "family"),
    (lambda: toy_scoring.exact_losses(objectives.quadratic(0.4), "bernoulli", [0.2, 0.3]), ValueError, "path"),
    (lambda: toy_scoring.exact_losses(objectives.quadratic(2.0), "poisson", [[1.0], [-2.0]]), ValueError, "path"),
    (lambda: toy_scoring.exact_losses(objectives.quadratic(0.4), "categorical", [[0.1, 0.2]]), ValueError,
     "families"),
    (lambda: toy_scoring.exact_losses("f", "bernoulli", [[0.2]]), TypeError, "f must be"),
    (lambda: toy_scoring.loss_minimum(objectives.quadratic(2.0), "poisson", [1.0, 2.0]), ValueError, "single Poisson"),
    (lambda: toy_scoring.loss_minimum(objectives.quadratic(0.0), "poisson", [1.0]), ValueError, "edge of the searched"),
    (lambda: toy_runs.run_grid([], toy_problems.SETTINGS["quick"]), ValueError, "problems"),
    (lambda: toy_runs.run_grid(PROBLEMS, "quick"), TypeError, "setting"),
    (lambda: toy_runs.bias_stats("lsq"), TypeError, "problem"),
    (lambda: toy_runs.bias_options("reinforce_baseline", 5), ValueError, "multiple"),
    (lambda: toy_scoring.final_gap([0.5]), ValueError, "gap"),
    (lambda: toy_claims.compare_final_gaps([], "a", "st", ["arm"]), ValueError, "at least two runs"),
    (lambda: toy_claims.compare_final_gaps([{"problem": "a", "estimator": "st", "final_gap": 0.1}] * 2, "a", "st",
                                         ["arm"]), ValueError, "rivals"),
    (lambda: toy_tables.claim_table([]), ValueError, "comparisons"),
    (lambda: toy_tables.problem_table([]), ValueError, "problems"),
    (lambda: toy_tables.final_gap_table([{"problem": "a", "estimator": "st", "seed": 0, "final_gap": 0.1}],
                                        PROBLEMS), ValueError, "runs"),
    (lambda: toy_tables.bias_table([], PROBLEMS), ValueError, "records"),
    (lambda: toy_runs.ToyResults.from_records([{"kind": "other"}]), ValueError, "kind"),
    (lambda: objectives.least_squares([[1.0, 2.0]], [1.0, 2.0]), ValueError, "matrix"),
    (lambda: objectives.cost_minus_log(0.9), ValueError, "cost"),
    (lambda: plots.band_panels({}, "gap"), ValueError, "panels"),
    (lambda: plots.band_panels({"a": {"st": ([0, 1], [1.0, 0.5], [1.0, 0.4], [1.0, 0.6])}}, "gap", floor=0.0),
     ValueError, "floor"),
    (lambda: plots.band_panels({"a": {"st": ([0, 1], [1.0, 0.5])}}, "gap"), ValueError, "steps, mean, low, high"),
    (lambda: plots.band_panels({"a": {"st": ([0, 1], [1.0, np.nan], [1.0, 0.4], [1.0, 0.6])}}, "gap"), ValueError,
     "finite"),
    (lambda: plots.bar_panels({"a": {"st": float("nan")}}, "ms"), ValueError, "finite"),
    (lambda: plots.bar_panels({"a": {}}, "ms"), ValueError, "panels"),
])
def test_bad_input_is_refused_by_name(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_new_objectives_values():
    f = objectives.least_squares([[1.0, 2.0], [0.0, 1.0]], [1.0, 0.5])
    z = torch.tensor([[1.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    assert torch.allclose(f(z), torch.tensor([2.0**2 + 0.5**2, 1.0 + 0.25], dtype=torch.float64))
    g = objectives.cost_minus_log(0.2)
    counts = torch.tensor([[0.0], [3.0]], dtype=torch.float64)
    assert torch.allclose(g(counts), torch.tensor([0.0, 0.6 - math.log(4.0)], dtype=torch.float64))


def test_figures_draw():
    fig = plots.band_panels({"a": {"exact": ([0, 1], [1.0, 0.1], [1.0, 0.1], [1.0, 0.1]),
                                   "st": ([0, 1], [1.0, 0.5], [1.0, 0.4], [1.0, 0.6])}}, "gap")
    assert len(fig.axes[0].lines) == 2
    fig = plots.bar_panels({"Bernoulli": {"st": 1.0, "arm": 2.0}, "Poisson": {"pwgf": 1.5}}, "ms")
    assert len(fig.axes) == 2


def test_committed_full_results_match_the_code():
    # The committed result file of the full setting is what the current code computes (two runs recomputed).
    full = load_results("toy-experiments")
    if full is None:
        pytest.skip("experiments/results/toy-experiments.json is absent (run experiments/toy_experiments.py)")
    setting = toy_problems.SETTINGS["full"]
    assert (full["settings"]["steps"], full["settings"]["seeds"]) == (setting.steps, setting.seeds)
    runs = {(r["problem"], r["estimator"], r["seed"]): r for r in full["records"] if r["kind"] == "run"}
    assert len(runs) == sum(1 + setting.seeds * len(toy_problems.estimators_for(p.family)) for p in PROBLEMS)
    tail = round(toy_scoring.FINAL_FRACTION * setting.steps)
    for key, name, seed in [("t=0.45", "disarm", 3), ("lsq", "reinmax", 2), ("pois-quad", "pwgf", 0)]:
        problem = BY_KEY[key]
        run = toy_training.adam_run(name, problem, setting.steps, setting.lr, seed)
        gap = toy_scoring.relative_gap(problem, toy_scoring.exact_losses(problem.f, problem.family, run.path))
        assert float(gap[-tail:].mean()) == pytest.approx(runs[key, name, seed]["final_gap"], rel=1e-9, abs=1e-12)
        assert toy_scoring.final_gap(gap) == float(gap[-tail:].mean())
    # The bias records are those of the current code: reinforce_baseline with the two-draw baseline of training.
    bias = {(r["problem"], r["estimator"]): r for r in full["records"] if r["kind"] == "bias"}
    problem = BY_KEY["pois-log"]
    target = compare.Problem(problem.key, problem.f, problem.family, problem.probe)
    n = setting.bias_draws
    options = toy_runs.bias_options("reinforce_baseline", n)
    again = compare.estimator_stats(target, "reinforce_baseline", n, 0, **options)
    record = bias["pois-log", "reinforce_baseline"]
    assert (record["bias"], record["bias_se"], record["std"]) == pytest.approx((again.bias, again.bias_se, again.std),
                                                                              rel=1e-9)
