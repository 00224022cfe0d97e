"""numpynet.activations against keras.activations: values and input gradients, name by name.

Every entry of ``numpynet.activations.ALL_OBJECTS_DICT`` (aliases included) is run beside
``keras.activations.get(name)`` on the same inputs, kept away from each activation's kinks (where
the two engines may legitimately pick different one-sided derivatives), in float32 and float64.
Activations with arguments are also run with non-default ones.

Sparsemax is the one deliberate difference: Keras 3.15.1 computes the threshold τ from the sum of
the cumulative sums over the support (keras-team/keras#23425, fixed upstream by #23469), so its
rows do not sum to 1 once two or more entries are in the support. numpynet follows the paper and
the fix; the tests assert exactly that, and compare numpynet with the fixed formula.
"""

import numpy as np
import pytest

import numpynet as nn
from parity_tests.compare import assert_close, assert_same, tolerance
from tf_reference._keras import keras, tf

# Every kink of every activation: 0 (relu family), ±0.5 (shrinks), ±1 (hard_tanh, sparse_*),
# ±3 (hard_sigmoid, hard_silu), 6 (relu6), 0.3 (the thresholds used below).
KINKS = np.array([0.0, 0.3, -0.3, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 4.0, 6.0])


@pytest.fixture(autouse=True)
def _fresh_state():
    """Overrides conftest's: these cases build no layers, so they skip clear_session's slow gc."""
    nn.config.set_floatx("float32")
    keras.config.set_floatx("float32")
    yield
    nn.config.set_floatx("float32")
    keras.config.set_floatx("float32")


def _inputs(rng, shape, dtype):
    """Values in [-7, 7], at least 0.05 from every kink."""
    x = rng.uniform(-7.0, 7.0, shape)
    near = np.min(np.abs(x[..., None] - KINKS), axis=-1) < 0.05
    x[near] += 0.1
    return x.astype(dtype)


def _value_and_grad_numpynet(fn, x, seed, kwargs):
    tensor = nn.Tensor(x, requires_grad=True, dtype=x.dtype)
    out = fn(tensor, **kwargs)
    if out is tensor:  # linear returns its input: the gradient is the seed itself
        return out.data, seed[tuple(slice(n) for n in out.shape)]
    out.backward(seed[tuple(slice(n) for n in out.shape)])
    return out.data, tensor.grad


def _value_and_grad_keras(fn, x, seed, kwargs):
    tensor = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        out = fn(tensor, **kwargs)
    grad = tape.gradient(out, tensor, output_gradients=tf.constant(
        seed[tuple(slice(n) for n in out.shape)]))
    return np.asarray(out), np.zeros_like(x) if grad is None else np.asarray(grad)


# Non-default arguments worth a run of their own (name, kwargs).
VARIANTS = [
    ("relu", {"max_value": 6.0}), ("relu", {"max_value": 4.0}),
    ("relu", {"negative_slope": 0.1}), ("relu", {"threshold": 0.3}),
    ("relu", {"negative_slope": 0.1, "max_value": 4.0, "threshold": 0.3}),
    ("leaky_relu", {"negative_slope": 0.05}), ("elu", {"alpha": 0.5}), ("celu", {"alpha": 2.0}),
    ("gelu", {"approximate": True}), ("softmax", {"axis": 0}), ("log_softmax", {"axis": 0}),
    ("glu", {"axis": 0}), ("soft_shrink", {"threshold": 0.3}),
    ("hard_shrink", {"threshold": 0.3}), ("squareplus", {"b": 1}),
    ("threshold", {"threshold": -0.3, "default_value": 2.0}),
]
REQUIRED = {"threshold": {"threshold": 0.3, "default_value": -1.0}}
NAMES = sorted(set(nn.activations.ALL_OBJECTS_DICT) - {"sparsemax"})
CASES = [pytest.param(name, REQUIRED.get(name, {}), id=name) for name in NAMES] + [
    pytest.param(name, kwargs, id=f"{name}-" + "-".join(f"{k}{v}" for k, v in kwargs.items()))
    for name, kwargs in VARIANTS]


def _tolerance(name, kwargs, dtype):
    if name == "gelu" and dtype == "float64" and not kwargs.get("approximate"):
        return {"rtol": 1e-6, "atol": 1e-8}  # tf.nn.gelu's float64 erf: ~5e-9 from SciPy's
    if name == "gelu" and dtype == "float32" and kwargs.get("approximate"):
        # 1 + tanh(u) with tanh(u) ≈ -1 for x < -4 loses every float32 digit on both sides.
        return {"rtol": 1e-5, "atol": 1e-5}
    return tolerance(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, kwargs", CASES)
def test_activation_value_and_gradient(name, kwargs, dtype, rng):
    ours_fn = nn.activations.get(name)
    theirs_fn = keras.activations.get(name)
    x = _inputs(rng, (6, 8), dtype)
    seed = rng.standard_normal((6, 8)).astype(dtype)
    value, grad = _value_and_grad_numpynet(ours_fn, x, seed, kwargs)
    their_value, their_grad = _value_and_grad_keras(theirs_fn, x, seed, kwargs)
    case = f"activation {name} {kwargs or ''} {dtype}".replace("  ", " ")
    assert value.dtype == np.dtype(dtype), f"{case}: numpynet returned {value.dtype}"
    tol = _tolerance(name, kwargs, dtype)
    assert_close(case, "value", value, their_value, **tol)
    assert_close(case, "input grad", grad, their_grad, **tol)


@pytest.mark.parametrize("name", sorted(nn.activations.ALL_OBJECTS_DICT))
def test_activation_names_and_serialization(name):
    """The same names resolve, and serialize to the same string (swish -> silu)."""
    ours, theirs = nn.activations.get(name), keras.activations.get(name)
    assert_same(f"activation {name} names", "serialize", nn.activations.serialize(ours),
                keras.activations.serialize(theirs))


def test_activation_tables_have_the_same_names():
    from keras.src.activations import ALL_OBJECTS_DICT

    assert_same("activation table", "names", sorted(nn.activations.ALL_OBJECTS_DICT),
                sorted(ALL_OBJECTS_DICT))


@pytest.mark.parametrize("name", ["sigmoid", "softmax"])
def test_sigmoid_and_softmax_carry_their_logits(name, rng):
    """Both engines attach the input logits to the output (the TF cross-entropy shortcut)."""
    x = rng.standard_normal((3, 4)).astype("float32")
    ours = nn.activations.get(name)(x)
    theirs = keras.activations.get(name)(tf.constant(x))
    assert_same(f"activation {name} logits", "_keras_logits attached",
                ours._keras_logits is not None, getattr(theirs, "_keras_logits", None) is not None)
    assert_close(f"activation {name} logits", "_keras_logits", ours._keras_logits,
                 theirs._keras_logits)


# ---------------------------------------------------------------------------- sparsemax
def _sparsemax_fixed(logits, axis=-1):
    """Keras' TF sparsemax with the upstream fix (#23469): τ sums the sorted logits."""
    logits_sorted = tf.sort(logits, direction="DESCENDING", axis=axis)
    logits_cumsum = tf.cumsum(logits_sorted, axis=axis)
    r_shape = [1] * len(logits.shape)
    r_shape[axis] = -1
    r = tf.reshape(tf.range(1, tf.shape(logits)[axis] + 1, dtype=logits.dtype), r_shape)
    support = logits_sorted - (logits_cumsum - 1) / r > 0
    k = tf.reduce_sum(tf.cast(support, logits.dtype), axis=axis, keepdims=True)
    in_support = tf.reduce_sum(tf.where(support, logits_sorted, 0.0), axis=axis, keepdims=True)
    return tf.maximum(logits - (in_support - 1) / k, 0.0)


def _close_logits(rng, dtype):
    """Rows whose supports hold 2 to 5 entries (closely spaced logits)."""
    return (rng.uniform(0.0, 1.0, (5, 6)) * np.array([[0.4], [0.8], [1.5], [2.5], [1.0]])
            ).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_sparsemax_matches_the_fixed_keras_formula(axis, dtype, rng):
    x = _close_logits(rng, dtype)
    seed = rng.standard_normal(x.shape).astype(dtype)
    value, grad = _value_and_grad_numpynet(nn.activations.sparsemax, x, seed, {"axis": axis})
    their_value, their_grad = _value_and_grad_keras(_sparsemax_fixed, x, seed, {"axis": axis})
    case = f"activation sparsemax axis={axis} {dtype} (fixed upstream formula)"
    assert_close(case, "value", value, their_value, **tolerance(dtype))
    assert_close(case, "input grad", grad, their_grad, **tolerance(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sparsemax_documented_difference_from_keras(dtype, rng):
    """keras-team/keras#23425: Keras 3.15.1's rows do not sum to 1; numpynet's do."""
    x = _close_logits(rng, dtype)
    ours = nn.activations.sparsemax(x).data
    theirs = np.asarray(keras.activations.sparsemax(tf.constant(x)))
    support_sizes = np.sum(ours > 0, axis=-1)
    assert np.all(support_sizes >= 2), f"the rows must have 2+ entries in the support: {ours}"
    case = f"activation sparsemax {dtype} (keras-team/keras#23425)"
    assert_close(case, "numpynet row sums", ours.sum(axis=-1), np.ones(len(x)),
                 **tolerance(dtype))
    keras_off = np.abs(theirs.sum(axis=-1) - 1.0)
    assert_same(case, "every Keras row sum is off by more than 0.01", bool(np.all(
        keras_off > 0.01)), True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sparsemax_equals_keras_when_one_entry_is_in_the_support(dtype, rng):
    """With a support of size 1 the two formulas agree (Keras' own tests only cover this)."""
    x = rng.standard_normal((4, 6)).astype(dtype)
    x[np.arange(4), rng.integers(0, 6, 4)] += 5.0  # one logit far above the others
    seed = rng.standard_normal(x.shape).astype(dtype)
    value, grad = _value_and_grad_numpynet(nn.activations.sparsemax, x, seed, {})
    their_value, their_grad = _value_and_grad_keras(keras.activations.sparsemax, x, seed, {})
    case = f"activation sparsemax one-hot support {dtype}"
    assert_close(case, "value", value, their_value, **tolerance(dtype))
    assert_close(case, "input grad", grad, their_grad, **tolerance(dtype))
