"""Keras' callback protocol and the standard callbacks: hook order, decisions, files."""

import os

import numpy as np
import pytest

import numpynet as nn
from numpynet.callbacks import (
    BackupAndRestore,
    Callback,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)


def tiny_model(optimizer="sgd", seed=0, dropout=False):
    nn.set_random_seed(seed)
    layers = [nn.layers.Dense(4, activation="relu")]
    if dropout:
        layers.append(nn.layers.Dropout(0.5))
    model = nn.Sequential([nn.Input((3,)), *layers, nn.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def tiny_data(n=8, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32"))


def feed(callback, values, monitor="val_loss", model=None):
    """Calls the epoch hooks with ``{monitor: value}`` logs; returns the epoch that stopped."""
    model = model or tiny_model()
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {monitor: value})
        if model.stop_training:
            return epoch
    return None


# ---------------------------------------------------------------- the protocol
class Recorder(Callback):
    """Records every hook call as ``(name, first argument)``."""

    def __init__(self):
        super().__init__()
        self.calls = []
        self.logs = {}

    def __getattribute__(self, name):
        if name.startswith("on_"):
            def hook(*args, **kwargs):
                self.calls.append((name, args[0] if args and not isinstance(args[0], dict)
                                   else None))
                logs = kwargs.get("logs", args[-1] if args else None)
                self.logs[name] = dict(logs) if isinstance(logs, dict) else logs
            return hook
        return super().__getattribute__(name)


def test_fit_calls_every_hook_in_keras_order_with_validation_inside_the_epoch():
    x, y = tiny_data(4)
    recorder = Recorder()
    model = tiny_model()
    model.fit(x, y, batch_size=2, epochs=2, validation_data=(x[:2], y[:2]), shuffle=False,
              verbose=0, callbacks=[recorder])
    epoch = lambda e: [  # noqa: E731
        ("on_epoch_begin", e),
        ("on_train_batch_begin", 0), ("on_train_batch_gradients", 0), ("on_train_batch_end", 0),
        ("on_train_batch_begin", 1), ("on_train_batch_gradients", 1), ("on_train_batch_end", 1),
        ("on_test_begin", None), ("on_test_batch_begin", 0), ("on_test_batch_end", 0),
        ("on_test_end", None), ("on_epoch_end", e)]
    assert recorder.calls == [("on_train_begin", None), *epoch(0), *epoch(1),
                              ("on_train_end", None)]
    assert set(recorder.logs["on_epoch_end"]) == {"loss", "val_loss"}
    assert recorder.logs["on_train_end"] == recorder.logs["on_epoch_end"]
    assert set(recorder.logs["on_train_batch_gradients"]) == {
        w.path for w in model.trainable_weights}
    assert recorder.logs["on_test_end"]["loss"] == recorder.logs["on_epoch_end"]["val_loss"]


def test_evaluate_and_predict_call_their_hooks():
    x, y = tiny_data(4)
    model = tiny_model()
    recorder = Recorder()
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[recorder])
    model.predict(x, batch_size=4, verbose=0, callbacks=[recorder])
    assert [name for name, _ in recorder.calls] == [
        "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
        "on_predict_begin", "on_predict_batch_begin", "on_predict_batch_end", "on_predict_end"]


class LegacyBatchHooks(Callback):
    """A callback written for Keras' old ``on_batch_begin`` / ``on_batch_end`` hooks."""

    def __init__(self):
        super().__init__()
        self.begin, self.end = [], []

    def on_batch_begin(self, batch, logs=None):
        self.begin.append(batch)

    def on_batch_end(self, batch, logs=None):
        self.end.append((batch, logs))


def test_legacy_on_batch_hooks_run_once_per_training_batch_only():
    # Keras' Callback.on_train_batch_begin/_end call on_batch_begin/_end; the test and predict
    # hooks call nothing (keras/src/callbacks/callback.py).
    x, y = tiny_data(10)
    legacy = LegacyBatchHooks()
    model = tiny_model()
    model.fit(x, y, batch_size=4, epochs=2, validation_data=(x, y), verbose=0, shuffle=False,
              callbacks=[legacy])
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[legacy])
    model.predict(x, batch_size=4, verbose=0, callbacks=[legacy])
    assert legacy.begin == [0, 1, 2, 0, 1, 2]  # 3 training batches per epoch, 2 epochs
    assert [batch for batch, _ in legacy.end] == [0, 1, 2, 0, 1, 2]
    assert list(legacy.end[0][1]) == ["loss"]  # on_train_batch_end's logs, passed on
    assert legacy.end[-1][1]["loss"] == model.history.history["loss"][-1]  # the running mean

    class OwnTrainBatchEnd(LegacyBatchHooks):  # overriding the new hook replaces the alias
        def on_train_batch_end(self, batch, logs=None):
            pass

    own = OwnTrainBatchEnd()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[own])
    assert own.begin == [0, 1, 2] and own.end == []
    # CallbackList dispatches the legacy hooks as well, pythonifying the logs.
    nn.callbacks.CallbackList([legacy]).on_batch_end(7, {"loss": np.float32(0.5)})
    assert legacy.end[-1] == (7, {"loss": 0.5}) and type(legacy.end[-1][1]["loss"]) is float


def test_default_callbacks_follow_the_users_history_first_then_progbar_as_keras():
    # keras/src/callbacks/callback_list.py, _add_default_callbacks: History is appended, then
    # ProgbarLogger; callbacks the user passed are kept where they are and not duplicated.
    from numpynet.callbacks import CallbackList, History, ProgbarLogger

    model = tiny_model()
    user = Callback()
    params = dict(verbose=1, epochs=3, steps=2)
    callbacks = CallbackList([user], add_history=True, add_progbar=True, model=model, **params)
    assert [type(c) for c in callbacks] == [Callback, History, ProgbarLogger]
    assert model.history is callbacks.callbacks[1]  # set by set_model, before any epoch
    assert all(c.model is model and c.params == params for c in callbacks)

    mine = [ProgbarLogger(), user, History()]
    callbacks = CallbackList(mine, add_history=True, add_progbar=True, model=model, **params)
    assert callbacks.callbacks == mine

    # fit's own list: a callback that sees every other through the model's history.
    seen = []
    spy = LambdaCallback(on_train_begin=lambda logs: seen.append(model.history))
    history = model.fit(*tiny_data(4), epochs=1, verbose=0, callbacks=[spy])
    assert seen == [history] and history.epoch == [0]
    # No params given: the callbacks keep theirs (Keras' CallbackList.set_params).
    CallbackList([user])
    assert user.params == params


def test_fit_that_runs_no_epoch_returns_a_new_empty_history(tmp_path):
    # A backup taken after the last epoch leaves nothing to run: fit still returns its own
    # History (Keras sets model.history when the CallbackList gets the model).
    x, y = tiny_data()
    backup_dir = tmp_path / "backup"
    model = tiny_model()
    first = model.fit(x, y, epochs=2, verbose=0,
                      callbacks=[BackupAndRestore(backup_dir, delete_checkpoint=False)])
    again = model.fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(backup_dir)])
    assert again is not first and again.epoch == [] and again.history == {}
    assert first.epoch == [0, 1]


# ---------------------------------------------------------------- EarlyStopping
@pytest.mark.parametrize("kwargs, values, stopped", [
    ({}, [1.0, 0.9, 0.95], 2),                               # patience 0: first non-improvement
    ({"patience": 2}, [1.0, 0.9, 0.95, 0.92, 0.8], 3),       # two epochs without improvement
    ({"patience": 1}, [1.0, 1.0], 1),                        # equal is no improvement
    ({"patience": 1, "min_delta": 0.1}, [1.0, 0.95], 1),     # smaller than min_delta
    ({"patience": 1, "min_delta": -0.1}, [1.0, 0.85, 0.8], 2),  # sign of min_delta ignored
    ({"patience": 2, "baseline": 0.5}, [0.9, 0.8, 0.8], 2),  # never beat the baseline
    ({"patience": 2, "baseline": 0.5}, [0.9, 0.4, 0.45, 0.46], 3),  # beat it: wait restarts
    ({"start_from_epoch": 2}, [1.0, 2.0, 3.0, 4.0], 3),      # epochs 0-1 are warm-up
    ({}, [5.0], None),                                        # never stops at epoch 0
])
def test_early_stopping_decisions(kwargs, values, stopped):
    assert feed(EarlyStopping(**kwargs), values) == stopped


def test_early_stopping_in_max_mode_and_auto_mode_for_loss():
    assert feed(EarlyStopping("val_accuracy", mode="max", patience=1),
                [0.5, 0.6, 0.6], "val_accuracy") == 2
    assert feed(EarlyStopping("loss", patience=1), [1.0, 2.0], "loss") == 1
    assert feed(EarlyStopping("loss", patience=1), [2.0, 1.0, 0.5], "loss") is None


def test_early_stopping_restores_best_weights_even_without_stopping(capsys):
    model = tiny_model()
    stop = EarlyStopping(patience=5, restore_best_weights=True, verbose=1)
    stop.set_model(model)
    stop.on_train_begin()
    snapshots = []
    for epoch, value in enumerate([1.0, 0.5, 0.7]):
        model.set_weights([np.full_like(w, epoch) for w in model.get_weights()])
        snapshots.append(model.get_weights())
        stop.on_epoch_end(epoch, {"val_loss": value})
    assert not model.stop_training
    stop.on_train_end()
    for got, want in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(got, want)
    assert "Restoring model weights from the end of the best epoch: 2." in capsys.readouterr().out


def test_early_stopping_stops_a_fit_and_says_so(capsys):
    x, y = tiny_data()
    stop = EarlyStopping("loss", patience=0, verbose=1)
    model = tiny_model()
    grow = LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(loss=float(epoch)))
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[grow, stop])
    assert len(history.history["loss"]) == 2 and stop.stopped_epoch == 1
    assert "Epoch 2: early stopping" in capsys.readouterr().out


def test_early_stopping_warns_when_the_monitor_is_missing_and_rejects_unknown_directions():
    with pytest.warns(UserWarning, match="Early stopping conditioned on metric `val_loss` "
                                         "which is not available. Available metrics are: loss"):
        assert feed(EarlyStopping(), [1.0, 2.0], monitor="loss") is None
    with pytest.raises(ValueError, match="monitor=foo, but numpynet isn't able to automatically"):
        feed(EarlyStopping("foo"), [1.0], monitor="foo")
    with pytest.warns(UserWarning, match="EarlyStopping mode 'up' is unknown, fallback"):
        EarlyStopping(mode="up")


def test_auto_mode_follows_the_metric_direction():
    x, y = tiny_data()
    model = tiny_model()
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(x, y, epochs=1, verbose=0)  # builds the metric objects
    metric = model.compiled_metrics._named()[0][1]
    metric._direction = "up"  # as Keras' accuracy metrics: bigger is better
    assert feed(EarlyStopping("val_mae", patience=1), [0.5, 0.4], "val_mae", model) == 1
    metric._direction = "down"
    assert feed(EarlyStopping("val_mae", patience=1), [0.5, 0.4], "val_mae", model) is None


# ---------------------------------------------------------------- ReduceLROnPlateau
def lr_trajectory(callback, values, lr=1.0):
    model = tiny_model(nn.optimizers.SGD(learning_rate=lr))
    callback.set_model(model)
    callback.on_train_begin()
    logged, after = [], []
    for epoch, value in enumerate(values):
        logs = {"val_loss": value}
        callback.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
        after.append(float(model.optimizer.learning_rate))
    return logged, after


def test_reduce_lr_on_plateau_with_cooldown():
    logged, after = lr_trajectory(ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2),
                                  [1.0] * 6)
    assert after == pytest.approx([1.0, 0.5, 0.5, 0.25, 0.25, 0.125])
    assert logged == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.25, 0.25])  # logged before reducing


def test_reduce_lr_on_plateau_stops_at_min_lr_and_needs_min_delta():
    _, after = lr_trajectory(ReduceLROnPlateau(factor=0.5, patience=1, cooldown=1, min_lr=0.2),
                             [1.0] * 6)
    assert after == pytest.approx([1.0, 0.5, 0.25, 0.2, 0.2, 0.2])
    _, after = lr_trajectory(ReduceLROnPlateau(factor=0.5, patience=1),
                             [1.0, 0.99995, 0.999, 0.9])  # min_delta 1e-4 by default
    assert after == pytest.approx([1.0, 0.5, 0.5, 0.5])


def test_reduce_lr_on_plateau_errors():
    with pytest.raises(ValueError, match="does not support a factor >= 1.0. Received factor=2"):
        ReduceLROnPlateau(factor=2)
    with pytest.warns(UserWarning, match="conditioned on metric `val_loss` which is not"):
        feed(ReduceLROnPlateau(), [1.0], monitor="loss")


# ---------------------------------------------------------------- LearningRateScheduler
def test_learning_rate_scheduler_sets_the_rate_each_epoch():
    x, y = tiny_data()
    model = tiny_model(nn.optimizers.SGD(learning_rate=0.01))
    seen = []
    spy = LambdaCallback(on_epoch_begin=lambda epoch, logs=None: seen.append(
        float(model.optimizer.learning_rate)))
    halve = LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[halve, spy])
    assert seen == pytest.approx([0.005, 0.0025, 0.00125])
    assert history.history["learning_rate"] == pytest.approx([0.005, 0.0025, 0.00125])
    by_epoch = LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1))  # the old one-argument form
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[by_epoch])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.2])


def test_learning_rate_scheduler_rejects_a_non_float():
    x, y = tiny_data()
    with pytest.raises(ValueError, match="output of the `schedule` function should be a float. "
                                         "Got: 1"):
        tiny_model().fit(x, y, verbose=0, callbacks=[LearningRateScheduler(lambda e, lr: 1)])
    model = tiny_model()
    model.optimizer = object()
    with pytest.raises(ValueError, match='Optimizer must have a "learning_rate" attribute.'):
        scheduler = LearningRateScheduler(lambda e, lr: lr)
        scheduler.set_model(model)
        scheduler.on_epoch_begin(0)


# ---------------------------------------------------------------- ModelCheckpoint
def test_model_checkpoint_save_best_only_file_names(tmp_path):
    pattern = str(tmp_path / "ckpt" / "{epoch:02d}-{val_loss:.2f}.weights.npz")
    model = tiny_model()
    check = ModelCheckpoint(pattern, save_best_only=True, save_weights_only=True)
    check.set_model(model)
    saved = {}
    for epoch, value in enumerate([0.5, 0.6, 0.4]):
        model.set_weights([np.full_like(w, epoch) for w in model.get_weights()])
        saved[epoch] = model.get_weights()
        check.on_epoch_begin(epoch)
        check.on_epoch_end(epoch, {"val_loss": value})
    assert sorted(os.listdir(tmp_path / "ckpt")) == ["01-0.50.weights.npz", "03-0.40.weights.npz"]
    fresh = tiny_model(seed=5)
    fresh.load_weights(tmp_path / "ckpt" / "03-0.40.weights.npz")
    for got, want in zip(fresh.get_weights(), saved[2]):
        np.testing.assert_array_equal(got, want)


def test_model_checkpoint_threshold_batches_and_full_models(tmp_path):
    model = tiny_model()
    check = ModelCheckpoint(str(tmp_path / "b{val_loss:.1f}.npz"), save_best_only=True,
                            save_weights_only=True, initial_value_threshold=0.45)
    feed(check, [0.5, 0.4], model=model)
    assert os.listdir(tmp_path) == ["b0.4.npz"]
    x, y = tiny_data(8)
    batches = ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.weights.npz"),
                              save_weights_only=True, save_freq=2)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[batches])
    assert {"e1-b2.weights.npz", "e1-b4.weights.npz"} <= set(os.listdir(tmp_path))
    full = ModelCheckpoint(str(tmp_path / "model-{epoch}.numpynet"), monitor="loss")
    model.fit(x, y, epochs=2, verbose=0, callbacks=[full])
    loaded = nn.models.load_model(tmp_path / "model-2.numpynet")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_model_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match="must end in `.weights.npz` or `.npz`.*filepath=w.h5"):
        ModelCheckpoint("w.h5", save_weights_only=True)
    with pytest.raises(ValueError, match="must end in `.numpynet`.*filepath=m.keras"):
        ModelCheckpoint("m.keras")
    with pytest.raises(ValueError, match="Unrecognized save_freq: often"):
        ModelCheckpoint("m.numpynet", save_freq="often")
    with pytest.raises(KeyError, match='Failed to format this callback filepath: "{acc}.npz"'):
        feed(ModelCheckpoint("{acc}.npz", save_weights_only=True), [1.0])
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(OSError, match="Please specify a non-directory filepath"):
        feed(ModelCheckpoint(str(tmp_path / "d.npz"), save_weights_only=True), [1.0])


def test_model_checkpoint_messages_and_warnings(tmp_path, capsys):
    check = ModelCheckpoint(str(tmp_path / "w.npz"), save_best_only=True,
                            save_weights_only=True, verbose=1)
    feed(check, [0.5, 0.7])
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from None to 0.50000, saving model to" in out
    assert "Epoch 2: val_loss did not improve from 0.50000" in out
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        feed(ModelCheckpoint(str(tmp_path / "w.npz"), save_best_only=True,
                             save_weights_only=True), [0.5], monitor="loss")
    with pytest.warns(UserWarning, match="when `monitor` is a scalar value"):
        feed(ModelCheckpoint(str(tmp_path / "w.npz"), save_best_only=True,
                             save_weights_only=True), [np.ones(2)])


# ---------------------------------------------------------------- CSVLogger
def read_rows(path):
    with open(path, newline="") as f:
        text = f.read()
    assert text.endswith("\r\n")  # the csv module's Excel dialect, as Keras writes
    return [line.split(",") for line in text.split("\r\n")[:-1]]


def test_csv_logger_writes_and_appends(tmp_path):
    path = tmp_path / "log.csv"
    x, y = tiny_data()
    model = tiny_model()
    history = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y),
                        callbacks=[CSVLogger(path)])
    rows = read_rows(path)
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    assert [float(r[1]) for r in rows[1:]] == history.history["loss"]
    model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, append=True)])
    rows = read_rows(path)
    assert len(rows) == 4 and rows[3][0] == "0" and rows[3][2] == "NA"  # one header only
    model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, separator=";")])
    assert open(path).read().splitlines()[0] == "epoch;loss;val_loss"  # overwritten, no val
    assert len(read_rows(path)) == 2


def test_csv_logger_keeps_finished_rows_when_training_is_interrupted(tmp_path):
    path = tmp_path / "log.csv"
    x, y = tiny_data()

    def crash(epoch, logs=None):
        if epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tiny_model().fit(x, y, epochs=5, verbose=0,
                         callbacks=[CSVLogger(path), LambdaCallback(on_epoch_begin=crash)])
    assert [r[0] for r in read_rows(path)] == ["epoch", "0", "1"]
    assert os.listdir(tmp_path) == ["log.csv"]  # no temporary file left behind


# ---------------------------------------------------------------- LambdaCallback, TerminateOnNaN
def test_lambda_callback_calls_its_functions():
    x, y = tiny_data()
    events = []
    callback = LambdaCallback(on_train_begin=lambda logs=None: events.append("begin"),
                              on_epoch_end=lambda epoch, logs: events.append(epoch),
                              on_test_end=lambda logs: events.append("test"))
    tiny_model().fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[callback])
    assert events == ["begin", "test", 0, "test", 1]
    with pytest.raises(ValueError, match=r"\['on_epoch_ends'\], which are not callback hooks"):
        LambdaCallback(on_epoch_ends=print)


def test_terminate_on_nan_stops_a_diverging_fit(capsys):
    x, y = tiny_data(64)
    model = tiny_model(nn.optimizers.SGD(learning_rate=1e6))
    with np.errstate(all="ignore"):
        history = model.fit(x * 100, y, batch_size=8, epochs=5, verbose=0,
                            callbacks=[TerminateOnNaN()])
    out = capsys.readouterr().out
    assert len(history.history["loss"]) == 1
    assert "Invalid loss, terminating training (loss = " in out
    assert ("nan" in out or "inf" in out) and out.startswith("Batch ")


def test_terminate_on_nan_messages_and_raise_error(capsys):
    model = tiny_model()
    callback = TerminateOnNaN()
    callback.set_model(model)
    callback.on_train_batch_end(2, {"loss": 1.0})
    assert not model.stop_training
    callback.on_train_batch_end(3, {"loss": float("inf")})
    assert model.stop_training
    assert capsys.readouterr().out == ("Batch 3: Invalid loss, terminating training "
                                       "(loss = inf).\n")
    strict = TerminateOnNaN(raise_error=True)
    strict.set_model(model)
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 4. Loss value: "
                                           "nan. Terminating training immediately."):
        strict.on_train_batch_end(4, {"loss": float("nan")})
