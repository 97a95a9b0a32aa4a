"""pwgf_viz.tables: the one Markdown renderer, and the bias tables built on it (pwgf_viz.compare)."""

from __future__ import annotations

import pytest

from pwgf_viz import compare, objectives, tables


def test_markdown_layout():
    text = tables.markdown(["a", "b", "c"], [["x", "1", ""], ["y", "2", "3"]])
    assert text.splitlines() == ["| a | b | c |", "|---|---:|---:|", "| x | 1 |  |", "| y | 2 | 3 |"]
    assert tables.markdown(["a", "b"], [], "ll").splitlines()[1] == "|---|---|"


def test_bias_std_table_formats():
    norms = {"p": 0.1, "q": 2.0}
    cells = {("p", "st"): (0.5, 0.86695), ("q", "arm"): (0.0012345, 12.5)}
    three_g = compare.bias_std_table(norms, cells, ["st", "arm"], ".3g").splitlines()
    assert three_g[2] == "| *exact ‖∇L‖* | *0.1* | *2* |"
    assert three_g[3] == "| `st` | 0.5\u00a0/\u00a00.867 |  |"
    assert three_g[4] == "| `arm` |  | 0.00123\u00a0/\u00a012.5 |"
    three_f = compare.bias_std_table(norms, cells, ["st"]).splitlines()
    assert three_f[2] == "| *exact ‖∇L‖* | *0.100* | *2.000* |"


def test_markdown_table_of_stats_keeps_its_layout():
    problem = compare.Problem("toy", objectives.quadratic(0.45), "bernoulli", [0.3])
    stats = compare.comparison([problem], ["st", "arm"], n=100)
    lines = compare.markdown_table(stats, ["st", "arm"]).splitlines()
    s = stats[0]
    assert lines[:3] == ["| estimator | toy |", "|---|---:|", "| *exact ‖∇L‖* | *0.100* |"]
    assert lines[3] == f"| `st` | {s.bias:.3f}\u00a0/\u00a0{s.std:.3f} |"


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: tables.markdown([], []), ValueError, "header"),
    (lambda: tables.markdown(["a", "b"], [["x"]]), ValueError, r"rows\[0\]"),
    (lambda: tables.markdown(["a"], [["x"]], "c"), ValueError, "align"),
    (lambda: tables.markdown(["a"], "x"), TypeError, "rows"),
    (lambda: compare.bias_std_table({}, {}, ["st"]), ValueError, "norms"),
    (lambda: compare.bias_std_table({"p": 1.0}, {}, ["st"], "q"), ValueError, "spec"),
])
def test_bad_input_is_refused_by_name(call, error, match):
    with pytest.raises(error, match=match):
        call()
