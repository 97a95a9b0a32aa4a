"""Two builds from clean give the same numbers: every executed chapter is run again and its text outputs compared.

The reference is the executed notebook that ``make book`` stored in its execution cache (``_build/.jupyter_cache``,
matched on the chapter's code cells, as myst-nb matches it; the copy in ``_build/jupyter_execute`` has no outputs
when a build served the chapter from the cache). Each
notebook chapter of ``_toc.yml`` (a MyST file with a ``kernelspec``, read the way myst-nb reads it) is executed again
here from scratch, with nbclient in a fresh kernel in a temporary copy of its folder, and the text outputs of
every code cell must be identical: streams (``print``), ``text/plain``, ``text/markdown`` (the tables),
``text/latex``, ``text/html`` and errors.

Normalised before comparing, and nothing else: ANSI colour codes; memory addresses (``0x7f...``); 32-digit hex
ids (matplotlib's animation ids, widget model ids); embedded ``data:...;base64,`` payloads (the images
themselves are not compared, only the text around them); timings (``12.3 s``, ``4 ms``, ``1.2it/s``,
``00:01``). The live widget view (``application/vnd.jupyter.widget-view+json``) holds only a random model id and
is left out.

Cost in proportion: every notebook chapter belongs to one *family of outputs* (:data:`OUTPUT_FAMILIES`: the
generators and libraries that make its numbers and the kinds of output it shows), and ``make test`` executes again
the first chapter of each family, the cheapest, not the whole book. ``make reproducible`` (``PWGF_REPRODUCE=all``)
executes every chapter again; the publishing workflow runs it on every build it deploys, so every published
site has passed the whole check.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import REPO_ROOT, SITE_DIR, toc_docnames

EXECUTION_CACHE = SITE_DIR.parent / ".jupyter_cache"
TEXT_MIME = ("text/plain", "text/markdown", "text/latex", "text/html")
NORMALISE = [
    (re.compile(r"\x1b\[[0-9;]*[A-Za-z]"), ""),
    (re.compile(r"\b0x[0-9a-fA-F]{4,}\b"), "0x<address>"),
    (re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])"), "<id>"),   # glued to a prefix: _anim_img<id>
    # to_jshtml splits its base64 frames over lines ending in a backslash.
    (re.compile(r"(data:[\w/+.-]+;base64,)[A-Za-z0-9+/=\s\\]+"), r"\1<payload>"),
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|µs|us|ns|s|sec|seconds)\b"), "<time>"),
    (re.compile(r"\b\d+(?:\.\d+)?\s?it/s\b"), "<rate>"),
    (re.compile(r"\b\d{2}:\d{2}(?::\d{2})?\b"), "<clock>"),
]


def source_of(docname: str) -> Path | None:
    for suffix in (".md", ".ipynb"):
        if (REPO_ROOT / f"{docname}{suffix}").is_file():
            return REPO_ROOT / f"{docname}{suffix}"
    return None


def read_notebook(path: Path) -> nbformat.NotebookNode | None:
    """The chapter as myst-nb sees it, or None if it is not a notebook (plain Markdown, no kernelspec)."""
    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    from myst_nb.core.read import read_myst_markdown_notebook

    text = path.read_text(encoding="utf-8")
    if not re.match(r"---\s*\n.*?^kernelspec:", text, flags=re.S | re.M):
        return None
    return read_myst_markdown_notebook(text, path=path)


NOTEBOOKS = [doc for doc in toc_docnames() if (src := source_of(doc)) and read_notebook(src) is not None]
#: Each notebook chapter in one family; the first of each family (its cheapest chapter) is executed again by
#: ``make test``. A new chapter must be placed here (test_every_chapter_has_one_family).
OUTPUT_FAMILIES: dict[str, list[str]] = {
    # Seeded torch generators and Monte Carlo draws of the estimators, exact enumeration, explorer grids, players.
    "estimators": ["book/discrete-gradients", "book/projection", "book/st-as-pwgf", "book/poisson-pwgf",
                   "book/convergence"],
    # numpy generators, POT, particle and grid flows, Sinkhorn, animation players.
    "transport": ["book/optimal-transport-1d", "book/wasserstein-gradient-flow", "book/wasserstein-adversarial"],
    # Training loops (Adam in torch and numpy), quick settings run on the page, committed full results read back.
    "training": ["book/poisson-latent", "book/quantized-nets", "book/bernoulli-vae", "book/toy-experiments",
                 "book/beyond-straight-through"],
    # Prose with a little code.
    "prose": ["book/intro"],
}
REPRODUCE_ALL = os.environ.get("PWGF_REPRODUCE", "") == "all"
CHECKED = NOTEBOOKS if REPRODUCE_ALL else [family[0] for family in OUTPUT_FAMILIES.values()]


def normalise(text: str) -> str:
    for pattern, replacement in NORMALISE:
        text = pattern.sub(replacement, text)
    return text


def text_outputs(nb: nbformat.NotebookNode) -> list[tuple[str, list[str]]]:
    """(source, normalised text outputs) of every code cell, in order."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        texts = []
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                # A stream is split into outputs where the kernel happened to flush: join adjacent pieces.
                if texts and texts[-1].startswith(f"{out.name}: "):
                    texts[-1] += normalise(out.text)
                else:
                    texts.append(f"{out.name}: {normalise(out.text)}")
            elif out.output_type == "error":
                texts.append(f"error: {out.ename}: {normalise(out.evalue)}")
            else:
                for mime in TEXT_MIME:
                    if mime in out.get("data", {}):
                        value = out["data"][mime]
                        texts.append(f"{mime}: {normalise(''.join(value) if isinstance(value, list) else value)}")
        cells.append((cell.source.strip(), texts))
    return cells


def test_normalise_keeps_numbers_and_drops_volatile_text():
    assert normalise("bias 0.004 / std 0.593") == "bias 0.004 / std 0.593"
    assert normalise("<Figure at 0x7f12ab34cd56> took 1.5 s, 20 ms") == "<Figure at 0x<address>> took <time>, <time>"
    assert normalise('id="_anim_img0123456789abcdef0123456789abcdef"') == 'id="_anim_img<id>"'
    assert normalise("src='data:image/png;base64,iVBOR+/=='") == "src='data:image/png;base64,<payload>'"


def test_stream_pieces_are_joined():
    cell = nbformat.v4.new_code_cell("print(1); print(2)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    whole = nbformat.v4.new_code_cell("print(1); print(2)")
    whole.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n2\n")]
    one_piece, two_pieces = (text_outputs(nbformat.v4.new_notebook(cells=[c])) for c in (whole, cell))
    assert one_piece == two_pieces == [("print(1); print(2)", ["stdout: 1\n2\n"])]


def test_every_notebook_chapter_is_checked():
    assert NOTEBOOKS, "no notebook chapter found in _toc.yml"
    assert "book/discrete-gradients" in NOTEBOOKS


def test_every_chapter_has_one_family():
    placed = [doc for family in OUTPUT_FAMILIES.values() for doc in family]
    assert len(placed) == len(set(placed)), "a chapter is in two families"
    assert sorted(placed) == sorted(NOTEBOOKS), (
        f"place every notebook chapter in one of OUTPUT_FAMILIES: missing {sorted(set(NOTEBOOKS) - set(placed))}, "
        f"not a notebook chapter {sorted(set(placed) - set(NOTEBOOKS))}")


@pytest.mark.parametrize("docname", CHECKED)
def test_second_execution_gives_identical_text_outputs(site_dir, docname, tmp_path):
    from jupyter_cache import get_cache
    from nbclient import NotebookClient

    source = source_of(docname)
    assert EXECUTION_CACHE.is_dir(), f"{EXECUTION_CACHE} missing: run `make book` first"
    try:
        _, reference = get_cache(EXECUTION_CACHE).merge_match_into_notebook(read_notebook(source))
    except KeyError:
        pytest.fail(f"{docname}: no executed notebook with these code cells in the cache; run `make book` first")
    assert any(cell.get("outputs") for cell in reference.cells if cell.cell_type == "code"), docname
    workdir = tmp_path / source.parent.relative_to(REPO_ROOT)
    shutil.copytree(source.parent, workdir, ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints"))
    fresh = read_notebook(source)
    NotebookClient(fresh, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    expected, got = text_outputs(reference), text_outputs(fresh)
    assert [src for src, _ in got] == [src for src, _ in expected], (
        f"{docname}: the code cells differ from the built notebook; run `make book` first")
    diffs = [(i, src.splitlines()[0] if src else "", want, have)
             for i, ((src, want), (_, have)) in enumerate(zip(expected, got, strict=True)) if want != have]
    assert not diffs, f"{docname}: {len(diffs)} cell(s) give different text in a second execution:\n" + "\n".join(
        f"cell {i} ({first!r}):\n" + "\n".join(list(difflib.unified_diff(
            "\n".join(want).splitlines(), "\n".join(have).splitlines(), "build", "again", lineterm=""))[:30])
        for i, first, want, have in diffs)
