"""pwgf_viz.quantized and pwgf_viz.quantized_mlp: closed forms against Monte Carlo and finite differences.

Monte Carlo checks use fixed seeds and a tolerance of 4 standard errors of the sample mean, per coordinate.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pwgf_viz import quantized as q
from pwgf_viz import quantized_mlp as qm

M, N = 4, 6
SAMPLES = 100_000
Z_SCORE = 4.0


def teacher(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(M), rng.standard_normal(N)


def student(seed: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(N)
    return rng.standard_normal(M), scale * w / np.linalg.norm(w)


@pytest.fixture(scope="module")
def inputs() -> np.ndarray:
    return q.draw_inputs(M, N, SAMPLES, np.random.default_rng(123))


def assert_within_se(samples: np.ndarray, expected: np.ndarray) -> None:
    mean = samples.mean(0)
    se = samples.std(0, ddof=1) / math.sqrt(samples.shape[0])
    assert np.all(np.abs(mean - expected) <= Z_SCORE * se), (mean, expected, se)


@pytest.mark.parametrize("seed, scale", [(1, 1.0), (2, 0.4), (3, 2.5)])
def test_population_loss_matches_monte_carlo(inputs: np.ndarray, seed: int, scale: float) -> None:
    v_star, w_star = teacher()
    v, w = student(seed, scale)
    y = q.binarized_relu(inputs @ w) @ v
    y_star = q.binarized_relu(inputs @ w_star) @ v_star
    assert_within_se(0.5 * (y - y_star)[:, None] ** 2, np.array([q.population_loss(v, w, v_star, w_star)]))


@pytest.mark.parametrize("seed, scale", [(1, 1.0), (2, 0.4), (3, 2.5)])
def test_population_gradient_matches_finite_differences(seed: int, scale: float) -> None:
    v_star, w_star = teacher()
    v, w = student(seed, scale)
    grad_v, grad_w = q.population_gradient(v, w, v_star, w_star)
    h = 1e-6

    def central(which: str, e: np.ndarray) -> float:
        dv, dw = (h * e, 0) if which == "v" else (0, h * e)
        up = q.population_loss(v + dv, w + dw, v_star, w_star)
        return (up - q.population_loss(v - dv, w - dw, v_star, w_star)) / (2 * h)

    assert np.allclose(grad_v, [central("v", e) for e in np.eye(M)], atol=1e-8)
    assert np.allclose(grad_w, [central("w", e) for e in np.eye(N)], atol=1e-8)


@pytest.mark.parametrize("ste", q.STES)
@pytest.mark.parametrize("seed, scale", [(1, 1.0), (2, 0.4), (3, 2.5)])
def test_expected_coarse_gradient_matches_monte_carlo(inputs: np.ndarray, ste: str, seed: int, scale: float) -> None:
    v_star, w_star = teacher()
    v, w = student(seed, scale)
    grad_v, grad_w = q.coarse_gradient_samples(ste, v, w, v_star, w_star, inputs)
    expected_v, expected_w = q.expected_coarse_gradient(ste, v, w, v_star, w_star)
    assert_within_se(grad_v, expected_v)
    assert_within_se(grad_w, expected_w)


def test_coarse_gradient_near_opposite_filters(inputs: np.ndarray) -> None:
    """theta close to pi, where cot and 1/sin of the clipped-ReLU formula are large."""
    v_star, w_star = teacher()
    v, _ = student(4, 1.0)
    w = -w_star + 0.05 * np.random.default_rng(5).standard_normal(N)
    assert q.angle(w, w_star) > 3.0
    for ste in q.STES:
        assert_within_se(q.coarse_gradient_samples(ste, v, w, v_star, w_star, inputs)[1],
                         q.expected_coarse_gradient(ste, v, w, v_star, w_star)[1])


def test_clipped_relu_tends_to_relu_for_small_filters() -> None:
    v_star, w_star = teacher()
    v, w = student(1, 1e-3)  # the window 0 < z.w < 1 covers all of z.w > 0 but an e^{-10^6/2} tail
    relu = q.expected_coarse_gradient("relu", v, w, v_star, w_star)[1]
    clipped = q.expected_coarse_gradient("clipped_relu", v, w, v_star, w_star)[1]
    assert np.allclose(relu, clipped, atol=1e-12)


def test_expected_coarse_gradients_correlate_positively() -> None:
    """<(grad_v, E g), grad f> = |grad_v|^2 + (v.v*)^2 k sin(theta)/|w| >= 0 for every proxy (k > 0)."""
    v_star, w_star = teacher()
    for seed in range(50):
        v, w = student(100 + seed, float(np.exp(np.random.default_rng(seed).uniform(-1, 1))))
        true = np.concatenate(q.population_gradient(v, w, v_star, w_star))
        for ste in q.STES:
            coarse_v, coarse_w = q.expected_coarse_gradient(ste, v, w, v_star, w_star)
            assert np.concatenate([coarse_v, coarse_w]) @ true > 0
            # Yin et al.'s claim is about the w part alone: positive wherever grad_w f is not zero.
            assert coarse_w @ q.population_gradient(v, w, v_star, w_star)[1] > 0
            assert 0 < q.gradient_cosine(ste, v, w, v_star, w_star) <= 1


def test_critical_points() -> None:
    v_star, w_star = np.array([1.0, -0.5, 0.8, 0.3]), teacher()[1]
    assert q.population_loss(v_star, 3 * w_star, v_star, w_star) == pytest.approx(0, abs=1e-14)
    v_sp = q.spurious_minimum(v_star)
    assert v_sp @ v_star < 0  # a local minimum at theta = pi
    grad_v, grad_w = q.population_gradient(v_sp, -w_star, v_star, w_star)
    assert np.allclose(grad_v, 0, atol=1e-14) and np.allclose(grad_w, 0)
    for ste in ("relu", "clipped_relu"):
        assert np.allclose(q.expected_coarse_gradient(ste, v_sp, -w_star, v_star, w_star)[1], 0, atol=1e-14)
        assert np.allclose(q.expected_coarse_gradient(ste, v_star, w_star, v_star, w_star)[1], 0, atol=1e-14)
    identity = q.expected_coarse_gradient("identity", v_sp, -w_star, v_star, w_star)[1]
    radial = 2 * (M - 1) * v_star.sum() ** 2 / ((M + 1) ** 2 * math.sqrt(2 * math.pi))
    assert np.allclose(identity, -radial * w_star / np.linalg.norm(w_star), atol=1e-14)


def test_train_exact_descends_and_sampled_is_reproducible() -> None:
    v_star, w_star = teacher()
    v, w = student(7, 1.0)
    path = q.train("exact", v, w, v_star, w_star, lr=0.1, steps=200)
    assert path.loss[-1] < path.loss[0]
    assert path.v.shape == (201, M) and path.w.shape == (201, N) and path.angle.shape == (201,)
    first = q.train("relu", v, w, v_star, w_star, lr=0.1, steps=20, batch=8, seed=4)
    second = q.train("relu", v, w, v_star, w_star, lr=0.1, steps=20, batch=8, seed=4)
    assert np.array_equal(first.w, second.w)


def test_identity_leaves_the_spurious_minimum() -> None:
    v_star, w_star = np.array([1.0, -0.5, 0.8, 0.3]), teacher()[1]
    v_sp = q.spurious_minimum(v_star)
    for ste in ("relu", "clipped_relu"):
        path = q.train(ste, v_sp, -w_star, v_star, w_star, lr=0.1, steps=100)
        assert np.allclose(path.w[-1], -w_star, atol=1e-12)
    path = q.train("identity", v_sp, -w_star, v_star, w_star, lr=0.1, steps=100)
    assert np.linalg.norm(path.w[-1] + w_star) > 0.1


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: q.population_loss([1.0, 2.0], [1.0, 0.0], [1.0], [1.0, 0.0]), r"v must have shape \(1,\)"),
        (lambda: q.population_loss([1.0], [0.0, 0.0], [1.0], [1.0, 0.0]), "w must be a non-zero"),
        (lambda: q.population_loss([np.nan], [1.0, 0.0], [1.0], [1.0, 0.0]), "v must be finite"),
        (lambda: q.population_gradient([1.0], [1.0, 0.0], [1.0], np.zeros((2, 2))), "w_star must be a 1-D array"),
        (lambda: q.expected_coarse_gradient("sign", [1.0], [1.0], [1.0], [1.0]), "ste must be one of"),
        (lambda: q.expected_coarse_gradient("exact", [1.0], [1.0], [1.0], [1.0]), "ste must be one of"),
        (lambda: q.coarse_gradient_samples("relu", [1.0], [1.0], [1.0], [1.0], np.zeros((3, 2, 1))), "z must have"),
        (lambda: q.train("relu", [1.0], [1.0], [1.0], [1.0], lr=-1.0, steps=3), "lr must be"),
        (lambda: q.train("relu", [1.0], [1.0], [1.0], [1.0], lr=0.1, steps=0), "steps must be"),
        (lambda: q.train("exact", [1.0], [1.0], [1.0], [1.0], lr=0.1, steps=3, batch=4), "batch must be None"),
        (lambda: q.draw_inputs(0, 2, 3, np.random.default_rng()), "m must be"),
        (lambda: q.angle([0.0], [1.0]), "non-zero"),
        (lambda: qm.train_digits("relu", seed=0, hidden=0), "hidden must be"),
        (lambda: qm.digits_split(1.5), "test_size must lie"),
    ],
)
def test_bad_input_value_errors(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: q.population_loss(1.0, [1.0], [1.0], [1.0]), "v must be a list, a tuple or a NumPy array"),
        (lambda: q.population_loss(["a"], [1.0], [1.0], [1.0]), "v must hold real numbers"),
        (lambda: q.train(3, [1.0], [1.0], [1.0], [1.0], lr=0.1, steps=3), "ste must be a string"),
        (lambda: q.train("relu", [1.0], [1.0], [1.0], [1.0], lr=0.1, steps=2.5), "steps must be an integer"),
        (lambda: q.draw_inputs(2, 2, 3, rng=0), "rng must be"),
        (lambda: qm.binarized_relu([1.0], "relu"), "x must be a floating-point torch tensor"),
        (lambda: qm.train_digits("relu", seed=0.5), "seed must be an integer"),
    ],
)
def test_bad_input_type_errors(call, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        call()


@pytest.mark.parametrize("ste", q.STES)
def test_binarized_relu_backward_is_the_proxy_derivative(ste: str) -> None:
    x = torch.linspace(-2, 2, 41, dtype=torch.float64, requires_grad=True)
    out = qm.binarized_relu(x, ste)
    assert torch.equal(out, (x > 0).double())
    out.backward(torch.full_like(x, 3.0))
    assert np.array_equal(x.grad.numpy(), 3 * q.proxy_derivative(ste, x.detach().numpy()))


def test_train_digits_learns() -> None:
    run = qm.train_digits("clipped_relu", seed=0, hidden=32, epochs=3)
    assert run.epoch_loss.shape == (3,) and run.epoch_loss[-1] < run.epoch_loss[0]
    assert run.test_accuracy > 0.5  # chance is 0.1


def test_rest_points_at_a_saddle() -> None:
    """At a critical point with v.v* = 0 (0 < theta < pi), the ReLU and clipped-ReLU expectations vanish, the
    identity's does not (prop-coarse-rest-points)."""
    v_star, w_star = np.array([1.0, -0.5, 0.8, 0.3]), teacher()[1]
    inverse = np.linalg.inv(np.eye(M) + np.ones((M, M)))
    # v(t) = (I + 11^T)^{-1} (t I + 11^T) v* solves grad_v f = 0 with t = 1 - 2 theta / pi; v(t).v* is affine in t.
    slope, offset = v_star @ inverse @ v_star, v_star @ inverse @ np.ones((M, M)) @ v_star
    t = -offset / slope
    assert -1 < t < 1
    theta = math.pi * (1 - t) / 2
    other = np.random.default_rng(9).standard_normal(N)
    other -= (other @ w_star) / (w_star @ w_star) * w_star
    w = 1.7 * (math.cos(theta) * w_star / np.linalg.norm(w_star) + math.sin(theta) * other / np.linalg.norm(other))
    v = inverse @ (t * np.eye(M) + np.ones((M, M))) @ v_star
    assert q.angle(w, w_star) == pytest.approx(theta) and abs(v @ v_star) < 1e-12
    grad_v, grad_w = q.population_gradient(v, w, v_star, w_star)
    assert np.allclose(grad_v, 0, atol=1e-12) and np.allclose(grad_w, 0, atol=1e-12)
    for ste in ("relu", "clipped_relu"):
        assert np.allclose(q.expected_coarse_gradient(ste, v, w, v_star, w_star)[1], 0, atol=1e-12)
    assert np.linalg.norm(q.expected_coarse_gradient("identity", v, w, v_star, w_star)[1]) > 0.1
