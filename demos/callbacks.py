"""Callbacks LAB: instrumenting a training run and letting callbacks steer it.

The LAB's network (U2 LAB 04): an input ``Dense(10)``, three hidden ``Dense(10)`` and a softmax
output, all sigmoid, trained with Adam. Callbacks are objects whose hooks ``fit`` calls at
fixed points (``on_train_begin``, ``on_epoch_begin``, ``on_train_batch_end``,
``on_epoch_end``...), each receiving the epoch's ``logs``. Six of them ride along here:
``LayerWeightsStats`` records the mean and std of every kernel and bias after every epoch (and
before the first), ``ActivationStats`` the mean and std of every layer's output on the training
and on the validation images; ``ReduceLROnPlateau`` divides the learning rate when the
validation loss stops improving, ``EarlyStopping`` ends the run when it has not improved for a
few epochs and puts the best epoch's weights back; ``CSVLogger`` and ``ModelCheckpoint`` (best
model only) write the log and the best model into the demo's folder. The learning rate starts
high (Adam at 0.01) and the patiences are short so that plateaus, reductions and the stop all
happen within a few dozen epochs.
"""

import numpy as np

import numpynet as nn
from demos.base import DemoResult, Table
from demos.common import curves_figure, load_dataset, save_figure
from demos.vanishing_gradient import build_deep_narrow_model

TITLE = "Callbacks LAB (weight and activation statistics, ReduceLROnPlateau, EarlyStopping)"
LEARNING_RATE = 0.01
REDUCE_PATIENCE, REDUCE_FACTOR, MIN_LR = 1, 0.3, 1e-5
STOP_PATIENCE = 5
LOG_FILE, CHECKPOINT_FILE, STATS_FILE = "training_log.csv", "best_model.numpynet", "stats.npz"


def build_lab_model(pixels, num_classes):
    """The LAB's model: ``build_deep_narrow_model`` with 3 hidden sigmoid layers, Adam(0.01)."""
    return build_deep_narrow_model(pixels, num_classes, "sigmoid", num_hidden_layers=3,
                                   learning_rate=LEARNING_RATE)


def split_validation(data, fraction=0.2):
    """The last ``fraction`` of the training set as validation data (as ``validation_split``)."""
    count = int(round(len(data.x_train) * fraction))
    return ((data.x_train[:-count], data.y_train[:-count]),
            (data.x_train[-count:], data.y_train[-count:]))


def make_callbacks(config, x_train, x_val):
    """The LAB's callbacks, in the order they must run.

    ``ReduceLROnPlateau`` writes ``logs["learning_rate"]``, so ``CSVLogger`` comes after it
    (``fit`` appends ``History`` after them, then ``ProgbarLogger``, as Keras does).

    Returns:
        ``{name: callback}`` (dicts keep their order).
    """
    return {
        "weights": nn.callbacks.LayerWeightsStats(),
        "activations": nn.callbacks.ActivationStats({"train": x_train, "val": x_val}),
        "reduce_lr": nn.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=REDUCE_FACTOR,
                                                    patience=REDUCE_PATIENCE, min_lr=MIN_LR),
        "early_stopping": nn.callbacks.EarlyStopping(monitor="val_loss", patience=STOP_PATIENCE,
                                                     restore_best_weights=True),
        "csv": nn.callbacks.CSVLogger(config.out_dir / LOG_FILE),
        "checkpoint": nn.callbacks.ModelCheckpoint(config.out_dir / CHECKPOINT_FILE,
                                                   monitor="val_loss", save_best_only=True),
    }


def stats_arrays(callbacks):
    """The recorded statistics as flat ``{key: array}``, the layout of the saved ``.npz``.

    Keys: ``epoch``; ``weights/<layer>/<weight>/<mean|std>``;
    ``activations/<train|val>/<layer>/<mean|std>``. Every array has one entry per record
    (before training, then after each epoch).
    """
    arrays = {"epoch": np.asarray(callbacks["weights"].epoch)}
    for path, record in callbacks["weights"].as_arrays().items():
        for stat, values in record.items():
            arrays[f"weights/{path}/{stat}"] = values
    for set_name, layers in callbacks["activations"].as_arrays().items():
        for layer, record in layers.items():
            for stat, values in record.items():
                arrays[f"activations/{set_name}/{layer}/{stat}"] = values
    return arrays


def run(config):
    data = load_dataset(config, full_train=6000)  # 28×28 sets: 6000 images keep it brisk
    (x_train, y_train), (x_val, y_val) = split_validation(data)
    model = build_lab_model(data.pixels, data.num_classes)
    initial_weights = model.get_weights()
    callbacks = make_callbacks(config, x_train, x_val)
    epochs = config.epochs(100, 60)
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=32,
                        validation_data=(x_val, y_val), callbacks=list(callbacks.values()),
                        verbose=config.verbose)
    np.savez(config.out_dir / STATS_FILE, **stats_arrays(callbacks))
    stop = callbacks["early_stopping"]
    test_loss, test_accuracy = model.evaluate(data.x_test, data.y_test, verbose=0)
    best = nn.models.load_model(config.out_dir / CHECKPOINT_FILE)
    checkpoint_val_loss = best.evaluate(x_val, y_val, verbose=0)[0]
    rates = history.history["learning_rate"]
    numbers = {
        "epochs requested": epochs,
        "epochs run": len(history.history["loss"]),
        "stopped early": int(stop.stopped_epoch > 0),
        "stopped at epoch": stop.stopped_epoch + 1 if stop.stopped_epoch else 0,
        "best epoch": stop.best_epoch + 1,
        "best val_loss": float(stop.best),
        "checkpoint val_loss (reloaded)": float(checkpoint_val_loss),
        "learning-rate reductions": int(np.sum(np.diff(rates) < 0)),
        "initial learning rate": float(rates[0]),
        "final learning rate": float(rates[-1]),
        "test loss (best weights restored)": float(test_loss),
        "test accuracy (best weights restored)": float(test_accuracy),
    }
    tables = [_files_table(config)]
    if config.keras:
        tables.append(_keras_table(data, initial_weights, epochs))
    return DemoResult(title=TITLE, text=" ".join(__doc__.split()), numbers=numbers,
                      tables=tables, figures=_figures(config, callbacks, history))


def _files_table(config):
    files = [(LOG_FILE, "CSVLogger: one row per epoch (loss, accuracy, learning_rate, val_*)"),
             (CHECKPOINT_FILE, "ModelCheckpoint(save_best_only=True): the lowest-val_loss "
                               "model; nn.models.load_model reads it"),
             (STATS_FILE, "LayerWeightsStats and ActivationStats arrays (np.load)")]
    return Table("Files written by the callbacks", ["file", "written by / contents"],
                 [[f"{config.out_dir.name}/{name}", what] for name, what in files])


def _figures(config, callbacks, history):
    stop = callbacks["early_stopping"]
    weights = callbacks["weights"]
    kernels = {path: record for path, record in weights.as_arrays().items()
               if path.endswith("/kernel")}
    return [
        save_figure(nn.viz.plot_layer_stats(kernels, weights.epoch,
                                            "Kernel mean and std per layer (LayerWeightsStats)"),
                    config, "weight_stats.png",
                    "Mean and standard deviation of each layer's kernel by epoch (0 = the "
                    "initial Glorot weights)."),
        save_figure(nn.viz.plot_layer_stats(callbacks["activations"],
                                            title="Layer outputs (ActivationStats)"),
                    config, "activation_stats.png",
                    "Mean and standard deviation of each layer's output on the training "
                    "(solid) and validation (dashed) images, by epoch."),
        save_figure(nn.viz.plot_learning_rate(
            history, best_epoch=stop.best_epoch + 1,
            stopped_epoch=stop.stopped_epoch + 1 if stop.stopped_epoch else None),
            config, "learning_rate.png",
            f"Learning rate (ReduceLROnPlateau: ×{REDUCE_FACTOR} after {REDUCE_PATIENCE} "
            f"epoch(s) without a lower val_loss) and val_loss; EarlyStopping (patience "
            f"{STOP_PATIENCE}) keeps the best epoch's weights."),
        save_figure(curves_figure({"LAB model": history}, ["loss", "accuracy"],
                                  "Training curves"), config, "curves.png",
                    "Loss and accuracy per epoch (dashed: validation)."),
    ]


def _steering_callbacks(library):
    """The LAB's ReduceLROnPlateau and EarlyStopping from ``nn`` or ``keras``."""
    return [library.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=REDUCE_FACTOR,
                                                patience=REDUCE_PATIENCE, min_lr=MIN_LR),
            library.callbacks.EarlyStopping(monitor="val_loss", patience=STOP_PATIENCE,
                                            restore_best_weights=True)]


def _keras_table(data, initial_weights, epochs):
    """Trains the model and its Keras twin from the same weights, unshuffled, with the same
    steering callbacks in each library; compares their decisions and losses."""
    from tf_reference import models as keras_models
    from tf_reference._keras import keras

    (x_train, y_train), validation = split_validation(data)
    rows = []
    for library, model in ((nn, build_lab_model(data.pixels, data.num_classes)),
                           (keras, keras_models.build_lab_model(data.pixels, data.num_classes))):
        model.set_weights(initial_weights)
        steering = _steering_callbacks(library)
        history = model.fit(x_train, y_train, epochs=epochs, batch_size=32, shuffle=False,
                            validation_data=validation, callbacks=steering, verbose=0).history
        rows.append(["numpynet" if library is nn else "Keras", len(history["loss"]),
                     steering[1].best_epoch + 1, float(min(history["val_loss"])),
                     float(history["learning_rate"][-1]), float(history["loss"][-1])])
    return Table("numpynet vs Keras (same initial weights and callbacks, shuffle=False)",
                 ["library", "epochs run", "best epoch", "best val_loss", "final learning rate",
                  "final loss"], rows)
