r"""The toy experiments of Part IV: every estimator on the same problems and seeds, scored by the exact oracle.

One run (chapter ``toy-experiments``, eq. ``eq-toy-adam``) trains the unconstrained parameter :math:`\omega` of a
family, :math:`\theta = \sigma(\omega)` (Bernoulli probabilities) or :math:`\theta = e^{\omega}` (Poisson rates), with
Adam (:class:`torch.optim.Adam`, default betas; the learning rate decays linearly from ``lr`` to 0 over the run, so
each run settles where its estimator's mean vanishes) fed the chain-ruled estimate

.. math:: \hat g_\omega = \bar g_t \odot \frac{\partial\theta}{\partial\omega}, \qquad
          \bar g_t = \frac1m \sum_{j=1}^m \hat g_{t,j},

where :math:`m` draws spend a fixed budget of :data:`EVALUATIONS` evaluations of ``f`` per step (ARM and DisARM
evaluate ``f`` twice per draw, so they get half as many draws). Every iterate is scored by its exact loss
(:func:`exact_losses`, enumeration) as the *relative gap*

.. math:: \Delta_t = \frac{L(\theta_t) - L^\star}{L(\theta_0) - L^\star}, \qquad L^\star = \inf_\theta L(\theta),

1 at the start, 0 at the optimum (eq. ``eq-relative-gap``). A run's score is the mean of :math:`\Delta_t` over its
last tenth of steps. :func:`run_grid` runs every estimator that supports a problem's family on every seed;
:func:`bias_stats` measures bias and spread against the exact gradient (:mod:`pwgf_viz.compare`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import torch
from scipy import optimize
from tqdm.auto import tqdm

from . import families, objectives
from .compare import EstimatorStats, Problem, estimator_stats
from .estimators import get_estimator, gradient_samples
from .exact import enumerate_support, exact_expectation, exact_gradient
from .objectives import Objective
from .results import mean_sd, summary_table
from .validation import check_count, check_family, check_objective, check_parameter, check_positive

#: Name of the reference run that follows the exact gradient.
EXACT = "exact"
#: Estimators compared on Bernoulli problems. ``reinmax`` runs at temperature 1 (:data:`REINMAX_TEMPERATURE`), where
#: it equals ``pwgf`` draw by draw (``thm-reinmax-pwgf``): it stands for both in the runs; the bias table has both.
BERNOULLI_ESTIMATORS = ("st", "reinmax", "reinforce_baseline", "gumbel_softmax", "st_gumbel_softmax", "arm",
                        "disarm")
#: Estimators compared on Poisson problems.
POISSON_ESTIMATORS = ("st", "pwgf", "reinforce_baseline", "gen_gumbel_softmax")
#: Temperature of the Gumbel-Softmax estimators (``gumbel_softmax``, ``st_gumbel_softmax``, ``gen_gumbel_softmax``).
TEMPERATURE = 0.5
#: Temperature of ``reinmax``: 1, where it is the W2-projected pWGF estimator of the dequantised Bernoulli family.
REINMAX_TEMPERATURE = 1.0
#: Evaluations of ``f`` per optimisation step, whatever the estimator.
EVALUATIONS = 2
#: The unconstrained parameter is kept in ``[-OMEGA_LIMIT, OMEGA_LIMIT]`` (probabilities stay inside (0, 1) in float64).
OMEGA_LIMIT = 30.0
#: Fraction of the last steps over which a run's final gap is averaged.
FINAL_FRACTION = 0.1


@dataclass(frozen=True)
class ToyProblem:
    """An objective, a family, a start and a probe point (where bias and spread are measured)."""

    key: str
    title: str
    f: Objective
    family: str
    theta0: torch.Tensor
    probe: torch.Tensor
    minimum: float = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key:
            raise ValueError(f"key must be a non-empty string (a table column); got {self.key!r}")
        check_objective(self.f)
        family = check_family(self.family)
        if family == "categorical":
            raise ValueError("family must be 'bernoulli' or 'poisson' for a toy problem; got 'categorical'")
        object.__setattr__(self, "theta0", check_parameter(family, self.theta0, "theta0").detach().double())
        object.__setattr__(self, "probe", check_parameter(family, self.probe, "probe").detach().double())
        if self.probe.shape != self.theta0.shape:
            raise ValueError(f"probe must have theta0's shape {tuple(self.theta0.shape)}; "
                             f"got {tuple(self.probe.shape)}")
        object.__setattr__(self, "minimum", loss_minimum(self.f, family, self.theta0))


@dataclass(frozen=True)
class Setting:
    """Sizes of one experiment: steps and seeds of the runs, draws of the bias table, points kept per curve."""

    steps: int
    seeds: int
    lr: float = 0.05
    bias_draws: int = 10_000
    curve_points: int = 61

    def __post_init__(self) -> None:
        check_count(self.steps, "steps", minimum=10, maximum=100_000)
        check_count(self.seeds, "seeds", minimum=2, maximum=1_000)
        check_positive(self.lr, "lr")
        check_count(self.bias_draws, "bias_draws", minimum=2, maximum=1_000_000)
        check_count(self.curve_points, "curve_points", minimum=2, maximum=10_000)


#: The quick setting runs when the book is built; the full one by ``experiments/toy_experiments.py``.
SETTINGS: Mapping[str, Setting] = {
    "quick": Setting(steps=250, seeds=5),
    "full": Setting(steps=1000, seeds=10, bias_draws=100_000),
}


def toy_problems() -> tuple[ToyProblem, ...]:
    r"""The six problems of the chapter.

    - ``t=0.45``, ``t=0.49``, ``t=0.499``: :math:`(z - t)^2`, :math:`z \sim \mathrm{Bern}(p)`, from :math:`p_0 = 1/2`
      (``eq-toy``); the optimum :math:`p \to 0` has :math:`L^\star = t^2`, and :math:`|L'| = 1 - 2t` shrinks with
      the gap :math:`\tfrac12 - t`;
    - ``lsq``: :math:`\|Az - y\|^2` on 10 bits (``objectives.least_squares``; :math:`A` is 12 x 10 with
      :math:`N(0, 1/12)` entries, :math:`y = A z^\circ + 0.3\,\varepsilon` for random bits :math:`z^\circ`, NumPy
      seed 2019), from :math:`p_0 = (\tfrac12, \dots)`;
    - ``pois-quad``: :math:`(z - 2.5)^2`, :math:`z \sim \mathrm{Poisson}(\lambda)`, from :math:`\lambda_0 = 4`
      (optimum :math:`\lambda = 2`, ST's rest point 2.5);
    - ``pois-log``: :math:`0.2 z - \log(1 + z)` from :math:`\lambda_0 = 1` (``objectives.cost_minus_log``).
    """
    rng = np.random.default_rng(2019)
    a = rng.normal(0.0, 1.0 / math.sqrt(12), size=(12, 10))
    bits = (rng.random(10) < 0.5).astype(float)
    y = a @ bits + 0.3 * rng.normal(size=12)
    problems = [ToyProblem(f"t={t:g}", rf"$(z - {t:g})^2$, Bernoulli", objectives.quadratic(t), "bernoulli",
                           [0.5], [0.25]) for t in (0.45, 0.49, 0.499)]
    lsq = objectives.least_squares(a.tolist(), y.tolist())
    problems.append(ToyProblem("lsq", r"$\Vert Az - y\Vert^2$, 10 bits", lsq, "bernoulli", [0.5] * 10,
                               np.linspace(0.2, 0.8, 10)))
    problems.append(ToyProblem("pois-quad", r"$(z - 2.5)^2$, Poisson", objectives.quadratic(2.5), "poisson",
                               [4.0], [4.0]))
    problems.append(ToyProblem("pois-log", r"$0.2z - \log(1+z)$, Poisson", objectives.cost_minus_log(0.2),
                               "poisson", [1.0], [1.0]))
    return tuple(problems)


def estimators_for(family: str) -> tuple[str, ...]:
    """The estimators compared on a family (:data:`BERNOULLI_ESTIMATORS` or :data:`POISSON_ESTIMATORS`)."""
    family = check_family(family)
    if family == "bernoulli":
        return BERNOULLI_ESTIMATORS
    if family == "poisson":
        return POISSON_ESTIMATORS
    raise ValueError("family must be 'bernoulli' or 'poisson' for the toy experiments; got 'categorical'")


def draws_per_step(estimator: str, evaluations: int = EVALUATIONS) -> int:
    """Draws that spend ``evaluations`` evaluations of ``f``: ``evaluations // Estimator.evaluations`` (half for ARM
    and DisARM, which evaluate ``f`` twice per draw)."""
    est = get_estimator(estimator)
    evaluations = check_count(evaluations, "evaluations", minimum=2, maximum=10_000)
    if evaluations % 2:
        raise ValueError(f"evaluations must be even (ARM and DisARM evaluate f twice per draw); got {evaluations}")
    return evaluations // est.evaluations


def estimator_options(estimator: str) -> dict[str, object]:
    """The fixed options of an estimator in these experiments: ``temperature`` = :data:`REINMAX_TEMPERATURE` for
    ``reinmax``, :data:`TEMPERATURE` for the other estimators that have one, none otherwise."""
    est = get_estimator(estimator)
    if est.name == "reinmax":
        return {"temperature": REINMAX_TEMPERATURE}
    return {"temperature": TEMPERATURE} if "temperature" in est.defaults else {}


def loss_minimum(f: Objective, family: str, theta: torch.Tensor) -> float:
    r""":math:`L^\star = \inf_\theta L(\theta)` over the family, for parameters of ``theta``'s shape.

    Bernoulli: :math:`L` is affine in each :math:`p_i`, so the infimum is :math:`\min_z f(z)` over the vertices
    (enumerated). Poisson (one rate): a bounded scalar minimisation of the exact :math:`L` over
    :math:`\log\lambda \in [-7, 4]`.
    """
    f = check_objective(f)
    family = check_family(family)
    theta = check_parameter(family, theta).detach().double()
    if family == "bernoulli":
        return min(float(f(z).min()) for z in enumerate_support(family, torch.full_like(theta, 0.5)))
    if family != "poisson" or theta.numel() != 1:
        raise ValueError("loss_minimum handles Bernoulli parameters of any shape and a single Poisson rate; "
                         f"got family {family!r} with shape {tuple(theta.shape)}")
    shape = theta.shape
    result = optimize.minimize_scalar(lambda s: exact_expectation(f, family, torch.full(shape, math.exp(s))),
                                      bounds=(-7.0, 4.0), method="bounded", options={"xatol": 1e-10})
    if not -7.0 + 1e-6 < result.x < 4.0 - 1e-6:
        raise ValueError(f"f's exact loss is smallest at the edge of the searched rates (log rate {result.x:.3f} in "
                         f"[-7, 4]): its infimum over the Poisson family is not attained inside; choose another f")
    return float(result.fun)


def exact_losses(f: Objective, family: str, path: object) -> np.ndarray:
    r"""The exact loss :math:`L(\theta_t)` of every iterate of ``path`` (shape ``(T, *S)``), by enumeration.

    Vectorised over iterates: the support is enumerated once (Poisson: truncated at the largest rate of the path,
    which bounds the tail of every iterate, as in :mod:`pwgf_viz.exact`). Equals ``exact_expectation`` row by row.
    """
    f = check_objective(f)
    family = check_family(family)
    if family == "categorical":
        raise ValueError("exact_losses handles the families 'bernoulli' and 'poisson'; got 'categorical'")
    if isinstance(path, np.ndarray):
        path = torch.from_numpy(np.ascontiguousarray(path, dtype=np.float64))
    path = check_parameter(family, path, "path").detach().double()
    if path.dim() < 2:
        raise ValueError(f"path must have shape (T, *theta.shape), one row per iterate; got {tuple(path.shape)}")
    reference = path.max(0).values
    totals = torch.zeros(path.shape[0], dtype=torch.float64)
    for z in enumerate_support(family, reference):
        values = f(z).detach().double()
        block = max(1, 2_000_000 // max(1, z.numel()))
        for start in range(0, path.shape[0], block):
            rows = path[start:start + block]
            log_p = families.log_prob(family, rows[:, None], z[None].expand((rows.shape[0],) + tuple(z.shape)),
                                      sample_dims=2)
            totals[start:start + block] += log_p.exp() @ values
    return totals.numpy()


def _to_omega(family: str, theta: torch.Tensor) -> torch.Tensor:
    return torch.logit(theta) if family == "bernoulli" else torch.log(theta)


def _from_omega(family: str, omega: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(omega) if family == "bernoulli" else torch.exp(omega)


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread inside the block, then restore the previous count.

    The toy tensors hold a handful of numbers; on a busy machine torch's intra-op threads cost far more than they
    save (``torch.logit`` of ten numbers took milliseconds with two threads, microseconds with one).
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class Run(NamedTuple):
    """The iterates :math:`\\theta_0, \\dots, \\theta_T` (shape ``(T + 1, *S)``) and the mean wall time of a step."""

    path: np.ndarray
    seconds_per_step: float


def adam_run(estimator: str, problem: ToyProblem, steps: int, lr: float = 0.05, seed: int = 0,
             evaluations: int = EVALUATIONS) -> Run:
    """Train ``problem``'s parameter with Adam on :math:`\\omega` (module docstring), driven by ``estimator``.

    ``estimator`` is a name from :data:`pwgf_viz.ESTIMATORS` supporting the family, or ``"exact"``. Step ``t`` of
    seed ``s`` draws with seed ``(s + 1) * 10**6 + t``, so runs are reproducible and seeds independent. The timed
    part of a step is the estimate, its chain rule and the Adam update (not the scoring).
    """
    if not isinstance(problem, ToyProblem):
        raise TypeError(f"problem must be a ToyProblem (see toy_problems()); got {type(problem).__name__}")
    steps = check_count(steps, "steps", minimum=1, maximum=100_000)
    lr = check_positive(lr, "lr")
    seed = check_count(seed, "seed", minimum=0, maximum=1_000_000)
    if estimator == EXACT:
        draws, options = 0, {}
    else:
        get_estimator(estimator).check_family(problem.family)
        draws, options = draws_per_step(estimator, evaluations), estimator_options(estimator)
    with single_thread():
        path, elapsed = _adam_steps(estimator, problem, steps, lr, seed, draws, options)
    return Run(torch.stack(path).numpy(), elapsed / steps)


def _adam_steps(estimator: str, problem: ToyProblem, steps: int, lr: float, seed: int, draws: int,
                options: dict[str, object]) -> tuple[list[torch.Tensor], float]:
    """The loop of :func:`adam_run`: the iterates and the summed wall time of the steps."""
    family = problem.family
    omega = _to_omega(family, problem.theta0).clone().requires_grad_(True)
    optimizer = torch.optim.Adam([omega], lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1 - t / steps)
    path = [problem.theta0.clone()]
    elapsed = 0.0
    for t in range(steps):
        start = time.perf_counter()
        optimizer.zero_grad()
        theta = _from_omega(family, omega)
        if estimator == EXACT:
            grad = exact_gradient(problem.f, family, theta.detach())
        else:
            grad = gradient_samples(estimator, problem.f, family, theta.detach(), draws,
                                    seed=(seed + 1) * 10**6 + t, **options).mean(0)
        theta.backward(grad)
        optimizer.step()
        schedule.step()
        with torch.no_grad():
            omega.clamp_(-OMEGA_LIMIT, OMEGA_LIMIT)
        elapsed += time.perf_counter() - start
        path.append(_from_omega(family, omega.detach()))
    return path, elapsed


def relative_gap(problem: ToyProblem, losses: np.ndarray) -> np.ndarray:
    """:math:`\\Delta_t` of eq. ``eq-relative-gap`` for exact losses of a run of ``problem``."""
    initial = exact_expectation(problem.f, problem.family, problem.theta0)
    return (np.asarray(losses, dtype=float) - problem.minimum) / (initial - problem.minimum)


class Curve(NamedTuple):
    """A relative-gap curve over seeds at kept steps: mean, and the range (min to max) over seeds."""

    steps: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass
class ToyResults:
    """Per-run records (``kind`` ``"run"``), curves per (problem, estimator), bias records (``kind`` ``"bias"``)."""

    runs: list[dict[str, object]]
    curves: dict[tuple[str, str], Curve]
    bias: list[dict[str, object]]

    def to_records(self) -> list[dict[str, object]]:
        """Flat records for :func:`pwgf_viz.results.save_results` (curves as ``kind`` ``"curve"``)."""
        def rounded(values: np.ndarray) -> list[float]:   # 6 significant digits keep the file small
            return [float(f"{v:.6g}") for v in values]

        curves = [{"kind": "curve", "problem": p, "estimator": e, "steps": c.steps.astype(int).tolist(),
                   "mean": rounded(c.mean), "low": rounded(c.low), "high": rounded(c.high)}
                  for (p, e), c in self.curves.items()]
        return [*self.runs, *curves, *self.bias]

    @classmethod
    def from_records(cls, records: Sequence[Mapping[str, object]]) -> ToyResults:
        """The inverse of :meth:`to_records` (for a result file)."""
        kinds = {r.get("kind") for r in records}
        if not kinds <= {"run", "curve", "bias"}:
            raise ValueError(f"records must have kind 'run', 'curve' or 'bias'; got kinds {sorted(map(str, kinds))}")
        curves = {(r["problem"], r["estimator"]): Curve(*(np.asarray(r[k], dtype=float)
                                                          for k in ("steps", "mean", "low", "high")))
                  for r in records if r["kind"] == "curve"}
        return cls([dict(r) for r in records if r["kind"] == "run"], curves,
                   [dict(r) for r in records if r["kind"] == "bias"])


def _curve(gaps: np.ndarray, points: int) -> Curve:
    keep = np.unique(np.linspace(0, gaps.shape[1] - 1, points).round().astype(int))
    return Curve(keep, gaps.mean(0)[keep], gaps.min(0)[keep], gaps.max(0)[keep])


def run_grid(problems: Sequence[ToyProblem], setting: Setting, progress: bool = False) -> ToyResults:
    """Every estimator of :func:`estimators_for` on every problem and seed, plus one exact-gradient run each.

    A ``"run"`` record holds ``problem``, ``estimator``, ``seed``, ``final_gap`` (mean relative gap over the last
    :data:`FINAL_FRACTION` of steps) and ``ms_per_step``. ``progress`` shows a tqdm bar (on stderr: keep it off when
    the book is built).
    """
    if not isinstance(setting, Setting):
        raise TypeError(f"setting must be a Setting (e.g. SETTINGS['quick']); got {type(setting).__name__}")
    if isinstance(problems, ToyProblem) or not problems or not all(isinstance(p, ToyProblem) for p in problems):
        raise ValueError("problems must be a non-empty list of ToyProblem (see toy_problems())")
    jobs = [(p, e, s) for p in problems for e in (EXACT, *estimators_for(p.family))
            for s in (range(1) if e == EXACT else range(setting.seeds))]
    tail = max(1, round(FINAL_FRACTION * setting.steps))
    runs, gaps = [], {}
    for problem, name, seed in tqdm(jobs, desc="toy runs", unit="run", disable=not progress):
        run = adam_run(name, problem, setting.steps, setting.lr, seed)
        with single_thread():
            gap = relative_gap(problem, exact_losses(problem.f, problem.family, run.path))
        gaps.setdefault((problem.key, name), []).append(gap)
        runs.append({"kind": "run", "problem": problem.key, "estimator": name, "seed": seed,
                     "final_gap": float(gap[-tail:].mean()), "ms_per_step": 1e3 * run.seconds_per_step})
    curves = {key: _curve(np.stack(values), setting.curve_points) for key, values in gaps.items()}
    return ToyResults(runs, curves, bias_records(problems, setting.bias_draws))


def bias_stats(problem: ToyProblem, n: int = 10_000, seed: int = 0) -> list[EstimatorStats]:
    """Bias and spread of each estimator of the problem's family at its probe point (:mod:`pwgf_viz.compare`).

    Bernoulli problems also get a ``pwgf`` row, just before ``reinmax`` (equal to it draw by draw, same seed)."""
    if not isinstance(problem, ToyProblem):
        raise TypeError(f"problem must be a ToyProblem (see toy_problems()); got {type(problem).__name__}")
    target = Problem(problem.key, problem.f, problem.family, problem.probe)
    names = estimators_for(problem.family)
    if problem.family == "bernoulli":
        at = names.index("reinmax")
        names = (*names[:at], "pwgf", *names[at:])
    return [estimator_stats(target, name, n, seed, **estimator_options(name)) for name in names]


def bias_records(problems: Sequence[ToyProblem], n: int = 10_000, seed: int = 0) -> list[dict[str, object]]:
    """:func:`bias_stats` of every problem as ``"bias"`` records (bias, its standard error, std, exact norm)."""
    return [{"kind": "bias", "problem": s.problem, "estimator": s.estimator, "bias": s.bias, "bias_se": s.bias_se,
             "std": s.std, "exact_norm": float(s.exact.norm())}
            for problem in problems for s in bias_stats(problem, n, seed)]


class Comparison(NamedTuple):
    """An estimator's final gap against the best rival's on one problem (means and sds over seeds)."""

    problem: str
    estimator: str
    mean: float
    sd: float
    rival: str
    rival_mean: float
    rival_sd: float
    z: float

    @property
    def comparable_or_better(self) -> bool:
        """Not worse than the best rival by more than two standard errors of the difference of means."""
        return self.z <= 2.0

    @property
    def clearly_better(self) -> bool:
        """Better than the best rival (so than every rival) by more than two standard errors."""
        return self.z < -2.0


def compare_final_gaps(runs: Sequence[Mapping[str, object]], problem: str, estimator: str,
                       rivals: Sequence[str]) -> Comparison:
    r"""Compare ``estimator``'s mean final gap with the lowest among ``rivals`` on ``problem``.

    :math:`z = (\bar\Delta - \bar\Delta_{\mathrm{rival}}) / \sqrt{s^2/S + s_{\mathrm{rival}}^2/S_{\mathrm{rival}}}`,
    with the sample standard deviations over seeds (a floor of :math:`10^{-12}` on the denominator).
    """
    def gaps(name: str) -> list[float]:
        return [float(r["final_gap"]) for r in runs
                if r.get("kind", "run") == "run" and r["problem"] == problem and r["estimator"] == name]

    own = gaps(estimator)
    if len(own) < 2:
        raise ValueError(f"estimator {estimator!r} needs at least two runs on problem {problem!r}; got {len(own)}")
    stats = {name: mean_sd(values) for name in rivals if name != estimator and len(values := gaps(name)) >= 2}
    if not stats:
        raise ValueError(f"rivals must name at least one other estimator with two runs on problem {problem!r}")
    counts = {name: len(gaps(name)) for name in stats}
    rival = min(stats, key=lambda name: stats[name][0])
    mean, sd = mean_sd(own)
    rival_mean, rival_sd = stats[rival]
    se = math.sqrt(sd**2 / len(own) + rival_sd**2 / counts[rival])
    return Comparison(problem, estimator, mean, sd, rival, rival_mean, rival_sd, (mean - rival_mean) / max(se, 1e-12))


def curve_panels(results: ToyResults, problems: Sequence[ToyProblem]) -> dict[str, dict[str, Curve]]:
    """The curves of ``results`` by problem title, then estimator (exact run first): the input of
    :func:`pwgf_viz.plots.band_panels`."""
    return {p.title: {e: results.curves[p.key, e] for e in (EXACT, *estimators_for(p.family))
                      if (p.key, e) in results.curves} for p in problems}


def final_gap_table(runs: Sequence[Mapping[str, object]], problems: Sequence[ToyProblem], digits: int = 4) -> str:
    """Markdown: one row per estimator, one column per problem, cells ``mean ± sd`` of the final gap over seeds.

    Built with :func:`pwgf_viz.results.summary_table` from one record per (estimator, seed) holding the final gap
    of each problem that estimator ran; the last column counts those records (the seeds).
    """
    wide: dict[tuple[str, int], dict[str, object]] = {}
    for r in runs:
        record = wide.setdefault((str(r["estimator"]), int(r["seed"])), {"estimator": r["estimator"]})
        record[str(r["problem"])] = r["final_gap"]
    table = summary_table(list(wide.values()), "estimator", [p.key for p in problems], digits)
    return table.replace(" ± ", "\u00a0±\u00a0")   # no-break spaces keep "mean ± sd" on one line


def step_time_panels(runs: Sequence[Mapping[str, object]],
                     problems: Sequence[ToyProblem]) -> dict[str, dict[str, float]]:
    """Median wall time of a step (ms) per estimator, over the runs on each family's problems (``exact`` left out)."""
    panels: dict[str, dict[str, float]] = {}
    for family in ("bernoulli", "poisson"):
        keys = {p.key for p in problems if p.family == family}
        times = {e: [float(r["ms_per_step"]) for r in runs if r["problem"] in keys and r["estimator"] == e]
                 for e in estimators_for(family)}
        if any(times.values()):
            panels[family.capitalize()] = {e: float(np.median(v)) for e, v in times.items() if v}
    return panels


def bias_table(records: Sequence[Mapping[str, object]], problems: Sequence[ToyProblem]) -> str:
    """Markdown: one row per estimator, one column per problem, cells ``bias / std`` (as :mod:`pwgf_viz.compare`).

    The first row gives each problem's exact gradient norm at its probe point, the scale of the cells.
    """
    cell = {(r["problem"], r["estimator"]): r for r in records if r.get("kind", "bias") == "bias"}
    keys = [p.key for p in problems if any(k[0] == p.key for k in cell)]
    if not keys:
        raise ValueError("records must hold bias records of the given problems (see bias_records)")
    names = list(dict.fromkeys(e for (_, e) in cell))
    norms = {k: next(r["exact_norm"] for (p, _), r in cell.items() if p == k) for k in keys}
    rows = ["| estimator | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys),
            "| *exact ‖∇L‖* | " + " | ".join(f"*{norms[k]:.3g}*" for k in keys) + " |"]
    for e in names:
        cells = [f"{cell[k, e]['bias']:.3g}\u00a0/\u00a0{cell[k, e]['std']:.3g}" if (k, e) in cell else ""
                 for k in keys]
        rows.append(f"| `{e}` | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def claim_comparisons(runs: Sequence[Mapping[str, object]], problems: Sequence[ToyProblem]) -> list[Comparison]:
    """The paper's claims, problem by problem (:func:`compare_final_gaps`): on each Bernoulli problem, ST and pWGF
    (run as ``reinmax``, equal draw by draw) each against the best estimator other than ST and pWGF; on each Poisson
    problem, pWGF against the best other (ST included)."""
    out = []
    for p in problems:
        names = estimators_for(p.family)
        if p.family == "bernoulli":
            rivals = [e for e in names if e not in ("st", "reinmax")]
            out.extend(compare_final_gaps(runs, p.key, mine, rivals) for mine in ("st", "reinmax"))
        else:
            out.append(compare_final_gaps(runs, p.key, "pwgf", [e for e in names if e != "pwgf"]))
    return out


def claim_table(comparisons: Sequence[Comparison], digits: int = 4) -> str:
    """Markdown: per problem, the estimator of the claim and the best rival (mean ± sd of the final gap), the
    difference in standard errors :math:`z`, and the verdict (Bernoulli: comparable or better, ``z <= 2``;
    Poisson: clearly better, ``z < -2``)."""
    if not comparisons:
        raise ValueError("comparisons must hold at least one Comparison (see claim_comparisons)")
    rows = ["| problem | estimator | final gap | best rival | its final gap | z | claim | held |",
            "|---|---|---:|---|---:|---:|---|---|"]
    for c in comparisons:
        clearly = c.estimator == "pwgf"
        claim, held = ("clearly better", c.clearly_better) if clearly else ("comparable or better",
                                                                            c.comparable_or_better)
        rows.append(f"| {c.problem} | `{c.estimator}` | {c.mean:.{digits}f}\u00a0±\u00a0{c.sd:.{digits}f} | "
                    f"`{c.rival}` | {c.rival_mean:.{digits}f}\u00a0±\u00a0{c.rival_sd:.{digits}f} | {c.z:+.1f} | "
                    f"{claim} | {'yes' if held else '**no**'} |")
    return "\n".join(rows)
