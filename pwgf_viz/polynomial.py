r"""ReinMax's polynomial programming benchmark (Liu et al., 2023, sec. 6.1), scored by the exact loss.

:math:`d = 128` independent binary variables :math:`z_i \sim \mathrm{Bern}(\sigma(\omega_i))` and the loss

.. math:: L(\omega) = \mathbb{E}\Big[\frac1d\sum_{i=1}^d |z_i - c|^q\Big]
          = \frac1d\sum_{i=1}^d \big(\sigma(\omega_i)\,(1-c)^q + (1 - \sigma(\omega_i))\,c^q\big),
          \qquad c = 0.45,

(``eq-polynomial``) for :math:`q \in \{1.5, 2, 3\}`: the expectation factorises over coordinates, so every
iterate's loss is exact; the minimum :math:`L^\star = c^q` is reached as every :math:`\sigma(\omega_i) \to 0`.
Adam (learning rate :math:`10^{-3}`) is fed each estimator's mean over a budget of 64 evaluations of ``f`` per
step (ARM and DisARM evaluate twice per draw: 32 draws). The seeds of a run are optimised side by side as
rows of one parameter: Adam is elementwise and each draw depends on its own seed's row only, so this equals
separate runs (``reinforce_baseline`` takes its leave-one-out mean within a seed, ``groups`` = seeds).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch

from .estimators import get_estimator
from .validation import check_count, check_positive

#: The target c of the loss (the absolute difference of z and c, to the power q).
TARGET = 0.45
#: The exponents q of the benchmark.
EXPONENTS = (1.5, 2.0, 3.0)
#: Number of binary variables.
DIMENSION = 128
#: Evaluations of f per step.
BUDGET = 64
#: Estimators run on the benchmark, with their options (``pwgf`` and ``zgr`` equal ``reinmax`` at tau = 1
#: draw by draw, so they are run once, as ``reinmax``).
ESTIMATORS: Mapping[str, Mapping[str, object]] = {
    "reinforce": {},
    "reinforce_baseline": {},
    "arm": {},
    "disarm": {},
    "st": {},
    "gumbel_softmax": {"temperature": 0.5},
    "st_gumbel_softmax": {"temperature": 0.5},
    "gumbel_rao": {"samples": 10, "temperature": 0.5},
    "gapped_st": {"gap": 1.0, "temperature": 1.0},
    "decoupled_st": {"forward_temperature": 1.0, "backward_temperature": 1.0},
    "reinmax": {"temperature": 1.0},
}


@dataclass(frozen=True)
class Setting:
    """Steps, checkpoints and seeds of one run of the benchmark.

    Parameters
    ----------
    steps : int
        Adam steps, in [1, 10**6].
    every : int
        Steps between recorded losses, in ``[1, steps]``.
    seeds : int
        Runs side by side, in [1, 1000].
    lr : float, default 1e-3
        Adam's learning rate.
    exponents : tuple of float, default EXPONENTS
        The exponents :math:`q` :func:`run_all` runs.
    estimators : tuple of str, default all of ESTIMATORS
        The estimators :func:`run_all` runs (keys of :data:`ESTIMATORS`).
    """

    steps: int
    every: int
    seeds: int
    lr: float = 1e-3
    exponents: tuple[float, ...] = EXPONENTS
    estimators: tuple[str, ...] = field(default_factory=lambda: tuple(ESTIMATORS))


#: ``quick``: what the book runs when it is built; ``full``: the paper's 40 x 200 steps and 10 seeds.
SETTINGS = {
    "quick": Setting(steps=200, every=20, seeds=2),
    "full": Setting(steps=8000, every=200, seeds=10),
}


def objective(q: float, target: float = TARGET):
    """The per-draw loss :math:`\\frac1d\\sum_i |z_i - c|^q` of draws of shape ``(n, d)`` (``eq-polynomial``).

    Parameters
    ----------
    q : float
        The exponent, > 0, finite.
    target : float, default TARGET
        The target :math:`c` (:data:`TARGET` = 0.45).

    Returns
    -------
    callable
        ``f(z)``: draws ``(n, d)`` to losses ``(n,)``.
    """
    q = check_positive(q, "q")

    def f(z: torch.Tensor) -> torch.Tensor:
        return (z - target).abs().pow(q).mean(-1)

    return f


def exact_loss(omega: torch.Tensor, q: float, target: float = TARGET) -> torch.Tensor:
    r"""The exact loss :math:`L(\omega)` of every row of ``omega`` (shape ``(..., d)`` to ``(...)``).

    Parameters
    ----------
    omega : torch.Tensor
        Logits, shape ``(..., d)``.
    q : float
        The exponent, > 0.
    target : float, default TARGET
        The target :math:`c`.

    Returns
    -------
    torch.Tensor
        Shape ``(...)``.
    """
    p = torch.sigmoid(omega)
    return (p * (1 - target) ** q + (1 - p) * target ** q).mean(-1)


def run(estimator: str, q: float, setting: Setting, seed: int = 0) -> dict[str, object]:
    r"""Train ``setting.seeds`` runs side by side; return the exact loss curve of each seed.

    Parameters
    ----------
    estimator : str
        A registry name supporting Bernoulli; its options are :data:`ESTIMATORS`' entry.
    q : float
        The exponent of the loss.
    setting : Setting
        Steps, checkpoint spacing, seeds and learning rate.
    seed : int, default 0
        Base seed: the initial logits :math:`\omega_0 \sim N(0, 1)` are drawn from ``seed`` (the same for
        every estimator), the estimator's draws from ``seed + 1``.

    Returns
    -------
    dict
        ``estimator``, ``q``, ``steps`` (the checkpoints), ``loss`` (seeds x checkpoints: the exact loss
        minus its minimum :math:`c^q`) and ``seconds``.
    """
    est = get_estimator(estimator)
    est.check_family("bernoulli")
    seeds = check_count(setting.seeds, "seeds", minimum=1, maximum=1000)
    steps = check_count(setting.steps, "steps", minimum=1, maximum=10**6)
    every = check_count(setting.every, "every", minimum=1, maximum=steps)
    options = dict(ESTIMATORS.get(est.name, {}))
    draws = BUDGET // est.evaluations
    if est.name == "reinforce_baseline":
        options["groups"] = seeds
    f = objective(q)
    generator = torch.Generator().manual_seed(seed)
    omega = torch.randn(seeds, DIMENSION, generator=generator, dtype=torch.float64).requires_grad_(True)
    optimizer = torch.optim.Adam([omega], lr=setting.lr)
    floor = TARGET ** q
    curve = [(exact_loss(omega.detach(), q) - floor).tolist()]
    marks = [0]
    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed + 1)
        for step in range(1, steps + 1):
            p = torch.sigmoid(omega).clamp(1e-12, 1 - 1e-12)
            rows = p.unsqueeze(0).expand(draws, seeds, DIMENSION).reshape(draws * seeds, DIMENSION)
            out = est.draws(f, "bernoulli", rows, **options)
            optimizer.zero_grad()
            (out.loss.sum() / draws).backward()
            optimizer.step()
            if step % every == 0:
                curve.append((exact_loss(omega.detach(), q) - floor).tolist())
                marks.append(step)
    loss = torch.tensor(curve).T.tolist()
    return {"estimator": est.name, "q": float(q), "steps": marks, "loss": loss,
            "seconds": time.perf_counter() - start}


def run_all(setting: Setting, seed: int = 0, progress: bool = False) -> list[dict[str, object]]:
    """:func:`run` for every estimator and exponent of ``setting``.

    Parameters
    ----------
    setting : Setting
        Steps, seeds, exponents and estimators (e.g. ``SETTINGS["quick"]``).
    seed : int, default 0
        Base seed of every :func:`run`.
    progress : bool, default False
        Print one line per run.

    Returns
    -------
    list of dict
        The records of :func:`run`, exponent-major.
    """
    records = []
    for q in setting.exponents:
        for name in setting.estimators:
            record = run(name, q, setting, seed)
            records.append(record)
            if progress:
                print(f"q={q} {name}: final {sum(r[-1] for r in record['loss']) / setting.seeds:.5f} "
                      f"({record['seconds']:.0f} s)", flush=True)
    return records


def final_table(records: Sequence[Mapping[str, object]]) -> dict[str, dict[float, tuple[float, float]]]:
    """Mean and sd over seeds of the final exact loss gap, per estimator and exponent.

    Parameters
    ----------
    records : sequence of dict
        Records of :func:`run`.

    Returns
    -------
    dict
        ``table[estimator][q] = (mean, sd)`` of the last recorded loss gap over the seeds (``sd`` is ``nan`` for one
        seed).
    """
    table: dict[str, dict[float, tuple[float, float]]] = {}
    for r in records:
        final = torch.tensor([row[-1] for row in r["loss"]], dtype=torch.float64)
        sd = float(final.std()) if final.numel() > 1 else float("nan")
        table.setdefault(r["estimator"], {})[r["q"]] = (float(final.mean()), sd)
    return table
