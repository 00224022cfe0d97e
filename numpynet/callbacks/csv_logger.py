"""``CSVLogger``: one CSV row per epoch, the file always complete on disk."""

import collections
import csv
import io
import os

import numpy as np

from numpynet.callbacks.callback import Callback
from numpynet.utils.io import atomic_write


class CSVLogger(Callback):
    """Streams the epoch ``logs`` to a CSV file, as ``keras.callbacks.CSVLogger``.

    The columns are ``epoch`` (0-based, as Keras writes it) then the sorted ``logs`` keys of the
    first epoch; when those have no ``val_`` key, ``val_<key>`` columns are added (filled with
    ``NA``), as Keras does. Rows end in ``\\r\\n`` (the ``csv`` module's Excel dialect).

    Keras appends each row to an open file. numpynet rewrites the whole file atomically (temp
    file + ``os.replace``) at every epoch end, so a crash or Ctrl-C never leaves a half-written
    row: the file always holds the header and every finished epoch.

    Args:
        filename: path of the CSV file, e.g. ``"run/log.csv"``.
        separator: the field delimiter. Default ``","``.
        append: keep the rows already in the file (and write no second header); otherwise the
            file is emptied when training begins.

    Example:
        >>> model.fit(x, y, epochs=5, callbacks=[nn.callbacks.CSVLogger("training.csv")])
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.keys = None
        self.append_header = True
        self._content = ""
        self._header_done = False

    def on_train_begin(self, logs=None):
        self._content = ""
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="", encoding="utf-8") as f:
                self._content = f.read()
            self.append_header = not self._content  # as Keras: a header only in an empty file
        else:
            self.append_header = True
            self._write()  # Keras opens with mode "w": the old file is emptied now
        self.keys = None
        self._header_done = False

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend([f"val_{k}" for k in self.keys])

        class CustomDialect(csv.excel):
            delimiter = self.sep

        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["epoch"] + self.keys, dialect=CustomDialect)
        if not self._header_done:
            if self.append_header:
                writer.writeheader()
            self._header_done = True
        row = collections.OrderedDict({"epoch": epoch})
        row.update((key, _handle_value(logs.get(key, "NA"))) for key in self.keys)
        writer.writerow(row)
        self._content += buffer.getvalue()
        self._write()

    def on_train_end(self, logs=None):
        self._header_done = False

    def _write(self):
        with atomic_write(self.filename, mode="wb") as f:
            f.write(self._content.encode("utf-8"))


def _handle_value(value):
    """Strings as they are, 1-D iterables as ``"[a, b]"``, numbers as themselves (Keras)."""
    is_zero_dim_ndarray = isinstance(value, np.ndarray) and value.ndim == 0
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not is_zero_dim_ndarray:
        return f'"[{", ".join(map(str, value))}]"'
    return value
