"""Bad input to every public function raises ValueError or TypeError naming the offending argument.

Also: Python numbers, lists and NumPy arrays are accepted as ``theta`` and give the same result as tensors.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pytest
import torch

from pwgf_viz import (
    ESTIMATORS,
    exact_expectation,
    exact_gradient,
    exact_st_mean,
    get_estimator,
    gradient_samples,
    sample_gumbel_softmax,
    sample_st,
    surrogate,
)
from pwgf_viz.validation import check_array, normalise_weights

F64 = torch.float64
BAD = (ValueError, TypeError)


def f_ok(z):
    return ((z - 0.3) ** 2).reshape(z.shape[0], -1).sum(-1)


# Each entry: name -> function of (family, theta) calling one public function with otherwise valid input.
THETA_CALLERS = {
    "exact_expectation": lambda fam, th: exact_expectation(f_ok, fam, th),
    "exact_gradient": lambda fam, th: exact_gradient(f_ok, fam, th),
    "exact_st_mean": lambda fam, th: exact_st_mean(f_ok, fam, th),
    "gradient_samples[reinforce]": lambda fam, th: gradient_samples("reinforce", f_ok, fam, th, 4),
    "gradient_samples[st]": lambda fam, th: gradient_samples("st", f_ok, fam, th, 4),
    "surrogate[reinforce]": lambda fam, th: surrogate("reinforce", f_ok, fam, th, n=2),
    "surrogate[st]": lambda fam, th: surrogate("st", f_ok, fam, th, n=2),
    "sample_st": lambda fam, th: sample_st(fam, th),
    "sample_gumbel_softmax": lambda fam, th: sample_gumbel_softmax(fam, th),
}
RELAXED_ONLY = {"sample_gumbel_softmax"}


def callers_for(family: str):
    return [name for name in THETA_CALLERS if family != "poisson" or name not in RELAXED_ONLY]


def _bernoulli_variants(bad: float):
    # As a Python float, as a 0-d tensor, and hidden among good values in a float32 tensor.
    return [bad, torch.tensor(bad, dtype=F64), torch.tensor([0.3, bad, 0.6], dtype=torch.float32)]


@pytest.mark.parametrize("caller", callers_for("bernoulli"))
@pytest.mark.parametrize("bad", [0.0, 1.0, 1.2, -0.1, float("nan"), float("inf"), -float("inf")])
def test_bad_probabilities(caller, bad):
    for theta in _bernoulli_variants(bad):
        with pytest.raises(ValueError, match="theta"):
            THETA_CALLERS[caller]("bernoulli", theta)


@pytest.mark.parametrize("caller", callers_for("poisson"))
@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_rates(caller, bad):
    for theta in [bad, torch.tensor([2.0, bad], dtype=F64)]:
        with pytest.raises(ValueError, match="theta"):
            THETA_CALLERS[caller]("poisson", theta)


@pytest.mark.parametrize("caller", callers_for("categorical"))
@pytest.mark.parametrize("theta", [
    torch.tensor([0.5], dtype=F64),            # K = 1
    torch.tensor([[0.5], [0.1]], dtype=F64),   # K = 1, batched
    torch.tensor(0.5, dtype=F64),              # 0-d
    0.5,                                       # Python float: 0-d
    torch.tensor([0.1, float("nan"), 0.3], dtype=F64),
    torch.tensor([0.1, float("inf"), 0.3], dtype=F64),
], ids=["K1", "K1-batched", "0d", "float", "nan", "inf"])
def test_bad_logits(caller, theta):
    with pytest.raises(ValueError, match="theta"):
        THETA_CALLERS[caller]("categorical", theta)


@pytest.mark.parametrize("family", ["bernoulli", "categorical", "poisson"])
@pytest.mark.parametrize("theta", [torch.empty(0, dtype=F64), torch.empty(0, 3, dtype=F64),
                                   torch.empty(2, 0, dtype=F64), [], np.zeros(0)],
                         ids=["empty", "empty-0x3", "empty-2x0", "empty-list", "empty-array"])
def test_empty_theta(family, theta):
    for caller in callers_for(family):
        with pytest.raises(ValueError, match="theta"):
            THETA_CALLERS[caller](family, theta)


@pytest.mark.parametrize("family", ["bernoulli", "categorical", "poisson"])
@pytest.mark.parametrize("theta", [
    torch.tensor([1, 2, 3]), torch.tensor([True, False, True]), torch.tensor([1, 2], dtype=torch.int32),
    np.array([True, False]), True, np.bool_(True), torch.tensor([0.3 + 0.1j, 0.5 + 0j]),
    "0.5", ["0.3", "0.5"], None, {"p": 0.5}, [0.3, None],
], ids=["int64", "bool", "int32", "np-bool", "py-bool", "np-bool-scalar", "complex", "str", "str-list",
        "none", "dict", "list-with-none"])
def test_wrong_theta_type(family, theta):
    for caller in callers_for(family):
        with pytest.raises(TypeError, match="theta"):
            THETA_CALLERS[caller](family, theta)


@pytest.mark.parametrize("caller", list(THETA_CALLERS))
@pytest.mark.parametrize("family,error", [
    ("gaussian", ValueError), ("Bernoulli", ValueError), ("", ValueError),
    (3, TypeError), (None, TypeError), (["bernoulli"], TypeError),
])
def test_unknown_family(caller, family, error):
    with pytest.raises(error, match="family"):
        THETA_CALLERS[caller](family, torch.tensor([0.3, 0.6], dtype=F64))


@pytest.mark.parametrize("estimator,error", [("reinforcee", ValueError), ("ST", ValueError), ("", ValueError),
                                             (None, TypeError), (3, TypeError)])
def test_unknown_estimator(estimator, error):
    theta = torch.tensor([0.3, 0.6], dtype=F64)
    with pytest.raises(error, match="estimator"):
        gradient_samples(estimator, f_ok, "bernoulli", theta, 4)
    with pytest.raises(error, match="estimator"):
        surrogate(estimator, f_ok, "bernoulli", theta, n=2)
    with pytest.raises(error, match="estimator"):
        get_estimator(estimator)


def test_get_estimator():
    for name, est in ESTIMATORS.items():
        assert get_estimator(name) is est
        assert get_estimator(est) is est


UNSUPPORTED = [(est, fam) for est in ESTIMATORS for fam in ("bernoulli", "categorical", "poisson")
               if fam not in ESTIMATORS[est].families]


def test_unsupported_pairs_are_the_expected_ones():
    assert set(UNSUPPORTED) == {("gumbel_softmax", "poisson"), ("st_gumbel_softmax", "poisson"),
                                ("arm", "categorical"), ("arm", "poisson"),
                                ("disarm", "categorical"), ("disarm", "poisson"),
                                ("gen_gumbel_softmax", "bernoulli"), ("gen_gumbel_softmax", "categorical"),
                                ("reinmax", "poisson"), ("gumbel_rao", "poisson"), ("zgr", "poisson"),
                                ("gapped_st", "poisson"), ("decoupled_st", "poisson")}


@pytest.mark.parametrize("estimator,family", UNSUPPORTED)
def test_estimator_family_mismatch(estimator, family):
    theta = torch.tensor([0.3, 0.6, 1.0], dtype=F64)
    # The message names the estimator and the family it was given.
    with pytest.raises(ValueError, match=f"{estimator}.*{family}"):
        gradient_samples(estimator, f_ok, family, theta, 4)
    with pytest.raises(ValueError, match=f"{estimator}.*{family}"):
        surrogate(estimator, f_ok, family, theta, n=2)


def test_gumbel_softmax_layer_refuses_poisson():
    with pytest.raises(ValueError, match="family"):
        sample_gumbel_softmax("poisson", torch.tensor([1.0, 2.0], dtype=F64))


# ---------------------------------------------------------------------------------------------------
# n, seed, options
# ---------------------------------------------------------------------------------------------------

N_CALLERS = {
    "gradient_samples": lambda est, n: gradient_samples(est, f_ok, "bernoulli", torch.tensor([0.3, 0.6]), n),
    "surrogate": lambda est, n: surrogate(est, f_ok, "bernoulli", torch.tensor([0.3, 0.6]), n=n),
}


@pytest.mark.parametrize("caller", list(N_CALLERS))
@pytest.mark.parametrize("n,error", [
    (0, ValueError), (-1, ValueError), (10**9, ValueError), (1.5, TypeError),
    (2.0, TypeError), (True, TypeError), ("3", TypeError), (None, TypeError),
])
def test_bad_n(caller, n, error):
    for est in ("reinforce", "st"):
        with pytest.raises(error, match=r"\bn\b"):
            N_CALLERS[caller](est, n)


def test_n_times_size_bounded():
    # 10^6 draws of 100 coordinates = 10^8 scalars: refused before allocating.
    with pytest.raises(ValueError, match=r"\bn\b"):
        gradient_samples("reinforce", f_ok, "bernoulli", torch.full((100,), 0.5), 10**6)


def test_numpy_integer_n_accepted():
    out = gradient_samples("reinforce", f_ok, "bernoulli", torch.tensor([0.3, 0.6]), np.int64(3))
    assert out.shape == (3, 2)


@pytest.mark.parametrize("caller", list(N_CALLERS))
def test_reinforce_baseline_needs_two_samples(caller):
    with pytest.raises(ValueError, match=r"\bn\b"):
        N_CALLERS[caller]("reinforce_baseline", 1)
    N_CALLERS[caller]("reinforce_baseline", 2)  # the smallest valid n


@pytest.mark.parametrize("seed,error", [(-1, ValueError), (2**63, ValueError), (1.5, TypeError),
                                        (True, TypeError), ("0", TypeError), (None, TypeError)])
def test_bad_seed(seed, error):
    with pytest.raises(error, match="seed"):
        gradient_samples("reinforce", f_ok, "bernoulli", torch.tensor([0.3, 0.6]), 4, seed=seed)


TEMPERATURE_CALLERS = {
    "gradient_samples[gumbel_softmax]": lambda **o: gradient_samples(
        "gumbel_softmax", f_ok, "bernoulli", torch.tensor([0.3, 0.6]), 4, **o),
    "gradient_samples[st_gumbel_softmax]": lambda **o: gradient_samples(
        "st_gumbel_softmax", f_ok, "categorical", torch.tensor([0.3, 0.6]), 4, **o),
    "surrogate[gumbel_softmax]": lambda **o: surrogate(
        "gumbel_softmax", f_ok, "categorical", torch.tensor([0.3, 0.6], requires_grad=True), n=2, **o),
    "sample_gumbel_softmax[bernoulli]": lambda **o: sample_gumbel_softmax(
        "bernoulli", torch.tensor([0.3, 0.6]), **o),
    "sample_gumbel_softmax[categorical]": lambda **o: sample_gumbel_softmax(
        "categorical", torch.tensor([0.3, 0.6]), **o),
}


@pytest.mark.parametrize("caller", list(TEMPERATURE_CALLERS))
@pytest.mark.parametrize("temperature,error", [(0, ValueError), (0.0, ValueError), (-1, ValueError),
                                               (float("nan"), ValueError), (float("inf"), ValueError),
                                               ("0.5", TypeError), (True, TypeError), (None, TypeError)])
def test_bad_temperature(caller, temperature, error):
    with pytest.raises(error, match="temperature"):
        TEMPERATURE_CALLERS[caller](temperature=temperature)


@pytest.mark.parametrize("caller", list(TEMPERATURE_CALLERS))
def test_good_temperature_accepted(caller):
    for temperature in (0.25, np.float64(2.0)):
        out = TEMPERATURE_CALLERS[caller](temperature=temperature)
        values = out.loss if isinstance(out, tuple) else out
        assert bool(torch.isfinite(values).all()), (caller, temperature)


@pytest.mark.parametrize("hard", [1, 0, "yes", None])
def test_bad_hard_flag(hard):
    with pytest.raises(TypeError, match="hard"):
        sample_gumbel_softmax("bernoulli", torch.tensor([0.3, 0.6]), hard=hard)


@pytest.mark.parametrize("estimator,option", [("reinforce", "temperature"), ("st", "temperature"),
                                              ("gumbel_softmax", "tau"), ("arm", "baseline"),
                                              ("st_gumbel_softmax", "hard"), ("reinforce_baseline", "seed_")])
def test_unknown_option(estimator, option):
    family = "bernoulli"
    theta = torch.tensor([0.3, 0.6], requires_grad=True)
    with pytest.raises(TypeError, match=option):
        gradient_samples(estimator, f_ok, family, theta, 4, **{option: 0.5})
    with pytest.raises(TypeError, match=option):
        surrogate(estimator, f_ok, family, theta, n=2, **{option: 0.5})


# ---------------------------------------------------------------------------------------------------
# f
# ---------------------------------------------------------------------------------------------------

# name -> function of f calling one public function with otherwise valid input.
F_CALLERS = {
    "exact_expectation": lambda f: exact_expectation(f, "bernoulli", torch.tensor([0.3, 0.6])),
    "exact_gradient": lambda f: exact_gradient(f, "categorical", torch.tensor([0.3, 0.6])),
    "exact_st_mean": lambda f: exact_st_mean(f, "poisson", torch.tensor([0.3, 0.6])),
    **{f"gradient_samples[{est}]": (lambda f, est=est: gradient_samples(
        est, f, ESTIMATORS[est].families[0], torch.tensor([0.3, 0.6]), 4)) for est in ESTIMATORS},
    "gradient_samples[reinforce,poisson]": lambda f: gradient_samples(
        "reinforce", f, "poisson", torch.tensor([0.3, 0.6]), 4),
    "surrogate[reinforce]": lambda f: surrogate(
        "reinforce", f, "bernoulli", torch.tensor([0.3, 0.6], requires_grad=True), n=2),
    "surrogate[st]": lambda f: surrogate(
        "st", f, "categorical", torch.tensor([0.3, 0.6], requires_grad=True), n=2),
}


@pytest.mark.parametrize("caller", list(F_CALLERS))
@pytest.mark.parametrize("f", [3, "sum", None, [f_ok]], ids=["int", "str", "none", "list"])
def test_f_not_callable(caller, f):
    with pytest.raises(TypeError, match=r"\bf\b"):
        F_CALLERS[caller](f)


BAD_OBJECTIVES = {
    # wrong shapes
    "scalar": (lambda z: z.sum(), ValueError),
    "per-coordinate": (lambda z: z, ValueError),
    "column": (lambda z: z.sum(-1, keepdim=True), ValueError),
    "too-long": (lambda z: torch.cat([z.sum(-1), z.sum(-1)]), ValueError),
    # wrong types
    "numpy": (lambda z: z.detach().sum(-1).numpy(), TypeError),
    "list": (lambda z: z.sum(-1).tolist(), TypeError),
    "float": (lambda z: 1.0, TypeError),
    "integer-tensor": (lambda z: z.sum(-1).long(), TypeError),
    "bool-tensor": (lambda z: z.sum(-1) > 0, TypeError),
    # non-finite values
    "nan": (lambda z: z.sum(-1) * float("nan"), ValueError),
    "inf": (lambda z: z.sum(-1) + float("inf"), ValueError),
}


@pytest.mark.parametrize("caller", list(F_CALLERS))
@pytest.mark.parametrize("name", list(BAD_OBJECTIVES))
def test_bad_objective_output(caller, name):
    f, error = BAD_OBJECTIVES[name]
    with pytest.raises(error, match=r"\bf\b"):
        F_CALLERS[caller](f)


@pytest.mark.parametrize("caller", ["exact_expectation", "exact_gradient", "exact_st_mean"])
def test_nan_on_one_configuration(caller):
    # The enumeration meets every configuration, so a NaN where the first coordinate is 1 (some of the
    # configurations in every family) is caught.
    def f(z):
        flat = z.reshape(z.shape[0], -1)
        return torch.where(flat[:, 0] == 1, float("nan"), 0.0) + flat.sum(-1)

    with pytest.raises(ValueError, match=r"\bf\b"):
        F_CALLERS[caller](f)


def _constant(z):
    return torch.ones(z.shape[0], dtype=z.dtype)


def _detached(z):
    return (z.detach() ** 2).sum(-1)


@pytest.mark.parametrize("f", [_constant, _detached], ids=["constant", "detached"])
@pytest.mark.parametrize("caller", [
    "gradient_samples[st]", "gradient_samples[gumbel_softmax]", "gradient_samples[st_gumbel_softmax]",
    "surrogate[st]", "exact_st_mean",
])
def test_f_not_differentiable_for_pathwise_estimators(caller, f):
    # ST and Gumbel-Softmax differentiate f itself: an f whose output has no graph is refused with a message
    # about f (the same for the exact ST mean, so that the oracle and the estimator agree).
    with pytest.raises(BAD, match=r"\bf\b"):
        F_CALLERS[caller](f)


def test_score_estimators_accept_non_differentiable_f():
    # REINFORCE, ARM and DisARM only evaluate f: an f built outside torch's graph is fine.
    theta = torch.tensor([0.3, 0.6], dtype=F64)
    for est in ("reinforce", "reinforce_baseline", "arm", "disarm"):
        out = gradient_samples(est, _detached, "bernoulli", theta, 4)
        assert bool(torch.isfinite(out).all())
    torch.testing.assert_close(exact_gradient(_detached, "bernoulli", theta),
                               torch.ones(2, dtype=F64), rtol=1e-12, atol=1e-12)  # L = p1 + p2


def test_non_finite_derivative_refused():
    # f = sqrt(z) has an infinite derivative at z = 0: the ST estimate would be inf.
    with pytest.raises(ValueError, match=r"\bf\b"):
        gradient_samples("st", lambda z: z.sqrt().sum(-1), "bernoulli", torch.tensor([0.3, 0.6]), 50)


# ---------------------------------------------------------------------------------------------------
# Python numbers, lists and arrays are accepted
# ---------------------------------------------------------------------------------------------------

def f_1d(z):
    return (z - 0.3) ** 2 + torch.sin(z)


@pytest.mark.parametrize("family,value", [("bernoulli", 0.35), ("poisson", 2.5), ("poisson", 3)])
def test_python_number_theta(family, value):
    tensor = torch.tensor(float(value), dtype=F64)
    assert exact_expectation(f_1d, family, value) == exact_expectation(f_1d, family, tensor)
    assert torch.equal(exact_gradient(f_1d, family, value), exact_gradient(f_1d, family, tensor))
    assert torch.equal(exact_st_mean(f_1d, family, value), exact_st_mean(f_1d, family, tensor))
    for est in ("reinforce", "reinforce_baseline", "st"):
        a = gradient_samples(est, f_1d, family, value, 50, seed=3)
        b = gradient_samples(est, f_1d, family, tensor, 50, seed=3)
        assert a.dtype == F64
        assert a.shape == (50,)
        assert torch.equal(a, b)
    torch.manual_seed(0)
    a = sample_st(family, value)
    torch.manual_seed(0)
    assert torch.equal(a, sample_st(family, tensor))
    torch.manual_seed(0)
    loss_a, value_a = surrogate("reinforce", f_1d, family, value, n=5)
    torch.manual_seed(0)
    loss_b, value_b = surrogate("reinforce", f_1d, family, tensor, n=5)
    assert torch.equal(loss_a, loss_b)
    assert torch.equal(value_a, value_b)


@pytest.mark.parametrize("family,values", [
    ("bernoulli", [0.2, 0.7]),
    ("bernoulli", [[0.2, 0.7], [0.5, 0.9]]),
    ("categorical", [0.3, -1.0, 0.8]),
    ("categorical", [[0.3, -1.0, 0.8], [0, 1, 2]]),
    ("poisson", [0.7, 3.0]),
    ("poisson", (1, 2)),
])
def test_list_and_array_theta(family, values):
    def f(z):
        return (torch.sin(z) + z**2).reshape(z.shape[0], -1).sum(-1)

    tensor = torch.tensor(values, dtype=F64)
    for theta in (values, tuple(values), np.array(values, dtype=np.float64)):
        assert exact_expectation(f, family, theta) == exact_expectation(f, family, tensor)
        assert torch.equal(exact_gradient(f, family, theta), exact_gradient(f, family, tensor))
        assert torch.equal(exact_st_mean(f, family, theta), exact_st_mean(f, family, tensor))
        for est in ESTIMATORS:
            if family in ESTIMATORS[est].families:
                a = gradient_samples(est, f, family, theta, 20, seed=1)
                assert a.shape == (20, *tensor.shape)
                assert torch.equal(a, gradient_samples(est, f, family, tensor, 20, seed=1))
        torch.manual_seed(0)
        a = sample_st(family, theta)
        torch.manual_seed(0)
        assert torch.equal(a, sample_st(family, tensor))
        if family != "poisson":
            torch.manual_seed(0)
            a = sample_gumbel_softmax(family, theta, temperature=0.4)
            torch.manual_seed(0)
            assert torch.equal(a, sample_gumbel_softmax(family, tensor, temperature=0.4))


# --- check_array and normalise_weights: the one array checker every module calls ---------------------------------

@pytest.mark.parametrize("value", [0.5, 3, [1, 2], (1.0, 2.0), [[1.0], [2.0]], np.arange(3, dtype=np.int32),
                                   np.float32(1.5), torch.tensor([1.0, 2.0], requires_grad=True)])
def test_check_array_converts_real_input_to_float64(value):
    array = check_array(value, "v")
    expected = value.detach().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
    assert array.dtype == np.float64
    assert np.array_equal(array, expected)


def test_check_array_returns_a_copy():
    value = np.array([1.0, 2.0])
    array = check_array(value, "v")
    array[0] = 5.0
    assert value[0] == 1.0


@pytest.mark.parametrize(("value", "error", "match"), [
    (True, TypeError, "v must hold real numbers; got a bool"),
    (np.bool_(False), TypeError, "v must hold real numbers; got a bool"),
    ([True, False], TypeError, "v must hold real numbers"),
    ("1.5", TypeError, "v must hold real numbers"),
    (None, TypeError, "v must hold real numbers"),
    ([1.0, None], TypeError, "v must hold real numbers"),
    ([1 + 2j], TypeError, "v must hold real numbers"),
    (torch.tensor([1, 0], dtype=torch.bool), TypeError, "v must hold real numbers"),
    ([[1.0, 2.0], [3.0]], ValueError, "v must be a rectangular array"),
    ([], ValueError, "v must not be empty"),
    (np.zeros((2, 0)), ValueError, "v must not be empty"),
    ([1.0, float("nan")], ValueError, "v must be finite"),
    (torch.tensor([float("inf")]), ValueError, "v must be finite"),
])
def test_check_array_refuses_what_is_not_an_array_of_finite_reals(value, error, match):
    with pytest.raises(error, match=match):
        check_array(value, "v")


@pytest.mark.parametrize(("value", "options", "match"), [
    ([[1.0, 2.0]], {"ndim": 1}, r"v must be a 1-D array; got shape \(1, 2\)"),
    (2.0, {"ndim": (1, 2)}, r"v must be a 1-D or 2-D array; got shape \(\)"),
    ([1.0, 2.0], {"shape": (3,)}, r"v must have shape \(3,\); got shape \(2,\)"),
    ([[1.0, 2.0]], {"shape": (None, 3)}, r"v must have shape \(any, 3\); got shape \(1, 2\)"),
    ([1.0, 2.0], {"shape": (None, 2)}, r"v must have shape \(any, 2\)"),
    (2.0, {"scalar": False}, r"v must be an array of shape \(n, \.\.\.\)"),
    ([0.5, -0.1], {"minimum": 0}, "v must be >= 0; got minimum -0.1"),
    ([0.5, 1.5], {"maximum": 1}, "v must be <= 1; got maximum 1.5"),
    ([0.5, 1.5], {"minimum": 0, "maximum": 1},
     r"v must lie in the closed interval \[0, 1\]; got values in \[0.5, 1.5\]"),
    ([-2.0], {"minimum": 0, "maximum": 1}, r"v must lie in the closed interval \[0, 1\]"),
])
def test_check_array_options_refuse_bad_input(value, options, match):
    with pytest.raises(ValueError, match=match):
        check_array(value, "v", **options)


@pytest.mark.parametrize(("value", "options"), [
    ([1.0, 2.0], {"ndim": 1, "shape": (None,)}),
    ([[1.0, 2.0]], {"ndim": (1, 2), "shape": (1, 2)}),
    ([], {"nonempty": False}),
    (np.zeros((2, 0)), {"nonempty": False, "scalar": False}),
    ([0.0, 1.0], {"minimum": 0, "maximum": 1}),
    ([1.0], {"types": (list,)}),
])
def test_check_array_options_accept_good_input(value, options):
    assert check_array(value, "v", **options).shape == np.shape(value)


@pytest.mark.parametrize(("value", "types", "match"), [
    (1.0, (list, tuple, np.ndarray), "v must be a list, a tuple or a NumPy array; got float"),
    (torch.zeros(2), (list, np.ndarray), "v must be a list or a NumPy array; got Tensor"),
    (np.zeros(2), (Sequence,), "v must be a sequence; got ndarray"),
    (range(3), (numbers.Real, list, tuple, np.ndarray, torch.Tensor),
     "v must be a number, a list, a tuple, a NumPy array or a torch tensor; got range"),
])
def test_check_array_types_refuses_other_types(value, types, match):
    with pytest.raises(TypeError, match=match):
        check_array(value, "v", types=types)


def test_normalise_weights_uniform_and_divided_by_their_sum():
    assert np.array_equal(normalise_weights(None, 4, "w"), np.full(4, 0.25))
    weights = normalise_weights(torch.tensor([1.0, 3.0]), 2, "w")
    assert weights.dtype == np.float64 and np.array_equal(weights, [0.25, 0.75])
    assert np.array_equal(normalise_weights([0, 2], 2, "w"), [0.0, 1.0])


@pytest.mark.parametrize(("weights", "error", "match"), [
    ([1.0], ValueError, r"w must have shape \(2,\); got shape \(1,\)"),
    ([[1.0, 1.0]], ValueError, r"w must have shape \(2,\)"),
    ([1.0, -1.0], ValueError, "w must be >= 0"),
    ([0.0, 0.0], ValueError, "w must have a positive sum"),
    ([1.0, float("nan")], ValueError, "w must be finite"),
    (["a", "b"], TypeError, "w must hold real numbers"),
    (True, TypeError, "w must hold real numbers"),
])
def test_normalise_weights_refuses_bad_weights(weights, error, match):
    with pytest.raises(error, match=match):
        normalise_weights(weights, 2, "w")


def test_the_module_map_names_every_module():
    """The package docstring's module map (as POT's) lists every module of pwgf_viz, and only those."""
    import pkgutil
    import re

    import pwgf_viz

    modules = {m.name for m in pkgutil.iter_modules(pwgf_viz.__path__)}
    mapped = set(re.findall(r":mod:`~pwgf_viz\.(\w+)`", pwgf_viz.__doc__))
    assert mapped == modules - {"__main__"}, (modules - mapped, mapped - modules)


def test_objective_slopes_checks_and_differentiates():
    import pytest
    import torch

    from pwgf_viz.validation import objective_slopes

    z = torch.tensor([[0.0], [1.0], [2.0]], dtype=torch.float64)
    assert torch.equal(objective_slopes(lambda v: (v ** 2).sum(-1), z), 2 * z)
    assert torch.equal(objective_slopes(lambda v: (v * 0).sum(-1) + v.sum(-1) * 0, z), torch.zeros_like(z))
    with pytest.raises(TypeError, match="must be differentiable"):
        objective_slopes(lambda v: torch.ones(v.shape[0], dtype=v.dtype), z)
    with pytest.raises(ValueError, match="derivative is not finite"):
        objective_slopes(lambda v: v.abs().sqrt().sum(-1), z)
