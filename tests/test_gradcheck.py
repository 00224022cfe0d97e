"""The gradient checker itself, and the gradients finite differences cannot decide (ties, kinks).

``check_grads`` must pass correct VJPs and catch wrong ones, naming the input. Where a function
is not differentiable (a tie in max, the kink of relu at 0) the gradient is a convention: numpynet
follows TensorFlow, and those values are checked by hand here.
"""

import numpy as np
import pytest

from numpynet import nn_ops, ops
from numpynet.gradcheck import GradientCheckError, check_grads, numerical_gradient
from numpynet.tensor import Tensor


def scaled_square(x, factor):
    """x², with a VJP multiplied by ``factor`` (1 is correct)."""
    return Tensor.from_op(x.data**2, (x,), lambda g: (factor * 2.0 * g * x.data,), "square")


def swapped_divide(a, b):
    """a / b whose VJP is correct for ``a`` and wrong for ``b`` (the sign of -a/b² is lost)."""
    out = a.data / b.data
    return Tensor.from_op(out, (a, b), lambda g: (g / b.data, g * out / b.data), "divide")


def transposed_matmul(a, b):
    """a @ b for square a, whose VJP for ``a`` is transposed (right only for symmetric g·bᵀ)."""
    vjp = lambda g: ((g @ b.data.T).T, a.data.T @ g)  # noqa: E731
    return Tensor.from_op(a.data @ b.data, (a, b), vjp, "matmul")


# ---------------------------------------------------------------------- the checker
def test_passes_a_correct_vjp_and_returns_the_analytic_gradients():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grads = check_grads(lambda t: scaled_square(t, 1.0), x)
    assert len(grads) == 1 and grads[0].shape == x.shape and grads[0].dtype == np.float64
    assert np.all(grads[0] != 0)


@pytest.mark.parametrize("factor", [1.01, 0.0, -1.0])
def test_catches_a_wrong_vjp(factor):
    with pytest.raises(GradientCheckError, match=r"gradient of input 0 \(shape \(2, 3\)\) along "
                                                 r"random direction 0: backprop gives"):
        check_grads(lambda t: scaled_square(t, factor), np.linspace(-1, 1, 6).reshape(2, 3))


def test_names_the_input_whose_gradient_is_wrong():
    a, b = np.array([1.0, 2.0]), np.array([0.5, 1.5])
    with pytest.raises(GradientCheckError, match=r"gradient of input 1 \(shape \(2,\)\)"):
        check_grads(swapped_divide, a, b)


def test_catches_a_misplaced_gradient_with_the_right_total():
    a, b = np.array([[1.0, 2.0], [3.0, -4.0]]), np.array([[0.5, 1.0], [-2.0, 1.5]])
    with pytest.raises(GradientCheckError, match="gradient of input 0"):
        check_grads(transposed_matmul, a, b)


def test_elementwise_check_names_the_worst_element():
    message = (r"gradient of input 0 \(shape \(3,\)\) at element \(2,\): "
               r"backprop gives -?\d+\.\d+, finite differences give -?\d+\.\d+\.$")
    with pytest.raises(GradientCheckError, match=message):
        check_grads(lambda t: scaled_square(t, 1.01), np.array([1.0, 2.0, 3.0]), directions=0)


def test_rejects_a_function_that_leaves_float64():
    with pytest.raises(GradientCheckError, match="fn returned float32 for float64 inputs"):
        check_grads(lambda t: ops.cast(t, np.float32), np.ones(3))


def test_works_beyond_the_elementwise_limit():
    x = np.linspace(-1, 1, 200).reshape(10, 20)
    check_grads(nn_ops.tanh, x, elementwise_max=0)
    with pytest.raises(GradientCheckError, match="along random direction"):
        check_grads(lambda t: scaled_square(t, 1.001), x, elementwise_max=0)


def test_numerical_gradient_matches_a_known_derivative():
    x = np.array([0.3, -1.2, 2.0])
    fn = lambda t, c: ops.tanh(t) * c  # noqa: E731
    grad = numerical_gradient(fn, [x, np.array(2.0)], 0)
    np.testing.assert_allclose(grad, 2.0 * (1 - np.tanh(x) ** 2), rtol=1e-8)
    np.testing.assert_allclose(numerical_gradient(fn, [x, np.array(2.0)], 1),
                               np.tanh(x).sum(), rtol=1e-8)


# ---------------------------------------------------------------------- conventions at ties
def backprop(fn, *values):
    tensors = [Tensor(v, requires_grad=True, dtype=np.float64) for v in values]
    out = fn(*tensors)
    out.backward(np.ones(out.shape))
    return [t.grad for t in tensors]


@pytest.mark.parametrize("reduce", [ops.max, ops.min])
def test_max_and_min_share_the_gradient_equally_between_ties(reduce):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    x = x if reduce is ops.max else -x
    (grad,) = backprop(lambda t: reduce(t, axis=1), x)
    np.testing.assert_allclose(grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    (grad,) = backprop(lambda t: reduce(t, axis=1, keepdims=True), x)
    np.testing.assert_allclose(grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    (grad,) = backprop(lambda t: reduce(t), x)
    np.testing.assert_allclose(grad, [[0, 0.5, 0.5], [0, 0, 0]])
    (grad,) = backprop(lambda t: reduce(t, axis=0), x)
    np.testing.assert_allclose(grad, [[0, 1, 1], [1, 0, 0]])


def test_maximum_and_minimum_send_a_tie_to_the_first_operand():
    grad_a, grad_b = backprop(ops.maximum, [1.0, 2.0], [1.0, 0.0])
    assert grad_a.tolist() == [1.0, 1.0] and grad_b.tolist() == [0.0, 0.0]
    grad_a, grad_b = backprop(ops.minimum, [1.0, 2.0], [1.0, 0.0])
    assert grad_a.tolist() == [1.0, 0.0] and grad_b.tolist() == [0.0, 1.0]


@pytest.mark.parametrize("fn, x, expected", [
    (nn_ops.relu, [-1.0, 0.0, 1.0], [0, 0, 1]),
    (nn_ops.relu6, [0.0, 3.0, 6.0, 7.0], [0, 1, 0, 0]),
    (nn_ops.leaky_relu, [-1.0, 0.0, 1.0], [0.2, 0.2, 1]),
    (nn_ops.elu, [0.0, 1.0], [1, 1]),
    (lambda t: nn_ops.elu(t, 0.5), [0.0, 1.0], [0.5, 1]),
    (nn_ops.selu, [0.0, 1.0], [1.0507009873554805] * 2),
    (nn_ops.hard_sigmoid, [-3.0, 0.0, 3.0], [0, 1 / 6, 0]),
    (ops.abs, [-2.0, 0.0, 2.0], [-1, 0, 1]),
    (lambda t: ops.clip(t, -0.5, 0.7), [-1.0, -0.5, 0.0, 0.7, 1.0], [0, 1, 1, 1, 0]),
    (lambda t: ops.power(t, 2.0), [0.0, -3.0], [0, -6]),
])
def test_gradients_at_kinks_follow_tensorflow(fn, x, expected):
    (grad,) = backprop(fn, x)
    np.testing.assert_allclose(grad, expected)


def test_power_exponent_gradient_is_zero_where_the_base_is_not_positive():
    _, grad_b = backprop(ops.power, [-2.0, 0.0, 2.0], [2.0, 2.0, 3.0])
    np.testing.assert_allclose(grad_b, [0.0, 0.0, 8.0 * np.log(2.0)])
