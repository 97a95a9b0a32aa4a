"""The built site's lecture and reference features: notebook downloads, launch buttons, glossary, API, teaching.

Checks _build/html from `make book` (fails with the command to run when it is missing, see conftest.py).
"""

from __future__ import annotations

import pkgutil
import re
from urllib.parse import urljoin

import nbformat
import pytest
from bs4 import BeautifulSoup
from conftest import REPO_ROOT, book_repository, html_path, toc_docnames
from test_reproducible import read_notebook

import pwgf_viz

NOTEBOOKS = [doc for doc in toc_docnames() if read_notebook(REPO_ROOT / f"{doc}.md") is not None]
CHAPTERS = [doc for doc in toc_docnames()
            if ":::{admonition} Learning goals" in (REPO_ROOT / f"{doc}.md").read_text(encoding="utf-8")]


def page(docname: str) -> BeautifulSoup:
    return BeautifulSoup(html_path(docname).read_text(encoding="utf-8"), "html.parser")


def code_sources(nb: nbformat.NotebookNode) -> list[str]:
    return [cell.source.strip() for cell in nb.cells if cell.cell_type == "code"]


def test_the_book_has_notebook_chapters() -> None:
    assert {"book/discrete-gradients", "book/optimal-transport-1d", "book/wasserstein-gradient-flow"} <= \
        set(NOTEBOOKS) and set(CHAPTERS) <= set(NOTEBOOKS)


@pytest.mark.parametrize("docname", NOTEBOOKS)
def test_notebook_download(site_dir, docname) -> None:
    """The download menu offers the chapter as .ipynb: a valid notebook holding exactly the chapter's code (which
    test_reproducible.py runs from scratch), with its kernelspec, so it runs as is in Jupyter or on Binder."""
    links = [a["href"] for a in page(docname).find_all("a", href=True)
             if a["href"].endswith(".ipynb") and "://" not in a["href"]]  # not the Colab button (test_colab.py)
    assert links == [f"../_sources/{docname}.ipynb"], links
    path = site_dir / urljoin(f"{docname}.html", links[0])
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert code_sources(nb) == code_sources(read_notebook(REPO_ROOT / f"{docname}.md"))


@pytest.mark.parametrize("docname", NOTEBOOKS)
def test_launch_buttons(site_dir, docname) -> None:
    """Binder opens the chapter's MyST file in JupyterLab; Live Code (Thebe) is offered on the page."""
    html = page(docname)
    binder = f"https://mybinder.org/v2/gh/{book_repository()}/main?urlpath=lab/tree/{docname}.md"
    assert html.find("a", href=binder) is not None
    assert html.find("button", onclick="initThebeSBT()") is not None


@pytest.mark.parametrize("docname", [d for d in NOTEBOOKS if d != "book/notation"])
def test_chapters_link_the_glossary(site_dir, docname) -> None:
    terms = {a["href"].split("#")[1] for a in page(docname).find_all("a", href=True)
             if a["href"].startswith("glossary.html#term-")}
    glossary = {dt["id"] for dt in page("book/glossary").select("dl.glossary dt[id]")}
    assert terms and terms <= glossary, (terms - glossary)


def test_glossary_covers_the_whole_plan(site_dir) -> None:
    """Terms of Parts III-V are defined before their chapters exist; every term is in the index."""
    terms = {dt.get_text(" ", strip=True).rstrip("#").strip().lower()
             for dt in page("book/glossary").select("dl.glossary dt")}
    for term in ("projected wasserstein gradient flow", "pwgf estimator", "coarse gradient", "projected sinkhorn",
                 "generalized gumbel-softmax", "straight-through estimator", "wasserstein distance"):
        assert term in terms, term
    index = (site_dir / "genindex.html").read_text(encoding="utf-8")
    assert "term-projected-Wasserstein-gradient-flow" in index and "pwgf_viz.check.check" in index


def test_api_documents_every_module(site_dir) -> None:
    html = page("book/api")
    modules = [m.name for m in pkgutil.iter_modules(pwgf_viz.__path__) if not m.name.startswith("_")]
    assert len(modules) >= 15
    for module in modules:
        assert html.find(id=f"module-pwgf_viz.{module}") is not None, module
    # Type hints and the equation a function implements, from the docstrings.
    check = html.find(id="pwgf_viz.check.check")
    assert check is not None and "rtol" in check.get_text() and "float" in check.get_text()
    exact = html.find(id="pwgf_viz.exact.exact_gradient").find_next("dd").get_text()
    assert "by enumeration (eq. eq-exact-gradient)" in exact


DIFFICULTY = re.compile(r"^`{3,}\{exercise\}(?P<title>[^\n]*)\n", re.M)


def test_every_exercise_has_a_difficulty_mark() -> None:
    """One scale, explained on book/teaching.md: the title of every exercise starts with its mark."""
    marks = ("★☆☆ warm-up", "★★☆ practice", "★★★ challenge")
    titles = [m["title"].strip() for doc in toc_docnames()
              for m in DIFFICULTY.finditer((REPO_ROOT / f"{doc}.md").read_text(encoding="utf-8"))]
    assert len(titles) >= 40
    assert [t for t in titles if not t.startswith(marks)] == []
    teaching = (REPO_ROOT / "book/teaching.md").read_text(encoding="utf-8")
    assert all(mark in teaching for mark in marks)


SOLUTION = re.compile(r"^(`{3,})\{solution\}.*?^\1$", re.M | re.S)


def test_solutions_stand_alone() -> None:
    """A solution never points the reader at a cell the page does not show."""
    hidden = re.compile(r"hidden cell|the check below|the cell below checks", re.I)
    offenders = [(doc, m[0][:60]) for doc in toc_docnames()
                 for m in SOLUTION.finditer((REPO_ROOT / f"{doc}.md").read_text(encoding="utf-8"))
                 if hidden.search(m[0])]
    assert offenders == []


def test_teaching_page_collects_every_chapter(site_dir) -> None:
    html = page("book/teaching")
    text = html.get_text(" ", strip=True)
    assert "90-minute" in text and "four lectures" in text and "Prerequisites" in text
    for docname in CHAPTERS:
        source = (REPO_ROOT / f"{docname}.md").read_text(encoding="utf-8")
        first_goal = re.search(r"^- (.+)$", source.split(":::{admonition} Learning goals")[1], flags=re.M)[1]
        # As the page shows it: math left out, a role such as {term}`text <target>` shown as its text.
        shown = re.sub(r"\{[\w:-]+\}`([^`<]*?)\s*(?:<[^>`]*>)?`", r"\1", re.sub(r"\$[^$]*\$", " ", first_goal))
        words = shown.split()[:4]
        assert " ".join(words) in text, (docname, words)
        assert html.find("a", href=f"{docname.split('/')[-1]}.html") is not None, docname
        for label in re.findall(r"^`{3,}\{exercise\}[^\n]*\n(?::[^\n]*\n)*?:label: (\S+)", source, flags=re.M):
            assert html.find("a", href=re.compile(f"#{label}$")) is not None, label
