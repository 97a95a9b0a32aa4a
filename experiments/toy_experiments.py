"""The toy experiments of chapter ``toy-experiments`` (Part IV), in the quick or the full setting.

Runs every estimator on the six toy problems of :func:`pwgf_viz.toy_problems.toy_problems` for every seed of the
setting (:data:`pwgf_viz.toy_problems.SETTINGS`), measures bias and spread against the exact gradient, and writes
``experiments/results/toy-experiments.json`` (:func:`pwgf_viz.results.save_results`), which the chapter shows when
it is present. The full setting (1000 steps, 10 seeds, 10^5 draws per bias cell; seven estimators on bits, four on
counts) took 350 s (6 minutes) on the project's shared 2-core machine with other jobs running (946 s on a busier day,
with one estimator fewer); the quick one one to six minutes, depending on the load.

    .venv/bin/python experiments/toy_experiments.py --setting full

``--bias-only`` recomputes only the bias records of the existing result file of the setting (seconds: the runs and
curves are kept as they are), e.g. after a change to how the bias table measures an estimator.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import time
from pathlib import Path

import torch

from pwgf_viz import toy_problems, toy_runs, toy_scoring
from pwgf_viz.results import load_results, save_results

NAME = "toy-experiments"


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setting", choices=sorted(toy_problems.SETTINGS), default="full",
                        help="quick: what the book runs when it is built; full: more steps and seeds (default)")
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to write toy-experiments.json (default: experiments/results)")
    parser.add_argument("--bias-only", action="store_true",
                        help="recompute only the bias records of the existing result file of this setting")
    args = parser.parse_args(argv)
    setting = toy_problems.SETTINGS[args.setting]
    if args.bias_only:
        return rerun_bias(setting, args.setting, args.folder)
    start = time.perf_counter()
    results = toy_runs.run_grid(toy_problems.toy_problems(), setting, progress=True)
    elapsed = time.perf_counter() - start
    settings = {"setting": args.setting, **dataclasses.asdict(setting), "optimizer": "Adam, lr decaying linearly to 0",
                "evaluations_per_step": toy_problems.EVALUATIONS, "temperature": toy_problems.TEMPERATURE,
                "final_fraction": toy_scoring.FINAL_FRACTION, "torch": torch.__version__,
                "machine": f"{platform.machine()}, {torch.get_num_threads()} threads"}
    path = save_results(NAME, results.to_records(), settings, folder=args.folder)
    print(f"{len(results.runs)} runs in {elapsed:.0f} s; wrote {path}")
    return path


def rerun_bias(setting: toy_problems.Setting, name: str, folder: Path | None) -> Path:
    """Replace the bias records of the result file (of setting ``name``) by new ones; keep the rest as it is."""
    existing = load_results(NAME, folder=folder)
    if existing is None or existing["settings"].get("setting") != name:
        raise SystemExit(f"no result file of the {name} setting to update: run without --bias-only first")
    start = time.perf_counter()
    bias = toy_runs.bias_records(toy_problems.toy_problems(), setting.bias_draws)
    records = [r for r in existing["records"] if r["kind"] != "bias"] + bias
    path = save_results(NAME, records, existing["settings"], folder=folder)
    print(f"{len(bias)} bias records in {time.perf_counter() - start:.0f} s; wrote {path}")
    return path


if __name__ == "__main__":
    main()
