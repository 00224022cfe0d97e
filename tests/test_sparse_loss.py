"""The sparse autoencoder's loss, written out in plain NumPy, equals the model's loss (float64).

The course's lab defines the loss of a sparse autoencoder as
``mean((x - σ(relu(x·We + be)·Wd + bd))²) + β·mean(relu(x·We + be))``. numpynet adds an
``activity_regularizer``'s penalty divided by the batch size B, as Keras ≥ 3.14 does
(``keras/src/layers/layer.py``), so ``MeanActivity(beta)`` contributes ``beta·mean(code)/B``.
"""

import numpy as np
import pytest

import numpynet as nn
from demos.sparse_autoencoder import build_sparse_autoencoder

PIXELS, CODE, BATCH = 6, 4, 5


@pytest.fixture(autouse=True)
def _float64():
    nn.config.set_floatx("float64")
    nn.utils.clear_session()
    yield
    nn.config.set_floatx("float32")


@pytest.fixture
def fixture():
    """A batch of 5 images of 6 pixels and the weights of a 6 → 4 → 6 autoencoder."""
    rng = np.random.default_rng(42)
    x = rng.random((BATCH, PIXELS))
    weights = [rng.normal(0.0, 0.6, (PIXELS, CODE)), rng.normal(0.0, 0.3, CODE),
               rng.normal(0.0, 0.6, (CODE, PIXELS)), rng.normal(0.0, 0.3, PIXELS)]
    return x, weights


def _forward(x, weights, activation):
    we, be, wd, bd = weights
    pre = x @ we + be
    code = np.maximum(pre, 0.0) if activation == "relu" else 1.0 / (1.0 + np.exp(-pre))
    output = 1.0 / (1.0 + np.exp(-(code @ wd + bd)))
    return code, np.mean((x - output) ** 2)


def mean_activity_loss(x, weights, beta):
    """Reconstruction MSE + β·mean(relu code) / batch size."""
    code, mse = _forward(x, weights, "relu")
    return mse + beta * np.mean(code) / len(x)


def kl_sparsity_loss(x, weights, rho, beta, activation):
    """Reconstruction MSE + β·Σ_j KL(ρ ‖ ρ̂_j) / batch size, ρ̂ clipped to [1e-7, 1 - 1e-7]."""
    code, mse = _forward(x, weights, activation)
    rho_hat = np.clip(code.mean(axis=0), 1e-7, 1.0 - 1e-7)
    kl = rho * np.log(rho / rho_hat) + (1.0 - rho) * np.log((1.0 - rho) / (1.0 - rho_hat))
    return mse + beta * np.sum(kl) / len(x)


def _model(weights, regularizer, activation="relu"):
    model = build_sparse_autoencoder(PIXELS, CODE, regularizer, code_activation=activation)
    model.set_weights(weights)
    assert model.get_weights()[0].dtype == np.float64
    return model


def test_mean_activity_loss_equals_the_numpy_formula(fixture):
    x, weights = fixture
    model = _model(weights, nn.regularizers.MeanActivity(beta=0.5))
    expected = mean_activity_loss(x, weights, beta=0.5)
    _, reconstruction = _forward(x, weights, "relu")
    assert expected - reconstruction > 1e-3  # the penalty is a visible part of the loss
    np.testing.assert_allclose(model.test_on_batch(x, x), expected, rtol=1e-12)
    np.testing.assert_allclose(model.evaluate(x, x, batch_size=BATCH, verbose=0), expected,
                               rtol=1e-12)


def test_course_beta_is_beta_times_batch_size(fixture):
    """The course's undivided β·mean(code) is MeanActivity(β·B) under Keras ≥ 3.14."""
    x, weights = fixture
    code, mse = _forward(x, weights, "relu")
    course_loss = mse + 0.05 * np.mean(code)
    model = _model(weights, nn.regularizers.MeanActivity(beta=0.05 * BATCH))
    np.testing.assert_allclose(model.test_on_batch(x, x), course_loss, rtol=1e-12)


def test_evaluate_divides_each_batch_penalty_by_that_batch_size(fixture):
    x, weights = fixture
    model = _model(weights, nn.regularizers.MeanActivity(beta=0.5))
    # batches of 2, 2 and 1 images; the epoch loss is their mean weighted by batch size
    batches = [x[0:2], x[2:4], x[4:5]]
    expected = sum(len(b) * mean_activity_loss(b, weights, 0.5) for b in batches) / BATCH
    np.testing.assert_allclose(model.evaluate(x, x, batch_size=2, verbose=0), expected,
                               rtol=1e-12)
    assert abs(expected - mean_activity_loss(x, weights, 0.5)) > 1e-4  # B matters


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_kl_sparsity_loss_equals_the_numpy_formula(fixture, activation):
    x, weights = fixture
    model = _model(weights, nn.regularizers.KLSparsity(rho=0.05, beta=2.0), activation)
    expected = kl_sparsity_loss(x, weights, rho=0.05, beta=2.0, activation=activation)
    _, reconstruction = _forward(x, weights, activation)
    assert expected - reconstruction > 1e-2
    np.testing.assert_allclose(model.test_on_batch(x, x), expected, rtol=1e-12)
    np.testing.assert_allclose(model.evaluate(x, x, batch_size=BATCH, verbose=0), expected,
                               rtol=1e-12)


# Keras casts the L1/L2 factor to the input's dtype through float32 (TensorFlow backend), so in
# float64 the factor 0.01 is float(np.float32(0.01)); numpynet matches that.
FACTOR = float(np.float32(0.01))


@pytest.mark.parametrize("regularizer, penalty", [
    (nn.regularizers.L1(0.01), lambda code: FACTOR * np.sum(np.abs(code))),
    (nn.regularizers.L2(0.01), lambda code: FACTOR * np.sum(code ** 2)),
])
def test_l1_and_l2_activity_losses_equal_the_numpy_formula(fixture, regularizer, penalty):
    x, weights = fixture
    code, mse = _forward(x, weights, "relu")
    model = _model(weights, regularizer)
    np.testing.assert_allclose(model.test_on_batch(x, x), mse + penalty(code) / BATCH,
                               rtol=1e-12)


def test_train_on_batch_reports_the_loss_before_its_update(fixture):
    x, weights = fixture
    model = _model(weights, nn.regularizers.MeanActivity(beta=0.5))
    np.testing.assert_allclose(model.train_on_batch(x, x), mean_activity_loss(x, weights, 0.5),
                               rtol=1e-12)
    assert model.test_on_batch(x, x) < mean_activity_loss(x, weights, 0.5)  # Adam stepped
