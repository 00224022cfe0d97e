"""Regression and cross-entropy metrics: the loss functions averaged over every sample seen.

Mirrors ``keras/src/metrics/regression_metrics.py`` and ``probabilistic_metrics.py``. These wrap
the functions of :mod:`numpynet.losses` (run without a tape), so a metric named like a loss
reports exactly that loss, without regularization.
"""

import numpy as np

from numpynet import losses
from numpynet.losses.loss import squeeze_or_expand_to_same_rank
from numpynet.metrics.metric import Mean, MeanMetricWrapper, to_array


class MeanSquaredError(MeanMetricWrapper):
    """Mean of ``mean((y_true - y_pred)**2, axis=-1)`` over the samples."""

    _direction = "down"  # Keras: EarlyStopping's auto mode minimises it

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(fn=losses.mean_squared_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean of ``mean(|y_true - y_pred|, axis=-1)`` over the samples."""

    _direction = "down"  # Keras: EarlyStopping's auto mode minimises it

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(fn=losses.mean_absolute_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Mean of ``100·mean(|(y_true - y_pred) / y_true|, axis=-1)`` over the samples."""

    _direction = "down"  # Keras: EarlyStopping's auto mode minimises it

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(fn=losses.mean_absolute_percentage_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Mean of the squared logarithmic error over the samples."""

    _direction = "down"  # Keras: EarlyStopping's auto mode minimises it

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(fn=losses.mean_squared_logarithmic_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class RootMeanSquaredError(Mean):
    """``sqrt`` of the mean squared error over every element seen."""

    _direction = "down"  # Keras: EarlyStopping's auto mode minimises it

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = to_array(y_true, self.dtype), to_array(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(np.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return float(np.sqrt(np.asarray(super().result(), dtype=self.dtype)))


class BinaryCrossentropy(MeanMetricWrapper):
    """Binary cross-entropy averaged over the samples (``from_logits``, ``label_smoothing``)."""

    _direction = "down"  # Keras: EarlyStopping's auto mode minimises it

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(losses.binary_crossentropy, name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)
        self.from_logits, self.label_smoothing = from_logits, label_smoothing

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class CategoricalCrossentropy(MeanMetricWrapper):
    """Categorical cross-entropy averaged over the samples."""

    _direction = "down"  # Keras: EarlyStopping's auto mode minimises it

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(losses.categorical_crossentropy, name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Sparse categorical cross-entropy averaged over the samples."""

    _direction = "down"  # Keras: EarlyStopping's auto mode minimises it

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "ignore_class": self.ignore_class, "axis": self.axis}
