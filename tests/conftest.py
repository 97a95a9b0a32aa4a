"""Shared fixtures for the tests of the built site (test_site.py, test_browser.py).

The site tests check the HTML that `make book` left in _build/html (or in
$PWGF_SITE_DIR). They do not build it: when it is missing they fail with the
command to run, they never skip.
"""

from __future__ import annotations

import functools
import http.server
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
NETGUARD_DIR = REPO_ROOT / "scripts" / "netguard"

# No network in the tests either (set PWGF_NO_NETWORK=0 to opt out): this process refuses non-loopback connections
# and name lookups, and so does every process it starts (kernels of test_reproducible.py, subprocesses), through the
# environment: sitecustomize.py in scripts/netguard/ installs the guard at their start-up. `make test` sets the same.
os.environ.setdefault("PWGF_NO_NETWORK", "1")
if os.environ["PWGF_NO_NETWORK"] == "1":
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if str(NETGUARD_DIR) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NETGUARD_DIR), *paths]))
    sys.path.insert(0, str(NETGUARD_DIR))
    import pwgf_netguard

    pwgf_netguard.install()
SITE_DIR = Path(os.environ.get("PWGF_SITE_DIR", REPO_ROOT / "_build" / "html")).resolve()
CHROMIUM = os.environ.get("PWGF_CHROMIUM", "/usr/bin/chromium")
#: How long a browser test waits for a page to load and fall network-idle. The browser tests check what a page
#: does, not how fast (speed is measured by `make bench`): the API page (1.3 MB, 550 formulas) takes 6 s here on
#: an idle machine and took over a minute on a loaded CI machine, so the bound only catches a page that never
#: settles.
PAGE_TIMEOUT_MS = 300_000


def book_repository() -> str:
    """``owner/name`` that the built site's buttons use: the one setting, read as the build reads it."""
    import yaml

    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    import pwgf_book_sphinx

    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
    return pwgf_book_sphinx.repository(config["repository"]["url"])
# Without the background-networking flags Chromium keeps calling Google's
# services, which floods a closed network and would show up as blocked requests.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def toc_docnames() -> list[str]:
    """Docnames listed in _toc.yml (root first), parsed the way Jupyter Book does."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml(REPO_ROOT / "_toc.yml")
    return [site_map.root.docname, *(name for name in site_map if name != site_map.root.docname)]


def html_path(docname: str) -> Path:
    return SITE_DIR / f"{docname}.html"


NO_SITE = "<site not built>"


def site_pages() -> list[str]:
    """Every HTML page of the site (chapters, index, genindex, search) relative to the
    site root, no theme assets. Without a site: one placeholder, so that the tests
    parametrized with it error through the site_dir fixture instead of being skipped."""
    if not SITE_DIR.is_dir():
        return [NO_SITE]
    rels = (p.relative_to(SITE_DIR) for p in SITE_DIR.rglob("*.html"))
    return sorted(
        rel.as_posix()
        for rel in rels
        if not any(part.startswith(("_", ".")) or part == "reports" for part in rel.parts[:-1])
    )


@pytest.fixture(scope="session")
def site_dir() -> Path:
    """The built site; fails (does not skip) with the command to run when it is missing."""
    if not (SITE_DIR / "index.html").is_file():
        pytest.fail(
            f"No built site at {SITE_DIR} (index.html missing). Run `make book` first "
            "(`make test` does it for you).",
            pytrace=False,
        )
    return SITE_DIR


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature from the stdlib
        pass


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 (a free port) from a thread for the whole session."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright; Playwright never downloads a browser here."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"{CHROMIUM} not found. Run `make browser` (apt-get install chromium); "
            "`make test` does it for you.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
