"""Static explorers (issue 16): the grid of precomputed pictures, its HTML, the site's script in headless Chromium,
and the pWGF explorer's velocities (pwgf_viz.explorer_pwgf.step_velocities)."""

from __future__ import annotations

import base64
import functools
import http.server
import json
import re
import shutil
import threading
from urllib.parse import urlsplit

import numpy as np
import pytest
import torch
from bs4 import BeautifulSoup
from conftest import REPO_ROOT, SITE_DIR, site_pages

from pwgf_viz import objectives
from pwgf_viz.exact import exact_gradient, exact_mean
from pwgf_viz.explorer_estimator import EstimatorExplorer
from pwgf_viz.explorer_pwgf import OBJECTIVES, PWGFExplorer, step_velocities
from pwgf_viz.explorer_static import CSS_CLASS, Control, encode, render_grid, static_explorer_html, value_text
from pwgf_viz.ot1d import discrete_distribution

TOY = objectives.quadratic(0.45)
SCRIPT = REPO_ROOT / "_static" / "pwgf-explorer.js"


def fprime(f, z):
    z = torch.tensor(np.asarray(z, dtype=float), requires_grad=True)
    (g,) = torch.autograd.grad(f(z.reshape(-1, 1)).sum(), z)
    return g.numpy()


# --- step_velocities: the five rows ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(OBJECTIVES))
@pytest.mark.parametrize("p", [0.1, 0.3, 0.8])
def test_bernoulli_rows(name, p):
    f = OBJECTIVES[name]
    v = step_velocities(f, "bernoulli", p, 1e-3)["velocities"]
    d0, d1 = fprime(f, [0.0, 1.0])
    assert abs(v[0] + float(exact_gradient(f, "bernoulli", [p])[0])) < 1e-10
    assert abs(v[1] + float(exact_mean("st", f, "bernoulli", [p])[0])) < 1e-10   # mean matching = -ST
    assert v[2] == 0.0                                                              # lattice W2: no move
    closed = -1.5 * p * (1 - p) * (d0 + d1)                                         # written out here
    assert abs(v[4] - closed) < 1e-10
    assert abs(v[3] - closed) < 0.02 * max(1.0, abs(closed))                       # step 1e-3 is near the limit


@pytest.mark.parametrize("rate", [0.5, 2.0, 8.0])
def test_poisson_rows_and_convergence(rate):
    support, mass = discrete_distribution("poisson", rate)
    closed = -(mass @ (fprime(TOY, support) * (support + rate) / (2 * rate))) / (1 + 1 / (3 * rate))
    rows = [step_velocities(TOY, "poisson", rate, eps)["velocities"] for eps in (1e-2, 1e-3)]
    assert all(abs(v[4] - closed) < 1e-8 for v in rows)
    gaps = [abs(v[3] - closed) for v in rows]   # the step's projection tends to the limit, gap O(eps)
    assert gaps[1] < 0.15 * gaps[0] + 1e-5
    assert abs(rows[1][1] + float(exact_mean("st", TOY, "poisson", [rate])[0])) < 1e-8


def test_dequantised_is_not_mean_matching():
    # On (z - 0.45)^2 at p = 0.3 the rows differ in sign: the check above can tell them apart.
    v = step_velocities(TOY, "bernoulli", 0.3, 0.05)["velocities"]
    assert v[1] > 0.25 and v[4] < -0.05


# --- the grid and its HTML --------------------------------------------------------------------------------------

def small_pwgf() -> tuple[PWGFExplorer, list[Control]]:
    explorer = PWGFExplorer()
    controls = [Control("objective", "f(z)", list(OBJECTIVES)[:2], "select"),
                Control("family", "family", ["bernoulli", "poisson"], "radio"),
                Control("p", "p", (0.3, 0.7)), Control("step", "step ε", (0.05, 0.2))]
    return explorer, controls


def test_grid_holds_the_live_explorers_picture_for_every_key():
    explorer, controls = small_pwgf()
    grid = render_grid(explorer._render, controls, explorer.settings(), explorer.describe, dpi=50,
                       canonical=explorer.canonical)
    assert len(grid["table"]) == 2 * 2 * 2 * 2
    # p does not matter for Poisson: 2 x (2 + 1) x 2 distinct pictures.
    assert len(grid["images"]) == 12
    fresh = PWGFExplorer()
    for key, (index, alt, summary) in grid["table"].items():
        objective, family, p, step = key.split("|")
        fig, expected = fresh._render(objective=objective, family=family, p=float(p), rate=4.0, step=float(step))
        mime, data = encode(fig, "webp", 50)
        assert grid["images"][index] == f"data:{mime};base64,{base64.b64encode(data).decode()}", key
        assert summary == expected and expected in alt
        if family == "bernoulli":
            assert f"parameter {p} " in alt and f"size {step}." in alt


def test_html_controls_are_native_and_labelled():
    explorer, controls = small_pwgf()
    page = BeautifulSoup(static_explorer_html(explorer._render, controls, explorer.settings(), explorer.describe,
                                              name="PWGF", dpi=40, canonical=explorer.canonical), "html.parser")
    root = page.select_one(f"div.pwgf-widget-fallback > div.{CSS_CLASS}")
    assert root is not None and root["role"] == "group"
    for el in root.select("select, input[type=range]"):
        label = root.select_one(f'label[for="{el["id"]}"]')
        assert label is not None and label.get_text(strip=True), el
    for fieldset in root.select("fieldset"):
        assert fieldset.legend.get_text(strip=True)
        assert all(lab.get_text(strip=True) for lab in fieldset.select("label"))
    data = json.loads(root.select_one("script.pwgf-static-data").string)
    assert data["settings"] == ["objective", "family", "p", "step"]
    img = root.select_one("img.pwgf-static-image")
    index, alt, _ = data["table"]["(z - 0.45)^2|bernoulli|0.3|0.05"]   # the explorer's defaults
    assert img["src"] == data["images"][index] and img["alt"] == alt
    note = root.select_one(".pwgf-static-note").get_text()
    assert "16 precomputed settings" in note and "Binder" in note


def test_control_refuses_bad_values():
    with pytest.raises(ValueError, match="kind"):
        Control("p", "p", (0.1,), "slider")
    with pytest.raises(ValueError, match="distinct"):
        Control("p", "p", (0.1, 0.1))
    with pytest.raises(ValueError, match="names"):
        Control("p", "p", (0.1, 0.2), names=["a"])
    with pytest.raises(ValueError, match="empty"):
        Control("p", "p", ())
    assert [value_text(v) for v in (0.1, 2_000, 3.0, "st")] == ["0.1", "2000", "3", "st"]


def test_explorer_bundle_shows_the_static_explorer_and_keeps_the_print_still():
    bundle = EstimatorExplorer(estimators=["st", "arm"])._repr_mimebundle_()
    assert f'class="{CSS_CLASS}"' in bundle["text/html"]
    assert bundle["image/png"][:4] == b"\x89PNG"
    assert "application/vnd.jupyter.widget-view+json" in bundle


# --- the site's script, in headless Chromium ------------------------------------------------------------------

STATE_JS = """(root) => Array.from(root.querySelectorAll('[data-setting]')).map(el => {
    if (el.tagName === 'INPUT') return JSON.parse(el.dataset.values)[Number(el.value)];
    if (el.tagName === 'SELECT') return el.value;
    const c = el.querySelector('input[type=radio]:checked'); return c ? c.value : null;
})"""


def move_every_control(page, root) -> int:
    """Set every control of one static explorer to each of its values in turn; after each move the picture, its
    alt text and caption must be those precomputed for the controls' state (read from the DOM here, not by the
    site's script). Returns the number of moves."""
    data = json.loads(root.locator("script.pwgf-static-data").text_content())
    img = root.locator("img.pwgf-static-image")
    moves = 0
    for setting in data["settings"]:
        control = root.locator(f'[data-setting="{setting}"]')
        tag = control.evaluate("el => el.tagName")
        if tag == "INPUT":
            values = list(range(len(json.loads(control.get_attribute("data-values")))))
        elif tag == "SELECT":
            values = control.locator("option").evaluate_all("els => els.map(e => e.value)")
        else:
            values = control.locator("input[type=radio]").evaluate_all("els => els.map(e => e.value)")
        for value in [*values[1:], values[0]]:
            before = img.get_attribute("src")
            if tag == "INPUT":
                control.fill(str(value))
            elif tag == "SELECT":
                control.select_option(value)
            else:
                control.locator(f'input[value="{value}"]').check()
            key = "|".join(root.evaluate(STATE_JS))
            index, alt, summary = data["table"][key]
            assert img.get_attribute("src") == data["images"][index], f"{setting}={value}: wrong picture for {key}"
            assert img.get_attribute("alt") == alt
            assert root.locator(".pwgf-static-summary").text_content().strip() == summary
            assert img.evaluate("el => el.complete && el.naturalWidth > 0")
            if data["images"][index] != before:
                moves += 1
    return moves


def open_logged(browser, url):
    host = urlsplit(url).netloc
    context = browser.new_context(service_workers="block")
    problems: list[str] = []

    def route(r):
        if urlsplit(r.request.url).netloc == host:
            r.continue_()
        else:
            problems.append(f"blocked {r.request.url}")
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(f"page error {exc}"))
    page.on("console", lambda msg: msg.type == "error" and "favicon.ico" not in msg.location.get("url", "")
            and problems.append(f"console {msg.text}"))
    page.goto(url, wait_until="load")
    return context, page, problems


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def mini_site(tmp_path_factory):
    """A page holding one small static explorer and the site's script, served from 127.0.0.1."""
    root = tmp_path_factory.mktemp("static-site")
    shutil.copy(SCRIPT, root / SCRIPT.name)
    explorer, controls = small_pwgf()
    body = static_explorer_html(explorer._render, controls, explorer.settings(), explorer.describe, name="PWGF",
                                dpi=40, canonical=explorer.canonical)
    (root / "index.html").write_text(f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>'
                                     f'</head><body>{body}<script src="{SCRIPT.name}"></script></body></html>',
                                     encoding="utf-8")
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


def test_script_swaps_the_picture(browser, mini_site):
    context, page, problems = open_logged(browser, mini_site)
    try:
        root = page.locator(f".{CSS_CLASS}")
        page.wait_for_function("(el) => el.dataset.ready === 'true'", arg=root.element_handle())
        assert move_every_control(page, root) >= 6
        # The value shown beside a slider follows it.
        page.locator('input[data-setting="p"]').fill("1")
        assert page.locator("output").first.inner_text() == "0.7"
    finally:
        context.close()
    assert not problems, problems


STATIC_PAGES = sorted(rel for rel in site_pages()
                      if (SITE_DIR / rel).is_file() and re.search(f'class="{CSS_CLASS}"',
                                                                  (SITE_DIR / rel).read_text(errors="replace")))


@pytest.mark.parametrize("rel", STATIC_PAGES or ["<no static explorer in the site>"])
def test_static_explorers_on_the_site(browser, site_url, rel):
    assert STATIC_PAGES, f"no page of {SITE_DIR} holds a static explorer (run `make book`)"
    context, page, problems = open_logged(browser, f"{site_url}/{rel}")
    try:
        roots = page.locator(f".{CSS_CLASS}")
        assert roots.count()
        for i in range(roots.count()):
            root = roots.nth(i)
            root.scroll_into_view_if_needed()
            page.wait_for_function("(el) => el.dataset.ready === 'true'", arg=root.element_handle())
            assert move_every_control(page, root) >= 3, f"{rel}: explorer {i}: the picture hardly changed"
    finally:
        context.close()
    assert not problems, f"{rel}: {problems}"
