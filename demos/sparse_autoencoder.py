"""Sparse autoencoders: penalise the code's activity, and most code units fall silent.

The same autoencoder (ReLU code, same initial weights) is trained without and with an activity
penalty on its code layer: L1 (l1·Σ|a|), L2 (l2·Σa²), the course's β·mean(a)
(nn.regularizers.MeanActivity) and the KL sparsity target ρ of Ng's sparse autoencoder
(nn.regularizers.KLSparsity: β·Σ_j KL(ρ ‖ mean activation of unit j)). With a penalty each
image is coded by a few active units and most activations are exactly zero; L2 shrinks the
activations more than it zeroes them. "Near zero" means |a| < 1e-3; an inactive ReLU unit is
exactly 0, so the share hardly depends on that threshold. Part of the silence comes from dead
units (zero for every image); KL sparsity keeps every unit's mean near ρ, so none die. The price
of sparsity is a higher reconstruction error. A note on β:
numpynet follows the installed Keras (≥ 3.14), which divides every activity penalty by the
batch size B. The course added β·mean(code) to the loss undivided, so the course's β is
MeanActivity(beta=β·B) here: β=0.1 at B=32 is beta=3.2, strong enough to silence about 80 % of
the activations on the digits. L1's Σ over the batch divided by B is the mean per-image sum, so
its strength does not depend on B; KLSparsity's β acts as β/B. KL sparsity was written for
sigmoid codes; on a ReLU code it works while each unit's batch mean stays below 1 (ρ̂ is clipped
to [ε, 1−ε]), which holds here from the start because the penalty pushes the means down to ρ.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import numpynet as nn  # noqa: E402
from demos.autoencoder import (  # noqa: E402
    FULL_TRAIN,
    NEAR_ZERO,
    build_autoencoder,
    class_mean_table,
    default_code_size,
    encoder_model,
    keras_table,
    keras_twin_losses,
    sparsity_stats,
    train_epochs,
)
from demos.base import DemoResult, Table  # noqa: E402
from demos.common import load_dataset, save_figure  # noqa: E402

TITLE = "Sparse autoencoders: L1, L2, β·mean(code) and KL sparsity, beside a dense code"

BATCH_SIZE = 32
COURSE_BETA = 0.1  # β of the course's β·mean(code), which the course adds undivided by B
KL_RHO = 0.05  # target mean activation of each code unit


def regularizers(pixels=64):
    """The code penalties compared: ``{label: regularizer}`` (all on a ReLU code).

    The strengths depend on the image size. On the 8×8 digits the course's β = 0.1 silences
    about 80 % of the activations. A 28×28 image feeds each code unit 12× more pixels, so its
    activations are larger and the same strengths silence every unit within a few epochs (the
    code collapses and the decoder draws the mean image); there L1 and L2 are 10× weaker and
    β is 0.02.
    """
    small = pixels < 784
    l1, l2, beta = ("3e-3", "1e-3", COURSE_BETA) if small else ("3e-4", "1e-4", 0.02)
    return {
        "dense (no penalty)": None,
        f"L1({l1})": nn.regularizers.L1(float(l1)),
        f"L2({l2})": nn.regularizers.L2(float(l2)),
        f"β·mean, β={beta:g}": nn.regularizers.MeanActivity(beta * BATCH_SIZE),
        f"KL, ρ={KL_RHO:g}": nn.regularizers.KLSparsity(rho=KL_RHO, beta=1.0),
    }


def build_sparse_autoencoder(pixels, code_size=32, regularizer=None, code_activation="relu"):
    """The course autoencoder with ``activity_regularizer=regularizer`` on its code."""
    return build_autoencoder(pixels, code_size, code_activation=code_activation,
                             activity_regularizer=regularizer, name="sparse_autoencoder")


def run(config):
    data = load_dataset(config, full_train=FULL_TRAIN)
    code_size = default_code_size(data.pixels)
    models = {label: build_sparse_autoencoder(data.pixels, code_size, regularizer)
              for label, regularizer in regularizers(data.pixels).items()}
    first = next(iter(models.values()))
    for model in models.values():  # every variant starts from the same weights
        model.set_weights(first.get_weights())
    validation = (data.x_test, data.x_test)
    fit_args = {label: (data.x_train, data.x_train, validation) for label in models}
    twins = keras_twin_losses(models, fit_args, train_epochs(config, data),
                              seed=config.seed) if config.keras else None
    histories, codes, outputs = {}, {}, {}
    for label, model in models.items():
        histories[label] = model.fit(data.x_train, data.x_train, epochs=train_epochs(config, data),
                                     batch_size=BATCH_SIZE, validation_data=validation,
                                     verbose=config.verbose)
        codes[label] = encoder_model(model).predict(data.x_test, verbose=0)
        outputs[label] = model.predict(data.x_test, verbose=0)
    rows, numbers = [], {"code size": code_size, "near-zero threshold": NEAR_ZERO,
                         "batch size": BATCH_SIZE}
    for label in models:
        stats = sparsity_stats(codes[label])
        mse = float(np.mean((outputs[label] - data.x_test) ** 2))
        history = histories[label].history
        rows.append([label, stats["near-zero share"], stats["mean code activation"],
                     stats["dead units"], mse, history["loss"][0], history["loss"][-1],
                     history["val_loss"][-1]])
        numbers.update({f"{label}: near-zero share": stats["near-zero share"],
                        f"{label}: mean code activation": stats["mean code activation"],
                        f"{label}: reconstruction MSE": mse,
                        f"{label}: final train loss": history["loss"][-1],
                        f"{label}: final validation loss": history["val_loss"][-1]})
    tables = [Table("Sparsity and reconstruction on the test set (losses include the penalty)",
                    ["code penalty", "near-zero share", "mean activation", "dead units",
                     "reconstruction MSE", "first epoch train loss", "final train loss",
                     "final validation loss"], rows),
              _per_neuron_table(codes)]
    for label in list(models)[::len(models) - 1]:  # the dense code and the last penalty
        table = class_mean_table(codes[label], data.y_test, data.class_names)
        tables.append(Table(f"{table.title} — {label}", table.columns, table.rows))
    if twins is not None:
        tables.insert(0, keras_table(histories, twins))
    return DemoResult(title=TITLE, text=" ".join(__doc__.split()), numbers=numbers,
                      tables=tables, figures=_figures(config, data, models, codes, outputs))


def _per_neuron_table(codes):
    means = {label: c.mean(axis=0) for label, c in codes.items()}
    units = len(next(iter(means.values())))
    rows = [[f"unit {j}", *[float(m[j]) for m in means.values()]] for j in range(units)]
    return Table("Mean activation of each code unit over the test set", ["unit", *means], rows)


def _figures(config, data, models, codes, outputs):
    import matplotlib.pyplot as plt

    count, shape = len(models), data.image_shape
    heat, heat_axes = plt.subplots(1, count, figsize=(4.4 * count, 4.2), layout="constrained")
    hist, hist_axes = plt.subplots(1, count, figsize=(3.6 * count, 2.8), layout="constrained")
    tiles, tile_axes = plt.subplots(1, count, figsize=(4.6 * count, 2.8))
    for i, label in enumerate(models):
        nn.viz.code_heatmap(codes[label], data.y_test, data.class_names, title=label,
                            ax=heat_axes[i])
        nn.viz.code_histogram(codes[label], threshold=NEAR_ZERO, log=True, title=label,
                              color=f"C{i}", ax=hist_axes[i])
        nn.viz.weight_tiles(models[label].get_layer("decoder").kernel, shape, axis=1, columns=8,
                            title=label, ax=tile_axes[i])
    return [
        save_figure(heat, config, "code_heatmaps.png", "Code activations of the test images, "
                    "sorted by class: dense code (left) and the sparse variants"),
        save_figure(hist, config, "code_histograms.png", "Histograms of the code activations "
                    f"(log counts; dashed: the near-zero threshold {NEAR_ZERO:g})"),
        save_figure(tiles, config, "decoder_tiles.png", "Decoder kernel rows (what each code "
                    "unit draws) for each variant"),
        save_figure(nn.viz.reconstructions(data.x_test, outputs, shape, n=12), config,
                    "reconstructions.png", "Test images and each variant's reconstruction"),
    ]
