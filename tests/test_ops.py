"""Every primitive of ``numpynet.ops`` and ``numpynet.nn_ops``, one line per case (tinygrad-style).

Each case is checked three ways: the float64 forward value against NumPy or SciPy, every input
gradient against finite differences (``check_grads``), and a float32 run whose output and
gradients must stay float32. Operands that are not tensors (Python floats, NumPy float64 scalars,
float64 arrays) are lifted to the dtype of the tensor beside them, so float32 stays float32.
``test_every_op_is_covered`` fails when an op is added without a case.
"""

import math

import numpy as np
import pytest
from scipy import special

from numpynet import nn_ops, ops
from numpynet.gradcheck import GradientCheckError, check_grads
from numpynet.tensor import Tensor

_rng = np.random.default_rng(1234)  # test data only; the engine's generator is not involved


def u(*shape):
    """Uniform values in [-2, 2]."""
    return _rng.uniform(-2.0, 2.0, shape)


def pos(*shape):
    """Values in [0.5, 2]: inside the domain of log, sqrt, 1/x and a^b."""
    return _rng.uniform(0.5, 2.0, shape)


def away(*shape):
    """Values with 0.2 <= |x| <= 2: far from the kink at 0 of abs, relu, leaky_relu, elu."""
    return _rng.uniform(0.2, 2.0, shape) * _rng.choice([-1.0, 1.0], shape)


# Far from every kink: 0 (relu, elu...), ±3 (hard_sigmoid) and 6 (relu6).
KINKY = np.array([[-5.0, -3.5, -2.5, -1.0], [-0.3, 0.4, 1.7, 2.9], [3.2, 4.0, 6.5, 8.0]])
X234 = u(2, 3, 4)
C34 = u(3, 4)  # a float64 ndarray constant
W23 = u(2, 3)
MASK = u(3, 4) > 0
LABELS = np.array([0, 3, 1])
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805

COVERED = set()


def case(op, fn, reference, *inputs, tag=""):
    """One case: ``fn`` on tensors must equal ``reference`` on ndarrays (None: ``fn`` itself)."""
    COVERED.add(op)
    return pytest.param(fn, reference or fn, inputs, id=f"{op}-{tag}" if tag else op)


def sce_ref(labels, logits, axis=-1):
    return -np.sum(labels * special.log_softmax(logits, axis=axis), axis=axis)


def bce_ref(labels, logits):
    return -labels * special.log_expit(logits) - (1 - labels) * special.log_expit(-logits)


def split_ref(x, sections, axis):
    return np.concatenate([p * (i + 1.0) for i, p in enumerate(np.split(x, sections, axis))], axis)


def split_op(x, sections, axis):
    pieces = ops.split(x, sections, axis)
    return ops.concatenate([p * (i + 1.0) for i, p in enumerate(pieces)], axis)


CASES = [
    case("add", ops.add, np.add, u(3, 4), u(3, 4)),
    case("add", ops.add, np.add, u(3, 4), u(4), tag="broadcast_row"),
    case("add", ops.add, np.add, u(3, 1), u(1, 5), tag="broadcast_outer"),
    case("add", ops.add, np.add, u(3, 4), u(), tag="scalar_tensor"),
    case("add", lambda x: x + 2.5, None, u(3, 4), tag="python_float"),
    case("add", lambda x: C34 + x, None, u(3, 4), tag="ndarray_left"),
    case("add", lambda x: C34[0] + x, None, u(3, 4), tag="ndarray_left_broadcast"),
    case("subtract", ops.subtract, np.subtract, u(3, 4), u(3, 4)),
    case("subtract", ops.subtract, np.subtract, u(3, 1), u(1, 5), tag="broadcast"),
    case("subtract", lambda x: 1.5 - x, None, u(3, 4), tag="reflected"),
    case("multiply", ops.multiply, np.multiply, u(3, 4), u(3, 4)),
    case("multiply", ops.multiply, np.multiply, u(3, 1), u(1, 5), tag="broadcast"),
    case("multiply", ops.multiply, np.multiply, u(), u(2, 3), tag="scalar_left"),
    case("multiply", lambda x: x * np.float64(1.5), None, u(3, 4), tag="np_float64_scalar"),
    case("multiply", lambda x: np.float64(1.5) * x, None, u(3, 4), tag="np_float64_reflected"),
    case("multiply", lambda x: x * x + x, None, u(3, 4), tag="fan_out"),
    case("divide", ops.divide, np.divide, u(3, 4), pos(3, 4)),
    case("divide", ops.divide, np.divide, u(3, 4), pos(4), tag="broadcast"),
    case("divide", lambda x: 2.0 / x, None, pos(3, 4), tag="reflected"),
    case("negative", ops.negative, np.negative, u(3, 4)),
    case("power", ops.power, np.power, pos(3, 4), u(3, 4), tag="tensor_exponent"),
    case("power", ops.power, np.power, pos(3, 1), u(1, 4), tag="broadcast"),
    case("power", lambda x: x ** 3.0, None, u(3, 4), tag="negative_base"),
    case("power", lambda x: 2.0 ** x, None, u(3, 4), tag="reflected"),
    case("square", ops.square, np.square, u(3, 4)),
    case("sqrt", ops.sqrt, np.sqrt, pos(3, 4)),
    case("exp", ops.exp, np.exp, u(3, 4)),
    case("log", ops.log, np.log, pos(3, 4)),
    case("log1p", ops.log1p, np.log1p, pos(3, 4)),
    case("abs", ops.abs, np.abs, away(3, 4)),
    case("sign", ops.sign, np.sign, away(3, 4)),
    case("tanh", lambda x: ops.tanh(x) * x + ops.exp(x) * ops.tanh(x),
         lambda x: np.tanh(x) * x + np.exp(x) * np.tanh(x), u(3, 4), tag="fan_out"),
    case("maximum", ops.maximum, np.maximum, u(3, 4), u(3, 4)),
    case("maximum", ops.maximum, np.maximum, u(3, 4), u(4), tag="broadcast"),
    case("maximum", lambda x: ops.maximum(x, 0.3), lambda x: np.maximum(x, 0.3), u(3, 4),
         tag="python_float"),
    case("minimum", ops.minimum, np.minimum, u(3, 4), u(3, 4)),
    case("minimum", ops.minimum, np.minimum, u(3, 1), u(1, 5), tag="broadcast"),
    case("clip", lambda x: ops.clip(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), u(3, 4)),
    case("clip", lambda x: ops.clip(x, np.float64(-0.5), np.float64(0.7)),
         lambda x: np.clip(x, -0.5, 0.7), u(3, 4), tag="np_float64_bounds"),
    case("where", lambda a, b: ops.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b),
         u(3, 4), u(3, 4)),
    case("where", lambda a, b: ops.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b),
         u(3, 4), u(4), tag="broadcast"),
    case("where", lambda x: ops.where(MASK, x, 0.0), lambda x: np.where(MASK, x, 0.0), u(3, 4),
         tag="python_float"),
    # linear algebra: every rank combination, broadcast batches, the same tensor twice
    case("matmul", ops.matmul, np.matmul, u(3, 4), u(4, 5), tag="2d"),
    case("matmul", ops.matmul, np.matmul, u(4), u(4), tag="1d_1d"),
    case("matmul", ops.matmul, np.matmul, u(4), u(4, 5), tag="1d_2d"),
    case("matmul", ops.matmul, np.matmul, u(3, 4), u(4), tag="2d_1d"),
    case("matmul", ops.matmul, np.matmul, u(2, 3, 4), u(2, 4, 5), tag="batched"),
    case("matmul", ops.matmul, np.matmul, u(2, 3, 4), u(4, 5), tag="broadcast_batch"),
    case("matmul", ops.matmul, np.matmul, u(1, 3, 4), u(2, 4, 5), tag="broadcast_batch_ones"),
    case("matmul", ops.matmul, np.matmul, u(4), u(2, 4, 5), tag="1d_batched"),
    case("matmul", ops.matmul, np.matmul, u(2, 3, 4), u(4), tag="batched_1d"),
    case("matmul", lambda x: x @ x, None, u(4, 4), tag="same_operand"),
    case("matmul", lambda x: x @ ops.transpose(x), lambda x: x @ x.T, u(3, 4), tag="x_xt"),
    case("matmul", lambda x: W23 @ x, None, u(3, 4), tag="ndarray_left"),
    # shapes
    case("reshape", lambda x: ops.reshape(x, (4, 6)), lambda x: np.reshape(x, (4, 6)), X234),
    case("reshape", lambda x: ops.reshape(x, (-1, 2)), lambda x: np.reshape(x, (-1, 2)), X234,
         tag="inferred"),
    case("transpose", ops.transpose, np.transpose, X234),
    case("transpose", lambda x: ops.transpose(x, (1, 2, 0)),
         lambda x: np.transpose(x, (1, 2, 0)), X234, tag="axes"),
    case("transpose", lambda x: ops.transpose(x, (-1, 0, 1)),
         lambda x: np.transpose(x, (-1, 0, 1)), X234, tag="negative_axes"),
    case("expand_dims", lambda x: ops.expand_dims(x, 1), lambda x: np.expand_dims(x, 1), u(3, 4)),
    case("expand_dims", lambda x: ops.expand_dims(x, (0, -1)),
         lambda x: np.expand_dims(x, (0, -1)), u(3, 4), tag="tuple"),
    case("squeeze", ops.squeeze, np.squeeze, u(3, 1, 4, 1)),
    case("squeeze", lambda x: ops.squeeze(x, -1), lambda x: np.squeeze(x, -1), u(3, 1, 4, 1),
         tag="axis"),
    case("broadcast_to", lambda x: ops.broadcast_to(x, (2, 3, 4)),
         lambda x: np.broadcast_to(x, (2, 3, 4)), u(3, 1)),
    case("concatenate", lambda a, b: ops.concatenate([a, b, a], axis=0),
         lambda a, b: np.concatenate([a, b, a], axis=0), u(2, 3), u(4, 3)),
    case("concatenate", lambda a, b: ops.concatenate([a, b]),
         lambda a, b: np.concatenate([a, b], axis=-1), u(2, 3), u(2, 1), tag="last_axis"),
    case("concatenate", lambda x: ops.concatenate([x, x], axis=1),
         lambda x: np.concatenate([x, x], axis=1), u(2, 3), tag="same_tensor"),
    case("stack", lambda a, b: ops.stack([a, b, a], axis=1),
         lambda a, b: np.stack([a, b, a], axis=1), u(2, 3), u(2, 3)),
    case("stack", lambda a, b: ops.stack([a, b], axis=-1),
         lambda a, b: np.stack([a, b], axis=-1), u(2, 3), u(2, 3), tag="last_axis"),
    case("getitem", lambda x: x[1:, ::2], None, u(3, 4), tag="slices"),
    case("getitem", lambda x: x[1], None, u(3, 4), tag="int"),
    case("getitem", lambda x: x[:, -1], None, u(3, 4), tag="negative_int"),
    case("getitem", lambda x: x[[0, 0, 2]], None, u(3, 4), tag="fancy_repeats"),
    case("getitem", lambda x: x[[0, 1, 1], [2, 2, 0]], None, u(3, 4), tag="fancy_pairs"),
    case("getitem", lambda x: x[MASK], None, u(3, 4), tag="bool_mask"),
    case("getitem", lambda x: x[..., None, 1:3], None, u(3, 4), tag="ellipsis_newaxis"),
    case("split", lambda x: split_op(x, 3, 1), lambda x: split_ref(x, 3, 1), u(2, 6)),
    case("split", lambda x: split_op(x, [1, 4], -1), lambda x: split_ref(x, [1, 4], -1),
         u(2, 6), tag="indices"),
    case("take", lambda x: ops.take(x, [2, 0, 2], axis=1),
         lambda x: np.take(x, [2, 0, 2], axis=1), u(3, 4), tag="repeats"),
    case("take", lambda x: ops.take(x, [5, 0, 5]), lambda x: np.take(x, [5, 0, 5]), u(3, 4),
         tag="flat"),
    case("take", lambda x: ops.take(x, [[0, 1], [1, 1]], axis=0),
         lambda x: np.take(x, [[0, 1], [1, 1]], axis=0), u(3, 4), tag="2d_indices"),
    case("take", lambda x: ops.take(x, 1, axis=-1), lambda x: np.take(x, 1, axis=-1), u(3, 4),
         tag="scalar_index"),
    # activations, on values far from their kinks
    case("relu", nn_ops.relu, lambda x: np.maximum(x, 0), KINKY),
    case("relu6", nn_ops.relu6, lambda x: np.clip(x, 0, 6), KINKY),
    case("leaky_relu", nn_ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), KINKY),
    case("leaky_relu", lambda x: nn_ops.leaky_relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x),
         KINKY, tag="slope"),
    case("elu", nn_ops.elu, lambda x: np.where(x > 0, x, np.expm1(x)), KINKY),
    case("elu", lambda x: nn_ops.elu(x, np.float64(0.5)),
         lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)), KINKY, tag="np_float64_alpha"),
    case("selu", nn_ops.selu,
         lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)), KINKY),
    case("sigmoid", nn_ops.sigmoid, special.expit, KINKY),
    case("hard_sigmoid", nn_ops.hard_sigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1), KINKY),
    case("log_sigmoid", nn_ops.log_sigmoid, special.log_expit, KINKY),
    case("tanh", nn_ops.tanh, np.tanh, KINKY),
    case("softplus", nn_ops.softplus, lambda x: np.logaddexp(0, x), KINKY),
    case("softsign", nn_ops.softsign, lambda x: x / (1 + np.abs(x)), KINKY),
    case("silu", nn_ops.silu, lambda x: x * special.expit(x), KINKY),
    case("swish", nn_ops.swish, lambda x: x * special.expit(x), KINKY),
    case("gelu", nn_ops.gelu, lambda x: 0.5 * x * (1 + special.erf(x / math.sqrt(2))), KINKY),
    case("gelu", lambda x: nn_ops.gelu(x, approximate=True),
         lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
         KINKY, tag="approximate"),
    case("softmax", nn_ops.softmax, lambda x: special.softmax(x, axis=-1), u(3, 4)),
    case("softmax", lambda x: nn_ops.softmax(x, axis=0), lambda x: special.softmax(x, axis=0),
         u(3, 4), tag="axis0"),
    case("softmax", lambda x: nn_ops.softmax(x, axis=1), lambda x: special.softmax(x, axis=1),
         X234, tag="3d_axis1"),
    case("log_softmax", nn_ops.log_softmax, lambda x: special.log_softmax(x, axis=-1), u(3, 4)),
    case("log_softmax", lambda x: nn_ops.log_softmax(x, axis=0),
         lambda x: special.log_softmax(x, axis=0), u(3, 4), tag="axis0"),
    # fused cross-entropies (labels that sum to 1: see test_softmax_cross_entropy_gradient_*)
    case("softmax_cross_entropy_with_logits", nn_ops.softmax_cross_entropy_with_logits, sce_ref,
         special.softmax(u(3, 4), axis=-1), u(3, 4)),
    case("softmax_cross_entropy_with_logits",
         lambda z, x: nn_ops.softmax_cross_entropy_with_logits(z, x, axis=0),
         lambda z, x: sce_ref(z, x, axis=0), special.softmax(u(3, 4), axis=0), u(3, 4),
         tag="axis0"),
    case("sparse_softmax_cross_entropy_with_logits",
         lambda x: nn_ops.sparse_softmax_cross_entropy_with_logits(LABELS, x),
         lambda x: -special.log_softmax(x, axis=-1)[np.arange(3), LABELS], u(3, 4)),
    case("sparse_softmax_cross_entropy_with_logits",
         lambda x: nn_ops.sparse_softmax_cross_entropy_with_logits(LABELS.reshape(1, 3), x),
         lambda x: -np.take_along_axis(special.log_softmax(x, -1), LABELS.reshape(1, 3, 1), -1)[
             ..., 0], u(1, 3, 4), tag="3d"),
    case("sigmoid_cross_entropy_with_logits", nn_ops.sigmoid_cross_entropy_with_logits, bce_ref,
         _rng.uniform(0, 1, (3, 4)), u(3, 4)),
]

REDUCTIONS = {
    "sum": (ops.sum, np.sum), "mean": (ops.mean, np.mean), "max": (ops.max, np.max),
    "min": (ops.min, np.min), "logsumexp": (ops.logsumexp, special.logsumexp),
    "var": (ops.var, np.var), "std": (ops.std, np.std),
}
for _name, (_op, _ref) in REDUCTIONS.items():
    for _axis, _keepdims in [(None, False), (1, False), (-1, False), ((0, 2), False),
                             (1, True), (None, True)]:
        CASES.append(case(
            _name, lambda x, op=_op, a=_axis, k=_keepdims: op(x, axis=a, keepdims=k),
            lambda x, ref=_ref, a=_axis, k=_keepdims: ref(x, axis=a, keepdims=k),
            X234, tag=f"axis={_axis},keepdims={_keepdims}"))

# Ops without a finite-difference case, each tested by hand below.
HAND_TESTED = {"equal", "one_hot", "cast", "lift"}


@pytest.mark.parametrize("fn, reference, inputs", CASES)
def test_forward_matches_numpy(fn, reference, inputs):
    out = fn(*[Tensor(a, dtype=np.float64) for a in inputs])
    expected = reference(*inputs)
    assert isinstance(out, Tensor) and not isinstance(expected, Tensor)
    assert out.dtype == np.float64 and out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fn, reference, inputs", CASES)
def test_gradients_match_finite_differences(fn, reference, inputs):
    check_grads(fn, *inputs)


@pytest.mark.parametrize("fn, reference, inputs", CASES)
def test_float32_graph_stays_float32(fn, reference, inputs):
    tensors = [Tensor(a, requires_grad=True) for a in inputs]
    out = fn(*tensors)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, reference(*inputs), rtol=1e-4, atol=1e-5)
    out.backward(np.ones(out.shape, np.float32))
    for t in tensors:
        assert t.grad.dtype == np.float32 and t.grad.shape == t.shape


def test_every_op_is_covered():
    public = {name for name, f in vars(ops).items() if callable(f) and not name.startswith("_")
              and getattr(f, "__module__", None) in ("numpynet.ops", "numpynet.nn_ops")}
    assert set(nn_ops.__all__) <= public
    assert public - COVERED - HAND_TESTED == set()


def test_equal_is_elementwise_and_returns_a_bool_ndarray():
    out = ops.equal(Tensor([1.0, 2.0]), [1.0, 3.0])
    assert isinstance(out, np.ndarray) and out.dtype == bool
    np.testing.assert_array_equal(out, [True, False])


def test_one_hot_values_dtype_and_no_gradient():
    out = ops.one_hot(Tensor([0, 2, 1]), 3)
    np.testing.assert_array_equal(out.data, np.eye(3)[[0, 2, 1]])
    assert out.dtype == np.float32 and not out.requires_grad
    assert ops.one_hot(np.array([2.0, 0.0]), 3, dtype="float64").dtype == np.float64


def test_one_hot_out_of_range_indices_give_rows_of_zeros():
    out = ops.one_hot(np.array([[3, -1], [1, 0]]), 3)
    np.testing.assert_array_equal(out.data, [[[0, 0, 0], [0, 0, 0]], [[0, 1, 0], [1, 0, 0]]])


def test_one_hot_rejects_fractional_indices():
    with pytest.raises(ValueError, match="one_hot expects integer class indices, got values like "
                                         "0.5"):
        ops.one_hot(np.array([1.0, 0.5]), 3)


def test_cast_changes_dtype_and_casts_the_gradient_back():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = ops.cast(x, "float64")
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    assert ops.cast(x, np.float32) is x


def test_lift_keeps_tensors_and_gives_constants_a_dtype():
    x = Tensor([1.0], dtype=np.float64)
    assert ops.lift(x) is x
    assert ops.lift([1.0], like=x).dtype == np.float64
    assert ops.lift(np.ones(2, np.float64)).dtype == np.float32  # floatx() by default
    assert not ops.lift([1.0]).requires_grad


@pytest.mark.parametrize("a, b, message", [
    ((3, 4), (5, 2), r"matmul: cannot multiply shapes \(3, 4\) and \(5, 2\): the last axis of "
                     r"the first \(4\) must equal the second-to-last axis of the second\."),
    ((3, 4), (5,), r"shapes \(3, 4\) and \(5,\): the last axis of the first \(4\) must equal the "
                   r"only axis of the second\."),
    ((), (3,), r"shapes \(\) and \(3,\): the last axis of the first \(scalar\)"),
    ((2, 3, 4), (3, 4, 5), r"shapes \(2, 3, 4\) and \(3, 4, 5\): their batch axes \(2,\) and "
                           r"\(3,\) do not broadcast\."),
])
def test_matmul_shape_mismatch_message(a, b, message):
    with pytest.raises(ValueError, match=message):
        ops.matmul(Tensor(np.ones(a)), Tensor(np.ones(b)))


def test_concatenate_mismatch_message():
    with pytest.raises(ValueError, match=r"concatenate\(axis=0\): shapes \[\(2, 3\), \(3, 2\)\] "
                                         r"differ outside the concatenation axis"):
        ops.concatenate([np.ones((2, 3)), Tensor(np.ones((3, 2)))], axis=0)


def test_softmax_cross_entropy_gradient_is_tensorflows_softmax_minus_labels():
    """TF (and numpynet) return softmax - labels, the true gradient only when labels sum to 1.

    The true gradient of -Σ z·log_softmax(x) is softmax·Σz - z; labels that do not sum to 1
    (e.g. multi-hot) get TensorFlow's formula anyway, which finite differences reject.
    """
    labels = np.array([[2.0, 0.0, 1.0]])
    logits = Tensor(u(1, 3), requires_grad=True, dtype=np.float64)
    nn_ops.softmax_cross_entropy_with_logits(labels, logits).backward(np.ones(1))
    probs = special.softmax(logits.data, axis=-1)
    np.testing.assert_allclose(logits.grad, probs - labels, rtol=1e-12)
    assert not np.allclose(logits.grad, probs * 3.0 - labels)
    with pytest.raises(GradientCheckError, match="gradient of input 1"):
        check_grads(nn_ops.softmax_cross_entropy_with_logits, labels, logits.data)


def test_cross_entropies_keep_float64_constant_labels_exact():
    logits = Tensor(np.zeros((2, 3)), dtype=np.float64)
    labels = np.full((2, 3), 0.1)  # 0.1 is not a float32 number
    out = nn_ops.softmax_cross_entropy_with_logits(labels, logits)
    np.testing.assert_allclose(out.data, 0.3 * np.log(3.0), rtol=1e-15)
    out = nn_ops.sigmoid_cross_entropy_with_logits(labels, logits + 1.0)
    np.testing.assert_allclose(out.data, 0.9 + np.log1p(np.exp(-1.0)), rtol=1e-15)


@pytest.mark.parametrize("labels, bad", [([0, 4], 4), ([-1, 0], -1)])
def test_sparse_cross_entropy_rejects_out_of_range_labels(labels, bad):
    message = (rf"label {bad} is out of range: the logits have 4 classes, "
               r"so labels must be in \[0, 4\)")
    with pytest.raises(ValueError, match=message):
        nn_ops.sparse_softmax_cross_entropy_with_logits(np.array(labels), Tensor(np.ones((2, 4))))
