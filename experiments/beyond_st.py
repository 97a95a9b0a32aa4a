"""ReinMax's polynomial programming benchmark (chapter ``beyond-straight-through``, Part VI), quick or full.

Runs every estimator of :data:`pwgf_viz.polynomial.ESTIMATORS` on the loss mean |z - 0.45|^q over 128 binary
variables for q in (2, 1.5, 3) (in that order), Adam at 1e-3, 64 evaluations of f per step, and writes
``experiments/results/beyond-st.json`` (:func:`pwgf_viz.results.save_results`) after every finished run, so an
interrupted full run leaves the runs that finished, with the settings that produced them (``--append`` resumes it).
The chapter shows those records when the file is present. The committed full run (33 runs, 10 seeds, 8000 steps)
took 71 minutes of one thread on the project's shared 2-core machine, resumed once with ``--append``; the VAE
(``--vae --setting full``: 60 runs, 100 epochs, 5 seeds) took 9 minutes, and the VQ autoencoder
(``--vq --setting full``: 40 runs, 300 epochs, 10 seeds) 5 minutes.

    .venv/bin/python experiments/beyond_st.py --setting full

With ``--vae`` it runs the categorical VAE of :mod:`pwgf_viz.categorical_vae` instead and writes
``experiments/results/beyond-st-vae.json``, also after every finished run; with ``--vq``, the VQ autoencoder of
:mod:`pwgf_viz.vq` (straight-through against the rotation trick), written to ``experiments/results/beyond-st-vq.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import time
from pathlib import Path

import torch

from pwgf_viz import categorical_vae, polynomial, vq
from pwgf_viz.results import load_results, save_results

NAME = "beyond-st"
VAE_NAME = "beyond-st-vae"
VQ_NAME = "beyond-st-vq"
#: The order in which exponents are run (the paper's headline case first).
ORDER = (2.0, 1.5, 3.0)


def main(argv: list[str] | None = None) -> Path | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setting", choices=sorted(polynomial.SETTINGS), default="full",
                        help="quick: what the book runs when it is built; full: the paper's 40 x 200 steps, "
                             "10 seeds (default)")
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to write beyond-st.json (default: experiments/results)")
    parser.add_argument("--vae", action="store_true", help="run the categorical VAE instead")
    parser.add_argument("--vq", action="store_true", help="run the VQ autoencoder (ST against the rotation trick)")
    parser.add_argument("--exponents", type=float, nargs="+", default=None,
                        help="run only these exponents q (default: all, in the order 2, 1.5, 3)")
    parser.add_argument("--estimators", nargs="+", default=None,
                        help="run only these estimators, in this order (default: all)")
    parser.add_argument("--append", action="store_true",
                        help="keep the runs already in beyond-st.json (same setting) and add these")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.vae and args.vq:
        parser.error("--vae and --vq are separate runs: give one of them")
    if args.vae:
        return vae(args.setting, args.folder)
    if args.vq:
        return vector_quantisation(args.setting, args.folder)
    setting = polynomial.SETTINGS[args.setting]
    settings = {"setting": args.setting, **dataclasses.asdict(setting), "budget": polynomial.BUDGET,
                "dimension": polynomial.DIMENSION, "target": polynomial.TARGET,
                "options": {k: dict(v) for k, v in polynomial.ESTIMATORS.items()},
                "optimizer": "Adam, constant learning rate", "torch": torch.__version__,
                "machine": f"{platform.machine()}, 1 thread, shared 2-core machine"}
    records: list[dict[str, object]] = []
    previous = 0.0
    if args.append:
        old = load_results(NAME, args.folder)
        if old is not None:
            if old["settings"].get("setting") != args.setting:
                raise SystemExit(f"{NAME}.json holds the {old['settings'].get('setting')!r} setting")
            records = list(old["records"])
            previous = float(old["settings"].get("elapsed_seconds", 0.0))
    done = {(r["q"], r["estimator"]) for r in records}
    exponents = args.exponents or [q for q in ORDER if q in setting.exponents]
    names = args.estimators or list(setting.estimators)
    path = None
    start = time.perf_counter() - previous
    for q in exponents:
        for name in names:
            if (float(q), name) in done:
                continue
            record = polynomial.run(name, q, setting)
            records.append(record)
            finals = [row[-1] for row in record["loss"]]
            print(f"q={q} {name}: final gap {sum(finals) / len(finals):.5f} ({record['seconds']:.0f} s)",
                  flush=True)
            settings["elapsed_seconds"] = time.perf_counter() - start
            settings["finished_runs"] = len(records)
            path = save_results(NAME, records, settings, folder=args.folder)
    print(f"{len(records)} runs in {time.perf_counter() - start:.0f} s; wrote {path}")
    return path


MACHINE = f"{platform.machine()}, 1 thread, shared 2-core machine"


def run_and_save(result_name: str, run_all, setting: object, settings: dict[str, object],
                 folder: Path | None) -> Path | None:
    """``run_all(setting, progress=True, save=...)``, writing ``result_name``.json after each finished run."""
    start = time.perf_counter()
    paths: list[Path] = []

    def save(records: list[dict[str, object]]) -> None:
        settings["elapsed_seconds"] = time.perf_counter() - start
        settings["finished_runs"] = len(records)
        paths.append(save_results(result_name, records, settings, folder=folder))

    records = run_all(setting, progress=True, save=save)
    print(f"{len(records)} runs in {time.perf_counter() - start:.0f} s")
    return paths[-1] if paths else None


def vae(name: str, folder: Path | None) -> Path | None:
    """The categorical VAE runs of setting ``name``, saved after each run."""
    setting = categorical_vae.SETTINGS[name]
    settings = {"setting": name, **dataclasses.asdict(setting), "shapes": [list(s) for s in categorical_vae.SHAPES],
                "options": {k: dict(v) for k, v in categorical_vae.ESTIMATORS.items()}, "torch": torch.__version__,
                "machine": MACHINE}
    return run_and_save(VAE_NAME, categorical_vae.run_all, setting, settings, folder)


def vector_quantisation(name: str, folder: Path | None) -> Path | None:
    """The VQ autoencoder runs of setting ``name``, saved after each run."""
    setting = vq.SETTINGS[name]
    settings = {"setting": name, **dataclasses.asdict(setting), "data": "scikit-learn digits, grey levels / 16",
                "torch": torch.__version__, "machine": MACHINE}
    return run_and_save(VQ_NAME, vq.run_all, setting, settings, folder)


if __name__ == "__main__":
    main()
