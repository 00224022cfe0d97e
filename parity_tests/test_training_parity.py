"""Whole training runs: numpynet's ``fit`` against Keras' ``fit`` on the bridged twin.

Each model is built in numpynet, compiled, and bridged with ``to_keras`` (same weights, same
compile settings). Both then train for a few epochs with ``shuffle=False`` (no random stream
to match), a validation set and a batch size that leaves a partial last batch. Every History
value of every epoch, the final weights (moving statistics included), ``evaluate`` and
``predict`` must agree within the TRAINING tolerance (relative 1e-4 in float32).
"""

import numpy as np
import pytest

import numpynet as nn
from parity_tests.compare import TRAINING, assert_close, assert_same
from tf_reference import keras_compile_args, to_keras

L = nn.layers
pytestmark = pytest.mark.slow


def _digits(n=150):
    """The first ``n`` scikit-learn 8x8 digits scaled to [0, 1] (offline, real handwriting)."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    return (digits.data[:n] / 16.0).astype("float32"), digits.target[:n]


def keras_paths(model):
    """numpynet's weight paths as Keras 3.15 writes them.

    Keras builds a Sequential's layers inside the model's name scope, so its paths carry the
    model name (``sequential/dense/kernel``); numpynet's do not (reported; see the bridge tests).
    """
    prefix = f"{model.name}/" if isinstance(model, nn.Sequential) else ""
    return [prefix + w.path for w in model.weights]


def train_both(case, model, x, y, epochs=4, run_eagerly=False, **fit_kwargs):
    """Bridges ``model``, trains both twins identically and compares everything; returns them."""
    twin = to_keras(model)
    if run_eagerly:
        twin.compile(**keras_compile_args(model), run_eagerly=True)
    fit_kwargs = {"batch_size": 16, "shuffle": False, "verbose": 0, **fit_kwargs}
    ours = model.fit(x, y, epochs=epochs, **fit_kwargs).history
    theirs = twin.fit(x, y, epochs=epochs, **fit_kwargs).history
    assert_same(case, "History keys", sorted(ours), sorted(theirs))
    for key in theirs:
        assert_same(case, f"{key} epochs", len(ours[key]), len(theirs[key]))
        for epoch, (a, b) in enumerate(zip(ours[key], theirs[key])):
            assert_close(case, f"epoch {epoch} {key}", a, b, **TRAINING)
    assert_same(case, "weight paths", keras_paths(model), [w.path for w in twin.weights])
    for mine, other in zip(model.weights, twin.weights):
        assert_close(case, f"final {mine.path}", mine.data, other.numpy(), **TRAINING)
    return model, twin


def compare_after_training(case, model, twin, x, y):
    """``evaluate`` (every logged value, same keys) and ``predict`` after training."""
    ours = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    theirs = twin.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    assert_same(case, "evaluate keys", sorted(ours), sorted(theirs))
    for key in theirs:
        assert_close(case, f"evaluate {key}", ours[key], theirs[key], **TRAINING)
    ours_pred = model.predict(x, batch_size=32, verbose=0)
    theirs_pred = twin.predict(x, batch_size=32, verbose=0)
    ours_pred = ours_pred if isinstance(ours_pred, list) else [ours_pred]
    theirs_pred = theirs_pred if isinstance(theirs_pred, list) else [theirs_pred]
    assert_same(case, "predict outputs", len(ours_pred), len(theirs_pred))
    for i, (a, b) in enumerate(zip(ours_pred, theirs_pred)):
        assert_close(case, f"predict output {i}", a, b, **TRAINING)


def test_sequential_classifier(rng):
    """Softmax + sparse categorical cross-entropy + accuracy, Adam, validation_split."""
    case = "training sequential classifier"
    x, y = _digits(150)
    model = nn.Sequential([nn.Input((64,)), L.Dense(24, activation="relu"),
                           L.Dense(10, activation="softmax")], name="classifier")
    model.compile(optimizer=nn.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model, twin = train_both(case, model, x, y, validation_split=0.2)
    compare_after_training(case, model, twin, x, y)


def test_dense_autoencoder(rng):
    """The course's autoencoder: ReLU code, sigmoid output, MSE, Adam, validation_data."""
    case = "training autoencoder"
    x, _ = _digits(140)
    inputs = nn.Input((64,))
    code = L.Dense(12, activation="relu", name="encoder")(inputs)
    outputs = L.Dense(64, activation="sigmoid", name="decoder")(code)
    model = nn.Model(inputs, outputs, name="autoencoder")
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model, twin = train_both(case, model, x[:100], x[:100], epochs=5,
                             validation_data=(x[100:], x[100:]), batch_size=24)
    compare_after_training(case, model, twin, x, x)
    encoder = nn.Model(model.inputs, model.get_layer("encoder").output)
    from tf_reference._keras import keras
    keras_encoder = keras.Model(twin.inputs, twin.get_layer("encoder").output)
    assert_close(case, "latent code of new inputs", encoder.predict(x[100:], verbose=0),
                 keras_encoder.predict(x[100:], verbose=0), **TRAINING)


@pytest.mark.parametrize("regularizer", ["mean_activity", "kl_sparsity"])
def test_sparse_autoencoder(regularizer, rng):
    """Activity penalties on the code (numpynet extras with Keras twins in keras_extras)."""
    case = f"training sparse autoencoder {regularizer}"
    x, _ = _digits(120)
    penalty = (nn.regularizers.MeanActivity(0.5) if regularizer == "mean_activity"
               else nn.regularizers.KLSparsity(rho=0.1, beta=0.3))
    activation = "relu" if regularizer == "mean_activity" else "sigmoid"
    model = nn.Sequential([nn.Input((64,)),
                           L.Dense(10, activation=activation, activity_regularizer=penalty,
                                   name="encoder"),
                           L.Dense(64, activation="sigmoid", name="decoder")])
    model.compile(optimizer=nn.optimizers.Adam(learning_rate=0.005), loss="mse")
    model, twin = train_both(case, model, x, x, epochs=3, validation_split=0.25, batch_size=20)
    compare_after_training(case, model, twin, x, x)


def test_two_input_shared_dense(rng):
    """Siamese branches: one shared Dense on two inputs, Concatenate, sigmoid + BCE."""
    case = "training two-input shared dense"
    x, labels = _digits(130)
    left, right = x, x[::-1].copy()
    y = (labels == labels[::-1]).astype("float32")[:, None]
    y[::3] = 1.0 - y[::3]  # both classes present
    a, b = nn.Input((64,), name="left"), nn.Input((64,), name="right")
    shared = L.Dense(8, activation="tanh", name="shared")
    merged = L.Concatenate()([shared(a), shared(b)])
    outputs = L.Dense(1, activation="sigmoid", name="same")(merged)
    model = nn.Model([a, b], outputs, name="siamese")
    model.compile(optimizer=nn.optimizers.RMSprop(learning_rate=0.01),
                  loss="binary_crossentropy", metrics=["accuracy"])
    model, twin = train_both(case, model, [left, right], y, validation_split=0.2)
    compare_after_training(case, model, twin, [left, right], y)


def test_batch_normalization_model(rng):
    """BatchNormalization (moving statistics included) and a rate-0 Dropout, one-hot labels."""
    case = "training batchnorm model"
    x, labels = _digits(120)
    y = np.eye(10, dtype="float32")[labels]
    model = nn.Sequential([nn.Input((64,)), L.Dense(16), L.BatchNormalization(),
                           L.Activation("relu"), L.Dropout(0.0),
                           L.Dense(10, activation="softmax")], name="bn_model")
    model.compile(optimizer=nn.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    model, twin = train_both(case, model, x, y, validation_split=0.2)
    compare_after_training(case, model, twin, x, y)


def test_regularized_regression(rng):
    """kernel_regularizer, bias_regularizer and activity_regularizer added to the loss."""
    case = "training regularized regression"
    x = rng.normal(size=(90, 6)).astype("float32")
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2] * x[:, 2:3]).astype("float32")
    model = nn.Sequential([
        nn.Input((6,)),
        L.Dense(12, activation="tanh", kernel_regularizer=nn.regularizers.L2(0.01),
                bias_regularizer=nn.regularizers.L1(0.01),
                activity_regularizer=nn.regularizers.L1(0.002)),
        L.Dense(1, kernel_regularizer=nn.regularizers.L1L2(l1=0.001, l2=0.01))])
    model.compile(optimizer=nn.optimizers.SGD(learning_rate=0.05), loss="mse",
                  metrics=["mae", "mse"])
    x_val, y_val = x[70:], y[70:]
    model, twin = train_both(case, model, x[:70], y[:70], epochs=5,
                             validation_data=(x_val, y_val), batch_size=32)
    compare_after_training(case, model, twin, x, y)


def test_two_output_model(rng):
    """Two outputs with a loss each, loss_weights and per-output metrics: per-output log keys."""
    case = "training two-output model"
    x, labels = _digits(110)
    inputs = nn.Input((64,), name="pixels")
    hidden = L.Dense(16, activation="relu", name="hidden")(inputs)
    digit = L.Dense(10, activation="softmax", name="digit")(hidden)
    even = L.Dense(1, activation="sigmoid", name="even")(hidden)
    model = nn.Model(inputs, [digit, even], name="two_heads")
    model.compile(optimizer=nn.optimizers.Adam(learning_rate=0.01),
                  loss={"digit": "sparse_categorical_crossentropy",
                        "even": "binary_crossentropy"},
                  loss_weights={"digit": 1.0, "even": 0.5},
                  metrics={"digit": ["accuracy"], "even": ["accuracy"]})
    y = [labels, (labels % 2 == 0).astype("float32")[:, None]]
    # Keras logs each output's loss as a mean weighted by `y_pred.shape[0]`, the *static* batch
    # size: inside its compiled train function the partial last batch is traced with an unknown
    # size, so that batch gets weight 1 instead of 14. numpynet weights every batch by its size,
    # which is what Keras computes eagerly (and what keras-team/keras#19363 intended).
    model, twin = train_both(case, model, x, y, epochs=3, validation_split=0.2,
                             run_eagerly=True)
    compare_after_training(case, model, twin, x, y)


def test_dict_output_model(rng):
    """Outputs given as a dict whose keys are not the layer names: Keras keys y, the losses,
    the metrics and the logs by the dict's keys, and predict returns a dict."""
    case = "training dict-output model"
    x, labels = _digits(96)
    inputs = nn.Input((64,), name="pixels")
    hidden = L.Dense(16, activation="relu", name="hidden")(inputs)
    outputs = {"digit": L.Dense(10, activation="softmax", name="digit_head")(hidden),
               "even": L.Dense(1, activation="sigmoid", name="even_head")(hidden)}
    model = nn.Model(inputs, outputs, name="dict_heads")
    model.compile(optimizer=nn.optimizers.Adam(learning_rate=0.01),
                  loss={"digit": "sparse_categorical_crossentropy",
                        "even": "binary_crossentropy"},
                  metrics={"even": ["accuracy"]})
    y = {"even": (labels % 2 == 0).astype("float32")[:, None], "digit": labels}
    model, twin = train_both(case, model, x, y, epochs=3, batch_size=32)
    ours, theirs = model.predict(x, verbose=0), twin.predict(x, verbose=0)
    assert_same(case, "predict keys", list(ours), list(theirs))
    for key in theirs:
        assert_close(case, f"predict {key}", ours[key], theirs[key], **TRAINING)
