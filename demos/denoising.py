"""Denoising autoencoders: corrupt the input with Gaussian noise, ask for the clean image.

Four autoencoders with the same architecture and the same initial weights are trained and then
given noisy test images: a plain one (clean inputs, clean targets); one with a GaussianNoise
layer after its input (fresh noise at every training step, none at inference; clean targets);
one trained on noisy arrays with clean targets (the noise is drawn once, so the same corrupted
images come back every epoch); and one trained on noisy arrays with the noisy arrays as targets
(it learns to reproduce the noise). The validation loss of every model is the MSE between its
output for the noisy test images and the clean test images, so the four are compared on the
task itself; the first numbers give the MSE of the noisy images themselves, the baseline to beat.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import numpynet as nn  # noqa: E402
from demos.autoencoder import (  # noqa: E402
    FULL_TRAIN,
    build_autoencoder,
    class_mean_table,
    default_code_size,
    encoder_model,
    keras_table,
    keras_twin_losses,
    sparsity_stats,
)
from demos.base import DemoResult, Table  # noqa: E402
from demos.common import curves_figure, load_dataset, save_figure  # noqa: E402

TITLE = "Denoising autoencoders: GaussianNoise layer, noisy arrays, clean vs noisy targets"

NOISE_STDDEV = 0.4  # Keras 3 accepts GaussianNoise stddev in [0, 1] only


def add_noise(x, stddev=NOISE_STDDEV):
    """``x + N(0, stddev²)`` drawn from numpynet's one generator (not clipped, as the layer)."""
    noise = nn.rng.generator().standard_normal(x.shape, dtype=x.dtype)
    return x + noise * float(stddev)


def build_denoising_autoencoder(pixels, code_size=32, stddev=NOISE_STDDEV, hidden=()):
    """``Input → GaussianNoise(stddev, name="noise") → encoder → decoder``, Adam, MSE."""
    return build_autoencoder(pixels, code_size, hidden=hidden, noise_stddev=stddev,
                             name="denoising_autoencoder")


def variants(data, code_size, x_noisy):
    """The four models (same initial weights) with their training inputs and targets.

    Returns:
        ``{label: (model, x, y)}``.
    """
    plain = build_autoencoder(data.pixels, code_size, name="autoencoder")
    layer = build_denoising_autoencoder(data.pixels, code_size)
    layer.set_weights(plain.get_weights())  # GaussianNoise has no weights: same lists
    models = {"plain: clean → clean": (plain, data.x_train, data.x_train),
              "GaussianNoise layer → clean": (layer, data.x_train, data.x_train)}
    for label, target in (("noisy arrays → clean", data.x_train),
                          ("noisy arrays → noisy", x_noisy)):
        model = build_autoencoder(data.pixels, code_size, name="autoencoder")
        model.set_weights(plain.get_weights())
        models[label] = (model, x_noisy, target)
    return models


def train_epochs(config, data):
    """As the autoencoder demo, but 25 epochs in quick mode: the models trained on noise pull
    ahead of the plain one only after about 20 epochs on the digits (6 are not enough)."""
    return config.epochs(60 if data.pixels < 784 else 20, 25)


def _titled(table, what):
    return Table(f"{table.title} — {what}", table.columns, table.rows)


def run(config):
    data = load_dataset(config, full_train=FULL_TRAIN)
    code_size = default_code_size(data.pixels)
    x_noisy, x_test_noisy = add_noise(data.x_train), add_noise(data.x_test)
    models = variants(data, code_size, x_noisy)
    validation = (x_test_noisy, data.x_test)
    twins = keras_twin_losses({k: m for k, (m, _, _) in models.items()},
                              {k: (x, y, validation) for k, (_, x, y) in models.items()},
                              train_epochs(config, data), seed=config.seed) if config.keras \
        else None
    histories, outputs, codes, rows = {}, {}, {}, []
    numbers = {"noise stddev": NOISE_STDDEV, "code size": code_size,
               "noisy test images: MSE to clean": float(np.mean((x_test_noisy - data.x_test) ** 2))}
    for label, (model, x, y) in models.items():
        histories[label] = model.fit(x, y, epochs=train_epochs(config, data), batch_size=32,
                                     validation_data=validation, verbose=config.verbose)
        outputs[label] = model.predict(x_test_noisy, verbose=0)
        codes[label] = encoder_model(model).predict(x_test_noisy, verbose=0)
        clean_mse = float(np.mean((model.predict(data.x_test, verbose=0) - data.x_test) ** 2))
        history, stats = histories[label].history, sparsity_stats(codes[label])
        rows.append([label, history["loss"][0], history["loss"][-1],
                     float(np.mean((outputs[label] - data.x_test) ** 2)), clean_mse,
                     stats["mean code activation"], stats["near-zero share"]])
        numbers.update({f"{label}: final train loss": history["loss"][-1],
                        f"{label}: final validation loss": history["val_loss"][-1],
                        f"{label}: MSE to clean (noisy inputs)": rows[-1][3],
                        f"{label}: mean code activation": stats["mean code activation"],
                        f"{label}: near-zero share": stats["near-zero share"]})
    numbers["epochs"] = len(history["loss"])
    tables = [Table("Each model on the test set (validation loss: MSE of the output for noisy "
                    "inputs to the clean images)", [
                        "model", "first epoch train loss", "final train loss",
                        "MSE to clean, noisy inputs", "MSE to clean, clean inputs",
                        "mean code activation", "near-zero share"], rows),
              _titled(class_mean_table(codes["GaussianNoise layer → clean"], data.y_test,
                                       data.class_names), "GaussianNoise-layer model, noisy "
                                                          "test inputs")]
    if twins is not None:
        tables.insert(0, keras_table(histories, twins))
    figures = [
        save_figure(curves_figure(histories, ["loss"], "Training loss (dashed: MSE of the "
                                  "output for noisy test images to the clean ones)"),
                    config, "curves.png", "Loss per epoch for the four models"),
        save_figure(nn.viz.reconstructions(data.x_test, {"noisy input": x_test_noisy,
                                                         **outputs}, data.image_shape, n=12,
                                           original_label="clean"),
                    config, "denoised.png", "Clean test images, their noisy versions, and what "
                    "each model makes of the noisy versions"),
    ]
    return DemoResult(title=TITLE, text=" ".join(__doc__.split()), numbers=numbers,
                      tables=tables, figures=figures)
