"""The course's training instruments: callbacks that record what happens inside the network.

* :class:`LayerWeightsStats` - mean and std of every kernel and bias, epoch by epoch;
* :class:`ActivationStats` - mean and std of chosen layers' outputs on given data sets;
* :class:`GradientTracker` - gradient norms and the update-to-weight ratio of every weight.

Each keeps a ``history`` of plain lists (like ``History.history``) and an ``as_arrays()`` that
returns the same structure with NumPy arrays, ready to plot. None of them changes training.
"""

import numpy as np

from numpynet.callbacks.callback import Callback


def _as_arrays(history):
    """The same nested dict with every list turned into a float array."""
    return {key: _as_arrays(value) if isinstance(value, dict) else np.asarray(value, float)
            for key, value in history.items()}


def _append_stats(record, values):
    for name, value in values.items():
        record.setdefault(name, []).append(value)


class _EpochRecorder(Callback):
    """Records at every epoch end, and once before training if ``record_initial``.

    ``epoch`` holds the label of each record: 0 for the state before training, ``k`` for the
    state after the ``k``-th epoch (1-based, the number Keras prints).
    """

    def __init__(self, record_initial=True):
        super().__init__()
        self.record_initial = record_initial
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        # Only before anything was recorded: a second fit() continues the same series.
        if self.record_initial and not self.epoch:
            self._record(0)

    def on_epoch_end(self, epoch, logs=None):
        self._record(epoch + 1)

    def _record(self, label):
        self.epoch.append(label)
        self._measure()

    def _measure(self):
        raise NotImplementedError

    def as_arrays(self):
        """Returns ``history`` with every list as an array of shape ``(len(self.epoch),)``."""
        return _as_arrays(self.history)


class LayerWeightsStats(_EpochRecorder):
    """Records the mean and standard deviation of every layer's kernel and bias per epoch.

    Attributes:
        history: ``{"dense/kernel": {"mean": [...], "std": [...]}, "dense/bias": {...}}``,
            keyed by weight path (``layer name/weight name``).
        epoch: the label of each record: 0 = at the start of training (when
            ``record_initial``), ``k`` = after epoch ``k`` (1-based).

    Args:
        weight_names: which weights to follow, by short name. Default kernel and bias, the
            weights of ``Dense``-like layers.
        record_initial: also record the weights as they are when training begins (the
            initializer's work), so the arrays have ``epochs + 1`` entries.

    Example:
        >>> stats = nn.callbacks.LayerWeightsStats()
        >>> model.fit(x, y, epochs=10, callbacks=[stats])
        >>> stats.as_arrays()["dense/kernel"]["std"]  # shape (11,)
    """

    def __init__(self, weight_names=("kernel", "bias"), record_initial=True):
        super().__init__(record_initial)
        self.weight_names = tuple(weight_names)

    def _measure(self):
        for variable in self.model.weights:
            if variable.name in self.weight_names:
                values = variable.data
                record = self.history.setdefault(variable.path, {})
                _append_stats(record, {"mean": float(np.mean(values)),
                                       "std": float(np.std(values))})


class ActivationStats(_EpochRecorder):
    """Records the mean and standard deviation of layer outputs on fixed data, per epoch.

    The outputs come from a sub-model ``nn.Model(model.inputs, [layer.output, ...])`` run with
    ``predict`` (inference mode, no tape), so Dropout and noise layers are inactive.

    Attributes:
        history: ``{"train": {"dense": {"mean": [...], "std": [...]}}, "val": {...}}``, keyed by
            data-set name, then layer name; statistics are over every element of the output.
        epoch: the label of each record, as in :class:`LayerWeightsStats`.
        outputs: with ``keep_outputs=True``, the latest outputs ``{set: {layer: array}}`` (for
            histograms); else empty.

    Args:
        data: dict ``name -> model input`` (an array, or what ``predict`` accepts), e.g.
            ``{"train": x_train[:1000], "val": x_val}``.
        layers: layers or layer names to follow; default every layer of the model.
        batch_size: ``predict``'s batch size.
        record_initial: also record before training starts.
        keep_outputs: keep the latest outputs in ``outputs``.

    Raises:
        ValueError: if ``data`` is not a non-empty dict, or a layer is unknown.
    """

    def __init__(self, data, layers=None, batch_size=256, record_initial=True,
                 keep_outputs=False):
        super().__init__(record_initial)
        if not isinstance(data, dict) or not data:
            raise ValueError("ActivationStats: `data` must be a non-empty dict name -> inputs, "
                             f"e.g. {{'train': x_train, 'val': x_val}}; got {type(data).__name__}.")
        self.data = data
        self.layers = layers
        self.batch_size = batch_size
        self.keep_outputs = keep_outputs
        self.outputs = {}
        self._submodel = None
        self._layer_names = None

    def set_model(self, model):
        super().set_model(model)
        self._submodel = None

    def _build_submodel(self):
        from numpynet.layers.input_layer import InputLayer
        from numpynet.models import Model

        if not self.model.built:
            raise ValueError(f"ActivationStats: model {self.model.name!r} is not built; build "
                             "it (or call fit, which builds it) before recording activations.")
        chosen = self.layers
        if chosen is None:
            chosen = [layer for layer in self.model.layers if not isinstance(layer, InputLayer)]
        layers = [self.model.get_layer(item) if isinstance(item, str) else item
                  for item in chosen]
        shared = [layer.name for layer in layers if len(layer._inbound_nodes) > 1]
        if shared:  # their `.output` is the first call's only: refuse rather than mislead
            raise ValueError(f"ActivationStats: layers {shared} are shared (called more than "
                             "once), so they have no single output; pass `layers=` without "
                             "them.")
        self._layer_names = [layer.name for layer in layers]
        self._submodel = Model(self.model.inputs, [layer.output for layer in layers],
                               name=f"{self.model.name}_activation_stats")

    def _measure(self):
        if self._submodel is None:
            self._build_submodel()
        for set_name, inputs in self.data.items():
            outputs = self._submodel.predict(inputs, batch_size=self.batch_size, verbose=0)
            if len(self._layer_names) == 1:
                outputs = [outputs]
            for layer_name, values in zip(self._layer_names, outputs):
                record = self.history.setdefault(set_name, {}).setdefault(layer_name, {})
                _append_stats(record, {"mean": float(np.mean(values)),
                                       "std": float(np.std(values))})
            if self.keep_outputs:
                self.outputs[set_name] = dict(zip(self._layer_names, outputs))


class GradientTracker(Callback):
    """Records, for every trainable weight and every layer, how large gradients and updates are.

    For each weight ``w`` with gradient ``g`` at a training step (read after backward and before
    the optimizer update, through numpynet's ``on_train_batch_gradients`` hook):

    * ``norm``: the L2 norm ``||g||`` (of all entries, computed in float64);
    * ``mean_abs``: ``mean(|g|)``;
    * ``update_ratio``: ``||w_after - w_before|| / ||w_before||``, the size of the optimizer's
      step relative to the weight (around 1e-3 is the classic healthy value). It is NaN when
      ``||w_before|| = 0`` (a zero-initialised bias at the first step).

    Per layer, the weights of the layer are taken together: the norm of all their gradients,
    the mean of all ``|g|``, and the ratio of the whole update to the whole weight.

    With ``freq="epoch"`` each record is the mean over the epoch's batches (NaN ratios left
    out); with ``freq="batch"`` every batch is recorded.

    Attributes:
        history: ``{"dense/kernel": {"norm": [...], "mean_abs": [...], "update_ratio": [...]}}``
            keyed by weight path.
        layer_history: the same keyed by layer name (``"dense"``).
        epoch: the 0-based epoch of each record.
        batch: the batch index of each record (``freq="batch"`` only; else empty).

    Args:
        freq: ``"epoch"`` or ``"batch"``.

    Raises:
        ValueError: if ``freq`` is neither.

    Example:
        >>> tracker = nn.callbacks.GradientTracker()
        >>> model.fit(x, y, epochs=5, callbacks=[tracker])
        >>> tracker.as_arrays(per_layer=True)["dense"]["norm"]  # shape (5,)
    """

    STATS = ("norm", "mean_abs", "update_ratio")

    def __init__(self, freq="epoch"):
        super().__init__()
        if freq not in ("epoch", "batch"):
            raise ValueError(f"GradientTracker: freq must be 'epoch' or 'batch', got {freq!r}.")
        self.freq = freq
        self.history = {}
        self.layer_history = {}
        self.epoch = []
        self.batch = []
        self._epoch = 0
        self._pending = None  # gradients and weights captured before the update
        self._batch_records = []  # one (per_weight, per_layer) pair per batch of this epoch

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._batch_records = []

    def on_train_batch_gradients(self, batch, gradients):
        variables = {w.path: w for w in self.model.trainable_weights}
        self._pending = {path: (grad, variables[path], variables[path].data.copy())
                         for path, grad in gradients.items() if path in variables}

    def on_train_batch_end(self, batch, logs=None):
        if self._pending is None:
            return
        per_weight, sums = {}, {}
        for path, (grad, variable, before) in self._pending.items():
            grad = np.asarray(grad, dtype=np.float64)
            before = before.astype(np.float64)
            update = variable.data.astype(np.float64) - before
            squares = {"g": np.sum(grad * grad), "u": np.sum(update * update),
                       "w": np.sum(before * before)}
            per_weight[path] = _gradient_stats(squares, np.sum(np.abs(grad)), grad.size)
            layer = sums.setdefault(path.rsplit("/", 1)[0], {"g": 0.0, "u": 0.0, "w": 0.0,
                                                            "abs": 0.0, "size": 0})
            for key in ("g", "u", "w"):
                layer[key] += squares[key]
            layer["abs"] += np.sum(np.abs(grad))
            layer["size"] += grad.size
        per_layer = {name: _gradient_stats(s, s["abs"], s["size"]) for name, s in sums.items()}
        self._pending = None
        if self.freq == "batch":
            self._append(per_weight, per_layer)
            self.batch.append(batch)
        else:
            self._batch_records.append((per_weight, per_layer))

    def on_epoch_end(self, epoch, logs=None):
        if self.freq == "epoch" and self._batch_records:
            self._append(*[_mean_records([r[i] for r in self._batch_records]) for i in (0, 1)])
        self._batch_records = []

    def _append(self, per_weight, per_layer):
        self.epoch.append(self._epoch)
        for target, values in ((self.history, per_weight), (self.layer_history, per_layer)):
            for key, stats in values.items():
                _append_stats(target.setdefault(key, {}), stats)

    def as_arrays(self, per_layer=False):
        """Returns ``history`` (or ``layer_history``) with every list as a float array."""
        return _as_arrays(self.layer_history if per_layer else self.history)


def _gradient_stats(squares, abs_sum, size):
    weight_norm = np.sqrt(squares["w"])
    ratio = np.sqrt(squares["u"]) / weight_norm if weight_norm > 0 else np.nan
    return {"norm": float(np.sqrt(squares["g"])), "mean_abs": float(abs_sum / max(size, 1)),
            "update_ratio": float(ratio)}


def _mean_records(records):
    """Mean of each statistic over the batches of an epoch (NaN update ratios left out)."""
    means = {}
    for key in records[0]:
        means[key] = {}
        for stat in GradientTracker.STATS:
            values = np.array([r[key][stat] for r in records if key in r], dtype=np.float64)
            if stat == "update_ratio":  # undefined at a zero weight: leave those batches out
                values = values[~np.isnan(values)]
            means[key][stat] = float(np.mean(values)) if values.size else float("nan")
    return means
