"""Lecture slides: reveal.js decks built from the book's executed chapters and labelled equations.

``python -m pwgf_viz.slides -o _build/slides`` (``make slides``) writes one 16:9 deck per entry of the deck
spec (``slides/decks.yml``): the 90-minute lecture and the four lectures of the module of ``book/teaching.md``.
Nothing is computed again, so the decks never drift from the book:

- **figures and animation players** are the outputs of the chapters' code cells, taken from the execution
  cache of the book build (``_build/.jupyter_cache``, read with the ``jupyter_cache`` API) and matched to the
  chapter's *current* code; a cell is referred to by its ``:name:`` option (``slide-...``);
- **equations and statements** are the chapters' labelled math (``$$ ... $$ (eq-label)``) and ``prf`` blocks
  (``:label: thm-...``), referred to by label, with the numbers the built site gives them.

A reference that does not resolve (a label or figure name no chapter has, a chapter not executed since its code
changed) raises a :class:`ValueError` naming the deck, the slide and the key. The decks open from the file
system with no network: reveal.js (with its notes and math plugins) and MathJax are copied into ``lib/`` next
to them; the speaker notes (``<aside class="notes">``) show on ``S``.
"""

from __future__ import annotations

import argparse
import base64
import html
import re
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .validation import check_strings

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "slides" / "decks.yml"
BOOK = ROOT / "book"
CACHE = ROOT / "_build" / ".jupyter_cache"
SITE = ROOT / "_build" / "html"
#: reveal.js, its notes and math plugins (copied there by scripts/vendor_assets.sh) and MathJax 3.
REVEAL = ROOT / ".vendor" / "slides"
MATHJAX = ROOT / "_static" / "vendor" / "mathjax"
WIDTH, HEIGHT = 1280, 720
#: The most a deck (its HTML and the figures it shows) may weigh, in bytes.
MAX_DECK_BYTES = 15 * 2**20
MAX_BULLETS = 3
#: A figure at least this many times wider than tall goes below the text, not beside it.
WIDE = 1.8
# What the decks read in a chapter's MyST source: prf fences and their options, labelled display math, roles.
_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{prf:(?P<kind>[a-z]+)\}\s*(?P<title>.*)$")
_OPTION = re.compile(r"^:(?P<key>[a-z-]+):\s*(?P<value>.*)$")
_MATH_LABEL = re.compile(r"^\$\$\s*\((?P<label>[A-Za-z0-9_:-]+)\)\s*$")
_ROLE = re.compile(r"\{(?P<role>[a-z:]+)\}`(?P<text>[^`]*)`")
# Font Awesome glyphs of matplotlib's player buttons: the book's theme ships the font, a deck does not.
_BUTTON_GLYPHS = {"fa-minus": "\u2212", "fa-plus": "+", "fa-fast-backward": "|\u25c0\u25c0",
                  "fa-step-backward": "\u25c0|", "fa-play": "\u25b6", "fa-pause": "||",
                  "fa-step-forward": "|\u25b6", "fa-fast-forward": "\u25b6\u25b6|"}
# The frame of a to_jshtml player, as pwgf_viz.animation writes it.
_PLAYER = re.compile(r'<img id="_anim_img[0-9a-f]+"')


@dataclass(frozen=True)
class Slide:
    """One slide of a deck spec.

    Parameters
    ----------
    title : str
        The slide's heading (MyST inline text).
    equations : tuple of str
        Labels of the chapters' equations and ``prf`` blocks, shown in this order.
    figures : tuple of str
        ``:name:`` options of the chapters' code cells whose figures or players the slide shows.
    bullets : tuple of str
        One to :data:`MAX_BULLETS` bullet points.
    notes : str
        The speaker notes.
    """

    title: str
    equations: tuple[str, ...]
    figures: tuple[str, ...]
    bullets: tuple[str, ...]
    notes: str


@dataclass(frozen=True)
class Deck:
    """One deck of the spec.

    Parameters
    ----------
    file : str
        Its file name in the output folder (``lecture-90.html``).
    title, subtitle : str
        The title slide's text.
    notes : str
        The title slide's speaker notes.
    slides : tuple of Slide
        The slides after the title slide.
    """

    file: str
    title: str
    subtitle: str
    notes: str
    slides: tuple[Slide, ...]


@dataclass(frozen=True)
class Statement:
    """A labelled equation or ``prf`` block of a chapter, as MyST source.

    Parameters
    ----------
    label : str
        Its label.
    kind : str
        ``"equation"``, or the ``prf`` directive (``"theorem"``, ``"definition"``, ...).
    chapter : str
        The chapter's file stem.
    title : str
        The block's title ("" for equations).
    body : str
        The TeX of the equation, or the block's MyST body.
    """

    label: str
    kind: str
    chapter: str
    title: str
    body: str


class Output(NamedTuple):
    """A displayed output of a named cell: a figure (``kind`` ``"png"``, ``data`` the PNG file's bytes) or an
    animation player (``kind`` ``"player"``, ``data`` its HTML)."""

    kind: str
    data: bytes | str


def _text(value: object, name: str) -> str:
    return check_strings([value], name, maximum=1)[0]


def parse_spec(spec: Mapping) -> tuple[Deck, ...]:
    """The decks of a deck spec (the mapping read from ``slides/decks.yml``), checked for shape.

    Parameters
    ----------
    spec : mapping
        ``{"decks": [{"file", "title", "subtitle", "notes", "slides": [{"title", "equations", "figures",
        "bullets", "notes"}, ...]}, ...]}``; ``equations`` and ``figures`` may be left out, ``bullets`` holds 1
        to :data:`MAX_BULLETS` strings, ``notes`` is required on every slide.

    Returns
    -------
    tuple of Deck
        The decks, in spec order.
    """
    if not isinstance(spec, Mapping) or not isinstance(spec.get("decks"), list) or not spec["decks"]:
        raise ValueError("the deck spec must be a mapping with a non-empty list 'decks'")
    decks, files = [], set()
    for i, entry in enumerate(spec["decks"]):
        where = f"decks[{i}]"
        if not isinstance(entry, Mapping):
            raise TypeError(f"{where} must be a mapping; got {type(entry).__name__}")
        file = _text(entry.get("file"), f"{where}.file")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*\.html", file) or file in files:
            raise ValueError(f"{where}.file must be a new lower-case name ending in .html; got {file!r}")
        files.add(file)
        slides = entry.get("slides")
        if not isinstance(slides, list) or not slides:
            raise ValueError(f"deck {file}: 'slides' must be a non-empty list")
        decks.append(Deck(file, _text(entry.get("title"), f"deck {file}: title"),
                          _text(entry.get("subtitle", ""), f"deck {file}: subtitle") if entry.get("subtitle")
                          else "", _text(entry.get("notes"), f"deck {file}: notes"),
                          tuple(_parse_slide(s, f"deck {file}, slide {k + 1}") for k, s in enumerate(slides))))
    return tuple(decks)


def _parse_slide(entry: object, where: str) -> Slide:
    if not isinstance(entry, Mapping):
        raise TypeError(f"{where} must be a mapping; got {type(entry).__name__}")
    unknown = sorted(set(entry) - {"title", "equations", "figures", "bullets", "notes"})
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; a slide has title, equations, figures, bullets, notes")
    bullets = check_strings(entry.get("bullets"), f"{where}: bullets", maximum=MAX_BULLETS)
    return Slide(_text(entry.get("title"), f"{where}: title"),
                 tuple(check_strings(entry.get("equations", []), f"{where}: equations", minimum=0)),
                 tuple(check_strings(entry.get("figures", []), f"{where}: figures", minimum=0)),
                 tuple(bullets), _text(entry.get("notes"), f"{where}: notes"))


def load_spec(path: Path = SPEC) -> tuple[Deck, ...]:
    """Read and check the deck spec at ``path`` (YAML).

    Parameters
    ----------
    path : pathlib.Path, default SPEC
        The spec file.

    Returns
    -------
    tuple of Deck
        The decks.
    """
    import yaml

    return parse_spec(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def statements(chapter: Path) -> dict[str, Statement]:
    """The labelled equations (``$$ ... $$ (label)``) and ``prf`` blocks (with ``:label:``) of a chapter.

    Parameters
    ----------
    chapter : pathlib.Path
        The chapter's MyST Markdown file.

    Returns
    -------
    dict of str to Statement
        Label to statement, in the order of the chapter.
    """
    text = Path(chapter).read_text(encoding="utf-8")
    found = {label: Statement(label, "equation", chapter.stem, "", tex)
             for tex, label in display_math(text) if label is not None}
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if fence := _FENCE.match(line.strip()):
            statement = _prf_block(lines, number, fence, chapter.stem)
            if statement is not None:
                found[statement.label] = statement
    return found


def _prf_block(lines: Sequence[str], start: int, fence: re.Match, chapter: str) -> Statement | None:
    """The ``prf`` block opening at ``lines[start]``, if it has a label (its body runs to the closing fence)."""
    options, body, closing = {}, [], fence["fence"]
    for line in lines[start + 1:]:
        if line.strip() == closing:
            break
        option = _OPTION.match(line.strip())
        if option and not body:
            options[option["key"]] = option["value"].strip()
        else:
            body.append(line)
    if "label" not in options:
        return None
    return Statement(options["label"], fence["kind"], chapter, fence["title"].strip(), "\n".join(body).strip())


def named_cells(chapter: Path) -> list[str]:
    """The ``:name:`` options of a chapter's code cells, in order.

    Parameters
    ----------
    chapter : pathlib.Path
        As in :func:`statements`.

    Returns
    -------
    list of str
        The names.
    """
    return [c.metadata["name"] for c in _read_chapter(chapter).cells
            if c.cell_type == "code" and "name" in c.metadata]


def _read_chapter(chapter: Path):
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(Path(chapter).read_text(encoding="utf-8"))


def book_index(book: Path = BOOK) -> tuple[dict[str, Statement], dict[str, str]]:
    """Every labelled statement and every named code cell of the chapters in ``book``.

    Parameters
    ----------
    book : pathlib.Path, default BOOK
        The chapters' folder.

    Returns
    -------
    tuple of dict
        Label to :class:`Statement`, and cell name to the chapter (file stem) holding it.
    """
    found: dict[str, Statement] = {}
    cells: dict[str, str] = {}
    for chapter in sorted(Path(book).glob("*.md")):
        found.update(statements(chapter))
        cells.update(dict.fromkeys(named_cells(chapter), chapter.stem))
    return found, cells


def check_references(decks: Iterable[Deck], labels: Iterable[str], figures: Iterable[str]) -> None:
    """Raise if a slide refers to an equation label or a figure name that the book does not have.

    Parameters
    ----------
    decks : iterable of Deck
        The decks of the spec.
    labels : iterable of str
        The labels of the chapters' equations and ``prf`` blocks.
    figures : iterable of str
        The ``:name:`` of the chapters' code cells.
    """
    labels, figures = set(labels), set(figures)
    for deck in decks:
        for k, slide in enumerate(deck.slides, start=1):
            for kind, keys, known in (("equation label", slide.equations, labels),
                                      ("figure (code-cell :name:)", slide.figures, figures)):
                missing = [key for key in keys if key not in known]
                if missing:
                    raise ValueError(f"deck {deck.file}, slide {k} ({slide.title!r}): no {kind} {missing[0]!r} in "
                                     f"the chapters (book/*.md)")


def cell_outputs(chapter: Path, names: Iterable[str], cache: Path = CACHE) -> dict[str, list[Output]]:
    """The figures and players that the named code cells of ``chapter`` displayed when the book was built.

    The chapter is read as myst-nb reads it and matched to the execution cache by the hash of its code cells (the
    key myst-nb uses), so outputs always belong to the chapter's current code.

    Parameters
    ----------
    chapter : pathlib.Path
        The chapter's MyST Markdown file.
    names : iterable of str
        ``:name:`` options of its code cells.
    cache : pathlib.Path, default CACHE
        The jupyter-cache folder of the book build.

    Returns
    -------
    dict of str to list of Output
        Each name's outputs, in display order (PNG figures; players in place of their still).
    """
    from jupyter_cache import get_cache

    wanted = set(names)
    if not (Path(cache) / "global.db").is_file():
        raise ValueError(f"no execution cache at {cache}: build the book first (`make book`)")
    nb = _read_chapter(chapter)
    store = get_cache(str(cache))
    try:
        _, merged = store.merge_match_into_notebook(nb)
    except KeyError:
        raise ValueError(f"chapter {chapter.stem}: no executed notebook in {cache} matches its current code; "
                         "build the book first (`make book`)") from None
    found = {c.metadata["name"]: [o for o in map(_output, c.get("outputs", [])) if o is not None]
             for c in merged.cells if c.cell_type == "code" and c.metadata.get("name") in wanted}
    return found


def _output(output: Mapping) -> Output | None:
    data = output.get("data", {})
    page = data.get("text/html", "")
    page = "".join(page) if isinstance(page, list) else page
    if _PLAYER.search(page):
        return Output("player", page)
    if "image/png" in data:
        return Output("png", base64.b64decode(data["image/png"]))
    return None


def site_numbers(site: Path, chapters: Iterable[str]) -> dict[str, str]:
    """The numbers the built site gives to labelled equations ("(5.3)") and ``prf`` blocks ("Theorem 5.1").

    Parameters
    ----------
    site : pathlib.Path
        The built HTML site (``_build/html``); pages that are missing give no numbers.
    chapters : iterable of str
        Chapter file stems.

    Returns
    -------
    dict of str to str
        Label to number.
    """
    numbers = {}
    for chapter in chapters:
        page = Path(site) / "book" / f"{chapter}.html"
        if not page.is_file():
            continue
        text = page.read_text(encoding="utf-8")
        for m in re.finditer(r'id="equation-(?P<label>[^"]+)"[^>]*>\s*<span class="eqno">(?P<n>\([^)<]+\))', text):
            numbers[m["label"]] = m["n"]
        for m in re.finditer(r'<div class="proof [^"]*" id="(?P<label>[^"]+)">\s*<p class="admonition-title">'
                             r'<span class="caption-number">(?P<n>[^<]+?)\s*</span>', text):
            numbers[m["label"]] = m["n"]
    return numbers


def inline_html(text: str, numbers: Mapping[str, str] | None = None, typeset: bool = True) -> str:
    """MyST inline text as HTML for a slide: math as ``\\(...\\)``, roles as their text, Markdown emphasis.

    Parameters
    ----------
    text : str
        A bullet point, note or statement body in MyST Markdown.
    numbers : mapping of str to str, optional
        Labels to their numbers on the site, for ``{eq}`` and ``{prf:ref}`` references (else the label shows).
    typeset : bool, default True
        Math for MathJax; ``False`` leaves its TeX as plain text (speaker notes: the speaker view does not typeset).

    Returns
    -------
    str
        HTML.
    """
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    def role(m: re.Match) -> str:
        words = m["text"]
        if m["role"] in ("eq", "prf:ref"):
            return (numbers or {}).get(words, f"({words})" if m["role"] == "eq" else words)
        if m["role"] in ("numref", "ref", "cite", "cite:t", "cite:p"):
            return words
        return re.sub(r"\s*<[^>]*>$", "", words)  # {term}`text <target>`, {doc}`text <chapter>`

    md = MarkdownIt("commonmark").use(dollarmath_plugin, allow_labels=True, double_inline=True)
    inline = "\\({}\\)" if typeset else "{}"
    md.add_render_rule("math_inline", lambda self, tokens, i, options, env:
                       inline.format(html.escape(tokens[i].content, quote=False)))
    md.add_render_rule("math_block", lambda self, tokens, i, options, env:
                       f"<div class=\"math-block\">\\[{html.escape(tokens[i].content, quote=False)}\\]</div>")
    md.add_render_rule("math_block_label", lambda self, tokens, i, options, env:
                       f"<div class=\"math-block\">\\[{html.escape(tokens[i].content, quote=False)}\\]</div>")
    rendered = md.render(_ROLE.sub(role, text)).strip()
    single = re.fullmatch(r"<p>(.*)</p>", rendered, flags=re.DOTALL)
    return single[1] if single and "<p>" not in single[1] else rendered


def display_math(body: str) -> list[tuple[str, str | None]]:
    """The display equations (``$$ ... $$``, labelled or not) of a MyST body, in order.

    Parameters
    ----------
    body : str
        MyST Markdown.

    Returns
    -------
    list of tuple
        ``(tex, label or None)`` for each equation.
    """
    found, math = [], None
    for line in body.splitlines():
        stripped = line.strip()
        if math is None:
            math = [] if stripped == "$$" else None
        elif stripped.startswith("$$"):
            labelled = _MATH_LABEL.match(stripped)
            found.append(("\n".join(math).strip(), labelled["label"] if labelled else None))
            math = None
        else:
            math.append(line)
    return found


def _equation_html(tex: str, number: str, chapter: str) -> str:
    return (f'<div class="equation" data-chapter="{html.escape(chapter)}"><span class="tex">'
            f'\\[{html.escape(tex, quote=False)}\\]</span><span class="eqno">{html.escape(number)}</span></div>')


def statement_html(statement: Statement, numbers: Mapping[str, str]) -> str:
    """A labelled equation, or a ``prf`` block's heading and key equations, as slide HTML.

    A ``prf`` block shows its number and title, then its display equations (numbered as in the book when
    labelled), or its first paragraph when it has none; the proof and the rest stay in the book.

    Parameters
    ----------
    statement : Statement
        The equation or block.
    numbers : mapping of str to str
        Labels to their numbers on the site ("(5.3)", "Theorem 5.1"); a label without one shows itself.

    Returns
    -------
    str
        HTML.
    """
    if statement.kind == "equation":
        return _equation_html(statement.body, numbers.get(statement.label, statement.label), statement.chapter)
    head = html.escape(numbers.get(statement.label, statement.kind.capitalize()))
    title = f" ({inline_html(statement.title, numbers)})" if statement.title else ""
    equations = display_math(statement.body)
    if equations:
        shown = "".join(_equation_html(tex, numbers.get(label, "") if label else "", statement.chapter)
                        for tex, label in equations)
    else:
        shown = f"<p>{inline_html(statement.body.split(chr(10) * 2)[0], numbers)}</p>"
    return (f'<div class="statement {statement.kind}"><p class="statement-title"><b>{head}</b>{title}</p>'
            f"{shown}</div>")


def player_html(page: str) -> str:
    """A chapter's animation player for a slide: its Font Awesome button icons replaced by Unicode glyphs.

    Parameters
    ----------
    page : str
        The player's HTML (``to_jshtml``).

    Returns
    -------
    str
        The HTML.
    """
    def glyph(m: re.Match) -> str:
        classes = m["classes"].split()
        name = next((c for c in classes if c in _BUTTON_GLYPHS), None)
        mirrored = "fa-flip-horizontal" in classes
        text = "\u25c0" if mirrored and name == "fa-play" else _BUTTON_GLYPHS.get(name, "")
        return f'<i class="{m["classes"]} glyph" aria-hidden="true">{text}</i>'

    return re.sub(r'<i class="(?P<classes>fa [^"]*)"></i>', glyph, page)


def _figure_html(outputs: Sequence[Output], name: str, folder: Path, alt: str) -> str:
    """The outputs of one named cell as HTML: players inline, PNGs written to ``folder``; the wrapper's class says
    whether it must go below the text (a player, or a figure at least :data:`WIDE` times wider than tall)."""
    import struct

    parts, wide = [], False
    for k, output in enumerate(outputs):
        if output.kind == "player":
            parts.append(f'<div class="player">{player_html(output.data)}</div>')
            wide = True
            continue
        width, height = struct.unpack(">II", output.data[16:24])  # the PNG's IHDR chunk
        wide = wide or width >= WIDE * height
        path = folder / f"{name}-{k + 1}.png"
        path.write_bytes(output.data)
        parts.append(f'<img src="figures/{path.name}" alt="{html.escape(alt)}">')
    return f'<div class="figure{" wide" if wide else ""}">{"".join(parts)}</div>'


def slide_html(slide: Slide, statements_by_label: Mapping[str, Statement], numbers: Mapping[str, str],
               figures: Mapping[str, str]) -> str:
    """One ``<section>`` of a deck.

    Parameters
    ----------
    slide : Slide
        The slide's spec.
    statements_by_label : mapping of str to Statement
        The chapters' labelled statements.
    numbers : mapping of str to str
        Their numbers on the site.
    figures : mapping of str to str
        Figure name to its HTML (``<div class="figure">`` holding images or a player; ``figure wide`` for those
        that go below the text).

    Returns
    -------
    str
        The section's HTML.
    """
    text = "".join(statement_html(statements_by_label[label], numbers) for label in slide.equations)
    text += "<ul>" + "".join(f"<li>{inline_html(b)}</li>" for b in slide.bullets) + "</ul>"
    shown = "".join(figures[name] for name in slide.figures)
    layout = "stacked" if 'class="figure wide"' in shown or not shown else "columns"
    body = (f'<div class="text">{text}</div><div class="figures">{shown}</div>' if shown
            else f'<div class="text">{text}</div>')
    return (f'<section data-slide-title="{html.escape(slide.title)}">\n<h2>{inline_html(slide.title)}</h2>\n'
            f'<div class="body {layout}">{body}</div>\n'
            f'<aside class="notes">{inline_html(slide.notes, typeset=False)}</aside>\n</section>')


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="lib/reveal/reset.css">
<link rel="stylesheet" href="lib/reveal/reveal.css">
<link rel="stylesheet" href="lib/reveal/theme/white.css">
<link rel="stylesheet" href="lib/deck.css">
</head>
<body>
<!-- Generated by `python -m pwgf_viz.slides` from {spec} and the book's executed chapters: do not edit. -->
<div class="reveal"><div class="slides">
<section class="title-slide" data-slide-title="{title}">
<h1>{title}</h1>
<p class="subtitle">{subtitle}</p>
<p class="credit">From <em>Straight-Through as a Projected Wasserstein Gradient Flow</em>, the pwgf-book authors
(CC BY 4.0). Figures and equations are the book's own.</p>
<aside class="notes">{notes}</aside>
</section>
{slides}
</div></div>
<script src="lib/reveal/reveal.js"></script>
<script src="lib/plugin/notes/notes.js"></script>
<script src="lib/plugin/math/math.js"></script>
<script>
Reveal.initialize({{
  width: {width}, height: {height}, margin: 0.04, hash: true, transition: "none",
  slideNumber: "c/t", center: false,
  mathjax3: {{
    mathjax: "lib/mathjax/tex-chtml.js",
    tex: {{ inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]], tags: "none" }},
    options: {{ skipHtmlTags: ["script", "noscript", "style", "textarea", "pre", "code", "aside"] }}
  }},
  plugins: [RevealMath.MathJax3, RevealNotes]
}});
</script>
</body>
</html>
"""

_CSS = """/* Generated by `python -m pwgf_viz.slides`: the decks' layout on reveal.js's white theme. */
.reveal { font-size: 30px; }
.reveal h1 { font-size: 2.0em; margin-top: 3em; }
.reveal h1, .reveal h2 { text-transform: none; }
.reveal h2 { font-size: 1.45em; text-align: left; margin-bottom: 0.4em; }
.reveal .slides section { text-align: left; height: 100%; }
.reveal .title-slide { text-align: center; }
.reveal .subtitle { font-size: 1.1em; color: #444; text-align: center; }
.reveal .credit { font-size: 0.6em; color: #555; text-align: center; margin-top: 2em; }
.reveal .body { display: flex; gap: 1.2em; }
.reveal .body.columns > .text { flex: 0 1 42%; min-width: 0; }
.reveal .body.columns > .figures { flex: 1 1 58%; }
.reveal .body.stacked { flex-direction: column; gap: 0.3em; }
.reveal .body ul { margin: 0.2em 0 0 1em; }
.reveal .body li { margin-bottom: 0.35em; font-size: 0.85em; }
.reveal .figures { display: flex; flex-direction: column; align-items: center; gap: 0.3em; }
.reveal .figure { width: 100%; text-align: center; }
.reveal .figure img { width: 100%; height: auto; max-height: 540px; object-fit: contain; margin: 0; }
.reveal .body.stacked .figure img { max-height: 390px; }
.reveal .player { font-size: 16px; text-align: center; }
.reveal .player .animation img { max-height: 380px; width: auto; max-width: 100%; }
.reveal .player i.glyph { font-style: normal; }
.reveal .player button { font-size: 16px; min-width: 2.2em; }
.reveal .equation { display: flex; align-items: center; font-size: 0.85em; margin: 0.2em 0; }
.reveal .equation .tex { flex: 1 1 auto; min-width: 0; }
.reveal .equation .eqno { flex: none; margin-left: 0.6em; color: #555; font-size: 0.8em; }
.reveal .statement { border-left: 4px solid #0072b2; background: #f2f7fb; padding: 0.3em 0.6em;
  font-size: 0.8em; margin: 0.2em 0 0.4em; }
.reveal .statement p { margin: 0.2em 0; }
.reveal .statement-title { color: #0b4f7c; }
.reveal .slide-number { font-size: 14px; }
"""


def _copy_libraries(out: Path, reveal: Path, mathjax: Path) -> None:
    for folder, what in ((reveal, "reveal.js (scripts/vendor_assets.sh, `make vendor`)"),
                         (mathjax, "MathJax (scripts/vendor_assets.sh, `make vendor`)")):
        if not Path(folder).is_dir():
            raise ValueError(f"{folder} is missing: vendor {what} first")
    lib = out / "lib"
    if lib.exists():
        shutil.rmtree(lib)
    shutil.copytree(reveal, lib)
    shutil.copytree(mathjax, lib / "mathjax")
    (lib / "deck.css").write_text(_CSS, encoding="utf-8")


def deck_bytes(deck_file: Path) -> int:
    """The weight of a written deck: its HTML and the figure files it shows (the shared ``lib/`` left out).

    Parameters
    ----------
    deck_file : pathlib.Path
        The deck's HTML file.

    Returns
    -------
    int
        Bytes.
    """
    text = Path(deck_file).read_text(encoding="utf-8")
    shown = set(re.findall(r'src="(figures/[^"]+)"', text))
    return len(text.encode()) + sum((Path(deck_file).parent / s).stat().st_size for s in shown)


def _collect_figures(decks: Sequence[Deck], cells: Mapping[str, str], book: Path, cache: Path,
                     folder: Path) -> dict[str, str]:
    """The HTML of every figure the decks show (name to HTML), read from the cache chapter by chapter; the PNGs
    are written into ``folder`` (emptied first)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    wanted = sorted({name for deck in decks for slide in deck.slides for name in slide.figures})
    outputs: dict[str, list[Output]] = {}
    for chapter in sorted({cells[name] for name in wanted}):
        outputs.update(cell_outputs(book / f"{chapter}.md", [n for n in wanted if cells[n] == chapter], cache))
    figures = {}
    for deck in decks:
        for k, slide in enumerate(deck.slides, start=1):
            for name in slide.figures:
                if not outputs.get(name):
                    raise ValueError(f"deck {deck.file}, slide {k} ({slide.title!r}): the cell {name!r} of chapter "
                                     f"{cells[name]} displayed no figure or animation")
                if name not in figures:
                    figures[name] = _figure_html(outputs[name], name, folder, f"Figure: {slide.title}")
    return figures


def build(out: Path, spec: Path = SPEC, book: Path = BOOK, cache: Path = CACHE, site: Path = SITE,
          reveal: Path = REVEAL, mathjax: Path = MATHJAX) -> list[Path]:
    """Write every deck of ``spec`` into ``out``, with the figures and libraries it needs.

    Parameters
    ----------
    out : pathlib.Path
        The output folder (``_build/slides``); created if missing.
    spec : pathlib.Path, default SPEC
        The deck spec.
    book : pathlib.Path, default BOOK
        The chapters.
    cache : pathlib.Path, default CACHE
        The execution cache of the book build.
    site : pathlib.Path, default SITE
        The built site, for equation and theorem numbers.
    reveal : pathlib.Path, default REVEAL
        The vendored reveal.js files.
    mathjax : pathlib.Path, default MATHJAX
        The vendored MathJax 3.

    Returns
    -------
    list of pathlib.Path
        The deck files, in spec order.
    """
    decks = load_spec(spec)
    found, cells = book_index(book)
    check_references(decks, found, cells)
    out = Path(out)
    figures = _collect_figures(decks, cells, Path(book), Path(cache), out / "figures")
    numbers = site_numbers(site, {s.chapter for s in found.values()})
    _copy_libraries(out, reveal, mathjax)
    written = []
    for deck in decks:
        page = _PAGE.format(title=html.escape(deck.title), subtitle=inline_html(deck.subtitle),
                            notes=inline_html(deck.notes, typeset=False), spec=html.escape(Path(spec).name),
                            width=WIDTH, height=HEIGHT,
                            slides="\n".join(slide_html(s, found, numbers, figures) for s in deck.slides))
        path = out / deck.file
        path.write_text(page, encoding="utf-8")
        size = deck_bytes(path)
        if size > MAX_DECK_BYTES:
            raise ValueError(f"deck {deck.file} weighs {size / 2**20:.1f} MB, over the "
                             f"{MAX_DECK_BYTES / 2**20:.0f} MB budget: show fewer animations")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """The command line ``python -m pwgf_viz.slides [-o FOLDER] [--spec FILE]``.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments; ``sys.argv[1:]`` when ``None``.

    Returns
    -------
    int
        The exit status: 0, or 1 when a reference does not resolve (the message names deck, slide and key).
    """
    parser = argparse.ArgumentParser(
        prog="python -m pwgf_viz.slides",
        description="Write the lecture decks of the deck spec (reveal.js, 16:9, speaker notes) from the book's "
                    "executed chapters (run `make book` first).")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "_build" / "slides", help="output folder")
    parser.add_argument("--spec", type=Path, default=SPEC, help="the deck spec (default: slides/decks.yml)")
    parser.add_argument("--cache", type=Path, default=CACHE, help="the book build's execution cache")
    args = parser.parse_args(argv)
    try:
        written = build(args.output, spec=args.spec, cache=args.cache)
    except ValueError as error:
        print(f"python -m pwgf_viz.slides: {error}", file=sys.stderr)
        return 1
    for path in written:
        count = path.read_text(encoding="utf-8").count("<section")
        print(f"{path} ({count} slides, {deck_bytes(path) / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
