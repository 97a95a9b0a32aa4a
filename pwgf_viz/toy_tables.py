"""The Markdown tables of the toy chapter (Part IV): final gaps, bias and spread, claims.

All three go through the book's one renderer, :func:`pwgf_viz.tables.markdown` (the final gaps by
:func:`pwgf_viz.results.summary_table`, the bias and spread by :func:`pwgf_viz.compare.bias_std_table`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from . import tables
from .compare import bias_std_table
from .results import summary_table
from .toy_claims import Comparison
from .toy_problems import ToyProblem

#: No-break spaces around the ± of ``mean ± sd``, which keep a cell on one line.
PLUS_MINUS = f"{tables.NBSP}±{tables.NBSP}"


def final_gap_table(runs: Sequence[Mapping[str, object]], problems: Sequence[ToyProblem], digits: int = 4) -> str:
    """Markdown: one row per estimator, one column per problem, cells ``mean ± sd`` of the final gap over seeds.

    Built with :func:`pwgf_viz.results.summary_table` from one record per (estimator, seed) holding the final gap
    of each problem that estimator ran; the last column counts those records (the seeds).

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
    wide: dict[tuple[str, int], dict[str, object]] = {}
    for r in runs:
        record = wide.setdefault((str(r["estimator"]), int(r["seed"])), {"estimator": r["estimator"]})
        record[str(r["problem"])] = r["final_gap"]
    return summary_table(list(wide.values()), "estimator", [p.key for p in problems], digits, PLUS_MINUS)


def bias_table(records: Sequence[Mapping[str, object]], problems: Sequence[ToyProblem]) -> str:
    """Markdown: one row per estimator, one column per problem, cells ``bias / std`` to three significant digits
    (:func:`pwgf_viz.compare.bias_std_table`).

    The first row gives each problem's exact gradient norm at its probe point, the scale of the cells.

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
    names = list(dict.fromkeys(e for (_, e) in cell))
    norms = {k: next(float(r["exact_norm"]) for (p, _), r in cell.items() if p == k) for k in keys}
    cells = {(p, e): (float(r["bias"]), float(r["std"])) for (p, e), r in cell.items()}
    return bias_std_table(norms, cells, names, ".3g")


def claim_table(comparisons: Sequence[Comparison], digits: int = 4) -> str:
    """Markdown: per problem, the estimator of the claim and the best rival (mean ± sd of the final gap), the
    difference in standard errors :math:`z`, and the verdict of Welch's test (:mod:`pwgf_viz.verdicts`) with its
    threshold :math:`t`: on Bernoulli problems comparable or better, :math:`z \\le t`; on Poisson problems clearly
    better, :math:`z < -t`.

    Parameters
    ----------
    comparisons : sequence of Comparison
        From :func:`pwgf_viz.toy_claims.claim_comparisons`; at least one.
    digits : int, default 4
        Decimals of the final gaps.

    Returns
    -------
    str
        The table, one row per comparison; a claim that does not hold reads ``**no**``.
    """
    if not comparisons:
        raise ValueError("comparisons must hold at least one Comparison (see claim_comparisons)")
    rows = []
    for c in comparisons:
        if c.estimator == "pwgf":
            claim, held = f"clearly better, z{tables.NBSP}<{tables.NBSP}-{c.t:.2f}", c.clearly_better
        else:
            claim, held = f"comparable or better, z{tables.NBSP}≤{tables.NBSP}{c.t:.2f}", c.comparable_or_better
        rows.append([c.problem, f"`{c.estimator}`", f"{c.mean:.{digits}f}{PLUS_MINUS}{c.sd:.{digits}f}",
                     f"`{c.rival}`", f"{c.rival_mean:.{digits}f}{PLUS_MINUS}{c.rival_sd:.{digits}f}", f"{c.z:+.1f}",
                     claim, "yes" if held else "**no**"])
    return tables.markdown(["problem", "estimator", "final gap", "best rival", "its final gap", "z", "claim", "held"],
                           rows, "llrlrrll")
