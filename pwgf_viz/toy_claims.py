r"""The paper's claims tested on the toy runs of Part IV: each estimator of a claim against its best rival.

On each Bernoulli problem, ST and pWGF (run as ``reinmax``) are each *comparable or better* than the best estimator
other than these two; on each Poisson problem pWGF is *clearly better* than the best other, ST included
(:func:`claim_comparisons`). "Best" is the lowest mean final gap over seeds; the verdicts are Welch's test at 95 %
(:func:`pwgf_viz.verdicts.welch_verdict`, lower is better), the one rule of the experiment chapters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from .results import mean_sd
from .toy_problems import ToyProblem, estimators_for
from .verdicts import Verdict, welch_verdict


class Comparison(NamedTuple):
    """An estimator's final gap against the best rival's on one problem (means and sds over seeds), and the
    verdict of Welch's test between them."""

    problem: str
    estimator: str
    mean: float
    sd: float
    rival: str
    rival_mean: float
    rival_sd: float
    verdict: Verdict

    # The verdict's numbers, read through the comparison (pwgf_viz.verdicts.Verdict documents each).
    z = property(lambda self: self.verdict.z, doc="The difference of mean final gaps in standard errors.")
    t = property(lambda self: self.verdict.t, doc="The 95 % two-sided t-quantile at Welch's degrees of freedom.")
    comparable_or_better = property(lambda self: self.verdict.comparable_or_better,
                                    doc="Not worse than the best rival by more than ``t`` standard errors.")
    clearly_better = property(lambda self: self.verdict.clearly_better,
                              doc="Better than the best rival (so every rival) by more than ``t`` standard errors.")


def compare_final_gaps(runs: Sequence[Mapping[str, object]], problem: str, estimator: str,
                       rivals: Sequence[str]) -> Comparison:
    """Compare ``estimator``'s final gaps on ``problem`` with those of the rival of lowest mean among ``rivals``.

    Parameters
    ----------
    runs : sequence of mappings
        ``"run"`` records (:func:`pwgf_viz.toy_runs.run_grid`): ``problem``, ``estimator``, ``final_gap``.
    problem, estimator : str
        The problem key and the estimator of the claim, with at least two runs.
    rivals : sequence of str
        The estimators it is compared with; those with fewer than two runs on ``problem`` are left out.

    Returns
    -------
    Comparison
        Both means and sds, the rival chosen, and :func:`pwgf_viz.verdicts.welch_verdict` of the two samples
        (lower is better).
    """
    def gaps(name: str) -> list[float]:
        return [float(r["final_gap"]) for r in runs
                if r.get("kind", "run") == "run" and r["problem"] == problem and r["estimator"] == name]

    own = gaps(estimator)
    if len(own) < 2:
        raise ValueError(f"estimator {estimator!r} needs at least two runs on problem {problem!r}; got {len(own)}")
    samples = {name: values for name in rivals if name != estimator and len(values := gaps(name)) >= 2}
    if not samples:
        raise ValueError(f"rivals must name at least one other estimator with two runs on problem {problem!r}")
    stats = {name: mean_sd(values) for name, values in samples.items()}
    rival = min(stats, key=lambda name: stats[name][0])
    return Comparison(problem, estimator, *mean_sd(own), rival, *stats[rival],
                      welch_verdict(own, samples[rival], better="lower"))


def claim_comparisons(runs: Sequence[Mapping[str, object]], problems: Sequence[ToyProblem]) -> list[Comparison]:
    """The paper's claims, problem by problem (:func:`compare_final_gaps`): on each Bernoulli problem, ST and pWGF
    (run as ``reinmax``, equal draw by draw) each against the best estimator other than ST and pWGF; on each Poisson
    problem, pWGF against the best other (ST included).

    Parameters
    ----------
    runs : sequence of mappings
        The records of the toy runs, as in :func:`compare_final_gaps`.
    problems : sequence of ToyProblem
        The problems to test, in order (:func:`pwgf_viz.toy_problems.toy_problems`); Bernoulli or Poisson.

    Returns
    -------
    list of Comparison
        Two per Bernoulli problem (``st``, then ``reinmax``) and one per Poisson problem (``pwgf``), in the order of
        ``problems``.
    """
    out = []
    for p in problems:
        names = estimators_for(p.family)
        if p.family == "bernoulli":
            rivals = [e for e in names if e not in ("st", "reinmax")]
            out.extend(compare_final_gaps(runs, p.key, mine, rivals) for mine in ("st", "reinmax"))
        else:
            out.append(compare_final_gaps(runs, p.key, "pwgf", [e for e in names if e != "pwgf"]))
    return out
