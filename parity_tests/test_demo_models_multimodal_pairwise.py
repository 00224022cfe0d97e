"""The multimodal and pair-wise demo models against their Keras twins, trained side by side.

Each numpynet demo model gets its twin through the bridge (``to_keras``: same layers, shared
layers included, same initial weights, same compile settings); both train for a few epochs on
the demo's quick data with ``shuffle=False`` and the same validation split, and every History
value and every final weight must agree within the training tolerance. The hand-written Keras
builders in ``tf_reference.models`` are checked to be the same architecture: with the numpynet
weights copied in, they compute the same outputs.
"""

import numpy as np
import pytest

import numpynet as nn
from demos import multimodal, pairwise
from demos.base import DemoConfig
from demos.common import load_dataset
from parity_tests.compare import TRAINING, assert_close, assert_same
from tf_reference import models as keras_models
from tf_reference import to_keras

EPOCHS = 3
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DemoConfig(quick=True))


def _multimodal_case(label, data):
    side = multimodal.side_information(data.y_train)
    inject = multimodal.MODELS[label]
    model = (multimodal.build_image_model(data.pixels, data.num_classes) if inject is None else
             multimodal.build_multimodal_model(data.pixels, side.shape[1], data.num_classes,
                                               inject))
    return model, multimodal.model_inputs(label, data.x_train, side), data.y_train


def _pairwise_case(label, data):
    x0, x1, same, _, _ = pairwise.pair_data(data.x_train, data.y_train, 20, seed=0)
    kind = pairwise.MODELS[label]
    model = (pairwise.build_separate_pair_model(data.pixels) if kind == "separate" else
             pairwise.build_siamese_pair_model(data.pixels, merge=kind))
    return model, [x0, x1], same


CASES = [(multimodal, label) for label in multimodal.MODELS] + \
        [(pairwise, label) for label in pairwise.MODELS]


def _case(module, label, data):
    return (_multimodal_case if module is multimodal else _pairwise_case)(label, data)


@pytest.mark.parametrize("module, label", CASES, ids=[label for _, label in CASES])
def test_training_matches_keras(digits, module, label):
    model, x, y = _case(module, label, digits)
    twin = to_keras(model)
    assert_same(label, "weight count", len(model.weights), len(twin.weights))
    fit = dict(epochs=EPOCHS, batch_size=32, shuffle=False, validation_split=0.2, verbose=0)
    ours = model.fit(x, y, **fit).history
    theirs = twin.fit(x, y, **fit).history
    case = f"{module.__name__.split('.')[-1]} {label}"
    assert_same(case, "History keys", sorted(ours), sorted(theirs))
    for key, values in theirs.items():
        for epoch, value in enumerate(values, start=1):
            assert_close(case, f"epoch {epoch} {key}", ours[key][epoch - 1], value, **TRAINING)
    for mine, other in zip(model.weights, twin.weights):
        assert_close(case, f"final {mine.path}", mine, other.numpy(), **TRAINING)


def _keras_builder_twin(module, label, data):
    if module is multimodal:
        inject = multimodal.MODELS[label]
        return (keras_models.build_image_model(data.pixels, data.num_classes) if inject is None
                else keras_models.build_multimodal_model(data.pixels, 2, data.num_classes,
                                                         inject))
    kind = pairwise.MODELS[label]
    return (keras_models.build_separate_pair_model(data.pixels) if kind == "separate" else
            keras_models.build_siamese_pair_model(data.pixels, merge=kind))


@pytest.mark.parametrize("module, label", CASES, ids=[label for _, label in CASES])
def test_keras_builders_are_the_same_architecture(digits, module, label):
    model, x, _ = _case(module, label, digits)
    twin = _keras_builder_twin(module, label, digits)
    case = f"tf_reference.models {label}"
    assert_same(case, "layer names", [layer.name for layer in model.layers],
                [layer.name for layer in twin.layers])
    assert_same(case, "weight shapes", [w.shape for w in model.weights],
                [tuple(w.shape) for w in twin.weights])
    twin.set_weights(model.get_weights())
    batch = [part[:40] for part in x] if isinstance(x, list) else x[:40]
    assert_close(case, "predictions", model.predict(batch, verbose=0),
                 twin.predict(batch, verbose=0))


def test_siamese_twin_shares_its_encoder(digits):
    model, _, _ = _pairwise_case("siamese |difference|", digits)
    twin = to_keras(model)
    encoder = twin.get_layer("encoder_dense_1")
    assert_same("siamese twin", "encoder calls", len(encoder._inbound_nodes), 2)
    assert_same("siamese twin", "abs Lambda function", twin.get_layer("abs_difference").function
                .__name__, "abs")
    np.testing.assert_array_equal(encoder.kernel.numpy(),
                                  model.get_layer("encoder_dense_1").kernel.data)
    assert isinstance(model.get_layer("abs_difference"), nn.layers.Lambda)
