"""numpynet.ops that work off the tape or reshape it, against Keras and TensorFlow: equal,
one_hot (no gradient), split and cast (values and gradients), in float32 and float64.

The on-tape ops are in ``test_ops_parity.py``, whose fixtures and comparison helpers these
cases share.
"""

import numpy as np
import pytest

import numpynet as nn
from parity_tests.compare import assert_close, tolerance
from parity_tests.test_ops_parity import (  # noqa: F401 (_fresh_state: an autouse fixture)
    DTYPES,
    _draw,
    _fresh_state,
    _keras,
    _numpynet,
)
from tf_reference._keras import keras, tf

K = keras.ops
O = nn.ops


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1))],
                         ids=["same", "broadcast_row", "broadcast_both"])
def test_equal(shapes, dtype, rng):
    """A boolean array, no gradient: ties drawn from three values so many entries are equal."""
    a, b = (_draw(rng, "t", shape).astype(dtype) for shape in shapes)
    ours = O.equal(nn.Tensor(a, dtype=a.dtype), nn.Tensor(b, dtype=b.dtype))
    theirs = np.asarray(K.equal(tf.constant(a), tf.constant(b)))
    case_name = f"op equal {dtype}"
    assert ours.dtype == np.bool_, f"op equal: numpynet returned {ours.dtype}"
    assert_close(case_name, "value", ours, theirs, rtol=0, atol=0)
    assert_close(case_name, "value against a constant", O.equal(nn.Tensor(a, dtype=a.dtype), 2.0),
                 np.asarray(K.equal(tf.constant(a), 2.0)), rtol=0, atol=0)
    assert 0 < ours.sum() < ours.size, "the case must hold both equal and unequal entries"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("indices, depth", [
    ([0, 3, 1, 3], 4),
    ([[0, 2], [1, 0], [2, 2]], 3),
    ([0, 4, -1, 2, 7], 5),  # out of range, negative included: a row of zeros, as Keras
], ids=["vector", "matrix", "out_of_range"])
def test_one_hot(indices, depth, dtype):
    """Labels are constants (no gradient); the default dtype is floatx on both sides."""
    nn.config.set_floatx(dtype)
    keras.config.set_floatx(dtype)
    indices = np.asarray(indices)
    case_name = f"op one_hot {dtype}"
    for label, kwargs in (("default dtype", {}), ("explicit dtype", {"dtype": dtype})):
        ours = O.one_hot(indices, depth, **kwargs)
        theirs = K.one_hot(indices, depth, **kwargs)
        assert ours.dtype == np.dtype(dtype), f"op one_hot: numpynet returned {ours.dtype}"
        assert np.dtype(theirs.dtype.name) == np.dtype(dtype)
        assert_close(case_name, f"value ({label})", ours, theirs, rtol=0, atol=0)


SPLITS = [  # (shape, indices_or_sections, axis, pieces that reach the loss)
    ((6, 3), 3, 0, None),
    ((3, 5), [1, 3], 1, None),
    ((2, 6, 2), [2, 2, 5], 1, None),  # an empty piece
    ((3, 5), [1, 3], -1, (0, 2)),  # the middle piece unused: zero gradient there
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, sections, axis, used", SPLITS,
                         ids=["sections", "indices", "empty_piece", "unused_piece"])
def test_split(shape, sections, axis, used, dtype, rng):
    """Every piece's value, and the input gradient of a random projection of the used pieces."""
    x = _draw(rng, "n", shape).astype(dtype)
    tensor = nn.Tensor(x, requires_grad=True, dtype=x.dtype)
    ours = O.split(tensor, sections, axis=axis)
    used = range(len(ours)) if used is None else used
    seeds = [rng.standard_normal(ours[i].shape).astype(dtype) for i in used]
    O.sum(O.stack([O.sum(O.multiply(ours[i], seed)) for i, seed in zip(used, seeds)])).backward()
    constant = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(constant)
        theirs = K.split(constant, sections, axis=axis)
    grad = tape.gradient([theirs[i] for i in used], constant,
                         output_gradients=[tf.constant(seed) for seed in seeds])
    case_name = f"op split {dtype}"
    assert len(ours) == len(theirs), f"op split: {len(ours)} pieces, Keras {len(theirs)}"
    for i, (mine, other) in enumerate(zip(ours, theirs)):
        assert mine.dtype == np.dtype(dtype)
        assert_close(case_name, f"piece {i} value", mine.data, other, **tolerance(dtype))
    assert_close(case_name, "input grad", tensor.grad, grad, **tolerance(dtype))


@pytest.mark.parametrize("source, target", [("float32", "float64"), ("float64", "float32"),
                                            ("float32", "float32"), ("float64", "float64")])
def test_cast(source, target, rng):
    """The value takes the target dtype; the gradient comes back in the source dtype."""
    x = _draw(rng, "n", (3, 4)).astype(source) * 1e3  # beyond float32's exact digits
    value, grads, seed = _numpynet(lambda t: O.cast(t, target), [x], rng)
    their_value, their_grads = _keras(lambda t: K.cast(t, target), [x], seed)
    case_name = f"op cast {source}->{target}"
    assert value.dtype == np.dtype(target), f"op cast: numpynet returned {value.dtype}"
    assert grads[0].dtype == np.dtype(source), f"op cast: gradient dtype {grads[0].dtype}"
    assert their_grads[0].dtype == np.dtype(source)
    # a cast rounds once, identically in both: the values and gradients are equal bit for bit
    assert_close(case_name, "value", value, their_value, rtol=0, atol=0)
    assert_close(case_name, "input 0 grad", grads[0], their_grads[0], rtol=0, atol=0)
