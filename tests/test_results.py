"""pwgf_viz.results: result files of the experiment chapters and their mean ± sd tables."""

from __future__ import annotations

import math
import statistics

import pytest

from pwgf_viz.results import load_results, mean_sd, results_path, save_results, summary_table


def test_round_trip(tmp_path):
    records = [{"estimator": "st", "seed": 0, "elbo": -61.25}, {"estimator": "st", "seed": 1, "elbo": -60.5}]
    path = save_results("toy-run", records, {"steps": 10}, folder=tmp_path)
    assert path == tmp_path / "toy-run.json"
    assert load_results("toy-run", folder=tmp_path) == {"settings": {"steps": 10}, "records": records}
    first = path.read_bytes()
    save_results("toy-run", records, {"steps": 10}, folder=tmp_path)
    assert path.read_bytes() == first   # deterministic file for the same records


def test_missing_file_is_none(tmp_path):
    assert load_results("absent", folder=tmp_path) is None


def test_not_a_result_file(tmp_path):
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a result file"):
        load_results("bad", folder=tmp_path)


def test_mean_sd_matches_statistics():
    values = [1.0, 2.5, 4.0, -3.0]
    mean, sd = mean_sd(values)
    assert mean == pytest.approx(statistics.fmean(values))
    assert sd == pytest.approx(statistics.stdev(values))
    assert math.isnan(mean_sd([2.0])[1])


def test_summary_table_cells():
    records = [{"estimator": "st", "loss": 1.0}, {"estimator": "st", "loss": 3.0},
               {"estimator": "arm", "loss": 2.0, "time": 0.5}]
    table = summary_table(records, "estimator", ["loss", "time"], digits=2).splitlines()
    assert table[0] == "| estimator | loss | time | runs |"
    assert table[2] == f"| `st` | 2.00 ± {statistics.stdev([1.0, 3.0]):.2f} |  | 2 |"
    assert table[3] == "| `arm` | 2.00 | 0.50 | 1 |"


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: results_path(""), ValueError, "name"),
    (lambda: results_path("../x"), ValueError, "name"),
    (lambda: results_path(3), TypeError, "name"),
    (lambda: results_path("x", folder=3), TypeError, "folder"),
    (lambda: save_results("x", [], {}), ValueError, "records"),
    (lambda: save_results("x", "abc", {}), TypeError, "records"),
    (lambda: save_results("x", [{"a": 1}], []), TypeError, "settings"),
    (lambda: mean_sd([]), ValueError, "values"),
    (lambda: mean_sd([1.0, float("nan")]), ValueError, "finite"),
    (lambda: summary_table([], "e", ["x"]), ValueError, "records"),
    (lambda: summary_table([{"x": 1.0}], "e", ["x"]), ValueError, "row key"),
    (lambda: summary_table([{"e": 1, "x": 1.0}], "e", "x"), ValueError, "columns"),
    (lambda: summary_table([{"e": 1, "x": 1.0}], "e", ["x"], digits=-1), ValueError, "digits"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
