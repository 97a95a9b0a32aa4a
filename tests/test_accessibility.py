"""Accessibility of the built site: an axe-core audit of every page in headless Chromium, in light and dark mode.

axe-core comes from npm, pinned in scripts/vendor_assets.sh (``make vendor`` unpacks it into .vendor/; it is
never part of the site) and is injected into each page after it loaded. Every page must have zero violations of
impact "critical" or "serious" (the WCAG 2 A/AA rules and axe's best practices that carry those impacts, plus
the experimental rule for WCAG 2.5.3, label-content-name-mismatch, which the theme's buttons failed), in the
theme's light mode and in its dark mode (pydata-sphinx-theme follows the reader's ``prefers-color-scheme``
because the book's default mode is "auto"; the test checks that ``<html data-theme>`` followed).

Static checks on the HTML as well: every animation player's frame has alt text and its slider a label, every
image has alt text that is not a file name, and in dark mode the figures (transparent-free PNGs drawn for a
white page) sit on a white background.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import PAGE_TIMEOUT_MS, REPO_ROOT, SITE_DIR, site_pages


def _is_redirect(rel: str) -> bool:
    """The site's root index.html is only a meta refresh to the first chapter, which is audited itself; auditing
    the redirect races the navigation (the audit may read either page)."""
    path = SITE_DIR / rel
    return path.is_file() and path.read_text(encoding="utf-8", errors="replace").lstrip().lower().startswith(
        '<meta http-equiv="refresh"')


PAGES = [rel for rel in site_pages() if not _is_redirect(rel)]
NAV_TIMEOUT_MS = PAGE_TIMEOUT_MS
BLOCKING = ("critical", "serious")
# axe's default rules, plus WCAG 2.5.3 "Label in Name" (experimental in axe, off by default): the theme's
# buttons whose accessible names did not contain their visible labels (_static/pwgf-a11y.js).
EXTRA_RULES = "{'label-content-name-mismatch': {enabled: true}}"


def axe_script() -> Path:
    version = re.search(r"^AXE_CORE_VERSION=(\S+)$", (REPO_ROOT / "scripts" / "vendor_assets.sh").read_text(),
                        re.M)[1]
    path = REPO_ROOT / ".vendor" / f"axe-core-{version}" / "axe.min.js"
    if not path.is_file():
        pytest.fail(f"{path} missing: run `make vendor` (`make test` does it).", pytrace=False)
    return path


def audit(browser, site_url: str, rel: str, scheme: str) -> tuple[str, list[dict]]:
    """(the page's data-theme, axe's blocking violations) for one page in one colour scheme."""
    context = browser.new_context(color_scheme=scheme, service_workers="block")
    try:
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(site_url)
                      else route.abort())
        page = context.new_page()
        # "load", then MathJax's typesetting: what the audit reads. Not "networkidle": MathJax and Font Awesome
        # fetch fonts lazily, and on a loaded machine the big pages (API, 1 MB) did not go idle within two
        # minutes; test_browser.py checks the network of every page.
        page.goto(f"{site_url}/{rel}", wait_until="load", timeout=NAV_TIMEOUT_MS)
        if page.locator(".math").count():
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=NAV_TIMEOUT_MS)
            page.evaluate("() => MathJax.startup.promise.then(() => true)")
        theme = page.evaluate("() => document.documentElement.dataset.theme")
        page.add_script_tag(path=str(axe_script()))
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations'], rules: RULES})"
                                .replace("RULES", EXTRA_RULES))
        blocking = [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                     "nodes": [n["target"] for n in v["nodes"][:5]], "count": len(v["nodes"])}
                    for v in results["violations"] if v["impact"] in BLOCKING]
        return theme, blocking
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("rel", PAGES)
def test_no_critical_or_serious_axe_violations(browser, site_url, rel, scheme) -> None:
    theme, blocking = audit(browser, site_url, rel, scheme)
    assert theme == scheme, f"{rel}: the theme did not follow prefers-color-scheme={scheme} (data-theme={theme})"
    assert not blocking, f"{rel} ({scheme}): " + "\n".join(
        f"{v['impact']} {v['id']} ({v['count']}x): {v['help']} {v['nodes']}" for v in blocking)


def test_audit_can_fail(browser, site_url, site_dir, tmp_path) -> None:
    """The audit is not vacuous: an image without alt, an unlabelled slider and a button named otherwise than
    its label fail it."""
    bad = site_dir / "_pwgf_axe_probe.html"
    bad.write_text('<!DOCTYPE html><html lang="en"><head><title>probe</title></head><body><main>'
                   '<img src="data:image/png;base64,iVBORw0KGgo="><input type="range">'
                   '<button aria-label="Go">Search the book</button></main></body></html>')
    try:
        _, blocking = audit(browser, site_url, bad.name, "light")
    finally:
        bad.unlink()
    assert {"image-alt", "label", "label-content-name-mismatch"} <= {v["id"] for v in blocking}, blocking


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.mark.parametrize("rel", PAGES)
def test_images_and_player_controls_are_described(site_dir, rel) -> None:
    page = soup(site_dir / rel)
    problems = []
    for img in page.find_all("img"):
        alt = (img.get("alt") or "").strip()
        src = img.get("src", "")
        if not alt and img.get("role") != "presentation":
            problems.append(f"no alt: {src[:60]}")
        elif re.search(r"\.(png|jpe?g|svg|gif)$", alt) or alt == src:
            problems.append(f"alt is a file name: {alt!r}")
    for slider in page.select("div.animation input[type=range]"):
        if not slider.get("aria-label"):
            problems.append(f"unlabelled slider {slider.get('id')}")
    assert not problems, f"{rel}: " + "; ".join(problems[:10])


def test_players_are_found(site_dir) -> None:
    """The check above is not vacuous: the book has players, each with alt text on its frame."""
    players = [img for rel in PAGES for img in soup(site_dir / rel).select("div.animation img[id^=_anim_img]")]
    assert len(players) >= 5, len(players)
    assert all(img.get("alt", "").strip() for img in players), [img.get("id") for img in players if not img.get("alt")]


def test_figures_sit_on_white_in_dark_mode(browser, site_url) -> None:
    """Output images (PNG figures drawn for a white page, animation frames) get a white background in dark mode."""
    context = browser.new_context(color_scheme="dark", service_workers="block")
    try:
        page = context.new_page()
        page.goto(f"{site_url}/book/discrete-gradients.html", wait_until="load", timeout=NAV_TIMEOUT_MS)
        assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
        backgrounds = page.evaluate("""() => Array.from(document.querySelectorAll('.cell_output img'))
            .map(img => getComputedStyle(img).backgroundColor)""")
    finally:
        context.close()
    assert backgrounds and set(backgrounds) == {"rgb(255, 255, 255)"}, backgrounds


def test_player_frames_get_alt_text_from_the_figure_and_a_labelled_slider() -> None:
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    from pwgf_viz import animation

    fig, (left, right) = plt.subplots(1, 2)
    fig.suptitle(r"Flow of $\mu_t$")
    left.set_title("particles")
    right.set_xlabel("step $t$")
    right.set_ylabel("$p_t$")
    anim = FuncAnimation(fig, lambda t: [], frames=2)
    html = animation.player(anim).data
    page = BeautifulSoup(html, "html.parser")
    alt = page.select_one("img[id^=_anim_img]")["alt"]
    assert alt == "Animation: Flow of mu_t. panels: particles; p_t against step t"
    assert page.select_one("input[type=range]")["aria-label"] == animation.SLIDER_LABEL
    assert animation.accessible_player(html, "other") == html  # idempotent: an existing alt is kept
    bare = '<img id="_anim_img0a"><input id="_anim_slider0a" type="range">'
    assert animation.accessible_player(bare, 'a "b" <c>') == (
        '<img id="_anim_img0a" alt="a &quot;b&quot; &lt;c&gt;"><input id="_anim_slider0a" '
        f'aria-label="{animation.SLIDER_LABEL}" type="range">')
    with pytest.raises(ValueError, match="alt"):
        animation.accessible_player(bare, " ")
    with pytest.raises(ValueError, match="alt"):
        animation.player(anim, alt="")
