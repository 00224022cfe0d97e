"""Autoencoders: a dense autoencoder, its latent code, and what its weights have learned.

An autoencoder learns to copy its input through a narrow code: Input(n) → Dense(code, relu,
name="encoder") → Dense(n, sigmoid, name="decoder"), trained with Adam on the mean squared error
between each image and its reconstruction. The sub-model Model(model.inputs,
model.get_layer("encoder").output) gives the code of new images, and a decoder model maps codes
back to images. The encoder kernel's columns and the decoder kernel's rows are images
themselves: noise before training, pen strokes and blobs after it. The heatmap shows the code of
each test image, sorted by class; the histogram shows how the activations spread. A last
table trains a 4× smaller code and a deep autoencoder (one more hidden layer on each side).
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import numpynet as nn  # noqa: E402
from demos.base import DemoResult, Table  # noqa: E402
from demos.common import curves_figure, load_dataset, save_figure  # noqa: E402

TITLE = "Autoencoders: latent codes and interpretable weights"

# |activation| below this counts as "near zero" in every sparsity number of the three demos.
NEAR_ZERO = 1e-3
FULL_TRAIN = 10000  # training images kept from the 60000 of MNIST/Fashion-MNIST


def train_epochs(config, data):
    """60 epochs on the 1347 digits; 20 on 28×28 data (more steps per epoch); 6 in quick mode."""
    return config.epochs(60 if data.pixels < 784 else 20, 6)


# ---------------------------------------------------------------------------- models
def build_autoencoder(pixels, code_size=32, hidden=(), code_activation="relu",
                      noise_stddev=None, activity_regularizer=None, learning_rate=0.001,
                      name="autoencoder"):
    """The course autoencoder, compiled with Adam and the mean squared error.

    ``Input(pixels) → [GaussianNoise] → Dense(h, relu) for h in hidden → Dense(code_size,
    name="encoder") → Dense(h, relu) for h in reversed(hidden) → Dense(pixels, sigmoid,
    name="decoder")``. With ``hidden=()`` it is the course's shallow autoencoder.

    Args:
        pixels: input (and output) size.
        code_size: units of the code layer ``"encoder"``.
        hidden: sizes of the extra encoder layers (mirrored in the decoder): a deep autoencoder.
        code_activation: activation of the code layer.
        noise_stddev: adds ``GaussianNoise(noise_stddev, name="noise")`` after the input
            (a denoising autoencoder: noisy inputs in training only).
        activity_regularizer: penalty on the code (sparse autoencoders).
        learning_rate: Adam's learning rate.
        name: model name.

    Returns:
        A compiled ``nn.Model``.
    """
    inputs = nn.layers.Input((pixels,), name="image")
    x = inputs
    if noise_stddev is not None:
        x = nn.layers.GaussianNoise(noise_stddev, name="noise")(x)
    for i, units in enumerate(hidden, start=1):
        x = nn.layers.Dense(units, activation="relu", name=f"encoder_hidden_{i}")(x)
    x = nn.layers.Dense(code_size, activation=code_activation, name="encoder",
                        activity_regularizer=activity_regularizer)(x)
    for i, units in enumerate(reversed(hidden), start=1):
        x = nn.layers.Dense(units, activation="relu", name=f"decoder_hidden_{i}")(x)
    outputs = nn.layers.Dense(pixels, activation="sigmoid", name="decoder")(x)
    model = nn.Model(inputs, outputs, name=name)
    model.compile(optimizer=nn.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return model


def encoder_model(model):
    """The sub-model from the autoencoder's input to its code (the ``"encoder"`` layer)."""
    return nn.Model(model.inputs, model.get_layer("encoder").output, name="encoder_model")


def decoder_model(model):
    """A model from codes to images made of the autoencoder's trained decoder layers.

    ``Input(code_size) → every layer after "encoder"``: the layers are shared, not copied, so
    the decoder model uses (and would train) the autoencoder's own weights.
    """
    layers = model.layers
    start = [layer.name for layer in layers].index("encoder") + 1
    code = nn.layers.Input((model.get_layer("encoder").units,), name="code")
    x = code
    for layer in layers[start:]:
        x = layer(x)
    return nn.Model(code, x, name="decoder_model")


def default_code_size(pixels):
    """50 units for 28×28 images (the course's choice), 32 for the 8×8 digits."""
    return 50 if pixels >= 784 else 32


# ---------------------------------------------------------------------------- code statistics
def sparsity_stats(codes, threshold=NEAR_ZERO):
    """Summary numbers of a batch of codes ``(images, units)``.

    Returns:
        ``{"mean code activation", "near-zero share", "dead units"}``: the mean activation, the
        share of activations with ``|a| < threshold``, and the share of units near zero for
        every image.
    """
    near_zero = np.abs(codes) < threshold
    return {"mean code activation": float(np.mean(codes)),
            "near-zero share": float(np.mean(near_zero)),
            "dead units": float(np.mean(near_zero.all(axis=0)))}


def class_mean_codes(codes, labels, num_classes):
    """The mean code of each class: ``(num_classes, units)``."""
    return np.stack([codes[labels == c].mean(axis=0) if np.any(labels == c)
                     else np.zeros(codes.shape[1]) for c in range(num_classes)])


def class_mean_table(codes, labels, class_names):
    """Per-class mean code as a table: one row per code unit, one column per class."""
    means = class_mean_codes(codes, labels, len(class_names))
    rows = [[f"unit {j}", *[float(v) for v in means[:, j]]] for j in range(means.shape[1])]
    return Table("Mean code activation per class (rows: code units)", ["unit", *class_names],
                 rows)


# ---------------------------------------------------------------------------- Keras twin
def keras_twin_losses(models, fit_args, epochs, seed=0):
    """Trains the Keras twin of each (untrained) numpynet model; returns their histories.

    Args:
        models: ``{label: untrained numpynet model}`` (compiled); each twin gets its weights.
        fit_args: ``{label: (x, y, validation_data)}``.
        epochs: number of epochs.
        seed: seeds Keras' own random stream (shuffling, noise), so a ``--keras`` run repeats.

    Returns:
        ``{label: Keras History.history dict}``.
    """
    from tf_reference import to_keras
    from tf_reference._keras import keras

    keras.utils.set_random_seed(seed)

    histories = {}
    for label, model in models.items():
        x, y, validation = fit_args[label]
        twin = to_keras(model)
        histories[label] = twin.fit(x, y, epochs=epochs, batch_size=32,
                                    validation_data=validation, verbose=0).history
    return histories


def keras_table(ours, theirs):
    """``Table`` of final train/validation losses, numpynet beside Keras, one row per model."""
    rows = []
    for label, history in ours.items():
        mine, other = getattr(history, "history", history), theirs[label]
        rows.append([label, mine["loss"][-1], other["loss"][-1], mine["val_loss"][-1],
                     other["val_loss"][-1]])
    return Table("numpynet and its Keras twin (same initial weights; each shuffles batches with "
                 "its own random stream, so the losses agree closely but not exactly)",
                 ["model", "numpynet loss", "Keras loss", "numpynet val_loss",
                  "Keras val_loss"], rows)


# ---------------------------------------------------------------------------- the demo
def _train(model, data, config):
    return model.fit(data.x_train, data.x_train, epochs=train_epochs(config, data), batch_size=32,
                     validation_data=(data.x_test, data.x_test), verbose=config.verbose)


def _depth_table(data, config, code_size, main_history):
    """Validation loss of a smaller code and of a deep autoencoder beside the main model."""
    hidden = (128,) if data.pixels >= 784 else (48,)
    variants = {f"shallow, code {code_size // 4}": dict(code_size=code_size // 4),
                f"deep {hidden}, code {code_size}": dict(code_size=code_size, hidden=hidden)}
    rows = [[f"shallow, code {code_size}", main_history.history["val_loss"][-1]]]
    for label, arguments in variants.items():
        model = build_autoencoder(data.pixels, name="variant", **arguments)
        rows.append([label, _train(model, data, config).history["val_loss"][-1]])
    return Table("Depth and code size: final validation loss", ["autoencoder", "val_loss"], rows)


def run(config):
    data = load_dataset(config, full_train=FULL_TRAIN)
    code_size = default_code_size(data.pixels)
    model = build_autoencoder(data.pixels, code_size)
    initial = {name: model.get_layer(name).kernel.data.copy() for name in ("encoder", "decoder")}
    twins = keras_twin_losses({"autoencoder": model}, {"autoencoder": (
        data.x_train, data.x_train, (data.x_test, data.x_test))}, train_epochs(config, data),
        seed=config.seed) if config.keras else None
    history = _train(model, data, config)

    codes = encoder_model(model).predict(data.x_test, verbose=0)
    outputs = model.predict(data.x_test, verbose=0)
    decoded = decoder_model(model).predict(codes, verbose=0)
    stats = sparsity_stats(codes)
    numbers = {
        "parameters": model.count_params(), "code size": code_size,
        "epochs": len(history.history["loss"]),
        "first epoch train loss": history.history["loss"][0],
        "final train loss": history.history["loss"][-1],
        "final validation loss": history.history["val_loss"][-1],
        "test reconstruction MSE": float(np.mean((outputs - data.x_test) ** 2)),
        **stats,
        "near-zero threshold": NEAR_ZERO,
        "decoder(encoder(x)) vs model(x), max abs difference":
            float(np.max(np.abs(decoded - outputs))),
    }
    tables = [class_mean_table(codes, data.y_test, data.class_names),
              _depth_table(data, config, code_size, history)]
    if twins is not None:
        tables.insert(0, keras_table({"autoencoder": history}, twins))
    return DemoResult(title=TITLE, text=" ".join(__doc__.split()), numbers=numbers,
                      tables=tables, figures=_figures(config, data, model, initial, history,
                                                      codes, outputs))


def _figures(config, data, model, initial, history, codes, outputs):
    import matplotlib.pyplot as plt

    shape = data.image_shape
    figures = [
        save_figure(curves_figure({"autoencoder": history}, ["loss"], "Reconstruction loss"),
                    config, "curves.png", "MSE loss per epoch (dashed: validation = test set)"),
        save_figure(nn.viz.reconstructions(data.x_test, outputs, shape, n=12), config,
                    "reconstructions.png", "Test images (top) and their reconstructions"),
    ]
    rows = -(-initial["encoder"].shape[1] // 10)  # ten tiles of about an inch per row
    for name, axis, what in (("encoder", 0, "columns"), ("decoder", 1, "rows")):
        fig, (before, after) = plt.subplots(2, 1, figsize=(10, 2 * rows + 0.8))
        nn.viz.weight_tiles(initial[name], shape, axis=axis, ax=before,
                            title=f"{name} kernel {what}, before training")
        nn.viz.weight_tiles(model.get_layer(name).kernel, shape, axis=axis, ax=after,
                            title=f"{name} kernel {what}, after training")
        figures.append(save_figure(fig, config, f"{name}_weights.png",
                                   f"The {name} kernel's {what} drawn as images, one per "
                                   "code unit, before and after training"))
    figures += [
        save_figure(nn.viz.code_heatmap(codes, data.y_test, data.class_names,
                                        title="Code of each test image"), config,
                    "code_heatmap.png", "Code activations of the test images sorted by class"),
        save_figure(nn.viz.code_histogram(codes, threshold=NEAR_ZERO, log=True,
                                          title="All code activations"), config,
                    "code_histogram.png", "Histogram of the code activations (log counts)"),
        save_figure(nn.viz.latent_vector(codes[0], data.x_test[0], shape,
                                         title=f"Code of one test image (class "
                                               f"{data.class_names[data.y_test[0]]})"),
                    config, "latent_vector.png", "One test image and its latent vector"),
    ]
    return figures
