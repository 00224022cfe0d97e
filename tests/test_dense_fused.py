"""The fused Dense primitive ``nn_ops.dense`` and the fast paths it gives ``Dense``.

The fusion must be invisible: the same values and the same gradients, to the last bit, as the
composition of primitives it replaces, and a correct VJP by finite differences.
"""

import numpy as np
import pytest

from numpynet import activations, nn_ops, ops
from numpynet.gradcheck import check_grads
from numpynet.layers import Dense
from numpynet.tensor import Tensor, Variable

_rng = np.random.default_rng(7)


def away(*shape):
    """Values with 0.2 <= |v| <= 2 (pre-activations stay away from ReLU's kink)."""
    return _rng.uniform(0.2, 2.0, shape) * _rng.choice([-1.0, 1.0], shape)


X, W, B = away(5, 4), away(4, 3) / 4.0, away(3)


@pytest.mark.parametrize("activation", [None, "relu"])
def test_dense_gradients_match_finite_differences(activation):
    check_grads(lambda x, w, b: nn_ops.dense(x, w, b, activation), X, W, B)
    check_grads(lambda x, w: nn_ops.dense(x, w, None, activation), X, W)


def composed(x, w, b, activation):
    z = ops.matmul(x, w)
    z = z if b is None else z + b
    return ops.relu(z) if activation == "relu" else z


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("with_bias", [True, False])
def test_dense_is_bitwise_the_composition(dtype, activation, with_bias):
    rng = np.random.default_rng(3)
    values = [rng.standard_normal(s).astype(dtype) for s in ((16, 7), (7, 5), (5,))]
    seed = rng.standard_normal((16, 5)).astype(dtype)
    results = []
    for fn in (nn_ops.dense, composed):
        x, w, b = (Tensor(v, requires_grad=True, dtype=dtype) for v in values)
        out = fn(x, w, b if with_bias else None, activation)
        out.backward(seed)
        results.append([out.data, x.grad, w.grad] + ([b.grad] if with_bias else []))
    for fused, plain in zip(*results):
        assert fused.dtype == dtype
        np.testing.assert_array_equal(fused, plain)


def test_dense_skips_the_gradient_of_constant_inputs():
    x = Tensor(X)  # the data: no gradient wanted
    w, b = Variable(W, name="kernel"), Variable(B, name="bias", trainable=False)
    nn_ops.dense(x, w, b, "relu").sum().backward()
    assert x.grad is None and b.grad is None and w.grad.shape == W.shape


def test_dense_rejects_shapes_that_do_not_fit():
    with pytest.raises(ValueError, match=r"dense: expected x \(batch, n\), kernel \(n, units\) "
                                         r"and bias \(units,\); got shapes \(5, 4\), \(3, 3\)"):
        nn_ops.dense(X, np.ones((3, 3)), None)
    with pytest.raises(ValueError, match=r"got shapes \(5, 4\), \(4, 3\) and \(4,\)"):
        nn_ops.dense(X, W, np.ones(4))


def test_dense_rejects_an_activation_it_does_not_fuse():
    with pytest.raises(ValueError, match="dense: activation must be None or 'relu', got 'tanh'"):
        nn_ops.dense(X, W, B, activation="tanh")


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "softmax", None])
def test_layer_fast_path_equals_the_plain_layer(activation):
    """Dense on a 2-D batch (fused) and on the same batch as (batch, 1, features) (plain)."""
    layer = Dense(3, activation=activation)
    x2 = Tensor(X.astype(np.float32))
    out2 = layer(x2)
    out3 = layer(Tensor(X.astype(np.float32)[:, None, :]))
    np.testing.assert_allclose(out2.data, out3.data[:, 0, :], rtol=1e-5, atol=1e-6)
    if activation in ("sigmoid", "softmax"):  # cross-entropy still finds the logits
        assert out2._keras_logits is not None and out2._keras_logits._op == "dense"
    assert layer.activation is activations.get(activation)
