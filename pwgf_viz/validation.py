"""Argument checks shared by the public functions of :mod:`pwgf_viz`.

Every public function validates its input here, so that a reader who passes a probability of 1.2, a
negative rate or a NaN gets a :class:`ValueError` or :class:`TypeError` that names the argument and the
accepted range, instead of a silent NaN or a stack trace from deep inside torch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np
import torch

FAMILIES = ("bernoulli", "categorical", "poisson")

#: Largest number of samples a single call may draw (keeps memory bounded on a 2 GB Binder).
MAX_SAMPLES = 10_000_000
#: Largest number of sampled scalars (samples times parameter size) a single call may hold.
MAX_ELEMENTS = 50_000_000
#: What a number-or-array argument may be (before :func:`check_array` looks at its values).
VALUE_TYPES = (numbers.Real, list, tuple, np.ndarray, torch.Tensor)


def check_choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of the strings ``choices``, else raise.

    Parameters
    ----------
    value : object
        The argument to check.
    name : str
        Its name, for the error message.
    choices : tuple of str
        The accepted values.

    Returns
    -------
    str
        ``value``.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {choices}; got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def check_family(family: object) -> str:
    """Return ``family`` if it names a supported family, else raise.

    Parameters
    ----------
    family : object
        The argument to check; accepted: one of :data:`FAMILIES` (``"bernoulli"``, ``"categorical"``, ``"poisson"``).

    Returns
    -------
    str
        ``family``.
    """
    return check_choice(family, "family", FAMILIES)


def as_parameter(theta: object, name: str = "theta") -> torch.Tensor:
    """Convert ``theta`` to a floating torch tensor, keeping its graph if it already is one.

    Python numbers, lists and NumPy arrays become ``float64`` tensors; a floating tensor is returned
    as it is (so gradients flow through it). Integer or boolean tensors, complex values and empty
    inputs are refused.

    Parameters
    ----------
    theta : object
        A real number, (nested) list, NumPy array or floating torch tensor; non-empty, every entry finite.
    name : str, default "theta"
        The argument's name, for error messages.

    Returns
    -------
    torch.Tensor
        ``theta`` itself if it was a floating tensor, else a new ``float64`` tensor of its values and shape.
    """
    if isinstance(theta, torch.Tensor):
        tensor = theta
    else:
        tensor = torch.as_tensor(check_array(theta, name, types=VALUE_TYPES), dtype=torch.float64)
    if not tensor.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor (float32 or float64); got {tensor.dtype}")
    if tensor.numel() == 0:
        raise ValueError(f"{name} must not be empty; got shape {tuple(tensor.shape)}")
    if not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{name} must be finite; got NaN or infinite values")
    return tensor


def check_parameter(family: str, theta: object, name: str = "theta") -> torch.Tensor:
    """Check that ``theta`` is a valid parameter of ``family`` and return it as a tensor.

    - ``"bernoulli"``: probabilities, any shape, every entry in the open interval (0, 1);
    - ``"categorical"``: logits of shape ``(..., K)`` with ``K >= 2``;
    - ``"poisson"``: rates, any shape, every entry > 0.

    Parameters
    ----------
    family : {"bernoulli", "categorical", "poisson"}
        The family ``theta`` parametrises.
    theta : object
        The parameter, in any form :func:`as_parameter` accepts, in the family's range above.
    name : str, default "theta"
        The argument's name, for error messages.

    Returns
    -------
    torch.Tensor
        ``theta`` as a floating tensor (its graph kept, see :func:`as_parameter`).
    """
    family = check_family(family)
    tensor = as_parameter(theta, name)
    values = tensor.detach()
    if family == "bernoulli":
        if bool(((values <= 0) | (values >= 1)).any()):
            raise ValueError(f"{name} holds Bernoulli probabilities and must lie in the open interval (0,1); "
                             f"got values in [{values.min().item():.4g}, {values.max().item():.4g}]")
    elif family == "categorical":
        if tensor.dim() == 0 or tensor.shape[-1] < 2:
            raise ValueError(f"{name} holds categorical logits and must have shape (..., K) with K >= 2; "
                             f"got shape {tuple(tensor.shape)}")
    elif bool((values <= 0).any()):
        raise ValueError(f"{name} holds Poisson rates and must be > 0; got minimum {values.min().item():.4g}")
    return tensor


def check_count(value: object, name: str, minimum: int = 1, maximum: int = MAX_SAMPLES) -> int:
    """Return ``value`` if it is an integer in ``[minimum, maximum]``, else raise.

    Parameters
    ----------
    value : object
        The argument to check; a ``bool`` is refused.
    name : str
        Its name, for error messages.
    minimum : int, default 1
        The smallest accepted value.
    maximum : int, default MAX_SAMPLES
        The largest accepted value (:data:`MAX_SAMPLES`).

    Returns
    -------
    int
        ``value`` as a Python ``int``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer in [{minimum}, {maximum}]; got {type(value).__name__}")
    if not minimum <= int(value) <= maximum:
        raise ValueError(f"{name} must be an integer in [{minimum}, {maximum}]; got {value}")
    return int(value)


def check_strings(value: object, name: str, minimum: int = 1, maximum: int = 100) -> list[str]:
    """Return ``value`` if it is a list or tuple of ``minimum`` to ``maximum`` non-empty strings, else raise.

    Parameters
    ----------
    value : object
        The argument to check.
    name : str
        Its name, for error messages.
    minimum : int, default 1
        The fewest strings accepted.
    maximum : int, default 100
        The most strings accepted.

    Returns
    -------
    list of str
        The strings, stripped.
    """
    if not isinstance(value, list | tuple):
        raise TypeError(f"{name} must be a list of {minimum} to {maximum} non-empty strings; "
                        f"got {type(value).__name__}")
    if not minimum <= len(value) <= maximum:
        raise ValueError(f"{name} must be a list of {minimum} to {maximum} non-empty strings; got {len(value)}")
    bad = [item for item in value if not isinstance(item, str) or not item.strip()]
    if bad:
        raise ValueError(f"{name} must hold non-empty strings only; got {bad[0]!r}")
    return [item.strip() for item in value]


def _as_real(value: object, name: str, kind: str) -> float:
    """``value`` as a float if it is a real number and not a ``bool``; else a ``TypeError`` asking for ``kind``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {kind}; got {type(value).__name__}")
    return float(value)


def check_real(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number, else raise.

    Parameters
    ----------
    value : object
        The argument to check: a real number (not a ``bool``), finite, of any sign.
    name : str
        Its name, for error messages.

    Returns
    -------
    float
        ``value`` as a float.
    """
    number = _as_real(value, name, "a real number")
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite; got {value}")
    return number


def check_positive(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise.

    Parameters
    ----------
    value, name
        As in :func:`check_real`; ``value`` must moreover be > 0.

    Returns
    -------
    float
        ``value`` as a float.
    """
    number = _as_real(value, name, "a positive number")
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a finite number > 0; got {value}")
    return number


#: How :func:`check_array` names the types it may be asked to accept.
_TYPE_NAMES: dict[type, str] = {numbers.Real: "a number", list: "a list", tuple: "a tuple", Sequence: "a sequence",
                                np.ndarray: "a NumPy array", torch.Tensor: "a torch tensor"}


def _one_of(phrases: Sequence[str]) -> str:
    """``"a, b or c"``."""
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " or " + phrases[-1]


def _shape_text(shape: tuple[int | None, ...]) -> str:
    """A shape pattern as it is printed in errors: ``None`` (any length) is shown as ``any``."""
    entries = ["any" if size is None else str(size) for size in shape]
    return "(" + ", ".join(entries) + ("," if len(entries) == 1 else "") + ")"


def _check_layout(array: np.ndarray, name: str, ndim: int | tuple[int, ...] | None,
                  shape: tuple[int | None, ...] | None, scalar: bool, nonempty: bool) -> None:
    """Raise a ValueError naming ``name`` unless ``array`` has the required dimensions, shape and size."""
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in allowed:
            raise ValueError(f"{name} must be a {_one_of([f'{d}-D' for d in allowed])} array; "
                             f"got shape {array.shape}")
    if shape is not None and (array.ndim != len(shape) or any(
            size is not None and size != got for size, got in zip(shape, array.shape, strict=True))):
        raise ValueError(f"{name} must have shape {_shape_text(shape)}; got shape {array.shape}")
    if not scalar and array.ndim == 0:
        raise ValueError(f"{name} must be an array of shape (n, ...), not a single number")
    if nonempty and array.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {array.shape}")


def _check_bounds(array: np.ndarray, name: str, minimum: float | None, maximum: float | None) -> None:
    """Raise a ValueError naming ``name`` unless every entry of ``array`` lies in ``[minimum, maximum]``."""
    if array.size == 0:
        return
    low, high = array.min(), array.max()
    if minimum is not None and maximum is not None:
        if low < minimum or high > maximum:
            raise ValueError(f"{name} must lie in the closed interval [{minimum:g}, {maximum:g}]; "
                             f"got values in [{low:.4g}, {high:.4g}]")
    elif minimum is not None and low < minimum:
        raise ValueError(f"{name} must be >= {minimum:g}; got minimum {low:.4g}")
    elif maximum is not None and high > maximum:
        raise ValueError(f"{name} must be <= {maximum:g}; got maximum {high:.4g}")


def check_array(value: object, name: str, *, ndim: int | tuple[int, ...] | None = None,
                shape: tuple[int | None, ...] | None = None, minimum: float | None = None,
                maximum: float | None = None, nonempty: bool = True, scalar: bool = True,
                types: tuple[type, ...] | None = None) -> np.ndarray:
    """Return ``value`` as a float64 NumPy array of finite real numbers, else raise naming ``name``.

    Numbers, (nested) lists, NumPy arrays and torch tensors (detached, moved to the CPU) are converted; booleans,
    strings, complex numbers and object arrays are refused, as are NaN and infinite entries.

    Parameters
    ----------
    value : object
        The argument to check.
    name : str
        The argument's name, as the caller's signature spells it; every error message starts with it.
    ndim : int or tuple of int, optional
        The accepted number(s) of dimensions; any when ``None``.
    shape : tuple of int or None, optional
        The required shape; an entry ``None`` accepts any length along that axis.
    minimum, maximum : float, optional
        Inclusive bounds on every entry.
    nonempty : bool, default True
        Refuse arrays with no entries.
    scalar : bool, default True
        Accept a single number (a 0-d array); ``False`` requires at least one axis, shape ``(n, ...)``.
    types : tuple of type, optional
        When given, ``value`` itself must be an instance of one of these (checked before any conversion), e.g.
        ``(list, tuple, np.ndarray)`` for a function that takes no tensors and no bare numbers.

    Returns
    -------
    numpy.ndarray
        A new float64 array with the values of ``value``.

    Raises
    ------
    TypeError
        ``value`` is not of an accepted type, is a bool, or does not hold real numbers.
    ValueError
        ``value`` is ragged, has the wrong dimensions, shape or size, holds NaN or infinite values, or an entry
        lies outside ``[minimum, maximum]``.
    """
    if types is not None and not isinstance(value, types):
        raise TypeError(f"{name} must be {_one_of([_TYPE_NAMES.get(t, t.__name__) for t in types])}; "
                        f"got {type(value).__name__}")
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must hold real numbers; got a bool")
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except ValueError as error:  # NumPy >= 1.24 refuses ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of real numbers (every row of one length); "
                         f"got a ragged {type(value).__name__}") from error
    if array.dtype == object or array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers; got {type(value).__name__} of dtype {array.dtype}")
    _check_layout(array, name, ndim, shape, scalar, nonempty)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite; got NaN or infinite values")
    _check_bounds(array, name, minimum, maximum)
    return array.astype(np.float64)


def normalise_weights(weights: object, n: int, name: str) -> np.ndarray:
    """Weights of ``n`` points as probabilities: ``None`` gives uniform weights, else ``n`` finite values >= 0
    with a positive sum, divided by that sum.

    Parameters
    ----------
    weights : object
        ``None`` or ``n`` real numbers (list, NumPy array or torch tensor of shape ``(n,)``).
    n : int
        The number of points the weights belong to (>= 1).
    name : str
        The argument's name, used in error messages.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n,)``, entries >= 0 summing to 1.
    """
    if weights is None:
        return np.full(n, 1.0 / n)
    array = check_array(weights, name, shape=(n,), minimum=0)
    total = array.sum()
    if not total > 0:
        raise ValueError(f"{name} must have a positive sum; got {total:.4g}")
    return array / total


def check_objective(f: object) -> Callable[[torch.Tensor], torch.Tensor]:
    """Return ``f`` if it is callable, else raise.

    Parameters
    ----------
    f : object
        The objective; it should map samples of shape ``(n, *event_shape)`` to a tensor of shape ``(n,)``
        (checked on use by :func:`evaluate_objective`).

    Returns
    -------
    callable
        ``f``.
    """
    if not callable(f):
        raise TypeError(f"f must be a callable mapping samples of shape (n, *event_shape) to shape (n,); "
                        f"got {type(f).__name__}")
    return f


def evaluate_objective(f: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor) -> torch.Tensor:
    """Evaluate ``f`` on a batch of samples ``z`` and check its output: a finite tensor of shape ``(n,)``.

    Parameters
    ----------
    f : callable
        The objective, from :func:`check_objective`.
    z : torch.Tensor
        Samples of shape ``(n, *event_shape)``.

    Returns
    -------
    torch.Tensor
        ``f(z)``: floating, finite, of shape ``(n,)`` (with its graph, if any).
    """
    out = f(z)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"f must return a torch tensor of shape ({z.shape[0]},); got {type(out).__name__}")
    if out.shape != (z.shape[0],):
        raise ValueError(f"f must map samples of shape {tuple(z.shape)} to shape ({z.shape[0]},); "
                         f"got output of shape {tuple(out.shape)}")
    if not out.is_floating_point():
        raise TypeError(f"f must return a floating-point tensor; got {out.dtype}")
    if not bool(torch.isfinite(out.detach()).all()):
        raise ValueError("f returned NaN or infinite values on the samples")
    return out


def objective_slopes(f: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor) -> torch.Tensor:
    r"""The gradient :math:`\nabla f` at each sample of ``z`` (by autograd), with the checks every caller needs.

    Parameters
    ----------
    f : callable
        Maps samples of shape ``(n, *S)`` to ``(n,)``, built from torch operations.
    z : torch.Tensor
        Floating samples of shape ``(n, *S)``; a leaf that requires grad is made of them here.

    Returns
    -------
    torch.Tensor
        :math:`\nabla f(z_i)` row by row, of ``z``'s shape (zeros where ``f`` does not depend on ``z``), finite.
    """
    z = z.detach().requires_grad_(True)
    values = evaluate_objective(f, z)
    if not values.requires_grad:
        raise TypeError("f must be differentiable in its input (build it from torch operations): "
                        "its output does not depend on the samples")
    (slopes,) = torch.autograd.grad(values.sum(), z, allow_unused=True)
    slopes = torch.zeros_like(z) if slopes is None else slopes
    if not bool(torch.isfinite(slopes).all()):
        raise ValueError("f's derivative is not finite at some of the samples")
    return slopes


def check_options(options: dict[str, object], allowed: dict[str, object], owner: str) -> dict[str, object]:
    """Merge ``options`` into the defaults ``allowed``; refuse unknown names.

    Parameters
    ----------
    options : dict of str to object
        The keyword options a caller passed; every name must be a key of ``allowed``.
    allowed : dict of str to object
        The accepted option names and their default values.
    owner : str
        Who takes the options (e.g. an estimator's name), for the error message.

    Returns
    -------
    dict of str to object
        The defaults updated with ``options``; a ``"temperature"`` entry is checked to be a finite number > 0
        (:func:`check_positive`) and returned as a float.
    """
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "none"
        raise TypeError(f"{owner} got unexpected option(s) {unknown}; it accepts: {accepted}")
    merged = {**allowed, **options}
    if "temperature" in merged:
        merged["temperature"] = check_positive(merged["temperature"], "temperature")
    return merged
