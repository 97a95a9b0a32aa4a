"""Right-or-wrong feedback for the book's exercises.

A reader who solves an exercise on Binder (or in a downloaded notebook) types their answer into
:func:`check`, which compares it with the value the page computes and says whether it is right. The
book calls the same function in hidden cells with the official solution, so a solution that drifts from
the page's numbers fails the build.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from .validation import check_positive


def _as_array(value: object, name: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a number or an array of numbers; got a bool")
    if not isinstance(value, numbers.Real | list | tuple | np.ndarray):
        raise TypeError(f"{name} must be a number, a list, a NumPy array or a torch tensor; "
                        f"got {type(value).__name__}")
    array = np.asarray(value)
    if array.dtype == object or array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers; got an array of dtype {array.dtype}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; got NaN or infinite values")
    return array.astype(float)


def check(answer: object, expected: object, *, rtol: float = 1e-6, atol: float = 1e-9,
          exercise: str = "exercise", quiet: bool = False) -> bool:
    r"""Say whether ``answer`` matches ``expected``, elementwise :math:`|a - e| \le \mathrm{atol} + \mathrm{rtol}\,|e|`.

    Prints one line (``right`` or ``not yet`` with the largest error) unless ``quiet``, and returns the
    verdict as a bool, so a hidden cell can ``assert check(solution, value)``. ``answer`` and ``expected``
    are numbers, lists, NumPy arrays or torch tensors of the same shape.
    """
    if not isinstance(exercise, str):
        raise TypeError(f"exercise must be a string naming the exercise; got {type(exercise).__name__}")
    a = _as_array(answer, "answer")
    e = _as_array(expected, "expected")
    if a.shape != e.shape:
        raise ValueError(f"answer must have the shape of the expected value {e.shape}; got {a.shape}")
    rtol = check_positive(rtol, "rtol")
    atol = check_positive(atol, "atol")
    error = np.abs(a - e)
    right = bool(np.all(error <= atol + rtol * np.abs(e)))
    if not quiet:
        if right:
            print(f"{exercise}: right.")
        else:
            print(f"{exercise}: not yet (largest error {error.max():.3g}); have another look.")
    return right
