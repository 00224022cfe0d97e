"""Accuracy metrics: how often predictions match labels, as ``keras/src/metrics/accuracy_metrics``.

Each function returns one 0/1 value per sample (as ``config.floatx()``); each class is a
:class:`~numpynet.metrics.metric.MeanMetricWrapper` averaging it over every sample seen.
"""

import numpy as np

from numpynet import config
from numpynet.losses.loss import squeeze_or_expand_to_same_rank
from numpynet.metrics.metric import MeanMetricWrapper, to_array


def _matches(a, b):
    return np.equal(a, b).astype(config.floatx())


def accuracy(y_true, y_pred):
    """1 where ``y_pred == y_true`` exactly (use it for already-decoded predictions)."""
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _matches(y_true, y_pred)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1 where ``(y_pred > threshold)`` equals the 0/1 label (strictly greater, as Keras)."""
    y_pred, y_true = to_array(y_pred), to_array(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _matches(y_true, (y_pred > threshold).astype(y_true.dtype))


def categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_pred) == argmax(y_true)`` (one-hot labels; ties pick the first class)."""
    y_pred = to_array(y_pred)
    y_true = np.argmax(to_array(y_true), axis=-1)
    original_shape, reshape = y_true.shape, False
    if y_true.ndim == y_pred.ndim:  # labels had an extra trailing axis
        y_true, reshape = np.squeeze(y_true, -1), True
    matches = _matches(y_true, np.argmax(y_pred, axis=-1))
    return matches.reshape(original_shape) if reshape else matches


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_pred)`` equals the integer label (shape ``(N,)`` or ``(N, 1)``)."""
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    original_shape, reshape = y_true.shape, False
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true, reshape = np.squeeze(y_true, -1), True
    matches = _matches(y_true, np.argmax(y_pred, axis=-1).astype(y_true.dtype))
    if reshape:
        matches = matches.reshape(original_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = np.squeeze(matches, -1)
    return matches


def in_top_k(targets, predictions, k):
    """``tf.math.in_top_k``: True where fewer than ``k`` classes score strictly higher.

    Ties at the boundary count as inside the top k; non-finite scores and out-of-range targets
    give False, as in TensorFlow.
    """
    targets = np.asarray(targets).astype(np.int64)
    classes = predictions.shape[-1]
    valid = (targets >= 0) & (targets < classes)
    target_scores = np.take_along_axis(predictions, np.where(valid, targets, 0)[:, None], -1)
    higher = np.sum(predictions > target_scores, axis=-1)
    finite = np.all(np.isfinite(predictions), axis=-1)
    return valid & finite & (higher < k)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the one-hot label's class is among the ``k`` highest scores."""
    y_pred = to_array(y_pred)
    y_true = np.argmax(to_array(y_true, y_pred.dtype), axis=-1)
    original_shape = y_true.shape
    matches = in_top_k(y_true.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]), k)
    return matches.astype(config.floatx()).reshape(original_shape)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1 where the integer label is among the ``k`` highest scores.

    With ``from_sorted_ids=True``, ``y_pred`` holds class ids sorted by score (best first).
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true)
    original_shape = y_true.shape
    y_true = y_true.reshape(-1)
    y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if from_sorted_ids:
        matches = np.any(y_true[:, None] == y_pred[:, :k], axis=1)
    else:
        matches = in_top_k(y_true.astype(np.int32), y_pred, k)
    return matches.astype(config.floatx()).reshape(original_shape)


class Accuracy(MeanMetricWrapper):
    """How often ``y_pred`` equals ``y_true`` exactly."""

    _direction = "up"  # Keras: EarlyStopping's auto mode maximises it

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the 0/1 label.

    Args:
        name, dtype: as :class:`~numpynet.metrics.metric.Metric`.
        threshold: decision threshold (0.5; use 0.0 for logits).
    """

    _direction = "up"  # Keras: EarlyStopping's auto mode maximises it

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max prediction matches the one-hot label."""

    _direction = "up"  # Keras: EarlyStopping's auto mode maximises it

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max prediction matches the integer label."""

    _direction = "up"  # Keras: EarlyStopping's auto mode maximises it

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the top ``k`` (5) predictions."""

    _direction = "up"  # Keras: EarlyStopping's auto mode maximises it

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the top ``k`` (5) predictions."""

    _direction = "up"  # Keras: EarlyStopping's auto mode maximises it

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        super().__init__(fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k, self.from_sorted_ids = k, from_sorted_ids

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
