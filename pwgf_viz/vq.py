r"""Vector quantisation with a straight-through or a rotation-trick gradient (chapter ``beyond-straight-through``).

An encoder output :math:`z \in \mathbb R^d` is replaced by its nearest codebook vector
:math:`q = e_k`, :math:`k = \arg\min_j \lVert z - e_j \rVert`. The map :math:`z \mapsto q` is piecewise constant, so
its derivative is zero almost everywhere and the encoder needs a surrogate gradient. Both surrogates of this module
pass the forward value :math:`q` unchanged and differ only in the frozen affine map that carries the gradient at
:math:`q` back to :math:`z` (eq. ``eq-vq-surrogates`` of the chapter):

- ``"st"``, straight-through (van den Oord, Vinyals and Kavukcuoglu 2017): :math:`\tilde q = z + \mathrm{sg}(q - z)`,
  so :math:`\partial\tilde q/\partial z = I` and :math:`\nabla_z = \nabla_q`;
- ``"rotation"``, the rotation trick (Fifty et al. 2025): :math:`\tilde q = \mathrm{sg}(\lambda R)\,z` with
  :math:`\lambda = \lVert q\rVert / \lVert z\rVert` and :math:`R` the rotation that takes :math:`\hat z = z/\lVert z
  \rVert` to :math:`\hat q = q/\lVert q\rVert` in the plane they span and fixes its orthogonal complement,
  :math:`R = I - 2rr^\top + 2\hat q\hat z^\top`, :math:`r = (\hat z + \hat q)/\lVert\hat z + \hat q\rVert`; so
  :math:`\nabla_z = \lambda R^\top\nabla_q`.

:class:`VQAutoencoder` is a small VQ autoencoder of the 8 x 8 digits trained with either, with the codebook and
commitment terms of van den Oord et al.; :func:`run` trains one and measures reconstruction and codebook use.
The reference implementation of the rotation trick is ``github.com/cfifty/rotation_trick``; this code is the
book's own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from . import data, results
from .models import mlp
from .validation import check_choice, check_count, check_positive

#: Surrogate gradients of the quantiser, by name.
GRADIENTS = ("st", "rotation")
#: Below this norm (of z, or of z_hat + q_hat) the rotation is undefined and the straight-through map is used.
DEGENERATE_NORM = 1e-6


def _check_pair(z: object, q: object) -> tuple[torch.Tensor, torch.Tensor]:
    for name, value in (("z", z), ("q", q)):
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            raise TypeError(f"{name} must be a floating torch tensor of shape (..., d); got {type(value).__name__}")
    if z.shape != q.shape or z.dim() == 0:
        raise ValueError(f"z and q must have the same shape (..., d); got {tuple(z.shape)} and {tuple(q.shape)}")
    if not (bool(torch.isfinite(z.detach()).all()) and bool(torch.isfinite(q.detach()).all())):
        raise ValueError("z and q must hold finite values")
    return z, q


def straight_through(z: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    r"""Straight-through quantisation: the value of ``q``, the gradient of the identity in ``z``.

    Parameters
    ----------
    z : torch.Tensor
        Encoder outputs, shape ``(..., d)``.
    q : torch.Tensor
        Their codebook vectors, same shape.

    Returns
    -------
    torch.Tensor
        :math:`z + \mathrm{sg}(q - z)` (eq. ``eq-vq-surrogates``): equal to ``q``, with
        :math:`\partial/\partial z = I`.
    """
    z, q = _check_pair(z, q)
    return z + (q - z).detach()


def rotation_matrix(z: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    r"""The rotation :math:`R = I - 2rr^\top + 2\hat q\hat z^\top` of the rotation trick, as a matrix.

    Parameters
    ----------
    z, q : torch.Tensor
        Vectors of shape ``(d,)``, nonzero, with :math:`\hat z \ne -\hat q`.

    Returns
    -------
    torch.Tensor
        The ``(d, d)`` rotation with :math:`R\hat z = \hat q` (the product of the reflections in :math:`r^\perp`
        and :math:`\hat q^\perp`, so :math:`R^\top R = I` and :math:`\det R = 1`). For checks and pictures;
        :func:`rotation_trick` never forms it.

    References
    ----------
    Fifty, C. et al. (2025). Restructuring vector quantization with the rotation trick. ICLR.
    """
    z, q = _check_pair(z, q)
    if z.dim() != 1:
        raise ValueError(f"z and q must be vectors of shape (d,); got shape {tuple(z.shape)}")
    z_hat, q_hat = z / z.norm(), q / q.norm()
    s = z_hat + q_hat
    if not (z.norm() > DEGENERATE_NORM and q.norm() > DEGENERATE_NORM and s.norm() > DEGENERATE_NORM):
        raise ValueError("the rotation is undefined for z = 0, q = 0 or z pointing opposite to q")
    r = s / s.norm()
    eye = torch.eye(z.shape[0], dtype=z.dtype)
    return eye - 2 * torch.outer(r, r) + 2 * torch.outer(q_hat, z_hat)


def rotation_trick(z: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    r"""Rotation-trick quantisation: the value of ``q``, the gradient of :math:`z \mapsto \lambda R z` (frozen).

    Parameters
    ----------
    z, q : torch.Tensor
        As in :func:`straight_through`.

    Returns
    -------
    torch.Tensor
        Equal to ``q`` (the float rounding of :math:`\lambda R z` is removed by a detached correction), with
        :math:`\partial/\partial z = \lambda R` row by row (eq. ``eq-vq-surrogates``). Rows where the rotation is
        undefined (:math:`\lVert z\rVert`, :math:`\lVert q\rVert` or :math:`\lVert\hat z + \hat q\rVert` below
        :data:`DEGENERATE_NORM`) get the straight-through gradient.

    References
    ----------
    Fifty, C. et al. (2025). Restructuring vector quantization with the rotation trick. ICLR.
    """
    z, q = _check_pair(z, q)
    with torch.no_grad():
        z_norm = z.norm(dim=-1, keepdim=True)
        q_norm = q.norm(dim=-1, keepdim=True)
        z_hat = z / z_norm.clamp_min(DEGENERATE_NORM)
        q_hat = q / q_norm.clamp_min(DEGENERATE_NORM)
        s = z_hat + q_hat
        s_norm = s.norm(dim=-1, keepdim=True)
        ok = (z_norm > DEGENERATE_NORM) & (q_norm > DEGENERATE_NORM) & (s_norm > DEGENERATE_NORM)
        r = s / s_norm.clamp_min(DEGENERATE_NORM)
        scale = q_norm / z_norm.clamp_min(DEGENERATE_NORM)
    # lambda * R z without forming R: R z = z - 2 r (r.z) + 2 q_hat (z_hat.z).
    rotated = scale * (z - 2 * r * (r * z).sum(-1, keepdim=True) + 2 * q_hat * (z_hat * z).sum(-1, keepdim=True))
    surrogate = torch.where(ok, rotated, z)
    return surrogate + (q - surrogate).detach()


_SURROGATES = {"st": straight_through, "rotation": rotation_trick}


def encoder_gradient(z: torch.Tensor, q: torch.Tensor, grad_q: torch.Tensor, gradient: str) -> torch.Tensor:
    r"""The gradient that a surrogate passes to the encoder outputs ``z`` when the loss has gradient ``grad_q`` at q.

    Parameters
    ----------
    z, q : torch.Tensor
        Encoder outputs and their codebook vectors, shape ``(..., d)``.
    grad_q : torch.Tensor
        :math:`\nabla_q L`, same shape (or broadcastable to it).
    gradient : {"st", "rotation"}
        The surrogate.

    Returns
    -------
    torch.Tensor
        :math:`\nabla_z` of :math:`\langle \nabla_q L, \tilde q(z)\rangle` by autograd: ``grad_q`` itself for
        ``"st"``, :math:`\lambda R^\top \nabla_q L` for ``"rotation"`` (eq. ``eq-vq-surrogates``).
    """
    gradient = check_gradient(gradient)
    z, q = _check_pair(z, q)
    if not isinstance(grad_q, torch.Tensor) or not bool(torch.isfinite(grad_q).all()):
        raise TypeError("grad_q must be a finite torch tensor broadcastable to the shape of z")
    z = z.detach().requires_grad_(True)
    (_SURROGATES[gradient](z, q.detach()) * grad_q).sum().backward()
    return z.grad


def check_gradient(gradient: object) -> str:
    """Return ``gradient`` if it names a surrogate of :data:`GRADIENTS`, else raise.

    Parameters
    ----------
    gradient : object
        The argument to check.

    Returns
    -------
    str
        ``gradient``.
    """
    return check_choice(gradient, "gradient", GRADIENTS)


class Quantised(NamedTuple):
    """Encoder outputs ``z``, their codes ``q``, the surrogate passed on, and the code ``indices``."""

    z: torch.Tensor
    q: torch.Tensor
    surrogate: torch.Tensor
    indices: torch.Tensor


class VQAutoencoder(nn.Module):
    r"""An MLP autoencoder with ``n_latent`` vectors of dimension ``dim`` quantised by one shared codebook.

    Parameters
    ----------
    n_features : int
        Pixels per image.
    n_latent : int
        Quantised vectors per image.
    dim : int
        Their dimension :math:`d`.
    codebook_size : int
        :math:`K`, the number of codebook vectors, initialised uniformly on :math:`[-1/K, 1/K]^d` (a common choice
        of PyTorch VQ-VAE implementations).
    gradient : {"st", "rotation"}
        The surrogate gradient of the quantiser.
    hidden : int or None, default 64
        Hidden tanh units of the encoder and of the decoder (:func:`pwgf_viz.models.mlp`).
    commitment : float, default 0.25
        :math:`\beta` of the commitment term.
    """

    def __init__(self, n_features: int, n_latent: int, dim: int, codebook_size: int, gradient: str,
                 hidden: int | None = 64, commitment: float = 0.25) -> None:
        super().__init__()
        self.n_features = check_count(n_features, "n_features", minimum=1, maximum=100_000)
        self.n_latent = check_count(n_latent, "n_latent", minimum=1, maximum=1000)
        self.dim = check_count(dim, "dim", minimum=1, maximum=1000)
        self.codebook_size = check_count(codebook_size, "codebook_size", minimum=2, maximum=100_000)
        self.gradient = check_gradient(gradient)
        self.commitment = check_positive(commitment, "commitment")
        self.encoder = mlp(self.n_features, self.n_latent * self.dim, hidden)
        self.decoder = mlp(self.n_latent * self.dim, self.n_features, hidden)
        bound = 1.0 / self.codebook_size
        self.codebook = nn.Parameter(torch.empty(self.codebook_size, self.dim).uniform_(-bound, bound))

    def _check_data(self, x: object) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError(f"x must be a floating torch tensor of shape (n, {self.n_features})")
        if x.dim() != 2 or x.shape[1] != self.n_features or x.shape[0] == 0:
            raise ValueError(f"x must have shape (n, {self.n_features}) with n >= 1; got {tuple(x.shape)}")
        if not bool(torch.isfinite(x).all()):
            raise ValueError("x must hold finite values")
        return x

    def quantise(self, x: torch.Tensor) -> Quantised:
        """Encode ``x`` and replace each of its ``n_latent`` vectors by the nearest codebook vector.

        Parameters
        ----------
        x : torch.Tensor
            Images, floating, shape ``(n, n_features)`` with ``n >= 1``, finite.

        Returns
        -------
        Quantised
            ``z`` and ``q``, shape ``(n, n_latent, dim)`` (``q`` carries the codebook's gradient), the ``surrogate`` of
            the chosen gradient (value ``q``), and the code ``indices``, shape ``(n, n_latent)``.
        """
        x = self._check_data(x)
        z = self.encoder(x).reshape(x.shape[0], self.n_latent, self.dim)
        with torch.no_grad():
            indices = torch.cdist(z.reshape(-1, self.dim), self.codebook).argmin(-1).reshape(z.shape[:2])
        q = self.codebook[indices]
        return Quantised(z, q, _SURROGATES[self.gradient](z, q), indices)

    def reconstruct(self, surrogate: torch.Tensor) -> torch.Tensor:
        """Decoder output in [0, 1] (a sigmoid) for quantised vectors of shape ``(n, n_latent, dim)``.

        Parameters
        ----------
        surrogate : torch.Tensor
            Quantised vectors, shape ``(n, n_latent, dim)``.

        Returns
        -------
        torch.Tensor
            The reconstructions, shape ``(n, n_features)``.
        """
        return torch.sigmoid(self.decoder(surrogate.reshape(surrogate.shape[0], -1)))

    def training_loss(self, x: torch.Tensor) -> torch.Tensor:
        r"""Reconstruction MSE, plus :math:`\lVert\mathrm{sg}(z) - q\rVert^2` (codebook) and
        :math:`\beta\lVert z - \mathrm{sg}(q)\rVert^2` (commitment), each a mean over entries.

        Parameters
        ----------
        x : torch.Tensor
            The batch of images, as in :meth:`quantise`.

        Returns
        -------
        torch.Tensor
            The scalar loss.
        """
        out = self.quantise(x)
        reconstruction = (self.reconstruct(out.surrogate) - x).pow(2).mean()
        codebook = (out.z.detach() - out.q).pow(2).mean()
        commitment = (out.z - out.q.detach()).pow(2).mean()
        return reconstruction + codebook + self.commitment * commitment

    @torch.no_grad()
    def scores(self, x: torch.Tensor) -> dict[str, float]:
        """Reconstruction MSE per pixel, quantisation error, codebook use and code perplexity on ``x``.

        Parameters
        ----------
        x : torch.Tensor
            Images (as in :meth:`quantise`).

        Returns
        -------
        dict of str to float
            ``mse`` (per pixel, decoding the codes), ``quantisation_error`` (mean :math:`\\lVert z - q\\rVert^2`),
            ``codes_used`` (an int) and ``perplexity`` (the exponential of the codes' entropy).
        """
        out = self.quantise(x)
        counts = torch.bincount(out.indices.reshape(-1), minlength=self.codebook_size).double()
        freq = counts / counts.sum()
        entropy = -(freq[freq > 0] * freq[freq > 0].log()).sum()
        return {"mse": float((self.reconstruct(out.q) - x).pow(2).mean()),
                "quantisation_error": float((out.z - out.q).pow(2).sum(-1).mean()),
                "codes_used": int((counts > 0).sum()), "perplexity": float(entropy.exp())}


@dataclass(frozen=True)
class Setting:
    """Epochs, seeds, model shape and optimiser of the VQ autoencoder runs.

    Parameters
    ----------
    epochs : int
        Passes over the training set, in [1, 100000].
    seeds : int
        Number of seeds :func:`run_all` runs (0 to ``seeds - 1``).
    codebook_sizes : tuple of int, default (64, 256)
        The codebook sizes :math:`K` :func:`run_all` compares, each in [2, 100000].
    n_latent : int, default 4
        Quantised vectors per image.
    dim : int, default 8
        Their dimension.
    hidden : int or None, default 64
        Hidden width of encoder and decoder (``None``: linear).
    batch_size : int, default 100
        Images per step.
    learning_rate : float, default 1e-3
        Adam's step size, > 0.
    checkpoint : int, default 5
        Epochs between recorded test scores, in [1, 100000].
    """

    epochs: int
    seeds: int
    codebook_sizes: tuple[int, ...] = (64, 256)
    n_latent: int = 4
    dim: int = 8
    hidden: int | None = 64
    batch_size: int = 100
    learning_rate: float = 1e-3
    #: Test scores are recorded every ``checkpoint`` epochs (and after the last).
    checkpoint: int = 5


#: ``quick``: what the book runs; ``full``: from ``experiments/beyond_st.py --vq --setting full``.
SETTINGS = {"quick": Setting(epochs=60, seeds=3), "full": Setting(epochs=300, seeds=10)}


def run(gradient: str, codebook_size: int, setting: Setting, seed: int = 0) -> dict[str, object]:
    r"""Train one :class:`VQAutoencoder` on the grey-level digits; return its test scores and the wall time.

    Parameters
    ----------
    gradient : {"st", "rotation"}
        The surrogate gradient of the quantiser.
    codebook_size : int
        :math:`K`.
    setting : Setting
        Epochs, model shape, batch size, learning rate (Adam) and checkpoint interval.
    seed : int, default 0
        Seeds the initialisation and the batches (the global generator is restored after).

    Returns
    -------
    dict
        ``gradient``, ``codebook_size``, ``seed``; the final test ``mse`` (per pixel), ``quantisation_error``
        (mean :math:`\lVert z - q\rVert^2`), ``codes_used``, ``perplexity`` (of the test codes' frequencies);
        ``train_mse``; ``history``, a list of ``[epoch, codes_used, mse]`` on the test set; ``seconds``.
    """
    gradient = check_gradient(gradient)
    codebook_size = check_count(codebook_size, "codebook_size", minimum=2, maximum=100_000)
    check_positive(setting.learning_rate, "learning_rate")
    epochs = check_count(setting.epochs, "epochs", minimum=1, maximum=100_000)
    checkpoint = check_count(setting.checkpoint, "checkpoint", minimum=1, maximum=100_000)
    split = data.digits()
    train, test = split.train, split.test
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        model = VQAutoencoder(train.shape[1], setting.n_latent, setting.dim, codebook_size, gradient,
                              setting.hidden)
        optimizer = torch.optim.Adam(model.parameters(), lr=setting.learning_rate)
        history: list[list[float]] = []
        start = time.perf_counter()
        for epoch in range(1, epochs + 1):
            order = torch.randperm(train.shape[0])
            for i in range(0, train.shape[0], setting.batch_size):
                loss = model.training_loss(train[order[i:i + setting.batch_size]])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            if epoch % checkpoint == 0 or epoch == epochs:
                scores = model.scores(test)
                history.append([epoch, scores["codes_used"], scores["mse"]])
        seconds = time.perf_counter() - start
        return {"gradient": gradient, "codebook_size": codebook_size, "seed": seed, **model.scores(test),
                "train_mse": model.scores(train)["mse"], "history": history, "seconds": seconds}


def run_all(setting: Setting, progress: bool = False, save=None) -> list[dict[str, object]]:
    """:func:`run` for every seed (outermost), codebook size and gradient; ``save(records)`` after each run.

    Parameters
    ----------
    setting : Setting
        Epochs, seeds, codebook sizes and optimiser (e.g. ``SETTINGS["quick"]``).
    progress : bool, default False
        Print one line per run: its codebook size, gradient, seed, test MSE, codes used and time.
    save : callable, optional
        As in :func:`pwgf_viz.results.run_each`.

    Returns
    -------
    list of dict
        The records of :func:`run`, seed-major (codebook size, then gradient).
    """
    calls = [(gradient, size, setting, seed) for seed in range(setting.seeds)
             for size in setting.codebook_sizes for gradient in GRADIENTS]
    return results.run_each(run, calls, _describe if progress else None, save)


def _describe(r: dict) -> str:
    return (f"K={r['codebook_size']} {r['gradient']} seed {r['seed']}: test MSE {r['mse']:.4f}, {r['codes_used']} "
            f"codes used ({r['seconds']:.0f} s)")


__all__ = ["DEGENERATE_NORM", "GRADIENTS", "Quantised", "SETTINGS", "Setting", "VQAutoencoder", "check_gradient",
           "encoder_gradient", "rotation_matrix", "rotation_trick", "run", "run_all", "straight_through"]
