"""Argument checks shared by the public functions of :mod:`pwgf_viz`.

Every public function validates its input here, so that a reader who passes a probability of 1.2, a
negative rate or a NaN gets a :class:`ValueError` or :class:`TypeError` that names the argument and the
accepted range, instead of a silent NaN or a stack trace from deep inside torch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np
import torch

FAMILIES = ("bernoulli", "categorical", "poisson")

#: Largest number of samples a single call may draw (keeps memory bounded on a 2 GB Binder).
MAX_SAMPLES = 10_000_000
#: Largest number of sampled scalars (samples times parameter size) a single call may hold.
MAX_ELEMENTS = 50_000_000


def check_family(family: object) -> str:
    """Return ``family`` if it names a supported family, else raise."""
    if not isinstance(family, str):
        raise TypeError(f"family must be a string, one of {FAMILIES}; got {type(family).__name__}")
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}; got {family!r}")
    return family


def as_parameter(theta: object, name: str = "theta") -> torch.Tensor:
    """Convert ``theta`` to a floating torch tensor, keeping its graph if it already is one.

    Python numbers, lists and NumPy arrays become ``float64`` tensors; a floating tensor is returned
    as it is (so gradients flow through it). Integer or boolean tensors, complex values and empty
    inputs are refused.
    """
    if isinstance(theta, torch.Tensor):
        tensor = theta
    elif isinstance(theta, bool) or isinstance(theta, np.bool_):
        raise TypeError(f"{name} must be a real number or a floating tensor; got a bool")
    elif isinstance(theta, numbers.Real | list | tuple | np.ndarray):
        array = np.asarray(theta)
        if array.dtype == object or array.dtype.kind not in "iuf":
            raise TypeError(f"{name} must hold real numbers; got an array of dtype {array.dtype}")
        tensor = torch.as_tensor(array, dtype=torch.float64)
    else:
        raise TypeError(f"{name} must be a float, a list, a NumPy array or a torch tensor; "
                        f"got {type(theta).__name__}")
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
    """Return ``value`` if it is an integer in ``[minimum, maximum]``, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer in [{minimum}, {maximum}]; got {type(value).__name__}")
    if not minimum <= int(value) <= maximum:
        raise ValueError(f"{name} must be an integer in [{minimum}, {maximum}]; got {value}")
    return int(value)


def check_positive(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number; got {type(value).__name__}")
    if not (math.isfinite(float(value)) and float(value) > 0):
        raise ValueError(f"{name} must be a finite number > 0; got {value}")
    return float(value)


def check_objective(f: object) -> Callable[[torch.Tensor], torch.Tensor]:
    """Return ``f`` if it is callable, else raise."""
    if not callable(f):
        raise TypeError(f"f must be a callable mapping samples of shape (n, *event_shape) to shape (n,); "
                        f"got {type(f).__name__}")
    return f


def evaluate_objective(f: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor) -> torch.Tensor:
    """Evaluate ``f`` on a batch of samples ``z`` and check its output: a finite tensor of shape ``(n,)``."""
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


def check_options(options: dict[str, object], allowed: dict[str, object], owner: str) -> dict[str, object]:
    """Merge ``options`` into the defaults ``allowed``; refuse unknown names."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "none"
        raise TypeError(f"{owner} got unexpected option(s) {unknown}; it accepts: {accepted}")
    merged = {**allowed, **options}
    if "temperature" in merged:
        merged["temperature"] = check_positive(merged["temperature"], "temperature")
    return merged
