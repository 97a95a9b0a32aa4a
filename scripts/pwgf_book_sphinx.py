"""Build-time glue for the pwgf book (a local Sphinx extension, see ``_config.yml``).

1. Jupyter Book 1.x adds *every* ``.js``/``.css`` file found under ``_static/``
   (recursively) to every page. The vendored MathJax / RequireJS / widget
   manager live in ``_static/vendor/`` and must not be loaded like that: MathJax
   is loaded once through ``mathjax_path`` and loads its own components lazily,
   and RequireJS + ``embed-amd.js`` are added by myst-nb only to pages that hold
   widget state (``nb_ipywidgets_js``). So drop ``vendor/...`` from
   ``html_js_files`` / ``html_css_files`` again.
2. Fail early, with the command to run, if the vendored files are missing.
3. Sphinx < 8.2 writes an inline ``<script>`` that an extension adds after the
   builder started (``app.add_js_file(None, body=...)``) twice, so sphinx-thebe's
   ``const THEBE_JS_URL = ...`` is declared twice and every page throws
   "Identifier 'THEBE_JS_URL' has already been declared". Backport of the fix
   (sphinx-doc/sphinx#13402): the builder gets ``''`` instead of ``None``.
"""

from __future__ import annotations

from pathlib import Path

import sphinx
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)

VENDOR_PREFIX = "vendor/"

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
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
