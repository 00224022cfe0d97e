"""The autoencoder demo models against their Keras twins, trained side by side.

Every variant (plain, deep, denoising on noisy arrays, sparse with L1, L2, MeanActivity and
KLSparsity on the code) is built by its demo builder, bridged with ``to_keras`` (same layers,
same initial weights, same compile settings; numpynet's MeanActivity and KLSparsity become the
Keras twins in ``tf_reference.keras_extras``) and trained for a few epochs on the demo's quick
data with ``shuffle=False``: every History value and every final weight must agree within the
training tolerance. The GaussianNoise model cannot match a random stream, so its noise is
checked by its statistics on both sides and its inference (noise off) by exact outputs and
losses. The hand-written builders in ``tf_reference.models`` are checked to be the same models.
"""

import numpy as np
import pytest

import numpynet as nn
from demos import autoencoder, denoising, sparse_autoencoder
from demos.base import DemoConfig
from demos.common import load_dataset
from parity_tests.compare import FLOAT32, TRAINING, assert_close, assert_same
from tf_reference import models as keras_models
from tf_reference import to_keras

EPOCHS = 3
CODE = 16
pytestmark = pytest.mark.slow

R = nn.regularizers
VARIANTS = {  # label: (builder arguments, Keras builder arguments, noisy inputs[, targets])
    "plain": ({}, {}, False),
    "deep": ({"hidden": (40, 24)}, {"hidden": (40, 24)}, False),
    "denoising, noisy arrays": ({}, {}, True),
    "denoising, noisy arrays to noisy targets": ({}, {}, True, "noisy"),
    "sparse L1": ({"activity_regularizer": R.L1(3e-3)}, None, False),
    "sparse L2": ({"activity_regularizer": R.L2(1e-3)}, None, False),
    "sparse MeanActivity": ({"activity_regularizer": R.MeanActivity(3.2)}, None, False),
    "sparse KLSparsity relu": ({"activity_regularizer": R.KLSparsity(0.05, 1.0)}, None, False),
    "sparse KLSparsity sigmoid": ({"activity_regularizer": R.KLSparsity(0.05, 1.0),
                                   "code_activation": "sigmoid"}, None, False),
}


@pytest.fixture(scope="module")
def digits():
    data = load_dataset(DemoConfig(quick=True))
    nn.set_random_seed(7)
    noisy = denoising.add_noise(data.x_train[:320])
    return data.x_train[:320], noisy, (data.x_test[:96], data.x_test[:96])


@pytest.mark.parametrize("label", list(VARIANTS))
def test_training_matches_keras(digits, label):
    clean, noisy, validation = digits
    arguments, _, noisy_inputs, *targets = VARIANTS[label]
    model = autoencoder.build_autoencoder(clean.shape[1], CODE, **arguments)
    twin = to_keras(model)
    assert_same(label, "weight count", len(model.weights), len(twin.weights))
    x = noisy if noisy_inputs else clean
    y = noisy if targets == ["noisy"] else clean
    fit = dict(epochs=EPOCHS, batch_size=32, shuffle=False, validation_data=validation,
               verbose=0)
    ours = model.fit(x, y, **fit).history
    theirs = twin.fit(x, y, **fit).history
    case = f"autoencoder {label}"
    assert_same(case, "History keys", sorted(ours), sorted(theirs))
    for key, values in theirs.items():
        for epoch, value in enumerate(values, start=1):
            assert_close(case, f"epoch {epoch} {key}", ours[key][epoch - 1], value, **TRAINING)
    assert ours["loss"][-1] < ours["loss"][0]  # the comparison is of a model that learns
    for mine, other in zip(model.weights, twin.weights):
        assert_close(case, f"final {mine.path}", mine, other.numpy(), **TRAINING)


def test_sparse_penalty_is_in_both_losses_the_same_way(digits):
    """Loss of the MeanActivity model before training: identical, and above the plain MSE."""
    clean, _, _ = digits
    model = sparse_autoencoder.build_sparse_autoencoder(clean.shape[1], CODE,
                                                        R.MeanActivity(3.2))
    twin = to_keras(model)
    ours = model.evaluate(clean, clean, batch_size=32, verbose=0)
    theirs = twin.evaluate(clean, clean, batch_size=32, verbose=0)
    assert_close("sparse MeanActivity", "initial loss", ours, theirs, **FLOAT32)
    mse = float(np.mean((model.predict(clean, verbose=0) - clean) ** 2))
    assert ours > mse + 1e-3


def test_gaussian_noise_statistics_and_inference_match_keras(digits):
    clean, _, validation = digits
    model = denoising.build_denoising_autoencoder(clean.shape[1], CODE, stddev=0.4)
    twin = to_keras(model)
    case = "denoising GaussianNoise"
    assert_same(case, "stddev", twin.get_layer("noise").stddev, 0.4)
    x = np.full((2000, clean.shape[1]), 0.5, np.float32)
    ours = model.get_layer("noise")(x, training=True).data - x
    theirs = np.asarray(twin.get_layer("noise")(x, training=True)) - x
    # 128000 draws each: the sample std is within ~0.002 of 0.4, the mean within ~0.003 of 0
    assert_close(case, "noise std (training)", np.std(ours), np.std(theirs), rtol=0.02)
    assert_close(case, "noise std vs stddev", np.std(ours), 0.4, rtol=0.02)
    assert_close(case, "noise mean (training)", np.mean(ours), np.mean(theirs), atol=0.01,
                 rtol=0.0)
    assert_same(case, "no noise at inference", bool(np.all(
        model.get_layer("noise")(x, training=False).data == x)), True)
    assert_close(case, "predictions (noise off)", model.predict(validation[0], verbose=0),
                 twin.predict(validation[0], verbose=0), **FLOAT32)
    assert_close(case, "evaluate (noise off)", model.evaluate(*validation, verbose=0),
                 twin.evaluate(*validation, verbose=0), **FLOAT32)


BUILDERS = {
    "autoencoder": (lambda p: autoencoder.build_autoencoder(p, CODE, hidden=(24,)),
                    lambda p: keras_models.build_autoencoder(p, CODE, hidden=(24,))),
    "denoising": (lambda p: denoising.build_denoising_autoencoder(p, CODE),
                  lambda p: keras_models.build_denoising_autoencoder(p, CODE)),
    "sparse": (lambda p: sparse_autoencoder.build_sparse_autoencoder(p, CODE,
                                                                     R.MeanActivity(3.2)),
               lambda p: keras_models.build_sparse_autoencoder(p, CODE, R.MeanActivity(3.2))),
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_keras_builders_are_the_same_models(digits, name):
    clean, _, _ = digits
    ours_builder, keras_builder = BUILDERS[name]
    model, twin = ours_builder(clean.shape[1]), keras_builder(clean.shape[1])
    case = f"tf_reference.models {name}"
    assert_same(case, "layer names", [layer.name for layer in model.layers],
                [layer.name for layer in twin.layers])
    assert_same(case, "weight shapes", [w.shape for w in model.weights],
                [tuple(w.shape) for w in twin.weights])
    twin.set_weights(model.get_weights())
    assert_close(case, "predictions", model.predict(clean[:64], verbose=0),
                 twin.predict(clean[:64], verbose=0), **FLOAT32)
    assert_close(case, "loss", model.evaluate(clean, clean, verbose=0),
                 twin.evaluate(clean, clean, verbose=0), **FLOAT32)


def test_keras_encoder_submodel_gives_the_same_codes(digits):
    clean, _, _ = digits
    model = autoencoder.build_autoencoder(clean.shape[1], CODE)
    twin = to_keras(model)
    assert_close("encoder sub-model", "codes",
                 autoencoder.encoder_model(model).predict(clean, verbose=0),
                 keras_models.encoder_model(twin).predict(clean, verbose=0), **FLOAT32)


@pytest.mark.parametrize("hidden", [(), (40, 24)], ids=["shallow", "deep"])
def test_keras_decoder_model_maps_codes_to_the_same_images(digits, hidden):
    clean, _, _ = digits
    model = autoencoder.build_autoencoder(clean.shape[1], CODE, hidden=hidden)
    twin = to_keras(model)
    codes = autoencoder.encoder_model(model).predict(clean[:64], verbose=0)
    ours, theirs = autoencoder.decoder_model(model), keras_models.decoder_model(twin)
    assert_same("decoder model", "layer names", [layer.name for layer in ours.layers],
                [layer.name for layer in theirs.layers])
    assert_close("decoder model", f"images from codes ({len(hidden)} hidden)",
                 ours.predict(codes, verbose=0), theirs.predict(codes, verbose=0), **FLOAT32)
