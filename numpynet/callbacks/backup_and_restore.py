"""``BackupAndRestore``: resume an interrupted ``fit`` exactly where it stopped."""

import json
import os
import shutil

import numpy as np

from numpynet import rng
from numpynet.callbacks.callback import Callback
from numpynet.utils.io import CORRUPT_FILE_ERRORS, atomic_write, load_npz

_WEIGHT = "weight_"
_OPTIMIZER = "optimizer/"


class BackupAndRestore(Callback):
    """Backs up the training state at each epoch end and restores it when ``fit`` restarts.

    The state is one ``.npz`` file in ``backup_dir``, replaced atomically: every weight value
    (trainable or not, e.g. BatchNormalization's moving statistics), the optimizer state (Adam's
    moments and step count), the number of finished epochs, and the state of numpynet's random
    generator. When ``fit`` begins and a backup exists, all of it is restored and ``fit``
    resumes at the first unfinished epoch, so an interrupted run ends with the same weights as
    an uninterrupted one. Keras keeps the weights (with the optimizer state) and the epoch, not
    the random state; numpynet keeps it too, so shuffling and Dropout repeat as well.

    With an integer ``save_freq`` the backup is also written every ``save_freq`` batches; as in
    Keras, a run resumed from such a backup restarts the unfinished epoch from its beginning
    with the weights of that moment.

    Args:
        backup_dir: directory for the backup, used by nothing else: it is deleted at the end.
        save_freq: ``"epoch"`` or an integer number of batches.
        double_checkpoint: keep the previous backup too and fall back to it if the latest one
            cannot be read.
        delete_checkpoint: delete ``backup_dir`` when ``fit`` ends normally (an exception
            leaves it, to resume from).

    Raises:
        ValueError: on an empty ``backup_dir`` or a wrong ``save_freq``; at ``fit`` start, if
            the model is not built or the backup does not fit the model.

    Example:
        >>> backup = nn.callbacks.BackupAndRestore("/tmp/backup")
        >>> model.fit(x, y, epochs=10, callbacks=[backup])  # interrupted at epoch 4...
        >>> model.fit(x, y, epochs=10, callbacks=[backup])  # ...runs epochs 5 to 10 only
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq}. Expected either 'epoch' or an integer "
                             "value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._backup_path = os.path.join(self.backup_dir, "latest.backup.npz")
        self._prev_backup_path = f"{self._backup_path}.bkp"
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

    # ---------------------------------------------------------------- restore
    def on_train_begin(self, logs=None):
        if not self.model.built:
            raise ValueError(f"To use the BackupAndRestore callback, your model must be built "
                             f"before you call `fit()`. Model {self.model.name!r} is unbuilt. "
                             "You can build it beforehand by calling it on a batch of data.")
        try:
            self._load_backup(self._backup_path)
        except ValueError:
            # The latest backup cannot be read: use the previous one if we kept it.
            if not (self.double_checkpoint and os.path.exists(self._prev_backup_path)):
                raise
            self._load_backup(self._prev_backup_path)

    def _load_backup(self, path):
        if not os.path.exists(path):
            return
        stored = self._read_backup(path)
        weights = [stored[f"{_WEIGHT}{i}"] for i in range(int(stored["num_weights"]))]
        optimizer_state = {key[len(_OPTIMIZER):]: value for key, value in stored.items()
                           if key.startswith(_OPTIMIZER)}
        optimizer = self.model.optimizer
        try:
            self.model.set_weights(weights)
            if optimizer_state and optimizer is not None:
                if not optimizer.built:  # its slots must exist before they can be loaded
                    optimizer.build(self.model.trainable_weights)
                optimizer.set_state(optimizer_state)
        except ValueError as error:
            raise ValueError(f"BackupAndRestore: the backup {path!r} does not fit model "
                             f"{self.model.name!r} ({error}). Delete {self.backup_dir!r} to "
                             "start afresh.") from None
        generator = rng.generator().bit_generator
        random_state = json.loads(str(stored["random_state"]))
        if random_state.get("bit_generator") == generator.state["bit_generator"]:
            generator.state = random_state
        self._current_epoch = int(stored["epoch"])
        self.model._initial_epoch = self._current_epoch

    def _read_backup(self, path):
        try:
            stored = load_npz(path)
            required = ["epoch", "random_state", "num_weights"]
            required += [f"{_WEIGHT}{i}" for i in range(int(stored.get("num_weights", 0)))]
            missing = [key for key in required if key not in stored]
            if missing:
                raise KeyError(f"missing entries {missing}")
        except (KeyError, TypeError, *CORRUPT_FILE_ERRORS) as error:
            raise ValueError(f"BackupAndRestore: cannot read the backup {path!r} "
                             f"({type(error).__name__}: {error}). Delete {self.backup_dir!r} "
                             "to start afresh.") from None
        return stored

    # ---------------------------------------------------------------- back up
    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_backup()

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_backup()

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch: batches are 0-based
            add_batches = batch + 1
        else:
            add_batches = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_backup(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._backup_path):
            with open(self._backup_path, "rb") as src, \
                    atomic_write(self._prev_backup_path, mode="wb") as dst:
                shutil.copyfileobj(src, dst)
        arrays = {f"{_WEIGHT}{i}": w for i, w in enumerate(self.model.get_weights())}
        arrays["num_weights"] = np.array(len(arrays))
        if self.model.optimizer is not None:
            for key, value in self.model.optimizer.get_state().items():
                arrays[f"{_OPTIMIZER}{key}"] = np.asarray(value)
        arrays["epoch"] = np.array(self._current_epoch)
        arrays["batch"] = np.array(self._last_batch_seen)
        arrays["random_state"] = np.array(json.dumps(rng.generator().bit_generator.state))
        with atomic_write(self._backup_path, mode="wb") as f:
            np.savez(f, **arrays)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)
