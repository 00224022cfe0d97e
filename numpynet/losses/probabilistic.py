"""Probabilistic losses: binary, categorical and sparse cross-entropy, focal, KL, Poisson.

Mirrors ``keras/src/losses/losses.py``: label smoothing and the mean over the last axis happen
here, the cross-entropy itself in :mod:`numpynet.losses.crossentropy` (Keras' TF backend), which
also holds the logits shortcut for outputs of ``sigmoid``/``softmax``.
"""

import numpy as np

from numpynet import config, ops
from numpynet.losses import crossentropy as backend
from numpynet.losses.loss import LossFunctionWrapper, convert_inputs, set_keras_mask


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy averaged over ``axis``; labels smoothed to ``y(1-ls) + ls/2`` first.

    Raises:
        ValueError: if ``y_true`` and ``y_pred`` have different shapes.
    """
    y_true, y_pred = convert_inputs(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.mean(backend.binary_crossentropy(y_true, y_pred, from_logits=from_logits),
                    axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by ``(1 - p_t)**gamma`` (Lin et al., 2017), mean over axis."""
    y_true, y_pred = convert_inputs(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = ops.sigmoid(y_pred)  # attaches the logits: the bce below uses them
    bce = backend.binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal_bce = ops.power(1.0 - p_t, float(gamma)) * bce
    if apply_class_balancing:
        weight = y_true * float(alpha) + (1.0 - y_true) * (1.0 - alpha)
        focal_bce = weight * focal_bce
    return ops.mean(focal_bce, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical cross-entropy; labels smoothed to ``y(1-ls) + ls/classes`` first.

    Raises:
        ValueError: if ``y_true`` is not one-hot of ``y_pred``'s shape (the message names both).
    """
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type bool")
    y_true, y_pred = convert_inputs(y_true, y_pred)
    if label_smoothing:
        num_classes = float(y_true.shape[-1])
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    return backend.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def _ignore_mask(y_true, y_pred, ignore_class, axis):
    labels = np.asarray(y_true.data)
    if labels.ndim == y_pred.ndim and labels.shape[axis] == 1:
        labels = np.squeeze(labels, axis)
    return labels != float(ignore_class)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Cross-entropy with integer labels; ``ignore_class`` entries give 0 and are masked out.

    Raises:
        ValueError: for labels of the wrong shape or outside ``[0, classes)``.
    """
    y_true, y_pred = convert_inputs(y_true, y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = ops.squeeze(y_true, axis)
    valid = None
    if ignore_class is not None:
        valid = _ignore_mask(y_true, y_pred, ignore_class, axis)
        y_true = ops.where(valid, y_true, 0.0)
        # a new tensor: as in Keras, the softmax logits are not used when ignore_class is set
        y_pred = ops.where(np.expand_dims(valid, axis), y_pred, 0.0)
    result = backend.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits,
                                                     axis=axis)
    if valid is not None:
        valid = valid.reshape(result.shape)
        result = ops.where(valid, result, 0.0)
        set_keras_mask(result, valid)  # the loss then averages over the valid entries only
    return result


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence ``Σ y_true·log(y_true / y_pred)``, both clipped to [eps, 1]."""
    y_true, y_pred = convert_inputs(y_true, y_pred)
    epsilon = config.epsilon()
    y_true = ops.clip(y_true, epsilon, 1.0)
    y_pred = ops.clip(y_pred, epsilon, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """Poisson loss ``mean(y_pred - y_true·log(y_pred + eps), axis=-1)``."""
    y_true, y_pred = convert_inputs(y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + config.epsilon()), axis=-1)


class _CrossentropyConfig:
    """Adds the constructor arguments kept in ``self._fn_kwargs`` to ``get_config``."""

    _config_keys = ()

    def get_config(self):
        config = {"name": self.name, "reduction": self.reduction}
        config.update({key: self._fn_kwargs[key] for key in self._config_keys})
        return config


class BinaryCrossentropy(_CrossentropyConfig, LossFunctionWrapper):
    """Binary cross-entropy for 0/1 labels.

    Args:
        from_logits: whether ``y_pred`` holds logits. Outputs of ``sigmoid`` are turned back into
            their logits anyway (Keras' TensorFlow behaviour).
        label_smoothing: in [0, 1]; labels become ``y(1-ls) + ls/2``.
        axis: the axis averaged over.
        reduction, name, dtype: as :class:`~numpynet.losses.loss.Loss`.
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class BinaryFocalCrossentropy(_CrossentropyConfig, LossFunctionWrapper):
    """Focal binary cross-entropy: down-weights easy examples by ``(1 - p_t)**gamma``.

    Args:
        apply_class_balancing: weight positives by ``alpha`` and negatives by ``1 - alpha``.
        alpha, gamma: the focal parameters (0.25, 2.0).
        from_logits, label_smoothing, axis, reduction, name, dtype: as
            :class:`BinaryCrossentropy`.
    """

    _config_keys = ("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha",
                    "gamma")

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis
        self.apply_class_balancing, self.alpha, self.gamma = apply_class_balancing, alpha, gamma


class CategoricalCrossentropy(_CrossentropyConfig, LossFunctionWrapper):
    """Cross-entropy for one-hot labels.

    Args:
        from_logits: whether ``y_pred`` holds logits. Outputs of ``softmax`` are turned back into
            their logits anyway (Keras' TensorFlow behaviour).
        label_smoothing: in [0, 1]; labels become ``y(1-ls) + ls/classes``.
        axis: the class axis.
        reduction, name, dtype: as :class:`~numpynet.losses.loss.Loss`.
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class SparseCategoricalCrossentropy(_CrossentropyConfig, LossFunctionWrapper):
    """Cross-entropy for integer labels of shape ``(N,)`` or ``(N, 1)``.

    Args:
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label value whose samples contribute nothing (and are left out of the
            mean), e.g. a padding class.
        reduction, name, dtype: as :class:`~numpynet.losses.loss.Loss`.
        axis: the class axis (only -1 is supported, as in Keras).
    """

    _config_keys = ("from_logits", "ignore_class")

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)
        self.from_logits, self.ignore_class = from_logits, ignore_class


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence between label and predicted distributions."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


class Poisson(LossFunctionWrapper):
    """Poisson negative log-likelihood (up to a constant) of counts ``y_true``."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}
