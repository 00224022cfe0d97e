"""Tests of every layer: the shared checks, NumPy references, statistics, gradients, errors."""

import inspect

import numpy as np
import pytest
from layer_test_utils import floatx_scope, run_layer_test

import numpynet as nn
from numpynet import config, constraints, layers, ops, regularizers, rng
from numpynet.gradcheck import check_grads
from numpynet.layers import Input

L = layers
TWO = [(4, 3), (4, 3)]
# Every weight option of Dense at once: penalties join `losses` (and so the training step's
# loss); constraints only matter to optimizers, but must survive the config round trip.
DENSE_ALL_OPTIONS = {
    "units": 3, "kernel_regularizer": "l2", "bias_regularizer": regularizers.L1(0.1),
    "activity_regularizer": regularizers.L1L2(l1=0.01, l2=0.02),
    "kernel_constraint": "max_norm", "bias_constraint": constraints.NonNeg()}

# (class, kwargs, input shape, output shape, trainable weights, non-trainable weights)
CASES = [
    (L.Dense, {"units": 3}, (4, 5), (4, 3), 2, 0),
    (L.Dense, {"units": 3, "activation": "tanh", "use_bias": False}, (4, 2, 5), (4, 2, 3), 1, 0),
    (L.Dense, DENSE_ALL_OPTIONS, (4, 5), (4, 3), 2, 0),
    (L.InputLayer, {"shape": (5,)}, (4, 5), (4, 5), 0, 0),
    (L.InputLayer, {"batch_shape": (None, 2, 3)}, (4, 2, 3), (4, 2, 3), 0, 0),
    (L.Activation, {"activation": "sigmoid"}, (4, 5), (4, 5), 0, 0),
    (L.Lambda, {"function": ops.square}, (4, 5), (4, 5), 0, 0),
    (L.Flatten, {}, (4, 2, 3), (4, 6), 0, 0),
    (L.Reshape, {"target_shape": (3, 2)}, (4, 6), (4, 3, 2), 0, 0),
    (L.Reshape, {"target_shape": (-1, 2)}, (4, 6), (4, 3, 2), 0, 0),
    (L.Dropout, {"rate": 0.5}, (4, 5), (4, 5), 0, 0),
    (L.Dropout, {"rate": 0.3, "noise_shape": (None, 1)}, (4, 5), (4, 5), 0, 0),
    (L.GaussianNoise, {"stddev": 0.5}, (4, 5), (4, 5), 0, 0),
    (L.GaussianDropout, {"rate": 0.3}, (4, 5), (4, 5), 0, 0),
    (L.ActivityRegularization, {"l1": 0.01, "l2": 0.02}, (4, 5), (4, 5), 0, 0),
    (L.BatchNormalization, {}, (8, 5), (8, 5), 2, 2),
    (L.BatchNormalization, {"axis": 1, "center": False}, (8, 3, 2), (8, 3, 2), 1, 2),
    (L.LayerNormalization, {}, (4, 5), (4, 5), 2, 0),
    (L.LayerNormalization, {"axis": [1, 2], "scale": False}, (4, 3, 2), (4, 3, 2), 1, 0),
    (L.Concatenate, {}, [(4, 3), (4, 2)], (4, 5), 0, 0),
    (L.Concatenate, {"axis": 1}, [(4, 2, 3), (4, 1, 3)], (4, 3, 3), 0, 0),
    (L.Add, {}, [(4, 3), (4, 3), (4, 3)], (4, 3), 0, 0),
    (L.Add, {}, [(4, 2, 3), (4, 3)], (4, 2, 3), 0, 0),
    (L.Subtract, {}, TWO, (4, 3), 0, 0),
    (L.Multiply, {}, TWO, (4, 3), 0, 0),
    (L.Average, {}, TWO, (4, 3), 0, 0),
    (L.Maximum, {}, TWO, (4, 3), 0, 0),
    (L.Minimum, {}, TWO, (4, 3), 0, 0),
    (L.Dot, {"axes": 1}, TWO, (4, 1), 0, 0),
    (L.Dot, {"axes": (1, 2), "normalize": True}, [(4, 3, 5), (4, 2, 3)], (4, 5, 2), 0, 0),
    (L.ReLU, {}, (4, 5), (4, 5), 0, 0),
    (L.ReLU, {"max_value": 6.0}, (4, 5), (4, 5), 0, 0),
    (L.ReLU, {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.5}, (4, 5), (4, 5), 0, 0),
    (L.LeakyReLU, {}, (4, 5), (4, 5), 0, 0),
    (L.ELU, {"alpha": 0.5}, (4, 5), (4, 5), 0, 0),
    (L.Softmax, {}, (4, 5), (4, 5), 0, 0),
    (L.Softmax, {"axis": (1, 2)}, (4, 2, 3), (4, 2, 3), 0, 0),
    # alpha = 0 (the default) is a stationary point of mean(out²): start elsewhere
    (L.PReLU, {"alpha_initializer": "ones"}, (4, 5), (4, 5), 1, 0),
    (L.PReLU, {"shared_axes": [1], "alpha_initializer": "ones"}, (4, 3, 2), (4, 3, 2), 1, 0),
]


@pytest.fixture(params=["float32", "float64"])
def dtype(request):
    previous = config.floatx()
    config.set_floatx(request.param)
    yield request.param
    config.set_floatx(previous)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0].__name__}-{sorted(c[1])}")
def test_run_layer_test(case, dtype):
    cls, kwargs, input_shape, output_shape, trainable, non_trainable = case
    overrides = {"function": kwargs["function"]} if cls is L.Lambda else None
    run_layer_test(cls, kwargs, input_shape, output_shape, trainable, non_trainable,
                   dtype=dtype, config_overrides=overrides)


def test_every_layer_has_a_case():
    exported = {obj for obj in vars(L).values()
                if inspect.isclass(obj) and issubclass(obj, L.Layer)}
    abstract = {L.Layer, L.Merge}
    missing = exported - abstract - {case[0] for case in CASES}
    assert not missing, f"layers without a run_layer_test case: {missing}"


def test_functional_aliases_build_the_layers():
    a, b = Input((3,)), Input((3,))
    for fn, cls in [(L.add, L.Add), (L.subtract, L.Subtract), (L.multiply, L.Multiply),
                    (L.average, L.Average), (L.maximum, L.Maximum), (L.minimum, L.Minimum),
                    (L.concatenate, L.Concatenate), (L.dot, L.Dot)]:
        out = fn([a, b], name=f"merged_{fn.__name__}")
        layer = out.node.layer
        assert type(layer) is cls and layer.name == f"merged_{fn.__name__}"
    assert L.concatenate([a, b], axis=1).shape == (None, 6)
    assert L.dot([a, b], axes=1).shape == (None, 1)


# ---------------------------------------------------------------- NumPy references
def _tol(dtype):
    return {"rtol": 1e-5, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-12}


def test_dense_forward_matches_numpy(dtype):
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(dtype)
    layer = L.Dense(3, activation="relu")
    out = layer(x)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out.data, np.maximum(x @ kernel + bias, 0), **_tol(dtype))
    assert kernel.shape == (4, 3) and bias.shape == (3,) and out.dtype == np.dtype(dtype)


def _bn_reference(x, mean, var, gamma, beta, eps=1e-3):
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def test_batch_normalization_training_and_moving_statistics(dtype):
    data_rng = np.random.default_rng(1)
    batches = [data_rng.normal(2.0, 3.0, (16, 4)).astype(dtype) for _ in range(3)]
    layer = L.BatchNormalization()
    layer.build((None, 4))
    gamma, beta = data_rng.uniform(0.5, 2, 4), data_rng.normal(size=4)
    layer.set_weights([gamma, beta, np.zeros(4), np.ones(4)])
    assert [w.path.split("/")[-1] for w in layer.weights] == [
        "gamma", "beta", "moving_mean", "moving_variance"]
    moving_mean, moving_var = np.zeros(4), np.ones(4)
    for x in batches:
        out = layer(x, training=True)
        mean, var = x.mean(0), x.var(0)  # biased variance
        expected = _bn_reference(x, mean, var, gamma, beta)
        np.testing.assert_allclose(out.data, expected, **_tol(dtype))
        moving_mean = moving_mean * 0.99 + mean * 0.01
        moving_var = moving_var * 0.99 + var * 0.01
    np.testing.assert_allclose(layer.moving_mean.data, moving_mean, **_tol(dtype))
    np.testing.assert_allclose(layer.moving_variance.data, moving_var, **_tol(dtype))
    expected = _bn_reference(batches[0], moving_mean, moving_var, gamma, beta)
    for training in (None, False):
        np.testing.assert_allclose(layer(batches[0], training=training).data, expected,
                                   **_tol(dtype))
    np.testing.assert_allclose(layer.moving_mean.data, moving_mean, **_tol(dtype))


def test_frozen_batch_normalization_runs_in_inference_mode():
    layer = L.BatchNormalization()
    x = np.random.default_rng(2).normal(5.0, 2.0, (8, 3)).astype("float32")
    layer(x)
    layer.trainable = False
    out = layer(x, training=True)
    np.testing.assert_allclose(out.data, x / np.sqrt(1.0 + 1e-3), rtol=1e-6)
    np.testing.assert_array_equal(layer.moving_mean.data, np.zeros(3))


def test_batch_normalization_on_a_middle_axis_matches_numpy():
    x = np.random.default_rng(3).standard_normal((5, 3, 4))
    layer = L.BatchNormalization(axis=1, dtype="float64")
    out = layer(x, training=True)
    mean, var = x.mean((0, 2), keepdims=True), x.var((0, 2), keepdims=True)
    np.testing.assert_allclose(out.data, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-12)
    np.testing.assert_allclose(layer.moving_mean.data, 0.01 * mean.ravel(), rtol=1e-12)


def test_layer_normalization_matches_numpy(dtype):
    x = np.random.default_rng(4).normal(1.0, 2.0, (4, 3, 5)).astype(dtype)
    layer = L.LayerNormalization()
    gamma, beta = np.linspace(0.5, 1.5, 5), np.linspace(-1, 1, 5)
    layer.build((None, 3, 5))
    layer.set_weights([gamma, beta])
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    expected = gamma * (x - mean) / np.sqrt(var + 1e-3) + beta
    np.testing.assert_allclose(layer(x).data, expected, **_tol(dtype))
    both = L.LayerNormalization(axis=[2, 1], center=False)(x)
    mean, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(both.data, (x - mean) / np.sqrt(var + 1e-3), **_tol(dtype))


def test_layer_normalization_rms_scaling_is_deprecated_and_scales_by_the_variance():
    x = np.random.default_rng(5).normal(3.0, 1.0, (2, 6))
    with pytest.warns(UserWarning, match="deprecated"):
        layer = L.LayerNormalization(rms_scaling=True, dtype="float64")
    out = layer(x)
    assert [w.name for w in layer.weights] == ["gamma"]
    np.testing.assert_allclose(out.data, x / np.sqrt(x.var(-1, keepdims=True) + 1e-3))


def test_merges_and_activation_layers_match_numpy():
    r = np.random.default_rng(6)
    a, b = r.standard_normal((4, 3)), r.standard_normal((4, 3))
    with floatx_scope("float64"):
        pairs = [(L.Add(), a + b), (L.Subtract(), a - b), (L.Multiply(), a * b),
                 (L.Average(), (a + b) / 2), (L.Maximum(), np.maximum(a, b)),
                 (L.Minimum(), np.minimum(a, b)), (L.Concatenate(), np.hstack([a, b])),
                 (L.Dot(axes=1), np.sum(a * b, 1, keepdims=True))]
        for layer, expected in pairs:
            np.testing.assert_allclose(layer([a, b]).data, expected, err_msg=layer.name)
        cosine = L.Dot(axes=-1, normalize=True)([a, b]).data[:, 0]
        np.testing.assert_allclose(cosine, np.sum(a * b, 1) / np.linalg.norm(a, axis=1)
                                   / np.linalg.norm(b, axis=1))
        x, y = r.standard_normal((2, 3, 5)), r.standard_normal((2, 4, 3))
        np.testing.assert_allclose(L.Dot(axes=(1, 2))([x, y]).data,
                                   np.einsum("bkm,bnk->bmn", x, y))
        v = np.array([[-2.0, -0.5, 0.0, 0.4, 0.6, 3.0, 8.0]])
        np.testing.assert_allclose(L.ReLU()(v).data, np.maximum(v, 0))
        np.testing.assert_allclose(L.ReLU(max_value=6.0)(v).data, np.clip(v, 0, 6))
        general = L.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5)(v).data
        np.testing.assert_allclose(general, np.where(v > 0.5, np.minimum(v, 2.0), 0.1 * (v - 0.5)))
        np.testing.assert_allclose(L.LeakyReLU()(v).data, np.where(v > 0, v, 0.3 * v))
        np.testing.assert_allclose(L.ELU(alpha=0.5)(v).data, np.where(v > 0, v, 0.5 * np.expm1(v)))
        np.testing.assert_allclose(L.Softmax()(v).data, np.exp(v) / np.exp(v).sum())
        prelu = L.PReLU()
        np.testing.assert_array_equal(prelu(v).data, np.maximum(v, 0))  # alpha starts at 0
        prelu.set_weights([np.full(7, 0.25)])
        np.testing.assert_allclose(prelu(v).data, np.where(v > 0, v, 0.25 * v))


# ---------------------------------------------------------------- randomness
def test_dropout_statistics_and_inference_identity():
    x = np.ones((1000, 100), "float32")
    layer = L.Dropout(0.3)
    out = layer(x, training=True).data
    assert abs(np.mean(out == 0) - 0.3) < 0.01  # sampling sd ≈ 0.0015
    assert abs(out.mean() - 1.0) < 0.01  # inverted dropout keeps the mean (sd ≈ 0.002)
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.7], rtol=1e-6)
    for training in (None, False):
        np.testing.assert_array_equal(layer(x, training=training).data, x)
    rows = L.Dropout(0.5, noise_shape=(None, 1))(x, training=True).data
    assert np.all(rows.min(1) == rows.max(1)) and 0 < np.mean(rows[:, 0] == 0) < 1


def test_dropout_randomness_is_repeatable():
    x = np.ones((20, 10), "float32")
    rng.set_random_seed(3)
    first = L.Dropout(0.5)(x, training=True).data
    rng.set_random_seed(3)
    np.testing.assert_array_equal(L.Dropout(0.5)(x, training=True).data, first)
    seeded = [L.Dropout(0.5, seed=11)(x, training=True).data for _ in range(2)]
    np.testing.assert_array_equal(seeded[0], seeded[1])
    assert not np.array_equal(seeded[0], first)


def test_gaussian_noise_and_dropout_statistics(dtype):
    zeros, ones = np.zeros((2000, 50), dtype), np.ones((2000, 50), dtype)
    noisy = L.GaussianNoise(0.4)(zeros, training=True).data
    assert noisy.dtype == np.dtype(dtype)
    assert abs(noisy.mean()) < 0.01 and abs(noisy.std() - 0.4) < 0.01
    np.testing.assert_array_equal(L.GaussianNoise(0.4)(ones).data, ones)
    scaled = L.GaussianDropout(0.2)(ones, training=True).data
    assert abs(scaled.mean() - 1.0) < 0.01 and abs(scaled.std() - 0.5) < 0.01
    np.testing.assert_array_equal(L.GaussianDropout(0.2)(ones, training=False).data, ones)


def test_activity_regularization_penalty_is_divided_by_batch_size():
    x = np.array([[1.0, -2.0], [3.0, 0.5]], "float32")
    layer = L.ActivityRegularization(l1=0.1, l2=0.01)
    np.testing.assert_array_equal(layer(x).data, x)
    expected = (0.1 * np.abs(x).sum() + 0.01 * np.square(x).sum()) / 2
    (penalty,) = layer.losses
    np.testing.assert_allclose(penalty.data, expected, rtol=1e-6)
    assert "activity_regularizer" not in layer.get_config()


# ---------------------------------------------------------------- gradient checks (float64)
def _with_weights(layer, names, **call_kwargs):
    """A function of (x, *weights) that runs ``layer.call`` with the given weight tensors."""
    def fn(x, *weights):
        for name, weight in zip(names, weights):
            setattr(layer, name, weight)
        return layer.call(x, **call_kwargs)
    return fn


@pytest.mark.parametrize("make, names, kwargs, shape", [
    (lambda: L.Dense(3, activation="tanh"), ["kernel", "bias"], {}, (5, 4)),
    (lambda: L.BatchNormalization(), ["gamma", "beta"], {"training": True}, (6, 3)),
    (lambda: L.BatchNormalization(axis=1), ["gamma", "beta"], {"training": True}, (4, 3, 2)),
    (lambda: L.LayerNormalization(), ["gamma", "beta"], {}, (4, 5)),
    (lambda: L.LayerNormalization(axis=[1, 2]), ["gamma", "beta"], {}, (3, 2, 4)),
    (lambda: L.PReLU(alpha_initializer="ones"), ["alpha"], {}, (4, 3)),
])
def test_gradients_of_inputs_and_weights(make, names, kwargs, shape):
    r = np.random.default_rng(7)
    with floatx_scope("float64"):
        layer = make()
        layer.build((None,) + shape[1:])
        weights = [getattr(layer, n).data + r.normal(0, 0.1, getattr(layer, n).shape)
                   for n in names]
        check_grads(_with_weights(layer, names, **kwargs), r.standard_normal(shape), *weights)


@pytest.mark.parametrize("make, shapes", [
    (L.Add, [(3, 4)] * 3), (L.Subtract, [(3, 4)] * 2), (L.Multiply, [(3, 4)] * 3),
    (L.Average, [(3, 4)] * 2), (L.Maximum, [(3, 4)] * 3), (L.Minimum, [(3, 4)] * 2),
    (L.Add, [(3, 2, 4), (3, 4)]), (lambda: L.Concatenate(axis=1), [(3, 2, 4), (3, 1, 4)]),
    (lambda: L.Dot(axes=1), [(3, 4)] * 2), (lambda: L.Dot(axes=(1, 2)), [(2, 3, 4), (2, 5, 3)]),
    (lambda: L.Dot(axes=-1, normalize=True), [(3, 4)] * 2),
])
def test_merge_gradients(make, shapes):
    r = np.random.default_rng(8)
    with floatx_scope("float64"):
        layer = make()
        check_grads(lambda *xs: layer(list(xs)), *[r.standard_normal(s) for s in shapes])


# ---------------------------------------------------------------- errors
def test_constructor_errors():
    with pytest.raises(ValueError, match="Dense: `units` must be a positive integer, got 0"):
        L.Dense(0)
    with pytest.raises(TypeError, match=r"Dense: unrecognized keyword arguments \['unit'\]"):
        L.Dense(3, unit=4)
    with pytest.raises(ValueError, match=r"Dropout: .*`rate`.*between 0 and 1.*rate=1.5"):
        L.Dropout(1.5)
    with pytest.raises(ValueError, match=r"noise_shape.*positive integers or None"):
        L.Dropout(0.5, noise_shape=(None, 0))
    with pytest.raises(ValueError, match=r"GaussianNoise: .*`stddev`.*stddev=2"):
        L.GaussianNoise(2)
    with pytest.raises(ValueError, match="max_value of a ReLU layer cannot be a negative"):
        L.ReLU(max_value=-1.0)
    with pytest.raises(ValueError, match="negative_slope value of a Leaky ReLU"):
        L.LeakyReLU(-0.1)
    with pytest.raises(ValueError, match=r"Dot: .*`axes`.*two integers.*\[1, 2, 3\]"):
        L.Dot(axes=[1, 2, 3])
    with pytest.raises(TypeError, match="LayerNormalization: .*'axis'.*'last'"):
        L.LayerNormalization(axis="last")


def test_dense_rejects_an_input_of_another_width():
    layer = L.Dense(2, name="probe")
    layer(np.ones((3, 5)))
    message = (r'Input 0 of layer "probe" is incompatible.*axis -1 of input shape to have '
               r"value 5.*shape \(3, 4\)")
    with pytest.raises(ValueError, match=message):
        layer(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r'layer "probe".*value 5.*\(None, 4\)'):
        layer(Input((4,)))


@pytest.mark.parametrize("make, shapes, message", [
    (lambda: L.Add(name="adder"), [(3,), (4,)],
     r"Inputs have incompatible shapes. Received shapes \(3,\) and \(4,\).*'adder'"),
    (lambda: L.Concatenate(name="cat"), [(2, 3), (4, 5)],
     r"A `Concatenate` layer requires inputs with matching shapes except for the concatenation "
     r"axis. Layer 'cat'.*\[\(\w+, 2, 3\), \(\w+, 4, 5\)\]"),
    (lambda: L.Subtract(name="minus"), [(3,)] * 3,
     r"A `Subtract` layer should be called on exactly 2 inputs. Layer 'minus'"),
    (lambda: L.Dot(axes=1, name="dotty"), [(3,), (4,)],
     r"Incompatible input shapes: axis values 3 \(at axis 1\) != 4.*'dotty'"),
    (lambda: L.Dot(axes=0), [(3,), (3,)], r"non-batch axis"),
    (lambda: L.Concatenate(axis=3), [(3,), (3,)], r"axis 3 is out of bounds"),
])
def test_wrong_merges_fail_when_the_graph_is_built(make, shapes, message):
    with pytest.raises(ValueError, match=message):
        make()([Input(s) for s in shapes])
    with pytest.raises(ValueError, match=message):
        make()([np.ones((2,) + s) for s in shapes])


def test_merge_needs_a_list_and_a_shared_layer_rechecks_shapes():
    with pytest.raises(ValueError, match="merge layer should be called on a list of inputs"):
        L.Add()(Input((3,)))
    layer = L.Add(name="shared_add")
    layer([Input((3,)), Input((3,))])
    with pytest.raises(ValueError, match=r"'shared_add'.*incompatible shapes"):
        layer([Input((3,)), Input((5,))])
    with pytest.raises(ValueError, match="different batch sizes"):
        layer([np.ones((2, 3)), np.ones((4, 3))])


def test_reshape_and_normalization_shape_errors():
    with pytest.raises(ValueError, match=r"Reshape 'rs'.*\(6,\).*\(4,\)"):
        L.Reshape((4,), name="rs")(Input((6,)))
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn': Axis 2 is out of bounds"):
        L.BatchNormalization(axis=2, name="bn")(Input((3,)))
    with pytest.raises(ValueError, match=r"PReLU 'pr': shared axis 3 is out of bounds"):
        L.PReLU(shared_axes=[3], name="pr")(Input((3,)))


def test_set_weights_errors_change_nothing():
    layer = L.BatchNormalization(name="bn_set")
    layer.build((None, 3))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"'bn_set' expects 4 weights.*received 2"):
        layer.set_weights(before[:2])
    wrong = [np.full(3, 7.0), np.full(3, 7.0), np.full(3, 7.0), np.ones(4)]
    message = r"bn_set/moving_variance: expected shape \(3,\), got \(4,\)"
    with pytest.raises(ValueError, match=message):
        layer.set_weights(wrong)
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_layers_compute_in_their_own_dtype():
    layer = L.LayerNormalization(dtype="float64")
    out = layer(nn.Tensor(np.ones((2, 3)), dtype="float32"))
    assert out.dtype == np.float64 and layer.gamma.dtype == np.float64


def test_add_weight_takes_the_name_first_or_keras_shape_first():
    class Custom(nn.layers.Layer):
        def build(self, input_shape):
            self.add_weight((3, 2), initializer="ones")  # Keras 3's positional order
            self.add_weight("scale", (2,), initializer="zeros")  # name first
            self.add_weight(shape=4, name="offset")  # an int shape, as Keras accepts

    layer = Custom(name="custom")
    layer.build((None, 3))
    assert [(w.path, w.shape) for w in layer.weights] == [
        ("custom/variable_0", (3, 2)), ("custom/scale", (2,)), ("custom/offset", (4,))]
    np.testing.assert_array_equal(layer.weights[0].data, np.ones((3, 2)))
    with pytest.raises(TypeError, match=r"Layer 'custom': add_weight got two shapes, \(2,\) and "
                                        r"\(3,\); pass name= as a string"):
        layer.add_weight((2,), (3,))
    assert len(layer.weights) == 3  # nothing was added
