r"""The example objectives of the book, as callables that also carry their formula.

Each maps a float tensor of draws of shape ``(n, *event_shape)`` to shape ``(n,)`` and is built from
torch operations, so it is differentiable in its input (as the straight-through estimator needs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .validation import as_parameter


@dataclass(frozen=True)
class Objective:
    """An objective :math:`f(z)` with a LaTeX formula for titles and tables."""

    latex: str
    fn: Callable[[torch.Tensor], torch.Tensor]

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return self.fn(z)


def _flat(z: torch.Tensor) -> torch.Tensor:
    return z.reshape(z.shape[0], -1)


def quadratic(target: float | list[float] = 0.45) -> Objective:
    r""":math:`f(z) = \sum_i (z_i - t_i)^2`, the classic toy of REBAR, RELAX and ARM (chapter 1, ``eq-toy``)."""
    t = as_parameter(target, "target").detach().to(torch.float64).reshape(-1)

    def f(z: torch.Tensor) -> torch.Tensor:
        return ((_flat(z) - t.to(z.dtype)) ** 2).sum(-1)

    return Objective(rf"(z - {t.item():g})^2" if t.numel() == 1 else r"\sum_i (z_i - t_i)^2", f)


def pair_interaction(offset: float = 0.8) -> Objective:
    r""":math:`f(z) = (z_1 + z_2 - c)^2` on two coordinates: curvature plus an interaction :math:`2 z_1 z_2`."""
    c = as_parameter(offset, "offset").detach()
    if c.numel() != 1:
        raise ValueError(f"offset must be a single number; got shape {tuple(c.shape)}")
    c = float(c)

    def f(z: torch.Tensor) -> torch.Tensor:
        flat = _flat(z)
        if flat.shape[1] != 2:
            raise ValueError(f"pair_interaction needs draws with 2 coordinates; got {flat.shape[1]}")
        return (flat.sum(-1) - c) ** 2

    return Objective(rf"(z_1 + z_2 - {c:g})^2", f)


def linear_score(weights: list[float]) -> Objective:
    r""":math:`f(z) = (w^\top z)^2`, for one-hot draws: the squared weight of the chosen category."""
    w = as_parameter(weights, "weights").detach().to(torch.float64).reshape(-1)

    def f(z: torch.Tensor) -> torch.Tensor:
        flat = _flat(z)
        if flat.shape[1] != w.numel():
            raise ValueError(f"linear_score has {w.numel()} weights; the draws have {flat.shape[1]} coordinates")
        return (flat @ w.to(z.dtype)) ** 2

    return Objective(r"(w^\top z)^2", f)
