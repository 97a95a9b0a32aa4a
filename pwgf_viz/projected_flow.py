r"""The projected flow simulated with particles, beside the straight-through update (chapter ``chap-st-as-pwgf``).

One step of the simulated projected Wasserstein gradient flow (pWGF) from :math:`\theta_t` is

1. **sample** :math:`N` particles :math:`z_i \sim p_{\theta_t}`;
2. **move** them by one forward-Euler step of the flow of :math:`F(q) = \mathbb{E}_q[f]`,
   :math:`z_i' = z_i - \epsilon f'(z_i)` (:func:`pwgf_viz.projection.particle_step`);
3. **project** the move back onto the family by matching means: the family member's mean moves as much as the
   particles' mean did, :math:`\theta_{t+1} = \theta_t + \tfrac1N \sum_i (z_i' - z_i)` (the projection of the
   particle velocities onto constant fields, ``eq-velocity-projection``).

By the theorem ``thm-st-pwgf`` this mean-matched flow is SGD with the :math:`N`-sample straight-through
gradient. (Matching the *sampled* cloud's mean itself, :math:`\tfrac1N\sum_i z_i'`, would add the sampling noise
of :math:`\tfrac1N\sum_i z_i` around :math:`\theta_t` at every step, however small :math:`\epsilon`;
:func:`pwgf_viz.projection.project_mean` is mean matching of a whole cloud.) :func:`projected_flow` runs it beside
SGD with the straight-through estimator and SGD with the pWGF estimator (the numerator of the :math:`W_2`
projection of the dequantised family, ``eq-pwgf-bernoulli``) and plain gradient descent with the exact gradient.
Every sampled path draws step :math:`t`'s particles exactly as :func:`pwgf_viz.estimators.gradient_samples` draws
them with ``seed + t`` (the same seeds, hence the same uniforms, for every path). The free flow of the first cloud
(no projection) is kept for comparison; :func:`signature_animation` shows the paths side by side.
"""

from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation

from . import families
from .animation import DPI, MAX_FRAMES, frame_indices
from .estimators import gradient_samples
from .exact import exact_expectation, exact_gradient
from .objectives import Objective
from .ot1d import discrete_distribution
from .projection import particle_step
from .style import OKABE_ITO, line_style
from .validation import check_count, check_objective, check_parameter, check_positive

#: Families whose one-coordinate flows :func:`projected_flow` simulates.
FLOW_FAMILIES = ("bernoulli", "poisson")


class ProjectedFlow(NamedTuple):
    """Iterates and clouds of :func:`projected_flow` (``T`` steps, ``N`` particles)."""

    family: str
    step: float
    theta: np.ndarray      # (T + 1,) projected parameter theta_t
    st: np.ndarray         # (T + 1,) SGD iterates with the N-sample straight-through gradient
    particles: np.ndarray  # (T, N) draws z_i ~ p_{theta_t}
    moved: np.ndarray      # (T, N) the same draws after one particle step
    free: np.ndarray       # (T + 1, N) the first cloud flowing without projection
    pwgf: np.ndarray       # (T + 1,) SGD iterates with the N-sample pWGF estimator (W2-projected numerator)
    exact: np.ndarray      # (T + 1,) gradient descent with the exact gradient
    edge: float            # the pwgf and exact iterates are kept in [edge, 1 - edge] (Bernoulli), >= edge (Poisson)


def draw_particles(family: str, theta: float, particles: int, seed: int) -> np.ndarray:
    """``particles`` draws of :math:`p_\\theta` (1-D), drawn exactly as ``gradient_samples(..., seed=seed)`` draws.

    Parameters
    ----------
    family : {"bernoulli", "poisson"}
        The family (not validated here: :func:`projected_flow` has).
    theta : float
        Its parameter, a probability in (0, 1) or a rate > 0.
    particles : int
        Number of draws, >= 1.
    seed : int
        Seed of the draws; the global random state is restored after.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(particles,)``.
    """
    rows = torch.full((particles, 1), float(theta), dtype=torch.float64)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return families.distribution(family, rows).sample()[:, 0].numpy()


def _clip(family: str, theta: float, edge: float) -> float:
    """``theta`` kept in ``[edge, 1 - edge]`` (Bernoulli) or ``[edge, inf)`` (Poisson): projected SGD."""
    if family == "bernoulli":
        return float(min(max(theta, edge), 1 - edge))
    return float(max(theta, edge))


def projected_flow(f: Objective, family: str, theta0: float, step: float, steps: int, particles: int = 200,
                   seed: int = 0, edge: float = 0.01) -> ProjectedFlow:
    r"""Simulate the mean-matched projected flow with particles beside three descents on the same seeds.

    The mean-matched flow samples, moves and projects the mean displacement (``thm-st-pwgf``); beside it run SGD
    with the straight-through estimator, SGD with the pWGF estimator (``eq-pwgf-bernoulli``, ``eq-pwgf-poisson``)
    and gradient descent with the exact gradient (``eq-exact-gradient``).

    Parameters
    ----------
    f : Objective
        Differentiable objective (torch operations).
    family : {"bernoulli", "poisson"}
        One coordinate.
    theta0 : float
        Starting probability or rate.
    step : float
        Step size :math:`\epsilon > 0`.
    steps : int
        Number of steps :math:`T`, 1 to 10 000.
    particles : int, default 200
        Draws per step :math:`N`.
    seed : int, default 0
        Step :math:`t` uses ``seed + t`` for every sampled path.
    edge : float, default 0.01
        The pWGF and exact iterates are clipped to ``[edge, 1 - edge]`` (Bernoulli) or ``[edge, inf)`` (Poisson),
        projected SGD: their target may be the edge of the range. In ``(0, 0.5)``.

    Returns
    -------
    ProjectedFlow
        Iterates, clouds and the free flow.

    Raises
    ------
    ValueError
        For a bad argument, or a step that moves the mean-matched parameter out of its range (take a smaller
        ``step``; the mean-matched and ST paths are not clipped, so that they stay equal draw by draw).
    """
    f = check_objective(f)
    if family not in FLOW_FAMILIES:
        raise ValueError(f"family must be one of {FLOW_FAMILIES}; got {family!r}")
    theta = float(check_parameter(family, [theta0], "theta0")[0])
    step = check_positive(step, "step")
    steps = check_count(steps, "steps", maximum=10_000)
    particles = check_count(particles, "particles", maximum=100_000)
    seed = check_count(seed, "seed", minimum=0, maximum=2**62)
    edge = check_positive(edge, "edge")
    if not edge < 0.5:
        raise ValueError(f"edge must lie in (0, 0.5); got {edge}")
    thetas, sts, drawn, moved = [theta], [theta], [], []
    pwgfs, exacts = [_clip(family, theta, edge)], [_clip(family, theta, edge)]
    for t in range(steps):
        z = draw_particles(family, thetas[-1], particles, seed + t)
        z_moved = particle_step(f, z, step)
        drawn.append(z)
        moved.append(z_moved)
        theta = thetas[-1] + float(np.mean(z_moved - z))
        if not (0 < theta < 1 if family == "bernoulli" else theta > 0):
            raise ValueError(f"step = {step:g} moves the parameter out of the {family} range at step {t + 1}; "
                             f"take a smaller step")
        thetas.append(theta)
        grad = gradient_samples("st", f, family, [sts[-1]], particles, seed=seed + t).mean()
        sts.append(sts[-1] - step * float(grad))
        grad = gradient_samples("pwgf", f, family, [pwgfs[-1]], particles, seed=seed + t).mean()
        pwgfs.append(_clip(family, pwgfs[-1] - step * float(grad), edge))
        grad = exact_gradient(f, family, [exacts[-1]])[0]
        exacts.append(_clip(family, exacts[-1] - step * float(grad), edge))
    free = [drawn[0]]
    for _ in range(steps):
        free.append(particle_step(f, free[-1], step))
    return ProjectedFlow(family, step, np.array(thetas), np.array(sts), np.array(drawn), np.array(moved),
                         np.array(free), np.array(pwgfs), np.array(exacts), edge)


def _support_limits(flow: ProjectedFlow) -> tuple[float, float]:
    low = min(flow.free.min(), flow.moved.min(), 0.0)
    high = max(flow.free.max(), flow.moved.max(), 1.0)
    pad = 0.08 * (high - low)
    return low - pad, high + pad


def signature_animation(flow: ProjectedFlow, f: Objective, frames: int = 24, title: str = "") -> FuncAnimation:
    r"""The book's signature figure: free particle flow and mean-matched projection on top, the descents below.

    Top left: the first cloud following :math:`-f'` with no projection (particles jittered vertically), over
    :math:`f`. Top right: the family member :math:`p_{\theta_t}` (bars), this step's particles after the move
    (dots) and the mean-matched parameter :math:`\theta_{t+1}` (the family's mean, moved as much as the particles'
    mean). Below, across the width: :math:`\theta_t` of the mean-matched flow (thick line) and of SGD with the
    straight-through gradient (dots), SGD with the pWGF estimator (the :math:`W_2`-projected numerator, dashed) and
    exact gradient descent, in the estimators' colours (:func:`pwgf_viz.style.line_style`), over the exact loss
    :math:`L(\theta)` as a grey curve on a twin axis; the legend sits beside the panel, off the paths.

    Parameters
    ----------
    flow : ProjectedFlow
        The output of :func:`projected_flow`.
    f : Objective
        The objective of ``flow``.
    frames : int, default 24
        Number of frames, 2 to :data:`pwgf_viz.animation.MAX_FRAMES`.
    title : str, default ""
        Figure title (the step number is appended).

    Returns
    -------
    matplotlib.animation.FuncAnimation
        The animation (its figure is closed).
    """
    f = check_objective(f)
    frames = check_count(frames, "frames", minimum=2, maximum=MAX_FRAMES)
    steps = len(flow.theta) - 1
    n = flow.particles.shape[1]
    jitter = np.random.default_rng(0).uniform(0.05, 0.95, n)
    xlim = _support_limits(flow)
    # Two panels on top, the descents wide below: legible at the width of the text column.
    fig = plt.figure(figsize=(7.5, 4.9), dpi=DPI)
    layout = fig.add_gridspec(2, 2, height_ratios=(1, 1.15))
    free_ax, proj_ax = fig.add_subplot(layout[0, 0]), fig.add_subplot(layout[0, 1])
    st_ax = fig.add_subplot(layout[1, :])
    grid = np.linspace(*xlim, 200)
    values = f(torch.from_numpy(grid)).detach().numpy()
    free_ax.plot(grid, (values - values.min()) / (np.ptp(values) or 1.0), color="0.6", lw=1.2, label="$f$ (scaled)")
    particle_color = OKABE_ITO["bluish_green"]
    free_dots = free_ax.scatter(flow.free[0], jitter, s=6, color=particle_color, alpha=0.6, label="particles")
    free_ax.set(xlim=xlim, ylim=(0, 1.3), yticks=[], xlabel="$z$", ylabel="particles (jittered)",
                title="free flow (no projection)")
    free_ax.legend(fontsize="small", frameon=False, loc="upper center", ncol=2)
    top = int(np.ceil(xlim[1]))
    support = np.arange(0, top + 1, dtype=float)
    bars = proj_ax.bar(support, np.zeros_like(support), width=0.12, color=OKABE_ITO["blue"],
                       label=r"$p_{\theta_t}$")
    moved_dots = proj_ax.scatter(flow.moved[0], 0.6 * jitter, s=6, color=particle_color, alpha=0.6,
                                 label="moved")
    mean_line = proj_ax.axvline(flow.theta[1], color=OKABE_ITO["vermillion"], lw=1.5, label=r"$\theta_{t+1}$")
    proj_ax.set(xlim=xlim, ylim=(0, 1.3), xlabel="$z$", ylabel="probability",
                title="mean matching: sample, move, project")
    proj_ax.legend(fontsize="small", frameon=False, loc="upper center", ncol=3, columnspacing=0.8,
                   handlelength=1.0, handletextpad=0.4)
    paths = np.concatenate([flow.theta, flow.st, flow.pwgf, flow.exact])
    thetas = np.linspace(paths.min(), paths.max(), 2)
    low, high = thetas[0] - 0.05 * (np.ptp(thetas) or 1), thetas[1] + 0.05 * (np.ptp(thetas) or 1)
    if flow.family == "bernoulli":
        low, high = max(low, 1e-3), min(high, 1 - 1e-3)
    else:
        low = max(low, 1e-3)
    st_ax.set(xlim=(0, steps), ylim=(low, high), xlabel="step $t$", ylabel=r"$\theta_t$",
              title="descents on the same seeds")
    twin = st_ax.twiny()
    levels = np.linspace(low, high, 60)
    loss = np.array([exact_expectation(f, flow.family, [v]) for v in levels])
    twin.plot(loss, levels, color="0.8", lw=1.2)
    twin.set_xticks([])
    st_ax.plot([], [], color="0.8", lw=1.2, label=r"exact $L(\theta)$ (sideways)")
    st_ax.set_zorder(twin.get_zorder() + 1)
    st_ax.patch.set_visible(False)
    (proj_line,) = st_ax.plot([], [], color=OKABE_ITO["blue"], lw=2.5, label="mean-matched flow")
    (st_dots,) = st_ax.plot([], [], "o", color=line_style("st")["color"], ms=3, label="SGD with ST")
    (pwgf_line,) = st_ax.plot([], [], lw=1.6, label="SGD with pWGF ($W_2$)", **line_style("pwgf"))
    (exact_line,) = st_ax.plot([], [], lw=1.2, label="exact gradient descent", **line_style("exact"))
    # The legend beside the paths, outside the axes, so it never covers them.
    st_ax.legend(fontsize="small", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    caption = fig.suptitle(title, fontsize="large")
    fig.tight_layout()
    grid_steps = np.arange(steps + 1)

    def draw(t: int) -> list:
        free_dots.set_offsets(np.column_stack([flow.free[t], jitter]))
        k = min(t, steps - 1)
        _, mass = discrete_distribution(flow.family, float(flow.theta[k]))
        for i, bar in enumerate(bars):
            bar.set_height(mass[i] if i < len(mass) else 0.0)
        moved_dots.set_offsets(np.column_stack([flow.moved[k], 0.6 * jitter]))
        mean_line.set_xdata([flow.theta[k + 1], flow.theta[k + 1]])
        proj_line.set_data(grid_steps[: t + 1], flow.theta[: t + 1])
        st_dots.set_data(grid_steps[: t + 1], flow.st[: t + 1])
        pwgf_line.set_data(grid_steps[: t + 1], flow.pwgf[: t + 1])
        exact_line.set_data(grid_steps[: t + 1], flow.exact[: t + 1])
        caption.set_text(f"{title}  step {t}" if title else f"step {t}")
        return [free_dots, moved_dots, mean_line, proj_line, st_dots, pwgf_line, exact_line, caption, *bars]

    anim = FuncAnimation(fig, draw, frames=frame_indices(steps + 1, frames), blit=False)
    plt.close(fig)
    return anim
