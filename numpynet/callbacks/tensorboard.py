"""``TensorBoard``: curves, weight and gradient histograms for TensorBoard; ``serve`` to view them.

The callback writes event files with tensorboardX (imported when the first file is opened, so
``import numpynet`` stays fast; TensorFlow is never needed), laid out as Keras 3.15 lays them
out (``keras/src/callbacks/tensorboard.py``):

* two runs, ``<log_dir>/train`` and ``<log_dir>/validation``;
* ``epoch_<name>`` scalars at step = epoch (0-based) for every ``logs`` key; the ``val_`` keys
  go to the validation run without the prefix, so both runs share the ``epoch_loss`` chart;
  ``epoch_learning_rate`` goes to the train run;
* with ``update_freq="batch"`` or ``N``: ``batch_<name>`` scalars every ``N`` batches, at the
  global batch number (1-based, counted from the start of ``fit``);
* ``evaluation_<name>_vs_iterations`` on the validation run after each validation, at step =
  ``optimizer.iterations``;
* every ``histogram_freq`` epochs: ``<weight path>/histogram`` for every weight (e.g.
  ``dense/kernel/histogram``), and ``<weight path>/image`` with ``write_images``;
* with ``write_graph``: the model's layer graph for the Graphs tab (see
  :mod:`numpynet.callbacks.tensorboard_graph`), once the model is built.

Event files are append-only record streams, each record with its own checksum: a crash leaves
a readable prefix, so they are streamed rather than written with ``atomic_write``.

``serve`` (in :mod:`numpynet.callbacks.tensorboard_server`, re-exported here) starts the
TensorBoard server on 127.0.0.1 to view them.
"""

import itertools
import os
import time
import warnings

import numpy as np

from numpynet.callbacks.callback import Callback
from numpynet.callbacks.tensorboard_graph import model_graph_def, model_markdown
from numpynet.callbacks.tensorboard_server import (  # noqa: F401 (serve is re-exported)
    TensorBoardServer,
    _require,
    serve,
)

HISTOGRAM_BINS = 30  # tf.summary.histogram's default: 30 equal-width buckets over [min, max]
_WRITER_IDS = itertools.count()


class TensorBoard(Callback):
    """Writes logs for TensorBoard, as ``keras.callbacks.TensorBoard``, plus gradients.

    numpynet extras (Keras 3 dropped gradient summaries):

    * ``write_grads``: at the epochs that get weight histograms, the train run also gets
      ``<weight path>/gradient_histogram`` for every trainable weight (the gradient of the
      epoch's *last* batch, read before the update, like the weights it sits beside) and
      ``grad_norm/<layer name>``: the L2 norm of all the layer's gradients, computed in float64
      for every batch and averaged over the epoch's batches (as ``GradientTracker`` does).
    * ``write_lr=False`` leaves out ``epoch_learning_rate``.
    * ``write_graph`` writes the graph at the level of layers, not of TensorFlow ops (there
      are none): one node per layer call, ``<model>/<layer>``, with its output shapes, dtype,
      config and weights (:mod:`numpynet.callbacks.tensorboard_graph`). The train run also
      gets, under the text tag ``"model"`` (step 0), the ``model.summary()`` table and the
      model config as JSON.

    Two Keras bugs are not copied: with an integer ``update_freq`` Keras drops the epoch
    scalars of epochs whose global batch count is not a multiple of it (tensorflow#49109),
    and the ``evaluation_*`` scalars likewise; numpynet writes them every time.

    Args:
        log_dir: directory of the runs, e.g. ``"logs/fit"``; use one per experiment.
        histogram_freq: write histograms every this many epochs (epoch 0 first); 0 = never.
        write_graph: write the model's layer graph, summary and config (see above).
        write_images: with histograms, draw each weight as a grayscale image as Keras does
            (a kernel wider than tall, a bias as a column; values outside [0, 1] saturate).
        write_steps_per_second: also write ``epoch_steps_per_second`` (and
            ``batch_steps_per_second`` when batch scalars are written).
        update_freq: ``"epoch"``, ``"batch"`` (= 1) or ``N``: batch scalars every ``N`` batches.
        profile_batch, embeddings_freq, embeddings_metadata: Keras arguments numpynet cannot
            honour (no profiler, no Embedding layer); only their defaults are accepted.
        write_grads: write gradient histograms and per-layer gradient norms.
        write_lr: write ``epoch_learning_rate`` (Keras always does when there is an optimizer).

    Raises:
        ValueError: for a wrong ``histogram_freq`` or ``update_freq``, or a profiling or
            embeddings request.
        ImportError: if tensorboardX is not installed.

    Example:
        >>> tb = nn.callbacks.TensorBoard("logs", histogram_freq=1, write_grads=True)
        >>> model.fit(x, y, epochs=10, validation_split=0.2, callbacks=[tb])
        >>> server = nn.callbacks.tensorboard.serve("logs"); print(server.url)
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None, write_grads=False, write_lr=True):
        super().__init__()
        _check_arguments(histogram_freq, update_freq, profile_batch, embeddings_freq)
        _require("tensorboardX", "nn.callbacks.TensorBoard")
        self.log_dir = str(os.fspath(log_dir))
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self.write_grads = write_grads
        self.write_lr = write_lr
        if write_grads and not histogram_freq:
            warnings.warn("TensorBoard: write_grads=True writes nothing with histogram_freq=0; "
                          "set histogram_freq (e.g. 1) to get gradient summaries.", stacklevel=2)
        self._writers = {}
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        self._batch_start_time = self._epoch_start_time = 0.0
        self._graph_pending = False
        self._grad_epoch = False  # does this epoch collect gradients?
        self._grad_norms, self._last_gradients, self._layer_of = {}, {}, None

    # ---------------------------------------------------------------- writers
    def set_model(self, model):
        """Attaches the model and writes its graph (now if built, else after one batch)."""
        super().set_model(model)
        self._close_writers()
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._graph_pending = bool(self.write_graph)
        if self._graph_pending and getattr(model, "built", True):
            self._write_graph()

    def _writer(self, run):
        """The run's writer, opened on first use (as Keras: no empty runs)."""
        if run not in self._writers:
            directory = self._train_dir if run == "train" else self._val_dir
            self._writers[run] = _RunWriter(directory)
        return self._writers[run]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _write_graph(self):
        """Writes the graph and the summary text; a model that cannot be drawn or described
        only warns (as Keras: it never stops training)."""
        self._graph_pending = False
        writer = self._writer("train")
        for what, make, add in (("graph", model_graph_def, writer.add_graph),
                                ("'model' text", model_markdown,
                                 lambda text: writer.add_text("model", text, 0))):
            try:
                content = make(self.model)
            except Exception as error:
                warnings.warn(f"TensorBoard: could not describe model "
                              f"{getattr(self.model, 'name', '?')!r} ({error}); no {what} is "
                              "written.", stacklevel=2)
                continue
            add(content)
        writer.flush()

    # ---------------------------------------------------------------- hooks
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        self._layer_of = None

    def on_train_end(self, logs=None):
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._previous_epoch_iterations = self.model.optimizer.iterations
            self._epoch_start_time = time.perf_counter()
        self._grad_epoch = bool(self.write_grads) and self._histogram_epoch(epoch)
        self._grad_norms, self._last_gradients = {}, {}

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.perf_counter()

    def on_train_batch_gradients(self, batch, gradients):
        if not self._grad_epoch:
            return
        self._last_gradients = gradients  # a new dict of new arrays every step: no copy needed
        if self._layer_of is None:  # weight path -> layer name; the model is built by now
            self._layer_of = {w.path: layer.name for layer in self.model.layers
                              for w in layer.weights}
        squares = {}
        for path, grad in gradients.items():
            layer = self._layer_of.get(path, path.rsplit("/", 1)[0])
            flat = np.asarray(grad, dtype=np.float64).ravel()
            squares[layer] = squares.get(layer, 0.0) + float(flat @ flat)
        for layer, total in squares.items():
            self._grad_norms.setdefault(layer, []).append(float(np.sqrt(total)))

    def on_train_batch_end(self, batch, logs=None):
        if self._graph_pending:
            self._write_graph()
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        writer, step = self._writer("train"), self._global_train_batch
        if self.write_steps_per_second:
            elapsed = max(time.perf_counter() - self._batch_start_time, 1e-9)
            writer.add_scalar("batch_steps_per_second", 1.0 / elapsed, step)
        for name, value in (logs or {}).items():
            writer.add_scalar(f"batch_{name}", value, step)

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "iterations") or not logs:
            return
        writer = self._writer("validation")
        for name, value in logs.items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", value, optimizer.iterations)
        writer.flush()  # evaluate() never reaches on_train_end

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs)
        if self._histogram_epoch(epoch):
            self._log_weights(epoch)
            if self._grad_epoch:
                self._log_gradients(epoch)
        for writer in self._writers.values():
            writer.flush()

    # ---------------------------------------------------------------- summaries
    def _histogram_epoch(self, epoch):
        return bool(self.histogram_freq) and epoch % self.histogram_freq == 0

    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[len("val_"):]: v for k, v in logs.items() if k.startswith("val_")}
        if self.write_lr:
            self._collect_learning_rate(train_logs)
        if self.write_steps_per_second:
            elapsed = max(time.perf_counter() - self._epoch_start_time, 1e-9)
            steps = self.model.optimizer.iterations - self._previous_epoch_iterations
            train_logs["steps_per_second"] = steps / elapsed
        for run, run_logs in (("train", train_logs), ("validation", val_logs)):
            if run_logs:
                writer = self._writer(run)
                for name, value in run_logs.items():
                    writer.add_scalar(f"epoch_{name}", value, epoch)

    def _collect_learning_rate(self, logs):
        from numpynet.optimizers.base import Optimizer
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # as Keras (loss scaling)
        if isinstance(optimizer, Optimizer):
            logs["learning_rate"] = float(optimizer.learning_rate)

    def _log_weights(self, epoch):
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                _add_histogram(writer, f"{name}/histogram", weight.data, epoch)
                image = _weight_image(np.asarray(weight.data)) if self.write_images else None
                if image is not None:
                    writer.add_images(f"{name}/image", image, epoch)

    def _log_gradients(self, epoch):
        writer = self._writer("train")
        for path, grad in self._last_gradients.items():
            _add_histogram(writer, f"{path.replace(':', '_')}/gradient_histogram", grad, epoch)
        for layer, norms in self._grad_norms.items():
            writer.add_scalar(f"grad_norm/{layer}", float(np.mean(norms)), epoch)


class _RunWriter:
    """Writes one run's event file with tensorboardX's summary builders, synchronously.

    tensorboardX's ``SummaryWriter`` queues events for a thread, and its ``flush`` does not
    wait for that queue: the last events of an epoch could still be missing after it. Here
    every event is in the file buffer when ``add_*`` returns, so ``flush`` is exact.
    """

    def __init__(self, directory):
        from tensorboardX.event_file_writer import EventsWriter
        os.makedirs(directory, exist_ok=True)
        # Event file names hold the time in seconds: a unique suffix keeps a writer opened in
        # the same second (a second fit) from truncating the first one's file.
        suffix = f".{os.getpid()}.{next(_WRITER_IDS):04d}"
        self._events = EventsWriter(os.path.join(directory, "events"), suffix)

    def _add(self, summary, step):
        from tensorboardX.proto.event_pb2 import Event
        self._events.write_event(Event(summary=summary, step=int(step), wall_time=time.time()))

    def add_scalar(self, tag, value, step):
        from tensorboardX import summary
        self._add(summary.scalar(tag, float(value)), step)

    def add_histogram(self, tag, values, step, bins):
        from tensorboardX import summary
        self._add(summary.histogram(tag, values, bins), step)

    def add_images(self, tag, images, step):
        from tensorboardX import summary
        self._add(summary.image(tag, images, dataformats="NHWC"), step)

    def add_text(self, tag, text, step):
        from tensorboardX import summary
        self._add(summary.text(tag, text), step)

    def add_graph(self, graph_def):
        """TensorBoard's Graphs tab reads a run's graph from ``Event.graph_def``."""
        from tensorboardX.proto.event_pb2 import Event
        self._events.write_event(Event(graph_def=graph_def.SerializeToString(), step=0,
                                       wall_time=time.time()))

    def flush(self):
        self._events.flush()

    def close(self):
        self._events.close()


def _check_arguments(histogram_freq, update_freq, profile_batch, embeddings_freq):
    if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) \
            or histogram_freq < 0:
        raise ValueError(f"TensorBoard: histogram_freq must be an integer >= 0 (a number of "
                         f"epochs; 0 = no histograms), got {histogram_freq!r}.")
    if update_freq not in ("batch", "epoch") and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1):
        raise ValueError(f"TensorBoard: update_freq must be 'batch', 'epoch' or a positive "
                         f"integer (a number of batches), got {update_freq!r}.")
    if profile_batch not in (0, None):
        raise ValueError("TensorBoard: profiling is not available in numpynet (Keras has none "
                         f"for its numpy backend either). Received: profile_batch="
                         f"{profile_batch} (must be 0)")
    if embeddings_freq:
        raise ValueError("TensorBoard: numpynet has no Embedding layer to project. Received: "
                         f"embeddings_freq={embeddings_freq} (must be 0)")


def _add_histogram(writer, tag, values, step):
    """A 30-bucket histogram of the finite values (np.histogram rejects NaN and inf)."""
    values = np.asarray(values).ravel()
    finite = values[np.isfinite(values)]
    if finite.size < values.size:
        warnings.warn(f"TensorBoard: {tag!r} has {values.size - finite.size} non-finite values "
                      f"at epoch {step}; the histogram shows the {finite.size} finite ones.",
                      stacklevel=3)
    if finite.size:
        writer.add_histogram(tag, finite, step, HISTOGRAM_BINS)


def _weight_image(weight):
    """Keras' picture of a weight: uint8 images ``(n <= 3, height, width, 1)``, or None."""
    image = np.nan_to_num(np.squeeze(weight))
    if image.ndim == 1:  # a bias: one column
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:  # a Dense kernel, drawn wider than tall
        image = image.T if image.shape[0] > image.shape[1] else image
        image = image.reshape(1, *image.shape, 1)
    elif image.ndim == 3:  # a channels_last Conv1D kernel: one image per output channel
        image = np.transpose(image, (2, 0, 1))
        image = image.reshape(*image.shape, 1)
    if image.ndim != 4 or image.shape[-1] not in (1, 3, 4):
        return None  # as Keras: no picture for higher-rank kernels
    # tf.summary.image keeps max_outputs=3 images and converts floats as convert_image_dtype
    # does: multiply by 255.5, then saturate to [0, 255] (tensorboardX alone would wrap around).
    return np.clip(image[:3] * 255.5, 0, 255).astype(np.uint8)

