"""BackupAndRestore: an interrupted fit resumes where Keras would resume it, to the same weights.

The models and data are those of ``test_callbacks.py``.
"""

import os

import numpy as np
import pytest
from test_callbacks import tiny_data, tiny_model

import numpynet as nn
from numpynet.callbacks import BackupAndRestore, Callback


class InterruptOnce(Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch, self.done = epoch, False

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch and not self.done:
            self.done = True
            raise RuntimeError("Interrupting!")


@pytest.mark.parametrize("shuffle, dropout", [(False, False), (True, True)])
def test_backup_and_restore_resumes_to_identical_weights(tmp_path, shuffle, dropout):
    x, y = tiny_data(32)
    fit = dict(batch_size=8, epochs=5, verbose=0, shuffle=shuffle)
    reference = tiny_model("adam", dropout=dropout)
    reference.fit(x, y, **fit)

    backup_dir = tmp_path / "backup"
    model = tiny_model("adam", dropout=dropout)
    with pytest.raises(RuntimeError, match="Interrupting!"):
        model.fit(x, y, callbacks=[BackupAndRestore(backup_dir), InterruptOnce(3)], **fit)
    assert os.listdir(backup_dir) == ["latest.backup.npz"]

    # A new process: a new model and optimizer, other weights, another random state.
    restarted = tiny_model("adam", seed=99, dropout=dropout)
    history = restarted.fit(x, y, callbacks=[BackupAndRestore(backup_dir)], **fit)
    assert history.epoch == [3, 4]
    for got, want in zip(restarted.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert not backup_dir.exists()  # deleted after the successful end


def test_backup_and_restore_keeps_the_backup_on_request_and_reports_problems(tmp_path):
    x, y = tiny_data()
    backup_dir = tmp_path / "backup"
    model = tiny_model()
    model.fit(x, y, epochs=2, verbose=0,
              callbacks=[BackupAndRestore(backup_dir, delete_checkpoint=False)])
    assert (backup_dir / "latest.backup.npz").exists()
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[BackupAndRestore(backup_dir)])
    assert history.epoch == [2]

    other = nn.Sequential([nn.Input((3,)), nn.layers.Dense(2)])
    other.compile("sgd", "mse")
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[BackupAndRestore(backup_dir, delete_checkpoint=False)])
    with pytest.raises(ValueError, match="BackupAndRestore: the backup .* does not fit model"):
        other.fit(x, y[:, :1].repeat(2, 1), verbose=0, callbacks=[BackupAndRestore(backup_dir)])
    (backup_dir / "latest.backup.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="BackupAndRestore: cannot read the backup"):
        model.fit(x, y, verbose=0, callbacks=[BackupAndRestore(backup_dir)])
    unbuilt = nn.Sequential([nn.layers.Dense(1)])
    backup = BackupAndRestore(backup_dir)
    backup.set_model(unbuilt)
    with pytest.raises(ValueError, match="your model must be built before you call `fit\\(\\)`"):
        backup.on_train_begin()
    with pytest.raises(ValueError, match="Empty `backup_dir` argument passed"):
        BackupAndRestore("")
    with pytest.raises(ValueError, match="Received: save_freq=daily"):
        BackupAndRestore(backup_dir, save_freq="daily")


def test_backup_and_restore_double_checkpoint_falls_back(tmp_path):
    x, y = tiny_data()
    backup_dir = tmp_path / "backup"
    keep = dict(double_checkpoint=True, delete_checkpoint=False)
    model = tiny_model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(backup_dir, **keep)])
    (backup_dir / "latest.backup.npz").write_bytes(b"torn")
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[BackupAndRestore(backup_dir,
                                                                               **keep)])
    assert history.epoch == [1, 2]  # the previous backup: after epoch 1


class InterruptAtBatch(Callback):
    """Raises once, before training batch ``batch`` of epoch ``epoch``: mid-epoch."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch, self.done = (epoch, batch), None, False

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at and not self.done:
            self.done = True
            raise RuntimeError("Interrupting!")


@pytest.mark.parametrize("shuffle, dropout", [(False, False), (True, True)])
def test_backup_and_restore_resumes_an_epoch_interrupted_midway(tmp_path, shuffle, dropout):
    # save_freq="epoch": the backup is the state at the end of epoch 1; batches 0-1 of epoch 2
    # (their updates, their shuffling and dropout draws) are lost and redone identically.
    x, y = tiny_data(32)
    fit = dict(batch_size=8, epochs=5, verbose=0, shuffle=shuffle)
    reference = tiny_model("adam", dropout=dropout)
    reference.fit(x, y, **fit)

    backup_dir = tmp_path / "backup"
    model = tiny_model("adam", dropout=dropout)
    interrupt = InterruptAtBatch(epoch=2, batch=2)
    with pytest.raises(RuntimeError, match="Interrupting!"):
        model.fit(x, y, callbacks=[BackupAndRestore(backup_dir), interrupt], **fit)
    assert interrupt.done
    interrupted = model.get_weights()  # two batches into epoch 2: not the backup's weights
    stored = np.load(backup_dir / "latest.backup.npz")
    assert int(stored["epoch"]) == 2
    assert not np.array_equal(stored["weight_0"], interrupted[0])

    restarted = tiny_model("adam", seed=99, dropout=dropout)
    history = restarted.fit(x, y, callbacks=[BackupAndRestore(backup_dir)], **fit)
    assert history.epoch == [2, 3, 4]
    for got, want in zip(restarted.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_backup_and_restore_with_integer_save_freq_restarts_the_unfinished_epoch(tmp_path):
    # Keras 3.15 (keras/src/callbacks/backup_and_restore.py): with save_freq=N the backup is
    # written every N training batches, counted across epochs, with the metadata
    # {"epoch": finished epochs, "batch": last batch seen}; on restart only "epoch" is read
    # (model._initial_epoch), so the unfinished epoch runs again from its first batch, starting
    # from the weights of the mid-epoch backup. Checked against keras.callbacks.BackupAndRestore
    # on this model (TensorFlow backend, same initial weights): it writes {"epoch": 2,
    # "batch": 0}, resumes with epochs [2, 3, 4] and ends within 6e-8 of these weights.
    x, y = tiny_data(32)
    fit = dict(batch_size=8, epochs=5, verbose=0, shuffle=False)  # 4 batches per epoch
    backup_dir = tmp_path / "backup"
    saved = []  # (epoch, batch) of each backup, read back from the file

    class ReadBackup(Callback):
        def on_train_batch_end(self, batch, logs=None):
            path = backup_dir / "latest.backup.npz"
            if path.exists():
                stored = np.load(path)
                mark = (int(stored["epoch"]), int(stored["batch"]))
                if not saved or saved[-1] != mark:
                    saved.append(mark)

    model = tiny_model("adam")
    with pytest.raises(RuntimeError, match="Interrupting!"):
        model.fit(x, y, callbacks=[BackupAndRestore(backup_dir, save_freq=3), ReadBackup(),
                                   InterruptAtBatch(epoch=2, batch=2)], **fit)
    # Every 3rd batch over 4-batch epochs: epoch 0 batch 2, epoch 1 batch 1, epoch 2 batch 0.
    assert saved == [(0, 2), (1, 1), (2, 0)]

    restarted = tiny_model("adam", seed=99)
    history = restarted.fit(x, y, callbacks=[BackupAndRestore(backup_dir, save_freq=3)], **fit)
    assert history.epoch == [2, 3, 4]  # epoch 2 again, from its first batch

    # The same trajectory by hand: epochs 0-1, batch 0 of epoch 2 (in the backup), then
    # epochs 2-4 in full: batch 0 of epoch 2 is applied twice.
    replay = tiny_model("adam")
    replay.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    replay.train_on_batch(x[:8], y[:8])
    replay.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False)
    for got, want in zip(restarted.get_weights(), replay.get_weights()):
        np.testing.assert_array_equal(got, want)
    uninterrupted = tiny_model("adam")
    uninterrupted.fit(x, y, **fit)
    assert not np.allclose(restarted.get_weights()[0], uninterrupted.get_weights()[0])
