r"""The example objectives of the book, as callables that also carry their formula.

Each maps a float tensor of draws of shape ``(n, *event_shape)`` to shape ``(n,)`` and is built from
torch operations, so it is differentiable in its input (as the straight-through estimator needs).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from .validation import as_parameter


@dataclass(frozen=True)
class Objective:
    """An objective :math:`f(z)` with a LaTeX formula for titles and tables.

    Parameters
    ----------
    latex : str
        The formula, LaTeX without dollar signs.
    fn : callable
        The function: a float tensor of shape ``(n, *event_shape)`` to shape ``(n,)``; ``Objective(z)`` calls it.
    """

    latex: str
    fn: Callable[[torch.Tensor], torch.Tensor]

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return self.fn(z)


def _flat(z: torch.Tensor) -> torch.Tensor:
    return z.reshape(z.shape[0], -1)


def quadratic(target: float | list[float] = 0.45) -> Objective:
    r""":math:`f(z) = \sum_i (z_i - t_i)^2`, the classic toy of REBAR, RELAX and ARM (chapter 1, ``eq-toy``).

    Parameters
    ----------
    target : float or list of float, default 0.45
        The targets :math:`t_i`, finite: one number, or one per coordinate of the (flattened) draw.

    Returns
    -------
    Objective
        The objective; it broadcasts ``target`` against the draws' coordinates.
    """
    t = as_parameter(target, "target").detach().to(torch.float64).reshape(-1)

    def f(z: torch.Tensor) -> torch.Tensor:
        return ((_flat(z) - t.to(z.dtype)) ** 2).sum(-1)

    return Objective(rf"(z - {t.item():g})^2" if t.numel() == 1 else r"\sum_i (z_i - t_i)^2", f)


def pair_interaction(offset: float = 0.8) -> Objective:
    r""":math:`f(z) = (z_1 + z_2 - c)^2` on two coordinates: curvature plus an interaction :math:`2 z_1 z_2`.

    Parameters
    ----------
    offset : float, default 0.8
        The constant :math:`c`, a single finite number.

    Returns
    -------
    Objective
        The objective, for draws with 2 coordinates.
    """
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
    r""":math:`f(z) = (w^\top z)^2`, for one-hot draws: the squared weight of the chosen category.

    Parameters
    ----------
    weights : list of float
        The weights :math:`w`, finite, one per coordinate of the draw (e.g. per category).

    Returns
    -------
    Objective
        The objective, for draws with ``len(weights)`` coordinates.
    """
    w = as_parameter(weights, "weights").detach().to(torch.float64).reshape(-1)

    def f(z: torch.Tensor) -> torch.Tensor:
        flat = _flat(z)
        if flat.shape[1] != w.numel():
            raise ValueError(f"linear_score has {w.numel()} weights; the draws have {flat.shape[1]} coordinates")
        return (flat @ w.to(z.dtype)) ** 2

    return Objective(r"(w^\top z)^2", f)


def least_squares(matrix: list[list[float]], target: list[float]) -> Objective:
    r""":math:`f(z) = \|A z - y\|^2`: decode bits linearly; :math:`A^\top A` couples every pair of coordinates.

    On bits its multilinear extension is :math:`L(p)`; its curvature :math:`2 A^\top A` has a positive diagonal, so
    straight-through is biased in every coordinate (``prop-st-bias-curvature``).

    Parameters
    ----------
    matrix : list of list of float
        :math:`A`, shape ``(m, d)``, finite.
    target : list of float
        :math:`y`, ``m`` finite numbers.

    Returns
    -------
    Objective
        The objective, for draws with ``d`` coordinates.
    """
    a = as_parameter(matrix, "matrix").detach().to(torch.float64)
    y = as_parameter(target, "target").detach().to(torch.float64).reshape(-1)
    if a.dim() != 2 or a.shape[0] != y.numel():
        raise ValueError(f"matrix must have shape (m, d) with m = len(target) = {y.numel()}; got {tuple(a.shape)}")

    def f(z: torch.Tensor) -> torch.Tensor:
        flat = _flat(z)
        if flat.shape[1] != a.shape[1]:
            raise ValueError(f"least_squares has {a.shape[1]} columns; the draws have {flat.shape[1]} coordinates")
        return ((flat @ a.T.to(z.dtype) - y.to(z.dtype)) ** 2).sum(-1)

    return Objective(r"\Vert A z - y\Vert^2", f)


def cost_minus_log(cost: float = 0.2) -> Objective:
    r""":math:`f(z) = c\,z - \log(1 + z)`, for counts: a diminishing return minus a linear cost.

    Every derivative is non-zero (:math:`f'' = (1+z)^{-2}`, :math:`f''' = -2(1+z)^{-3}`), so neither straight-through
    nor the trapezoid rule of the Poisson pWGF estimator is exact. For :math:`0 < c < \log 2` the loss
    :math:`L(\lambda) = \mathbb{E}[f(Z)]` has its minimum at an interior rate.

    Parameters
    ----------
    cost : float, default 0.2
        The cost :math:`c`, a single number in :math:`(0, \log 2)`.

    Returns
    -------
    Objective
        The objective (summed over coordinates).
    """
    c = as_parameter(cost, "cost").detach()
    if c.numel() != 1 or not 0 < float(c) < math.log(2):
        raise ValueError(f"cost must be a single number in (0, log 2) (interior minimum); got {cost!r}")
    c = float(c)

    def f(z: torch.Tensor) -> torch.Tensor:
        flat = _flat(z)
        return (c * flat - torch.log1p(flat)).sum(-1)

    return Objective(rf"{c:g}\,z - \log(1 + z)", f)
