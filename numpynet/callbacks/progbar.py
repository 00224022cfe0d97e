"""``ProgbarLogger``: the progress display of ``fit``, ``evaluate`` and ``predict``.

It follows Keras' ``ProgbarLogger`` (keras/src/callbacks/progbar_logger.py) hook by hook, and
writes the text of Keras' ``Progbar`` (keras/src/utils/progbar.py): an ``Epoch 3/10`` line when
``fit`` runs more than one epoch, then the step count, the time (ETA while running, elapsed at
the end), the time per step and `` - name: value`` for each log. With ``verbose=1`` tqdm draws the
bar (a text bar in a terminal, a widget in a notebook); with ``verbose=2`` one line is printed
when the epoch (or the evaluation, or the prediction) ends, exactly as Keras prints it::

    Epoch 1/3
    4/4 - 0s - 3ms/step - loss: 0.3195 - mae: 0.4367 - val_loss: 0.2886 - val_mae: 0.4141
"""

import math
import sys
import time

from numpynet.callbacks.callback import Callback


def format_value(value, verbose=1):
    """A log value as Keras' Progbar shows it: 4 decimals, or 4 significant digits when small.

    Keras tests ``abs(value) > 1e-3`` for the bar (``verbose=1``) but ``value > 1e-3`` for the
    one-line summary (``verbose=2``), so there a negative value is written in ``e`` notation.
    """
    large = abs(value) > 1e-3 if verbose == 1 else value > 1e-3
    return f"{value:.4f}" if large else f"{value:.4e}"


def format_logs(logs, verbose=1):
    """`` - name: value`` for each number in ``logs``, in their order (as Keras' Progbar)."""
    return "".join(f" - {key}: {format_value(value, verbose)}"
                   for key, value in (logs or {}).items() if isinstance(value, (int, float)))


def format_time_per_unit(seconds, unit_name="step"):
    """Keras' ``Progbar._format_time``: `` 3s/step``, `` 12ms/step`` or `` 80us/step``."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"


def format_eta(seconds):
    """Keras' estimated time left: ``1:02:03``, ``2:03`` or ``3s``."""
    whole = int(seconds)  # Keras formats with %d, which truncates
    if seconds > 3600:
        return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    if seconds > 60:
        return f"{whole // 60}:{whole % 60:02d}"
    return f"{whole}s"


class ProgbarLogger(Callback):
    """Shows progress: a bar per epoch (``verbose=1``) or one line per epoch (``verbose=2``).

    ``fit``, ``evaluate`` and ``predict`` add one when their ``verbose`` is not 0 (``"auto"``
    means 1). Inside ``fit`` the validation pass is silent: its results appear on the epoch's
    line as ``val_`` logs.

    Attributes:
        verbose, epochs, target: read from ``params`` (``target`` is ``params["steps"]``).
        seen: steps finished in the current epoch, evaluation or prediction.
    """

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False
        self._started = False
        self._bar = None  # the tqdm bar (verbose=1) of the pass in progress
        self._values = {}  # the logs shown on the bar, in order of first appearance (as Keras)

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    # ---------------------------------------------------------------- the hooks, as Keras'
    def on_train_begin(self, logs=None):
        self._called_in_fit = True  # validation inside fit is silent

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", file=sys.stdout, flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)  # the predictions are not shown

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def on_train_end(self, logs=None):
        self._close_bar()  # numpynet: a bar left open by an epoch that did not end

    # ---------------------------------------------------------------- drawing
    def _reset_progbar(self):
        self._close_bar()
        self.seen = 0
        self._started = False

    def _maybe_init_progbar(self):
        if self._started:
            return
        self._started = True
        self._start = time.time()
        self._time_after_first_step = None
        self._values = {}

    def _update_progbar(self, batch, logs=None):
        self._maybe_init_progbar()
        self.seen = batch + 1  # one-based
        if self.verbose == 1:
            self._draw(self.seen, logs, finalize=False)

    def _finalize_progbar(self, logs):
        self._maybe_init_progbar()
        if self.target is None:
            self.target = self.seen
        if self.verbose == 1:
            self._draw(self.target, logs, finalize=True)
        elif self.verbose == 2 and self.target:
            # Keras' Progbar writes its verbose=2 line once, on this final update.
            now = time.time()
            digits = int(math.log10(self.target)) + 1
            per_step = self._time_per_step(self.target, now)
            print(f"{self.target:{digits}d}/{self.target} - {now - self._start:.0f}s -"
                  f"{format_time_per_unit(per_step)}{format_logs(logs, verbose=2)}",
                  file=sys.stdout, flush=True)

    def _draw(self, current, logs, finalize):
        self._values.update(logs or {})
        bar_format = self._bar_format(current, finalize)
        if self._bar is None:  # drawn from the first step on, as Keras' Progbar
            from tqdm.auto import tqdm
            self._bar = tqdm(total=self.target, initial=current, file=sys.stdout, leave=True,
                             unit="step", bar_format=bar_format)
        bar = self._bar
        bar.bar_format = bar_format
        if finalize:
            bar.total = self.target
            bar.n = current
            self._close_bar()  # tqdm draws the final state and leaves it on its own line
        else:
            bar.update(current - bar.n)

    def _bar_format(self, current, finalize):
        """Keras' text around the bar; tqdm fills in ``{bar}`` (braces in names escaped)."""
        now = time.time()
        per_step = self._time_per_step(current, now) if current else 0.0
        if self.target:
            count = f"{current:{int(math.log10(self.target)) + 1}d}/{self.target}"
        else:
            count = f"{current:7d}/Unknown"
        if self.target and not finalize:
            timing = format_eta(per_step * (self.target - current))
        else:
            timing = f"{now - self._start:.0f}s"
        info = f" {timing}{format_time_per_unit(per_step)}{format_logs(self._values)}"
        return count + " {bar}" + info.replace("{", "{{").replace("}", "}}")

    def _time_per_step(self, current, now):
        # Keras' Progbar._estimate_step_duration: leave out the first (slow) step when it can.
        if self._time_after_first_step is not None and current > 1:
            per_step = (now - self._time_after_first_step) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_step

    def _close_bar(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
