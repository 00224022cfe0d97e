"""numpynet.ops against keras.ops and tf.nn: forward values and input gradients, op by op.

Each case runs one op on the same random inputs in both engines, in float32 and float64. The
gradients are vector-Jacobian products with the same random seed gradient (a random projection of
the output): numpynet's ``backward(seed)`` against ``tf.GradientTape.gradient(...,
output_gradients=seed)``. Every input is differentiated, broadcast operands included, so a wrong
``unbroadcast`` shows up as a gradient of the wrong shape or value.
"""

from functools import partial

import numpy as np
import pytest

import numpynet as nn
from parity_tests.compare import assert_close, tolerance
from tf_reference._keras import keras, tf

K = keras.ops
DTYPES = ("float32", "float64")


@pytest.fixture(autouse=True)
def _fresh_state():
    """Overrides conftest's: these cases build no layers, so they skip clear_session's slow gc."""
    nn.config.set_floatx("float32")
    keras.config.set_floatx("float32")
    yield
    nn.config.set_floatx("float32")
    keras.config.set_floatx("float32")


# ---------------------------------------------------------------------------- input kinds
def _draw(rng, kind, shape):
    """Random inputs of a kind chosen to stay in each op's domain and away from its kinks."""
    if kind == "n":  # normal
        return rng.standard_normal(shape)
    if kind == "p":  # positive: log, sqrt, power, the base of a^b
        return rng.uniform(0.5, 2.0, shape)
    if kind == "a":  # |x| in [0.2, 2]: abs, divide, relu-like kinks at 0
        return rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    if kind == "w":  # wide: every piece of relu6, hard_sigmoid, clip
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 8.0, shape)
    if kind == "x":  # extreme logits for the numerically stable ops
        return rng.choice([-1e4, 1e4, -30.0, 30.0, 0.5, -0.5], shape)
    if kind == "t":  # ties: the same maximum and minimum several times
        return rng.choice([-1.0, 0.0, 2.0], shape)
    if kind == "prob":  # soft labels: rows of probabilities
        values = rng.uniform(0.0, 1.0, shape)
        return values / values.sum(axis=-1, keepdims=True)
    if kind == "bin":  # labels in [0, 1] for sigmoid cross-entropy
        return rng.uniform(0.0, 1.0, shape)
    raise ValueError(f"unknown input kind {kind!r}")


def case(name, ours, theirs, *inputs, tag=""):
    """One parametrized case: ``ours`` on numpynet tensors vs ``theirs`` on tf tensors."""
    return pytest.param(name, ours, theirs, inputs, id=f"{name}-{tag}" if tag else name)


def _numpynet(fn, arrays, rng):
    tensors = [nn.Tensor(a, requires_grad=True, dtype=a.dtype) for a in arrays]
    out = fn(*tensors)
    seed = rng.standard_normal(out.shape).astype(out.dtype)
    out.backward(seed)
    return out.data, [t.grad for t in tensors], seed


def _keras(fn, arrays, seed):
    inputs = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        for tensor in inputs:
            tape.watch(tensor)
        out = fn(*inputs)
    grads = tape.gradient(out, inputs, output_gradients=tf.constant(seed))
    # gather's gradient is an IndexedSlices: densify it
    return np.asarray(out), [np.zeros(a.shape, a.dtype) if g is None
                             else np.asarray(tf.convert_to_tensor(g))
                             for a, g in zip(arrays, grads)]


def compare_op(name, ours, theirs, arrays, dtype, rng, tol=None):
    """Compares value and every input gradient of one op; returns numpynet's output."""
    tol = tol or tolerance(dtype)
    value, grads, seed = _numpynet(ours, arrays, rng)
    assert value.dtype == np.dtype(dtype), f"op {name}: numpynet returned {value.dtype}"
    their_value, their_grads = _keras(theirs, arrays, seed)
    case_name = f"op {name} {dtype}"
    assert_close(case_name, "value", value, their_value, **tol)
    for i, (g, h) in enumerate(zip(grads, their_grads)):
        assert_close(case_name, f"input {i} grad", g, h, **tol)
    return value


# ---------------------------------------------------------------------------- the cases
_TOLERANCES = {
    # tf.nn.gelu's float64 erf differs from SciPy's erf by ~5e-9 absolute near 0.
    ("gelu", "float64"): {"rtol": 1e-6, "atol": 1e-8},
    # The tanh form computes 1 + tanh(u) with tanh(u) ≈ -1 for x < -4: both engines lose every
    # float32 digit there (true gradient < 3e-5, each side off by up to ~4e-6 absolute).
    ("gelu", "float32"): {"rtol": 1e-5, "atol": 1e-5},
}
O = nn.ops
ELEMENTWISE = [
    case("add", O.add, K.add, ((3, 4), "n"), ((3, 4), "n")),
    case("add", O.add, K.add, ((3, 4), "n"), ((4,), "n"), tag="broadcast_row"),
    case("add", O.add, K.add, ((2, 1, 4), "n"), ((3, 1), "n"), tag="broadcast_both"),
    case("subtract", O.subtract, K.subtract, ((3, 4), "n"), ((3, 1), "n"), tag="broadcast"),
    case("subtract", O.subtract, K.subtract, ((3, 4), "n"), ((3, 4), "n")),
    case("multiply", O.multiply, K.multiply, ((3, 4), "n"), ((3, 4), "n")),
    case("multiply", O.multiply, K.multiply, ((2, 3, 4), "n"), ((4,), "n"), tag="broadcast"),
    case("divide", O.divide, K.divide, ((3, 4), "n"), ((3, 4), "a")),
    case("divide", O.divide, K.divide, ((1, 4), "n"), ((3, 1), "a"), tag="broadcast"),
    case("power", O.power, K.power, ((3, 4), "p"), ((3, 4), "n")),
    case("power", lambda a: O.power(a, 3.0), lambda a: K.power(a, 3.0), ((3, 4), "n"),
         tag="cube"),
    case("power", O.power, K.power, ((3, 4), "p"), ((4,), "n"), tag="broadcast"),
    case("negative", O.negative, K.negative, ((3, 4), "n")),
    case("exp", O.exp, K.exp, ((3, 4), "n")),
    case("log", O.log, K.log, ((3, 4), "p")),
    case("log1p", O.log1p, K.log1p, ((3, 4), "p")),
    case("sqrt", O.sqrt, K.sqrt, ((3, 4), "p")),
    case("square", O.square, K.square, ((3, 4), "n")),
    case("abs", O.abs, K.abs, ((3, 4), "a")),
    # piecewise constant: the gradient is zero on both sides (tf.sign's is zeros, not None)
    case("sign", O.sign, K.sign, ((3, 4), "a")),
    case("sign", O.sign, K.sign, ((3, 4), "t"), tag="zeros"),
    case("maximum", O.maximum, K.maximum, ((3, 4), "n"), ((3, 4), "n")),
    case("maximum", O.maximum, K.maximum, ((3, 4), "n"), ((4,), "n"), tag="broadcast"),
    case("maximum", O.maximum, K.maximum, ((3, 4), "t"), ((3, 4), "t"), tag="ties"),
    case("minimum", O.minimum, K.minimum, ((3, 4), "n"), ((3, 1), "n"), tag="broadcast"),
    case("minimum", O.minimum, K.minimum, ((3, 4), "t"), ((3, 4), "t"), tag="ties"),
    case("clip", lambda x: O.clip(x, -1.0, 2.0), lambda x: K.clip(x, -1.0, 2.0), ((4, 5), "w")),
    case("clip", lambda x: O.clip(x, -1.0, 2.0), lambda x: K.clip(x, -1.0, 2.0), ((4, 5), "t"),
         tag="on_bounds"),
    case("where", lambda a, b: O.where(a.data > 0, a, b), lambda a, b: K.where(a > 0, a, b),
         ((3, 4), "n"), ((3, 4), "n")),
    case("where", lambda a, b: O.where(a.data > 0, a, b), lambda a, b: K.where(a > 0, a, b),
         ((3, 4), "n"), ((4,), "n"), tag="broadcast"),
    case("matmul", O.matmul, K.matmul, ((3, 4), "n"), ((4, 5), "n")),
    case("matmul", O.matmul, K.matmul, ((2, 3, 4), "n"), ((4, 5), "n"), tag="batch_left"),
    case("matmul", O.matmul, K.matmul, ((2, 3, 4), "n"), ((2, 4, 5), "n"), tag="batched"),
    case("matmul", O.matmul, K.matmul, ((4,), "n"), ((4, 5), "n"), tag="vector_left"),
    case("matmul", O.matmul, K.matmul, ((3, 4), "n"), ((4,), "n"), tag="vector_right"),
]


def _reduction_cases():
    cases = []
    for name in ("sum", "mean", "max", "min", "var", "std"):
        for axis in (None, 0, -1, (0, 2)):
            for keepdims in (False, True):
                cases.append(case(name, partial(getattr(O, name), axis=axis, keepdims=keepdims),
                                  partial(getattr(K, name), axis=axis, keepdims=keepdims),
                                  ((2, 3, 4), "n"), tag=f"axis{axis}-keepdims{keepdims}"))
    for name in ("max", "min"):  # ties share the gradient equally, as tf.reduce_max
        cases.append(case(name, partial(getattr(O, name), axis=-1),
                          partial(getattr(K, name), axis=-1), ((4, 6), "t"), tag="ties"))
    return cases


SHAPES = [
    case("reshape", lambda x: O.reshape(x, (4, -1)), lambda x: K.reshape(x, (4, -1)),
         ((2, 3, 4), "n")),
    case("transpose", O.transpose, K.transpose, ((2, 3, 4), "n"), tag="reverse"),
    case("transpose", lambda x: O.transpose(x, (2, 0, 1)), lambda x: K.transpose(x, (2, 0, 1)),
         ((2, 3, 4), "n"), tag="201"),
    case("transpose", lambda x: O.transpose(x, (-1, 0, 1)),
         lambda x: K.transpose(x, (2, 0, 1)), ((2, 3, 4), "n"), tag="negative_axes"),
    case("expand_dims", lambda x: O.expand_dims(x, 1), lambda x: K.expand_dims(x, 1),
         ((3, 4), "n")),
    case("expand_dims", lambda x: O.expand_dims(x, -1), lambda x: K.expand_dims(x, -1),
         ((3, 4), "n"), tag="last"),
    case("squeeze", O.squeeze, K.squeeze, ((2, 1, 3, 1), "n"), tag="all"),
    case("squeeze", lambda x: O.squeeze(x, 1), lambda x: K.squeeze(x, 1), ((2, 1, 3, 1), "n"),
         tag="axis1"),
    case("concatenate", lambda a, b: O.concatenate([a, b], axis=0),
         lambda a, b: K.concatenate([a, b], axis=0), ((2, 3), "n"), ((4, 3), "n"), tag="axis0"),
    # keras.ops.concatenate defaults to axis=0, numpynet's ops.concatenate to axis=-1 (the
    # Concatenate layer's default): the axis is passed explicitly on both sides.
    case("concatenate", lambda a, b, c: O.concatenate([a, b, c], axis=-1),
         lambda a, b, c: K.concatenate([a, b, c], axis=-1), ((2, 3), "n"), ((2, 1), "n"),
         ((2, 2), "n"), tag="last"),
    case("stack", lambda a, b: O.stack([a, b]), lambda a, b: K.stack([a, b]),
         ((2, 3), "n"), ((2, 3), "n")),
    case("stack", lambda a, b: O.stack([a, b], axis=-1), lambda a, b: K.stack([a, b], axis=-1),
         ((2, 3), "n"), ((2, 3), "n"), tag="last"),
    case("stack", lambda a, b, c: O.stack([a, b, c], axis=1),
         lambda a, b, c: K.stack([a, b, c], axis=1), ((2, 3), "n"), ((2, 3), "n"),
         ((2, 3), "n"), tag="middle"),
    case("take", lambda x: O.take(x, [0, 2, 2], axis=0), lambda x: K.take(x, [0, 2, 2], axis=0),
         ((3, 4), "n"), tag="repeated_rows"),
    case("take", lambda x: O.take(x, [3, 1], axis=1), lambda x: K.take(x, [3, 1], axis=1),
         ((3, 4), "n"), tag="columns"),
    case("take", lambda x: O.take(x, [[0, 5], [5, 11]]), lambda x: K.take(x, [[0, 5], [5, 11]]),
         ((3, 4), "n"), tag="flat_2d_indices"),
    case("take", lambda x: O.take(x, np.array([[1, 0], [1, 1]]), axis=1),
         lambda x: K.take(x, np.array([[1, 0], [1, 1]]), axis=1), ((2, 3, 2), "n"),
         tag="2d_indices_axis1"),
    case("broadcast_to", lambda x: O.broadcast_to(x, (2, 3, 4)),
         lambda x: K.broadcast_to(x, (2, 3, 4)), ((3, 1), "n")),
    case("logsumexp", O.logsumexp, K.logsumexp, ((3, 4), "n"), tag="all"),
    case("logsumexp", lambda x: O.logsumexp(x, axis=-1, keepdims=True),
         lambda x: K.logsumexp(x, axis=-1, keepdims=True), ((3, 4), "n"), tag="last_keepdims"),
    case("logsumexp", lambda x: O.logsumexp(x, axis=0), lambda x: K.logsumexp(x, axis=0),
         ((3, 4), "x"), tag="extreme"),
]

# Indexing: basic indices (slices, steps, ints, None, Ellipsis) against tf's __getitem__; integer
# arrays and masks against tf.gather, tf.gather_nd and tf.boolean_mask. Repeated indices must
# sum their gradients where they scatter back (numpynet: np.add.at; tf: unsorted_segment_sum).
_MASK = np.array([[True, False, True, False], [False, False, False, False],
                  [True, True, True, True]])
GETITEM = [
    case("getitem", lambda x: O.getitem(x, slice(1, 3)), lambda x: x[1:3],
         ((4, 3), "n"), tag="rows"),
    case("getitem", lambda x: O.getitem(x, (slice(None), slice(None, None, 2))),
         lambda x: x[:, ::2], ((3, 5), "n"), tag="step"),
    case("getitem", lambda x: x[::-1, 1:], lambda x: x[::-1, 1:], ((3, 4), "n"),
         tag="reversed_operator"),
    case("getitem", lambda x: O.getitem(x, (Ellipsis, 1)), lambda x: x[..., 1],
         ((2, 3, 4), "n"), tag="ellipsis_int"),
    case("getitem", lambda x: O.getitem(x, -1), lambda x: x[-1], ((3, 4), "n"),
         tag="negative_int"),
    case("getitem", lambda x: O.getitem(x, (None, slice(1, None), -1)),
         lambda x: x[None, 1:, -1], ((3, 4), "n"), tag="newaxis"),
    case("getitem", lambda x: O.getitem(x, np.array([0, 2, 2, 0])),
         lambda x: tf.gather(x, [0, 2, 2, 0]), ((3, 4), "n"), tag="repeated_rows"),
    case("getitem", lambda x: O.getitem(x, (slice(None), [3, 1, 3])),
         lambda x: tf.gather(x, [3, 1, 3], axis=1), ((3, 4), "n"), tag="repeated_columns"),
    case("getitem", lambda x: O.getitem(x, np.array([[0, 1], [1, 1]])),
         lambda x: tf.gather(x, [[0, 1], [1, 1]]), ((2, 3), "n"), tag="2d_index_array"),
    case("getitem", lambda x: O.getitem(x, ([0, 1, 1, 0], [2, 0, 2, 2])),
         lambda x: tf.gather_nd(x, [[0, 2], [1, 0], [1, 2], [0, 2]]), ((2, 3), "n"),
         tag="coordinates_repeated"),
    case("getitem", lambda x: O.getitem(x, _MASK), lambda x: tf.boolean_mask(x, _MASK),
         ((3, 4), "n"), tag="boolean_mask"),
]

NN = [
    case("softmax", O.softmax, K.softmax, ((3, 5), "n")),
    case("softmax", lambda x: O.softmax(x, axis=0), lambda x: K.softmax(x, axis=0),
         ((3, 5), "n"), tag="axis0"),
    case("softmax", O.softmax, K.softmax, ((3, 5), "x"), tag="extreme"),
    case("log_softmax", O.log_softmax, K.log_softmax, ((3, 5), "n")),
    case("log_softmax", lambda x: O.log_softmax(x, axis=0), lambda x: K.log_softmax(x, axis=0),
         ((2, 3, 4), "n"), tag="axis0"),
    case("log_softmax", O.log_softmax, K.log_softmax, ((3, 5), "x"), tag="extreme"),
    case("relu", O.relu, K.relu, ((4, 5), "w")),
    case("relu6", O.relu6, K.relu6, ((4, 5), "w")),
    case("sigmoid", O.sigmoid, K.sigmoid, ((4, 5), "n")),
    case("sigmoid", O.sigmoid, K.sigmoid, ((4, 5), "x"), tag="extreme"),
    case("tanh", O.tanh, K.tanh, ((4, 5), "n")),
    case("softplus", O.softplus, K.softplus, ((4, 5), "n")),
    case("softplus", O.softplus, K.softplus, ((4, 5), "x"), tag="extreme"),
    case("softsign", O.softsign, K.softsign, ((4, 5), "w")),
    case("elu", O.elu, K.elu, ((4, 5), "a")),
    case("elu", lambda x: O.elu(x, alpha=0.5), lambda x: K.elu(x, alpha=0.5), ((4, 5), "a"),
         tag="alpha0.5"),
    case("selu", O.selu, K.selu, ((4, 5), "a")),
    case("leaky_relu", O.leaky_relu, K.leaky_relu, ((4, 5), "a")),
    case("leaky_relu", lambda x: O.leaky_relu(x, 0.01), lambda x: K.leaky_relu(x, 0.01),
         ((4, 5), "a"), tag="slope0.01"),
    # keras.ops.gelu defaults to approximate=True; keras.activations.gelu to False.
    case("gelu", lambda x: O.gelu(x, approximate=True), K.gelu, ((4, 5), "w"),
         tag="tanh_approx"),
    case("gelu", O.gelu, lambda x: K.gelu(x, approximate=False), ((4, 5), "w"), tag="exact"),
    case("silu", O.silu, K.silu, ((4, 5), "n")),
    case("silu", O.silu, K.silu, ((4, 5), "x"), tag="extreme"),
    case("hard_sigmoid", O.hard_sigmoid, K.hard_sigmoid, ((4, 5), "w")),
    case("log_sigmoid", O.log_sigmoid, K.log_sigmoid, ((4, 5), "n")),
    case("log_sigmoid", O.log_sigmoid, K.log_sigmoid, ((4, 5), "x"), tag="extreme"),
]

CROSS_ENTROPY = [
    case("softmax_cross_entropy_with_logits", O.softmax_cross_entropy_with_logits,
         lambda y, x: tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=x),
         ((4, 5), "prob"), ((4, 5), "n")),
    case("softmax_cross_entropy_with_logits", O.softmax_cross_entropy_with_logits,
         lambda y, x: tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=x),
         ((4, 5), "prob"), ((4, 5), "x"), tag="extreme"),
    case("softmax_cross_entropy_with_logits",
         lambda y, x: O.softmax_cross_entropy_with_logits(y, x, axis=0),
         lambda y, x: tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=x, axis=0),
         ((5, 3), "n"), ((5, 3), "n"), tag="axis0"),
    case("sigmoid_cross_entropy_with_logits", O.sigmoid_cross_entropy_with_logits,
         lambda y, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x),
         ((4, 5), "bin"), ((4, 5), "n")),
    case("sigmoid_cross_entropy_with_logits", O.sigmoid_cross_entropy_with_logits,
         lambda y, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x),
         ((4, 5), "bin"), ((4, 5), "x"), tag="extreme"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, ours, theirs, inputs",
                         ELEMENTWISE + _reduction_cases() + SHAPES + GETITEM + NN +
                         CROSS_ENTROPY)
def test_op_value_and_gradients(name, ours, theirs, inputs, dtype, rng):
    arrays = [_draw(rng, kind, shape).astype(dtype) for shape, kind in inputs]
    tol = _TOLERANCES.get((name, dtype), tolerance(dtype))
    value = compare_op(name, ours, theirs, arrays, dtype, rng, tol)
    assert np.all(np.isfinite(value)), f"op {name}: non-finite output {value}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind, label_shape", [("n", (4,)), ("x", (4,)), ("n", (2, 3))])
def test_sparse_softmax_cross_entropy(kind, label_shape, dtype, rng):
    """Integer labels are constants: only the logits are differentiated."""
    logits = _draw(rng, kind, label_shape + (5,)).astype(dtype)
    labels = rng.integers(0, 5, label_shape)
    compare_op(
        "sparse_softmax_cross_entropy_with_logits",
        lambda x: O.sparse_softmax_cross_entropy_with_logits(labels, x),
        lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x),
        [logits], dtype, rng)
