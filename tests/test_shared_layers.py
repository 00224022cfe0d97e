"""Siamese models: one Dense called on two inputs, checked by finite differences in float64.

The shared kernel and bias are used twice in one forward pass, so their gradient is the sum of
both branches' contributions (fan-out). A backward pass that kept only one branch, or counted
one twice, would disagree with the central differences of the loss.
"""

import numpy as np
import pytest
from layer_test_utils import floatx_scope

import numpynet as nn
from numpynet import layers, ops, regularizers
from numpynet.gradcheck import check_grads

L = layers
BATCH = 5


def _abs_difference(pair):
    return L.Lambda(lambda t: ops.abs(t[0] - t[1]), name="abs_difference")(pair)


def _abs_subtract(pair):
    return L.Lambda(ops.abs, name="abs")(L.Subtract(name="difference")(pair))


MERGES = {
    "concatenate": lambda pair: L.Concatenate(name="merge")(pair),
    "abs_difference_lambda": _abs_difference,
    "abs_subtract": _abs_subtract,
}


@pytest.fixture(autouse=True)
def _float64_session():
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)
    with floatx_scope("float64"):
        yield


def siamese(merge, **shared_kwargs):
    """Two inputs → one shared ``Dense(3, tanh)`` → merge → ``Dense(1, sigmoid)``."""
    a, b = nn.Input((4,), name="left"), nn.Input((4,), name="right")
    shared = L.Dense(3, activation="tanh", name="shared", **shared_kwargs)
    merged = MERGES[merge]([shared(a), shared(b)])
    out = L.Dense(1, activation="sigmoid", name="head")(merged)
    return nn.Model([a, b], out, name="siamese")


def _data(seed=1):
    r = np.random.default_rng(seed)
    xa, xb = r.standard_normal((BATCH, 4)), r.standard_normal((BATCH, 4))
    y = r.integers(0, 2, (BATCH, 1)).astype("float64")
    return xa, xb, y


def total_loss(model, xs, y):
    """Binary cross-entropy plus this pass's penalties, as ``train_step`` adds them."""
    model._clear_losses()  # penalties of earlier calls would pile up (as in layer_test_utils)
    loss = nn.losses.BinaryCrossentropy()(y, model(xs))
    for penalty in model.losses:
        loss = loss + penalty
    return loss


def _numerical_gradient(variable, loss_fn, eps=1e-6):
    """Central differences of ``loss_fn()`` w.r.t. each entry of ``variable``, moved in place."""
    grad = np.zeros(variable.shape)
    for i in np.ndindex(variable.shape):
        original = variable.data[i]
        variable.data[i] = original + eps
        plus = float(loss_fn().data)
        variable.data[i] = original - eps
        minus = float(loss_fn().data)
        variable.data[i] = original
        grad[i] = (plus - minus) / (2 * eps)
    return grad


@pytest.mark.parametrize("merge", sorted(MERGES))
def test_shared_weights_pass_check_grads(merge):
    model = siamese(merge)
    shared = model.get_layer("shared")
    assert [w.path for w in shared.weights] == ["shared/kernel", "shared/bias"]
    assert shared.kernel.dtype == np.float64
    xa, xb, y = _data()
    kernel, bias = shared.kernel, shared.bias

    def loss_of(k, b):  # the model's loss with the shared weights replaced by k and b
        shared.kernel, shared.bias = k, b
        try:
            return total_loss(model, [xa, xb], y)
        finally:
            shared.kernel, shared.bias = kernel, bias

    rng = np.random.default_rng(2)  # a non-zero bias so the two weights play distinct roles
    grads = check_grads(loss_of, kernel.data, rng.normal(0.0, 0.5, 3))
    assert all(np.abs(g).max() > 1e-6 for g in grads)


@pytest.mark.parametrize("merge", sorted(MERGES))
def test_variable_gradients_of_the_shared_layer_match_finite_differences(merge):
    model = siamese(merge, kernel_regularizer=regularizers.L2(0.01),
                    activity_regularizer=regularizers.L1(0.02))
    shared = model.get_layer("shared")
    shared.bias.assign(np.random.default_rng(3).normal(0.0, 0.5, 3))
    xa, xb, y = _data()

    loss = total_loss(model, [xa, xb], y)
    # The shared layer was called twice: two activity penalties, and one kernel penalty.
    assert len(model.losses) == 3
    for weight in model.trainable_weights:
        weight.grad = None
    loss.backward()
    for weight in (shared.kernel, shared.bias):
        numeric = _numerical_gradient(weight, lambda: total_loss(model, [xa, xb], y))
        np.testing.assert_allclose(weight.grad, numeric, rtol=1e-6, atol=1e-9,
                                   err_msg=weight.path)
        assert np.abs(numeric).max() > 1e-6


def test_the_shared_layer_records_one_activity_penalty_per_call():
    model = siamese("concatenate", activity_regularizer=regularizers.L2(0.5))
    shared = model.get_layer("shared")
    xa, xb, _ = _data()
    total_loss(model, [xa, xb], np.zeros((BATCH, 1)))
    kernel, bias = shared.get_weights()
    expected = [0.5 * np.square(np.tanh(x @ kernel + bias)).sum() / BATCH for x in (xa, xb)]
    np.testing.assert_allclose([p.data for p in model.losses], expected, rtol=1e-12)


@pytest.mark.parametrize("merge", ["abs_difference_lambda", "abs_subtract"])
def test_an_absolute_difference_siamese_is_symmetric(merge):
    model = siamese(merge)
    xa, xb, _ = _data()
    np.testing.assert_allclose(model([xa, xb]).data, model([xb, xa]).data, rtol=1e-12)
    assert not np.allclose(model([xa, xb]).data, model([xa, xa]).data)
