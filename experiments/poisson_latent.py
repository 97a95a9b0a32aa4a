"""Run the Poisson factor experiment of book/poisson-latent.md and write experiments/results/poisson-latent.json.

Usage: ``python experiments/poisson_latent.py --setting full`` (``quick`` is what the book runs when it is built).
Curves, final test ELBO, importance-weighted bound, exact log-likelihood and loading recovery per estimator and seed.
"""

from __future__ import annotations

import argparse

import torch

from pwgf_viz.latent_experiments import SETTINGS, poisson_latent_experiment, settings_record
from pwgf_viz.results import save_results, summary_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=sorted(SETTINGS), default="full")
    args = parser.parse_args()
    torch.set_num_threads(1)
    experiment = poisson_latent_experiment(args.setting, progress=True)
    path = save_results("poisson-latent", experiment.records, settings_record(args.setting))
    columns = ["test_elbo", "test_iw_bound", "test_log_likelihood", "loading_cosine", "loading_scale"]
    print(summary_table(experiment.records, "estimator", columns, digits=3))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
