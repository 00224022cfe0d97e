"""The callback protocol: hooks that ``fit``, ``evaluate`` and ``predict`` call, as in Keras."""

import numpy as np


class Callback:
    """Base class of callbacks. Override the hooks you need; each receives Keras' ``logs`` dict.

    Attributes:
        model: the model being trained (set by ``set_model``).
        params: ``{"verbose", "epochs", "steps"}`` (set by ``set_params``).
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_batch_begin(self, batch, logs=None):
        """Keras' backwards-compatible alias of ``on_train_batch_begin`` (training batches only)."""

    def on_batch_end(self, batch, logs=None):
        """Keras' backwards-compatible alias of ``on_train_batch_end`` (training batches only)."""

    def on_train_begin(self, logs=None):
        """Called once at the start of ``fit``."""

    def on_train_end(self, logs=None):
        """Called once at the end of ``fit`` with the last epoch's logs."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch (0-based)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch with training and ``val_`` metrics."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch; by default calls ``on_batch_begin``, as Keras."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch with the running means of loss and metrics.

        By default calls ``on_batch_end``, as Keras does: a callback written for the old
        ``on_batch_end`` hook runs on every training batch (not on test or predict batches).
        """
        self.on_batch_end(batch, logs=logs)

    def on_train_batch_gradients(self, batch, gradients):
        """numpynet extra: called after backward and *before* the optimizer update.

        Args:
            batch: batch index within the epoch.
            gradients: dict ``weight path -> gradient array`` (read-only: do not modify).
        """

    def on_test_begin(self, logs=None):
        """Called at the start of ``evaluate`` (and of validation inside ``fit``)."""

    def on_test_end(self, logs=None):
        """Called at the end of ``evaluate`` with its results."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each evaluation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each evaluation batch."""

    def on_predict_begin(self, logs=None):
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """Called at the end of ``predict``."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each prediction batch with ``{"outputs": ...}``."""


_HOOKS = [name for name in vars(Callback) if name.startswith("on_")]


class CallbackList:
    """Calls every hook on a list of callbacks, in order.

    The defaults go after the user's callbacks, ``History`` first and ``ProgbarLogger`` last,
    as in Keras (``CallbackList._add_default_callbacks``): every callback, History included,
    has had its say on an epoch's ``logs`` before the progress bar prints them.

    Args:
        callbacks: list of :class:`Callback`.
        add_history: add a :class:`History` callback (``fit`` does).
        add_progbar: add a :class:`ProgbarLogger` (when ``verbose`` is not 0).
        model: the model to attach; its ``history`` becomes this list's History, if any.
        **params: ``verbose``, ``epochs``, ``steps`` passed to ``set_params`` (if any).
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        from numpynet.callbacks.history import History
        from numpynet.callbacks.progbar import ProgbarLogger

        self.callbacks = list(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks must be nn.callbacks.Callback instances, got "
                                f"{type(callback).__name__}.")
        history = next((c for c in self.callbacks if isinstance(c, History)), None)
        if add_history and history is None:
            history = History()
            self.callbacks.append(history)
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        self.model = model
        self.params = params
        if model is not None:
            if history is not None:  # as Keras: model.history exists even if no epoch runs
                model.history = history
            for callback in self.callbacks:
                callback.set_model(model)
        if params:  # as Keras: callbacks keep their params when none are given
            for callback in self.callbacks:
                callback.set_params(params)

    def __iter__(self):
        return iter(self.callbacks)

    def __getattr__(self, name):
        if name not in _HOOKS:
            raise AttributeError(name)

        if name == "on_train_batch_gradients":
            def call_all(batch, gradients):
                for callback in self.callbacks:
                    callback.on_train_batch_gradients(batch, gradients)
            return call_all
        indexed = "batch" in name or "epoch" in name

        def call_all(*args, logs=None):
            # As Keras' CallbackList (pythonify_logs): one fresh dict per hook call, keys
            # sorted, numbers as Python floats; every callback gets that same dict, so keys
            # one adds (LearningRateScheduler's "learning_rate") reach the next (History).
            index, logs_arg = (args[0], args[1:]) if indexed else (None, args)
            logs = logs_arg[0] if logs_arg else logs
            logs = {key: _pythonify(value) for key, value in sorted((logs or {}).items())}
            for callback in self.callbacks:
                hook = getattr(callback, name)
                hook(index, logs) if indexed else hook(logs)
        return call_all


def _pythonify(value):
    if isinstance(value, (np.floating, np.integer)) or (isinstance(value, np.ndarray)
                                                         and value.ndim == 0):
        return float(value)
    return value
