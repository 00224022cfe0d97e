"""A first classifier: a small dense network on handwritten digits.

The smallest end-to-end run of numpynet: build a ``Sequential`` model, train it with Adam on
sparse categorical cross-entropy, and look at its learning curves, its confusion matrix and
some predictions. With ``--keras`` the Keras twin (same initial weights, through
``tf_reference.to_keras``) trains on the same split and a table sets its losses beside numpynet's.
"""

import numpy as np

import numpynet as nn
from demos.base import DemoResult, Table
from demos.common import curves_figure, load_dataset, save_figure
from demos.multimodal import keras_histories, keras_table

TITLE = "A first classifier (dense network, Adam, cross-entropy)"
VALIDATION_SPLIT = 0.2


def build_model(pixels, num_classes):
    """``Dense(64, relu) → Dense(32, relu) → Dense(classes, softmax)``."""
    return nn.Sequential([
        nn.layers.Input((pixels,), name="image"),
        nn.layers.Dense(64, activation="relu", name="hidden_1"),
        nn.layers.Dense(32, activation="relu", name="hidden_2"),
        nn.layers.Dense(num_classes, activation="softmax", name="classes"),
    ], name="classifier")


def confusion_matrix(y_true, y_pred, num_classes):
    """Counts ``[true class, predicted class]``."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def keras_twin(model, data, epochs, fit_kwargs, seed):
    """Trains the Keras twin of the *untrained* ``model`` on the same data and split.

    The twin starts from the same weights; Keras shuffles the batches with its own random
    stream, seeded with ``seed`` so that a run repeats exactly.

    Returns:
        ``{"classifier": Keras History.history dict}``.
    """
    return keras_histories({"classifier": model},
                           {"classifier": (data.x_train, data.y_train, fit_kwargs)}, epochs,
                           seed=seed)


def run(config):
    data = load_dataset(config)
    model = build_model(data.pixels, data.num_classes)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    epochs, fit_kwargs = config.epochs(30, 3), dict(validation_split=VALIDATION_SPLIT)
    twins = keras_twin(model, data, epochs, fit_kwargs, config.seed) if config.keras else None
    history = model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=32,
                        verbose=config.verbose, **fit_kwargs)
    test_loss, test_accuracy = model.evaluate(data.x_test, data.y_test, verbose=0)
    predicted = np.argmax(model.predict(data.x_test, verbose=0), axis=1)
    matrix = confusion_matrix(data.y_test, predicted, data.num_classes)

    figures = [
        save_figure(curves_figure({"classifier": history}, ["loss", "accuracy"],
                                  "Training curves"), config, "curves.png",
                    "Loss and accuracy per epoch (dashed: validation)"),
        save_figure(_confusion_figure(matrix, data.class_names), config, "confusion.png",
                    "Confusion matrix on the test set"),
        save_figure(_predictions_figure(data, predicted), config, "predictions.png",
                    "Test images with predicted (and true) labels; red = wrong"),
    ]
    per_class = matrix.diagonal() / np.maximum(matrix.sum(axis=1), 1)
    tables = [Table("Test accuracy per class", ["class", "accuracy"],
                    [[name, float(a)] for name, a in zip(data.class_names, per_class)])]
    if twins is not None:
        tables.insert(0, keras_table({"classifier": history}, twins))
    return DemoResult(
        title=TITLE,
        text=__doc__.strip().splitlines()[0],
        numbers={
            "parameters": model.count_params(),
            "epochs": len(history.history["loss"]),
            "final train loss": history.history["loss"][-1],
            "final validation loss": history.history["val_loss"][-1],
            "test loss": float(test_loss),
            "test accuracy": float(test_accuracy),
        },
        tables=tables,
        figures=figures,
    )


def _confusion_figure(matrix, class_names):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                color="white" if count > matrix.max() / 2 else "black")
    ax.set_xticks(range(len(class_names)), class_names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(class_names)), class_names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return fig


def _predictions_figure(data, predicted, count=24):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, count // 3, figsize=(count // 3 * 1.1, 3.8))
    for ax, image, guess, truth in zip(axes.flat, data.x_test, predicted, data.y_test):
        ax.imshow(image.reshape(data.image_shape), cmap="gray_r")
        ax.set_title(f"{data.class_names[guess]} ({data.class_names[truth]})", fontsize=6,
                     color="black" if guess == truth else "red")
        ax.axis("off")
    return fig
