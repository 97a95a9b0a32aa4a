"""Right-or-wrong feedback for the book's exercises.

A reader who solves an exercise on Binder (or in a downloaded notebook) types their answer into
:func:`check`, which compares it with the value the page computes and says whether it is right. The
book calls the same function in hidden cells with the official solution, so a solution that drifts from
the page's numbers fails the build.
"""

from __future__ import annotations

import numpy as np

from .validation import VALUE_TYPES, check_array, check_positive


def check(answer: object, expected: object, *, rtol: float = 1e-6, atol: float = 1e-9,
          exercise: str = "exercise", quiet: bool = False) -> bool:
    r"""Say whether ``answer`` matches ``expected``, elementwise :math:`|a - e| \le \mathrm{atol} + \mathrm{rtol}\,|e|`.

    Prints one line (``right`` or ``not yet`` with the largest error) unless ``quiet``, and returns the
    verdict as a bool, so a hidden cell can ``assert check(solution, value)``.

    Parameters
    ----------
    answer : number, list, numpy.ndarray or torch.Tensor
        The reader's answer, finite.
    expected : number, list, numpy.ndarray or torch.Tensor
        The value the page computes, finite, of the shape of ``answer``.
    rtol : float, default 1e-6
        Relative tolerance, > 0, finite.
    atol : float, default 1e-9
        Absolute tolerance, > 0, finite.
    exercise : str, default "exercise"
        The exercise's name, at the start of the printed line.
    quiet : bool, default False
        Print nothing (for the hidden cells).

    Returns
    -------
    bool
        Whether every entry is within the tolerance.
    """
    if not isinstance(exercise, str):
        raise TypeError(f"exercise must be a string naming the exercise; got {type(exercise).__name__}")
    a = check_array(answer, "answer", types=VALUE_TYPES)
    e = check_array(expected, "expected", types=VALUE_TYPES)
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
