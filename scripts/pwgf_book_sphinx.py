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
4. Generated reference pages, so that new chapters and modules appear with nothing to register:
   a line ``<!-- pwgf:chapter-guide -->`` in a page (book/teaching.md) becomes, for every chapter of
   ``_toc.yml`` that has a "Learning goals" box, a section with its link, its goals and its exercises;
   a line ``<!-- pwgf:api -->`` (book/api.md) becomes one section with ``automodule`` per module of
   ``pwgf_viz``.
9. Accessibility of cell outputs. Animation players served from the execution cache (made before
   :func:`pwgf_viz.animation.accessible_player` existed) get alt text and a slider label here; an output image
   without alt text (myst-nb gives none unless the cell sets ``mystnb: image: alt:``, and the HTML writer then
   writes the file name) gets one. The alt text is the figure's caption (``mystnb: figure: caption``) if the
   output has one, else "Figure of the section <its title>": the text around an uncaptioned figure describes
   it, and a chapter can always say more with ``mystnb: image: alt``.
10. The bibliography's entries: docutils writes ``<div role="list" class="citation-list">`` around entries
    with ``role="doc-biblioentry"``, a role ARIA 1.2 deprecates and axe-core does not accept as a list item
    (serious violation ``aria-required-children`` on book/bibliography.html); they become ``role="listitem"``
    (the list, its entries and their ids are unchanged).
6. LaTeX only: ``{numref}`` to an exercise of another page would print "Exercise ??" (sphinx-exercise labels
   exercises ``exercise:<label>`` in LaTeX and converts only same-page references); such references become
   sphinx-exercise's own LaTeX reference, numbered like the exercise's box.
5. A role ``{chapter}`book/name``` : a link to the chapter if it is part of the book, else its name in
   italics marked "forthcoming" (the teaching paths name chapters that are still being written).
7. Where the book is published comes from ONE setting: the environment variable ``PWGF_REPOSITORY``
   (``owner/name`` on GitHub; the publishing workflow sets it from ``github.repository``, so a fork publishes
   working buttons), else the ``repository.url`` of ``_config.yml``. It gives the repository, issue, edit and
   Binder links (the theme's ``repository_url``) and the Colab links, and ``scripts/colab_notebooks.py`` reads it
   for the install cell of the generated notebooks.
8. "Open in Colab": Colab opens ``.ipynb`` files only, the chapters are MyST Markdown. The publishing workflow
   pushes notebooks generated from them (``scripts/colab_notebooks.py``) to the branch :data:`NOTEBOOKS_BRANCH`;
   each chapter's Colab button is pointed at its notebook there.
11. LaTeX numbering like the site's: front and back matter unnumbered, chapters numbered from Part I on, parts
    unnumbered (:func:`number_like_the_site`, on the ``.tex`` the builder wrote, before jupyter-book runs LaTeX).
12. A function shown with ``literalinclude``'s ``:pyobject:`` shows the idea, not the reference: its docstring
    (the API page has it) and its top-level argument checks (calls of :mod:`pwgf_viz.validation`'s ``check_*``
    functions, ``if ...: raise`` guards) are left out, and one comment line says where they went
    (:func:`function_body`). The code shown is otherwise the package's own, line for line.
"""

from __future__ import annotations

import ast
import inspect
import os
import pkgutil
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import sphinx
import sphinx.directives.code
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.directives.code import LiteralIncludeReader
from sphinx.errors import ConfigError
from sphinx.transforms.post_transforms import SphinxPostTransform
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


REPOSITORY_VARIABLE = "PWGF_REPOSITORY"
NOTEBOOKS_BRANCH = "notebooks"
COLAB = "https://colab.research.google.com"
_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")


def repository(config_url: str | None = None, environ: dict | None = None) -> str:
    """``owner/name`` of the book's GitHub repository: ``$PWGF_REPOSITORY`` if set, else ``config_url``'s."""
    environ = os.environ if environ is None else environ
    value = environ.get(REPOSITORY_VARIABLE, "").strip()
    if not value:
        value = re.sub(r"^https://github\.com/|/+$|\.git$", "", (config_url or "").strip())
    if not _REPOSITORY.fullmatch(value):
        raise ConfigError(f"{REPOSITORY_VARIABLE} (or repository.url in _config.yml) must name a GitHub "
                          f"repository as owner/name; got {value!r}")
    return value


def colab_notebook_url(repo: str, docname: str) -> str:
    """Colab's address of the generated notebook of ``docname`` on the branch :data:`NOTEBOOKS_BRANCH`."""
    return f"{COLAB}/github/{repo}/blob/{NOTEBOOKS_BRANCH}/{docname}.ipynb"


def set_repository(app: Sphinx, config: Config) -> None:
    """Item 7: the theme's repository URL from the one setting."""
    options = dict(config.html_theme_options or {})
    repo = repository(options.get("repository_url"))
    options["repository_url"] = f"https://github.com/{repo}"
    config.html_theme_options = options
    app.pwgf_repository = repo  # type: ignore[attr-defined]


def point_colab_at_notebooks(app: Sphinx, pagename: str, templatename: str, context: dict,
                             doctree: object) -> None:
    """Item 8 (``html-page-context``, after the theme built its launch buttons)."""
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            if button.get("text") == "Colab":
                button["url"] = colab_notebook_url(app.pwgf_repository, pagename)  # type: ignore[attr-defined]
                button["tooltip"] = "Open in Colab"


def biblioentries_as_listitems(app: Sphinx, pagename: str, templatename: str, context: dict,
                               doctree: object) -> None:
    """Item 10 (``html-page-context``): ``role="doc-biblioentry"`` inside a citation list -> ``listitem``."""
    body = context.get("body")
    if isinstance(body, str) and 'class="citation-list"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


CHAPTER_GUIDE = "<!-- pwgf:chapter-guide -->"
API = "<!-- pwgf:api -->"
PACKAGE = "pwgf_viz"
_GOALS = re.compile(r"^:::\{admonition\} Learning goals\n(?::[^\n]*\n)*(?P<body>.*?)^:::$", re.S | re.M)
_TITLE = re.compile(r"^# (?P<title>.+)$", re.M)
_EXERCISE = re.compile(r"^`{3,}\{exercise\}[^\n]*\n(?::[^\n]*\n)*?:label: (?P<label>\S+)", re.M)


def toc_docnames(srcdir: Path) -> list[str]:
    """The documents of ``_toc.yml``, root first, in reading order."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml(srcdir / "_toc.yml")
    return [site_map.root.docname, *(name for name in site_map if name != site_map.root.docname)]


def chapter_guide(app: Sphinx) -> str:
    """MyST Markdown: per chapter with learning goals, a section with its link, goals and exercises."""
    srcdir = Path(app.srcdir)
    parts = []
    for docname in toc_docnames(srcdir):
        path = srcdir / f"{docname}.md"
        if not path.is_file():
            continue
        app.env.note_dependency(str(path))
        text = path.read_text(encoding="utf-8")
        goals, title = _GOALS.search(text), _TITLE.search(text)
        if goals is None or title is None:
            continue
        exercises = _EXERCISE.findall(text)
        listed = ", ".join(f"{{numref}}`{label}`" for label in exercises) or "none yet"
        parts.append(f"### {title['title']}\n\n{{doc}}`Open the chapter </{docname}>`. "
                     f"{goals['body'].strip()}\n\nExercises: {listed}.\n")
    return "\n".join(parts)


def api_reference(app: Sphinx) -> str:
    """MyST Markdown: a section with ``automodule`` for every module of the package, in name order."""
    import importlib

    package = importlib.import_module(PACKAGE)
    # Rebuild this page when a module is edited, added or removed (the folder's mtime changes then).
    folder = Path(package.__file__).parent
    for path in (folder, *sorted(folder.glob("*.py"))):
        app.env.note_dependency(str(path))
    # The package's own names (``import pwgf_viz as pv``): data documented here, the rest linked to its module.
    rows, data = [], []
    for name in package.__all__:
        obj = getattr(package, name)
        if inspect.ismodule(obj):  # a submodule exported by name (``pv.style``)
            rows.append(f"| `pv.{name}` | {{py:mod}}`{obj.__name__}` |")
        elif inspect.isfunction(obj) or inspect.isclass(obj):
            rows.append(f"| `pv.{name}` | {{py:obj}}`{obj.__module__}.{obj.__qualname__}` |")
        else:
            origin = next(f"{PACKAGE}.{m.name}" for m in pkgutil.iter_modules(package.__path__)
                          if name in _assigned(f"{PACKAGE}.{m.name}"))
            data.append(f".. py:data:: {name}\n   :module: {PACKAGE}\n\n"
                        f"   The same object as :py:data:`{origin}.{name}`.\n")
    sections = [f"## `{PACKAGE}`\n\n```{{eval-rst}}\n.. automodule:: {PACKAGE}\n```\n\n"
                "| name | documented as |\n|---|---|\n" + "\n".join(rows) + "\n\n"
                "```{eval-rst}\n" + "\n".join(data) + "```\n"]
    for module in sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")):
        constants = "".join(_data_entry(f"{PACKAGE}.{module}", name) for name in _constants(f"{PACKAGE}.{module}"))
        sections.append(f"## `{PACKAGE}.{module}`\n\n```{{eval-rst}}\n.. automodule:: {PACKAGE}.{module}\n"
                        f"   :members:\n   :undoc-members:\n   :inherited-members: tuple, Module\n"
                        f"   :show-inheritance:\n\n{constants}```\n")
    return "\n".join(sections)


def _data_entry(module: str, name: str) -> str:
    """A ``py:data`` entry with the constant's value (``autodata`` would print the docstring of its type)."""
    import importlib

    obj = getattr(importlib.import_module(module), name)
    value = repr(obj)
    shown = value if len(value) <= 60 and "\n" not in value else f"<{type(obj).__name__}>"
    return f".. py:data:: {name}\n   :module: {module}\n   :value: {shown}\n\n"


def _assigned(module: str) -> list[str]:
    """Public UPPER_CASE names a module assigns at top level."""
    from sphinx.pycode import ModuleAnalyzer

    tree = ast.parse(ModuleAnalyzer.for_module(module).code)
    names = [target.id for node in tree.body if isinstance(node, ast.Assign | ast.AnnAssign)
             for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
             if isinstance(target, ast.Name)]
    return [n for n in dict.fromkeys(names) if re.fullmatch(r"[A-Z][A-Z0-9_]*", n)]


def _constants(module: str) -> list[str]:
    """The names of :func:`_assigned` without a ``#:`` doc comment: autodoc leaves those out even with
    ``:undoc-members:``, yet docstrings refer to them."""
    from sphinx.pycode import ModuleAnalyzer

    documented = {name for (scope, name) in ModuleAnalyzer.for_module(module).find_attr_docs() if scope == ""}
    return [n for n in _assigned(module) if n not in documented]


def expand_generated(app: Sphinx, docname: str, source: list[str]) -> None:
    """Replace the markers of item 4 (``source-read``) by the generated Markdown."""
    if CHAPTER_GUIDE in source[0]:
        source[0] = source[0].replace(CHAPTER_GUIDE, chapter_guide(app))
    if API in source[0]:
        source[0] = source[0].replace(API, api_reference(app))


def chapter_role(name: str, rawtext: str, text: str, lineno: int, inliner: object,
                 options: dict | None = None, content: list | None = None) -> tuple[list, list]:
    """``{chapter}`book/name```: a {doc} link if the chapter is in the book, else "*name* (forthcoming)"."""
    env = inliner.document.settings.env
    target = text.strip().removesuffix(".md")
    if target in env.found_docs:
        ref = addnodes.pending_xref(rawtext, refdomain="std", reftype="doc", reftarget="/" + target,
                                    refexplicit=False, refwarn=True, refdoc=env.docname)
        ref += nodes.inline(rawtext, target, classes=["xref", "std", "std-doc"])
        return [ref], []
    label = Path(target).name.replace("-", " ")
    return [nodes.emphasis(rawtext, label), nodes.Text(" (forthcoming)")], []


CACHED_PLAYER_ALT = "Animation: its frames are described in the text around it; the buttons below step through them"


def _ancestor(node: nodes.Node, kind: type) -> nodes.Node | None:
    node = node.parent
    while node is not None and not isinstance(node, kind):
        node = node.parent
    return node


def _caption(node: nodes.Node) -> str | None:
    figure = _ancestor(node, nodes.figure)
    caption = figure.next_node(nodes.caption) if figure is not None else None
    return " ".join(caption.astext().split()) if caption is not None else None


class AccessibleOutputs(SphinxPostTransform):
    """Item 9: alt text on output images and on every ``to_jshtml`` player, a label on the player's slider."""

    default_priority = 200
    formats = ("html",)

    def run(self) -> None:
        from pwgf_viz.animation import accessible_player

        for node in list(self.document.findall(nodes.raw)):
            if "html" not in node.get("format", "").split() or "_anim_img" not in node.astext():
                continue
            caption = _caption(node)
            fixed = accessible_player(node.astext(), f"Animation: {caption}" if caption else CACHED_PLAYER_ALT)
            if fixed != node.astext():
                node.replace_self(nodes.raw("", fixed, format=node["format"]))
        for image in list(self.document.findall(nodes.image)):
            if image.get("alt", "").strip():
                continue
            caption = _caption(image)
            section = _ancestor(image, nodes.section)
            title = section.next_node(nodes.title) if section is not None else None
            if caption:
                image["alt"] = caption
            elif title is not None:
                image["alt"] = f"Figure of the section “{title.astext()}”"
            else:
                image["alt"] = "Figure"


class ExerciseNumrefsForLatex(SphinxPostTransform):
    """Item 6: ``{numref}`` to exercises in the LaTeX build (before sphinx-exercise's own pass, priority 22)."""

    default_priority = 21
    formats = ("latex",)

    def run(self) -> None:
        from sphinx_exercise.nodes import exercise_enumerable_node, exercise_latex_number_reference
        from sphinx_exercise.utils import get_node_number

        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in list(self.document.findall(addnodes.number_reference)):
            label = node.get("refid") or node.get("refuri", "").rpartition("#")[2]
            target = registry.get(label, {}).get("node")
            if not isinstance(target, exercise_enumerable_node):
                continue
            number = get_node_number(self.app, target, "exercise")
            new = exercise_latex_number_reference(refid=label)
            new += nodes.Text(self.config.numfig_format["exercise"] % number)
            node.replace_self(new)


#: Captions of the table of contents' unnumbered parts (as on the site: no chapter number in front or back matter).
UNNUMBERED_PARTS = ("Front matter", "Back matter")
_PART = re.compile(r"^\\part\{(?P<title>.*)\}$", re.M)


def number_like_the_site(tex: str) -> str:
    """The LaTeX of the book numbered as the site is: chapters 1, 2, ... from Part I on, front and back matter
    unnumbered, parts unnumbered (their captions say "Part I").

    Sphinx writes each part of ``_toc.yml`` as ``\\part{caption}`` and each chapter as ``\\chapter``, which LaTeX
    numbers from the first page on (Notation became chapter 1, and every number of the PDF differed from the
    site's). Setting ``secnumdepth`` to -1 in the unnumbered parts keeps their chapters in the table of contents
    without a number and without stepping the chapter counter.
    """
    seen = []

    def part(match: re.Match) -> str:
        title = match["title"]
        seen.append(title)
        head = rf"\part*{{{title}}}\addcontentsline{{toc}}{{part}}{{{title}}}"
        if title in UNNUMBERED_PARTS:
            return head + r"\setcounter{secnumdepth}{-1}"
        return head + r"\setcounter{secnumdepth}{\pwgfsecnumdepth}"

    out = _PART.sub(part, tex)
    if not seen:
        return tex
    first = out.index(r"\part*{")
    return out[:first] + r"\edef\pwgfsecnumdepth{\the\value{secnumdepth}}" + "\n" + out[first:]


def latex_numbers_like_html(app: Sphinx) -> None:
    """Item 11: theorem, figure and equation numbers in the PDF as on the site (chapter.n, not chapter.section.n).

    sphinx-jupyterbook-latex sets ``numfig_secnum_depth = 2`` when the table of contents has parts, assuming that
    the first section number is the part's; here it is the chapter's (numbering continues across parts), so the
    PDF printed "Theorem 5.2.1" where the site says "Theorem 5.2". Runs after that extension's ``builder-inited``.
    """
    if app.builder.name == "latex":
        app.config.numfig_secnum_depth = 1


def renumber_latex(app: Sphinx, exception: Exception | None) -> None:
    """Item 11: after the LaTeX builder wrote book.tex (jupyter-book runs LaTeX afterwards), number like the site."""
    if exception is not None or app.builder.name != "latex":
        return
    for tex in Path(app.outdir).glob("*.tex"):
        text = tex.read_text(encoding="utf-8")
        tex.write_text(number_like_the_site(text), encoding="utf-8")


CHECKS_ELIDED = "# (argument checks: pwgf_viz/validation.py)"
SHOWN_WIDTH = 79  # columns of code the text column holds
_CHECK_NAME = re.compile(r"^_?check(_|$)")


def _call_name(node: ast.expr) -> str:
    if not isinstance(node, ast.Call):
        return ""
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def _is_guard(statement: ast.stmt) -> bool:
    """Whether a statement is ``if ...: raise ...`` (no ``else``)."""
    return isinstance(statement, ast.If) and not statement.orelse \
        and all(isinstance(s, ast.Raise) for s in statement.body)


def _is_check(statement: ast.stmt) -> bool:
    """Whether a top-level statement of a function body only checks its arguments.

    A guard (:func:`_is_guard`), a bare call of a ``check_*`` function, or ``x = check_*(..., x, ...)``, which
    re-binds an argument to its checked self; ``y = check_*(x, ...)`` defines a new name, so it stays.
    """
    if _is_guard(statement):
        return True
    if isinstance(statement, ast.Expr):
        return bool(_CHECK_NAME.search(_call_name(statement.value)))
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
            and isinstance(statement.targets[0], ast.Name) and _CHECK_NAME.search(_call_name(statement.value)):
        names = [arg.id for arg in statement.value.args if isinstance(arg, ast.Name)]
        return statement.targets[0].id in names
    return False


def _fit_width(code: str) -> str:
    """``code`` reflowed to :data:`SHOWN_WIDTH` columns by ``ruff format``, long comments wrapped.

    ``code`` must be complete statements at indentation 0 (a function, or a dedented excerpt of a body).
    """
    try:
        code = subprocess.run([sys.executable, "-m", "ruff", "format", "--line-length", str(SHOWN_WIDTH),
                               "--stdin-filename", "shown.py", "-"], input=code, capture_output=True,
                              text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        logger.warning(f"pwgf: could not reflow included code ({error})")
    return _wrap_comments(code)


def _wrap_comments(code: str) -> str:
    """``code`` with every comment line longer than :data:`SHOWN_WIDTH` wrapped (code lines unchanged)."""
    lines = []
    for line in code.splitlines():
        stripped = line.lstrip()
        if len(line) > SHOWN_WIDTH and stripped.startswith("# "):
            indent = line[:len(line) - len(stripped)]
            lines += textwrap.wrap(stripped[2:], SHOWN_WIDTH, initial_indent=indent + "# ",
                                   subsequent_indent=indent + "# ")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def function_body(lines: list[str]) -> list[str]:
    """The lines of one function or method as the page shows them: no docstring, no argument checks.

    ``lines`` is the source of a ``def`` (what ``literalinclude``'s ``:pyobject:`` selected). The docstring,
    the top-level argument checks (:func:`_is_check`) and the guards inside loops and branches are removed;
    the single comment :data:`CHECKS_ELIDED` stands at the place of the first check; the result is dedented and
    reflowed to :data:`SHOWN_WIDTH` columns (:func:`_fit_width`). A class, or source that does not parse, is
    returned
    unchanged.
    """
    lines = textwrap.dedent("".join(lines)).splitlines(keepends=True)
    try:
        tree = ast.parse("".join(lines))
    except SyntaxError:
        return lines
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return lines
    drop: set[int] = set()  # 0-based indices into lines
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        drop.update(range(body[0].lineno - 1, body[0].end_lineno))
        body = body[1:]
    checks = [statement for statement in body[:-1] if _is_check(statement)]  # the last one computes
    checks += [statement for block in body for statement in ast.walk(block)
               if statement is not block and isinstance(statement, ast.If) and _is_guard(statement)]
    for statement in checks:
        drop.update(range(statement.lineno - 1, statement.end_lineno))
    first_check = min((statement.lineno - 1 for statement in checks), default=None)
    kept = []
    for i, line in enumerate(lines):
        if i == first_check:
            kept.append(f"{line[:len(line) - len(line.lstrip())]}{CHECKS_ELIDED}\n")
        if i not in drop:
            kept.append(line)
    return _fit_width("".join(kept)).splitlines(keepends=True)


class FunctionBodyReader(LiteralIncludeReader):
    """``literalinclude``'s reader, with :func:`function_body` applied to a ``:pyobject:``."""

    def pyobject_filter(self, lines: list[str], location: tuple[str, int] | None = None) -> list[str]:
        lines = super().pyobject_filter(lines, location)
        return function_body(lines) if self.options.get("pyobject") else lines

    def end_filter(self, lines: list[str], location: tuple[str, int] | None = None) -> list[str]:
        """An excerpt of Python by ``:start-after:``/``:end-before:`` is dedented and reflowed like a function."""
        lines = super().end_filter(lines, location)
        if self.filename.endswith(".py") and not self.options.get("pyobject"):
            lines = _fit_width(textwrap.dedent("".join(lines))).splitlines(keepends=True)
        return lines


def show_function_bodies(app: Sphinx) -> None:
    """Make every ``literalinclude`` read through :class:`FunctionBodyReader` (see item 12)."""
    sphinx.directives.code.LiteralIncludeReader = FunctionBodyReader


def setup(app: Sphinx) -> dict:
    # priority > 500 so this runs after the other extensions have set their config
    app.connect("config-inited", drop_vendor_assets, priority=900)
    app.connect("config-inited", check_vendor_assets, priority=900)
    app.connect("config-inited", set_repository, priority=900)
    app.connect("html-page-context", point_colab_at_notebooks, priority=600)
    app.connect("html-page-context", biblioentries_as_listitems)
    app.connect("builder-inited", dedupe_inline_js)
    app.connect("source-read", expand_generated)
    app.add_role("chapter", chapter_role)
    app.add_post_transform(ExerciseNumrefsForLatex)
    app.add_post_transform(AccessibleOutputs)
    app.connect("builder-inited", latex_numbers_like_html, priority=900)
    app.connect("build-finished", renumber_latex)
    app.connect("builder-inited", show_function_bodies)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
