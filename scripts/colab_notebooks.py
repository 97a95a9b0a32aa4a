"""Generate the Colab notebooks: one ``.ipynb`` per notebook chapter of ``_toc.yml``, from its MyST source.

Colab opens ``.ipynb`` files only, and a notebook opened there has none of the repository around it. So each
chapter (read as myst-nb reads it, so the notebook holds exactly the code the book executes) gets a first cell,
tagged ``remove-cell`` and :data:`INSTALL_TAG`, that installs ``pwgf_viz`` from the book's repository when the
package is missing; where it is importable (the project's venv, Binder) the cell does nothing. The book's own
site never shows that cell: it exists only in the generated notebooks.

The publishing workflow (``.github/workflows/publish.yml``) runs this and pushes the result to the branch
``notebooks``, where the site's "Colab" buttons point (``scripts/pwgf_book_sphinx.py``). The repository comes
from the one setting ``PWGF_REPOSITORY=owner/name`` (else ``repository.url`` of ``_config.yml``).

Usage: ``python scripts/colab_notebooks.py [--out _build/notebooks] [--ref main]``
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from pwgf_book_sphinx import repository, toc_docnames  # noqa: E402 - the extension is the one source

INSTALL_TAG = "pwgf-colab-install"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
INSTALL_CELL = '''\
# Colab (or any Jupyter without the book's package): install pwgf_viz from
# the book's repository. Colab already has torch; elsewhere the extra index
# gives the CPU build of torch, not the multi-GB CUDA one.
import importlib
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("pwgf_viz") is None:
    subprocess.check_call([
        sys.executable, "-m", "pip", "install", "--quiet",
        "--extra-index-url", "{index}",
        "pwgf_viz @ git+https://github.com/{repo}@{ref}",
    ])
    importlib.invalidate_caches()
'''


def install_cell(repo: str, ref: str) -> nbformat.NotebookNode:
    """The first cell of every generated notebook (see the module's docstring)."""
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", ref):
        raise ValueError(f"ref must be a branch, tag or commit name; got {ref!r}")
    source = INSTALL_CELL.format(index=TORCH_CPU_INDEX, repo=repo, ref=ref)
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["remove-cell", INSTALL_TAG]})


def chapter_notebook(path: Path, repo: str, ref: str) -> nbformat.NotebookNode | None:
    """The chapter at ``path`` as a notebook with the install cell first; None if it is not a notebook."""
    from myst_nb.core.read import read_myst_markdown_notebook

    text = path.read_text(encoding="utf-8")
    if not re.match(r"---\s*\n.*?^kernelspec:", text, flags=re.S | re.M):
        return None
    nb = read_myst_markdown_notebook(text, path=path)
    nb.cells.insert(0, install_cell(repo, ref))
    nb.nbformat, nb.nbformat_minor = 4, 5
    for number, cell in enumerate(nb.cells):  # stable ids: the branch's diffs show only real changes
        cell["id"] = f"cell-{number}"
    nb.metadata.pop("jupytext", None)
    return nb


def generate(out: Path, ref: str = "main", repo: str | None = None) -> list[str]:
    """Write every notebook chapter to ``out/<docname>.ipynb``; returns the docnames written."""
    if repo is None:
        config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
        repo = repository(config.get("repository", {}).get("url"))
    written = []
    for docname in toc_docnames(ROOT):
        nb = chapter_notebook(ROOT / f"{docname}.md", repo, ref)
        if nb is None:
            continue
        target = out / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.validate(nb)
        nbformat.write(nb, target)
        written.append(docname)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "notebooks")
    parser.add_argument("--ref", default="main", help="branch, tag or commit that the install cell installs")
    args = parser.parse_args(argv)
    written = generate(args.out, args.ref)
    print(f"colab_notebooks.py: {len(written)} notebooks -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
