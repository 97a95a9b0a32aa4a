r"""The grid of toy experiments of Part IV: every estimator on the same problems and seeds, and its records.

:func:`run_grid` trains every estimator that supports a problem's family (:mod:`pwgf_viz.toy_problems`) on every
seed with :func:`pwgf_viz.toy_training.adam_run`, scores each run exactly (:mod:`pwgf_viz.toy_scoring`), and
measures each estimator's bias and spread at the problem's probe point against the exact gradient
(:func:`bias_stats`, :mod:`pwgf_viz.compare`) with the draws as training makes them. :class:`ToyResults` holds the
records and turns them into the flat records of a result file (:mod:`pwgf_viz.results`) and back. The claims are
tested in :mod:`pwgf_viz.toy_claims`, the tables rendered by :mod:`pwgf_viz.toy_tables`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from tqdm.auto import tqdm

from .compare import EstimatorStats, Problem, estimator_stats
from .estimators import get_estimator
from .toy_problems import EXACT, Setting, ToyProblem, draws_per_step, estimator_options, estimators_for
from .toy_scoring import exact_losses, final_gap, relative_gap
from .toy_training import adam_run, single_thread
from .validation import check_count


class Curve(NamedTuple):
    """A relative-gap curve over seeds at kept steps: mean, and the range (min to max) over seeds."""

    steps: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass
class ToyResults:
    """Per-run records (``kind`` ``"run"``), curves per (problem, estimator), bias records (``kind`` ``"bias"``).

    Parameters
    ----------
    runs : list of dict
        One record per run: ``kind`` ``"run"``, ``problem``, ``estimator``, ``seed``, ``final_gap``, ``ms_per_step``.
    curves : dict of (str, str) to Curve
        The relative-gap curve over seeds of each (problem key, estimator).
    bias : list of dict
        The records of :func:`bias_records`.
    """

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
        """The inverse of :meth:`to_records` (for a result file).

        Parameters
        ----------
        records : sequence of mappings
            Records of ``kind`` ``"run"``, ``"curve"`` or ``"bias"``, as :meth:`to_records` writes them.

        Returns
        -------
        ToyResults
            The runs, the curves (as NumPy arrays) and the bias records.
        """
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
    """Every estimator of :func:`pwgf_viz.toy_problems.estimators_for` on every problem and seed, plus one
    exact-gradient run each.

    Parameters
    ----------
    problems : sequence of ToyProblem
        The problems, non-empty (:func:`pwgf_viz.toy_problems.toy_problems`).
    setting : Setting
        Steps, seeds, learning rate, bias draws and curve points (:data:`pwgf_viz.toy_problems.SETTINGS`).
    progress : bool, default False
        Show a tqdm bar (on stderr: keep it off when the book is built).

    Returns
    -------
    ToyResults
        A ``"run"`` record per run, with ``problem``, ``estimator``, ``seed``, ``final_gap``
        (:func:`pwgf_viz.toy_scoring.final_gap`) and ``ms_per_step``; the curves; and the bias records of
        :func:`bias_records` at ``setting.bias_draws`` draws.
    """
    if not isinstance(setting, Setting):
        raise TypeError(f"setting must be a Setting (e.g. SETTINGS['quick']); got {type(setting).__name__}")
    if isinstance(problems, ToyProblem) or not problems or not all(isinstance(p, ToyProblem) for p in problems):
        raise ValueError("problems must be a non-empty list of ToyProblem (see toy_problems())")
    jobs = [(p, e, s) for p in problems for e in (EXACT, *estimators_for(p.family))
            for s in (range(1) if e == EXACT else range(setting.seeds))]
    runs, gaps = [], {}
    for problem, name, seed in tqdm(jobs, desc="toy runs", unit="run", disable=not progress):
        run = adam_run(name, problem, setting.steps, setting.lr, seed)
        with single_thread():
            gap = relative_gap(problem, exact_losses(problem.f, problem.family, run.path))
        gaps.setdefault((problem.key, name), []).append(gap)
        runs.append({"kind": "run", "problem": problem.key, "estimator": name, "seed": seed,
                     "final_gap": final_gap(gap), "ms_per_step": 1e3 * run.seconds_per_step})
    curves = {key: _curve(np.stack(values), setting.curve_points) for key, values in gaps.items()}
    return ToyResults(runs, curves, bias_records(problems, setting.bias_draws))


def bias_options(estimator: str, n: int) -> dict[str, object]:
    """The options with which ``n`` draws of ``estimator`` are made as training makes them.

    :func:`pwgf_viz.toy_problems.estimator_options`, and for an estimator whose draws share a baseline
    (``reinforce_baseline``'s option ``groups``) one group per step's worth of draws, :math:`n/m` groups of the
    :math:`m` = :func:`pwgf_viz.toy_problems.draws_per_step` draws of a step: each draw's baseline is the other
    draw of its step, as in training, not the mean of all ``n``.

    Parameters
    ----------
    estimator : str
        A name of :data:`pwgf_viz.ESTIMATORS`.
    n : int
        The number of draws, a multiple of the draws per step.

    Returns
    -------
    dict
        The options to pass to :func:`pwgf_viz.estimators.gradient_samples`.
    """
    options = estimator_options(estimator)
    if "groups" not in get_estimator(estimator).defaults:
        return options
    per_step = draws_per_step(estimator)
    n = check_count(n, "n", minimum=per_step)
    if n % per_step:
        raise ValueError(f"n must be a multiple of the {per_step} draws per step of {estimator!r}; got {n}")
    return {**options, "groups": n // per_step}


def bias_stats(problem: ToyProblem, n: int = 10_000, seed: int = 0) -> list[EstimatorStats]:
    """Bias and spread of each estimator of the problem's family at its probe point (:mod:`pwgf_viz.compare`),
    ``n`` draws made as training makes them (:func:`bias_options`).

    Parameters
    ----------
    problem : ToyProblem
        The problem; its ``probe`` is where the estimators are measured.
    n : int, default 10000
        Draws per estimator, >= 2; for an estimator with a shared baseline, a multiple of its draws per step
        (:func:`bias_options`).
    seed : int, default 0
        The seed of the draws, the same for every estimator.

    Returns
    -------
    list of EstimatorStats
        One per estimator of :func:`pwgf_viz.toy_problems.estimators_for`; Bernoulli problems also get a ``pwgf``
        row, just before ``reinmax`` (equal to it draw by draw, same seed).
    """
    if not isinstance(problem, ToyProblem):
        raise TypeError(f"problem must be a ToyProblem (see toy_problems()); got {type(problem).__name__}")
    target = Problem(problem.key, problem.f, problem.family, problem.probe)
    names = estimators_for(problem.family)
    if problem.family == "bernoulli":
        at = names.index("reinmax")
        names = (*names[:at], "pwgf", *names[at:])
    return [estimator_stats(target, name, n, seed, **bias_options(name, n)) for name in names]


def bias_records(problems: Sequence[ToyProblem], n: int = 10_000, seed: int = 0) -> list[dict[str, object]]:
    """:func:`bias_stats` of every problem as ``"bias"`` records.

    Parameters
    ----------
    problems : sequence of ToyProblem
        The problems, in order.
    n, seed : int
        As in :func:`bias_stats`.

    Returns
    -------
    list of dict
        Per problem and estimator: ``kind`` ``"bias"``, ``problem``, ``estimator``, ``bias``, ``bias_se``, ``std`` and
        ``exact_norm`` (the exact gradient's norm at the probe).
    """
    return [{"kind": "bias", "problem": s.problem, "estimator": s.estimator, "bias": s.bias, "bias_se": s.bias_se,
             "std": s.std, "exact_norm": float(s.exact.norm())}
            for problem in problems for s in bias_stats(problem, n, seed)]


def curve_panels(results: ToyResults, problems: Sequence[ToyProblem]) -> dict[str, dict[str, Curve]]:
    """The curves of ``results`` by problem title, then estimator (exact run first).

    Parameters
    ----------
    results : ToyResults
        From :func:`run_grid` or :meth:`ToyResults.from_records`.
    problems : sequence of ToyProblem
        The problems to show, in order; an estimator without a curve is left out.

    Returns
    -------
    dict of str to dict of str to Curve
        Problem title -> estimator -> curve: the input of :func:`pwgf_viz.plots.band_panels`.
    """
    return {p.title: {e: results.curves[p.key, e] for e in (EXACT, *estimators_for(p.family))
                      if (p.key, e) in results.curves} for p in problems}


def step_time_panels(runs: Sequence[Mapping[str, object]],
                     problems: Sequence[ToyProblem]) -> dict[str, dict[str, float]]:
    """Median wall time of a step (ms) per estimator, over the runs on each family's problems (``exact`` left out).

    Parameters
    ----------
    runs : sequence of mappings
        ``"run"`` records (:attr:`ToyResults.runs`), with ``problem``, ``estimator`` and ``ms_per_step``.
    problems : sequence of ToyProblem
        The problems whose runs count; they give each run's family.

    Returns
    -------
    dict of str to dict of str to float
        ``"Bernoulli"`` and/or ``"Poisson"`` (a family without runs is left out) -> estimator -> median ms per step.
    """
    panels: dict[str, dict[str, float]] = {}
    for family in ("bernoulli", "poisson"):
        keys = {p.key for p in problems if p.family == family}
        times = {e: [float(r["ms_per_step"]) for r in runs if r["problem"] in keys and r["estimator"] == e]
                 for e in estimators_for(family)}
        if any(times.values()):
            panels[family.capitalize()] = {e: float(np.median(v)) for e, v in times.items() if v}
    return panels
