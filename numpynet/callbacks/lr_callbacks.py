"""Callbacks that change the learning rate: ``LearningRateScheduler`` and ``ReduceLROnPlateau``.

Both write the optimizer's current rate into the epoch ``logs`` as ``"learning_rate"``, so it
shows up in ``History`` and in ``CSVLogger`` files, as in Keras.
"""

import warnings

import numpy as np

from numpynet.callbacks.callback import Callback
from numpynet.callbacks.early_stopping import MonitorCallback


def _log_learning_rate(model, logs):
    if logs is not None:
        logs["learning_rate"] = float(model.optimizer.learning_rate)


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch from ``schedule``.

    Args:
        schedule: function ``(epoch, lr) -> new lr`` (epoch 0-based, lr a float); a function of
            ``epoch`` alone is accepted too, as in Keras.
        verbose: 1 prints the new rate at every epoch.

    Raises:
        ValueError: if ``schedule`` returns something other than a float.

    Example:
        >>> def schedule(epoch, lr):
        ...     return lr if epoch < 10 else lr * 0.9
        >>> model.fit(x, y, epochs=15, callbacks=[nn.callbacks.LearningRateScheduler(schedule)])
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _update_optimizer_lr(self, optimizer, epoch):
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:  # the (epoch, lr) form
            learning_rate = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:  # the older (epoch) form, kept by Keras for backward compatibility
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError("The output of the `schedule` function should be a float. "
                             f"Got: {learning_rate}")
        optimizer.learning_rate = learning_rate
        return learning_rate

    def on_epoch_begin(self, epoch, logs=None):
        learning_rate = self._update_optimizer_lr(self.model.optimizer, epoch)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        _log_learning_rate(self.model, logs)


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by ``factor`` when a monitored value stops improving.

    After ``patience`` epochs without improvement (by more than ``min_delta``) the rate becomes
    ``max(lr * factor, min_lr)``; then ``cooldown`` epochs pass before the wait counts again.

    Args:
        monitor: the ``logs`` key to watch. Default ``"val_loss"``.
        factor: multiplier of the rate, below 1. Default 0.1.
        patience: epochs without improvement before reducing. Default 10.
        verbose: 1 prints a message at every reduction.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        min_delta: smallest change that counts as improvement. Default 1e-4.
        cooldown: epochs to wait after a reduction before counting again. Default 0.
        min_lr: lower bound of the rate. Default 0.

    Raises:
        ValueError: if ``factor >= 1``.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. "
                             f"Received factor={factor}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def _reduce_optimizer_lr(self, optimizer, epoch):
        old_lr = float(optimizer.learning_rate)
        # Keras compares with min_lr in float32, the dtype of its learning-rate variable.
        if old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                      f"{new_lr}.")
            return True
        return False

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        _log_learning_rate(self.model, logs)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                          "which is not available. Available metrics are: "
                          f"{','.join(list(logs.keys()))}.", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_optimizer_lr(
                    self.model.optimizer, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def in_cooldown(self):
        """True while the cooldown after a reduction lasts."""
        return self.cooldown_counter > 0
