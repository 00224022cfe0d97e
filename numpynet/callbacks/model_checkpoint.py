"""``ModelCheckpoint``: saves the model (or its weights) every epoch or every N batches."""

import os
import warnings

import numpy as np

from numpynet.callbacks.early_stopping import MonitorCallback

WEIGHTS_EXTENSION = ".npz"  # ".weights.npz" also ends so; Keras asks for ".weights.h5"
MODEL_EXTENSION = ".numpynet"  # Keras asks for ".keras"


class ModelCheckpoint(MonitorCallback):
    """Saves the model or its weights during training, as ``keras.callbacks.ModelCheckpoint``.

    Every file is written atomically (by ``model.save`` / ``model.save_weights``), so an
    interrupted run never leaves a half-written checkpoint.

    Args:
        filepath: where to save; may hold ``str.format`` fields filled with ``epoch``
            (1-based, as Keras), ``batch`` (1-based, with an integer ``save_freq``) and any
            ``logs`` key, e.g. ``"ckpt/{epoch:02d}-{val_loss:.2f}.weights.npz"``. It must end
            in ``.npz`` (e.g. ``.weights.npz``) when ``save_weights_only=True``, else in
            ``.numpynet``.
        monitor: the ``logs`` key that decides which model is best. Default ``"val_loss"``.
        verbose: 1 prints a message at every save decision.
        save_best_only: save only when ``monitor`` improves on the best value so far.
        save_weights_only: save with ``model.save_weights`` instead of ``model.save``.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        save_freq: ``"epoch"``, or an integer number of batches between saves.
        initial_value_threshold: initial "best" value for ``save_best_only``.

    Raises:
        ValueError: on a wrong ``save_freq`` or a ``filepath`` with the wrong extension.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if self.save_freq != "epoch" and not isinstance(self.save_freq, int):
            raise ValueError(f"Unrecognized save_freq: {self.save_freq}. "
                             "Expected save_freq are 'epoch' or integer values")
        if save_weights_only and not self.filepath.endswith(WEIGHTS_EXTENSION):
            raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the "
                             "filepath provided must end in `.weights.npz` or `.npz` (numpynet "
                             f"weights format). Received: filepath={self.filepath}")
        if not save_weights_only and not self.filepath.endswith(MODEL_EXTENSION):
            raise ValueError("The filepath provided must end in `.numpynet` (numpynet model "
                             f"format). Received: filepath={self.filepath}")

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            add_batches = batch + 1  # a new epoch: batches are 0-based
        else:
            add_batches = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch, logs, filepath):
        """True unless ``save_best_only`` and the monitored value did not improve."""
        logs = logs or {}
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=2)
            return True
        if isinstance(current, np.ndarray) and current.ndim > 0:
            warnings.warn("Can save best model only when `monitor` is a scalar value. "
                          f"Received: {current}. Falling back to `save_best_only=False`.",
                          stacklevel=2)
            return True
        if self.monitor_op is None:  # a batch-level save before the first epoch end
            self._set_monitor_op()
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise OSError("Please specify a non-directory filepath for ModelCheckpoint. "
                          f"Filepath used is an existing directory: {filepath}")
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs):
        """Fills ``filepath``'s fields: ``epoch`` and ``batch`` are 1-based, as in Keras."""
        logs = logs or {}
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {e}") from None
