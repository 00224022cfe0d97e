"""Training: ``compile``, ``fit``, ``evaluate`` and ``predict``, as in Keras.

Read this third, after ``ops.py`` and ``layers/core.py``. The heart is :meth:`Trainer.train_step`:

1. clear the gradients,
2. run the model forward on a batch (this records the tape),
3. compute the loss and add the regularization penalties,
4. run backward: every weight's ``.grad`` now holds d(loss)/d(weight),
5. let callbacks read the gradients,
6. let the optimizer update the weights in place.

``fit`` is a loop over epochs and batches around that step, with Keras' bookkeeping: the epoch
loss is the running mean of the batch losses weighted by batch size, validation runs at each
epoch end, and callbacks are called in Keras' order.
"""

import numpy as np

from numpynet import optimizers
from numpynet.callbacks.callback import CallbackList
from numpynet.layers.symbolic import pack_like
from numpynet.models import data as data_utils
from numpynet.models.compile_utils import CompiledLoss, CompiledMetrics
from numpynet.tensor import Tensor, no_grad


class Trainer:
    """Mixin that gives a model ``compile``, ``fit``, ``evaluate`` and ``predict``."""

    def __init__(self):
        self.optimizer = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._initial_epoch = None  # set by BackupAndRestore to resume an interrupted fit
        self._last_gradients = {}

    # ---------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=None, jit_compile=None, **kwargs):
        """Configures the model for training.

        Args:
            optimizer: name (``"adam"``) or optimizer object; Keras' default is ``"rmsprop"``.
            loss: loss name, object or function; or a list/dict with one per output.
            loss_weights: optional list/dict of scalars weighting each output's loss.
            metrics: list of metric names/objects (or a list/dict of lists, one per output).
            weighted_metrics: metrics that also use ``sample_weight``.
            run_eagerly, jit_compile: accepted for Keras compatibility (numpynet is always eager).
        """
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword arguments {sorted(kwargs)}.")
        self.optimizer = optimizers.get(optimizer)
        self.compiled_loss = CompiledLoss(loss, loss_weights, self._target_names)
        self.compiled_metrics = CompiledMetrics(metrics, weighted_metrics, self._target_names)
        self._compile_config = {"optimizer": optimizer, "loss": loss,
                                "loss_weights": loss_weights, "metrics": metrics,
                                "weighted_metrics": weighted_metrics}
        self.compiled = True

    def _assert_compiled(self, method):
        if not self.compiled:
            raise RuntimeError(f"You must call `compile()` before calling `{method}()` "
                               f"on model {self.name!r}.")

    @property
    def metrics_names(self):
        return ["loss"] + self.compiled_metrics.names() if self.compiled else []

    # ---------------------------------------------------------------- steps
    def train_step(self, x, y, sample_weight=None, batch_index=0, callbacks=None):
        """One step of gradient descent on one batch; returns the running logs.

        Args:
            x: list of input arrays (one per model input).
            y: list of target arrays (one per output).
            sample_weight: list of per-sample weight arrays (or None), one per output.
        """
        weights = self.trainable_weights
        for w in weights:  # 1. no gradient survives from the previous step
            w.grad = None
        self._clear_losses()
        y_pred = self._flat_outputs(self(x, training=True))  # 2. forward: records the tape
        loss = self._compute_loss(y, y_pred, sample_weight, batch_size=len(x[0]))  # 3.
        loss.backward()  # 4. chain rule over the tape: w.grad = d loss / d w
        self._last_gradients = {w.path: w.grad for w in weights if w.grad is not None}
        if callbacks is not None:  # 5. gradients are readable before the update
            callbacks.on_train_batch_gradients(batch_index, self._last_gradients)
        self.optimizer.apply([w.grad for w in weights], weights)  # 6. update in place
        self.compiled_metrics.update_state(y, [p.data for p in y_pred], sample_weight)
        return self._current_logs()

    def test_step(self, x, y, sample_weight=None):
        """Computes loss and metrics on one batch without a tape; returns the running logs."""
        with no_grad():
            self._clear_losses()
            y_pred = self._flat_outputs(self(x, training=False))
            self._compute_loss(y, y_pred, sample_weight, batch_size=len(x[0]))
        self.compiled_metrics.update_state(y, [p.data for p in y_pred], sample_weight)
        return self._current_logs()

    def _compute_loss(self, y, y_pred, sample_weight, batch_size):
        total, _ = self.compiled_loss(y, y_pred, sample_weight, batch_size)
        penalties = self.losses  # weight penalties and activity penalties of this forward pass
        if penalties:
            total = total + sum(penalties[1:], penalties[0])
        self.compiled_loss.track_total(float(total.data), batch_size)
        return total

    def _current_logs(self):
        return {**self.compiled_loss.results(), **self.compiled_metrics.results()}

    def reset_metrics(self):
        self.compiled_loss.reset_state()
        self.compiled_metrics.reset_state()

    def _flat_outputs(self, outputs):
        from numpynet.layers.symbolic import flatten
        return flatten(outputs)

    # ---------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_batch_size=None,
            validation_freq=1):
        """Trains the model for ``epochs`` epochs; returns a ``History``.

        Args follow ``keras.Model.fit``: ``x``/``y`` are arrays, lists of arrays (one per
        input/output) or dicts keyed by input/output names; ``validation_split`` takes the *last*
        samples before shuffling; ``validation_data`` is ``(x_val, y_val[, sample_weight])``.
        """
        self._assert_compiled("fit")
        batch_size = data_utils.check_batch_size(batch_size)
        data_utils.check_epochs(epochs, initial_epoch)
        x, y, sample_weight = self._prepare_data(x, y, sample_weight, class_weight)
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = _split(x, y, sample_weight, validation_split)
        elif validation_data is not None:
            validation_data = self._prepare_validation(validation_data)
        n = len(x[0])
        callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                 model=self, verbose=verbose, epochs=epochs,
                                 steps=-(-n // batch_size))
        self.stop_training = False
        callbacks.on_train_begin()
        epoch_logs = None
        for epoch in range(self._initial_epoch or initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            for batch, index in enumerate(data_utils.batch_indices(n, batch_size, shuffle)):
                callbacks.on_train_batch_begin(batch)
                logs = self.train_step(*[data_utils.take(a, index) for a in (x, y, sample_weight)],
                                       batch_index=batch, callbacks=callbacks)
                callbacks.on_train_batch_end(batch, logs)
                if self.stop_training:
                    break
            epoch_logs = self._current_logs()
            if validation_data is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_arrays(*validation_data, validation_batch_size
                                                 or batch_size, callbacks)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        self._initial_epoch = None
        callbacks.on_train_end(epoch_logs)
        return self.history

    def _prepare_data(self, x, y, sample_weight, class_weight):
        if x is None or y is None:
            raise ValueError("fit/evaluate need both `x` and `y` arrays.")
        x = data_utils.to_arrays(x, self.input_names, "x", self.name)
        y = data_utils.to_arrays(y, self._target_names, "y", self.name)
        if sample_weight is not None:
            sample_weight = data_utils.to_arrays(sample_weight, self._target_names,
                                                 "sample_weight", self.name)
        elif class_weight is not None:
            sample_weight = [data_utils.class_weights_to_sample_weights(y[0], class_weight)]
            sample_weight += [None] * (len(y) - 1)
        else:
            sample_weight = [None] * len(y)
        data_utils.check_lengths({"x": x, "y": y,
                                  "sample_weight": [s for s in sample_weight if s is not None]})
        self.compiled_loss.check_targets(y, self.outputs)
        return x, y, sample_weight

    def _prepare_validation(self, validation_data):
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or "
                             "(x_val, y_val, val_sample_weight).")
        x_val, y_val = validation_data[:2]
        weights = validation_data[2] if len(validation_data) == 3 else None
        try:
            return self._prepare_data(x_val, y_val, weights, None)
        except (TypeError, ValueError) as error:  # say which data is wrong: not the training x
            raise type(error)(f"validation_data: {error}") from None

    # ---------------------------------------------------------------- evaluate and predict
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 callbacks=None, return_dict=False):
        """Returns the loss and metrics on ``(x, y)``: a scalar, a list, or a dict."""
        self._assert_compiled("evaluate")
        batch_size = data_utils.check_batch_size(batch_size)
        x, y, sample_weight = self._prepare_data(x, y, sample_weight, None)
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=1, steps=-(-len(x[0]) // batch_size))
        logs = self._evaluate_arrays(x, y, sample_weight, batch_size, callbacks)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _evaluate_arrays(self, x, y, sample_weight, batch_size, callbacks):
        self.reset_metrics()
        callbacks.on_test_begin()
        logs = {}
        for batch, index in enumerate(data_utils.batch_indices(len(x[0]), batch_size, False)):
            callbacks.on_test_batch_begin(batch)
            logs = self.test_step(*[data_utils.take(a, index) for a in (x, y, sample_weight)])
            callbacks.on_test_batch_end(batch, logs)
        callbacks.on_test_end(logs)
        return logs

    def predict(self, x, batch_size=None, verbose="auto", callbacks=None):
        """Runs the model on ``x`` in batches without a tape; returns arrays."""
        batch_size = data_utils.check_batch_size(batch_size)
        x = data_utils.to_arrays(x, self.input_names, "x", self.name)
        data_utils.check_lengths({"x": x})
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=1, steps=-(-len(x[0]) // batch_size))
        callbacks.on_predict_begin()
        chunks = []
        with no_grad():
            for batch, index in enumerate(data_utils.batch_indices(len(x[0]), batch_size, False)):
                callbacks.on_predict_batch_begin(batch)
                out = self._flat_outputs(self(data_utils.take(x, index), training=False))
                chunks.append([t.data for t in out])
                callbacks.on_predict_batch_end(batch, {"outputs": chunks[-1]})
        callbacks.on_predict_end()
        outputs = [np.concatenate(parts) for parts in zip(*chunks)]
        if isinstance(getattr(self, "_output_struct", None), dict):  # Keras keeps a dict a dict
            return pack_like(self._output_struct, outputs)
        return outputs[0] if len(outputs) == 1 else outputs

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns the loss (and metrics) of that batch."""
        self._assert_compiled("train_on_batch")
        x, y, sample_weight = self._prepare_data(x, y, sample_weight, class_weight)
        self.reset_metrics()
        return _logs_result(self.train_step(x, y, sample_weight), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) of one batch, without training."""
        self._assert_compiled("test_on_batch")
        x, y, sample_weight = self._prepare_data(x, y, sample_weight, None)
        self.reset_metrics()
        return _logs_result(self.test_step(x, y, sample_weight), return_dict)

    def predict_on_batch(self, x):
        """The model's outputs on one batch, as arrays."""
        return self.predict(x, batch_size=len(data_utils.to_arrays(
            x, self.input_names, "x", self.name)[0]), verbose=0)  # no bar, as Keras

    # ---------------------------------------------------------------- saving
    def save(self, filepath, overwrite=True):
        """Saves architecture, weights and compile/optimizer state to one ``.numpynet`` zip."""
        from numpynet import saving
        saving.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        """Saves the weight values to an ``.npz`` file (atomically)."""
        from numpynet import saving
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath):
        """Loads weights saved by ``save_weights``; nothing changes if they do not fit."""
        from numpynet import saving
        saving.load_weights(self, filepath)


def _split(x, y, sample_weight, validation_split):
    arrays = x + y + sample_weight
    train, val = data_utils.split_validation(arrays, validation_split)
    a, b = len(x), len(x) + len(y)
    return (train[:a], train[a:b], train[b:]), (val[:a], val[a:b], val[b:])


def _logs_result(logs, return_dict):
    if return_dict:
        return logs
    values = [float(v) for v in logs.values()]
    return values[0] if len(values) == 1 else values


__all__ = ["Trainer", "Tensor"]
