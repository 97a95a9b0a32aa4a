"""Functions shown on the page by ``literalinclude``: the idea, not the reference (item 12 of the extension).

The rule is tested on small sources; the chapters' own includes are tested on the built pages.
"""

from __future__ import annotations

import re
import sys

import pytest
from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
from pwgf_book_sphinx import CHECKS_ELIDED, SHOWN_WIDTH, function_body  # noqa: E402

BOOK = REPO_ROOT / "book"

SOURCE = '''\
    def scale(x, factor, weights=None):
        """Docstring."""
        x = check_array(x, "x")
        if factor <= 0:
            raise ValueError("factor must be positive")
        w = normalise_weights(weights, len(x), "weights")
        y = check_array(x, "y")
        for k in range(3):
            if k > 5:
                raise RuntimeError("never")
            y = y * factor
        return y * w
'''


def test_docstring_checks_and_guards_are_left_out():
    shown = "".join(function_body(SOURCE.splitlines(keepends=True)))
    assert shown.splitlines() == [
        "def scale(x, factor, weights=None):",
        f"    {CHECKS_ELIDED}",
        '    w = normalise_weights(weights, len(x), "weights")',
        '    y = check_array(x, "y")',  # defines a new name: kept
        "    for k in range(3):",
        "        y = y * factor",
        "    return y * w",
    ]


def test_a_class_or_broken_source_is_shown_unchanged():
    for source in ["class A:\n    pass\n", "def f(:\n"]:
        assert function_body(source.splitlines(keepends=True)) == source.splitlines(keepends=True)


def test_long_lines_are_reflowed():
    source = ("def f(alpha, beta):\n    # " + "word " * 30 + "\n    return alpha + beta + alpha * beta + alpha ** 2"
              " + beta ** 2 + alpha * 3 + beta * 7 + alpha * beta * 11\n")
    shown = function_body(source.splitlines(keepends=True))
    assert max(len(line.rstrip("\n")) for line in shown) <= SHOWN_WIDTH
    assert sum(line.count("word") for line in shown) == 30


def _includes() -> list[tuple[str, str]]:
    found = []
    for chapter in sorted(BOOK.glob("*.md")):
        for options in re.findall(r"```\{literalinclude\} \S+\n((?::[a-z-]+:.*\n)*)", chapter.read_text()):
            pyobject = re.search(r":pyobject: (\S+)", options)
            if pyobject:
                found.append((chapter.stem, pyobject.group(1).split(".")[-1]))
    return found


@pytest.mark.parametrize("docname, name", _includes())
def test_included_functions_fit_the_column(site_dir, docname, name):
    html = (site_dir / "book" / f"{docname}.html").read_text(encoding="utf-8")
    blocks = re.findall(r'<div class="highlight-[\w-]+ notranslate"><div class="highlight"><pre>(.*?)</pre>', html,
                        re.S)
    heading = rf'def</span>(?:<span class="w"> </span>| )<span class="nf">{name}<'
    block = next((b for b in blocks if re.search(heading, b)), None)
    assert block is not None, f"{docname}: no included function {name}"
    text = re.sub(r"<[^>]+>", "", block).replace("&quot;", '"').replace("&#39;", "'").replace("&lt;", "<") \
        .replace("&gt;", ">").replace("&amp;", "&")
    assert '"""' not in text, f"{docname}: {name} shown with its docstring"
    assert max(len(line) for line in text.splitlines()) <= SHOWN_WIDTH, f"{docname}: {name} wider than the column"


# Tags under which a reader does not see a cell's code unless they ask for it.
HIDDEN = ("remove-input", "remove-cell", "hide-input", "hide-cell")
#: The most ``assert`` lines the book may show in open code cells: checks run in hidden cells and print one line.
MOST_VISIBLE_ASSERTS = 5


def _open_code_cells() -> list[tuple[str, list[str]]]:
    """(chapter, lines) of every code cell whose code the page shows open."""
    cells = []
    for chapter in sorted(BOOK.glob("*.md")):
        for cell in re.findall(r"^```\{code-cell\}[^\n]*\n(.*?)^```", chapter.read_text(encoding="utf-8"),
                               flags=re.S | re.M):
            options = re.findall(r"^:tags:\s*\[(.*?)\]", cell, flags=re.M)
            if not any(tag.strip() in HIDDEN for tags in options for tag in tags.split(",")):
                code = [line for line in cell.splitlines() if not re.match(r"^:\w+:", line)]
                cells.append((chapter.stem, code))
    return cells


def test_few_asserts_are_visible():
    visible = [(chapter, line.strip()) for chapter, code in _open_code_cells() for line in code
               if re.match(r"\s*assert\b", line)]
    assert len(visible) <= MOST_VISIBLE_ASSERTS, f"{len(visible)} asserts in open code cells: {visible}"


def test_open_code_cells_fit_the_column():
    long = [(chapter, line) for chapter, code in _open_code_cells() for line in code if len(line) > SHOWN_WIDTH]
    assert not long, f"{len(long)} lines of open code cells wider than {SHOWN_WIDTH} columns: {long[:10]}"
