r"""One step of the projected Wasserstein gradient flow on a one-dimensional Bernoulli (intro, ``eq-intro-st-step``).

The atoms :math:`z \in \{0, 1\}` with masses :math:`(1-p, p)` move by the particle step of the Wasserstein gradient
flow of :math:`F(q) = \mathbb{E}_q[f]`, :math:`z \mapsto z - \epsilon f'(z)`; the moved cloud is projected back onto
the Bernoulli family by matching its mean:

.. math:: p' = \mathbb{E}[z - \epsilon f'(z)] = p - \epsilon\, \mathbb{E}_{z\sim\mathrm{Bern}(p)}[f'(z)],

one step of gradient descent with the mean straight-through gradient. Part III of the book derives this in general.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .objectives import Objective
from .validation import check_objective, check_parameter, check_positive, evaluate_objective


class BernoulliStep(NamedTuple):
    """Atoms, their masses, where the flow moved them, and the projected parameter."""

    atoms: torch.Tensor
    masses: torch.Tensor
    moved: torch.Tensor
    projected_p: float


def bernoulli_moment_step(f: Objective, p: float, step: float) -> BernoulliStep:
    """Move the two atoms of :math:`\\mathrm{Bern}(p)` by :math:`-\\epsilon f'(z)` and match the mean."""
    f = check_objective(f)
    theta = check_parameter("bernoulli", [p], "p").detach().double()
    step = check_positive(step, "step")
    atoms = torch.tensor([[0.0], [1.0]], dtype=torch.float64, requires_grad=True)
    values = evaluate_objective(f, atoms)
    if not values.requires_grad:
        raise TypeError("f must be differentiable in its input (build it from torch operations): "
                        "its output does not depend on the samples")
    (slopes,) = torch.autograd.grad(values.sum(), atoms, allow_unused=True)
    slopes = torch.zeros_like(atoms) if slopes is None else slopes
    if not bool(torch.isfinite(slopes).all()):
        raise ValueError("f's derivative is not finite at z = 0 or z = 1")
    moved = (atoms.detach() - step * slopes).reshape(-1)
    if not bool(torch.isfinite(moved).all()):
        raise ValueError(f"step = {step:g} moves the atoms out of the finite range; take a smaller step")
    masses = torch.cat([1 - theta, theta])
    return BernoulliStep(atoms.detach().reshape(-1), masses, moved, float(masses @ moved))
