"""Static checks of the built site (_build/html, from `make book`).

Generic checks run on every page; the chapter-specific ones read PAGE_FEATURES.
When a chapter gains an animation or a widget explorer, add one line here.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import NO_SITE, html_path, site_pages, toc_docnames

# docname -> what the page must show (test_browser.py uses this too):
#   "animation":       a matplotlib Animation.to_jshtml() player (frames embedded)
#   "widget_fallback": the static fallback <img> of an interactive widget explorer,
#                      inside an element with CSS class `pwgf-widget-fallback` (or in
#                      the output of a cell tagged `pwgf-widget-fallback`)
PAGE_FEATURES: dict[str, set[str]] = {
    "book/discrete-gradients": {"animation", "widget_fallback"},
    "book/optimal-transport-1d": {"animation"},
    "book/wasserstein-gradient-flow": {"animation", "widget_fallback"},
    "book/st-as-pwgf": {"animation", "widget_fallback"},
    "book/convergence": {"animation"},
    "book/quantized-nets": {"animation"},
    "book/wasserstein-adversarial": {"animation"},
}

MAX_PAGE_BYTES = 3_000_000  # 3 MB (decimal); animations are inline, so this bounds them too

# <link rel=...> values that do not make the browser fetch anything on load.
NON_LOADING_RELS = {"canonical", "alternate", "author", "license", "help", "search", "index", "next", "prev"}
# Attributes through which a page loads something on load.
LOADING_ATTRS = {
    "script": "src",
    "img": "src",
    "iframe": "src",
    "embed": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "track": "src",
    "object": "data",
}
CSS_URL = re.compile(r"""url\(\s*['"]?(?P<url>[^'")\s]+)""")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

TOC_DOCNAMES = toc_docnames()
# Evaluated at collection time (a placeholder without a site: see site_pages).
ALL_PAGES = site_pages()


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.netloc) or parts.scheme not in ("", "data", "blob")


def loaded_urls(page: BeautifulSoup) -> list[tuple[str, str]]:
    """(tag, url) of everything the page loads when it opens."""
    found = []
    for tag, attr in LOADING_ATTRS.items():
        for el in page.find_all(tag):
            if el.get(attr):
                found.append((tag, el[attr]))
    for el in page.find_all("link", href=True):
        rels = set(el.get("rel") or [])
        if not rels or not rels <= NON_LOADING_RELS:
            found.append((f"link rel={'/'.join(sorted(rels))}", el["href"]))
    for el in page.find_all("style"):
        found.extend(("style url()", m["url"]) for m in CSS_URL.finditer(el.get_text()))
    for el in page.find_all(style=True):
        found.extend(("style= url()", m["url"]) for m in CSS_URL.finditer(el["style"]))
    return found


def test_site_was_built(site_dir):
    assert ALL_PAGES and NO_SITE not in ALL_PAGES, f"no HTML pages in {site_dir}"


@pytest.mark.parametrize("docname", TOC_DOCNAMES)
def test_toc_page_is_built(site_dir, docname):
    assert html_path(docname).is_file(), f"{docname} is in _toc.yml but {html_path(docname)} was not built"


@pytest.mark.parametrize("docname", TOC_DOCNAMES)
def test_page_size(site_dir, docname):
    size = html_path(docname).stat().st_size
    assert size < MAX_PAGE_BYTES, (
        f"{docname}.html is {size / 1e6:.2f} MB (limit {MAX_PAGE_BYTES / 1e6:.0f} MB): "
        "fewer/smaller animation frames (lower dpi, fewer steps) or a smaller fallback image"
    )


@pytest.mark.parametrize("page", ALL_PAGES)
def test_page_loads_nothing_from_the_network(site_dir, page):
    """Offline site: no CDN (nor any other host) in what a page loads on open.

    Links the reader clicks (Binder, repository, thebe's lazily loaded bundle) are fine.
    """
    external = [(tag, url) for tag, url in loaded_urls(soup(site_dir / page)) if is_external(url)]
    assert not external, f"{page} loads from the network: {external}"


@pytest.mark.parametrize("page", ALL_PAGES)
def test_local_assets_exist(site_dir, page):
    path = site_dir / page
    missing = []
    for tag, url in loaded_urls(soup(path)):
        if is_external(url) or url.startswith(("data:", "blob:", "#")):
            continue
        target = (path.parent / unquote(urlsplit(url).path)).resolve()
        if not target.exists():
            missing.append((tag, url))
    assert not missing, f"{page} refers to files that are not in the site: {missing}"


def test_no_execution_reports(site_dir):
    reports = sorted((site_dir / "reports").rglob("*")) if (site_dir / "reports").exists() else []
    reports = [p for p in reports if p.is_file()]
    details = "\n".join(f"--- {p}\n{p.read_text(errors='replace')[-2000:]}" for p in reports)
    assert not reports, f"notebook execution failed:\n{details}"


def pages_with(feature: str) -> list[str]:
    return sorted(doc for doc, features in PAGE_FEATURES.items() if feature in features)


def test_page_features_are_in_the_toc():
    unknown = sorted(set(PAGE_FEATURES) - set(TOC_DOCNAMES))
    assert not unknown, f"PAGE_FEATURES names pages that are not in _toc.yml: {unknown}"


def animation_players(page: BeautifulSoup) -> list[dict]:
    """matplotlib to_jshtml() players: <div class="animation"> with <img id="_anim_img<ID>">,
    buttons calling anim<ID>.next_frame() etc., and a script doing `anim<ID> = new Animation(`."""
    scripts = "\n".join(s.get_text() for s in page.find_all("script"))
    players = []
    for div in page.select("div.animation"):
        img = div.find("img", id=re.compile(r"^_anim_img"))
        if img is None:
            continue
        anim_id = img["id"].removeprefix("_anim_img")
        next_button = div.find("button", attrs={"onclick": f"anim{anim_id}.next_frame()"})
        players.append(
            {
                "id": anim_id,
                "next_button": next_button is not None,
                "instantiated": f"anim{anim_id} = new Animation(" in scripts,
                "embedded_frames": len(re.findall(r'frames\[\d+\] = "data:image/', scripts)),
            }
        )
    return players


@pytest.mark.parametrize("docname", pages_with("animation"))
def test_animation_player(site_dir, docname):
    players = animation_players(soup(html_path(docname)))
    assert players, f"{docname}: no matplotlib to_jshtml() animation player (<div class='animation'>)"
    for player in players:
        assert player["next_button"], f"{docname}: player {player['id']} has no 'Next frame' button"
        assert player["instantiated"], f"{docname}: player {player['id']} is never instantiated"
    # to_jshtml(embed_frames=True): frames are data: URIs in the page, not files next to it.
    frames = sum(p["embedded_frames"] for p in players)
    assert frames >= 2 * len(players), f"{docname}: animation frames are not embedded ({frames} found)"


def widget_fallback_images(page: BeautifulSoup) -> list:
    """<img> of static widget fallbacks: under `.pwgf-widget-fallback`, or in the output
    of a cell tagged `pwgf-widget-fallback` (myst-nb adds class `tag_<tag>` to the cell)."""
    imgs = page.select(".pwgf-widget-fallback img")
    imgs += page.select(".tag_pwgf-widget-fallback .cell_output img")
    return list(dict.fromkeys(imgs))


@pytest.mark.parametrize("docname", pages_with("widget_fallback"))
def test_widget_fallback(site_dir, docname):
    page = soup(html_path(docname))
    imgs = widget_fallback_images(page)
    assert imgs, (
        f"{docname}: no widget fallback image (an <img> inside class 'pwgf-widget-fallback' "
        "or in the output of a cell tagged 'pwgf-widget-fallback')"
    )
    for img in imgs:
        src = img.get("src", "")
        assert src, f"{docname}: widget fallback <img> without src"
        if not src.startswith("data:"):
            assert (html_path(docname).parent / unquote(urlsplit(src).path)).is_file(), src
    # The site shows the static fallback, not the live widget (nb_mime_priority_overrides).
    views = page.find_all("script", type=WIDGET_VIEW)
    assert not views, f"{docname}: {len(views)} live widget view(s) rendered instead of the fallback"
