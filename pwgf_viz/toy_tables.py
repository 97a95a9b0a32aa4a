"""The Markdown tables of the toy chapter (Part IV): the problems, final gaps, bias and spread, claims.

All four go through the book's one renderer, :func:`pwgf_viz.tables.markdown` (the final gaps by
:func:`pwgf_viz.results.summary_table`, the bias and spread by :func:`pwgf_viz.compare.bias_std_table`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from . import tables
from .compare import bias_std_table
from .exact import exact_expectation
from .results import summary_table
from .toy_claims import Comparison
from .toy_problems import ToyProblem

#: No-break spaces around the ± of ``mean ± sd``, which keep a cell on one line.
PLUS_MINUS = f"{tables.NBSP}±{tables.NBSP}"


def problem_table(problems: Sequence[ToyProblem]) -> str:
    """Markdown: one row per problem, its key, objective and family, start, probe point, starting loss
    :math:`L(\\theta_0)` (exact, by enumeration) and best loss :math:`L^\\star`.

    Parameters
    ----------
    problems : sequence of ToyProblem
        The problems (:func:`pwgf_viz.toy_problems.toy_problems`), at least one.

    Returns
    -------
    str
        The Markdown table; a start or probe of several coordinates shows its first (and last) value.
    """
    if not problems:
        raise ValueError("problems must hold at least one ToyProblem (see toy_problems.toy_problems)")
    rows = []
    for p in problems:
        theta0 = f"{p.theta0[0]:g}" + (" (each)" if p.theta0.numel() > 1 else "")
        probe = f"{p.probe[0]:g}" + (f" to {p.probe[-1]:g}" if p.probe.numel() > 1 else "")
        start = exact_expectation(p.f, p.family, p.theta0)
        rows.append([p.key, p.title, theta0, probe, f"{start:.4f}", f"{p.minimum:.4f}"])
    header = ["key", "$f$, family", "$\\theta_0$", "probe", "$L(\\theta_0)$", "$L^\\star$"]
    return tables.markdown(header, rows, "llllrr")


def final_gap_table(runs: Sequence[Mapping[str, object]], problems: Sequence[ToyProblem], digits: int = 4) -> str:
    """Markdown: one row per estimator, one column per problem, cells ``mean ± sd`` of the final gap over seeds.

    Built with :func:`pwgf_viz.results.summary_table` from one record per (estimator, seed) holding the final gap
    of each problem that estimator ran; the last column counts those records (the seeds). Only the runs of
    ``problems`` count, so an estimator that ran none of them has no row.

    Parameters
    ----------
    runs : sequence of mappings
        ``"run"`` records (:attr:`pwgf_viz.toy_runs.ToyResults.runs`): ``problem``, ``estimator``, ``seed``,
        ``final_gap``.
    problems : sequence of ToyProblem
        The columns, in order.
    digits : int, default 4
        Decimals shown, in [0, 12].

    Returns
    -------
    str
        The table.
    """
    keys = {p.key for p in problems}
    wide: dict[tuple[str, int], dict[str, object]] = {}
    for r in runs:
        if str(r["problem"]) not in keys:
            continue
        record = wide.setdefault((str(r["estimator"]), int(r["seed"])), {"estimator": r["estimator"]})
        record[str(r["problem"])] = r["final_gap"]
    if not wide:
        raise ValueError("runs must hold runs of the given problems (see toy_runs.run_grid)")
    return summary_table(list(wide.values()), "estimator", [p.key for p in problems], digits, PLUS_MINUS)


def bias_table(records: Sequence[Mapping[str, object]], problems: Sequence[ToyProblem]) -> str:
    """Markdown: one row per estimator, one column per problem, cells ``bias / std`` to three significant digits
    (:func:`pwgf_viz.compare.bias_std_table`).

    The first row gives each problem's exact gradient norm at its probe point, the scale of the cells; an
    estimator is a row only if it ran on one of ``problems`` (so that a table of the Bernoulli problems alone has
    no empty Poisson rows).

    Parameters
    ----------
    records : sequence of mappings
        Records of :func:`pwgf_viz.toy_runs.bias_records` (others, of another ``kind``, are ignored).
    problems : sequence of ToyProblem
        The columns, in order; problems without bias records are left out (at least one must have them).

    Returns
    -------
    str
        The table, rows in the order the estimators first appear in ``records``.
    """
    cell = {(r["problem"], r["estimator"]): r for r in records if r.get("kind", "bias") == "bias"}
    keys = [p.key for p in problems if any(k[0] == p.key for k in cell)]
    if not keys:
        raise ValueError("records must hold bias records of the given problems (see bias_records)")
    names = list(dict.fromkeys(e for (p, e) in cell if p in keys))  # rows with a cell in the table
    norms = {k: next(float(r["exact_norm"]) for (p, _), r in cell.items() if p == k) for k in keys}
    cells = {(p, e): (float(r["bias"]), float(r["std"])) for (p, e), r in cell.items()}
    return bias_std_table(norms, cells, names, ".3g")


def claim_table(comparisons: Sequence[Comparison], digits: int = 4) -> str:
    """Markdown: per problem, the estimator of the claim, whether the claim held, the difference in standard
    errors :math:`z` and the condition it had to meet, then the final gaps (mean ± sd) of the estimator and of
    the best rival.

    The verdict is Welch's test (:mod:`pwgf_viz.verdicts`) with its threshold :math:`t`: on Bernoulli problems
    comparable or better, :math:`z \\le t`; on Poisson problems clearly better, :math:`z < -t`. The verdict
    stands next to the key columns, so that a narrow page shows it first.

    Parameters
    ----------
    comparisons : sequence of Comparison
        The comparisons of :func:`pwgf_viz.toy_claims.claim_comparisons`, at least one.
    digits : int, default 4
        Decimals of the final gaps.

    Returns
    -------
    str
        The Markdown table, one row per comparison.
    """
    if not comparisons:
        raise ValueError("comparisons must hold at least one Comparison (see claim_comparisons)")
    space = tables.NBSP
    rows = []
    for c in comparisons:
        if c.estimator == "pwgf":
            needs, held = f"z{space}<{space}-{c.t:.2f}", c.clearly_better
        else:
            needs, held = f"z{space}≤{space}{c.t:.2f}", c.comparable_or_better
        rows.append([c.problem, f"`{c.estimator}`", "yes" if held else "**no**", f"{c.z:+.1f}", needs,
                     f"{c.mean:.{digits}f}{PLUS_MINUS}{c.sd:.{digits}f}", f"`{c.rival}`",
                     f"{c.rival_mean:.{digits}f}{PLUS_MINUS}{c.rival_sd:.{digits}f}"])
    return tables.markdown(["problem", "estimator", "held", "z", "needs", "final gap", "best rival", "its gap"],
                           rows, "llllrrlr")
