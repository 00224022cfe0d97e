"""Activations: every name against a plain NumPy formula, gradient checks, dtypes, get/serialize."""

import math

import numpy as np
import pytest

from numpynet import activations, config
from numpynet.gradcheck import check_grads
from numpynet.tensor import Tensor

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
KINKS = (-6.0, -3.0, -2.0, -1.0, -0.5, 0.0, 0.3, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0)  # 0.3: threshold()


def _away_from_kinks(x, margin=0.05):
    """Moves every point at least ``margin`` from the places where some activation has a kink."""
    for kink in KINKS:
        near = np.abs(x - kink) < margin
        x = np.where(near, kink + np.where(x >= kink, margin, -margin) * 2, x)
    return x


X = _away_from_kinks(np.random.default_rng(0).uniform(-8.0, 8.0, size=(4, 6)))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sparsemax(x):
    """Reference: bisection for the τ with Σ max(x - τ, 0) = 1, row by row."""
    out = np.empty_like(x)
    for i, row in enumerate(x.reshape(-1, x.shape[-1])):
        low, high = row.max() - 1.0, row.max()
        for _ in range(200):
            tau = (low + high) / 2
            low, high = (tau, high) if np.maximum(row - tau, 0).sum() > 1 else (low, tau)
        out.reshape(-1, x.shape[-1])[i] = np.maximum(row - tau, 0)
    return out


_ERF = np.vectorize(math.erf)
REFERENCES = {
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "relu6": lambda x: np.clip(x, 0, 6),
    "softmax": _softmax,
    "celu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "squareplus": lambda x: (x + np.sqrt(x**2 + 4)) / 2,
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + _ERF(x / math.sqrt(2))),
    "glu": lambda x: x[..., :3] * _sigmoid(x[..., 3:]),
    "tanh": np.tanh,
    "tanh_shrink": lambda x: x - np.tanh(x),
    "threshold": lambda x: np.where(x > 0.3, x, -2.0),
    "sigmoid": _sigmoid,
    "sparse_sigmoid": lambda x: np.clip((x + 1) / 2, 0, 1),
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "linear": lambda x: x,
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "log_softmax": lambda x: np.log(_softmax(x)),
    "log_sigmoid": lambda x: -np.log1p(np.exp(-x)),
    "sparsemax": _sparsemax,
}
EXTRA_ARGS = {"threshold": {"threshold": 0.3, "default_value": -2.0}}


def _call(name, x):
    return activations.get(name)(x, **EXTRA_ARGS.get(name, {}))


def _data(y):
    return y.data if isinstance(y, Tensor) else np.asarray(y)


def test_every_keras_name_has_a_reference():
    assert set(REFERENCES) == set(activations.ALL_OBJECTS_DICT)
    assert len(activations.ALL_OBJECTS_DICT) == 32  # Keras 3.15: 30 functions + 2 aliases


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_forward_matches_numpy_reference(name):
    out = _call(name, X)
    assert _data(out).dtype == np.float64
    np.testing.assert_allclose(_data(out), REFERENCES[name](X), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(set(REFERENCES) - {"linear"}))
def test_gradients_match_finite_differences(name):
    check_grads(lambda t: _call(name, t), X)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_float32_in_float32_out(name):
    x32 = X.astype(np.float32)
    for given in (x32, Tensor(x32)):
        out = _data(_call(name, given))
        assert out.dtype == np.float32, name
        np.testing.assert_allclose(out, REFERENCES[name](X), rtol=2e-5, atol=2e-5)


def test_lists_become_floatx_tensors():
    out = activations.relu([[-1, 2], [3, -4]])
    assert isinstance(out, Tensor) and out.dtype == np.dtype(config.floatx())
    np.testing.assert_array_equal(out.data, [[0, 2], [3, 0]])


@pytest.mark.parametrize("kwargs, reference", [
    ({"negative_slope": 0.1}, lambda x: np.where(x > 0, x, 0.1 * x)),
    ({"max_value": 4.0}, lambda x: np.clip(x, 0, 4)),
    ({"max_value": 6}, lambda x: np.clip(x, 0, 6)),
    ({"threshold": 0.5}, lambda x: np.where(x > 0.5, x, 0)),
    ({"negative_slope": 0.1, "max_value": 6.0},
     lambda x: np.where(x > 0, np.minimum(x, 6), 0.1 * x)),
    ({"negative_slope": 0.1, "threshold": 0.5, "max_value": 2.0},
     lambda x: np.where(x > 0.5, np.minimum(x, 2), 0.1 * (x - 0.5))),
])
def test_relu_options_follow_keras(kwargs, reference):
    np.testing.assert_allclose(activations.relu(X, **kwargs).data, reference(X), rtol=1e-12)
    check_grads(lambda t: activations.relu(t, **kwargs), X)


def test_activation_arguments():
    np.testing.assert_allclose(activations.gelu(X, approximate=True).data,
                               0.5 * X * (1 + np.tanh(math.sqrt(2 / math.pi)
                                                      * (X + 0.044715 * X**3))), rtol=1e-12)
    np.testing.assert_allclose(activations.elu(X, alpha=0.5).data,
                               np.where(X > 0, X, 0.5 * np.expm1(X)), rtol=1e-12)
    np.testing.assert_allclose(activations.celu(X, alpha=2.0).data,
                               np.where(X > 0, X, 2.0 * np.expm1(X / 2.0)), rtol=1e-10)
    np.testing.assert_allclose(activations.leaky_relu(X, negative_slope=0.01).data,
                               np.where(X > 0, X, 0.01 * X), rtol=1e-12)
    np.testing.assert_allclose(activations.softmax(X, axis=0).data, _softmax(X, 0), rtol=1e-12)
    np.testing.assert_allclose(activations.glu(X, axis=0).data,
                               X[:2] * _sigmoid(X[2:]), rtol=1e-12)
    np.testing.assert_allclose(activations.squareplus(X, b=1).data,
                               (X + np.sqrt(X**2 + 1)) / 2, rtol=1e-12)
    np.testing.assert_allclose(activations.hard_shrink(X, threshold=2.0).data,
                               np.where(np.abs(X) > 2, X, 0), rtol=1e-12)


def test_sigmoid_and_softmax_carry_their_logits_for_cross_entropy():
    logits = Tensor(X)
    for fn in (activations.sigmoid, activations.softmax):
        out = fn(logits)
        assert out._keras_logits is logits, fn.__name__
    assert activations.tanh(logits)._keras_logits is None


def test_linear_returns_its_input_unchanged():
    t = Tensor(X)
    assert activations.linear(t) is t and activations.get(None) is activations.linear


def test_sparsemax_is_sparse_and_sums_to_one():
    out = activations.sparsemax(np.array([[0.0, 0.5, 1.0], [3.0, 0.0, 0.0]])).data
    np.testing.assert_allclose(out, [[0.0, 0.25, 0.75], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(activations.sparsemax(X).data.sum(axis=-1), 1.0)


def test_glu_needs_an_even_axis():
    with pytest.raises(ValueError, match=r"glu: axis size must be divisible by 2.*\(2, 3\)"):
        activations.glu(np.ones((2, 3)))


# ---------------------------------------------------------------------- get / serialize
def test_get_names_aliases_and_callables():
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    fn = lambda x: x * 2  # noqa: E731
    assert activations.get(fn) is fn
    assert activations.get({"class_name": "function", "config": "tanh"}) is activations.tanh


def test_serialize_gives_the_keras_name():
    for fn in activations.ALL_OBJECTS_DICT.values():
        assert activations.deserialize(activations.serialize(fn)) is fn
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"
    assert activations.serialize(activations.relu) == "relu"


def test_serialize_custom_functions():
    def doubled(x):
        return x * 2

    config_ = activations.serialize(doubled)
    assert config_["class_name"] == "function" and config_["config"] == "doubled"
    assert activations.deserialize(config_, custom_objects={"doubled": doubled}) is doubled


def test_errors_name_the_identifier_and_list_valid_names():
    with pytest.raises(ValueError, match=r"Could not interpret activation function identifier: "
                                         r"'rlu'.*'relu'"):
        activations.get("rlu")
    with pytest.raises(ValueError, match=r"Could not interpret activation function identifier: 3"):
        activations.get(3)
    with pytest.raises(ValueError, match=r"identifier: \{'class_name': 'function', 'config': "
                                         r"'doubled'\}"):
        activations.deserialize({"class_name": "function", "config": "doubled"})
    with pytest.raises(ValueError, match=r"Unknown activation function 'relu' cannot be"):
        activations.serialize("relu")
