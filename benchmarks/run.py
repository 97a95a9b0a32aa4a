"""The book's speed figures, re-runnable: ``make bench`` (or ``.venv/bin/python benchmarks/run.py``).

Prints one line per figure, with its target and whether it is met, then the list of missed targets:

- build: a cold build of the whole book (every chapter executed, empty caches) and a cached rebuild (every page
  rendered again, notebooks from the execution cache), in a scratch copy of the working tree (``git ls-files``,
  plus the vendored JavaScript), so the user's ``_build`` is never touched; run with the network guard on;
- chapters: per chapter, the execution time (the jupyter-cache record of the cold build) and the page size (the
  HTML file, animations and fallbacks embedded in it, plus the images it loads from ``_images/``);
- widgets: per live explorer (``benchmarks/explorers.py`` finds them), the time from a parameter change to the
  redrawn figure, median and 95th percentile over 50 changes, in a real Jupyter kernel;
- static: per explorer, its static stand-in for the site (issue 16): precomputed settings, distinct pictures,
  bytes in the page (target :data:`explorers.STATIC_BUDGET_BYTES`) and the time to draw the grid;
- estimators: ``gradient_samples`` at n = 10^4 (vectorised) against a Python loop of 10^4 single-draw calls, with
  a check that both give the same distribution (means within 4 standard errors);
- W2: the 1-D squared Wasserstein distance by sorting (``ot.wasserstein_1d``) against the linear program
  ``ot.emd2`` on n = 10^3 and 10^4 particles with uniform weights; both must agree to 1e-8;
- toy: the wall time of one training step of chapter ``toy-experiments`` (estimate, chain rule, Adam update) per
  problem and estimator, median of 3 runs of 200 steps (no target: the figures compare estimators).

Targets are goals, not assertions: a missed target is printed as MISSED and listed at the end (exit status 0).
``--only build,widgets`` runs some sections; ``--json FILE`` also writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = Path(__file__).resolve().parent
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"
BUILD_ARGS = ["build", ".", "--warningiserror", "--nitpick", "--keep-going", "--builder", "html"]
MB = 1_000_000

TARGETS = {
    "cold_build_s": 600.0,          # <= 10 min
    "cached_rebuild_s": 60.0,       # <= 60 s
    "widget_median_ms": 50.0,       # <= 50 ms
    "page_bytes": 3_000_000,        # <= 3 MB (decimal, the limit tests/test_site.py enforces)
    "estimator_ratio": 20.0,        # vectorised >= 20x the loop
    "w2_ratio_1e4": 50.0,           # sorting >= 50x ot.emd2 at n = 10^4
}

# (label, function of (x, y) -> squared W2 between the uniform empirical measures): the fast 1-D paths.
# The lead may add the book's own, e.g. ("pwgf_viz.ot1d.<name>", <function>), with one line.
W2_SORTING: list[tuple[str, Callable]] = [
    ("pwgf_viz.ot1d.quantile_wasserstein", lambda x, y: _ot1d().quantile_wasserstein(x, y, p=2) ** 2),
]


def _ot1d():
    """The book's quantile-formula module, imported when the W2 section runs (not at start-up)."""
    import pwgf_viz.ot1d

    return pwgf_viz.ot1d

missed: list[str] = []
results: dict[str, object] = {}


def report(line: str, value: float | None = None, target: float | None = None, higher_is_better: bool = False,
           name: str | None = None, unit: str = "") -> None:
    """Print one figure; with a target, say whether it is met and remember the misses."""
    if target is not None and value is not None:
        ok = value >= target if higher_is_better else value <= target
        shown = f"{target / MB:g} MB" if unit == "bytes" else f"{target:g}{unit}"
        line += f" (target {'>=' if higher_is_better else '<='} {shown}: {'met' if ok else 'MISSED'})"
        if not ok:
            missed.append(line)
    print(line, flush=True)
    if name is not None:
        results[name] = value


# --------------------------------------------------------------------------------------------- build
def scratch_copy(dest: Path) -> None:
    """The working tree's files that git knows (tracked or new, not ignored) and the vendored JavaScript."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    vendor = REPO / "_static" / "vendor"
    if not (vendor / ".installed").is_file():
        sys.exit("benchmarks: _static/vendor is missing; run `make vendor` (make bench does it)")
    shutil.copytree(vendor, dest / "_static" / "vendor")


def guarded_env(root: Path) -> dict[str, str]:
    env = dict(os.environ, PWGF_NO_NETWORK="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / "scripts" / "netguard"), env.get("PYTHONPATH")]))
    return env


def timed_build(root: Path, log: Path) -> float:
    start = time.perf_counter()
    with log.open("w") as out:
        status = subprocess.run([str(JUPYTER_BOOK), *BUILD_ARGS], cwd=root, env=guarded_env(root), stdout=out,
                                stderr=subprocess.STDOUT).returncode
    elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"benchmarks: the build failed (exit {status}); log: {log}\n{log.read_text()[-3000:]}")
    return elapsed


def toc_docnames(root: Path) -> list[str]:
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml(root / "_toc.yml")
    return [site_map.root.docname, *(name for name in site_map if name != site_map.root.docname)]


def page_bytes(html_dir: Path, docname: str) -> tuple[int, int]:
    """(HTML file bytes, bytes of the local images it loads): what the page costs beyond the shared theme."""
    from bs4 import BeautifulSoup

    page = html_dir / f"{docname}.html"
    images = set()
    for img in BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find_all("img", src=True):
        src = img["src"]
        if not urlsplit(src).scheme and not urlsplit(src).netloc:
            target = (page.parent / unquote(urlsplit(src).path)).resolve()
            if target.is_file():
                images.add(target)
    return page.stat().st_size, sum(p.stat().st_size for p in images)


def bench_build(keep: bool) -> None:
    print("== build: scratch copy of the working tree, empty caches, network guard on ==", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="pwgf-bench-"))
    try:
        scratch_copy(scratch)
        cold = timed_build(scratch, scratch / "cold-build.log")
        report(f"cold build (all chapters executed): {cold:.1f} s", cold, TARGETS["cold_build_s"],
               name="cold_build_s", unit=" s")
        execution = chapter_execution_seconds(scratch / "_build" / ".jupyter_cache")
        # The cached rebuild renders every page again; the notebooks come from the execution cache.
        shutil.rmtree(scratch / "_build" / "html")
        shutil.rmtree(scratch / "_build" / ".doctrees")
        cached = timed_build(scratch, scratch / "cached-build.log")
        report(f"cached rebuild (every page rendered, notebooks from the cache): {cached:.1f} s", cached,
               TARGETS["cached_rebuild_s"], name="cached_rebuild_s", unit=" s")
        noop = timed_build(scratch, scratch / "noop-build.log")
        report(f"no-change rebuild (what `make book` does when nothing changed): {noop:.1f} s", noop,
               name="noop_rebuild_s")
        print("== chapters: execution time (cold build) and page size ==", flush=True)
        for docname in toc_docnames(scratch):
            html, images = page_bytes(scratch / "_build" / "html", docname)
            seconds = execution.get(str((scratch / docname).with_suffix(".md")))
            executed = f"execution {seconds:.1f} s" if seconds is not None else "not executed (no code cells)"
            report(f"chapter {docname}: {executed}, page {(html + images) / MB:.2f} MB "
                   f"(HTML with embedded animations {html / MB:.2f} MB + images {images / MB:.2f} MB)",
                   html + images, TARGETS["page_bytes"], name=f"page_bytes[{docname}]", unit="bytes")
            results[f"execution_s[{docname}]"] = seconds
    finally:
        if keep:
            print(f"(scratch build kept in {scratch})")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def chapter_execution_seconds(cache_dir: Path) -> dict[str, float]:
    """Source path -> execution seconds, from the jupyter-cache database myst-nb wrote."""
    from jupyter_cache import get_cache

    return {record.uri: float(record.data.get("execution_seconds", math.nan))
            for record in get_cache(str(cache_dir)).list_cache_records()}


# -------------------------------------------------------------------------------------------- widgets
KERNEL_CODE = """
import json, sys
sys.path.insert(0, {bench_dir!r})
import explorers
print("PWGF-BENCH " + json.dumps(explorers.measure_all({changes})))
"""


def bench_widgets(changes: int = 50) -> None:
    print(f"== widgets: parameter change -> redrawn figure, {changes} changes, in a Jupyter kernel ==", flush=True)
    from jupyter_client import KernelManager

    manager = KernelManager(kernel_name="python3", transport="ipc")   # ZeroMQ over Unix sockets
    manager.start_kernel(cwd=str(REPO), env=guarded_env(REPO))
    client = manager.client()
    client.start_channels()
    lines: list[str] = []

    def collect(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            lines.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            lines.append("\n".join(msg["content"]["traceback"]))

    try:
        client.wait_for_ready(timeout=120)
        reply = client.execute_interactive(KERNEL_CODE.format(bench_dir=str(BENCH_DIR), changes=changes),
                                           timeout=1800, output_hook=collect)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    text = "".join(lines)
    if reply["content"]["status"] != "ok" or "PWGF-BENCH " not in text:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", text)   # the traceback's colours
        sys.exit(f"benchmarks: the widget benchmark failed in the kernel:\n{plain}")
    for row in json.loads(text.split("PWGF-BENCH ", 1)[1].splitlines()[0]):
        report(f"widget {row['explorer']} ({row['control']}, {row['changes']} changes): "
               f"median {row['median_ms']:.1f} ms, p95 {row['p95_ms']:.1f} ms "
               f"(the explorer's own timer: median {row['redraw_median_ms']:.1f} ms; "
               f"CPU time median {row['cpu_median_ms']:.1f} ms)",
               row["median_ms"], TARGETS["widget_median_ms"], name=f"widget_median_ms[{row['explorer']}]",
               unit=" ms")
        results[f"widget_p95_ms[{row['explorer']}]"] = row["p95_ms"]


# ------------------------------------------------------------------------------------ static explorers
def bench_static() -> None:
    print("== static explorers: the precomputed grid each page embeds ==", flush=True)
    sys.path.insert(0, str(BENCH_DIR))
    import explorers

    for row in explorers.measure_static_all():
        if not row["settings"]:
            report(f"static {row['explorer']}: no static controls (plain fallback)")
            continue
        report(f"static {row['explorer']} ({', '.join(row['controls'])}): {row['settings']} settings, "
               f"{row['pictures']} distinct pictures, {row['bytes'] / MB:.2f} MB in the page, drawn in "
               f"{row['seconds']:.1f} s", row["bytes"], explorers.STATIC_BUDGET_BYTES,
               name=f"static_bytes[{row['explorer']}]", unit="bytes")
        results[f"static_seconds[{row['explorer']}]"] = row["seconds"]


# ----------------------------------------------------------------------------------------- estimators
def bench_estimators(n: int = 10_000) -> None:
    print(f"== estimators: gradient_samples at n = {n} vs a Python loop of {n} single-draw calls ==", flush=True)
    import torch

    import pwgf_viz as pv
    from pwgf_viz import objectives

    problems = {
        "bernoulli": (objectives.quadratic(0.45), [0.3]),
        "categorical": (objectives.linear_score([1.0, -0.5, 2.0]), [0.2, -0.4, 0.1]),
        "poisson": (objectives.quadratic(2.5), [3.0]),
    }
    for family, (f, theta) in problems.items():
        for name, est in pv.ESTIMATORS.items():
            if family not in est.families:
                continue
            if est.min_samples > 1:
                print(f"estimator {name} ({family}): no single-draw loop (its leave-one-out baseline needs "
                      f"n >= {est.min_samples})")
                continue
            if family != "bernoulli" and name not in ("st", "reinforce"):
                continue
            vector_times = []
            for _ in range(5):
                start = time.perf_counter()
                vectorised = pv.gradient_samples(name, f, family, theta, n, seed=1)
                vector_times.append(time.perf_counter() - start)
            vector = statistics.median(vector_times)
            start = time.perf_counter()
            looped = torch.cat([pv.gradient_samples(name, f, family, theta, 1, seed=10_000 + i) for i in range(n)])
            loop = time.perf_counter() - start
            a, b = vectorised.reshape(n, -1), looped.reshape(n, -1)
            se = ((a.var(0) + b.var(0)) / n).sqrt().clamp_min(1e-300)
            z = float(((a.mean(0) - b.mean(0)).abs() / se).max())
            agree = "same distribution: means within 4 standard errors" if z <= 4 else "MEANS DIFFER"
            if z > 4:
                missed.append(f"estimator {name} ({family}): vectorised and looped means differ by {z:.1f} SE")
            ratio = loop / vector
            report(f"estimator {name} ({family}, n = {n}): vectorised {1e3 * vector:.1f} ms, loop {loop:.2f} s, "
                   f"ratio {ratio:.0f}x; {agree} (max |z| = {z:.2f})", ratio, TARGETS["estimator_ratio"],
                   higher_is_better=True, name=f"estimator_ratio[{name},{family}]", unit="x")


# ------------------------------------------------------------------------------------------------- W2
def bench_w2() -> None:
    print("== W2: 1-D squared Wasserstein distance by sorting vs ot.emd2 (uniform weights) ==", flush=True)
    import numpy as np
    import ot

    def numpy_sort(x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean((np.sort(x) - np.sort(y)) ** 2))

    methods = [("ot.wasserstein_1d", lambda x, y: float(ot.wasserstein_1d(x, y, p=2))),
               ("numpy sort", numpy_sort), *W2_SORTING]
    rng = np.random.default_rng(0)
    for n in (1_000, 10_000):
        x, y = rng.normal(size=n), rng.exponential(size=n) + 0.5
        weights = np.full(n, 1.0 / n)
        start = time.perf_counter()
        cost = ot.dist(x[:, None], y[:, None], metric="sqeuclidean")
        exact = float(ot.emd2(weights, weights, cost, numItermax=10**8))
        emd = time.perf_counter() - start
        for label, method in methods:
            times = []
            for _ in range(7):
                start = time.perf_counter()
                value = method(x, y)
                times.append(time.perf_counter() - start)
            fast = statistics.median(times)
            if abs(value - exact) > 1e-8:
                sys.exit(f"benchmarks: {label} gives W2^2 = {value!r}, ot.emd2 {exact!r} at n = {n}")
            target = TARGETS["w2_ratio_1e4"] if n == 10_000 else None
            report(f"W2 n = {n} {label}: {1e3 * fast:.2f} ms, ot.emd2 (with its cost matrix) {emd:.2f} s, "
                   f"ratio {emd / fast:.0f}x, same W2^2 = {exact:.6f} (|diff| {abs(value - exact):.1e})",
                   emd / fast, target, higher_is_better=True, name=f"w2_ratio[{label},{n}]", unit="x")


# ------------------------------------------------------------------------------------------------ toy
def bench_toy(steps: int = 200, repeats: int = 3) -> None:
    print(f"== toy: wall time of one training step of chapter toy-experiments (median of {repeats} runs of "
          f"{steps} steps) ==", flush=True)
    from pwgf_viz import toy_problems, toy_training

    for problem in toy_problems.toy_problems():
        for name in (toy_problems.EXACT, *toy_problems.estimators_for(problem.family)):
            times = [toy_training.adam_run(name, problem, steps, seed=r).seconds_per_step for r in range(repeats)]
            report(f"toy step {problem.key} / {name}: {1e3 * statistics.median(times):.2f} ms",
                   1e3 * statistics.median(times), name=f"toy_step_ms[{problem.key},{name}]")


SECTIONS = {"build": None, "widgets": bench_widgets, "static": bench_static, "estimators": bench_estimators,
            "w2": bench_w2, "toy": bench_toy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {list(SECTIONS)}")
    parser.add_argument("--keep", action="store_true", help="keep the scratch build (its path is printed)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {unknown}; choose from {list(SECTIONS)}")
    print(f"pwgf-book benchmarks, {time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} (wall times grow with other work on the machine), "
          f"python {sys.version.split()[0]}", flush=True)
    for section in chosen:
        if section == "build":
            bench_build(args.keep)
        else:
            SECTIONS[section]()
    print("== targets missed ==")
    print("\n".join(missed) if missed else "none")
    if args.json:
        args.json.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "figures": results, "missed": missed},
                                        indent=1))


if __name__ == "__main__":
    main()
