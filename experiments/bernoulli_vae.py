"""Run the Bernoulli VAE experiment of book/bernoulli-vae.md and write experiments/results/bernoulli-vae.json.

Usage: ``python experiments/bernoulli_vae.py --setting full`` (``quick`` is what the book runs when it is built).
Curves, final test ELBO and importance-weighted bound per architecture, estimator and seed; a tqdm bar per run.
"""

from __future__ import annotations

import argparse

import torch

from pwgf_viz.latent_experiments import SETTINGS, bernoulli_vae_experiment, settings_record
from pwgf_viz.results import save_results, summary_table

COLUMNS = ["test_elbo", "test_iw_bound", "test_elbo_exact", "test_log_likelihood"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=sorted(SETTINGS), default="full")
    args = parser.parse_args()
    torch.set_num_threads(1)
    experiment = bernoulli_vae_experiment(args.setting, progress=True)
    path = save_results("bernoulli-vae", experiment.records, settings_record(args.setting))
    for architecture in ("linear", "nonlinear"):
        rows = [r for r in experiment.records if r["architecture"] == architecture]
        print(f"\n{architecture}\n" + summary_table(rows, "estimator", COLUMNS, digits=2))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
