"""Every public function and method of :mod:`pwgf_viz` that takes arguments has numpydoc sections.

The API page (book/api.md) is generated from the docstrings, so each entry must read like a reference: a
``Parameters`` section naming every argument and a ``Returns`` section (issue 18). What is checked, found with
:mod:`inspect` over :func:`pkgutil.iter_modules`:

- public functions (no leading underscore) defined in the module itself (re-exports are checked where they are
  defined), with at least one parameter: ``Parameters``, and ``Returns``; a generator function has ``Yields``
  instead, and a function annotated ``-> None`` needs no ``Returns`` (numpydoc leaves it out);
- public methods, static methods and class methods defined in a public class's body, with at least one parameter
  besides ``self``/``cls``: the same sections, unless the docstring starts with "See :meth:" (an override that
  points to the documented base method instead of repeating it);
- a public class whose constructor takes arguments (its own ``__init__``, or the one ``dataclasses`` writes): a
  ``Parameters`` section in the class docstring (numpydoc documents ``__init__``'s arguments there, and autodoc
  shows the class docstring with the signature). ``NamedTuple`` classes are exempt: they are records that
  functions return, never built by readers, and their fields are named in their one-line docstring.

Not checked: dunder methods (``__init__``, ``__call__``: see the class docstring), properties (no arguments; their
docstring says what the value is), and methods and functions without parameters (a one-line summary suffices).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator

import pytest

import pwgf_viz


def _section(doc: str | None, title: str) -> bool:
    """Whether ``doc`` has a numpydoc section ``title`` (the title, then a line of at least three dashes)."""
    return re.search(rf"^{title}\n-{{3,}}$", inspect.cleandoc(doc or ""), re.M) is not None


def _parameters(function: Callable, bound: bool) -> list[inspect.Parameter]:
    """The parameters of ``function``, without the first one (``self``/``cls``) when ``bound``."""
    parameters = list(inspect.signature(function).parameters.values())
    return parameters[1:] if bound else parameters


def _returns_none(function: Callable) -> bool:
    return inspect.signature(function).return_annotation in (None, "None")


def _missing(function: Callable, bound: bool) -> list[str]:
    """The sections ``function``'s docstring lacks (none if it takes no arguments)."""
    if not _parameters(function, bound) or (function.__doc__ or "").lstrip().startswith("See :meth:"):
        return []
    missing = [] if _section(function.__doc__, "Parameters") else ["Parameters"]
    if inspect.isgeneratorfunction(inspect.unwrap(function)):
        missing += [] if _section(function.__doc__, "Yields") else ["Yields"]
    elif not _returns_none(function) and not _section(function.__doc__, "Returns"):
        missing.append("Returns")
    return missing


def _is_namedtuple(cls: type) -> bool:
    return issubclass(cls, tuple) and hasattr(cls, "_fields")


def _constructor_takes_arguments(cls: type) -> bool:
    if _is_namedtuple(cls):
        return False
    if "__init__" not in vars(cls) and not dataclasses.is_dataclass(cls):
        return False
    return bool(_parameters(cls.__init__, bound=True))


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(pwgf_viz.__path__) if not m.name.startswith("_"))


def _entries() -> Iterator[tuple[str, list[str]]]:
    """``(qualified name, missing sections)`` for every checked object of every public module."""
    for name in _modules():
        module = importlib.import_module(f"pwgf_viz.{name}")
        for attr, obj in vars(module).items():
            if attr.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                yield f"{name}.{attr}", _missing(obj, bound=False)
            elif inspect.isclass(obj):
                if _constructor_takes_arguments(obj):
                    yield f"{name}.{attr}", [] if _section(obj.__doc__, "Parameters") else ["Parameters"]
                for method_name, member in vars(obj).items():
                    if method_name.startswith("_"):
                        continue
                    function = member.__func__ if isinstance(member, staticmethod | classmethod) else member
                    if inspect.isfunction(function):
                        yield (f"{name}.{attr}.{method_name}",
                               _missing(function, bound=not isinstance(member, staticmethod)))


def test_checked_objects_exist() -> None:
    """The walk finds the public API (guards against a check that silently checks nothing)."""
    names = {name for name, _ in _entries()}
    assert {"estimators.gradient_samples", "exact.exact_gradient", "models.LatentVAE.bounds"} <= names


@pytest.mark.parametrize(("name", "missing"), [pytest.param(name, missing, id=name) for name, missing in _entries()])
def test_numpydoc_sections(name: str, missing: list[str]) -> None:
    assert not missing, f"pwgf_viz.{name}: the docstring lacks the numpydoc section(s) {missing}"
