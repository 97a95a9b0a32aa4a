"""Every internal link and cross-reference of the built site resolves (a crawl of _build/html).

For each page, every ``href``/``src`` (``<a>``, ``<link>``, ``<script>``, ``<img>``, ...) that points into the
site must name a file that exists, and every ``#fragment`` must be an ``id`` (or ``<a name>``) of the target page:
a broken ``{ref}``, ``{eq}``, citation or table-of-contents entry shows up here. Sphinx's ``linkcheck`` would
need the network; this crawl needs none.

Ignored, and listed in IGNORED: links to other hosts (``http(s)://...``, ``mailto:``, Binder, GitHub), which
the offline tests cannot follow, ``data:``/``blob:``/``javascript:`` URIs, and the ``#`` placeholders the theme uses
for its buttons.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import site_pages

PAGES = site_pages()
URL_ATTRS = {"a": "href", "link": "href", "area": "href", "script": "src", "img": "src", "iframe": "src",
             "source": "src", "video": "src", "audio": "src", "embed": "src", "object": "data"}
IGNORED = {
    "other hosts (not followed offline)": lambda url, parts: bool(parts.netloc) or parts.scheme in ("http", "https"),
    "mailto:/tel: links": lambda url, parts: parts.scheme in ("mailto", "tel"),
    "data:/blob:/javascript: URIs": lambda url, parts: parts.scheme in ("data", "blob", "javascript"),
    "bare '#' (theme buttons)": lambda url, parts: url.strip() == "#",
}


def ignored_reason(url: str) -> str | None:
    parts = urlsplit(url)
    return next((reason for reason, test in IGNORED.items() if test(url, parts)), None)


@cache
def anchors(path: Path) -> frozenset[str]:
    page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    ids = {el["id"] for el in page.find_all(id=True)}
    ids |= {el["name"] for el in page.find_all("a", attrs={"name": True})}
    return frozenset(ids)


def internal_links(path: Path) -> list[tuple[str, str]]:
    page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    links = []
    for tag, attr in URL_ATTRS.items():
        for el in page.find_all(tag, attrs={attr: True}):
            url = el[attr].strip()
            if url and ignored_reason(url) is None:
                links.append((tag, url))
    return links


@pytest.mark.parametrize("page", PAGES)
def test_internal_links_resolve(site_dir, page):
    path = site_dir / page
    broken = []
    for tag, url in internal_links(path):
        parts = urlsplit(url)
        target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"<{tag}> {url}: no file {target}")
        elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in anchors(target):
            broken.append(f"<{tag}> {url}: no id {parts.fragment!r} in {target.relative_to(site_dir)}")
    assert not broken, f"{page}: {len(broken)} broken internal link(s):\n" + "\n".join(broken)


def test_crawl_finds_the_cross_references(site_dir):
    """The crawl is not vacuous: chapters link to equations, sections and the bibliography by fragment."""
    fragments = [url for page in PAGES for _, url in internal_links(site_dir / page) if "#" in url]
    assert any("#equation-" in url for url in fragments), "no equation cross-reference found"
    assert any("bibliography.html#" in url for url in fragments), "no citation link found"


def test_broken_link_is_detected(tmp_path):
    """The checker itself: a missing file and a missing fragment are both reported."""
    (tmp_path / "a.html").write_text('<a href="b.html#nope">x</a><a href="c.html">y</a><p id="here"></p>'
                                     '<a href="#here">ok</a><a href="https://example.org/">ext</a>')
    (tmp_path / "b.html").write_text('<p id="yes"></p>')
    links = internal_links(tmp_path / "a.html")
    assert [url for _, url in links] == ["b.html#nope", "c.html", "#here"]
    assert "nope" not in anchors(tmp_path / "b.html") and "here" in anchors(tmp_path / "a.html")
    assert ignored_reason("https://example.org/") == "other hosts (not followed offline)"
