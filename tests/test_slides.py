"""The lecture decks of `make slides` (pwgf_viz.slides, spec slides/decks.yml).

Unit tests of the spec checker (shape and references), then the decks that `make slides` left in
_build/slides (or $PWGF_SLIDES_DIR): each deck of the spec exists with the spec's slides and speaker notes, weighs
less than the budget, and opens from the file system in Chromium (Playwright, as test_browser.py): every slide
shows, is not empty and fits the 16:9 frame, its images decode, MathJax typesets all its math, and there is no
console error, page error or request to anything but a local file.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import PAGE_TIMEOUT_MS, REPO_ROOT
from test_browser import RAW_TEX

from pwgf_viz import slides

SLIDES_DIR = Path(os.environ.get("PWGF_SLIDES_DIR", REPO_ROOT / "_build" / "slides")).resolve()
DECKS = slides.load_spec()
LOCAL_SCHEMES = ("file", "data", "blob", "about")
# What the current slide shows: its box, text, height (reveal lays slides out at 1280 x 720 before scaling),
# its text without typeset math, notes and scripts (for leftover TeX), images and MathJax output.
SLIDE_STATE = """() => {
    const s = Reveal.getCurrentSlide(), box = s.getBoundingClientRect();
    const clone = s.cloneNode(true);
    clone.querySelectorAll('aside, script, style, mjx-container').forEach(e => e.remove());
    return {
        title: s.dataset.slideTitle,
        visible: box.width > 0 && box.height > 0 && getComputedStyle(s).visibility === 'visible',
        text: s.innerText.trim().length, height: s.scrollHeight, raw: clone.textContent,
        images: Array.from(s.querySelectorAll('img')).map(img => img.naturalWidth),
        mathErrors: s.querySelectorAll('mjx-merror').length, math: s.querySelectorAll('mjx-container').length,
        notes: (Reveal.getSlideNotes() || '').trim().length, players: s.querySelectorAll('div.animation').length,
    };
}"""


def _spec(**slide) -> dict:
    entry = {"title": "A slide", "bullets": ["one point"], "notes": "say this"} | slide
    return {"decks": [{"file": "deck.html", "title": "Deck", "notes": "n", "slides": [entry]}]}


def test_spec_refers_only_to_what_the_book_has():
    found, cells = slides.book_index()
    slides.check_references(DECKS, found, cells)
    assert [d.file for d in DECKS][0] == "lecture-90.html"
    assert len(DECKS) == 5, "one deck for the 90-minute lecture and one per lecture of the module"


@pytest.mark.parametrize(("slide", "missing"), [({"equations": ["eq-no-such-label"]}, "eq-no-such-label"),
                                                ({"figures": ["slide-no-such-cell"]}, "slide-no-such-cell")])
def test_missing_reference_raises_naming_deck_slide_and_key(slide, missing):
    decks = slides.parse_spec(_spec(**slide))
    found, cells = slides.book_index()
    with pytest.raises(ValueError, match=rf"deck deck\.html, slide 1 \('A slide'\): .*'{missing}'"):
        slides.check_references(decks, found, cells)


def test_a_chapter_not_executed_since_its_code_changed_is_refused(tmp_path):
    from jupyter_cache import get_cache

    get_cache(str(tmp_path / "cache")).list_cache_records()  # an empty cache
    chapter = tmp_path / "chapter.md"
    chapter.write_text("---\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n# A chapter\n\n"
                       "```{code-cell} ipython3\n:name: slide-x\n1 + 1\n```\n", encoding="utf-8")
    assert slides.named_cells(chapter) == ["slide-x"]
    with pytest.raises(ValueError, match="chapter chapter: no executed notebook .* matches its current code"):
        slides.cell_outputs(chapter, ["slide-x"], tmp_path / "cache")
    with pytest.raises(ValueError, match="no execution cache"):
        slides.cell_outputs(chapter, ["slide-x"], tmp_path / "missing")


@pytest.mark.parametrize(("slide", "error"), [({"bullets": []}, ValueError), ({"bullets": ["a", "b", "c", "d"]},
                                              ValueError), ({"bullets": "a"}, TypeError), ({"notes": ""}, ValueError),
                                             ({"colour": "red"}, ValueError)])
def test_spec_shape_is_checked(slide, error):
    with pytest.raises(error, match="deck deck.html, slide 1"):
        slides.parse_spec(_spec(**slide))


def test_statements_are_read_with_their_labels():
    found = slides.statements(REPO_ROOT / "book" / "st-as-pwgf.md")
    assert found["thm-st-pwgf"].kind == "theorem"
    assert [label for _, label in slides.display_math(found["thm-st-pwgf"].body)] == ["eq-st-pwgf"]
    assert found["eq-pwgf-bernoulli"].body.startswith(r"\hat g_{\mathrm{pWGF}}")


def test_inline_html_keeps_math_for_mathjax():
    assert slides.inline_html("the {term}`ST <straight-through>` mean $2(p - t)$") == r"the ST mean \(2(p - t)\)"


@pytest.fixture(scope="session")
def slides_dir() -> Path:
    if not all((SLIDES_DIR / deck.file).is_file() for deck in DECKS):
        pytest.fail(f"The decks are missing in {SLIDES_DIR}: run `make slides` (`make test` does it for you).",
                    pytrace=False)
    return SLIDES_DIR


@pytest.mark.parametrize("deck", DECKS, ids=[d.file for d in DECKS])
def test_deck_has_the_spec_slides(slides_dir, deck):
    text = (slides_dir / deck.file).read_text(encoding="utf-8")
    titles = re.findall(r'<section[^>]*data-slide-title="([^"]*)"', text)
    assert [html.unescape(t) for t in titles] == [deck.title, *(s.title for s in deck.slides)]
    assert text.count('<aside class="notes">') == len(deck.slides) + 1
    assert slides.deck_bytes(slides_dir / deck.file) < slides.MAX_DECK_BYTES
    assert "width: 1280, height: 720" in text


@pytest.mark.parametrize("deck", DECKS, ids=[d.file for d in DECKS])
def test_deck_renders_in_chromium(slides_dir, browser, deck):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    problems: list[str] = []

    def route(route):
        if urlsplit(route.request.url).scheme in LOCAL_SCHEMES:
            route.continue_()
        else:  # the request listener below reports it
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console error: {msg.text}"))
    page.on("request", lambda req: urlsplit(req.url).scheme not in LOCAL_SCHEMES
            and problems.append(f"request to {req.url}"))
    page.on("requestfailed", lambda req: problems.append(f"failed: {req.url} {req.failure}"))
    try:
        page.goto((slides_dir / deck.file).as_uri(), wait_until="load", timeout=PAGE_TIMEOUT_MS)
        page.wait_for_function("() => window.Reveal && Reveal.isReady() && window.MathJax && MathJax.startup"
                               " && MathJax.startup.promise", timeout=PAGE_TIMEOUT_MS)
        page.evaluate("() => MathJax.startup.promise")
        total = page.evaluate("() => Reveal.getTotalSlides()")
        assert total == len(deck.slides) + 1
        for i in range(total):
            page.evaluate("(i) => Reveal.slide(i)", i)
            page.evaluate("() => MathJax.typesetPromise()")
            # Players set their first frame from a setTimeout after the slide's scripts ran.
            page.wait_for_function("() => Array.from(Reveal.getCurrentSlide().querySelectorAll('img'))"
                                   ".every(img => img.complete && img.getAttribute('src'))", timeout=PAGE_TIMEOUT_MS)
            state = page.evaluate(SLIDE_STATE)
            where = f"{deck.file}, slide {i + 1} ({state['title']!r})"
            assert state["visible"] and state["text"], f"{where}: not visible or empty"
            overflow = state["height"] - slides.HEIGHT
            assert overflow <= 0, f"{where}: content {overflow} px taller than the slide"
            assert all(width > 0 for width in state["images"]), f"{where}: an image did not decode"
            assert not state["mathErrors"], f"{where}: MathJax errors"
            leftovers = [tex for tex in RAW_TEX if tex in state["raw"]]
            assert not leftovers, f"{where}: math left untypeset: {leftovers}"
            expected = (i > 0 and (deck.slides[i - 1].equations or "$" in "".join(deck.slides[i - 1].bullets)))
            assert state["math"] or not expected, f"{where}: no typeset math"
            assert state["notes"], f"{where}: no speaker notes"
            for k in range(state["players"]):
                _check_player_steps(page, page.locator("section.present div.animation").nth(k), f"{where}, player {k}")
        page.wait_for_timeout(200)
        assert not problems, f"{deck.file}: {problems}"
    finally:
        context.close()


def _check_player_steps(page, player, where: str) -> None:
    """'Next frame' shows another, decoded frame (the book's player, inside a scaled reveal.js slide)."""
    img = player.locator("img[id^='_anim_img']")
    before = img.get_attribute("src")
    player.locator("button[title='Next frame']").click()
    page.wait_for_function("([el, src]) => el.getAttribute('src') !== src && el.complete",
                           arg=[img.element_handle(), before], timeout=10_000)
    assert img.evaluate("el => el.naturalWidth") > 0, f"{where}: frame not decoded"
