"""Property tests (hypothesis): shapes of 1–3 axes of sizes 1–5, finite values, extreme logits.

Properties: outputs stay finite wherever the function is defined, gradients pass ``check_grads``
(float64; for ``maximum``/``minimum``/``where`` and the ``max``/``min`` reductions on values drawn
without ties, and for the three fused cross-entropies with respect to labels and logits),
broadcast gradients come back in the shape of each input, softmax sums to 1, and the stable
activations and cross-entropies stay finite (with finite gradients and no overflow warnings) for
logits of ±1e4 in float32.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from numpynet import nn_ops, ops
from numpynet.gradcheck import check_grads
from numpynet.tensor import Tensor

FEW = settings(max_examples=30, deadline=None)
SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)


def floats(low, high, dtype=np.float64):
    low, high = float(np.asarray(low, dtype)), float(np.asarray(high, dtype))  # representable
    return st.floats(low, high, allow_subnormal=False, width=np.dtype(dtype).itemsize * 8)


def arrays(low, high, dtype=np.float64, shapes=SHAPES):
    return hnp.arrays(dtype, shapes, elements=floats(low, high, dtype))


def off_kinks(x):
    """Moves values 0.1 away from 0, where relu, abs and friends have a kink."""
    return np.where(x >= 0, x + 0.1, x - 0.1)


def backprop(fn, *arrays_):
    tensors = [Tensor(a, requires_grad=True, dtype=a.dtype) for a in arrays_]
    out = fn(*tensors)
    out.backward(np.ones(out.shape))
    return out, [t.grad for t in tensors]


def extreme_logits(shapes=SHAPES):
    """float32 logits mixing ±1e4 with ordinary values."""
    elements = st.one_of(st.sampled_from([-1e4, 1e4]), floats(-1e4, 1e4, np.float32))
    return hnp.arrays(np.float32, shapes, elements=elements)


# name: (op, low, high) — the interval where the op and its derivative are finite in float32
DOMAINS = {
    "exp": (ops.exp, -80.0, 80.0), "log": (ops.log, 1e-30, 1e30),
    "log1p": (ops.log1p, -0.999, 1e30), "sqrt": (ops.sqrt, 1e-30, 1e30),
    "square": (ops.square, -1e15, 1e15), "negative": (ops.negative, -1e30, 1e30),
    "abs": (ops.abs, -1e30, 1e30), "sign": (ops.sign, -1e30, 1e30),
    "reciprocal": (lambda x: 1.0 / x, 1e-15, 1e15), "tanh": (nn_ops.tanh, -1e4, 1e4),
    **{name: (getattr(nn_ops, name), -1e4, 1e4) for name in (
        "relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "hard_sigmoid", "log_sigmoid",
        "softplus", "softsign", "silu", "gelu", "softmax", "log_softmax")},
    "gelu_approximate": (lambda x: nn_ops.gelu(x, approximate=True), -1e4, 1e4),
    "logsumexp": (lambda x: ops.logsumexp(x, axis=-1), -1e4, 1e4),
}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", sorted(DOMAINS))
@FEW
@given(data=st.data())
def test_outputs_and_gradients_are_finite_in_the_domain(name, data):
    op, low, high = DOMAINS[name]
    x = data.draw(arrays(low, high, np.float32))
    out, (grad,) = backprop(op, x)
    assert out.dtype == np.float32 and grad.dtype == np.float32
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(grad))


SMOOTH = {
    "exp": (ops.exp, np.exp), "tanh": (nn_ops.tanh, np.tanh), "square": (ops.square, np.square),
    "sigmoid": (nn_ops.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    "softplus": (nn_ops.softplus, lambda x: np.logaddexp(0, x)),
    "log_sigmoid": (nn_ops.log_sigmoid, lambda x: -np.logaddexp(0, -x)),
    "silu": (nn_ops.silu, lambda x: x / (1 + np.exp(-x))), "gelu": (nn_ops.gelu, None),
    "softmax": (nn_ops.softmax, lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    "log_softmax": (lambda x: nn_ops.log_softmax(x, axis=0),
                    lambda x: x - np.log(np.exp(x).sum(0, keepdims=True))),
    "logsumexp": (lambda x: ops.logsumexp(x, axis=0), lambda x: np.log(np.exp(x).sum(0))),
    "sum": (lambda x: ops.sum(x, axis=-1, keepdims=True), lambda x: x.sum(-1, keepdims=True)),
    "mean": (ops.mean, np.mean), "var": (lambda x: ops.var(x, axis=0), lambda x: x.var(0)),
    "sqrt": (lambda x: ops.sqrt(x * x + 0.5), lambda x: np.sqrt(x * x + 0.5)),
    "log": (lambda x: ops.log(x * x + 0.5), lambda x: np.log(x * x + 0.5)),
}
KINKED = {
    "relu": (nn_ops.relu, lambda x: np.maximum(x, 0)), "abs": (ops.abs, np.abs),
    "leaky_relu": (nn_ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (nn_ops.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    "selu": (nn_ops.selu, None), "softsign": (nn_ops.softsign, lambda x: x / (1 + np.abs(x))),
    "relu6": (nn_ops.relu6, lambda x: np.clip(x, 0, 6)),
    "hard_sigmoid": (nn_ops.hard_sigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
}


@pytest.mark.parametrize("name", sorted(SMOOTH) + sorted(KINKED))
@FEW
@given(x=arrays(-2.5, 2.5))
def test_gradients_pass_check_grads(name, x):
    op, reference = SMOOTH.get(name) or KINKED[name]
    x = off_kinks(x) if name in KINKED else x
    if reference is not None:
        np.testing.assert_allclose(op(Tensor(x, dtype=np.float64)).data, reference(x),
                                   rtol=1e-12, atol=1e-12)
    check_grads(op, x)


BINARY = {
    "add": ops.add, "subtract": ops.subtract, "multiply": ops.multiply,
    "divide": lambda a, b: ops.divide(a, b * b + 0.5),
    "power": lambda a, b: ops.power(a * a + 0.5, b),
    "where": lambda a, b: ops.where(a.data > b.data, a, b),
    "maximum": ops.maximum, "minimum": ops.minimum,
}
# ops that choose between a and b: a tie would make the choice jump under finite differences
CHOOSERS = {"where": np.maximum, "maximum": np.maximum, "minimum": np.minimum}
PAIRS = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=5)


def without_ties(a, b):
    """Puts ``a`` on multiples of 0.2 and ``b`` halfway between, keeping both shapes, so every
    broadcast pair differs by at least 0.1 (far more than the finite-difference step)."""
    return 0.2 * np.round(a / 0.2), 0.2 * np.round(b / 0.2) + 0.1


@pytest.mark.parametrize("name", sorted(BINARY))
@FEW
@given(data=st.data())
def test_broadcast_gradients_come_back_in_each_inputs_shape(name, data):
    shapes = data.draw(PAIRS)
    a, b = (data.draw(arrays(-2, 2, shapes=st.just(s))) for s in shapes.input_shapes)
    if name in CHOOSERS:
        a, b = without_ties(a, b)
        out = BINARY[name](Tensor(a, dtype=np.float64), Tensor(b, dtype=np.float64))
        np.testing.assert_array_equal(out.data, CHOOSERS[name](a, b))
    grads = check_grads(BINARY[name], a, b)
    assert [g.shape for g in grads] == [np.shape(a), np.shape(b)]
    if name in CHOOSERS:  # each output element's gradient goes to exactly one input
        # (projection 1 everywhere: the two gradients count how often each input was chosen)
        _, (grad_a, grad_b) = backprop(BINARY[name], a, b)
        assert grad_a.sum() + grad_b.sum() == np.broadcast(a, b).size


EXTREMES = {"max": (ops.max, np.max), "min": (ops.min, np.min)}


@pytest.mark.parametrize("name", sorted(EXTREMES))
@FEW
@given(data=st.data())
def test_max_and_min_reductions_send_the_gradient_to_the_winner(name, data):
    shape = data.draw(SHAPES)
    # distinct values 0.1 apart (a permutation): no ties, so the winner is unique
    order = data.draw(st.permutations(range(int(np.prod(shape)))))
    x = 0.1 * np.array(order, dtype=np.float64).reshape(shape) - 1.0
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1),
                               st.lists(st.integers(0, x.ndim - 1), min_size=1, unique=True)
                               .map(tuple)))
    keepdims = data.draw(st.booleans())
    op, reference = EXTREMES[name]
    fn = lambda t: op(t, axis=axis, keepdims=keepdims)  # noqa: E731
    out, (grad,) = backprop(fn, x)
    np.testing.assert_array_equal(out.data, reference(x, axis=axis, keepdims=keepdims))
    # with a unit seed the gradient is the one-hot mask of the winners
    np.testing.assert_array_equal(grad, x == reference(x, axis=axis, keepdims=True))
    check_grads(fn, x)


POSITIVE = {"log1p": (ops.log1p, np.log1p), "log": (ops.log, np.log), "sqrt": (ops.sqrt, np.sqrt)}


@pytest.mark.parametrize("name", sorted(POSITIVE))
@FEW
@given(x=arrays(0.05, 50.0))
def test_gradients_on_the_positive_domain(name, x):
    op, reference = POSITIVE[name]
    np.testing.assert_allclose(op(Tensor(x, dtype=np.float64)).data, reference(x), rtol=1e-12)
    check_grads(op, x)


@FEW
@given(data=st.data())
def test_broadcast_batched_matmul_gradients(data):
    batches = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    m, k, n = (data.draw(st.integers(1, 4)) for _ in range(3))
    shape_a, shape_b = batches.input_shapes[0] + (m, k), batches.input_shapes[1] + (k, n)
    a, b = data.draw(arrays(-2, 2, shapes=st.just(shape_a))), data.draw(
        arrays(-2, 2, shapes=st.just(shape_b)))
    grads = check_grads(ops.matmul, a, b)
    assert [g.shape for g in grads] == [shape_a, shape_b]


@FEW
@given(data=st.data())
def test_softmax_sums_to_one_along_its_axis(data):
    x = data.draw(st.one_of(extreme_logits(), arrays(-50, 50)))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    out = nn_ops.softmax(Tensor(x, dtype=x.dtype), axis=axis).data
    assert out.dtype == x.dtype and np.all(out >= 0)
    tolerance = 1e-6 if x.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.sum(axis=axis), 1.0, rtol=tolerance)


FUSED = {
    "softmax_cross_entropy_with_logits": lambda z, x: nn_ops.softmax_cross_entropy_with_logits(
        nn_ops.softmax(z), x),
    "sigmoid_cross_entropy_with_logits": lambda z, x: nn_ops.sigmoid_cross_entropy_with_logits(
        nn_ops.sigmoid(z), x),
    "sparse_softmax_cross_entropy_with_logits":
        lambda z, x: nn_ops.sparse_softmax_cross_entropy_with_logits(
            np.argmax(z.data, axis=-1), x),
}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", sorted(FUSED))
@FEW
@given(data=st.data())
def test_cross_entropies_stay_finite_for_extreme_logits(name, data):
    logits = data.draw(extreme_logits())
    labels = data.draw(arrays(-3, 3, np.float32, shapes=st.just(logits.shape)))
    out, (labels_grad, logits_grad) = backprop(FUSED[name], labels, logits)
    assert out.dtype == np.float32 and np.all(np.isfinite(out.data)) and np.all(out.data >= 0)
    assert logits_grad.dtype == np.float32 and np.all(np.isfinite(logits_grad))
    if not name.startswith("sparse"):  # sparse labels are integers: no gradient
        assert labels_grad.dtype == np.float32 and np.all(np.isfinite(labels_grad))


@pytest.mark.filterwarnings("error")
@FEW
@given(logits=extreme_logits())
def test_stable_activations_have_the_right_range_for_extreme_logits(logits):
    x = Tensor(logits, dtype=np.float32)
    sigmoid, log_sigmoid = nn_ops.sigmoid(x).data, nn_ops.log_sigmoid(x).data
    log_probs, softplus = nn_ops.log_softmax(x).data, nn_ops.softplus(x).data
    assert np.all((sigmoid >= 0) & (sigmoid <= 1)) and np.all(log_sigmoid <= 0)
    assert np.all(log_probs <= 0) and np.all(softplus >= 0)
    assert all(np.all(np.isfinite(v)) for v in (sigmoid, log_sigmoid, log_probs, softplus))
    # atol: below 1e-38 float32 is subnormal and loses relative precision
    np.testing.assert_allclose(softplus, np.logaddexp(0, logits.astype(np.float64)), rtol=1e-6,
                               atol=1e-37)


def np_log_softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@FEW
@given(data=st.data())
def test_softmax_cross_entropy_gradients_for_labels_and_logits(data):
    logits = data.draw(arrays(-5, 5))
    axis = data.draw(st.integers(-logits.ndim, logits.ndim - 1))
    weights = data.draw(arrays(0.01, 1, shapes=st.just(logits.shape)))
    # labels are distributions along `axis`: the fused gradient softmax - labels assumes it (tf.nn)
    labels = weights / weights.sum(axis=axis, keepdims=True)
    fn = lambda y, z: nn_ops.softmax_cross_entropy_with_logits(y, z, axis=axis)  # noqa: E731
    out, _ = backprop(fn, labels, logits)
    np.testing.assert_allclose(out.data, -np.sum(labels * np_log_softmax(logits, axis), axis),
                               rtol=1e-12, atol=1e-12)
    labels_grad, logits_grad = check_grads(fn, labels, logits)
    assert labels_grad.shape == logits_grad.shape == logits.shape


@FEW
@given(data=st.data())
def test_sparse_softmax_cross_entropy_gradients(data):
    logits = data.draw(arrays(-5, 5))
    labels = data.draw(hnp.arrays(np.int64, logits.shape[:-1],
                                  elements=st.integers(0, logits.shape[-1] - 1)))
    fn = lambda z: nn_ops.sparse_softmax_cross_entropy_with_logits(labels, z)  # noqa: E731
    picked = np.take_along_axis(np_log_softmax(logits), labels[..., None], axis=-1)[..., 0]
    np.testing.assert_allclose(fn(Tensor(logits, dtype=np.float64)).data, -picked, rtol=1e-12,
                               atol=1e-12)
    (grad,) = check_grads(fn, logits)
    # each sample's gradient is softmax - one_hot: its entries sum to zero
    np.testing.assert_allclose(backprop(fn, logits)[1][0].sum(axis=-1), 0.0, atol=1e-12)
    assert grad.shape == logits.shape


@FEW
@given(data=st.data())
def test_sigmoid_cross_entropy_gradients_for_labels_and_logits(data):
    logits = data.draw(arrays(-10, 10))
    labels = data.draw(arrays(0, 1, shapes=st.just(logits.shape)))
    fn = nn_ops.sigmoid_cross_entropy_with_logits
    expected = np.logaddexp(0, logits) - labels * logits  # -y·log σ(z) - (1-y)·log(1-σ(z))
    out, _ = backprop(fn, labels, logits)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    labels_grad, logits_grad = check_grads(fn, labels, logits)
    assert labels_grad.shape == logits_grad.shape == logits.shape
