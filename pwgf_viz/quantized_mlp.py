r"""An activation-quantized MLP on scikit-learn's bundled digits, trained with a straight-through proxy.

The hidden layer outputs :math:`\sigma(W_1x + b_1)` with :math:`\sigma(x) = \mathbb 1[x > 0]`; the backward pass
replaces :math:`\sigma'` by the derivative :math:`\mu'` of a proxy of :data:`pwgf_viz.quantized.STES` (chapter
``quantized-nets``, eq. ``eq-coarse``). Nothing is downloaded: ``sklearn.datasets.load_digits`` ships with
scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from .quantized import check_ste
from .validation import check_count, check_positive


def proxy_derivative_torch(ste: str, x: torch.Tensor) -> torch.Tensor:
    r""":math:`\mu'(x)` of the proxy as a tensor of ``x``'s dtype (see :func:`pwgf_viz.quantized.proxy_derivative`).

    Parameters
    ----------
    ste : {"identity", "relu", "clipped_relu"}
        The proxy (:data:`pwgf_viz.quantized.STES`).
    x : torch.Tensor
        Pre-activations, any shape.

    Returns
    -------
    torch.Tensor
        Zeros and ones of ``x``'s shape and dtype.
    """
    ste = check_ste(ste)
    if ste == "identity":
        return torch.ones_like(x)
    if ste == "relu":
        return (x > 0).to(x.dtype)
    return ((x > 0) & (x < 1)).to(x.dtype)


class _BinarizedReLU(torch.autograd.Function):
    r"""Forward :math:`\mathbb 1[x > 0]`; backward: the incoming gradient times :math:`\mu'(x)` of the proxy."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor, ste: str) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.ste = ste
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (x,) = ctx.saved_tensors
        return grad * proxy_derivative_torch(ctx.ste, x), None


def binarized_relu(x: torch.Tensor, ste: str) -> torch.Tensor:
    """:math:`\\sigma(x)` whose backward pass uses the proxy ``ste``.

    Parameters
    ----------
    x : torch.Tensor
        Pre-activations, floating, any shape.
    ste : {"identity", "relu", "clipped_relu"}
        The proxy of the backward pass.

    Returns
    -------
    torch.Tensor
        Zeros and ones of ``x``'s shape and dtype, differentiable in ``x`` through :math:`\\mu'`.
    """
    ste = check_ste(ste)
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"x must be a floating-point torch tensor; got {type(x).__name__}")
    return _BinarizedReLU.apply(x, ste)


def digits_split(test_size: float = 0.3) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Digits scaled to [0, 1], split stratified with ``random_state=0``: ``x_train, y_train, x_test, y_test``.

    Parameters
    ----------
    test_size : float, default 0.3
        Share of the 1797 images in the test set, in (0, 1).

    Returns
    -------
    tuple of torch.Tensor
        ``(x_train, y_train, x_test, y_test)``: images as float32 of shape ``(n, 64)`` in [0, 1], labels as int64
        from 0 to 9.
    """
    test_size = check_positive(test_size, "test_size")
    if not test_size < 1:
        raise ValueError(f"test_size must lie in (0, 1); got {test_size}")
    data = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data / 16.0, data.target, test_size=test_size, random_state=0, stratify=data.target)
    as_x = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    as_y = lambda a: torch.as_tensor(a, dtype=torch.long)  # noqa: E731
    return as_x(x_train), as_y(y_train), as_x(x_test), as_y(y_test)


@dataclass(frozen=True)
class DigitsRun:
    """One training run: the proxy, the seed, the training loss per epoch and the final accuracies.

    Parameters
    ----------
    ste : str
        The proxy of :data:`pwgf_viz.quantized.STES`.
    seed : int
        The run's seed.
    epoch_loss : numpy.ndarray
        Mean training cross-entropy of each epoch, shape ``(epochs,)``.
    train_accuracy : float
        Final accuracy on the training set, in [0, 1].
    test_accuracy : float
        Final accuracy on the test set, in [0, 1].
    """

    ste: str
    seed: int
    epoch_loss: np.ndarray
    train_accuracy: float
    test_accuracy: float


def train_digits(ste: str, seed: int, hidden: int = 128, epochs: int = 30, lr: float = 0.01,
                 batch: int = 64) -> DigitsRun:
    r"""Train ``64 -> hidden -> sigma -> 10`` with Adam on cross-entropy, the proxy ``ste`` in the backward pass.

    The seed fixes the initial weights and the order of the minibatches (``torch.Generator``). The network is tiny,
    so torch runs on one thread during the call (many threads only contend on a shared machine); the previous
    setting is restored afterwards.

    Parameters
    ----------
    ste : {"identity", "relu", "clipped_relu"}
        The proxy.
    seed : int
        Seed of the initial weights and the batch order, in ``[0, 2**31 - 1]``.
    hidden : int, default 128
        Hidden units, in [1, 4096].
    epochs : int, default 30
        Passes over the training set, in [1, 1000].
    lr : float, default 0.01
        Adam's step size, > 0, finite.
    batch : int, default 64
        Images per step, in [1, 2048].

    Returns
    -------
    DigitsRun
        The per-epoch losses and the final accuracies.
    """
    ste = check_ste(ste)
    seed = check_count(seed, "seed", minimum=0, maximum=2**31 - 1)
    hidden = check_count(hidden, "hidden", maximum=4096)
    epochs = check_count(epochs, "epochs", maximum=1000)
    lr = check_positive(lr, "lr")
    batch = check_count(batch, "batch", maximum=2048)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(ste, seed, hidden, epochs, lr, batch)
    finally:
        torch.set_num_threads(threads)


def _train(ste: str, seed: int, hidden: int, epochs: int, lr: float, batch: int) -> DigitsRun:
    x_train, y_train, x_test, y_test = digits_split()
    generator = torch.Generator().manual_seed(seed)
    first = torch.nn.Linear(64, hidden)
    second = torch.nn.Linear(hidden, 10)
    with torch.no_grad():
        for layer in (first, second):
            bound = layer.in_features ** -0.5
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
    params = [*first.parameters(), *second.parameters()]
    optimizer = torch.optim.Adam(params, lr=lr)

    def logits(x: torch.Tensor) -> torch.Tensor:
        return second(binarized_relu(first(x), ste))

    epoch_loss = []
    for _ in range(epochs):
        order = torch.randperm(len(x_train), generator=generator)
        total = 0.0
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            loss = torch.nn.functional.cross_entropy(logits(x_train[idx]), y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
        epoch_loss.append(total / len(order))
    with torch.no_grad():
        train_acc = float((logits(x_train).argmax(1) == y_train).float().mean())
        test_acc = float((logits(x_test).argmax(1) == y_test).float().mean())
    return DigitsRun(ste, seed, np.array(epoch_loss), train_acc, test_acc)
