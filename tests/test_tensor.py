"""The Tensor API and the tape: construction, operators, backward, no_grad, Variable, dtypes."""

import numpy as np
import pytest

from numpynet import config, ops
from numpynet.tensor import Tensor, Variable, enable_grad, is_grad_enabled, no_grad, unbroadcast


@pytest.fixture
def float64_default():
    previous = config.floatx()
    config.set_floatx("float64")
    yield
    config.set_floatx(previous)


def leaf(values, dtype=np.float64):
    return Tensor(values, requires_grad=True, dtype=dtype)


# ---------------------------------------------------------------------- construction
def test_constructor_defaults_to_float32_and_honours_dtype():
    assert Tensor([1, 2]).dtype == np.float32
    assert Tensor(np.ones(2, np.float64)).dtype == np.float32
    assert Tensor([True, False]).dtype == np.float32
    assert Tensor([1.0], dtype="float64").dtype == np.float64
    assert Tensor([1.0], dtype=np.float16).dtype == np.float16


def test_constructor_follows_floatx(float64_default):
    assert Tensor([1.0]).dtype == np.float64


def test_constructor_does_not_copy_matching_data():
    data = np.ones(3, np.float32)
    assert Tensor(data).data is data


@pytest.mark.parametrize("data, message", [
    (["a", "b"], r"Cannot make a numeric tensor from data of dtype <U1 \(expected numbers, got "
                 r"e\.g\. 'a'\)\."),
    (np.array([object()]), r"from data of dtype object \(expected numbers, got e\.g\. <object"),
    (np.array([], dtype=str), r"^Cannot make a numeric tensor from data of dtype <U1\.$"),
])
def test_constructor_rejects_strings_and_objects(data, message):
    with pytest.raises(TypeError, match=message):
        Tensor(data)


def test_properties_and_helpers():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="x")
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
    assert x.dtype == np.float32 and x.grad is None and x.requires_grad
    assert x.numpy() is x.data and Tensor([[4.0]]).item() == 4.0
    assert x.T.shape == (3, 2) and x.reshape(3, 2).shape == (3, 2)
    assert x.reshape((6,)).shape == (6,)
    assert x.sum(axis=0).data.tolist() == [3.0, 5.0, 7.0] and x.mean().item() == 2.5
    assert np.asarray(x) is x.data and np.asarray(x, np.float64).dtype == np.float64
    assert repr(x).startswith("Tensor([[0. 1. 2.]") and "requires_grad=True, name='x'" in repr(x)
    detached = x.detach()
    assert detached.data is x.data and not detached.requires_grad


# ---------------------------------------------------------------------- operators
@pytest.mark.parametrize("op, expected, grad_a, grad_b", [
    (lambda a, b: a + b, [4.0, 7.0], [1.0, 1.0], [1.0, 1.0]),
    (lambda a, b: a - b, [-2.0, -3.0], [1.0, 1.0], [-1.0, -1.0]),
    (lambda a, b: a * b, [3.0, 10.0], [3.0, 5.0], [1.0, 2.0]),
    (lambda a, b: a / b, [1 / 3, 0.4], [1 / 3, 0.2], [-1 / 9, -0.08]),
    (lambda a, b: a @ b, 13.0, [3.0, 5.0], [1.0, 2.0]),
    (lambda a, b: a ** b, [1.0, 32.0], [3.0, 80.0], [0.0, 32 * np.log(2.0)]),
    (lambda a, b: -a + abs(-b), [2.0, 3.0], [-1.0, -1.0], [1.0, 1.0]),
])
def test_binary_operators(op, expected, grad_a, grad_b):
    a, b = leaf([1.0, 2.0]), leaf([3.0, 5.0])
    out = op(a, b)
    np.testing.assert_allclose(out.data, expected)
    out.backward(np.ones(out.shape))
    np.testing.assert_allclose(a.grad, grad_a)
    np.testing.assert_allclose(b.grad, grad_b)


@pytest.mark.parametrize("op, expected, grad", [
    (lambda x: 1.0 + x, [3.0, 5.0], [1.0, 1.0]),
    (lambda x: 1.0 - x, [-1.0, -3.0], [-1.0, -1.0]),
    (lambda x: 3.0 * x, [6.0, 12.0], [3.0, 3.0]),
    (lambda x: 8.0 / x, [4.0, 2.0], [-2.0, -0.5]),
    (lambda x: 2.0 ** x, [4.0, 16.0], [4 * np.log(2.0), 16 * np.log(2.0)]),
    (lambda x: np.array([1.0, 1.0]) @ x, 6.0, [1.0, 1.0]),
    (lambda x: np.array([1.0, 3.0]) - x, [-1.0, -1.0], [-1.0, -1.0]),
])
def test_reflected_operators(op, expected, grad):
    x = leaf([2.0, 4.0])
    out = op(x)
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, expected)
    out.backward(np.ones(out.shape))
    np.testing.assert_allclose(x.grad, grad)


def test_ordering_comparisons_return_bool_ndarrays():
    x, y = Tensor([1.0, 2.0, 3.0]), Tensor([3.0, 2.0, 1.0])
    for result, expected in [(x < 2, [1, 0, 0]), (x <= 2, [1, 1, 0]), (x > y, [0, 0, 1]),
                             (x >= y, [0, 1, 1]), (2 < x, [0, 0, 1]),
                             (np.array([2.0, 2.0, 2.0]) >= x, [1, 1, 0])]:
        assert isinstance(result, np.ndarray) and result.dtype == bool
        np.testing.assert_array_equal(result, np.array(expected, bool))


def test_equality_is_identity_so_tensors_work_in_sets_and_dicts():
    # Documented choice: == keeps Python's meaning; ops.equal compares values.
    x, same_values = Tensor([1.0, 2.0]), Tensor([1.0, 2.0])
    assert x == x and x != same_values and not (x == 1.0)
    assert len({x, same_values, x}) == 2 and {x: 1}[x] == 1
    assert [same_values, x].index(x) == 1


def test_getitem_records_the_tape():
    x = leaf(np.arange(6.0).reshape(2, 3))
    x[1, [0, 0, 2]].sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 0], [2, 0, 1]])


# ---------------------------------------------------------------------- grad modes
def test_no_grad_keeps_no_parents():
    x = leaf([1.0, 2.0])
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2.0 + 1.0
    assert is_grad_enabled()
    assert not y.requires_grad and y._parents == () and y._vjp is None
    np.testing.assert_array_equal(y.data, [3.0, 5.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_enable_grad_inside_no_grad_and_restore_after_errors():
    x = leaf([1.0, 2.0])
    with no_grad():
        with enable_grad():
            y = x * x
        assert not is_grad_enabled()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    with pytest.raises(KeyError), no_grad():
        raise KeyError("an error inside the block must not leave grads disabled")
    assert is_grad_enabled()


# ---------------------------------------------------------------------- backward
def test_backward_twice_gives_the_same_gradients():
    x = leaf([1.0, -2.0, 3.0])
    loss = (x * x * x).sum()
    loss.backward()
    first = x.grad.copy()
    loss.backward()
    np.testing.assert_array_equal(x.grad, first)
    np.testing.assert_array_equal(first, 3 * x.data**2)


def test_fan_out_sums_without_touching_shared_arrays():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    seed = np.array([1.0, 10.0])
    ((a + b) + a).backward(seed)  # add's VJP hands the same array to both parents
    np.testing.assert_array_equal(a.grad, [2.0, 20.0])
    np.testing.assert_array_equal(b.grad, [1.0, 10.0])
    np.testing.assert_array_equal(seed, [1.0, 10.0])


def test_backward_on_a_leaf_and_with_a_seed():
    x = leaf([[2.0]])
    x.backward()
    np.testing.assert_array_equal(x.grad, [[1.0]])
    y = leaf([1.0, 2.0])
    (y * 3.0).backward(Tensor([1.0, -1.0]))
    np.testing.assert_array_equal(y.grad, [3.0, -3.0])


def test_backward_errors():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"backward\(\) on a non-scalar tensor of shape \(2, 3\) "
                                         r"needs a seed gradient: call backward\(grad\)"):
        (x * 2.0).backward()
    with pytest.raises(ValueError, match=r"the seed gradient has shape \(3,\), expected the "
                                         r"tensor's shape \(2, 3\)"):
        (x * 2.0).backward(np.ones(3))
    with pytest.raises(RuntimeError, match="backward\\(\\) called on a tensor that does not "
                                           "require grad"):
        Tensor([1.0]).backward()


def test_retain_grad_keeps_an_intermediate_gradient():
    x = leaf([1.0, 2.0])
    hidden = (x * 3.0).retain_grad()
    other = x * 2.0
    (hidden * hidden + other).sum().backward()
    np.testing.assert_array_equal(hidden.grad, 2 * hidden.data)
    assert other.grad is None
    np.testing.assert_array_equal(x.grad, 18 * x.data + 2.0)


def test_constants_get_no_gradient():
    x, c = leaf([1.0]), Tensor([5.0])
    (x * c).sum().backward()
    assert c.grad is None and x.grad.tolist() == [5.0]


def test_deep_chain_does_not_hit_the_recursion_limit():
    x = leaf(1.5)
    y = x
    for _ in range(5000):
        y = (y + y) * 0.5  # fan-out at every step: 2**5000 paths, each node visited once
    y.backward()
    assert y.item() == 1.5 and x.grad == 1.0


def test_broken_op_is_caught_by_the_backward_debug_check():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    wrong_shape = Tensor.from_op(x.data * 2, (x,), lambda g: (g[0],), "my_broken_op")
    with pytest.raises(RuntimeError, match=r"Gradient of op 'my_broken_op' for an input of shape "
                                           r"\(2, 3\) and dtype float32 has shape \(3,\)"):
        wrong_shape.backward(np.ones((2, 3)))
    wrong_dtype = Tensor.from_op(x.data * 2, (x,), lambda g: (g.astype(np.float64),), "upcast")
    with pytest.raises(RuntimeError, match=r"Gradient of op 'upcast' .* dtype float64"):
        wrong_dtype.backward(np.ones((2, 3)))
    column = Tensor(np.ones((1, 3)), requires_grad=True)
    scalar_grad = Tensor.from_op(column.data, (column,), lambda g: (np.float32(1.0),), "scalar")
    with pytest.raises(RuntimeError, match=r"op 'scalar' .* has shape \(\)"):
        scalar_grad.backward(np.ones((1, 3)))


def test_unbroadcast_sums_added_and_stretched_axes():
    grad = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(unbroadcast(grad, (3, 1)), grad.sum(axis=(0, 2))[:, None])
    np.testing.assert_array_equal(unbroadcast(grad, ()), grad.sum())
    assert unbroadcast(grad, (2, 3, 4)) is grad


# ---------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("constant", [2.5, np.float64(2.5), np.float32(2.5), np.full(3, 2.5),
                                      np.full(3, 2.5, np.float32), [2.5, 2.5, 2.5]],
                         ids=["float", "np.float64", "np.float32", "f64_array", "f32_array",
                              "list"])
def test_constant_operands_take_the_tensors_dtype(dtype, constant):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True, dtype=dtype)
    chosen = np.array([True, False, True])
    for out in (x + constant, constant + x, x * constant, constant - x, x / constant,
                constant ** x, x ** constant, ops.maximum(constant, x),
                ops.where(chosen, constant, x), ops.clip(x, constant, 3.0)):
        assert out.dtype == dtype
        out.backward(np.ones(3))
        assert x.grad.dtype == dtype


# ---------------------------------------------------------------------- Variable
def test_variable_owns_its_data_and_assigns_in_place():
    source = np.zeros(3, np.float32)
    v = Variable(source, name="kernel", path="dense/kernel")
    assert v.data is not source and v.requires_grad and v.trainable and v.path == "dense/kernel"
    memory = v.data
    v.assign(Tensor([1.0, 2.0, 3.0]))
    assert v.data is memory and v.data.tolist() == [1.0, 2.0, 3.0] and source.sum() == 0
    v.trainable = False
    assert not v.requires_grad
    assert repr(v) == "<Variable path='dense/kernel' shape=(3,) dtype=float32>"


def test_variable_assign_shape_error():
    v = Variable(np.zeros((3,)), path="dense/bias")
    with pytest.raises(ValueError, match=r"Cannot assign a value of shape \(2,\) to variable "
                                         r"'dense/bias' of shape \(3,\)\."):
        v.assign(np.ones(2))
