r"""Training loop of the experiment chapters: Adam on minibatches, a tqdm progress bar, seeded, test ELBO per epoch.

:func:`train` fits a :class:`pwgf_viz.models.LatentVAE` and records the test-set ELBO after every epoch
(:func:`evaluate`, a Monte Carlo estimate with ``curve_samples`` draws per test point); :func:`evaluate` with more
draws gives the final ELBO and importance-weighted bound. Everything random is seeded: the model's initial weights
and the training draws by ``torch.manual_seed(seed)``, the minibatch order by ``numpy.random.default_rng(seed)``,
and every evaluation by its own fixed seed (so evaluating does not change the training draws).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from tqdm.auto import tqdm

from .models import LatentVAE
from .validation import check_count, check_positive

#: Seed of the draws of every evaluation (the same test draws for every model and epoch).
EVALUATION_SEED = 12345


class History(NamedTuple):
    """Per-epoch means over the data points: training ELBO (one-draw estimates) and test ELBO."""

    train_elbo: list[float]
    test_elbo: list[float]


class Evaluation(NamedTuple):
    """Test-set means: ELBO and importance-weighted bound (nats per data point)."""

    elbo: float
    importance: float


def evaluate(model: LatentVAE, x: torch.Tensor, samples: int = 100, seed: int = EVALUATION_SEED) -> Evaluation:
    """Mean ELBO and importance-weighted bound over the rows of ``x``, seeded.

    See :meth:`pwgf_viz.models.LatentVAE.bounds`.

    Parameters
    ----------
    model : LatentVAE
        The model.
    x : torch.Tensor
        Data, floating, shape ``(n, n_features)``, in the model's data range.
    samples : int, default 100
        Draws per row, in [1, 100000].
    seed : int, default EVALUATION_SEED
        Seed of the draws, in ``[0, 2**63 - 1]``; the global random state is restored after.

    Returns
    -------
    Evaluation
        The means over the rows of ``x``, in nats per data point.
    """
    if not isinstance(model, LatentVAE):
        raise TypeError(f"model must be a pwgf_viz.models.LatentVAE; got {type(model).__name__}")
    seed = check_count(seed, "seed", minimum=0, maximum=2**63 - 1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        bounds = model.bounds(x, samples)
    return Evaluation(float(bounds.elbo.mean()), float(bounds.importance.mean()))


def train(make_model: Callable[[], LatentVAE], train_x: torch.Tensor, test_x: torch.Tensor, *, epochs: int,
          seed: int = 0, batch_size: int = 100, learning_rate: float = 3e-3, evaluations: int = 2,
          curve_samples: int = 10, progress: bool = False, description: str = "") -> tuple[LatentVAE, History]:
    r"""Seed, build the model with ``make_model()``, and train it for ``epochs`` passes over ``train_x``.

    Each step draws a minibatch of ``batch_size`` rows and takes one Adam step (``learning_rate``) on
    :meth:`pwgf_viz.models.LatentVAE.training_loss` with ``evaluations`` evaluations of ``f`` per data point.
    ``progress`` shows a tqdm bar (on stdout) with the latest test ELBO; the book's build turns it off.

    Parameters
    ----------
    make_model : callable
        Called with no argument after seeding; returns a fresh :class:`~pwgf_viz.models.LatentVAE`.
    train_x : torch.Tensor
        Training data, shape ``(n, n_features)``, in the model's data range.
    test_x : torch.Tensor
        Test data, likewise.
    epochs : int
        Passes over ``train_x``, in [1, 100000].
    seed : int, default 0
        Seed of the initial weights, the draws and the batch order, in ``[0, 2**32 - 1]``.
    batch_size : int, default 100
        Rows per step, in [2, 1000000] (the last batch of an epoch may be smaller).
    learning_rate : float, default 3e-3
        Adam's step size, > 0, finite.
    evaluations : int, default 2
        Evaluations of ``f`` per data point and step (:meth:`~pwgf_viz.models.LatentVAE.draws_per_point`).
    curve_samples : int, default 10
        Draws per test point of the per-epoch test ELBO, in [1, 100000].
    progress : bool, default False
        Show the progress bar.
    description : str, default ""
        The bar's label (the estimator's name when empty).

    Returns
    -------
    model : LatentVAE
        The trained model.
    history : History
        The per-epoch training and test ELBO, ``epochs`` values each.
    """
    epochs = check_count(epochs, "epochs", minimum=1, maximum=100_000)
    seed = check_count(seed, "seed", minimum=0, maximum=2**32 - 1)
    batch_size = check_count(batch_size, "batch_size", minimum=2, maximum=1_000_000)
    learning_rate = check_positive(learning_rate, "learning_rate")
    curve_samples = check_count(curve_samples, "curve_samples", minimum=1, maximum=100_000)
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be a bool; got {type(progress).__name__}")
    if not isinstance(description, str):
        raise TypeError(f"description must be a string (the progress bar's label); got {type(description).__name__}")
    torch.manual_seed(seed)
    model = make_model()
    if not isinstance(model, LatentVAE):
        raise TypeError(f"make_model must return a pwgf_viz.models.LatentVAE; got {type(model).__name__}")
    train_x = model._check_data(train_x, "train_x")
    test_x = model._check_data(test_x, "test_x")
    model.draws_per_point(evaluations)
    order_rng = np.random.default_rng(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    history = History([], [])
    bar = tqdm(range(epochs), desc=description or model.estimator.name, disable=not progress, file=sys.stdout,
               leave=False)
    for _ in bar:
        total, count = 0.0, 0
        order = torch.from_numpy(order_rng.permutation(train_x.shape[0]))
        for start in range(0, train_x.shape[0], batch_size):
            batch = train_x[order[start:start + batch_size]]
            out = model.training_loss(batch, evaluations)
            optimizer.zero_grad(set_to_none=True)
            out.loss.backward()
            optimizer.step()
            total += float(out.elbo) * batch.shape[0]
            count += batch.shape[0]
        history.train_elbo.append(total / count)
        history.test_elbo.append(evaluate(model, test_x, curve_samples).elbo)
        bar.set_postfix(test_elbo=f"{history.test_elbo[-1]:.2f}")
    bar.close()
    return model, history
