"""Build-time glue for the pwgf book (a local Sphinx extension, see ``_config.yml``).

1. Jupyter Book 1.x adds *every* ``.js``/``.css`` file found under ``_static/``
   (recursively) to every page. The vendored MathJax / RequireJS / widget
   manager live in ``_static/vendor/`` and must not be loaded like that: MathJax
   is loaded once through ``mathjax_path`` and loads its own components lazily,
   and RequireJS + ``embed-amd.js`` are added by myst-nb only to pages that hold
   widget state (``nb_ipywidgets_js``). So drop ``vendor/...`` from
   ``html_js_files`` / ``html_css_files`` again.
2. Fail early, with the command to run, if the vendored files are missing.
3. matplotlib's ``Animation.to_jshtml()`` output starts with a stylesheet link to
   Font Awesome 4.4 on a CDN (``maxcdn.bootstrapcdn.com``), which a reader's
   browser would fetch on page load. The player's ``<i class="fa fa-...">``
   icons are drawn by the Font Awesome that the theme already ships, so that
   exact link is removed from raw HTML outputs.
4. Sphinx < 8.2 writes an inline ``<script>`` that an extension adds after the
   builder started (``app.add_js_file(None, body=...)``) twice, so sphinx-thebe's
   ``const THEBE_JS_URL = ...`` is declared twice and every page throws
   "Identifier 'THEBE_JS_URL' has already been declared". Backport of the fix
   (sphinx-doc/sphinx#13402): the builder gets ``''`` instead of ``None``.
"""

from __future__ import annotations

import re
from pathlib import Path

import sphinx
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)

VENDOR_PREFIX = "vendor/"

# Exactly the link in matplotlib/_animation_data.py (JS_INCLUDE), whitespace-tolerant.
MPL_FONT_AWESOME_LINK = re.compile(
    r"<link\s+rel=\"stylesheet\"\s+"
    r"href=\"https://maxcdn\.bootstrapcdn\.com/font-awesome/4\.4\.0/css/font-awesome\.min\.css\"\s*/?>\n?"
)


def _filename(entry: str | tuple | list) -> str:
    return entry if isinstance(entry, str) else entry[0]


def drop_vendor_assets(app: Sphinx, config: Config) -> None:
    """Undo Jupyter Book's blanket inclusion of ``_static/vendor/**.js|css``."""
    for key in ("html_js_files", "html_css_files"):
        entries = list(config[key] or [])
        setattr(config, key, [e for e in entries if not _filename(e).startswith(VENDOR_PREFIX)])


def check_vendor_assets(app: Sphinx, config: Config) -> None:
    """Fail with a clear message if ``make vendor`` has not run."""
    static_dir = Path(app.srcdir, "_static")
    wanted = [config.mathjax_path, *config.nb_ipywidgets_js.keys()]
    missing = [
        path
        for path in wanted
        if "://" not in path and not path.startswith("/") and not (static_dir / path).is_file()
    ]
    if missing:
        raise ConfigError(
            "vendored JavaScript missing from _static/: "
            + ", ".join(missing)
            + ". Run `make vendor` (or `make book`, which runs it)."
        )


def strip_cdn_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Remove matplotlib's Font Awesome CDN stylesheet from raw HTML outputs."""
    for node in list(doctree.findall(nodes.raw)):
        if "html" not in node.get("format", "").split():
            continue
        text = node.astext()
        new_text, count = MPL_FONT_AWESOME_LINK.subn("", text)
        if count:
            node.replace_self(nodes.raw(node.rawsource, new_text, **node.attributes))


def dedupe_inline_js(app: Sphinx) -> None:
    """Backport of sphinx-doc/sphinx#13402 (``None`` vs ``''`` inline-script duplicates)."""
    builder = app.builder
    if sphinx.version_info >= (8, 2) or not hasattr(builder, "add_js_file"):
        return
    original = builder.add_js_file

    def add_js_file(filename: str | None, **kwargs: object) -> None:
        original(filename or "", **kwargs)

    builder.add_js_file = add_js_file  # type: ignore[method-assign]


def setup(app: Sphinx) -> dict:
    # priority > 500 so this runs after the other extensions have set their config
    app.connect("config-inited", drop_vendor_assets, priority=900)
    app.connect("config-inited", check_vendor_assets, priority=900)
    app.connect("builder-inited", dedupe_inline_js)
    app.connect("doctree-resolved", strip_cdn_links)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
