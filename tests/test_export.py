"""Stills for print (players and explorer fallbacks) and the slide export, ``python -m pwgf_viz.export``."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import REPO_ROOT
from IPython.core.formatters import format_display_data
from matplotlib.animation import FuncAnimation
from PIL import Image

from pwgf_viz import animation, descent, explorer, explorer_estimator, export, objectives

TOY = objectives.quadratic(0.45)


def square_animation(frames: int) -> FuncAnimation:
    """A small square animation whose frame k is filled with the grey level 20 k (so frames can be told apart)."""
    fig, ax = plt.subplots(figsize=(1.0, 1.0), dpi=40)
    ax.set_axis_off()
    fig.subplots_adjust(0, 0, 1, 1)
    image = ax.imshow(np.zeros((4, 4)), cmap="gray", vmin=0, vmax=255)

    def draw(k: int) -> list:
        image.set_data(np.full((4, 4), 20.0 * k))
        return [image]

    anim = FuncAnimation(fig, draw, frames=frames, blit=False)
    plt.close(fig)
    return anim


def png_image(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG")
    return Image.open(io.BytesIO(data)).convert("RGB")


def test_player_offers_the_html_player_and_a_png_still() -> None:
    shown = animation.player(square_animation(7))
    bundle, _ = format_display_data(shown)
    assert {"text/html", "image/png"} <= set(bundle)
    assert bundle["text/html"] == shown.data and bundle["text/html"].count("data:image/png;base64") == 7
    # One frame, the last (grey level 120), at full size, over a caption strip that names it.
    still = png_image(bundle["image/png"])
    frame = png_image(animation.html_frames(shown.data)[-1])
    assert still.width == frame.width and still.height > frame.height
    assert np.array_equal(np.asarray(still.crop((0, 0, frame.width, frame.height))), np.asarray(frame))
    assert animation.still_caption([6], 7) == "Frame 7 of 7 of the animation (the web edition plays them all)."


def test_still_with_more_frames_stacks_them_at_full_width() -> None:
    paths = {name: descent.sgd_trajectory(name, TOY, "bernoulli", [0.8], lr=0.1, steps=12, seed=0)
             for name in ("exact", "st")}
    html = animation.player(animation.descent_animation(paths, TOY, frames=7)).data
    frames = [png_image(f) for f in animation.html_frames(html)]
    still = png_image(animation.still_png(html, frames=2))
    width, height = frames[0].size
    assert still.width == width and still.height > 2 * height + animation.STILL_GAP
    # First frame on top, last frame under it, pixel for pixel.
    assert np.array_equal(np.asarray(still.crop((0, 0, width, height))), np.asarray(frames[0]))
    bottom = still.crop((0, height + animation.STILL_GAP, width, 2 * height + animation.STILL_GAP))
    assert np.array_equal(np.asarray(bottom), np.asarray(frames[-1]))
    assert animation.still_caption([0, 6], 7).startswith("Frames 1, 7 of 7")


def test_still_of_html_without_a_player() -> None:
    png = explorer.figure_png(plt.figure(figsize=(1, 1)), dpi=20)
    assert animation.still_png(explorer.fallback_html(png, "alt")) == png
    assert animation.still_png("<p>no image</p>") is None
    with pytest.raises(TypeError, match="html"):
        animation.still_png(b"<img>")
    with pytest.raises(ValueError, match="frames"):
        animation.still_png("<p/>", frames=0)
    anim = square_animation(2)
    with pytest.raises(TypeError, match="name"):
        animation.player(anim, name=3)
    assert animation.player(anim, name="ok").data.count("data:image/png;base64") == 2


def test_explorer_bundle_carries_the_fallback_still() -> None:
    explorer = explorer_estimator.EstimatorExplorer(n=100, estimators=["st", "arm"])
    bundle = explorer._repr_mimebundle_()
    # The page shows the static explorer (test_static_explorers.py); print shows the fallback's still.
    assert bundle["image/png"] == animation.html_frames(explorer.fallback())[0]


def test_slugify() -> None:
    assert export.slugify("Descent under exact, ST and REINFORCE gradients") == \
        "descent-under-exact-st-and-reinforce-gradients"
    assert export.slugify("The space $\\mathcal P_2$ and the distance $W_2$") == "the-space-and-the-distance"
    assert export.slugify("The Cramér distance") == "the-cramer-distance"
    assert export.slugify("$x$") == "untitled"


MINI_CHAPTER = textwrap.dedent('''\
    ---
    jupytext:
      text_representation:
        extension: .md
        format_name: myst
    kernelspec:
      display_name: Python 3
      language: python
      name: python3
    ---

    # Mini

    ```{code-cell} ipython3
    import matplotlib.pyplot as plt
    from pwgf_viz import animation, descent, objectives, explorer, explorer_estimator
    ```

    ## A figure

    ```{code-cell} ipython3
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [1, 0]);
    ```

    ## Two draws

    ```{code-cell} ipython3
    f = objectives.quadratic(0.45)
    paths = {n: descent.sgd_trajectory(n, f, "bernoulli", [0.8], lr=0.1, steps=5, seed=0)
             for n in ("exact", "st")}
    animation.player(animation.descent_animation(paths, f, frames=4))
    ```

    ```{code-cell} ipython3
    :name: toy-explorer
    explorer_estimator.EstimatorExplorer(n=100)
    ```
    ''')


def run_export(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pwgf_viz.export", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=os.environ.copy(), timeout=600)


def test_export_writes_figures_animations_and_explorer_stills(tmp_path: Path) -> None:
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "mini.md").write_text(MINI_CHAPTER)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/mini\n")
    out = tmp_path / "slides"
    result = run_export("mini", "--root", str(tmp_path), "-o", str(out), "--formats", "gif,png", "--dpi", "40")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "100%" in result.stderr          # the tqdm progress bar over the cells
    names = sorted(p.name for p in out.iterdir())
    assert names == ["mini_anim01_two-draws.gif", "mini_anim01_two-draws.png",
                     "mini_explorer01_toy-explorer.png", "mini_fig01_a-figure.png"], names
    gif = Image.open(out / "mini_anim01_two-draws.gif")
    assert gif.format == "GIF" and gif.n_frames == 4
    # The figure at the requested dpi: 2 x 2 inches at 40 dpi, give or take what bbox_inches="tight" trims
    # (margins) and adds (tick labels): within half an inch. The book's figures are at 80 dpi, slides at 120.
    assert 60 <= Image.open(out / "mini_fig01_a-figure.png").width <= 100
    # The explorer's file is the still of its fallback, what the PDF shows.
    explorer = png_image((out / "mini_explorer01_toy-explorer.png").read_bytes())
    assert explorer.width > 300


def test_export_runs_a_chapter_of_the_book(tmp_path: Path) -> None:
    result = run_export("intro", "-o", str(tmp_path), "--formats", "png")
    assert result.returncode == 0, result.stderr[-3000:]
    assert [p.name for p in tmp_path.iterdir()] == ["intro_fig01_slide-move-then-project.png"]
    assert f"1 files written into {tmp_path}" in result.stdout


def test_export_refuses_bad_arguments(tmp_path: Path) -> None:
    result = run_export("no-such-chapter", "-o", str(tmp_path))
    assert result.returncode == 2 and "unknown chapter(s) ['no-such-chapter']" in result.stderr
    assert "discrete-gradients" in result.stderr          # the message lists the chapters
    result = run_export("intro", "--formats", "gif,svg", "-o", str(tmp_path))
    assert result.returncode == 2 and "--formats" in result.stderr
    assert not any(tmp_path.iterdir())
