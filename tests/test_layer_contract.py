"""The Keras Layer contract, part by part: penalties in ``losses``, ``InputLayer``, the
``input``/``output`` of the symbolic call, and Keras-style unique names.

Expected values are NumPy formulas or were read from the installed Keras 3.15.1.
"""

import json

import numpy as np
import pytest

import numpynet as nn
from numpynet import constraints, layers, regularizers
from numpynet.gradcheck import check_grads
from numpynet.layers import Input

L = layers
KERNEL = np.array([[0.5, -1.0, 0.25], [-0.75, 2.0, 1.5], [0.1, -0.2, 0.3], [1.0, 0.6, -0.4]])
BIAS = np.array([0.5, -1.0, 2.0])
X = np.random.default_rng(0).standard_normal((5, 4))


def f32(factor):
    """A penalty factor as Keras applies it, even in float64: rounded to float32 first."""
    return float(np.float32(factor))


@pytest.fixture(autouse=True)
def _fresh_session():
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)


def _dense(**kwargs):
    """A float64 ``Dense(3)`` on 4 features with the fixed ``KERNEL`` and ``BIAS``."""
    layer = L.Dense(3, dtype="float64", **kwargs)
    layer.build((None, 4))
    layer.set_weights([KERNEL, BIAS])
    return layer


def _penalties(**kwargs):
    return _dense(kernel_regularizer=regularizers.L1(0.1), bias_regularizer=regularizers.L2(0.2),
                  activity_regularizer=regularizers.L1L2(l1=0.01, l2=0.02), **kwargs)


# ---------------------------------------------------------------- weight and activity penalties
def test_dense_losses_hold_the_keras_penalties():
    lazy = L.Dense(3, kernel_regularizer="l2")
    assert not lazy.built and lazy.weights == [] and lazy.losses == []  # nothing before build

    layer = _penalties()
    # Built, never called: the two weight penalties (no ½: Keras' L1 and L2), kernel first.
    kernel_penalty = f32(0.1) * np.abs(KERNEL).sum()
    bias_penalty = f32(0.2) * np.square(BIAS).sum()
    np.testing.assert_allclose([p.data for p in layer.losses], [kernel_penalty, bias_penalty],
                               rtol=1e-12)

    y = X @ KERNEL + BIAS
    np.testing.assert_allclose(layer(X).data, y, rtol=1e-12)
    # Keras >= 3.14 divides the activity penalty by the batch size (5 here).
    activity = (f32(0.01) * np.abs(y).sum() + f32(0.02) * np.square(y).sum()) / 5
    values = [float(p.data) for p in layer.losses]
    assert len(values) == 3 and all(p.shape == () for p in layer.losses)
    # Keras 3.15 lists the activity penalty first and numpynet last: compare as a multiset.
    np.testing.assert_allclose(sorted(values), sorted([kernel_penalty, bias_penalty, activity]),
                               rtol=1e-12)


def test_activity_penalty_is_a_per_sample_average():
    x = X[:3]
    single = _dense(activity_regularizer=regularizers.L1(0.5))
    single(x)
    doubled = _dense(activity_regularizer=regularizers.L1(0.5))
    doubled(np.vstack([x, x]))  # the same rows twice: the same penalty once divided by 6
    expected = f32(0.5) * np.abs(x @ KERNEL + BIAS).sum() / 3
    for layer in (single, doubled):
        (penalty,) = layer.losses
        np.testing.assert_allclose(penalty.data, expected, rtol=1e-12)


def test_penalties_are_on_the_tape():
    layer = _penalties()
    total = layer.losses[0] + layer.losses[1]
    total.backward()
    np.testing.assert_allclose(layer.kernel.grad, f32(0.1) * np.sign(KERNEL), rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, 2 * f32(0.2) * BIAS, rtol=1e-12)

    def activity_penalty(x):  # a fresh layer per call: only this call's penalty
        layer = _dense(activity_regularizer=regularizers.L1L2(l1=0.01, l2=0.02))
        layer(x)
        (penalty,) = layer.losses
        return penalty

    (grad,) = check_grads(activity_penalty, X)
    assert np.abs(grad).max() > 0


def test_dense_config_carries_penalties_and_constraints_in_keras_format():
    layer = _penalties(kernel_constraint=constraints.MaxNorm(1.5), bias_constraint="non_neg",
                       name="regularized")
    config = json.loads(json.dumps(layer.get_config()))  # JSON-friendly
    assert config["kernel_regularizer"] == {
        "module": "keras.regularizers", "class_name": "L1", "config": {"l1": 0.1},
        "registered_name": None}
    assert config["bias_regularizer"]["class_name"] == "L2"
    assert config["bias_regularizer"]["config"] == {"l2": 0.2}
    assert config["activity_regularizer"]["config"] == {"l1": 0.01, "l2": 0.02}
    assert config["kernel_constraint"] == {
        "module": "keras.constraints", "class_name": "MaxNorm",
        "config": {"max_value": 1.5, "axis": 0}, "registered_name": None}
    assert config["bias_constraint"]["class_name"] == "NonNeg"

    revived = L.Dense.from_config(config)
    assert revived.name == "regularized" and revived.get_config() == config
    revived.build((None, 4))
    revived.set_weights([KERNEL, BIAS])
    assert isinstance(revived.kernel.constraint, constraints.MaxNorm)
    assert revived.kernel.constraint.max_value == 1.5
    assert isinstance(revived.bias.constraint, constraints.NonNeg)
    for layer_ in (layer, revived):
        layer_(X)
    np.testing.assert_allclose([p.data for p in revived.losses], [p.data for p in layer.losses],
                               rtol=1e-12)


# ---------------------------------------------------------------- InputLayer
def test_input_layer_is_a_weightless_layer_with_one_output():
    x = Input((3,))
    layer = x.node.layer
    assert type(layer) is L.InputLayer and layer.name == "input_layer" and layer.built
    assert Input((3,)).node.layer.name == "input_layer_1"
    assert layer.output is x and layer.output_shape == (None, 3) and x.dtype == np.float32
    assert layer.weights == [] and layer.count_params() == 0 and layer.losses == []
    config = layer.get_config()
    assert config == {"batch_shape": [None, 3], "dtype": "float32", "name": "input_layer"}
    revived = L.InputLayer.from_config(json.loads(json.dumps(config)))
    assert revived.get_config() == config and revived.output.shape == (None, 3)

    assert Input((2, 5), batch_size=8, dtype="float64").shape == (8, 2, 5)
    assert Input(batch_shape=(None, 2, 5)).shape == (None, 2, 5)
    assert Input((2,), dtype="float64").dtype == np.float64
    assert Input(7, name="pixels").node.layer.name == "pixels"


def test_input_layer_errors():
    with pytest.raises(ValueError, match=r"InputLayer needs `shape` \(the shape of one sample"):
        L.InputLayer()
    with pytest.raises(ValueError, match=r"Input shape must be positive integers or None, got "
                                         r"\(3, 0\)"):
        Input((3, 0))


# ---------------------------------------------------------------- input / output of the graph
def test_input_and_output_of_a_layer_called_once():
    x = Input((4,), name="x")
    dense = L.Dense(3, name="hidden")
    y = dense(x)
    assert dense.input is x and dense.output is y
    assert dense.get_input_at(0) is x and dense.get_output_at(0) is y
    assert dense.input_shape == (None, 4) and dense.output_shape == (None, 3)
    assert y.name == "hidden/output"

    a, b = Input((4,)), Input((2,))
    merge = L.Concatenate(name="cat")
    z = merge([a, b])
    assert isinstance(merge.input, list) and len(merge.input) == 2
    assert merge.input[0] is a and merge.input[1] is b and merge.output is z
    assert merge.input_shape == [(None, 4), (None, 2)] and merge.output_shape == (None, 6)

    # A sub-model from `.output` computes the layer's own formula.
    dense.set_weights([KERNEL.astype("float32"), BIAS.astype("float32")])
    sub = nn.Model(x, dense.output)
    np.testing.assert_allclose(sub.predict(X.astype("float32"), verbose=0), X @ KERNEL + BIAS,
                               rtol=1e-5, atol=1e-6)


def test_a_layer_only_called_on_arrays_has_no_input_or_output():
    layer = L.Dense(2, name="eager")
    layer(np.ones((3, 4), "float32"))
    for attribute in ("input", "output"):
        message = (rf"Layer 'eager' has never been called on an Input and thus has no defined "
                   rf"{attribute}\.")
        with pytest.raises(AttributeError, match=message):
            getattr(layer, attribute)


def test_a_shared_layer_answers_with_its_first_call():
    # Keras 3.15 returns the first call's tensors (tf.keras 2 raised "multiple inbound nodes").
    a, b = Input((4,), name="a"), Input((4,), name="b")
    shared = L.Dense(3, name="shared")
    ya, yb = shared(a), shared(b)
    assert shared.input is a and shared.output is ya
    assert shared.input_shape == (None, 4) and shared.output_shape == (None, 3)
    assert shared.get_input_at(0) is a and shared.get_input_at(1) is b
    assert shared.get_output_at(0) is ya and shared.get_output_at(1) is yb
    assert shared.get_output_at(-1) is yb
    assert ya is not yb and ya.name == yb.name == "shared/output"
    with pytest.raises(ValueError, match=r"Layer 'shared' was called 2 time\(s\) on symbolic "
                                         r"inputs; node_index 2 is out of range\."):
        shared.get_output_at(2)


# ---------------------------------------------------------------- names
# keras 3.15.1: the default name of each layer class, after keras.utils.clear_session().
KERAS_NAMES = {
    "Activation": "activation", "ActivityRegularization": "activity_regularization",
    "Add": "add", "Average": "average", "BatchNormalization": "batch_normalization",
    "Concatenate": "concatenate", "Dense": "dense", "Dot": "dot", "Dropout": "dropout",
    "ELU": "elu", "Flatten": "flatten", "GaussianDropout": "gaussian_dropout",
    "GaussianNoise": "gaussian_noise", "Lambda": "lambda",
    "LayerNormalization": "layer_normalization", "LeakyReLU": "leaky_re_lu",
    "Maximum": "maximum", "Minimum": "minimum", "Multiply": "multiply", "PReLU": "p_re_lu",
    "ReLU": "re_lu", "Reshape": "reshape", "Softmax": "softmax", "Subtract": "subtract",
}
REQUIRED = {"Activation": ("relu",), "Dense": (1,), "Dot": (1,), "Dropout": (0.1,),
            "GaussianDropout": (0.1,), "GaussianNoise": (0.1,), "Lambda": (abs,),
            "Reshape": ((1,),)}


def test_default_names_follow_keras():
    made = {}
    for class_name in KERAS_NAMES:
        cls = getattr(L, class_name)
        made[class_name] = [cls(*REQUIRED.get(class_name, ())).name for _ in range(2)]
    assert made == {k: [v, f"{v}_1"] for k, v in KERAS_NAMES.items()}

    class MyBlock(L.Layer):
        def call(self, inputs, training=None):
            return inputs

    assert [MyBlock().name, MyBlock().name] == ["my_block", "my_block_1"]


def test_names_are_unique_per_base_and_name_the_weight_paths():
    first, second = L.Dense(2), L.Dense(2)
    assert L.Dense(2, name="head").name == "head"  # an explicit name takes no number
    third = L.Dense(2)
    assert [first.name, second.name, third.name] == ["dense", "dense_1", "dense_2"]
    second.build((None, 3))
    assert [w.path for w in second.weights] == ["dense_1/kernel", "dense_1/bias"]
    assert [w.name for w in second.weights] == ["kernel", "bias"]
    norm = L.BatchNormalization()
    norm.build((None, 3))
    assert [w.path for w in norm.weights] == [
        "batch_normalization/gamma", "batch_normalization/beta",
        "batch_normalization/moving_mean", "batch_normalization/moving_variance"]

    x = Input((3,))
    hidden, out = L.Dense(2), L.Dense(1)
    model = nn.Model(x, out(hidden(x)))
    assert model.name == "functional" and nn.Model(x, model(x)).name == "functional_1"
    assert [w.path for w in model.weights] == [
        "dense_3/kernel", "dense_3/bias", "dense_4/kernel", "dense_4/bias"]
    assert nn.Sequential([L.Dense(1)]).name == "sequential"

    with pytest.raises(ValueError, match=r"Layer name must be a non-empty string without '/', "
                                         r"got 'a/b'"):
        L.Dense(2, name="a/b")


def test_clear_session_restarts_every_counter():
    for _ in range(2):
        L.Dense(2)
        Input((3,))
        nn.Sequential([L.Dense(1)])
    nn.utils.clear_session(free_memory=False)
    dense = L.Dense(2)
    dense.build((None, 3))
    assert dense.name == "dense" and dense.kernel.path == "dense/kernel"
    x = Input((3,))
    assert x.node.layer.name == "input_layer"
    assert nn.Model(x, L.Dense(1)(x)).name == "functional"
    assert nn.Sequential([L.Dense(1)]).name == "sequential"


# ---------------------------------------------------------------- losses of the last call
def test_losses_hold_the_last_outermost_call_only_activity_first():
    # Keras clears a layer's losses when an outermost call starts; a shared layer called twice
    # inside that call keeps both penalties. Activity penalties come first, then weight ones.
    x = np.ones((3, 4), "float32")
    a, b = Input((4,), name="a"), Input((4,), name="b")
    shared = L.Dense(2, activity_regularizer=nn.regularizers.L2(0.5),
                     kernel_regularizer=nn.regularizers.L1(0.25), name="shared")
    head = L.Dense(1, activity_regularizer=nn.regularizers.L1(1.0), name="head")
    model = nn.Model([a, b], head(L.Concatenate()([shared(a), shared(b)])))
    for _ in range(3):
        model([x, x])
    losses = [float(loss.data) for loss in model.losses]
    assert len(losses) == 4  # head's activity, shared's two activities, shared's kernel
    code = x @ shared.kernel.data + shared.bias.data
    out = np.concatenate([code, code], -1) @ head.kernel.data + head.bias.data
    expected_activity = sorted([np.sum(np.abs(out)) / 3, *[0.5 * np.sum(code ** 2) / 3] * 2])
    np.testing.assert_allclose(sorted(losses[:3]), expected_activity, rtol=1e-5)
    np.testing.assert_allclose(losses[3], 0.25 * np.sum(np.abs(shared.kernel.data)), rtol=1e-6)
    shared.trainable = False  # a frozen weight's penalty no longer counts, as in Keras
    assert len(model.losses) == 3
