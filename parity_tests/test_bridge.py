"""The bridge: numpynet → Keras (``to_keras``) → numpynet (``from_keras``) round trips.

A round trip must keep the architecture (layer names and classes, input names, weight shapes
and values), the predictions, and the compile settings (optimizer class and config, loss,
metrics), and anything the other side cannot express must fail with a ``BridgeError`` that
names the layer.
"""

import re

import pytest

import numpynet as nn
from parity_tests.compare import FLOAT32, assert_close, assert_same
from tf_reference import BridgeError, from_keras, to_keras
from tf_reference._keras import keras

L = nn.layers


# ---------------------------------------------------------------------------- architectures
def _sequential():
    return nn.Sequential([nn.Input((6,)), L.Dense(5, activation="relu"),
                          L.BatchNormalization(), L.Dropout(0.3),
                          L.Dense(3, activation="softmax")], name="classifier")


def _multi_io():
    a, b = nn.Input((6,), name="image"), nn.Input((3,), name="vector")
    merged = L.Concatenate(name="merge")([L.Dense(4, activation="tanh")(a), b])
    hidden = L.LayerNormalization()(L.Dense(5, activation="elu")(merged))
    digit = L.Dense(3, activation="softmax", name="digit")(hidden)
    score = L.Dense(1, activation="sigmoid", name="score")(hidden)
    return nn.Model([a, b], [digit, score], name="multimodal")


def _shared():
    left, right = nn.Input((6,), name="left"), nn.Input((6,), name="right")
    shared = L.Dense(4, activation="relu", name="shared")
    distance = L.Lambda(nn.ops.abs, name="distance")(L.Subtract()([shared(left),
                                                                    shared(right)]))
    return nn.Model([left, right], L.Dense(1, activation="sigmoid")(distance), name="siamese")


def _nested():
    inner_input = nn.Input((6,))
    code = L.Dense(3, activation="relu", name="code")(inner_input)
    encoder = nn.Model(inner_input, code, name="encoder")
    outer_input = nn.Input((6,), name="pixels")
    reconstruction = L.Dense(6, activation="sigmoid", name="decoder")(encoder(outer_input))
    return nn.Model(outer_input, reconstruction, name="autoencoder")


def _regularized():
    return nn.Sequential([
        nn.Input((6,)),
        L.Dense(4, activation="sigmoid", kernel_initializer="he_normal",
                kernel_regularizer=nn.regularizers.L2(0.01),
                activity_regularizer=nn.regularizers.KLSparsity(rho=0.1, beta=0.5)),
        L.PReLU(), L.GaussianNoise(0.1), L.Dense(2, bias_regularizer="l1")])


def _merges():
    a, b = nn.Input((4,), name="a"), nn.Input((4,), name="b")
    parts = [L.Add()([a, b]), L.Multiply()([a, b]), L.Average()([a, b]), L.Maximum()([a, b]),
             L.Minimum()([a, b]), L.Dot(axes=1, normalize=True)([a, b])]
    reshaped = L.Reshape((2, 12))(L.Concatenate()(parts[:5] + [L.Dense(4)(parts[5])]))
    return nn.Model([a, b], L.Softmax()(L.Flatten()(reshaped)), name="merges")


ARCHITECTURES = {"sequential": _sequential, "multi-input multi-output": _multi_io,
                 "shared layer": _shared, "nested model": _nested, "regularized": _regularized,
                 "merges": _merges}


def _inputs(model, rng, batch=7):
    arrays = [rng.normal(size=(batch,) + tuple(t.shape[1:])).astype("float32")
              for t in model.inputs]
    return arrays if len(arrays) > 1 else arrays[0]


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _randomize(model, rng):
    for w in model.weights:
        scale = rng.uniform(0.5, 1.5, size=w.shape) if "variance" in w.path else \
            rng.normal(0.0, 0.5, size=w.shape)
        w.assign(scale.astype(w.dtype))


def _class(layer):
    """Class name, with Keras' Functional (what keras.Model(inputs, outputs) is) as Model."""
    name = type(layer).__name__
    return "Model" if name == "Functional" else name


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_round_trip(name, rng):
    case = f"bridge round trip {name}"
    model = ARCHITECTURES[name]()
    _randomize(model, rng)
    twin = to_keras(model)
    back = from_keras(twin)
    assert_same(case, "model class", type(back).__name__, type(model).__name__)
    assert_same(case, "model name", (twin.name, back.name), (model.name, model.name))
    for other, label in ((twin, "Keras"), (back, "round trip")):
        assert_same(case, f"{label} layer names", [layer.name for layer in other.layers],
                    [layer.name for layer in model.layers])
        assert_same(case, f"{label} layer classes", [_class(la) for la in other.layers],
                    [_class(la) for la in model.layers])
        assert_same(case, f"{label} weight shapes", [tuple(w.shape) for w in other.weights],
                    [tuple(w.shape) for w in model.weights])
    assert_same(case, "input names", [t.name.split("/")[0] for t in twin.inputs],
                model.input_names)
    assert_same(case, "round-trip weight paths", [w.path for w in back.weights],
                [w.path for w in model.weights])
    for mine, other in zip(model.weights, back.weights):
        assert_close(case, f"round-trip {mine.path}", other.data, mine.data, rtol=0, atol=0)
    x = _inputs(model, rng)
    ours = _as_list(model.predict(x, verbose=0))
    for label, other in (("Keras", twin), ("round trip", back)):
        theirs = _as_list(other.predict(x, verbose=0))
        assert_same(case, f"{label} number of outputs", len(theirs), len(ours))
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_close(case, f"{label} prediction {i}", a, b, **FLOAT32)


def test_sequential_weight_paths_carry_the_model_name():
    """Keras 3.15 builds a Sequential's layers in the model's name scope, functional models'
    outside it; numpynet's paths never carry the model name (difference reported)."""
    case = "bridge weight paths"
    sequential = _sequential()
    assert_same(case, "Sequential", [w.path for w in to_keras(sequential).weights],
                [f"classifier/{w.path}" for w in sequential.weights])
    functional = _multi_io()
    assert_same(case, "functional", [w.path for w in to_keras(functional).weights],
                [w.path for w in functional.weights])


def test_keras_built_model_to_numpynet(rng):
    """from_keras on a model written directly in Keras (shared layer, Lambda of keras.ops)."""
    a, b = keras.Input((5,), name="a"), keras.Input((5,), name="b")
    shared = keras.layers.Dense(3, activation="tanh", name="tower")
    diff = keras.layers.Lambda(keras.ops.abs, name="abs")(
        keras.layers.Subtract()([shared(a), shared(b)]))
    out = keras.layers.Dense(1, activation="sigmoid", kernel_regularizer="l2")(diff)
    twin = keras.Model([a, b], out)
    model = from_keras(twin)
    x = [rng.normal(size=(6, 5)).astype("float32") for _ in range(2)]
    assert_same("bridge from Keras", "Lambda function", model.get_layer("abs").function,
                nn.ops.abs)
    assert_close("bridge from Keras", "prediction", model.predict(x, verbose=0),
                 twin.predict(x, verbose=0), **FLOAT32)


# ---------------------------------------------------------------------------- compile settings
def _compile_settings():
    schedule = nn.schedules.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.5)
    return {
        "adam amsgrad": dict(optimizer=nn.optimizers.Adam(learning_rate=0.01, amsgrad=True),
                             loss="sparse_categorical_crossentropy", metrics=["accuracy"]),
        "sgd nesterov clipnorm": dict(
            optimizer=nn.optimizers.SGD(0.1, momentum=0.9, nesterov=True, clipnorm=1.0),
            loss=nn.losses.SparseCategoricalCrossentropy(),
            metrics=["accuracy", nn.metrics.SparseTopKCategoricalAccuracy(k=2)]),
        "rmsprop schedule": dict(optimizer=nn.optimizers.RMSprop(learning_rate=schedule,
                                                                 centered=True),
                                 loss="sparse_categorical_crossentropy"),
        "string optimizer": dict(optimizer="adamw", loss="sparse_categorical_crossentropy",
                                 metrics=["sparse_categorical_accuracy"]),
        "adagrad global_clipnorm": dict(optimizer=nn.optimizers.Adagrad(0.1,
                                                                        global_clipnorm=2.0),
                                        loss=nn.losses.sparse_categorical_crossentropy,
                                        metrics=[nn.metrics.SparseCategoricalCrossentropy()]),
    }


COMPILE_SETTINGS = sorted(_compile_settings())


def _optimizer_config(optimizer):
    config = dict(optimizer.get_config())
    config.pop("name")
    learning_rate = config.pop("learning_rate")
    if isinstance(learning_rate, dict):  # a schedule: its class and config
        config["schedule"] = (learning_rate["class_name"], learning_rate["config"])
        learning_rate = None
    return config, learning_rate


def _compare_optimizers(case, ours, theirs):
    assert_same(case, "optimizer class", type(theirs).__name__, type(ours).__name__)
    mine, my_rate = _optimizer_config(ours)
    other, other_rate = _optimizer_config(theirs)
    if "schedule" in other:  # Keras' schedule config has the same keys and values
        other["schedule"] = (other["schedule"][0], {k: other["schedule"][1][k]
                                                    for k in mine["schedule"][1]})
    assert_same(case, "optimizer config", other, mine)
    if my_rate is not None:
        assert_close(case, "learning_rate", other_rate, my_rate, rtol=0, atol=0)


@pytest.mark.parametrize("name", COMPILE_SETTINGS)
def test_compile_settings_carried(name, rng):
    case = f"bridge compile {name}"
    model = _sequential()
    model.compile(**_compile_settings()[name])
    twin = to_keras(model)
    assert_same(case, "Keras compiled", twin.compiled, True)
    _compare_optimizers(case, model.optimizer, twin.optimizer)
    back = from_keras(twin)
    assert_same(case, "round trip compiled", back.compiled, True)
    _compare_optimizers(case, model.optimizer, back.optimizer)
    # Loss and metrics, by what they compute and how they are logged.
    x, y = _inputs(model, rng, batch=20), rng.integers(0, 3, size=20)
    ours = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    for label, other in (("Keras", twin), ("round trip", back)):
        theirs = other.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
        assert_same(case, f"{label} evaluate keys", sorted(theirs), sorted(ours))
        for key in ours:
            assert_close(case, f"{label} evaluate {key}", ours[key], theirs[key], **FLOAT32)


def test_multi_output_compile_carried(rng):
    """Per-output losses (dict), loss_weights and metrics travel both ways."""
    case = "bridge compile multi-output"
    model = _multi_io()
    model.compile(optimizer="rmsprop", loss={"digit": "sparse_categorical_crossentropy",
                                             "score": nn.losses.BinaryCrossentropy(
                                                 label_smoothing=0.1)},
                  loss_weights={"digit": 1.0, "score": 0.3},
                  metrics={"digit": ["accuracy"], "score": ["mae"]})
    twin = to_keras(model)
    back = from_keras(twin)
    x = _inputs(model, rng, batch=16)
    y = [rng.integers(0, 3, size=16), rng.integers(0, 2, size=(16, 1)).astype("float32")]
    ours = model.evaluate(x, y, verbose=0, return_dict=True)
    for label, other in (("Keras", twin), ("round trip", back)):
        theirs = other.evaluate(x, y, verbose=0, return_dict=True)
        assert_same(case, f"{label} evaluate keys", sorted(theirs), sorted(ours))
        for key in ours:
            assert_close(case, f"{label} evaluate {key}", ours[key], theirs[key], **FLOAT32)


# ---------------------------------------------------------------------------- errors
def test_unsupported_keras_layer_is_named():
    inputs = keras.Input((8, 8, 1))
    features = keras.layers.Conv2D(2, 3, name="my_conv")(inputs)
    twin = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(features)))
    with pytest.raises(BridgeError, match=r"'my_conv' of class 'Conv2D' has no numpynet twin"):
        from_keras(twin)
    sequential = keras.Sequential([keras.Input((8, 8, 1)),
                                   keras.layers.MaxPooling2D(name="pool")])
    with pytest.raises(BridgeError, match=r"'pool' of class 'MaxPooling2D'"):
        from_keras(sequential)


def test_unsupported_keras_argument_is_named():
    twin = keras.Sequential([keras.Input((4,)),
                             keras.layers.BatchNormalization(renorm=True, name="renormed")])
    with pytest.raises(BridgeError, match=r"'renormed' \(BatchNormalization\) has no numpynet "
                                          r"twin: .*renorm and synchronized are not supported"):
        from_keras(twin)


def test_python_lambda_needs_custom_objects(rng):
    inputs = nn.Input((4,))
    doubled = L.Lambda(lambda t: t * 2.0, name="doubler")(inputs)
    model = nn.Model(inputs, L.Dense(2)(doubled))
    with pytest.raises(BridgeError, match=r"Lambda layer 'doubler' wraps '<lambda>'.*"
                                          r"custom_objects=\{'doubler': keras_fn\}"):
        to_keras(model)
    twin = to_keras(model, custom_objects={"doubler": lambda t: t * 2.0})
    x = rng.normal(size=(3, 4)).astype("float32")
    assert_close("bridge Lambda custom_objects", "prediction", model.predict(x, verbose=0),
                 twin.predict(x, verbose=0), **FLOAT32)


def test_keras_python_lambda_is_rejected():
    inputs = keras.Input((4,))
    twin = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 3.0, name="triple")(inputs))
    with pytest.raises(BridgeError, match=r"Keras Lambda layer 'triple' wraps '<lambda>'"):
        from_keras(twin)


def test_custom_numpynet_layer_is_named():
    class Scale(L.Layer):
        def call(self, inputs, training=None):
            return inputs * 2.0

        def compute_output_shape(self, input_shape):
            return input_shape

    model = nn.Sequential([nn.Input((3,)), Scale(name="my_scale")])
    with pytest.raises(BridgeError, match=r"Layer 'my_scale': Keras has no layer class 'Scale'"):
        to_keras(model)


def _stale_config_models():
    """Keras models whose layer configs no longer describe their weights (as a custom layer
    with a stale ``get_config`` would): the numpynet twin is built with other weights."""
    inputs = keras.Input((5,), name="pixels")
    wide = keras.layers.Dense(3, name="wide")
    functional = keras.Model(inputs, keras.layers.Dense(1, name="out")(wide(inputs)))
    wide.units = 4  # config says 4 units; the kernel stays (5, 3)
    sequential = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, name="hidden"),
                                   keras.layers.Dense(2, name="biased")], name="seq")
    sequential.get_layer("biased").use_bias = False  # config: no bias; the bias stays
    return functional, sequential


def test_from_keras_checks_weight_shapes_and_counts():
    functional, sequential = _stale_config_models()
    with pytest.raises(ValueError, match=r"Layer 'wide': Keras weight 'wide/kernel' has shape "
                                         r"\(5, 3\) but its numpynet twin 'wide/kernel' "
                                         r"expects shape \(5, 4\)"):
        from_keras(functional)
    expected = ("Layer 'biased': Keras has 2 weights [('seq/biased/kernel', (3, 2)), "
                "('seq/biased/bias', (2,))] but its numpynet twin expects 1 "
                "[('biased/kernel', (3, 2))].")
    with pytest.raises(BridgeError, match=re.escape(expected)):
        from_keras(sequential)
