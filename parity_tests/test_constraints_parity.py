"""numpynet.constraints against keras.constraints: projections, configs, and training with them.

Standalone, each constraint projects the same random array on both sides (float32 and
float64). In a model, numpynet's ``Dense``/``BatchNormalization``/``LayerNormalization``/
``PReLU`` with constraints and their Keras twins (``to_keras``) train for a few epochs: Keras
applies each variable's constraint after the optimizer's update, and so must numpynet, or the
History and the final weights drift apart. ``from_keras`` must read Keras' constraints back.
"""

import numpy as np
import pytest

import numpynet as nn
from parity_tests.compare import TRAINING, assert_close, assert_same, tolerance
from parity_tests.test_training_parity import _digits, compare_after_training, train_both
from tf_reference._keras import keras, tf
from tf_reference.bridge import BridgeError, from_keras, to_keras

C = nn.constraints
L = nn.layers


# ---------------------------------------------------------------------------- standalone
PROJECTIONS = [  # (class name, config, weight shape)
    ("MaxNorm", {}, (6, 4)), ("MaxNorm", {"max_value": 0.5}, (6, 4)),
    ("MaxNorm", {"max_value": 1.0, "axis": 1}, (6, 4)),
    ("MaxNorm", {"max_value": 1.5, "axis": [0, 1]}, (3, 4, 5)),
    ("MinMaxNorm", {}, (6, 4)), ("MinMaxNorm", {"min_value": 0.8, "max_value": 2.0}, (6, 4)),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.0, "rate": 0.3, "axis": -1}, (3, 4, 5)),
    ("MinMaxNorm", {"min_value": 1.0, "max_value": 3.0, "rate": 0.7, "axis": [1, 2]}, (3, 4, 5)),
    ("NonNeg", {}, (6, 4)), ("NonNeg", {}, (7,)),
    ("UnitNorm", {}, (6, 4)), ("UnitNorm", {"axis": 1}, (6, 4)),
    ("UnitNorm", {"axis": [0, 2]}, (3, 4, 5)),
]


def _weights(shape, rng):
    """Normal values with the last axis scaled from 0.05 to 3, so norms fall on both sides of
    every bound, and one all-zero slice, where only the epsilon keeps the result finite."""
    w = rng.standard_normal(shape) * np.geomspace(0.05, 3.0, shape[-1])
    w[..., 0] = 0.0
    return w


@pytest.mark.parametrize("name, config, shape", PROJECTIONS,
                         ids=[f"{n}-{c}-{s}" for n, c, s in PROJECTIONS])
def test_projection(name, config, shape, floatx, rng):
    w = _weights(shape, rng).astype(floatx)
    ours = getattr(C, name)(**config)(w)
    theirs = getattr(keras.constraints, name)(**config)(tf.constant(w))
    case = f"{name}({config}) {shape} {floatx}"
    assert_same(case, "dtype", ours.dtype.name, theirs.dtype.name)
    assert_close(case, "projected weight", ours, theirs, **tolerance(floatx))


def test_projection_of_a_variable(rng):
    """What the optimizers pass: numpynet's Variable and Keras' Variable."""
    w = _weights((5, 3), rng).astype("float32")
    ours = C.MaxNorm(0.7)(nn.Variable(w))
    theirs = keras.constraints.MaxNorm(0.7)(keras.Variable(w))
    assert_close("MaxNorm(0.7) on a Variable", "projected weight", ours, theirs,
                 **tolerance("float32"))


# ---------------------------------------------------------------------------- configs
@pytest.mark.parametrize("name", ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"])
def test_defaults_names_and_serialization(name):
    case = f"constraint config {name}"
    assert_same(case, "default config", getattr(C, name)().get_config(),
                getattr(keras.constraints, name)().get_config())
    configured = {"MaxNorm": {"max_value": 3.0, "axis": [0, 1]},
                  "MinMaxNorm": {"min_value": 0.2, "max_value": 4.0, "rate": 0.5, "axis": 1},
                  "UnitNorm": {"axis": -1}}.get(name, {})
    ours, theirs = getattr(C, name)(**configured), getattr(keras.constraints, name)(**configured)
    assert_same(case, "serialized", C.serialize(ours), keras.constraints.serialize(theirs))
    assert_same(case, "Keras from numpynet's serialization",
                keras.constraints.deserialize(C.serialize(ours)).get_config(), configured)
    assert_same(case, "numpynet from Keras' serialization",
                C.deserialize(keras.constraints.serialize(theirs)).get_config(), configured)


def test_same_names():
    from keras.src.constraints import ALL_OBJECTS_DICT
    assert_same("constraint names", "get() names", sorted(C.ALL_OBJECTS_DICT),
                sorted(ALL_OBJECTS_DICT))
    for key in ALL_OBJECTS_DICT:
        assert_same("constraint names", f"get({key!r})", type(C.get(key)).__name__,
                    type(keras.constraints.get(key)).__name__)


# ---------------------------------------------------------------------------- training
def _constraint_configs(model):
    return {f"{layer.name}/{key}": value for layer in model.layers
            for key, value in layer.get_config().items() if key.endswith("constraint")}


def _check_twin_constraints(case, model, twin):
    """Every constraint reached the Keras layer, class and config."""
    ours = _constraint_configs(model)
    theirs = _constraint_configs(twin)
    assert_same(case, "constraint configs", ours, theirs)
    assert_same(case, "constraints set", sum(v is not None for v in ours.values()) > 0, True)


@pytest.mark.slow
def test_dense_training_with_constraints(rng):
    """MaxNorm/NonNeg on the hidden layer, UnitNorm/MinMaxNorm(rate<1) on the output."""
    case = "training Dense with constraints"
    x, y = _digits(150)
    model = nn.Sequential([
        nn.Input((64,)),
        L.Dense(16, activation="relu", kernel_constraint=C.MaxNorm(0.6),
                bias_constraint="non_neg", name="hidden"),
        L.Dense(10, activation="softmax", kernel_constraint=C.UnitNorm(axis=0),
                bias_constraint=C.MinMaxNorm(0.1, 0.5, rate=0.7), name="output"),
    ], name="constrained")
    model.compile(optimizer=nn.optimizers.Adam(learning_rate=0.02),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    _check_twin_constraints(case, model, to_keras(model))
    model, twin = train_both(case, model, x, y, epochs=4, validation_split=0.2)
    compare_after_training(case, model, twin, x, y)
    # The constraints were active: the max-norm bound is reached, the bias stays non-negative.
    norms = np.linalg.norm(model.get_layer("hidden").kernel.data, axis=0)
    assert norms.max() == pytest.approx(0.6, rel=1e-4) and norms.max() <= 0.6 + 1e-6
    assert model.get_layer("hidden").bias.data.min() >= 0.0


@pytest.mark.slow
def test_normalization_and_prelu_training_with_constraints(rng):
    case = "training BatchNormalization/PReLU/LayerNormalization with constraints"
    x, y = _digits(120)
    inputs = nn.Input((64,))
    h = L.Dense(12, kernel_constraint=C.MaxNorm(1.0), name="dense")(inputs)
    h = L.BatchNormalization(gamma_constraint=C.MaxNorm(2.0), beta_constraint="non_neg",
                             name="bn")(h)
    h = L.PReLU(alpha_initializer=nn.initializers.Constant(-0.2), alpha_constraint="non_neg",
                name="prelu")(h)
    h = L.LayerNormalization(gamma_constraint=C.UnitNorm(), beta_constraint=C.MaxNorm(0.5),
                             name="ln")(h)
    outputs = L.Dense(10, activation="softmax", name="output")(h)
    model = nn.Model(inputs, outputs, name="normalized")
    model.compile(optimizer=nn.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                  loss="sparse_categorical_crossentropy")
    _check_twin_constraints(case, model, to_keras(model))
    model, twin = train_both(case, model, x, y, epochs=3, batch_size=20)
    compare_after_training(case, model, twin, x, y)
    assert model.get_layer("prelu").alpha.data.min() >= 0.0


@pytest.mark.slow
def test_from_keras_reads_constraints_and_trains_alike(rng):
    case = "from_keras with constraints"
    x, y = _digits(100)
    keras_model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(8, activation="tanh", kernel_constraint="max_norm",
                           bias_constraint=keras.constraints.NonNeg(), name="hidden"),
        keras.layers.BatchNormalization(gamma_constraint=keras.constraints.UnitNorm(),
                                        name="bn"),
        keras.layers.PReLU(alpha_constraint=keras.constraints.MinMaxNorm(0.1, 0.3), name="prelu"),
        keras.layers.LayerNormalization(beta_constraint="non_neg", name="ln"),
        keras.layers.Dense(10, activation="softmax", kernel_constraint=keras.constraints.MaxNorm(
            0.8, axis=0), name="output"),
    ], name="keras_constrained")
    # SGD rather than Adam: Adam divides each gradient by its own running RMS, so the rounding
    # noise of a near-zero gradient (oneDNN's threaded sums differ from run to run) becomes a
    # full-size step, and the two twins drift apart by ~1e-3 within a few epochs on some runs.
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                        loss="sparse_categorical_crossentropy")
    model = from_keras(keras_model)
    assert_same(case, "constraint configs", _constraint_configs(model),
                _constraint_configs(keras_model))
    for layer, other in zip(model.layers, keras_model.layers):
        for weight, theirs in zip(layer.weights, other.weights):
            ours = weight.constraint
            assert_same(case, f"{weight.path} constraint",
                        None if ours is None else (type(ours).__name__, ours.get_config()),
                        None if theirs.constraint is None else
                        (type(theirs.constraint).__name__, theirs.constraint.get_config()))
    fit = {"epochs": 3, "batch_size": 16, "shuffle": False, "verbose": 0}
    ours, theirs = model.fit(x, y, **fit).history, keras_model.fit(x, y, **fit).history
    for epoch, (a, b) in enumerate(zip(ours["loss"], theirs["loss"])):
        assert_close(case, f"epoch {epoch} loss", a, b, **TRAINING)
    for mine, other in zip(model.weights, keras_model.weights):
        assert_close(case, f"final {mine.path}", mine.data, other.numpy(), **TRAINING)


# ---------------------------------------------------------------------------- errors
def test_function_constraints_need_a_twin(rng):
    def clip_one(w):
        return np.clip(np.asarray(getattr(w, "data", w)), -1.0, 1.0)

    model = nn.Sequential([nn.Input((4,)), L.Dense(2, kernel_constraint=clip_one, name="d")])
    with pytest.raises(BridgeError, match=r"Layer 'd': the constraint 'clip_one' has no known "
                                          r"Keras twin: pass custom_objects="):
        to_keras(model)
    twin = to_keras(model, custom_objects={"clip_one": lambda w: keras.ops.clip(w, -1.0, 1.0)})
    w = 3.0 * rng.standard_normal((4, 2)).astype("float32")
    assert_close("function constraint twin", "projected weight", clip_one(w),
                 twin.get_layer("d").kernel_constraint(tf.constant(w)), **tolerance("float32"))

    def keras_clip(w):
        return keras.ops.clip(w, -1.0, 1.0)

    keras_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(
        2, kernel_constraint=keras_clip, name="clipped")])
    with pytest.raises(BridgeError, match=r"Keras layer 'clipped': its constraint has no "
                                          r"numpynet twin: .*function 'keras_clip'"):
        from_keras(keras_model)
