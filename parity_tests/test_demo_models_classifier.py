"""The classifier demo's model against its Keras twins, trained side by side.

``demos.classifier.build_model`` (Dense 64 → 32 → 10 softmax, also the model of
``demos/scale_out.py``), compiled as the demo compiles it, gets two Keras twins with its initial
weights: one through the bridge (``to_keras``) and the hand-written
``tf_reference.models.build_classifier`` with the weights copied in. Each trains for a few epochs
on the demo's quick digits with ``shuffle=False`` and the demo's validation split, and every
History value and every final weight must agree within the training tolerance.
"""

import pytest

from demos import classifier
from demos.base import DemoConfig
from demos.common import load_dataset
from parity_tests.compare import FLOAT32, TRAINING, assert_close, assert_same
from tf_reference import models as keras_models
from tf_reference import to_keras

EPOCHS = 3
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DemoConfig(quick=True))


def _demo_model(data):
    model = classifier.build_model(data.pixels, data.num_classes)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _twin(kind, model, data):
    if kind == "bridge":
        return to_keras(model)
    twin = keras_models.build_classifier(data.pixels, data.num_classes)
    twin.set_weights(model.get_weights())
    return twin


@pytest.mark.parametrize("kind", ["bridge", "builder"])
def test_training_matches_keras(digits, kind):
    model = _demo_model(digits)
    twin = _twin(kind, model, digits)
    case = f"classifier ({kind} twin)"
    assert_same(case, "weight count", len(model.weights), len(twin.weights))
    fit = dict(epochs=EPOCHS, batch_size=32, shuffle=False,
               validation_split=classifier.VALIDATION_SPLIT, verbose=0)
    ours = model.fit(digits.x_train, digits.y_train, **fit).history
    theirs = twin.fit(digits.x_train, digits.y_train, **fit).history
    assert_same(case, "History keys", sorted(ours), sorted(theirs))
    for key, values in theirs.items():
        assert_same(case, f"{key} epochs", len(ours[key]), len(values))
        for epoch, value in enumerate(values, start=1):
            assert_close(case, f"epoch {epoch} {key}", ours[key][epoch - 1], value, **TRAINING)
    assert ours["loss"][-1] < 0.9 * ours["loss"][0]  # the comparison is of a model that learns
    for mine, other in zip(model.weights, twin.weights):
        assert_close(case, f"final {mine.path}", mine, other.numpy(), **TRAINING)


def test_keras_builder_is_the_same_model(digits):
    model = _demo_model(digits)
    twin = keras_models.build_classifier(digits.pixels, digits.num_classes)
    case = "tf_reference.models classifier"
    assert_same(case, "model name", twin.name, model.name)
    assert_same(case, "layer names", [layer.name for layer in model.layers],
                [layer.name for layer in twin.layers])
    assert_same(case, "weight shapes", [w.shape for w in model.weights],
                [tuple(w.shape) for w in twin.weights])
    assert_same(case, "activations", [layer.get_config()["activation"] for layer in model.layers],
                [layer.get_config()["activation"] for layer in twin.layers])
    assert_same(case, "optimizer", type(twin.optimizer).__name__, type(model.optimizer).__name__)
    assert_same(case, "learning rate", float(twin.optimizer.learning_rate),
                float(model.optimizer.learning_rate))
    twin.set_weights(model.get_weights())
    assert_close(case, "predictions", model.predict(digits.x_test, verbose=0),
                 twin.predict(digits.x_test, verbose=0), **FLOAT32)
    ours = model.evaluate(digits.x_test, digits.y_test, verbose=0, return_dict=True)
    theirs = twin.evaluate(digits.x_test, digits.y_test, verbose=0, return_dict=True)
    assert_same(case, "evaluate keys", sorted(ours), sorted(theirs))
    for key in ours:
        assert_close(case, f"evaluate {key}", ours[key], theirs[key], **FLOAT32)
