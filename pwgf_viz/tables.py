"""The one Markdown table renderer of the book's tables (summaries over seeds, bias and spread, claims).

The chapters show these tables with ``IPython.display.Markdown``; every table of :mod:`pwgf_viz` goes through
:func:`markdown`, so they share one layout: a header row, an alignment row, one line per row, cells as given.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The alignment row's cell for each letter of ``align``: left or right.
ALIGNMENTS = {"l": "---", "r": "---:"}
#: A no-break space: it keeps ``mean ± sd`` or ``bias / std`` on one line in a narrow column.
NBSP = "\u00a0"


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> str:
    """A Markdown table with the given header and rows of cells.

    Parameters
    ----------
    header : sequence of str
        The column titles, at least one.
    rows : sequence of sequences of str
        The cells of each row, as many as the header has columns (a row may be empty of cells only if the header
        is; use ``""`` for a blank cell).
    align : str, optional
        One letter per column, ``"l"`` (left) or ``"r"`` (right); default: the first column left, the others right.

    Returns
    -------
    str
        The table, one line per row, without a trailing newline.
    """
    if isinstance(header, str) or not isinstance(header, Sequence) or not header:
        raise ValueError("header must be a non-empty list of column titles")
    width = len(header)
    if align is None:
        align = "l" + "r" * (width - 1)
    if not isinstance(align, str) or len(align) != width or set(align) - set(ALIGNMENTS):
        raise ValueError(f"align must hold one of 'l' or 'r' per column ({width} columns); got {align!r}")
    if isinstance(rows, str) or not isinstance(rows, Sequence):
        raise TypeError(f"rows must be a list of rows (lists of cells); got {type(rows).__name__}")
    lines = [_line(header), "|" + "|".join(ALIGNMENTS[a] for a in align) + "|"]
    for i, cells in enumerate(rows):
        if isinstance(cells, str) or not isinstance(cells, Sequence) or len(cells) != width:
            raise ValueError(f"rows[{i}] must hold {width} cells, one per column of the header; got {cells!r}")
        lines.append(_line(cells))
    return "\n".join(lines)


def _line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"
