"""The exercises' right/wrong helper."""

import numpy as np
import pytest
import torch

from pwgf_viz import check


def test_right_answer_says_right(capsys):
    assert check(0.5 ** 0.5, np.sqrt(0.5), exercise="ex-w2") is True
    assert capsys.readouterr().out == "ex-w2: right.\n"


def test_wrong_answer_says_not_yet_with_error(capsys):
    assert check(0.5, 0.7) is False
    out = capsys.readouterr().out
    assert "not yet" in out and "0.2" in out


def test_tolerances_are_relative_and_absolute():
    assert check(1.0 + 1e-7, 1.0, quiet=True)
    assert not check(1.0 + 1e-5, 1.0, quiet=True)
    assert check(1.0 + 1e-5, 1.0, rtol=1e-4, quiet=True)
    assert check(1e-10, 0.0, quiet=True) and not check(1e-8, 0.0, quiet=True)


def test_arrays_and_tensors_elementwise():
    assert check(torch.tensor([0.1, 0.2]), [0.1, 0.2], quiet=True)
    assert not check(np.array([0.1, 0.3]), [0.1, 0.2], quiet=True)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"answer": "0.5", "expected": 0.5}, TypeError, "answer"),
    ({"answer": True, "expected": 1.0}, TypeError, "answer"),
    ({"answer": float("nan"), "expected": 1.0}, ValueError, "answer must be finite"),
    ({"answer": [1.0, 2.0], "expected": 1.0}, ValueError, "shape"),
    ({"answer": 1.0, "expected": []}, ValueError, "expected must not be empty"),
    ({"answer": 1.0, "expected": 1.0, "rtol": -1}, ValueError, "rtol"),
    ({"answer": 1.0, "expected": 1.0, "exercise": 3}, TypeError, "exercise"),
])
def test_bad_input_rejected(kwargs, error, match):
    with pytest.raises(error, match=match):
        check(**kwargs)
