"""Hinge losses (maximum-margin classification), as ``keras/src/losses/losses.py``."""

import numpy as np

from numpynet import ops
from numpynet.losses.loss import LossFunctionWrapper, convert_inputs


def convert_binary_labels_to_hinge(y_true):
    """Maps 0/1 labels to -1/+1; labels that are not all 0 or 1 are returned unchanged."""
    values = y_true.data
    if np.all((values == 0) | (values == 1)):
        return 2.0 * y_true - 1.0
    return y_true


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true·y_pred, 0), axis=-1)`` with labels in {-1, 1} (or {0, 1})."""
    y_true, y_pred = convert_inputs(y_true, y_pred)
    y_true = convert_binary_labels_to_hinge(y_true)
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(max(1 - y_true·y_pred, 0)**2, axis=-1)`` with labels in {-1, 1} (or {0, 1})."""
    y_true, y_pred = convert_inputs(y_true, y_pred)
    y_true = convert_binary_labels_to_hinge(y_true)
    return ops.mean(ops.square(ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``max(neg - pos + 1, 0)`` with ``pos = Σ y·p`` and ``neg = max((1 - y)·p)`` (one-hot y)."""
    y_true, y_pred = convert_inputs(y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)


class Hinge(LossFunctionWrapper):
    """Hinge loss for labels in {-1, 1} (0/1 labels are converted)."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss for labels in {-1, 1} (0/1 labels are converted)."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss for one-hot labels."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}
