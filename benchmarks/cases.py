"""The benchmarked models, built the same way in numpynet and in Keras, and their data.

numpynet speaks Keras, so each builder takes the library (``numpynet`` or ``keras``) as an
argument and builds the same model with either: same layers, names, activations, optimizer,
loss and metrics. Keras is imported here only when asked for (:func:`load_keras`), on the
TensorFlow backend with TensorFlow's defaults (oneDNN on; XLA off, as Keras chooses on a
CPU-only machine), i.e. the Keras a user gets.
"""

import dataclasses
import os

import numpy as np

PIXELS = 784  # a flattened 28x28 image, as in the course
CLASSES = 10


def load_keras():
    """Imports Keras 3 on the TensorFlow backend quietly and returns the ``keras`` module."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(f"benchmarks: Keras must run on the TensorFlow backend, but "
                           f"KERAS_BACKEND selects {keras.backend.backend()!r}.")
    return keras


# ---------------------------------------------------------------------------- builders
def build_autoencoder(lib, sizes=(256, 64, 256)):
    """The dense autoencoder 784-256-64-256-784: ReLU inside, sigmoid output, Adam, MSE."""
    image = lib.Input((PIXELS,), name="image")
    x = image
    for i, units in enumerate(sizes):
        x = lib.layers.Dense(units, activation="relu",
                             name="encoder" if i == len(sizes) // 2 else f"hidden_{i}")(x)
    outputs = lib.layers.Dense(PIXELS, activation="sigmoid", name="decoder")(x)
    model = lib.Model(image, outputs, name="autoencoder")
    model.compile(optimizer=lib.optimizers.Adam(), loss="mse")
    return model


def build_deep_narrow(lib, hidden_layers=10, width=10, activation="sigmoid"):
    """The vanishing-gradient unit's net: Dense(10) on the input, 10 more hidden Dense(10)
    (sigmoid), then Dense(10, softmax); Adam, sparse categorical cross-entropy, accuracy."""
    layers = [lib.Input((PIXELS,), name="image")]
    layers += [lib.layers.Dense(width, activation=activation, name=f"layer_{i:02d}")
               for i in range(hidden_layers + 1)]
    layers.append(lib.layers.Dense(CLASSES, activation="softmax", name="output"))
    model = lib.Sequential(layers, name="deep_narrow")
    model.compile(optimizer=lib.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def build_pairwise(lib, units=100):
    """The pair-wise unit's two-input model: each image through its own Dense(100, relu),
    concatenated, Dense(100, relu), Dense(1, sigmoid); Adam, binary cross-entropy, accuracy."""
    inputs = [lib.Input((PIXELS,), name=f"input_img{i}") for i in (0, 1)]
    branches = [lib.layers.Dense(units, activation="relu", name=f"branch{i}")(x)
                for i, x in enumerate(inputs)]
    merged = lib.layers.Concatenate(name="merge")(branches)
    hidden = lib.layers.Dense(units, activation="relu", name="head")(merged)
    outputs = lib.layers.Dense(1, activation="sigmoid", name="same")(hidden)
    model = lib.Model(inputs, outputs, name="pairwise")
    model.compile(optimizer=lib.optimizers.Adam(), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


# ---------------------------------------------------------------------------- data
# Pixels uniform in [0, 1), drawn directly in the float type (no float64 copy to cast from).
def autoencoder_data(rng, samples, dtype):
    images = rng.random((samples, PIXELS), dtype=dtype)
    return images, images  # the target is the input


def classifier_data(rng, samples, dtype):
    return rng.random((samples, PIXELS), dtype=dtype), rng.integers(0, CLASSES, samples)


def pair_data(rng, samples, dtype):
    images = [rng.random((samples, PIXELS), dtype=dtype) for _ in (0, 1)]
    return images, rng.integers(0, 2, (samples, 1)).astype(dtype)


@dataclasses.dataclass(frozen=True)
class Case:
    """One benchmarked model at one batch size.

    Attributes:
        key: short identifier (``"autoencoder"``).
        title: the row label of the tables.
        batch_size: samples per training step.
        build: ``build(lib) -> compiled model`` for ``lib`` numpynet or keras.
        make_data: ``make_data(rng, samples, dtype) -> (x, y)``.
        fit_batches: batches in the dataset that ``fit`` and ``predict`` go through.
        step_calls: training steps per timed block of ``train_on_batch``.
        dense_layers: ``(n_in, n_out, input_grad)`` of each Dense layer, for the GEMM count
            (``input_grad`` is False for a layer fed by the data).
    """

    key: str
    title: str
    batch_size: int
    build: object
    make_data: object
    fit_batches: int
    step_calls: int
    dense_layers: tuple

    def data(self, batches, dtype="float32", seed=0):
        """``batches`` batches of random data (fixed seed)."""
        return self.make_data(np.random.default_rng(seed), batches * self.batch_size, dtype)

    def scaled(self, factor):
        """The case with ``factor`` times fewer batches and steps (at least 2 of each)."""
        return dataclasses.replace(self, fit_batches=max(2, self.fit_batches // factor),
                                   step_calls=max(2, self.step_calls // factor))


_AUTOENCODER_LAYERS = ((PIXELS, 256, False), (256, 64, True), (64, 256, True), (256, PIXELS, True))
_DEEP_NARROW_LAYERS = ((PIXELS, 10, False),) + ((10, 10, True),) * 11
_PAIRWISE_LAYERS = ((PIXELS, 100, False), (PIXELS, 100, False), (200, 100, True), (100, 1, True))

CASES = (
    Case("autoencoder", "Autoencoder 784-256-64-256-784, batch 256", 256, build_autoencoder,
         autoencoder_data, fit_batches=16, step_calls=10, dense_layers=_AUTOENCODER_LAYERS),
    Case("deep_narrow", "Deep narrow net (12 Dense(10), sigmoid), batch 32", 32,
         build_deep_narrow, classifier_data, fit_batches=64, step_calls=50,
         dense_layers=_DEEP_NARROW_LAYERS),
    Case("pairwise_16", "Pair-wise two-input model, batch 16", 16, build_pairwise, pair_data,
         fit_batches=64, step_calls=50, dense_layers=_PAIRWISE_LAYERS),
    Case("pairwise_256", "Pair-wise two-input model, batch 256", 256, build_pairwise,
         pair_data, fit_batches=16, step_calls=20, dense_layers=_PAIRWISE_LAYERS),
)


def copy_weights(source, target):
    """Gives ``target`` the weights of ``source`` (numpynet and Keras share the order)."""
    target.set_weights([np.asarray(w) for w in source.get_weights()])
