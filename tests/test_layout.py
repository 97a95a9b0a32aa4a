"""Every page fits its reader's screen (headless Chromium, as tests/test_browser.py).

At desktop width (1300 px) no code block, printed output or table is wider than the text column, and no
figure, player or explorer sticks out of it; at phone width (400 px) the page never scrolls sideways (a code
block may scroll inside its own box there) and every animation player keeps its controls inside it.
"""

from __future__ import annotations

import pytest
from conftest import PAGE_TIMEOUT_MS, site_pages

PAGES = site_pages()
DESKTOP, PHONE = 1300, 400

# Elements wider than the article column, as [kind, width in px, room in px, first text]. Closed <details>
# (collapsed cells) take no room; a table may sit in the theme's scrolling box but must fit it.
OVERFLOWS = """() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main');
  const column = article.getBoundingClientRect();
  const found = [];
  const text = (el) => el.textContent.trim().split('\\n').reduce((a, l) => l.length > a.length ? l : a, '')
    .slice(0, 80);
  for (const el of article.querySelectorAll('pre, table, img, .animation, .pwgf-static-explorer')) {
    if (el.closest('details:not([open])')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;
    if (el.tagName === 'PRE' && el.scrollWidth > el.clientWidth + 1) {
      found.push(['code or output', el.scrollWidth, el.clientWidth, text(el)]);
    } else if (el.tagName === 'TABLE') {
      const room = (el.closest('.pst-scrollable-table-container') || article).clientWidth;
      const key = text(el.querySelector('th, td') || el);
      if (el.scrollWidth > room + 1) found.push(['table', el.scrollWidth, room, key]);
    } else if (el.tagName !== 'PRE' && box.right > column.right + 1) {
      found.push([el.tagName.toLowerCase() + '.' + el.className, Math.round(box.width), Math.round(column.width), '']);
    }
  }
  return found;
}"""

SIDEWAYS = """() => {
  const players = [...document.querySelectorAll('.animation')].filter(a => {
    const frame = a.getBoundingClientRect();
    return [...a.querySelectorAll('button, input')].some(c => c.getBoundingClientRect().right > frame.right + 1);
  });
  return {page: document.documentElement.scrollWidth, window: window.innerWidth, players: players.length};
}"""


def _measure(browser, site_url, width: int, rel: str, script: str):
    """Run ``script`` on the page ``rel`` in a fresh context ``width`` px wide, then close the context."""
    context = browser.new_context(viewport={"width": width, "height": 900}, service_workers="block")
    page = context.new_page()
    try:
        # "load", then MathJax's typesetting and the fonts: what sets the layout. Not "networkidle" (MathJax
        # fetches fonts lazily, and a loaded machine once kept a page from going idle for five minutes).
        page.goto(f"{site_url}/{rel}", wait_until="load", timeout=PAGE_TIMEOUT_MS)
        # index.html is a redirect: wait for the page it leads to.
        page.wait_for_selector("article.bd-article, main", state="attached", timeout=PAGE_TIMEOUT_MS)
        page.wait_for_load_state("load", timeout=PAGE_TIMEOUT_MS)
        if page.locator(".math").count():
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=PAGE_TIMEOUT_MS)
            page.evaluate("() => MathJax.startup.promise.then(() => true)")
        page.evaluate("() => document.fonts.ready.then(() => true)")
        return page.evaluate(script)
    finally:
        context.close()


@pytest.mark.parametrize("rel", PAGES)
def test_nothing_wider_than_the_column_at_desktop_width(browser, site_url, rel):
    found = _measure(browser, site_url, DESKTOP, rel, OVERFLOWS)
    assert not found, f"{rel} at {DESKTOP} px, wider than the column ([kind, width, room, text]): {found}"


@pytest.mark.parametrize("rel", PAGES)
def test_no_sideways_scroll_at_phone_width(browser, site_url, rel):
    measured = _measure(browser, site_url, PHONE, rel, SIDEWAYS)
    assert measured["page"] <= measured["window"], f"{rel} at {PHONE} px scrolls sideways: {measured}"
    assert measured["players"] == 0, f"{rel} at {PHONE} px: player controls stick out of the player: {measured}"
