"""numpynet.regularizers against keras.regularizers: penalties, gradients, and inside a model.

Standalone, each penalty and its gradient are compared on the same tensor. Inside a model, a
numpynet ``Dense`` with kernel, bias and activity regularizers and its Keras twin
(``tf_reference.bridge.to_keras``) run one training step (``keras_step``/``numpynet_step``):
outputs, total loss (which includes the penalties, as Keras' ``compute_loss``), every gradient and
the regularization losses (``model.losses``) must agree. The installed Keras (≥ 3.14) divides an
activity penalty by the batch size; the tests check that both engines do, against the formula.

numpynet's extra penalties ``MeanActivity`` and ``KLSparsity`` are compared with their Keras
twins in ``tf_reference/keras_extras.py``.
"""

import numpy as np
import pytest

import numpynet as nn
from parity_tests.compare import FLOAT32, assert_close, assert_same, tolerance
from tf_reference import keras_extras
from tf_reference._keras import keras, tf
from tf_reference.bridge import to_keras
from tf_reference.grads import keras_step, numpynet_step, paired_names

R = nn.regularizers


@pytest.fixture(autouse=True)
def _fresh_state():
    """Overrides conftest's: the same resets without clear_session's slow garbage collection."""
    nn.config.set_floatx("float32")
    keras.config.set_floatx("float32")
    nn.utils.clear_session(free_memory=False)
    keras.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)
    yield
    nn.config.set_floatx("float32")
    keras.config.set_floatx("float32")


def _keras_twin(regularizer):
    """The Keras regularizer with the same class and config (the extras from keras_extras)."""
    return keras_extras.keras_regularizer(regularizer)


def _penalty_and_grad(ours, theirs, x, dtype):
    tensor = nn.Tensor(x, requires_grad=True, dtype=x.dtype)
    value = ours(tensor)
    if value.requires_grad:  # L1L2(0, 0) is a constant zero in both engines
        value.backward()
    variable = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(variable)
        their_value = theirs(variable)
    their_grad = tape.gradient(their_value, variable)
    their_grad = np.zeros_like(x) if their_grad is None else np.asarray(their_grad)
    assert value.dtype == np.dtype(dtype), f"{ours!r} returned {value.dtype}"
    grad = np.zeros_like(x) if tensor.grad is None else tensor.grad
    return value.data, grad, np.asarray(their_value), their_grad


# ---------------------------------------------------------------------------- standalone
def _inputs(kind, shape, rng):
    if kind == "activations":  # sigmoid-range codes for KLSparsity
        return rng.uniform(0.0, 1.0, shape)
    if kind == "dead_unit":  # one unit never fires: its mean is clipped to epsilon
        x = rng.uniform(0.0, 1.0, shape)
        x[:, 0] = 0.0
        return x
    return rng.standard_normal(shape)


STANDALONE = [
    (R.L1(), "normal", (5, 4)), (R.L1(0.3), "normal", (7,)), (R.L1(0.02), "normal", (2, 3, 4)),
    (R.L2(), "normal", (5, 4)), (R.L2(0.05), "normal", (7,)), (R.L2(0.5), "normal", (2, 3, 4)),
    (R.L1L2(), "normal", (5, 4)), (R.L1L2(l1=0.01, l2=0.02), "normal", (5, 4)),
    (R.L1L2(l1=0.1), "normal", (2, 3, 4)), (R.L1L2(l2=0.1), "normal", (6,)),
    (R.OrthogonalRegularizer(), "normal", (5, 4)),
    (R.OrthogonalRegularizer(0.1, mode="columns"), "normal", (5, 4)),
    (R.OrthogonalRegularizer(0.2, mode="rows"), "normal", (3, 6)),
    (R.MeanActivity(), "normal", (8, 5)), (R.MeanActivity(1.0), "activations", (8, 5)),
    (R.KLSparsity(), "activations", (8, 5)), (R.KLSparsity(rho=0.1, beta=3.0), "activations",
                                              (16, 3)),
    (R.KLSparsity(rho=0.2), "dead_unit", (8, 5)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("regularizer, kind, shape",
                         [pytest.param(*c, id=f"{c[0]!r}-{c[1]}-{c[2]}") for c in STANDALONE])
def test_regularizer_value_and_gradient(regularizer, kind, shape, dtype, rng):
    nn.config.set_floatx(dtype)
    keras.config.set_floatx(dtype)
    x = _inputs(kind, shape, rng).astype(dtype)
    value, grad, their_value, their_grad = _penalty_and_grad(
        regularizer, _keras_twin(regularizer), x, dtype)
    case = f"regularizer {regularizer!r} {kind} {shape} {dtype}"
    assert_close(case, "penalty", value, their_value, **tolerance(dtype))
    assert_close(case, "input grad", grad, their_grad, **tolerance(dtype))


def _assert_same_config(case, quantity, ours, theirs):
    """Same keys and strings; numbers equal up to float32 rounding (Keras keeps L1's, L2's and
    OrthogonalRegularizer's factors as float32 tensors, so its get_config returns 0.0099999998)."""
    assert_same(case, f"{quantity} keys", sorted(ours), sorted(theirs))
    for key in ours:
        if isinstance(ours[key], str):
            assert_same(case, f"{quantity} {key}", ours[key], theirs[key])
        else:
            assert_close(case, f"{quantity} {key}", ours[key], theirs[key], rtol=1e-7,
                         atol=1e-300)


@pytest.mark.parametrize("identifier", ["l1", "l2", "l1l2", "L1", "L2", "L1L2",
                                        "orthogonal_regularizer", "OrthogonalRegularizer"])
def test_regularizer_by_name(identifier):
    ours, theirs = R.get(identifier), keras.regularizers.get(identifier)
    case = f"regularizer name {identifier}"
    assert_same(case, "class", type(ours).__name__, type(theirs).__name__)
    _assert_same_config(case, "config", ours.get_config(), theirs.get_config())


@pytest.mark.parametrize("regularizer", [R.L1(0.3), R.L2(0.02), R.L1L2(0.1, 0.2),
                                         R.OrthogonalRegularizer(0.5, "columns")], ids=repr)
def test_regularizer_config_round_trip(regularizer):
    """Keras builds the same regularizer from numpynet's serialized form, and back."""
    theirs = keras.regularizers.deserialize(R.serialize(regularizer))
    case = f"regularizer config {regularizer!r}"
    _assert_same_config(case, "Keras from numpynet's serialization", regularizer.get_config(),
                        theirs.get_config())
    back = R.deserialize(keras.regularizers.serialize(theirs))
    _assert_same_config(case, "numpynet from Keras' serialization", back.get_config(),
                        theirs.get_config())


# ---------------------------------------------------------------------------- in a model
MODELS = [  # (kernel_regularizer, bias_regularizer, activity_regularizer, activation)
    (R.L2(0.01), None, None, "relu"),
    (R.L1(0.02), R.L2(0.03), None, "tanh"),
    (R.L1L2(0.01, 0.02), None, None, "relu"),
    (R.OrthogonalRegularizer(0.1), None, None, "tanh"),
    (None, None, R.L2(0.01), "relu"),
    (None, None, R.L1(0.05), "relu"),
    (None, None, R.MeanActivity(0.5), "relu"),
    (None, None, R.KLSparsity(rho=0.1, beta=2.0), "sigmoid"),
    (R.L2(0.01), R.L1(0.01), R.L1(0.05), "relu"),
]


def _model(kernel, bias, activity, activation):
    model = nn.Sequential([
        nn.layers.Input((4,)),
        nn.layers.Dense(5, activation=activation, kernel_regularizer=kernel,
                        bias_regularizer=bias, activity_regularizer=activity, name="code"),
        nn.layers.Dense(2, name="head"),
    ])
    # A non-zero bias so bias penalties and sigmoid codes are not trivial.
    model.get_layer("code").bias.assign(nn.rng.generator().uniform(-0.5, 0.5, 5))
    model.compile(optimizer="sgd", loss="mse")
    return model


def _expected_penalty(model, x, kernel, bias, activity):
    """Σ weight penalties + activity(code output) / batch size, from the formula."""
    layer = model.get_layer("code")
    total = 0.0
    if kernel is not None:
        total += float(kernel(layer.kernel.data).data)
    if bias is not None:
        total += float(bias(layer.bias.data).data)
    if activity is not None:
        code = nn.activations.get(layer.get_config()["activation"])(
            x @ layer.kernel.data + layer.bias.data)
        total += float(activity(code).data) / len(x)  # Keras >= 3.14 divides by the batch size
    return total


@pytest.mark.parametrize("batch_size", [8, 3])
@pytest.mark.parametrize("kernel, bias, activity, activation",
                         [pytest.param(*m, id=f"k={m[0]!r}-b={m[1]!r}-a={m[2]!r}-{m[3]}")
                          for m in MODELS])
def test_regularizers_in_a_model(kernel, bias, activity, activation, batch_size, rng):
    model = _model(kernel, bias, activity, activation)
    twin = to_keras(model)
    x = rng.standard_normal((batch_size, 4)).astype("float32")
    y = rng.standard_normal((batch_size, 2)).astype("float32")
    ours = numpynet_step(model, x, y)
    theirs = keras_step(twin, x, y, names=paired_names(model))
    case = f"regularizer in Dense kernel={kernel!r} bias={bias!r} activity={activity!r} " \
           f"batch={batch_size}"
    assert_same(case, "quantities", sorted(ours), sorted(theirs))
    for quantity in ours:
        assert_close(case, quantity, ours[quantity], theirs[quantity], **FLOAT32)
    our_losses = float(sum(p.data for p in model.losses))
    their_losses = float(sum(np.asarray(p) for p in twin.losses))
    assert_close(case, "model.losses (sum)", our_losses, their_losses, **FLOAT32)
    expected = _expected_penalty(model, x, kernel, bias, activity)
    assert_close(case, "model.losses vs formula (activity / batch size)", their_losses,
                 expected, **FLOAT32)
    assert_close(case, "numpynet model.losses vs formula", our_losses, expected, **FLOAT32)


def test_activity_penalty_is_divided_by_the_batch_size(rng):
    """Doubling the batch (same rows twice) leaves the per-sample activity penalty unchanged."""
    model = _model(None, None, R.L1(0.05), "relu")
    twin = to_keras(model)
    x = rng.standard_normal((4, 4)).astype("float32")
    penalties = {}
    for rows in (x, np.concatenate([x, x])):
        numpynet_step(model, rows, np.zeros((len(rows), 2), "float32"))
        twin(tf.constant(rows), training=True)
        penalties[len(rows)] = (float(sum(p.data for p in model.losses)),
                                float(sum(np.asarray(p) for p in twin.losses)))
    case = "regularizer activity L1 batch 4 vs 8"
    assert_close(case, "numpynet penalty, batch 8 vs 4", penalties[8][0], penalties[4][0],
                 **FLOAT32)
    assert_close(case, "Keras penalty, batch 8 vs 4", penalties[8][1], penalties[4][1], **FLOAT32)


def test_model_losses_after_repeated_calls_match_keras():
    """Keras keeps the penalties of the last outermost call only (a shared layer called twice
    in it counts twice), activity penalties first, then the trainable weights' penalties."""
    x = np.linspace(-1, 1, 12, dtype="float32").reshape(3, 4)
    a, b = nn.Input((4,), name="a"), nn.Input((4,), name="b")
    shared = nn.layers.Dense(2, activity_regularizer=nn.regularizers.L2(0.5),
                             kernel_regularizer=nn.regularizers.L1(0.25), name="shared")
    head = nn.layers.Dense(1, activity_regularizer=nn.regularizers.L1(1.0), name="head")
    model = nn.Model([a, b], head(nn.layers.Concatenate()([shared(a), shared(b)])))
    twin = to_keras(model)
    for _ in range(3):
        model([x, x])
        twin([x, x])
    ours = [float(loss.data) for loss in model.losses]
    theirs = [float(loss) for loss in twin.losses]
    assert_same("losses after three calls", "count", len(ours), len(theirs))
    assert_close("losses after three calls", "values in Keras' order", ours, theirs)
