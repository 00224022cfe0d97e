"""Property tests (hypothesis): shapes of 1–3 axes of sizes 1–5, finite values, extreme logits.

Properties: outputs stay finite wherever the function is defined, gradients pass ``check_grads``,
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
}
PAIRS = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=5)


@pytest.mark.parametrize("name", sorted(BINARY))
@FEW
@given(data=st.data())
def test_broadcast_gradients_come_back_in_each_inputs_shape(name, data):
    shapes = data.draw(PAIRS)
    a, b = (data.draw(arrays(-2, 2, shapes=st.just(s))) for s in shapes.input_shapes)
    if name == "where":  # a tie would make the chosen branch jump under finite differences
        b = np.where(np.abs(a - b) < 0.05, b + 0.1, b)
    grads = check_grads(BINARY[name], a, b)
    assert [g.shape for g in grads] == [a.shape, b.shape]


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
