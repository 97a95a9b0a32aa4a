"""Open every page of the built site in headless Chromium (Debian's, via Playwright).

For each page: no JavaScript error, no console error, no failed or non-local
request (everything the page needs is served from the site itself), MathJax
typesets every math element, and every page with an animation player or a widget
fallback (listed in test_site.PAGE_FEATURES, or found in its HTML) has players that
step on "Next frame" and run on "Play", and visible fallback images.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from conftest import PAGE_TIMEOUT_MS, SITE_DIR, site_pages
from test_site import PAGE_FEATURES

NAV_TIMEOUT_MS = PAGE_TIMEOUT_MS
# Console errors ignored on purpose, each by exact text and source URL path, with its reason.
IGNORED_CONSOLE_ERRORS: list[tuple[str, str]] = [
    # Chromium itself asks for /favicon.ico when a page declares no icon (the book
    # declares none); the page did not request it and nothing is missing.
    ("Failed to load resource: the server responded with a status of 404 (File not found)", "/favicon.ico"),
]
# Leftover TeX in the rendered text means MathJax did not typeset something.
RAW_TEX = ("$$", "\\begin{", "\\(", "\\[")

PAGES = site_pages()  # a placeholder without a site: the site_dir fixture then explains


def pages_showing(feature: str, marker: str) -> list[str]:
    """Docnames declared in PAGE_FEATURES with ``feature``, plus every built page whose HTML matches the regular
    expression ``marker`` (so a chapter whose PAGE_FEATURES line was forgotten is still checked)."""
    found = {doc for doc, features in PAGE_FEATURES.items() if feature in features}
    for rel in PAGES:
        path = SITE_DIR / rel
        if path.is_file() and re.search(marker, path.read_text(encoding="utf-8", errors="replace")):
            found.add(rel.removesuffix(".html"))
    return sorted(found)


@dataclass
class PageLog:
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def problems(self) -> dict[str, list[str]]:
        return {k: v for k, v in vars(self).items() if v}


@pytest.fixture
def open_page(browser, site_url):
    """open_page(relative_path) -> (page, log); the page's context is closed afterwards."""
    host = urlsplit(site_url).netloc
    contexts = []

    def _open(rel: str):
        context = browser.new_context(service_workers="block")
        contexts.append(context)
        log = PageLog()

        def route(route):
            url = route.request.url
            if urlsplit(url).netloc == host:
                route.continue_()
            else:
                log.blocked.append(url)
                route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
        def console(msg):
            source = msg.location.get("url", "")
            if msg.type == "error" and (msg.text, urlsplit(source).path) not in IGNORED_CONSOLE_ERRORS:
                log.console_errors.append(f"{msg.text} ({source})")

        page.on("console", console)
        page.on(
            "requestfailed",
            lambda req: urlsplit(req.url).netloc == host
            and log.failed.append(f"{req.url}: {req.failure}"),
        )
        page.on(
            "response",
            lambda resp: resp.status >= 400 and log.failed.append(f"{resp.url}: HTTP {resp.status}"),
        )
        page.goto(f"{site_url}/{rel}", wait_until="load", timeout=NAV_TIMEOUT_MS)
        page.wait_for_load_state("networkidle", timeout=NAV_TIMEOUT_MS)
        return page, log

    yield _open
    for context in contexts:
        context.close()


def wait_for_mathjax(page) -> int:
    """Wait for MathJax to finish typesetting; returns the number of math elements."""
    n_math = page.locator(".math").count()
    if n_math:
        page.wait_for_function(
            "() => window.MathJax && window.MathJax.startup && window.MathJax.startup.promise",
            timeout=NAV_TIMEOUT_MS,
        )
        page.evaluate("() => window.MathJax.startup.promise.then(() => true)")
    return n_math


def article_text(page) -> str:
    """Visible text of the page's article, code blocks left out (code may hold TeX strings)."""
    return page.evaluate(
        """() => {
            const root = (document.querySelector('article') || document.body).cloneNode(true);
            root.querySelectorAll('pre, code, .highlight, script, style').forEach(e => e.remove());
            document.body.appendChild(root);  // innerText needs layout
            const text = root.innerText;
            root.remove();
            return text;
        }"""
    )


@pytest.mark.parametrize("rel", PAGES)
def test_page_loads_cleanly(open_page, rel):
    page, log = open_page(rel)
    n_math = wait_for_mathjax(page)
    if n_math:
        untypeset = page.evaluate(
            """() => Array.from(document.querySelectorAll('.math'))
                     .filter(el => !el.querySelector('mjx-container'))
                     .map(el => el.textContent.slice(0, 80))"""
        )
        assert not untypeset, f"{rel}: {len(untypeset)} of {n_math} math elements not typeset: {untypeset[:5]}"
        errors = page.locator("mjx-merror").all_inner_texts()
        assert not errors, f"{rel}: MathJax TeX errors: {errors}"
        leftovers = [tex for tex in RAW_TEX if tex in article_text(page)]
        assert not leftovers, f"{rel}: raw TeX left in the rendered text: {leftovers}"
    page.wait_for_load_state("networkidle", timeout=NAV_TIMEOUT_MS)
    assert not log.problems(), f"{rel}: {log.problems()}"


@pytest.mark.parametrize("docname", pages_showing("animation", 'class="animation"'))
def test_animation_player_steps(open_page, docname):
    page, log = open_page(f"{docname}.html")
    players = page.locator("div.animation")
    assert players.count(), f"{docname}: no animation player"
    for i in range(players.count()):
        player = players.nth(i)
        img = player.locator("img[id^='_anim_img']")
        # The player sets the first frame from a setTimeout(0) after the page's script ran.
        page.wait_for_function("(el) => !!el.getAttribute('src')", arg=img.element_handle())
        before = img.get_attribute("src")
        player.locator("button[title='Next frame']").click()
        after = img.get_attribute("src")
        assert after != before, f"{docname}: player {i}: 'Next frame' did not change the frame"
        assert img.evaluate("el => el.naturalWidth") > 0, f"{docname}: player {i}: frame not decoded"
        # Play starts it: the frame keeps changing without further clicks; Pause stops it.
        player.locator("button[title='First frame']").click()
        first = img.get_attribute("src")
        player.locator("button[title='Play']").click()
        page.wait_for_function("([el, src]) => el.getAttribute('src') !== src", arg=[img.element_handle(), first],
                               timeout=10_000)
        player.locator("button[title='Pause']").click()
    assert not log.problems(), f"{docname}: {log.problems()}"


# In a class attribute (the fallback's div, or a tagged cell), not in text: the API page documents the class name.
FALLBACK_CLASS = r'class="(?:[^"]*\s)?(?:tag_)?pwgf-widget-fallback[\s"]'


@pytest.mark.parametrize("docname", pages_showing("widget_fallback", FALLBACK_CLASS))
def test_widget_fallback_visible(open_page, docname):
    page, log = open_page(f"{docname}.html")
    imgs = page.locator(
        ".pwgf-widget-fallback img, .tag_pwgf-widget-fallback .cell_output img",
    )
    assert imgs.count(), f"{docname}: no widget fallback image"
    for i in range(imgs.count()):
        img = imgs.nth(i)
        img.scroll_into_view_if_needed()
        assert img.is_visible(), f"{docname}: widget fallback image {i} is not visible"
        img.page.wait_for_function("(el) => el.complete", arg=img.element_handle())
        assert img.evaluate("el => el.naturalWidth") > 0, f"{docname}: fallback image {i} not decoded"
    assert not log.problems(), f"{docname}: {log.problems()}"
