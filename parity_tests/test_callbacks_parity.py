"""The monitoring callbacks make Keras' decisions on the same hand-made sequences of logs.

Each numpynet callback and its Keras counterpart are driven directly, outside ``fit``, through
``set_model`` / ``on_train_begin`` / ``on_epoch_begin`` / ``on_epoch_end`` / ``on_train_end``
with identical ``logs`` dicts, on a tiny model on each side (the Keras one is the numpynet
one's twin, so the optimizer and the weights start equal). After every epoch the decisions
(stop, wait, best, cooldown, learning rate, files written) must be the same.
"""

import math
import os

import numpy as np
import pytest

import numpynet as nn
from parity_tests.compare import assert_close, assert_same
from tf_reference import to_keras
from tf_reference._keras import keras

LEARNING_RATE = 0.1

# val_loss sequences; the other log values are derived from them in _logs.
SEQUENCES = {
    "decreasing": [1.0, 0.8, 0.6, 0.5, 0.45, 0.44, 0.435, 0.43],
    "plateau": [1.0, 0.9, 0.9, 0.91, 0.9, 0.95, 0.97, 0.99, 0.9, 0.89],
    "noisy": [0.9, 0.7, 0.75, 0.65, 0.7, 0.66, 0.64, 0.69, 0.7, 0.71, 0.6],
    "rising": [0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
    "small steps": [0.5, 0.49, 0.485, 0.4849, 0.47, 0.4699, 0.4698, 0.4697, 0.46],
    "float32 ties": [0.3, 0.29999999999, 0.3, 0.2999999, 0.29999998, 0.2999999, 0.2],
}


def _logs(sequence):
    """Epoch logs as fit writes them: loss, val_loss, accuracy and val_accuracy."""
    return [{"loss": v * 1.1, "val_loss": v, "accuracy": 1.0 - v * 0.9,
             "val_accuracy": round(1.0 - v, 4)} for v in sequence]


@pytest.fixture(scope="module")
def models():
    """A tiny compiled classifier and its Keras twin, with metrics built (for mode="auto")."""
    nn.set_random_seed(0)
    model = nn.Sequential([nn.Input((3,)), nn.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=nn.optimizers.SGD(learning_rate=LEARNING_RATE),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    twin = to_keras(model)
    x, y = np.ones((4, 3), "float32"), np.array([0, 1, 0, 1])
    model.evaluate(x, y, verbose=0)
    twin.evaluate(x, y, verbose=0)
    return model, twin


def _weights_of_epoch(model, epoch):
    """Distinct weights per epoch, so a restore shows which epoch it took."""
    return [np.full(w.shape, float(epoch), dtype="float32") for w in model.get_weights()]


def drive(callback, model, logs_sequence, record):
    """Runs the epoch hooks like fit; returns one ``record(callback, model, logs)`` per epoch."""
    model.stop_training = False
    model.optimizer.learning_rate = LEARNING_RATE
    model.set_weights(_weights_of_epoch(model, -1))
    callback.set_model(model)
    callback.on_train_begin()
    rows = []
    for epoch, logs in enumerate(logs_sequence):
        callback.on_epoch_begin(epoch)
        model.set_weights(_weights_of_epoch(model, epoch))  # "training" of this epoch
        logs = dict(logs)
        callback.on_epoch_end(epoch, logs)
        rows.append(record(callback, model, logs))
        if model.stop_training:
            break
    callback.on_train_end()
    return rows


def _drive_both(cls_name, kwargs, logs_sequence, record, models):
    model, twin = models
    ours = drive(getattr(nn.callbacks, cls_name)(**kwargs), model, logs_sequence, record)
    theirs = drive(getattr(keras.callbacks, cls_name)(**kwargs), twin, logs_sequence, record)
    return ours, theirs


def _learning_rate(model):
    return float(np.asarray(model.optimizer.learning_rate))


def _as_float(value):
    return None if value is None else float(np.asarray(value))


# ---------------------------------------------------------------------------- EarlyStopping
EARLY_STOPPING = {
    "patience=0": {},
    "patience=2": {"patience": 2},
    "min_delta": {"patience": 1, "min_delta": 0.05},
    "min_delta negative": {"patience": 1, "min_delta": -0.05},
    "mode=max val_accuracy": {"monitor": "val_accuracy", "mode": "max", "patience": 1},
    "mode=auto val_accuracy": {"monitor": "val_accuracy", "patience": 2},
    "mode=min accuracy (wrong way)": {"monitor": "accuracy", "mode": "min", "patience": 1},
    "baseline": {"patience": 2, "baseline": 0.75},
    "baseline max": {"monitor": "val_accuracy", "mode": "max", "baseline": 0.3, "patience": 1},
    "start_from_epoch": {"patience": 1, "start_from_epoch": 3},
    "restore_best_weights": {"patience": 2, "restore_best_weights": True},
    "restore_best_weights without stopping": {"patience": 50, "restore_best_weights": True},
    "restore_best_weights start_from_epoch": {"patience": 1, "restore_best_weights": True,
                                              "start_from_epoch": 2},
    "monitor loss": {"monitor": "loss", "patience": 1, "min_delta": 0.01},
}


def _early_stopping_record(callback, model, logs):
    return {"wait": callback.wait, "best": _as_float(callback.best),
            "stop_training": bool(model.stop_training), "stopped_epoch": callback.stopped_epoch}


@pytest.mark.parametrize("sequence", sorted(SEQUENCES))
@pytest.mark.parametrize("config", sorted(EARLY_STOPPING))
def test_early_stopping(config, sequence, models):
    case = f"callback EarlyStopping {config} on {sequence}"
    ours, theirs = _drive_both("EarlyStopping", EARLY_STOPPING[config],
                               _logs(SEQUENCES[sequence]), _early_stopping_record, models)
    assert_same(case, "epochs run", len(ours), len(theirs))
    for epoch, (a, b) in enumerate(zip(ours, theirs)):
        assert_same(case, f"epoch {epoch} state", a, b)
    model, twin = models
    # Which epoch's weights the model holds at the end (restored, or the last epoch's).
    assert_same(case, "final weights epoch", float(model.get_weights()[0].flat[0]),
                float(twin.get_weights()[0].flat[0]))


# ---------------------------------------------------------------------------- ReduceLROnPlateau
REDUCE_LR = {
    "patience=2": {"patience": 2},
    "factor=0.5 patience=1": {"factor": 0.5, "patience": 1},
    "cooldown": {"factor": 0.5, "patience": 1, "cooldown": 2},
    "min_lr": {"factor": 0.2, "patience": 1, "min_lr": 0.003},
    "min_lr cooldown=1": {"factor": 0.3, "patience": 0, "min_lr": 0.01, "cooldown": 1},
    "min_delta": {"factor": 0.5, "patience": 1, "min_delta": 0.05},
    "mode=max val_accuracy": {"monitor": "val_accuracy", "mode": "max", "factor": 0.5,
                              "patience": 1},
    "mode=auto val_accuracy": {"monitor": "val_accuracy", "factor": 0.5, "patience": 2},
    "monitor loss": {"monitor": "loss", "factor": 0.7, "patience": 1, "min_delta": 0.0},
}


def _reduce_lr_record(callback, model, logs):
    return {"wait": callback.wait, "cooldown_counter": callback.cooldown_counter,
            "best": _as_float(callback.best), "learning_rate": _learning_rate(model),
            "logged learning_rate": logs.get("learning_rate")}


@pytest.mark.parametrize("sequence", sorted(SEQUENCES))
@pytest.mark.parametrize("config", sorted(REDUCE_LR))
def test_reduce_lr_on_plateau(config, sequence, models):
    case = f"callback ReduceLROnPlateau {config} on {sequence}"
    ours, theirs = _drive_both("ReduceLROnPlateau", REDUCE_LR[config],
                               _logs(SEQUENCES[sequence]), _reduce_lr_record, models)
    assert_same(case, "epochs run", len(ours), len(theirs))
    for epoch, (a, b) in enumerate(zip(ours, theirs)):
        assert_same(case, f"epoch {epoch} state", a, b)


# ---------------------------------------------------------------------------- LearningRateScheduler
def _step_decay(epoch, lr):
    return lr * 0.5 if epoch % 2 else lr


def _inverse_epoch(epoch):  # the older one-argument form
    return 0.1 / (epoch + 1)


def _exponential(epoch, lr):
    return lr if epoch < 2 else lr * math.exp(-0.3)


def _numpy_float(epoch, lr):
    return np.float32(lr * 0.9)


SCHEDULES = {"step decay": _step_decay, "one-argument": _inverse_epoch,
             "exponential after 2": _exponential, "returns np.float32": _numpy_float}


def _scheduler_record(callback, model, logs):
    return {"learning_rate": _learning_rate(model),
            "logged learning_rate": logs.get("learning_rate")}


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_learning_rate_scheduler(schedule, models):
    case = f"callback LearningRateScheduler {schedule}"
    sequence = _logs(SEQUENCES["noisy"])
    ours, theirs = _drive_both("LearningRateScheduler", {"schedule": SCHEDULES[schedule]},
                               sequence, _scheduler_record, models)
    assert_same(case, "epochs run", len(ours), len(theirs))
    for epoch, (a, b) in enumerate(zip(ours, theirs)):
        assert_same(case, f"epoch {epoch} learning rate", a, b)
    assert_close(case, "learning rates", [r["learning_rate"] for r in ours],
                 [r["learning_rate"] for r in theirs], rtol=0.0, atol=0.0)


def test_learning_rate_scheduler_bad_output(models):
    """Both reject a schedule that returns something other than a float, with one message."""
    model, twin = models
    messages = []
    for side, module in ((model, nn.callbacks), (twin, keras.callbacks)):
        callback = module.LearningRateScheduler(lambda epoch, lr: "fast")
        callback.set_model(side)
        with pytest.raises(ValueError) as error:
            callback.on_epoch_begin(0)
        messages.append(str(error.value))
    assert_same("callback LearningRateScheduler non-float", "message", messages[0], messages[1])


# ---------------------------------------------------------------------------- ModelCheckpoint
CHECKPOINTS = {
    "save_best_only val_loss": ({"save_best_only": True}, "ckpt_{epoch:02d}"),
    "save_best_only mode=max val_accuracy": ({"save_best_only": True, "mode": "max",
                                              "monitor": "val_accuracy"}, "ckpt_{epoch:02d}"),
    "save_best_only mode=auto val_accuracy": ({"save_best_only": True,
                                               "monitor": "val_accuracy"}, "ckpt_{epoch:02d}"),
    "save_best_only initial_value_threshold": ({"save_best_only": True,
                                                "initial_value_threshold": 0.68},
                                               "ckpt_{epoch:02d}"),
    "every epoch": ({}, "ckpt_{epoch:02d}"),
    "save_best_only name from logs": ({"save_best_only": True},
                                      "ckpt_{epoch}_{val_loss:.3f}"),
    "save_best_only one file": ({"save_best_only": True, "monitor": "loss"}, "best"),
}


def _checkpoint_record(directory, extension):
    def record(callback, model, logs):
        files = sorted(name[:-len(extension)] for name in os.listdir(directory)
                       if name.endswith(extension))
        return {"best": _as_float(callback.best), "files": files}
    return record


@pytest.mark.parametrize("sequence", ["decreasing", "noisy", "plateau"])
@pytest.mark.parametrize("config", sorted(CHECKPOINTS))
def test_model_checkpoint(config, sequence, models, tmp_path):
    kwargs, pattern = CHECKPOINTS[config]
    case = f"callback ModelCheckpoint {config} on {sequence}"
    model, twin = models
    logs = _logs(SEQUENCES[sequence])
    results = []
    for side, module, extension in ((model, nn.callbacks, ".weights.npz"),
                                    (twin, keras.callbacks, ".weights.h5")):
        directory = tmp_path / module.__name__.split(".")[0]
        directory.mkdir()
        callback = module.ModelCheckpoint(str(directory / (pattern + extension)),
                                          save_weights_only=True, **kwargs)
        results.append(drive(callback, side, logs, _checkpoint_record(directory, extension)))
    assert_same(case, "epochs run", len(results[0]), len(results[1]))
    for epoch, (a, b) in enumerate(zip(*results)):
        assert_same(case, f"epoch {epoch} best and files written", a, b)


def test_model_checkpoint_whole_model(models, tmp_path):
    """save_weights_only=False writes whole models (``.numpynet`` / ``.keras``) on the same
    epochs; the numpynet file loads back with the weights of the epoch that wrote it."""
    model, twin = models
    case = "callback ModelCheckpoint whole model"
    logs = _logs(SEQUENCES["noisy"][:5])
    results = []
    for side, module, extension in ((model, nn.callbacks, ".numpynet"),
                                    (twin, keras.callbacks, ".keras")):
        directory = tmp_path / module.__name__.split(".")[0]
        directory.mkdir()
        callback = module.ModelCheckpoint(str(directory / ("m{epoch}" + extension)),
                                          save_best_only=True)
        results.append(drive(callback, side, logs, _checkpoint_record(directory, extension)))
    assert_same(case, "files per epoch", results[0], results[1])
    last = results[0][-1]["files"][-1]
    loaded = nn.models.load_model(str(tmp_path / "numpynet" / (last + ".numpynet")))
    assert_same(case, "weights of the saved epoch", float(loaded.get_weights()[0].flat[0]),
                float(int(last[1:]) - 1))
