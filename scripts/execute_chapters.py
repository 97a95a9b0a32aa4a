"""Execute the book's stale chapters in parallel into myst-nb's execution cache, before ``jupyter-book build``.

Jupyter Book 1.x executes notebooks one after another while it reads them (its command line has no ``--jobs``),
so a cold build waits for the sum of the chapters' run times. This script does what myst-nb's ``cache`` mode
does for each chapter (read it with myst-nb's reader, look it up in ``_build/.jupyter_cache``, execute it in a
fresh kernel in its own folder, store the result) with one kernel per core, so the build that follows finds
every chapter cached. A chapter whose code cells are unchanged is not executed again. A chapter that fails is
left out of the cache and reported; the build then executes it itself and reports the error in its own words.

Usage: ``python scripts/execute_chapters.py [--jobs N]`` (from the repository root; ``make book`` runs it).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"


def chapters() -> list[Path]:
    """The MyST notebooks of ``_toc.yml`` (files with a ``kernelspec``), in the order of the table of contents."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(toc)
    paths = [ROOT / f"{name}.md" for name in found]
    return [p for p in paths if p.is_file()
            and re.match(r"---\s*\n.*?^kernelspec:", p.read_text(encoding="utf-8"), flags=re.S | re.M)]


def read(path: Path) -> nbformat.NotebookNode:
    """The chapter as myst-nb reads it (the cache key depends only on its code cells and kernel)."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"), path=path)


def execute(path: Path, timeout: int) -> tuple[Path, nbformat.NotebookNode | None, float, str | None]:
    """Execute one chapter in a fresh kernel in its folder, as myst-nb would (runs in a worker process)."""
    from jupyter_cache.executors.utils import single_nb_execution

    notebook = read(path)
    result = single_nb_execution(notebook, cwd=str(path.parent), timeout=timeout, allow_errors=False,
                                 meta_override=True)
    return path, notebook, result.time, None if result.err is None else result.exc_string


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="kernels run at the same time (default: the number of cores)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds a cell may run (as _config.yml)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1; got {args.jobs}")

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(CACHE))
    stale = []
    for path in chapters():
        try:
            cache.match_cache_notebook(read(path))
        except KeyError:
            stale.append(path)
    if not stale:
        print("execute_chapters: every chapter is cached")
        return 0
    start = time.monotonic()
    print(f"execute_chapters: {len(stale)} chapters with {args.jobs} kernels: "
          + ", ".join(p.stem for p in stale), flush=True)
    # The longest chapters first (by their last run), so that the last one to finish is a short one.
    seconds_before = {record.uri: record.data.get("execution_seconds", 0.0) for record in cache.list_cache_records()}
    stale.sort(key=lambda path: -seconds_before.get(str(path), 0.0))
    failed = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(execute, path, args.timeout) for path in stale]
        for future in as_completed(futures):
            path, notebook, seconds, error = future.result()
            if error is None:
                record = cache.add_nb_to_project(str(path))
                cache.cache_notebook_bundle(CacheBundleIn(notebook, record.uri,
                                                          data={"execution_seconds": seconds}),
                                            check_validity=False, overwrite=True)
                print(f"  {path.stem}: {seconds:.1f} s", flush=True)
            else:
                failed.append(path.stem)
                print(f"  {path.stem}: FAILED (the build will execute it and report the error)", flush=True)
    print(f"execute_chapters: done in {time.monotonic() - start:.0f} s"
          + (f"; failed: {', '.join(failed)}" if failed else ""), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
