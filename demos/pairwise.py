"""Pair-wise classification: do two images show the same class? Separate vs siamese branches.

``nn.datasets.make_pairs`` draws a balanced set of pairs for every class (as many "same class"
as "different class" pairs), so always answering "different" scores 50 %. A two-input model
reads both images and outputs the probability that they match (sigmoid, binary
cross-entropy). With separate branches, ``input_img0 → Dense(100)`` and ``input_img1 →
Dense(100)`` learn their own weights before they are concatenated and mixed by ``Dense(100)``.
A siamese model calls one encoder (the same layer objects) on both images: half the encoder
weights, each updated by the sum of both branches' gradients, and the two images are treated
alike. Its two encodings are merged by concatenation, or by their absolute difference
``|e0 - e1|`` (``Subtract`` then ``Lambda(ops.abs)``), which makes the model symmetric in its
inputs. The per-class accuracy counts every pair in which either image has that class.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import numpynet as nn  # noqa: E402
from demos.base import DemoResult, Table  # noqa: E402
from demos.common import curves_figure, load_dataset, save_figure  # noqa: E402
from demos.multimodal import keras_histories, keras_table  # noqa: E402

TITLE = "Pair-wise classification: separate branches vs shared (siamese) weights"

UNITS = (100,)  # encoder layers of each branch (the course: Dense(100))
HEAD_UNITS = 100
EPOCHS = (30, 6)  # (full, quick)
PAIRS_PER_CLASS = {"train": (100, 30), "test": (50, 15)}  # (full, quick)
VALIDATION_SPLIT = 0.2
MODELS = {"separate": "separate", "siamese concat": "concatenate",
          "siamese |difference|": "abs_difference"}
SHORT_NAMES = {"separate": "sep", "siamese concat": "cat", "siamese |difference|": "|d|"}
INPUT_NAMES = ("input_img0", "input_img1")


# ---------------------------------------------------------------------------- models
def _compile(model):
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _inputs(pixels):
    return [nn.layers.Input((pixels,), name=name) for name in INPUT_NAMES]


def _dense_stack(units, prefix):
    return [nn.layers.Dense(n, activation="relu", name=f"{prefix}_{i}")
            for i, n in enumerate(units, start=1)]


def _apply(layers, x):
    for layer in layers:
        x = layer(x)
    return x


def _head(merged, head_units):
    x = nn.layers.Dense(head_units, activation="relu", name="head")(merged)
    return nn.layers.Dense(1, activation="sigmoid", name="same")(x)


def build_separate_pair_model(pixels, units=UNITS, head_units=HEAD_UNITS):
    """Two branches with their own weights, concatenated, then ``Dense(head_units)`` → sigmoid.

    ``input_img0 → Dense(u, relu) for u in units``, the same for ``input_img1`` (other layer
    objects, other weights), ``Concatenate → Dense(head_units, relu) → Dense(1, sigmoid)``.

    Returns:
        A compiled ``nn.Model`` (Adam, binary cross-entropy, accuracy).
    """
    img0, img1 = _inputs(pixels)
    x0 = _apply(_dense_stack(units, "branch0_dense"), img0)
    x1 = _apply(_dense_stack(units, "branch1_dense"), img1)
    merged = nn.layers.Concatenate(name="merge")([x0, x1])
    return _compile(nn.Model([img0, img1], _head(merged, head_units), name="separate_branches"))


def build_siamese_pair_model(pixels, units=UNITS, head_units=HEAD_UNITS, merge="concatenate"):
    """One encoder (the same layer objects) called on both images, merged, then the head.

    Args:
        pixels: size of each flattened image input.
        units: the shared encoder's layer sizes.
        head_units: units of the ``Dense`` layer after the merge.
        merge: ``"concatenate"`` (``[e0, e1]``) or ``"abs_difference"`` (``|e0 - e1|``,
            through ``Subtract`` and ``Lambda(nn.ops.abs)``: symmetric in the two images).

    Returns:
        A compiled ``nn.Model`` whose encoder weights exist once.

    Raises:
        ValueError: for an unknown ``merge``.
    """
    if merge not in ("concatenate", "abs_difference"):
        raise ValueError(f"build_siamese_pair_model: merge must be 'concatenate' or "
                         f"'abs_difference', got {merge!r}.")
    img0, img1 = _inputs(pixels)
    encoder = _dense_stack(units, "encoder_dense")
    e0, e1 = _apply(encoder, img0), _apply(encoder, img1)  # shared: the same layers twice
    if merge == "concatenate":
        merged = nn.layers.Concatenate(name="merge")([e0, e1])
    else:
        difference = nn.layers.Subtract(name="difference")([e0, e1])
        merged = nn.layers.Lambda(nn.ops.abs, name="abs_difference")(difference)
    return _compile(nn.Model([img0, img1], _head(merged, head_units), name=f"siamese_{merge}"))


def build_models(pixels):
    """``{label: compiled model}`` for the three models of the demo (see ``MODELS``)."""
    return {label: build_separate_pair_model(pixels) if kind == "separate"
            else build_siamese_pair_model(pixels, merge=kind) for label, kind in MODELS.items()}


def pair_model_parameters(pixels, units=UNITS, head_units=HEAD_UNITS, kind="separate"):
    """The parameter count of a pair model, by hand: ``Σ (inputs + 1) · units`` per Dense.

    Args:
        kind: ``"separate"``, ``"concatenate"`` or ``"abs_difference"`` (see ``MODELS``).
    """
    sizes = (pixels, *units)
    encoder = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    merged = units[-1] if kind == "abs_difference" else 2 * units[-1]
    branches = 2 * encoder if kind == "separate" else encoder
    return branches + (merged + 1) * head_units + (head_units + 1)


# ---------------------------------------------------------------------------- data
def pair_data(x, y, pairs_per_class, seed):
    """Balanced, shuffled pairs from ``nn.datasets.make_pairs``, with ``same`` as a column.

    Returns:
        ``(x0, x1, same, class0, class1)``; ``same`` has shape ``(pairs, 1)``, like the
        model's sigmoid output.
    """
    x0, x1, same, class0, class1 = nn.datasets.make_pairs(x, y, pairs_per_class, seed=seed)
    return x0, x1, same.reshape(-1, 1), class0, class1


# ---------------------------------------------------------------------------- the demo
def run(config):
    data = load_dataset(config, full_train=20000)
    train = pair_data(data.x_train, data.y_train, config.epochs(*PAIRS_PER_CLASS["train"]),
                      config.seed)
    test = pair_data(data.x_test, data.y_test, config.epochs(*PAIRS_PER_CLASS["test"]),
                     config.seed + 1)
    models = build_models(data.pixels)
    epochs = config.epochs(*EPOCHS)
    fit_kwargs = dict(validation_split=VALIDATION_SPLIT)
    twins = None
    if config.keras:  # before our training: the twins start from the same initial weights
        twins = keras_histories(models, {label: ([train[0], train[1]], train[2], fit_kwargs)
                                         for label in models}, epochs, seed=config.seed)
    histories, scores, evaluations = {}, {}, {}
    for label, model in models.items():
        histories[label] = model.fit([train[0], train[1]], train[2], epochs=epochs,
                                     batch_size=32, verbose=config.verbose, **fit_kwargs)
        evaluations[label] = [float(v) for v in model.evaluate([test[0], test[1]], test[2],
                                                               verbose=0)]
        scores[label] = model.predict([test[0], test[1]], verbose=0).reshape(-1)
    per_class = {label: nn.metrics.per_class_binary_accuracy(test[3], test[4], test[2], score)
                 for label, score in scores.items()}

    numbers = {"train pairs": len(train[0]), "test pairs": len(test[0]),
               "share of 'same' test pairs": float(np.mean(test[2])), "epochs": epochs}
    for label, model in models.items():
        numbers[f"{label}: parameters"] = model.count_params()
        numbers[f"{label}: test accuracy"] = evaluations[label][1]
    tables = [_summary_table(models, histories, evaluations),
              Table("Test accuracy per class (pairs in which either image has the class)",
                    ["class", *per_class],
                    [[name, *[per_class[label].get(c, float("nan")) for label in per_class]]
                     for c, name in enumerate(data.class_names)])]
    if twins is not None:
        tables.append(keras_table(histories, twins))
    return DemoResult(title=TITLE, text=" ".join(__doc__.split()), numbers=numbers,
                      tables=tables,
                      figures=_figures(config, data, test, histories, scores, per_class))


def _summary_table(models, histories, evaluations):
    rows = []
    for label, model in models.items():
        history = histories[label].history
        rows.append([label, len(model.weights), model.count_params(), history["loss"][-1],
                     history["val_accuracy"][-1], evaluations[label][0], evaluations[label][1]])
    return Table("Parameters and accuracy (the siamese encoder's weights exist once)",
                 ["model", "weight arrays", "parameters", "final train loss",
                  "final val accuracy", "test loss", "test accuracy"], rows)


def _figures(config, data, test, histories, scores, per_class):
    import matplotlib.pyplot as plt

    figures = [save_figure(curves_figure(histories, ["loss", "accuracy"],
                                         "Separate vs siamese branches"), config, "curves.png",
                           "Binary cross-entropy and accuracy per epoch (dashed: validation)")]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    width = 0.8 / len(per_class)
    for i, (label, accuracy) in enumerate(per_class.items()):
        values = [accuracy.get(c, 0.0) for c in range(data.num_classes)]
        ax.bar(np.arange(data.num_classes) + (i - (len(per_class) - 1) / 2) * width, values,
               width, label=label)
    ax.axhline(0.5, color="gray", linestyle=":", linewidth=1)
    ax.set_xticks(range(data.num_classes), data.class_names, rotation=45, fontsize=8)
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    figures.append(save_figure(fig, config, "per_class.png", "Test accuracy per class for each "
                               "architecture (dotted: chance)"))
    figures.append(save_figure(_pairs_figure(data, test, scores), config, "pairs.png",
                               "Test pairs (top and bottom image) with each model's "
                               "P(same); red = the siamese |difference| model is wrong"))
    return figures


def _pairs_figure(data, test, scores, count=10):
    import matplotlib.pyplot as plt

    x0, x1, same, class0, class1 = test
    fig, axes = plt.subplots(2, count, figsize=(count * 1.2, 2.4))
    fig.subplots_adjust(hspace=0.08, wspace=0.3, top=0.72, bottom=0.02)
    last = list(scores)[-1]
    for j in range(count):
        wrong = (scores[last][j] > 0.5) != (same[j, 0] > 0.5)
        title = "\n".join(f"{SHORT_NAMES[label]} {score[j]:.2f}"
                          for label, score in scores.items())
        for row, (image, label) in enumerate(((x0[j], class0[j]), (x1[j], class1[j]))):
            ax = axes[row, j]
            ax.imshow(image.reshape(data.image_shape), cmap="gray_r")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_ylabel(data.class_names[label], fontsize=7)
            if row == 0:
                ax.set_title(("same" if same[j, 0] > 0.5 else "different") + "\n" + title,
                             fontsize=6, color="red" if wrong else "black")
    return fig
