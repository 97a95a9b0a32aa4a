"""Run the Bernoulli VAE experiment of book/bernoulli-vae.md and write experiments/results/bernoulli-vae.json.

Usage: ``python experiments/bernoulli_vae.py --setting full`` (``quick`` is what the book runs when it is built).
Curves, final test ELBO and importance-weighted bound per architecture, estimator and seed; a tqdm bar per run.

``--estimators reinmax`` runs only the named estimators and merges their records into the existing result file of
the same setting (its records of other estimators are kept; records of the named ones are replaced).
"""

from __future__ import annotations

import argparse
import time

import torch

from pwgf_viz.latent_experiments import BERNOULLI_ESTIMATORS, SETTINGS, bernoulli_vae_experiment, settings_record
from pwgf_viz.results import load_results, save_results, summary_table

COLUMNS = ["test_elbo", "test_iw_bound", "test_elbo_exact", "test_log_likelihood"]
NAME = "bernoulli-vae"


def merged(old: dict | None, records: list[dict], setting: str, names: tuple[str, ...]) -> list[dict]:
    """The records of ``old`` (a result file of ``setting``) for estimators not in ``names``, then ``records``."""
    if old is None:
        return records
    if old["settings"] != settings_record(setting):
        raise ValueError(f"the existing {NAME}.json was written with other settings; rerun every estimator")
    return [r for r in old["records"] if r["estimator"] not in names] + records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=sorted(SETTINGS), default="full")
    parser.add_argument("--estimators", nargs="+", choices=BERNOULLI_ESTIMATORS, default=None,
                        help="run only these and merge them into the existing result file (default: all, replace)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    names = tuple(args.estimators) if args.estimators else BERNOULLI_ESTIMATORS
    start = time.perf_counter()
    experiment = bernoulli_vae_experiment(args.setting, progress=True, estimators=names)
    elapsed = time.perf_counter() - start
    records = experiment.records
    if args.estimators:
        records = merged(load_results(NAME), records, args.setting, names)
    path = save_results(NAME, records, settings_record(args.setting))
    for architecture in ("linear", "nonlinear"):
        rows = [r for r in records if r["architecture"] == architecture]
        print(f"\n{architecture}\n" + summary_table(rows, "estimator", COLUMNS, digits=2))
    print(f"\n{len(experiment.records)} runs in {elapsed:.0f} s; wrote {path}")


if __name__ == "__main__":
    main()
