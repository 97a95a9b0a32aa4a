"""Which live explorers ``make bench`` times, and how (run inside a Jupyter kernel by ``benchmarks/run.py``).

Every explorer is found automatically: any class in a ``pwgf_viz`` module whose name ends in ``Explorer`` and
that has an ``update`` method (the convention of
:class:`pwgf_viz.explorer_estimator.EstimatorExplorer`). It is built with
its default arguments; the benchmark changes one of its ipywidgets controls (an attribute of the explorer whose
``value`` has an observer) 50 times, to a different value each time, and times each assignment: the control's
observe callback redraws synchronously, so the time of the assignment is the time from the parameter change to
the new figure in the widget.

By default the control is the first observed slider (float, then int, then selection slider, then dropdown),
and the values sweep its range. To choose the control, the values or the constructor arguments, add one line to
:data:`EXPLORERS`, e.g. ``ExplorerBench("pwgf_viz.explorer_flow", "FlowExplorer", control="step")``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import ipywidgets as w
import numpy as np

CHANGES = 50


@dataclass(frozen=True)
class ExplorerBench:
    """How to benchmark one explorer: where it is, which control to move, and to which values."""

    module: str
    cls: str
    control: str | None = None                # attribute name of the ipywidgets control; None: the first slider
    values: Sequence[object] | None = None    # None: CHANGES values spread over the control's range
    kwargs: dict = field(default_factory=dict)


#: The estimators of chapter discrete-gradients' explorer (its static grid has one picture set per estimator).
CHAPTER_ESTIMATORS = ["reinforce", "reinforce_baseline", "st", "gumbel_softmax", "st_gumbel_softmax", "arm",
                      "disarm"]

EXPLORERS: list[ExplorerBench] = [
    ExplorerBench("pwgf_viz.explorer_estimator", "EstimatorExplorer", control="p",
                  kwargs={"estimators": CHAPTER_ESTIMATORS}),
    ExplorerBench("pwgf_viz.explorer_flow", "FlowExplorer", control="final_time"),
    ExplorerBench("pwgf_viz.explorer_pwgf", "PWGFExplorer", control="p"),
]


def discover() -> list[ExplorerBench]:
    """The registry, plus every other ``*Explorer`` class with an ``update`` method found in ``pwgf_viz``."""
    import pwgf_viz

    known = {(e.module, e.cls) for e in EXPLORERS}
    found = list(EXPLORERS)
    for info in pkgutil.iter_modules(pwgf_viz.__path__, "pwgf_viz."):
        module = importlib.import_module(info.name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            # An explorer has controls (SETTINGS); the shared base class explorer.Explorer has none.
            if (obj.__module__ == info.name and name.endswith("Explorer") and getattr(obj, "SETTINGS", None)
                    and callable(getattr(obj, "update", None)) and (info.name, name) not in known):
                found.append(ExplorerBench(info.name, name))
    return found


def _observed_controls(explorer: object) -> dict[str, w.ValueWidget]:
    controls = {}
    for name, value in vars(explorer).items():
        if isinstance(value, w.ValueWidget) and value._trait_notifiers.get("value", {}).get("change"):
            controls[name] = value
    return controls


def _pick_control(controls: dict[str, w.ValueWidget]) -> str:
    for kind in (w.FloatSlider, w.FloatLogSlider, w.IntSlider, w.SelectionSlider, w.Dropdown):
        for name, control in controls.items():
            if isinstance(control, kind):
                return name
    raise ValueError(f"no observed slider or dropdown among the controls {sorted(controls)}")


def sweep(control: w.ValueWidget, count: int = CHANGES) -> list[object]:
    """``count`` values of the control, spread over its range, never the same twice in a row."""
    if hasattr(control, "options") and not hasattr(control, "min"):
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        if len(options) < 2:
            raise ValueError("a control with fewer than two options cannot change")
        start = options.index(control.value)
        return [options[(start + 1 + i) % len(options)] for i in range(count)]
    grid = np.linspace(control.min, control.max, count + 1)
    if isinstance(control, w.IntSlider):
        grid = np.unique(grid.round().astype(int))
    values = [v.item() for v in grid if v != control.value][:count]
    # Alternate ends of the range (low, high, low, ...) so every change moves the parameter noticeably.
    order = [values[i // 2] if i % 2 == 0 else values[-1 - i // 2] for i in range(len(values))]
    while len(order) < count:
        order += order[: count - len(order)]
    return order


def measure(bench: ExplorerBench, count: int = CHANGES) -> dict:
    """Build the explorer, move its control ``count`` times, return the timings in milliseconds."""
    cls = getattr(importlib.import_module(bench.module), bench.cls)
    explorer = cls(**bench.kwargs)
    controls = _observed_controls(explorer)
    name = bench.control or _pick_control(controls)
    control = getattr(explorer, name)
    values = list(bench.values) if bench.values is not None else sweep(control, count)
    times, cpu, redraws = [], [], []
    for value in values[:count]:
        start, start_cpu = time.perf_counter(), time.process_time()
        control.value = value
        times.append(1e3 * (time.perf_counter() - start))
        cpu.append(1e3 * (time.process_time() - start_cpu))
        redraws.append(1e3 * getattr(explorer, "last_redraw_seconds", float("nan")))
    return {
        "explorer": f"{bench.module}.{bench.cls}",
        "control": name,
        "changes": len(times),
        "median_ms": statistics.median(times),
        "p95_ms": float(np.percentile(times, 95)),
        "redraw_median_ms": statistics.median(redraws),
        "cpu_median_ms": statistics.median(cpu),   # CPU time of the kernel process (all its threads)
    }


def measure_all(count: int = CHANGES) -> list[dict]:
    return [measure(bench, count) for bench in discover()]


#: Budget of one static stand-in (its grid of pictures, base64 in the page): the pages that hold one are 1.4 to
#: 1.9 MB without it, and must stay under 3 MB.
STATIC_BUDGET_BYTES = 1_000_000


def measure_static(bench: ExplorerBench) -> dict:
    """Build the explorer and its static stand-in (``static_html``); its size, grid and build time."""
    cls = getattr(importlib.import_module(bench.module), bench.cls)
    explorer = cls(**bench.kwargs)
    if not explorer.static_controls():
        return {"explorer": f"{bench.module}.{bench.cls}", "settings": 0}
    start = time.perf_counter()
    html = explorer.static_html()
    seconds = time.perf_counter() - start
    import json
    import re

    data = json.loads(re.search(r'class="pwgf-static-data">(.*?)</script>', html, re.S)[1].replace("<\\/", "</"))
    return {"explorer": f"{bench.module}.{bench.cls}", "settings": len(data["table"]),
            "pictures": len(data["images"]), "bytes": len(html.encode()), "seconds": seconds,
            "controls": [c.setting for c in explorer.static_controls()]}


def measure_static_all() -> list[dict]:
    return [measure_static(bench) for bench in discover()]
