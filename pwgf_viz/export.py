"""Slide exports: every animation and figure of a chapter as files, from the chapter's own code.

``python -m pwgf_viz.export discrete-gradients -o slides`` (or ``all``) runs the chapter's notebook (the MyST
Markdown file in ``book/``, read with jupytext) in a fresh kernel, exactly as the book build does, with one
extra cell at the start that switches this module on in the kernel. While it is on,

- :func:`pwgf_viz.animation.player` also writes the animation as GIF (and MP4 where ffmpeg exists) and its
  still (first, middle and last frames) as PNG;
- every matplotlib figure a cell leaves open (the figures the page shows) is saved as PNG;
- every explorer (:class:`pwgf_viz.explorer.Explorer`) saves the still of its static fallback as PNG.

So the slides never drift from the book, and a new chapter is covered with nothing to register. Files are
named ``<chapter>_<kind><number>_<name>.<format>``: ``kind`` is ``fig``, ``anim`` or ``explorer``, the number
counts that kind through the chapter, and ``name`` is the ``name`` given to ``player`` or, by default, the
cell's label (code-cell option ``:name:``) or the section heading above the cell.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from IPython.display import HTML
from matplotlib.animation import FuncAnimation

FORMATS = ("gif", "png", "mp4")
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class _Session:
    """What the kernel of an exported chapter knows: where to write, and the names of the next files."""

    chapter: str
    folder: Path
    formats: tuple[str, ...]
    dpi: int
    section: str = "start"
    label: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)

    def stem(self, kind: str, name: str | None) -> Path:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        slug = slugify(name or self.label or self.section)
        return self.folder / f"{self.chapter}_{kind}{self.counts[kind]:02d}_{slug}"


_SESSION: _Session | None = None


def slugify(text: str) -> str:
    """Lower-case ASCII words of ``text`` (accents dropped, math removed) joined by hyphens, at most 48
    characters: a file-name safe slug.

    Parameters
    ----------
    text : str
        A heading, label or name.

    Returns
    -------
    str
        The slug; ``"untitled"`` if no word is left.
    """
    ascii_text = unicodedata.normalize("NFKD", re.sub(r"\$[^$]*\$", "", text)).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:48].strip("-") or "untitled"


def _start(chapter: str, folder: str, formats: Sequence[str], dpi: int) -> None:
    """Switch the hooks on in this kernel (the first cell of an exported notebook calls it)."""
    global _SESSION
    import matplotlib.pyplot as plt  # noqa: F401  (activates the inline backend, which shows figures post-execute)
    from IPython import get_ipython

    _SESSION = _Session(chapter, Path(folder), tuple(formats), dpi)
    _SESSION.folder.mkdir(parents=True, exist_ok=True)
    shell = get_ipython()
    if shell is not None:
        # Before the inline backend's flush_figures, which shows and closes the cell's figures.
        shell.events.callbacks["post_execute"].insert(0, _save_open_figures)


def _at(section: str, label: str | None = None) -> None:
    """Name the next cell's outputs (called before every code cell of an exported notebook)."""
    if _SESSION is not None:
        _SESSION.section, _SESSION.label = section, label


def _save_open_figures() -> None:
    import matplotlib.pyplot as plt

    if _SESSION is None or "png" not in _SESSION.formats:
        return
    for number in plt.get_fignums():
        path = _SESSION.stem("fig", None).with_suffix(".png")
        plt.figure(number).savefig(path, dpi=_SESSION.dpi, bbox_inches="tight")
        _SESSION.written.append(path)


def record_animation(anim: FuncAnimation, shown: HTML, fps: int, name: str | None = None) -> None:
    """Write ``anim`` as GIF (and MP4 where ffmpeg exists) and the still of ``shown`` as PNG; a no-op unless
    the chapter runs under ``python -m pwgf_viz.export``.

    Parameters
    ----------
    anim : matplotlib.animation.FuncAnimation
        The animation.
    shown : IPython.display.HTML
        Its player (an :class:`~pwgf_viz.animation.AnimationPlayer`, whose still is written).
    fps : int
        Frames per second of the GIF and MP4.
    name : str, optional
        The files' name; by default the cell's label or section.
    """
    if _SESSION is None:
        return
    from matplotlib import animation

    stem = _SESSION.stem("anim", name)
    if "gif" in _SESSION.formats:
        anim.save(stem.with_suffix(".gif"), writer=animation.PillowWriter(fps=fps), dpi=_SESSION.dpi)
        _SESSION.written.append(stem.with_suffix(".gif"))
    if "mp4" in _SESSION.formats and animation.writers.is_available("ffmpeg"):
        anim.save(stem.with_suffix(".mp4"), writer=animation.FFMpegWriter(fps=fps), dpi=_SESSION.dpi)
        _SESSION.written.append(stem.with_suffix(".mp4"))
    still = shown._repr_png_() if hasattr(shown, "_repr_png_") else None
    if "png" in _SESSION.formats and still is not None:
        stem.with_suffix(".png").write_bytes(still)
        _SESSION.written.append(stem.with_suffix(".png"))


def record_still(png: bytes) -> None:
    """Write an explorer's fallback still as PNG; a no-op unless the chapter runs under the export.

    Parameters
    ----------
    png : bytes
        The PNG file.
    """
    if _SESSION is None or "png" not in _SESSION.formats:
        return
    path = _SESSION.stem("explorer", None).with_suffix(".png")
    path.write_bytes(png)
    _SESSION.written.append(path)


def toc_chapters(root: Path = ROOT) -> list[Path]:
    """The chapters of ``_toc.yml`` (in order) that are notebooks, i.e. have code to run.

    Parameters
    ----------
    root : pathlib.Path, default ROOT
        The book's root, holding ``_toc.yml``.

    Returns
    -------
    list of pathlib.Path
        The chapters' ``.md`` files.
    """
    import jupytext
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml(root / "_toc.yml")
    names = [site_map.root.docname, *(n for n in site_map if n != site_map.root.docname)]
    paths = [root / f"{name}.md" for name in names]
    return [p for p in paths if p.is_file() and "kernelspec" in jupytext.read(p).metadata]


def build_notebook(path: Path, folder: Path, formats: Sequence[str], dpi: int) -> dict:
    """The chapter at ``path`` (MyST Markdown) as a notebook that, run, also writes its figures and animations
    into ``folder``: the chapter's cells, a first cell switching the export on and, before each code cell, one
    naming its outputs (the cell's label, else the section heading above it). Returns an ``nbformat``
    notebook node (a dict); jupytext, nbformat and nbclient, the book's toolchain, are imported only by the
    command, so that :func:`pwgf_viz.animation.player` works without them.

    Parameters
    ----------
    path : pathlib.Path
        The chapter's ``.md`` file.
    folder : pathlib.Path
        Where the run writes its files.
    formats : sequence of str
        A subset of :data:`FORMATS`.
    dpi : int
        Resolution of the files.

    Returns
    -------
    dict
        The notebook.
    """
    import jupytext
    import nbformat

    nb = jupytext.read(path)
    chapter = path.stem
    cells = [nbformat.v4.new_code_cell(
        f"import pwgf_viz.export\npwgf_viz.export._start({chapter!r}, {str(folder)!r}, {tuple(formats)!r}, {dpi})")]
    section = "start"
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            headings = re.findall(r"^#{1,3} +(.+)$", cell.source, flags=re.MULTILINE)
            section = headings[-1] if headings else section
        elif cell.cell_type == "code":
            label = cell.metadata.get("name") or cell.metadata.get("label")
            cells.append(nbformat.v4.new_code_cell(f"pwgf_viz.export._at({section!r}, {label!r})"))
        cells.append(cell)
    nb.cells = cells
    return nb


def run_chapter(path: Path, folder: Path, formats: Sequence[str] = FORMATS, dpi: int = 120,
                timeout: int = 600) -> list[Path]:
    """Run the chapter at ``path`` with the export on (a progress bar counts its cells); returns the files
    written into ``folder``.

    Parameters
    ----------
    path : pathlib.Path
        The chapter's ``.md`` file.
    folder : pathlib.Path
        Where to write the files (created by the first cell if missing).
    formats : sequence of str, default FORMATS
        A subset of :data:`FORMATS`.
    dpi : int, default 120
        Resolution of the files.
    timeout : int, default 600
        Seconds a cell may run.

    Returns
    -------
    list of pathlib.Path
        The files written, sorted.
    """
    from nbclient import NotebookClient
    from tqdm import tqdm

    folder = Path(folder).resolve()
    before = set(folder.glob(f"{path.stem}_*")) if folder.is_dir() else set()
    nb = build_notebook(path, folder, formats, dpi)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        for index, cell in enumerate(tqdm(nb.cells, desc=path.stem, unit="cell")):
            client.execute_cell(cell, index)
    return sorted(set(folder.glob(f"{path.stem}_*")) - before)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line ``python -m pwgf_viz.export CHAPTER ... [-o FOLDER] [--formats gif,png,mp4] [--dpi N]``.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments; ``sys.argv[1:]`` when ``None``. ``--dpi`` must be in [20, 600].

    Returns
    -------
    int
        The exit status, 0 (argument errors exit through ``argparse`` with status 2).
    """
    parser = argparse.ArgumentParser(
        prog="python -m pwgf_viz.export",
        description="Write every animation (GIF, PNG still, MP4 where ffmpeg exists) and figure (PNG) of "
                    "chapters into a folder, by running the chapters' own code.")
    parser.add_argument("chapters", nargs="+",
                        help="chapter names (e.g. discrete-gradients, or book/discrete-gradients.md), or 'all'")
    parser.add_argument("-o", "--output", default="slides", help="output folder (default: slides)")
    parser.add_argument("--formats", default="gif,png,mp4",
                        help="comma-separated subset of gif,png,mp4 (default: all; mp4 needs ffmpeg)")
    parser.add_argument("--dpi", type=int, default=120, help="resolution of the files (default: 120)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the book's root, holding _toc.yml")
    args = parser.parse_args(argv)
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        parser.error(f"--formats must be a comma-separated subset of {','.join(FORMATS)}; got {args.formats!r}")
    if not 20 <= args.dpi <= 600:
        parser.error(f"--dpi must be in [20, 600]; got {args.dpi}")
    available = {p.stem: p for p in toc_chapters(args.root)}
    if args.chapters == ["all"]:
        paths = list(available.values())
    else:
        names = [Path(name).stem for name in args.chapters]
        missing = [name for name in names if name not in available]
        if missing:
            parser.error(f"unknown chapter(s) {missing}; the chapters are: all, {', '.join(available)}")
        paths = [available[name] for name in names]
    if "mp4" in formats:
        from matplotlib import animation

        if not animation.writers.is_available("ffmpeg"):
            print("ffmpeg not found: no MP4 files (GIF and PNG only)")
    written = []
    for path in paths:
        written += run_chapter(path, Path(args.output), formats, args.dpi)
    for path in written:
        print(path)
    print(f"{len(written)} files written into {Path(args.output).resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
