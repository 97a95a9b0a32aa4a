"""The Colab notebooks (scripts/colab_notebooks.py) and the site's "Colab" buttons that open them.

What can be tested offline: the generated notebooks are valid, hold exactly the chapter's code after one install
cell, name the repository of the one setting ``PWGF_REPOSITORY``, and two short chapters run top to bottom in a
fresh kernel started in an empty folder (nothing of the repository around them, as in Colab), where the install
cell must do nothing because ``pwgf_viz`` is importable (the network is closed: an install attempt would fail).
The buttons are checked on the built site (``make book``).
"""

from __future__ import annotations

import importlib.util
import sys

import nbformat
import pytest
from bs4 import BeautifulSoup
from conftest import REPO_ROOT, book_repository, html_path, toc_docnames
from nbclient import NotebookClient
from test_reproducible import read_notebook

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import colab_notebooks  # noqa: E402
import pwgf_book_sphinx  # noqa: E402

EXECUTED = ["book/discrete-gradients", "book/intro"]
NOTEBOOKS = [doc for doc in toc_docnames() if read_notebook(REPO_ROOT / f"{doc}.md") is not None]


def code(nb: nbformat.NotebookNode) -> list[str]:
    return [cell.source.strip() for cell in nb.cells if cell.cell_type == "code"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple:
    out = tmp_path_factory.mktemp("notebooks")
    return out, colab_notebooks.generate(out, ref="main", repo="pwgf-book/pwgf-book")


def test_every_notebook_chapter_is_generated(generated) -> None:
    _, written = generated
    assert written == NOTEBOOKS and "book/discrete-gradients" in written


@pytest.mark.parametrize("docname", NOTEBOOKS)
def test_notebook_is_the_chapter_after_an_install_cell(generated, docname) -> None:
    out, _ = generated
    nb = nbformat.read(out / f"{docname}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    first = nb.cells[0]
    assert first.cell_type == "code" and colab_notebooks.INSTALL_TAG in first.metadata.tags
    assert "remove-cell" in first.metadata.tags  # hidden if the notebook is ever rendered by the book
    assert "git+https://github.com/pwgf-book/pwgf-book@main" in first.source
    assert code(nb)[1:] == code(read_notebook(REPO_ROOT / f"{docname}.md"))
    # The book's own sources never hold the install cell (the site does not show it).
    assert colab_notebooks.INSTALL_TAG not in (REPO_ROOT / f"{docname}.md").read_text(encoding="utf-8")


def test_install_cell_follows_the_one_setting(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(pwgf_book_sphinx.REPOSITORY_VARIABLE, "someone/fork-of-the-book")
    colab_notebooks.generate(tmp_path, ref="0123abc")
    first = nbformat.read(tmp_path / "book/discrete-gradients.ipynb", as_version=4).cells[0]
    assert "git+https://github.com/someone/fork-of-the-book@0123abc" in first.source
    assert "pwgf-book/pwgf-book" not in first.source


@pytest.mark.parametrize("value", ["not a repository", "https://gitlab.com/a/b", "a/b/c"])
def test_a_bad_setting_is_refused(value) -> None:
    with pytest.raises(Exception, match="owner/name"):
        pwgf_book_sphinx.repository(None, {pwgf_book_sphinx.REPOSITORY_VARIABLE: value})
    assert pwgf_book_sphinx.repository("https://github.com/a/b.git", {}) == "a/b"


@pytest.mark.parametrize("docname", EXECUTED)
def test_notebook_runs_top_to_bottom_alone(generated, tmp_path, docname) -> None:
    """Run in an empty folder; the install cell finds pwgf_viz and installs nothing."""
    assert importlib.util.find_spec("pwgf_viz") is not None
    out, _ = generated
    nb = nbformat.read(out / f"{docname}.ipynb", as_version=4)
    assert len(code(nb)) >= 2, f"{docname}: pick a chapter with code besides the install cell"
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
              if out.output_type == "error" or (out.output_type == "stream" and out.name == "stderr")]
    assert not errors, f"{docname}: {errors[:3]}"
    assert nb.cells[0].outputs == [], "the install cell printed something: it tried to install"
    assert list(tmp_path.iterdir()) == [] or all(p.suffix in {".gif", ".png", ".mp4"} for p in tmp_path.iterdir())


def test_install_cell_installs_when_the_package_is_missing(monkeypatch) -> None:
    """The cell's condition can fail: with pwgf_viz hidden it calls pip (intercepted here) with the package URL."""
    calls = []
    monkeypatch.setattr("subprocess.check_call", lambda args: calls.append(args))
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    exec(colab_notebooks.install_cell("a/b", "main").source, {})
    assert calls and calls[0][-1] == "pwgf_viz @ git+https://github.com/a/b@main" and "pip" in calls[0]


def colab_links(docname: str) -> list[str]:
    page = BeautifulSoup(html_path(docname).read_text(encoding="utf-8"), "html.parser")
    return [a["href"] for a in page.find_all("a", href=True) if "colab.research.google.com" in a["href"]]


@pytest.mark.parametrize("docname", toc_docnames())
def test_colab_button_opens_the_generated_notebook(site_dir, generated, docname) -> None:
    """Every notebook chapter offers Colab, on its notebook of the branch `notebooks`; other pages do not."""
    _, written = generated
    links = colab_links(docname)
    if docname in written:
        repo = book_repository()
        assert links == [pwgf_book_sphinx.colab_notebook_url(repo, docname)], links
        assert f"/blob/{pwgf_book_sphinx.NOTEBOOKS_BRANCH}/{docname}.ipynb" in links[0]
    else:
        assert links == [], f"{docname} has no notebook, yet offers Colab: {links}"
