"""The vanishing-gradient and callbacks demo models against their Keras twins, trained side by side.

The deep narrow net (an input ``Dense(10)``, ten hidden ``Dense(10)``, softmax) with each of the
four activations gets its twin through the bridge (``to_keras``: same layers, same initial
weights, same Adam); both train for a few epochs on the demo's quick data with ``shuffle=False``
and every History value and every final weight must agree within the training tolerance. The
sigmoid net's first-layer gradients are ~1e-7, so its early weights move by amounts near float32
rounding: few epochs keep the comparison meaningful.

The callbacks LAB's model is trained with the LAB's ``ReduceLROnPlateau`` and
``EarlyStopping`` on both sides: the learning-rate curve, the epoch where training stops and
the restored best weights must be the same.
"""

import numpy as np
import pytest

from demos import callbacks as lab
from demos import vanishing_gradient as vg
from demos.base import DemoConfig
from demos.common import load_dataset
from parity_tests.compare import TRAINING, assert_close, assert_same
from tf_reference import models as keras_models
from tf_reference import to_keras
from tf_reference._keras import keras

EPOCHS = 3
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DemoConfig(quick=True))


def _compare_histories(case, ours, theirs):
    assert_same(case, "History keys", sorted(ours), sorted(theirs))
    for key, values in theirs.items():
        assert_same(case, f"{key} epochs", len(ours[key]), len(values))
        for epoch, value in enumerate(values, start=1):
            assert_close(case, f"epoch {epoch} {key}", ours[key][epoch - 1], value, **TRAINING)


def _compare_weights(case, model, twin):
    for mine, other in zip(model.weights, twin.weights):
        assert_close(case, f"final {mine.path}", mine, other.numpy(), **TRAINING)


@pytest.mark.parametrize("activation", vg.ACTIVATIONS)
def test_deep_narrow_training_matches_keras(digits, activation):
    model = vg.build_deep_narrow_model(digits.pixels, digits.num_classes, activation)
    twin = to_keras(model)
    case = f"deep narrow {activation}"
    assert_same(case, "weight count", len(model.weights), len(twin.weights))
    fit = dict(epochs=EPOCHS, batch_size=32, shuffle=False, verbose=0,
               validation_data=(digits.x_test, digits.y_test))
    ours = model.fit(digits.x_train, digits.y_train, **fit).history
    theirs = twin.fit(digits.x_train, digits.y_train, **fit).history
    _compare_histories(case, ours, theirs)
    _compare_weights(case, model, twin)


@pytest.mark.parametrize("activation", vg.ACTIVATIONS)
def test_keras_builder_is_the_same_architecture(digits, activation):
    model = vg.build_deep_narrow_model(digits.pixels, digits.num_classes, activation)
    twin = keras_models.build_deep_narrow_model(digits.pixels, digits.num_classes, activation)
    case = f"tf_reference.models deep narrow {activation}"
    assert_same(case, "layer names", [layer.name for layer in model.layers],
                [layer.name for layer in twin.layers])
    assert_same(case, "weight shapes", [w.shape for w in model.weights],
                [tuple(w.shape) for w in twin.weights])
    assert_same(case, "learning rate", float(model.optimizer.learning_rate),
                float(twin.optimizer.learning_rate))
    twin.set_weights(model.get_weights())
    assert_close(case, "predictions", model.predict(digits.x_test, verbose=0),
                 twin.predict(digits.x_test, verbose=0))


def _lab_callbacks(library, min_delta):
    callbacks = library.callbacks
    return [callbacks.ReduceLROnPlateau(monitor="val_loss", factor=lab.REDUCE_FACTOR,
                                        patience=lab.REDUCE_PATIENCE, min_lr=lab.MIN_LR,
                                        min_delta=min_delta),
            callbacks.EarlyStopping(monitor="val_loss", patience=lab.STOP_PATIENCE,
                                    min_delta=min_delta, restore_best_weights=True)]


def test_lab_callbacks_steer_both_the_same_way(digits):
    import numpynet as nn

    (x_train, y_train), validation = lab.split_validation(digits)
    model = lab.build_lab_model(digits.pixels, digits.num_classes)
    twin = keras_models.build_lab_model(digits.pixels, digits.num_classes)
    twin.set_weights(model.get_weights())
    # Unshuffled, the quick data's val_loss improves slowly but steadily; min_delta=0.01 turns
    # that into a plateau within a dozen epochs, so reductions, the stop and the restore of the
    # best weights all happen (the margins to min_delta are ~1e-3, rounding ~1e-7).
    ours_callbacks, theirs_callbacks = _lab_callbacks(nn, 0.01), _lab_callbacks(keras, 0.01)
    fit = dict(epochs=40, batch_size=32, shuffle=False, verbose=0, validation_data=validation)
    ours = model.fit(x_train, y_train, callbacks=ours_callbacks, **fit).history
    theirs = twin.fit(x_train, y_train, callbacks=theirs_callbacks, **fit).history
    case = "callbacks LAB"
    _compare_histories(case, ours, theirs)
    assert np.sum(np.diff(theirs["learning_rate"]) < 0) >= 2, "the rate must be reduced"
    ours_stop, theirs_stop = ours_callbacks[1], theirs_callbacks[1]
    assert theirs_stop.stopped_epoch > 0, "the settings must make EarlyStopping stop"
    assert_same(case, "stopped_epoch", ours_stop.stopped_epoch, theirs_stop.stopped_epoch)
    assert_same(case, "best_epoch", ours_stop.best_epoch, theirs_stop.best_epoch)
    _compare_weights(case, model, twin)  # the best epoch's weights, restored at train end
