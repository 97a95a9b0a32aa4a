r"""Result files of the experiment chapters (Part IV), and their summary tables.

An experiment chapter runs a *quick* setting when the book is built. A script under ``experiments/`` runs the
*full* setting (more steps and seeds) and writes its records with :func:`save_results` into
``experiments/results/<name>.json``; the chapter shows those records too when :func:`load_results` finds the file.

A record is one flat dict per run and measurement, e.g. ``{"estimator": "st", "seed": 0, "elbo": -61.2}``.
:func:`summary_table` reports the mean and the sample standard deviation over seeds,

.. math::

    \bar x = \tfrac1S \textstyle\sum_s x_s, \qquad
    \mathrm{sd} = \Big(\tfrac1{S-1} \textstyle\sum_s (x_s - \bar x)^2\Big)^{1/2},

as ``mean ± sd`` (``mean`` alone when a group holds a single run).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from . import tables
from .validation import check_array, check_count

ROOT = Path(__file__).resolve().parents[1]
#: Where the experiment scripts write their result files (committed: small JSON).
RESULTS_DIR = ROOT / "experiments" / "results"


def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a string (the result file's stem); got {type(name).__name__}")
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise ValueError(f"name must be non-empty and hold only letters, digits, '-' and '_'; got {name!r}")
    return name


def _check_folder(folder: object) -> Path:
    if folder is None:
        return RESULTS_DIR
    if not isinstance(folder, str | Path):
        raise TypeError(f"folder must be a path or None (experiments/results); got {type(folder).__name__}")
    return Path(folder)


def results_path(name: str, folder: str | Path | None = None) -> Path:
    """The path of result file ``name`` (``experiments/results/<name>.json`` unless ``folder`` is given).

    Parameters
    ----------
    name : str
        The file's stem: non-empty, letters, digits, ``-`` and ``_`` only.
    folder : str or pathlib.Path, optional
        The folder; ``None`` for :data:`RESULTS_DIR`.

    Returns
    -------
    pathlib.Path
        ``folder / f"{name}.json"`` (it need not exist).
    """
    return _check_folder(folder) / f"{_check_name(name)}.json"


def save_results(name: str, records: Sequence[Mapping[str, object]], settings: Mapping[str, object],
                 folder: str | Path | None = None) -> Path:
    """Write ``{"settings": ..., "records": [...]}`` as JSON (sorted keys, so reruns give the same file).

    Parameters
    ----------
    name : str
        The file's stem: non-empty, letters, digits, ``-`` and ``_`` only.
    records : sequence of mapping
        The records, a non-empty list of dicts (one per run and measurement), JSON-serialisable.
    settings : mapping
        The settings the records were made with, JSON-serialisable.
    folder : str or pathlib.Path, optional
        The folder; ``None`` for :data:`RESULTS_DIR`. It is created if missing.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if not isinstance(records, Sequence) or isinstance(records, str | bytes):
        raise TypeError(f"records must be a list of dicts; got {type(records).__name__}")
    if not records or not all(isinstance(r, Mapping) for r in records):
        raise ValueError("records must be a non-empty list of dicts (one per run and measurement)")
    if not isinstance(settings, Mapping):
        raise TypeError(f"settings must be a dict; got {type(settings).__name__}")
    path = results_path(name, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"settings": dict(settings), "records": [dict(r) for r in records]}
    path.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def load_results(name: str, folder: str | Path | None = None) -> dict | None:
    """The ``{"settings", "records"}`` dict written by :func:`save_results`, or None if there is no such file.

    Parameters
    ----------
    name, folder
        The file's stem and folder, as in :func:`results_path`.

    Returns
    -------
    dict or None
        The payload with keys ``settings`` and ``records``, or ``None`` if the file does not exist. Raises
        ``ValueError`` for a JSON file of another form.
    """
    path = results_path(name, folder)
    if not path.is_file():
        return None
    payload = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(payload, dict) or not {"settings", "records"} <= payload.keys():
        raise ValueError(f"{path} is not a result file: expected a JSON object with 'settings' and 'records'")
    return payload


def run_each(run: Callable[..., dict], calls: Iterable[tuple], describe: Callable[[dict], str] | None = None,
             save: Callable[[list[dict]], object] | None = None) -> list[dict]:
    """The records of ``run(*args)`` for every ``args`` of ``calls``, in order, reported and saved as they come.

    Parameters
    ----------
    run : callable
        One run: takes the arguments of a call and returns its record (a flat dict).
    calls : iterable of tuple
        The positional arguments of each run.
    describe : callable, optional
        Maps a finished run's record to the line printed for it; ``None`` prints nothing.
    save : callable, optional
        Called with the list of records so far after each run (to keep partial results).

    Returns
    -------
    list of dict
        The records, in the order of ``calls``.
    """
    records: list[dict] = []
    for args in calls:
        records.append(run(*args))
        if describe is not None:
            print(describe(records[-1]), flush=True)
        if save is not None:
            save(records)
    return records


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (``nan`` for a single value) of finite numbers.

    Parameters
    ----------
    values : sequence of float
        One or more finite numbers (a list or tuple).

    Returns
    -------
    tuple of float
        ``(mean, sd)``; ``sd`` is ``nan`` for a single value.
    """
    values = check_array(values, "values", ndim=1, types=(Sequence,)).tolist()
    mean = math.fsum(values) / len(values)
    if len(values) == 1:
        return mean, math.nan
    return mean, math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))


def summary_table(records: Sequence[Mapping[str, object]], row: str, columns: Sequence[str],
                  digits: int = 3, separator: str = " ± ") -> str:
    """A Markdown table: one row per value of ``row`` (in first-seen order), cells ``mean ± sd`` of each column.

    Every record must hold ``row``; a record lacking a column does not count for that column (blank cell if
    no record of the row has it). The last column gives the number of records per row.

    Parameters
    ----------
    records : sequence of mapping
        The records, non-empty; each holds the key ``row``.
    row : str
        The key whose values give the table's rows.
    columns : sequence of str
        The keys summarised, non-empty (a list, not a single string); their values must be finite numbers.
    digits : int, default 3
        Decimals shown, in [0, 12].
    separator : str, default " ± "
        What goes between mean and sd (e.g. with no-break spaces, :data:`pwgf_viz.tables.NBSP`, to keep a cell on
        one line).

    Returns
    -------
    str
        The Markdown table, lines joined by newlines.
    """
    if not isinstance(row, str):
        raise TypeError(f"row must be a record key (string); got {type(row).__name__}")
    if isinstance(columns, str) or not isinstance(columns, Sequence) or not columns:
        raise ValueError("columns must be a non-empty list of record keys")
    digits = check_count(digits, "digits", minimum=0, maximum=12)
    if not isinstance(separator, str):
        raise TypeError(f"separator must be a string (between mean and sd); got {type(separator).__name__}")
    if not records:
        raise ValueError("records must not be empty")
    groups: dict[object, list[Mapping[str, object]]] = {}
    for record in records:
        if row not in record:
            raise ValueError(f"every record must hold the row key {row!r}; got one with keys {sorted(record)}")
        groups.setdefault(record[row], []).append(record)
    rows = [[f"`{key}`", *(_cell([r[c] for r in group if c in r], digits, separator) for c in columns),
             str(len(group))] for key, group in groups.items()]
    return tables.markdown([row, *columns, "runs"], rows)


def _cell(values: Sequence[float], digits: int, separator: str) -> str:
    """``mean ± sd`` of the values (``mean`` alone for one value, blank for none)."""
    if not values:
        return ""
    mean, sd = mean_sd(values)
    return f"{mean:.{digits}f}" if math.isnan(sd) else f"{mean:.{digits}f}{separator}{sd:.{digits}f}"
