"""The PDF of `make pdf` (_build/latex/book.pdf): page count, pages that are not blank, every figure printed.

Like the site tests these check what the build left and fail (never skip) with the command to run when it is
missing. Pages are rendered with poppler's `pdftoppm` (Debian's poppler-utils, installed by `make tex`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup
from conftest import REPO_ROOT, SITE_DIR, html_path, toc_docnames
from PIL import Image

LATEX_DIR = REPO_ROOT / "_build" / "latex"
PDF = LATEX_DIR / "book.pdf"
# Every page of the book fills at least this many pages and at most this many (the API reference is long,
# chapters with many figures too); the bounds scale with the table of contents.
MIN_PAGES_PER_DOC, MAX_PAGES_PER_DOC = 4, 40
# A page is blank if fewer than this fraction of its pixels differ from white. LaTeX leaves a blank page before
# a chapter that would start on a left-hand page; those may be at most MAX_BLANK of all pages.
INK = 0.002
MAX_BLANK = 0.2


@pytest.fixture(scope="module")
def pdf() -> Path:
    for tool in ("pdftoppm", "pdfinfo", "pdftotext"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: run `make tex` (apt-get install poppler-utils)", pytrace=False)
    if not PDF.is_file():
        pytest.fail(f"No PDF at {PDF}. Run `make pdf` first (`make test` does it for you).", pytrace=False)
    return PDF


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M)[1])


@pytest.fixture(scope="module")
def pages(pdf: Path, tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    """Every page as a greyscale array, rendered at 20 dpi (about 170 x 220 pixels)."""
    folder = tmp_path_factory.mktemp("pdf-pages")
    subprocess.run(["pdftoppm", "-r", "20", "-gray", "-png", str(pdf), str(folder / "page")], check=True)
    files = sorted(folder.glob("page-*.png"))
    return [np.asarray(Image.open(f).convert("L"), dtype=float) for f in files]


def ink(page: np.ndarray) -> float:
    return float(np.mean(page < 250))


def page_texts(pdf: Path) -> list[str]:
    """The text of every page (pdftotext separates pages with a form feed)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def test_page_count_is_plausible(pdf: Path, pages: list[np.ndarray]) -> None:
    docs = len(toc_docnames())
    count = page_count(pdf)
    assert len(pages) == count
    assert MIN_PAGES_PER_DOC * docs <= count <= MAX_PAGES_PER_DOC * docs, (count, docs)


def test_pages_are_not_blank(pages: list[np.ndarray]) -> None:
    blank = [k + 1 for k, page in enumerate(pages) if ink(page) < INK]
    assert ink(pages[0]) >= INK, "the title page is blank"
    assert len(blank) <= MAX_BLANK * len(pages), f"blank pages: {blank} of {len(pages)}"
    # A blank page (numbered from 1) comes before a page with content: the first page of a part or chapter.
    assert all(k < len(pages) and ink(pages[k]) >= INK for k in blank), blank


def test_every_page_of_the_book_is_printed(pdf: Path, pages: list[np.ndarray]) -> None:
    """Each page of the table of contents has its title in the PDF's contents and again in the body."""
    texts = page_texts(pdf)
    assert len(texts) == len(pages)
    for docname in toc_docnames():
        title = BeautifulSoup(html_path(docname).read_text(encoding="utf-8"), "html.parser").find("h1")
        words = re.sub(r"[#¶]", "", title.get_text()).split()
        pattern = re.compile(r"\s+".join(map(re.escape, words)), flags=re.I)
        hits = [k for k, text in enumerate(texts) if pattern.search(text)]
        assert len(hits) >= 2, f"{docname}: title {' '.join(words)!r} on pages {[k + 1 for k in hits]}"
        assert all(ink(pages[k]) >= INK for k in hits)


def output_visuals(docname: str) -> int:
    """Figures a chapter's cells show open on the web: images, animation players, widget fallbacks (each one).

    Outputs collapsed under "Show code cell outputs" (``hide-output``: the quick runs whose full results carry
    the chapter) are not printed and not counted."""
    page = BeautifulSoup(html_path(docname).read_text(encoding="utf-8"), "html.parser")
    count = 0
    for output in page.select("div.cell_output"):
        if any(output.find_parent("details", class_=kind) is not None for kind in ("above-output", "below-input")):
            continue
        players = output.select("div.animation")
        images = [img for img in output.find_all("img") if img.find_parent("div", class_="animation") is None]
        count += len(players) + len(images)
    return count


def test_every_figure_animation_and_explorer_is_printed(pdf: Path) -> None:
    """The LaTeX holds an image for every figure, animation player and explorer fallback of the web pages:
    players and fallbacks print as their PNG still instead of leaving an empty space."""
    assert SITE_DIR.is_dir(), "run `make book` first"
    tex = (LATEX_DIR / "book.tex").read_text(encoding="utf-8")
    printed = len(re.findall(r"\\sphinxincludegraphics", tex))
    shown = sum(output_visuals(doc) for doc in toc_docnames())
    assert shown >= 10          # the book has figures: the count below is not vacuous
    assert printed >= shown, f"{shown} figures, players and fallbacks on the web, {printed} images in the PDF"
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(listing.splitlines()) - 2 >= shown


def site_chapter_numbers() -> dict[str, str]:
    """Chapter title -> number as the site's table of contents (the root page's navigation) shows it."""
    page = BeautifulSoup(html_path(toc_docnames()[0]).read_text(encoding="utf-8"), "html.parser")
    numbers = {}
    for a in page.select("nav.bd-docs-nav a.reference.internal"):
        match = re.fullmatch(r"(\d+)\.\s+(.+)", a.get_text(" ", strip=True))
        if match:
            numbers[match[2]] = match[1]
    return numbers


def test_chapter_and_theorem_numbers_agree_with_the_site(pdf: Path) -> None:
    """Front matter unnumbered, chapters numbered from Part I on, theorems chapter.n: as on the site."""
    site = site_chapter_numbers()
    assert site and site.get("Gradients through discrete randomness") == "1", site
    contents = "\n".join(page_texts(pdf)[:8])
    for title, number in site.items():
        words = title.split()[:4]   # long titles wrap in the table of contents
        pattern = rf"^{number} {re.escape(' '.join(words))}"
        assert re.search(pattern, contents, re.M), f"PDF contents lack chapter {number} {title!r}"
    for unnumbered in ("Notation", "Teaching from this book", "Glossary"):
        assert re.search(rf"^{re.escape(unnumbered)}\b", contents, re.M), unnumbered
        assert not re.search(rf"^\d+ {re.escape(unnumbered)}", contents, re.M), f"{unnumbered} is numbered"
    text = "\n".join(page_texts(pdf))
    site_theorems = set(re.findall(r"Theorem (\d+\.\d+)\b", html_path("book/st-as-pwgf").read_text(encoding="utf-8")))
    pdf_theorems = set(re.findall(r"Theorem (5\.\d+(?:\.\d+)*)", text))
    assert site_theorems and pdf_theorems == site_theorems, (site_theorems, pdf_theorems)
