"""``EarlyStopping``, and ``MonitorCallback``: the "did the monitored value improve?" rule.

``MonitorCallback`` is shared by ``EarlyStopping``, ``ModelCheckpoint`` and
``ReduceLROnPlateau`` (Keras keeps it in ``callbacks/monitor_callback.py``).
"""

import operator
import warnings

import numpy as np

from numpynet.callbacks.callback import Callback


class MonitorCallback(Callback):
    """Base class of callbacks that watch one ``logs`` value and ask whether it improved.

    Args:
        monitor: the ``logs`` key to watch (``"val_loss"``, ``"accuracy"``...).
        mode: ``"min"``, ``"max"`` or ``"auto"`` (infer from the name: ``loss`` goes down,
            a metric goes the way its ``_direction`` says).
        baseline: initial "best" value; ``None`` means the first value seen.
        min_delta: smallest change that counts as an improvement (its sign is ignored).

    Raises:
        ValueError: (at the first epoch end) if ``mode="auto"`` cannot tell the direction.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ["auto", "min", "max"]:
            warnings.warn(f"{self.__class__.__name__} mode '{mode}' is unknown, fallback "
                          "to auto mode.", stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            metric_name = self.monitor.removeprefix("val_")
            if metric_name == "loss":
                self.monitor_op = operator.lt
            for metric in _compiled_metrics(self.model):
                if metric.name == metric_name and hasattr(metric, "_direction"):
                    self.monitor_op = operator.gt if metric._direction == "up" else operator.lt
            if self.monitor_op is None:
                raise ValueError(
                    f"{self.__class__.__name__} callback received monitor={self.monitor}, but "
                    "numpynet isn't able to automatically determine whether that metric should "
                    "be maximized or minimized. Pass `mode='max'` in order to monitor based on "
                    "the highest metric value, or pass `mode='min'` in order to use the lowest "
                    "value.")
        if self.monitor_op is operator.lt:
            # Keras stores min_delta negated in min mode, so one test serves both directions.
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value):
        """Strict improvement: ``value - min_delta`` beats ``reference`` (None always loses)."""
        if reference_value is None:
            return True
        # Keras compares with ops.less/greater, which turn Python floats into float32 tensors.
        return bool(self.monitor_op(_keras_scalar(monitor_value - self.min_delta),
                                    _keras_scalar(reference_value)))


def _keras_scalar(value):
    """A Python float as TensorFlow converts it (float32); NumPy scalars keep their dtype."""
    return np.float32(value) if type(value) is float else value


def _compiled_metrics(model):
    """The model's compiled metric objects (empty before the first batch builds them)."""
    compiled = getattr(model, "compiled_metrics", None)
    if compiled is None or not hasattr(compiled, "_named"):
        return []
    return [metric for _, metric in compiled._named()]


class EarlyStopping(MonitorCallback):
    """Stops training when a monitored value has stopped improving.

    At every epoch end the monitored value is compared with the best so far. An improvement
    resets the wait counter; otherwise training stops once ``patience`` epochs have passed
    without one (never at epoch 0).

    Args:
        monitor: the ``logs`` key to watch. Default ``"val_loss"``.
        min_delta: an absolute change smaller than this is no improvement. Default 0.
        patience: epochs without improvement before stopping. Default 0.
        verbose: 1 prints a message when training stops or weights are restored.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        baseline: training also stops if the value does not beat this within ``patience``
            epochs.
        restore_best_weights: at the end of training (stopped early or not), set the weights
            of the best epoch back.
        start_from_epoch: epochs of warm-up before monitoring begins.

    Example:
        >>> stop = nn.callbacks.EarlyStopping(monitor="loss", patience=3)
        >>> model.fit(x, y, epochs=100, callbacks=[stop])
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        # Lets one instance be reused across fit() calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until something improves, the current weights are the best seen.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # The wait restarts only if we beat both the baseline and the previous best.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """Returns ``logs[monitor]``, or None with a warning listing the available keys."""
        logs = logs or {}
        monitor_value = logs.get(self.monitor)
        if monitor_value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(list(logs.keys()))}",
                          stacklevel=2)
        return monitor_value
