"""The initialization and speed-up demo models against their Keras twins, trained side by side.

The course's sigmoid net (first layer drawn from RandomNormal(σ)), the deep nets under several
initializers, the deep net with BatchNormalization after every hidden Dense layer, and the deep
net under the optimizers of the speed-up demo: each gets its twin through the bridge (same
initial weights, same compile settings), both train a few epochs on the quick digits with
``shuffle=False``, and every History value and final weight (BatchNormalization's moving
statistics included) must agree within the training tolerance. The hand-written Keras builders
of ``tf_reference.models`` are checked to be the same architecture and compile settings.
The initializers' statistics are compared in ``test_initializers_parity.py``.
"""

import numpy as np
import pytest

from demos import initialization, training_speedups
from demos.base import DemoConfig
from demos.common import load_dataset
from parity_tests.compare import TRAINING, assert_close, assert_same
from tf_reference import models as keras_models
from tf_reference import to_keras

EPOCHS = 3
pytestmark = pytest.mark.slow
SPEEDUP_SGD = training_speedups.SGD

# label -> (builder name, keyword arguments, input scale)
CASES = {
    "course σ=1": ("build_course_init_net", dict(sigma=1.0), 1.0),
    "course σ=0.1 inputs ×100": ("build_course_init_net", dict(sigma=0.1), 100.0),
    "deep tanh GlorotUniform": ("build_deep_init_net", dict(
        kernel_initializer="glorot_uniform", activation="tanh"), 1.0),
    "deep relu HeNormal": ("build_deep_init_net", dict(
        kernel_initializer="he_normal", activation="relu"), 1.0),
    "deep tanh Orthogonal": ("build_deep_init_net", dict(
        kernel_initializer="orthogonal", activation="tanh"), 1.0),
    "deep tanh BatchNormalization SGD": ("build_deep_init_net", dict(
        kernel_initializer=training_speedups.PLAIN_INIT, activation="tanh", batch_norm=True,
        optimizer=SPEEDUP_SGD), 1.0),
    "deep tanh SGD momentum": ("build_deep_init_net", dict(
        kernel_initializer="glorot_uniform",
        optimizer=training_speedups.OPTIMIZERS["SGD + momentum 0.9"]), 1.0),
    "deep tanh RMSprop": ("build_deep_init_net", dict(
        kernel_initializer="glorot_uniform",
        optimizer=training_speedups.OPTIMIZERS["RMSprop"]), 1.0),
}


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DemoConfig(quick=True))


def _build(module, label, data):
    name, arguments, scale = CASES[label]
    return getattr(module, name)(data.pixels, data.num_classes, **arguments), scale


@pytest.mark.parametrize("label", list(CASES))
def test_training_matches_keras(digits, label):
    model, scale = _build(initialization, label, digits)
    twin = to_keras(model)
    assert_same(label, "weight count", len(model.weights), len(twin.weights))
    # 600 samples, 20 % for validation: 480 = 15 whole batches (no tiny batch for BN)
    x, y = digits.x_train * np.float32(scale), digits.y_train
    fit = dict(epochs=EPOCHS, batch_size=32, shuffle=False, validation_split=0.2, verbose=0)
    ours = model.fit(x, y, **fit).history
    theirs = twin.fit(x, y, **fit).history
    assert_same(label, "History keys", sorted(ours), sorted(theirs))
    for key, values in theirs.items():
        for epoch, value in enumerate(values, start=1):
            assert_close(label, f"epoch {epoch} {key}", ours[key][epoch - 1], value, **TRAINING)
    for mine, other in zip(model.weights, twin.weights):
        assert_close(label, f"final {mine.path}", mine, other.numpy(), **TRAINING)


@pytest.mark.parametrize("label", list(CASES))
def test_keras_builders_are_the_same_architecture(digits, label):
    model, scale = _build(initialization, label, digits)
    twin, _ = _build(keras_models, label, digits)
    case = f"tf_reference.models {label}"
    assert_same(case, "layer names", [layer.name for layer in model.layers],
                [layer.name for layer in twin.layers])
    assert_same(case, "weight shapes", [w.shape for w in model.weights],
                [tuple(w.shape) for w in twin.weights])
    assert_same(case, "optimizer", type(model.optimizer).__name__,
                type(twin.optimizer).__name__)
    for key in ("learning_rate", "momentum", "rho", "beta_1"):
        if key in twin.optimizer.get_config():
            assert_close(case, f"optimizer {key}", float(model.optimizer.get_config()[key]),
                         float(twin.optimizer.get_config()[key]))
    twin.set_weights(model.get_weights())
    batch = digits.x_test[:40] * np.float32(scale)
    assert_close(case, "predictions", model.predict(batch, verbose=0),
                 twin.predict(batch, verbose=0))


def test_keras_builder_draws_the_course_sigma(digits):
    twin = keras_models.build_course_init_net(digits.pixels, digits.num_classes, sigma=10.0)
    kernel = twin.get_layer("hidden_1").kernel.numpy()
    assert abs(float(np.std(kernel)) / 10.0 - 1.0) < 0.05
    assert float(np.std(twin.get_layer("hidden_1").bias.numpy())) > 2.0
