r"""Data sets of the experiment chapters (Part IV): binarized digits, and counts from a known Poisson factor model.

- :func:`binarized_digits`: scikit-learn's bundled 8 x 8 digits (1797 images, grey levels 0 to 16), a pixel set to
  1 when its grey level is at least ``threshold``, split once into a training and a test set. Nothing is
  downloaded.
- :func:`digits`: the same images and split with grey levels scaled to [0, 1] (the VQ autoencoder of Part VI).
- :func:`binarized_mnist`: the 28 x 28 MNIST digits from OpenML, for readers with internet. It downloads
  (``sklearn.datasets.fetch_openml``) and is never called when the book is built.
- :func:`poisson_factor_data`: counts :math:`x \mid z \sim \mathrm{Poisson}(b + W z)` with latent counts
  :math:`z \sim \mathrm{Poisson}(\lambda_0)^K` and known loadings :math:`W` (eq. ``eq-poisson-factor`` of the Poisson
  chapter), so a fitted model can be compared with the parameters that generated the data.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from .validation import as_parameter, check_count, check_positive

#: Grey levels of scikit-learn's digits run from 0 to 16.
DIGITS_MAX_LEVEL = 16


class Split(NamedTuple):
    """A training and a test set, float32 tensors of shape ``(n, features)``."""

    train: torch.Tensor
    test: torch.Tensor


class FactorData(NamedTuple):
    """Counts from a known Poisson factor model and the parameters that generated them (float32 tensors)."""

    train: torch.Tensor
    test: torch.Tensor
    loadings: torch.Tensor
    offset: torch.Tensor
    prior_rate: float


def _check_fraction(value: object, name: str) -> float:
    value = check_positive(value, name)
    if not value < 1:
        raise ValueError(f"{name} must lie in the open interval (0, 1); got {value}")
    return value


def _check_split(test_fraction: object, seed: object) -> tuple[float, int]:
    """The checked arguments of :func:`_split` (checked before any data is loaded)."""
    return _check_fraction(test_fraction, "test_fraction"), check_count(seed, "seed", minimum=0, maximum=2**32 - 1)


def _split(x: np.ndarray, test_fraction: float, seed: int) -> Split:
    """One fixed random split: a permutation drawn from ``numpy.random.default_rng(seed)``."""
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    as_tensor = lambda rows: torch.from_numpy(np.ascontiguousarray(x[rows], dtype=np.float32))  # noqa: E731
    return Split(as_tensor(order[n_test:]), as_tensor(order[:n_test]))


def binarized_digits(threshold: int = 8, test_fraction: float = 0.2, seed: int = 0) -> Split:
    r"""scikit-learn's 8 x 8 digits as binary images: :math:`x_j = 1[\text{grey level}_j \ge \text{threshold}]`.

    1797 images of 64 pixels; ``test_fraction`` of them (rounded) form the test set, chosen by a permutation
    seeded with ``seed``. The default split has 1438 training and 359 test images.

    Parameters
    ----------
    threshold : int, default 8
        The grey level (of 0 to 16) from which a pixel is 1, in [1, 16].
    test_fraction : float, default 0.2
        Share of the images in the test set, in (0, 1).
    seed : int, default 0
        Seed of the permutation that chooses the test set, in ``[0, 2**32 - 1]``.

    Returns
    -------
    Split
        float32 tensors of zeros and ones, shape ``(n, 64)``.
    """
    from sklearn.datasets import load_digits

    threshold = check_count(threshold, "threshold", minimum=1, maximum=DIGITS_MAX_LEVEL)
    test_fraction, seed = _check_split(test_fraction, seed)
    images = load_digits().data
    return _split((images >= threshold).astype(np.float32), test_fraction, seed)


def digits(test_fraction: float = 0.2, seed: int = 0) -> Split:
    r"""scikit-learn's 8 x 8 digits with grey levels scaled to [0, 1]: :math:`x_j = \text{grey level}_j / 16`.

    Parameters
    ----------
    test_fraction : float, default 0.2
        Share of the 1797 images in the test set, in (0, 1); the split is :func:`binarized_digits`'s.
    seed : int, default 0
        As in :func:`binarized_digits`.

    Returns
    -------
    Split
        float32 tensors of shape ``(n, 64)``; the default split has 1438 training and 359 test images.
    """
    from sklearn.datasets import load_digits

    test_fraction, seed = _check_split(test_fraction, seed)
    return _split((load_digits().data / DIGITS_MAX_LEVEL).astype(np.float32), test_fraction, seed)


def binarized_mnist(threshold: float = 0.5, test_fraction: float = 1 / 7, seed: int = 0) -> Split:  # pragma: no cover
    r"""MNIST (70 000 images of 784 pixels, OpenML ``mnist_784``), :math:`x_j = 1[\text{intensity}_j/255 \ge
    \text{threshold}]`. **Downloads about 50 MB** on first use (cached by scikit-learn); not used by the book's build.

    Parameters
    ----------
    threshold : float, default 0.5
        The intensity, as a fraction of 255, from which a pixel is 1, in (0, 1).
    test_fraction, seed
        As in :func:`binarized_digits` (here ``test_fraction`` defaults to 1/7, the usual 10 000 test images).

    Returns
    -------
    Split
        float32 tensors of zeros and ones, shape ``(n, 784)``; the default split has 60 000 training and 10 000 test
        images.
    """
    from sklearn.datasets import fetch_openml

    threshold = _check_fraction(threshold, "threshold")
    test_fraction, seed = _check_split(test_fraction, seed)
    images = fetch_openml("mnist_784", version=1, as_frame=False, parser="liac-arff").data / 255.0
    return _split((images >= threshold).astype(np.float32), test_fraction, seed)


def bars_loadings(n_factors: int = 4, words_per_factor: int = 5, weight: float = 2.0) -> torch.Tensor:
    r"""Loadings :math:`W` of shape ``(n_factors * words_per_factor, n_factors)``: factor :math:`k` raises the rate of
    its own block of ``words_per_factor`` words by ``weight`` per unit of :math:`z_k` (a "topic" of bars).

    Parameters
    ----------
    n_factors : int, default 4
        Number of factors :math:`K`, in [1, 64].
    words_per_factor : int, default 5
        Words in each factor's block, in [1, 1000].
    weight : float, default 2.0
        The loading of a factor on its own words, > 0, finite.

    Returns
    -------
    torch.Tensor
        float32 matrix of shape ``(n_factors * words_per_factor, n_factors)``: ``weight`` on the blocks, 0 elsewhere.
    """
    n_factors = check_count(n_factors, "n_factors", minimum=1, maximum=64)
    words_per_factor = check_count(words_per_factor, "words_per_factor", minimum=1, maximum=1000)
    weight = check_positive(weight, "weight")
    blocks = torch.eye(n_factors).repeat_interleave(words_per_factor, dim=0)
    return weight * blocks


def poisson_factor_data(loadings: object, offset: object, prior_rate: float, n_train: int, n_test: int,
                        seed: int = 0) -> FactorData:
    r"""Draw counts from the Poisson factor model

    .. math:: z \sim \mathrm{Poisson}(\lambda_0)^K, \qquad x \mid z \sim \mathrm{Poisson}(b + W z),

    with ``loadings`` :math:`W \ge 0` of shape ``(V, K)``, ``offset`` :math:`b > 0` of shape ``(V,)`` and
    ``prior_rate`` :math:`\lambda_0`; ``n_train + n_test`` rows from ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    loadings : array_like
        :math:`W`, shape ``(V, K)``, finite, every entry >= 0.
    offset : array_like
        :math:`b`, shape ``(V,)``, every entry > 0.
    prior_rate : float
        :math:`\lambda_0 > 0`, finite.
    n_train : int
        Training rows, in [1, 1000000].
    n_test : int
        Test rows, in [1, 1000000].
    seed : int, default 0
        Seed of the draws, in ``[0, 2**32 - 1]``.

    Returns
    -------
    FactorData
        The ``train`` and ``test`` counts (float32, shapes ``(n_train, V)`` and ``(n_test, V)``), the ``loadings`` and
        ``offset`` as float32 tensors, and ``prior_rate``.
    """
    w = as_parameter(loadings, "loadings").detach().double()
    b = as_parameter(offset, "offset").detach().double()
    if w.dim() != 2:
        raise ValueError(f"loadings must be a matrix of shape (V, K); got shape {tuple(w.shape)}")
    if bool((w < 0).any()):
        raise ValueError("loadings must be >= 0 (rates of the counts add up)")
    if b.shape != (w.shape[0],) or bool((b <= 0).any()):
        raise ValueError(f"offset must have shape ({w.shape[0]},) and entries > 0; got shape {tuple(b.shape)}")
    prior_rate = check_positive(prior_rate, "prior_rate")
    n_train = check_count(n_train, "n_train", minimum=1, maximum=1_000_000)
    n_test = check_count(n_test, "n_test", minimum=1, maximum=1_000_000)
    rng = np.random.default_rng(check_count(seed, "seed", minimum=0, maximum=2**32 - 1))
    n = n_train + n_test
    z = rng.poisson(prior_rate, size=(n, w.shape[1]))
    x = rng.poisson(b.numpy() + z @ w.numpy().T).astype(np.float32)
    data = torch.from_numpy(x)
    return FactorData(data[:n_train], data[n_train:], w.float(), b.float(), prior_rate)
