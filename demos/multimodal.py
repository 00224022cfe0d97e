"""Multimodal models: an image branch merged with a small vector of side information.

The functional API lets a model take several inputs. Here each image comes with a short vector
that says something about it — for digits, its parity (even or odd) one-hot encoded, shifted
and scaled by a configurable transform (``SIDE_SHIFT``, ``SIDE_SCALE``; for Fashion-MNIST the
parity of the class index). An image-only classifier (Dense 50 → 30 → 20 → softmax) is
compared with two-input models that concatenate the side vector into the image branch: right
before the output layer ("late") or after the first hidden layer ("early"). All three train on
the same split with Adam and sparse categorical cross-entropy; knowing the parity halves the
candidate classes, so the side information should help the most on the digits the image alone
confuses. The scale of the side vector matters too: the layer that receives it sees it through
weights that Adam moves by about the learning rate per step, so a table retrains the late model
with other scales.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import numpynet as nn  # noqa: E402
from demos.base import DemoResult, Figure, Table  # noqa: E402
from demos.common import curves_figure, load_dataset, save_figure  # noqa: E402

TITLE = "Multimodal models: image branch + side-information vector (functional API)"

HIDDEN = (50, 30, 20)  # the course's image branch
SIDE_SHIFT, SIDE_SCALE = -0.5, 2.0  # one-hot {0, 1} -> {-1, +1}: centred like the other inputs
EPOCHS = (30, 8)  # (full, quick)
VALIDATION_SPLIT = 0.2
SCALE_SWEEP = (0.5, 8.0)  # other scales of the side vector tried with the late model
MODELS = {"image only": None, "side info late": "late", "side info early": "early"}


# ---------------------------------------------------------------------------- data
def side_information(labels, shift=SIDE_SHIFT, scale=SIDE_SCALE):
    """The side vector of each image: its label's parity one-hot, shifted then scaled.

    Args:
        labels: integer class labels, shape ``(n,)``.
        shift: added to the one-hot entries first.
        scale: multiplies the shifted entries.

    Returns:
        ``scale * (one_hot(labels % 2) + shift)``, shape ``(n, 2)`` in ``config.floatx()``
        (column 0: even, column 1: odd).
    """
    onehot = nn.utils.to_categorical(np.asarray(labels) % 2, num_classes=2)
    return ((onehot + float(shift)) * float(scale)).astype(nn.config.floatx())


# ---------------------------------------------------------------------------- models
def _compile(model):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_image_model(pixels, num_classes, hidden=HIDDEN):
    """The image-only classifier: ``Input(pixels) → Dense(h, relu) for h in hidden → softmax``.

    Returns:
        A compiled ``nn.Model`` (Adam, sparse categorical cross-entropy, accuracy).
    """
    image = nn.layers.Input((pixels,), name="image")
    x = image
    for i, units in enumerate(hidden, start=1):
        x = nn.layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
    outputs = nn.layers.Dense(num_classes, activation="softmax", name="classes")(x)
    return _compile(nn.Model(image, outputs, name="image_only"))


def build_multimodal_model(pixels, side_size, num_classes, inject="late", hidden=HIDDEN):
    """A two-input classifier: the side vector is concatenated into the image branch.

    ``inject="late"`` concatenates it with the last hidden layer, right before the softmax
    output; ``inject="early"`` concatenates it with the first hidden layer, so every later
    layer can mix it with the image features.

    Args:
        pixels: size of the flattened image input ``"image"``.
        side_size: size of the side-information input ``"side_info"``.
        num_classes: output classes.
        inject: ``"late"`` or ``"early"``.
        hidden: the image branch's hidden sizes.

    Returns:
        A compiled ``nn.Model`` with inputs ``[image, side_info]``.

    Raises:
        ValueError: if ``inject`` is not ``"late"`` or ``"early"``.
    """
    if inject not in ("late", "early"):
        raise ValueError(f"build_multimodal_model: inject must be 'late' or 'early', got "
                         f"{inject!r}.")
    image = nn.layers.Input((pixels,), name="image")
    side = nn.layers.Input((side_size,), name="side_info")
    merge_after = 1 if inject == "early" else len(hidden)
    x = image
    for i, units in enumerate(hidden, start=1):
        x = nn.layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
        if i == merge_after:
            x = nn.layers.Concatenate(name="merge")([x, side])
    outputs = nn.layers.Dense(num_classes, activation="softmax", name="classes")(x)
    return _compile(nn.Model([image, side], outputs, name=f"side_info_{inject}"))


def build_models(pixels, side_size, num_classes):
    """``{label: compiled model}`` for the three models of the demo (see ``MODELS``)."""
    return {label: build_image_model(pixels, num_classes) if inject is None
            else build_multimodal_model(pixels, side_size, num_classes, inject)
            for label, inject in MODELS.items()}


def model_inputs(label, images, side):
    """What model ``label`` is fed: the images alone, or ``[images, side]``."""
    return images if MODELS[label] is None else [images, side]


# ---------------------------------------------------------------------------- Keras twins
def keras_histories(models, fit_args, epochs, batch_size=32, seed=0):
    """Trains the Keras twin of each *untrained* numpynet model; returns their history dicts.

    Args:
        models: ``{label: compiled, untrained numpynet model}``; each twin copies its weights.
        fit_args: ``{label: (x, y, fit keyword arguments)}``.
        epochs: epochs to train.
        batch_size: batch size.
        seed: seeds Keras' own random stream (its shuffling), so a ``--keras`` run repeats.
    """
    from tf_reference import to_keras
    from tf_reference._keras import keras

    keras.utils.set_random_seed(seed)

    histories = {}
    for label, model in models.items():
        x, y, kwargs = fit_args[label]
        histories[label] = to_keras(model).fit(x, y, epochs=epochs, batch_size=batch_size,
                                               verbose=0, **kwargs).history
    return histories


def keras_table(ours, theirs, metric="accuracy"):
    """Final losses and ``metric`` of numpynet beside its Keras twin, one row per model."""
    rows = []
    for label, history in ours.items():
        mine, other = getattr(history, "history", history), theirs[label]
        rows.append([label, mine["loss"][-1], other["loss"][-1], mine["val_loss"][-1],
                     other["val_loss"][-1], mine[f"val_{metric}"][-1],
                     other[f"val_{metric}"][-1]])
    return Table("numpynet and its Keras twin (same initial weights; each shuffles batches with "
                 "its own random stream, so the numbers agree closely but not exactly)",
                 ["model", "numpynet loss", "Keras loss", "numpynet val_loss", "Keras val_loss",
                  f"numpynet val_{metric}", f"Keras val_{metric}"], rows)


# ---------------------------------------------------------------------------- the demo
def run(config):
    data = load_dataset(config, full_train=10000)  # 28×28: 10k images train 5 models in ~1 min
    side_train, side_test = side_information(data.y_train), side_information(data.y_test)
    models = build_models(data.pixels, side_train.shape[1], data.num_classes)
    epochs = config.epochs(*EPOCHS)
    fit_kwargs = dict(validation_split=VALIDATION_SPLIT)
    twins = None
    if config.keras:  # before our training: the twins start from the same initial weights
        twins = keras_histories(models, {label: (model_inputs(label, data.x_train, side_train),
                                                 data.y_train, fit_kwargs)
                                         for label in models}, epochs, seed=config.seed)
    histories, evaluations, predictions = {}, {}, {}
    for label, model in models.items():
        histories[label] = model.fit(model_inputs(label, data.x_train, side_train), data.y_train,
                                     epochs=epochs, batch_size=32, verbose=config.verbose,
                                     **fit_kwargs)
        x_test = model_inputs(label, data.x_test, side_test)
        evaluations[label] = [float(v) for v in model.evaluate(x_test, data.y_test, verbose=0)]
        predictions[label] = np.argmax(model.predict(x_test, verbose=0), axis=1)

    numbers = {"side shift": SIDE_SHIFT, "side scale": SIDE_SCALE, "epochs": epochs}
    for label, model in models.items():
        numbers[f"{label}: parameters"] = model.count_params()
        numbers[f"{label}: test accuracy"] = evaluations[label][1]
    for label in ("side info late", "side info early"):
        numbers[f"{label} - image only (test accuracy)"] = \
            evaluations[label][1] - evaluations["image only"][1]
    tables = [_accuracy_table(models, histories, evaluations),
              _scale_table(data, epochs, evaluations["side info late"][1]),
              _per_class_table(data, predictions)]
    if twins is not None:
        tables.append(keras_table(histories, twins))
    return DemoResult(title=TITLE, text=" ".join(__doc__.split()), numbers=numbers,
                      tables=tables, figures=_figures(config, data, models, histories,
                                                      predictions))


def _accuracy_table(models, histories, evaluations):
    rows = []
    for label, model in models.items():
        history = histories[label].history
        rows.append([label, MODELS[label] or "-", model.count_params(), history["loss"][-1],
                     history["val_loss"][-1], history["val_accuracy"][-1],
                     evaluations[label][0], evaluations[label][1]])
    return Table("Test accuracy (same split; validation = last 20 % of the training set)",
                 ["model", "side info injected", "parameters", "final train loss",
                  "final val loss", "final val accuracy", "test loss", "test accuracy"], rows)


def _scale_table(data, epochs, default_accuracy):
    """Test accuracy of the late model when the side vector is scaled differently.

    The softmax layer sees the side vector through weights that Adam moves by about the
    learning rate per step, so a larger scale lets the side information act sooner.
    """
    rows = [[SIDE_SCALE, _side_values(SIDE_SCALE), default_accuracy]]
    for scale in SCALE_SWEEP:
        side_train = side_information(data.y_train, scale=scale)
        model = build_multimodal_model(data.pixels, side_train.shape[1], data.num_classes)
        model.fit([data.x_train, side_train], data.y_train, epochs=epochs, batch_size=32,
                  verbose=0, validation_split=VALIDATION_SPLIT)
        _, accuracy = model.evaluate([data.x_test, side_information(data.y_test, scale=scale)],
                                     data.y_test, verbose=0)
        rows.append([scale, _side_values(scale), float(accuracy)])
    return Table(f"Scale of the side vector (late injection, shift {SIDE_SHIFT})",
                 ["scale", "side values", "test accuracy"], sorted(rows))


def _side_values(scale):
    return f"{scale * SIDE_SHIFT:g} / {scale * (1.0 + SIDE_SHIFT):g}"


def _per_class_accuracy(labels, predicted, num_classes):
    return [float(np.mean(predicted[labels == c] == c)) if np.any(labels == c) else 0.0
            for c in range(num_classes)]


def _per_class_table(data, predictions):
    per_class = {label: _per_class_accuracy(data.y_test, predicted, data.num_classes)
                 for label, predicted in predictions.items()}
    rows = [[name, *[per_class[label][c] for label in predictions]]
            for c, name in enumerate(data.class_names)]
    return Table("Test accuracy per class", ["class", *predictions], rows)


def _figures(config, data, models, histories, predictions):
    import matplotlib.pyplot as plt

    figures = [save_figure(curves_figure(histories, ["loss", "accuracy"],
                                         "Image only vs image + side information"),
                           config, "curves.png", "Loss and accuracy per epoch for the three "
                           "models (solid: training, dashed: validation)")]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    width = 0.8 / len(predictions)
    for i, (label, predicted) in enumerate(predictions.items()):
        accuracy = _per_class_accuracy(data.y_test, predicted, data.num_classes)
        ax.bar(np.arange(data.num_classes) + (i - (len(predictions) - 1) / 2) * width,
               accuracy, width, label=label)
    ax.set_xticks(range(data.num_classes), data.class_names, rotation=45, fontsize=8)
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    figures.append(save_figure(fig, config, "per_class.png", "Test accuracy per class"))
    for label, model in models.items():
        filename = f"model_{model.name}.png"
        nn.utils.plot_model(model, to_file=config.out_dir / filename, show_shapes=True,
                            show_layer_activations=True, dpi=80)
        figures.append(Figure(path=f"{config.out_dir.name}/{filename}",
                              caption=f"Graph of the {label!r} model (plot_model)"))
    return figures
