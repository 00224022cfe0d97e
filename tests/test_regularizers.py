"""Regularizers: values against NumPy formulas, gradients on the tape, (de)serialization, errors."""

import numpy as np
import pytest

from numpynet import config, ops, regularizers
from numpynet.gradcheck import check_grads
from numpynet.tensor import Tensor, Variable

RNG = np.random.default_rng(0)
X = RNG.normal(size=(5, 4))
# away from 0, where |x| has its kink
X_NO_ZEROS = np.where(np.abs(X) < 0.1, 0.5, X)
# activations in (0, 1), as sigmoid codes are
ACTIVATIONS = RNG.uniform(0.05, 0.95, size=(8, 6))


def _value(penalty):
    assert isinstance(penalty, Tensor) and penalty.shape == ()
    return float(penalty.data)


# ---------------------------------------------------------------------- values
def test_l1_l2_l1l2_values_match_numpy_without_a_half():
    # Keras casts the factor through float32 (TF backend), so 0.3 is used as float32(0.3).
    f = lambda v: float(np.float32(v))  # noqa: E731
    assert _value(regularizers.L1(0.3)(X)) == pytest.approx(f(0.3) * np.abs(X).sum(), rel=1e-12)
    assert _value(regularizers.L2(0.3)(X)) == pytest.approx(f(0.3) * np.square(X).sum(),
                                                           rel=1e-12)
    both = regularizers.L1L2(l1=0.2, l2=0.5)(X)
    expected = f(0.2) * np.abs(X).sum() + f(0.5) * np.square(X).sum()
    assert _value(both) == pytest.approx(expected, rel=1e-12)
    assert _value(regularizers.L2(0.3)(X)) != pytest.approx(0.3 * np.square(X).sum(), rel=1e-9)


def test_defaults_follow_keras():
    assert regularizers.L1().l1 == 0.01 and regularizers.L2().l2 == 0.01
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert _value(regularizers.L1L2()(X)) == 0.0
    assert regularizers.L1(None).l1 == 0.01  # None means the default, as in Keras
    ones = np.ones((5, 5), np.float32)
    assert _value(regularizers.get("l1")(ones)) == pytest.approx(0.25)
    assert _value(regularizers.get("l2")(2 * ones)) == pytest.approx(1.0)


def test_penalties_keep_the_dtype_of_their_input():
    weight = Variable(X.astype(np.float32))
    for regularizer in (regularizers.L1(), regularizers.L2(), regularizers.L1L2(0.1, 0.1),
                        regularizers.MeanActivity(), regularizers.KLSparsity(),
                        regularizers.OrthogonalRegularizer()):
        penalty = regularizer(weight if not isinstance(regularizer, regularizers.KLSparsity)
                              else ACTIVATIONS.astype(np.float32))
        assert penalty.dtype == np.float32, type(regularizer).__name__
    assert regularizers.L2()(X).dtype == np.float64


def test_mean_activity_is_beta_times_the_mean():
    assert _value(regularizers.MeanActivity(beta=0.7)(X)) == pytest.approx(0.7 * X.mean())
    assert regularizers.MeanActivity().beta == 0.01


def _kl_numpy(x, rho, beta, eps=1e-7):
    rho_hat = np.clip(x.mean(axis=0), eps, 1 - eps)
    kl = rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
    return beta * np.sum(kl)


def test_kl_sparsity_matches_numpy():
    value = _value(regularizers.KLSparsity(rho=0.1, beta=3.0)(ACTIVATIONS))
    assert value == pytest.approx(_kl_numpy(ACTIVATIONS, 0.1, 3.0), rel=1e-12)
    assert value > 0


def test_kl_sparsity_is_zero_at_the_target_and_finite_for_dead_units():
    at_target = np.full((4, 3), 0.05)
    assert _value(regularizers.KLSparsity(rho=0.05)(at_target)) == pytest.approx(0.0, abs=1e-12)
    dead = np.zeros((4, 3))  # ρ̂ = 0 is clipped to epsilon, so the log stays finite
    expected = _kl_numpy(dead, 0.05, 1.0, eps=config.epsilon())
    assert np.isfinite(expected)
    assert _value(regularizers.KLSparsity()(dead)) == pytest.approx(expected, rel=1e-9)


def test_orthogonal_regularizer_matches_numpy_and_keras():
    matrix = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]])
    for mode, axis in (("rows", 1), ("columns", 0)):
        units = matrix / np.linalg.norm(matrix, axis=axis, keepdims=True)
        product = units @ units.T if mode == "rows" else units.T @ units
        n = product.shape[0]
        expected = 0.1 * 0.5 * np.abs(product * (1 - np.eye(n))).sum() / (n * (n - 1) / 2)
        value = _value(regularizers.OrthogonalRegularizer(0.1, mode)(matrix))
        assert value == pytest.approx(expected, rel=1e-12)
    # keras.regularizers.OrthogonalRegularizer(0.1)(matrix) in float32 gives 0.06770278
    rows = regularizers.OrthogonalRegularizer(0.1)(matrix.astype(np.float32))
    assert _value(rows) == pytest.approx(0.06770278, rel=1e-6)
    assert _value(regularizers.OrthogonalRegularizer()(np.eye(3))) == 0.0


# ---------------------------------------------------------------------- gradients
@pytest.mark.parametrize("regularizer, x", [
    (regularizers.L1(0.3), X_NO_ZEROS),
    (regularizers.L2(0.3), X),
    (regularizers.L1L2(0.2, 0.5), X_NO_ZEROS),
    (regularizers.MeanActivity(0.7), X),
    (regularizers.KLSparsity(rho=0.1, beta=2.0), ACTIVATIONS),
    (regularizers.OrthogonalRegularizer(0.1, "rows"), X_NO_ZEROS),
    (regularizers.OrthogonalRegularizer(0.1, "columns"), X_NO_ZEROS),
])
def test_gradients_flow_through_the_tape(regularizer, x):
    check_grads(lambda t: regularizer(t), x)


def test_penalty_gradient_reaches_a_variable():
    weight = Variable(X, dtype=np.float64)
    regularizers.L2(0.5)(weight).backward()
    np.testing.assert_allclose(weight.grad, X)  # d(0.5·Σw²)/dw = w
    total = ops.add(regularizers.L1(0.1)(weight), regularizers.L2(0.0)(weight))
    total.backward()
    np.testing.assert_allclose(weight.grad, 0.1 * np.sign(X))


# ---------------------------------------------------------------------- get / serialize
@pytest.mark.parametrize("name, cls, config_", [
    ("l1", "L1", {"l1": 0.01}), ("L1", "L1", {"l1": 0.01}), ("l2", "L2", {"l2": 0.01}),
    ("l1l2", "L1L2", {"l1": 0.0, "l2": 0.0}), ("L1L2", "L1L2", {"l1": 0.0, "l2": 0.0}),
    ("l1_l2", "L1L2", {"l1": 0.01, "l2": 0.01}),
    ("orthogonal_regularizer", "OrthogonalRegularizer", {"factor": 0.01, "mode": "rows"}),
    ("mean_activity", "MeanActivity", {"beta": 0.01}),
    ("kl_sparsity", "KLSparsity", {"rho": 0.05, "beta": 1.0}),
    ("KLSparsity", "KLSparsity", {"rho": 0.05, "beta": 1.0}),
])
def test_get_by_name(name, cls, config_):
    regularizer = regularizers.get(name)
    assert type(regularizer).__name__ == cls and regularizer.get_config() == config_


def test_get_other_identifiers():
    assert regularizers.get(None) is None
    instance = regularizers.L2(0.3)
    assert regularizers.get(instance) is instance
    assert isinstance(regularizers.get(regularizers.L1), regularizers.L1)
    fn = lambda x: 0.1 * ops.mean(x)  # noqa: E731  (the course's β·mean(code) as a lambda)
    assert regularizers.get(fn) is fn
    config_ = {"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}}
    assert regularizers.get(config_).get_config() == {"l1": 0.1, "l2": 0.2}


@pytest.mark.parametrize("regularizer", [
    regularizers.L1(0.3), regularizers.L2(0.2), regularizers.L1L2(0.1, 0.4),
    regularizers.OrthogonalRegularizer(0.2, "columns"), regularizers.MeanActivity(0.5),
    regularizers.KLSparsity(0.2, 3.0),
])
def test_serialize_round_trip(regularizer):
    config_ = regularizers.serialize(regularizer)
    extra = isinstance(regularizer, (regularizers.MeanActivity, regularizers.KLSparsity))
    assert config_["module"] == ("numpynet.regularizers" if extra else "keras.regularizers")
    clone = regularizers.deserialize(config_)
    assert type(clone) is type(regularizer) and clone.get_config() == regularizer.get_config()
    assert _value(clone(ACTIVATIONS)) == pytest.approx(_value(regularizer(ACTIVATIONS)))


def test_serialize_functions():
    def sparse_code(x):
        return 0.1 * ops.mean(x)

    config_ = regularizers.serialize(sparse_code)
    assert config_["class_name"] == "function" and config_["config"] == "sparse_code"
    assert regularizers.deserialize(config_, custom_objects={"sparse_code": sparse_code}) \
        is sparse_code
    with pytest.raises(ValueError, match=r"custom regularizer function 'sparse_code'"):
        regularizers.deserialize(config_)
    assert regularizers.serialize(None) is None


# ---------------------------------------------------------------------- errors
def test_unknown_identifiers_list_the_valid_names():
    with pytest.raises(ValueError, match=r"Could not interpret regularizer identifier: 'l3'"
                                         r".*'kl_sparsity'.*'l1'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match=r"Could not interpret regularizer identifier: 0.1"):
        regularizers.get(0.1)
    with pytest.raises(ValueError, match=r"expected a name or a dict with 'class_name'"):
        regularizers.deserialize(["l1"])
    with pytest.raises(ValueError, match=r"Cannot serialize regularizer 5"):
        regularizers.serialize(5)


@pytest.mark.parametrize("make, message", [
    (lambda: regularizers.L1(-0.1), r"argument l1: expected a non-negative float.*l1=-0.1"),
    (lambda: regularizers.L2(float("nan")), r"argument l2: expected a non-negative float"),
    (lambda: regularizers.L1L2(l2="0.1"), r"argument l2: expected a non-negative float"),
    (lambda: regularizers.MeanActivity(beta=-1), r"argument beta"),
    (lambda: regularizers.KLSparsity(rho=1.0), r"rho: expected a target activation strictly"),
    (lambda: regularizers.KLSparsity(rho=0.0), r"rho: expected a target activation strictly"),
    (lambda: regularizers.OrthogonalRegularizer(mode="diag"), r"Expected one of.*mode='diag'"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_orthogonal_regularizer_needs_a_matrix():
    with pytest.raises(ValueError, match=r"must have rank 2.*\(2, 2, 2\)"):
        regularizers.OrthogonalRegularizer()(np.ones((2, 2, 2)))


def test_base_regularizer():
    base = regularizers.Regularizer()
    assert _value(base(X)) == 0.0
    with pytest.raises(NotImplementedError, match="Regularizer does not implement get_config"):
        base.get_config()
