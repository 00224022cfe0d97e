"""Regression losses: squared, absolute, percentage, logarithmic, Huber, log-cosh, cosine.

Mirrors ``keras/src/losses/losses.py``. Each function takes ``(y_true, y_pred)`` and returns one
value per sample (the mean over the last axis); each class wraps its function as a
:class:`~numpynet.losses.loss.Loss`.
"""

import math

from numpynet import config, ops
from numpynet.losses.loss import LossFunctionWrapper, convert_inputs, squeeze_or_expand_to_same_rank


def _prepare(y_true, y_pred):
    y_true, y_pred = convert_inputs(y_true, y_pred)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """``mean((y_true - y_pred)**2, axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(|y_true - y_pred|, axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 · mean(|(y_true - y_pred) / max(|y_true|, epsilon)|, axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    diff = ops.abs((y_true - y_pred) / ops.maximum(ops.abs(y_true), config.epsilon()))
    return 100.0 * ops.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2, axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    epsilon = config.epsilon()
    first_log = ops.log(ops.maximum(y_pred, epsilon) + 1.0)
    second_log = ops.log(ops.maximum(y_true, epsilon) + 1.0)
    return ops.mean(ops.square(first_log - second_log), axis=-1)


def _l2_normalize(x, axis):
    # Keras' ops.normalize: x · min(1/sqrt(Σx²), 1/epsilon), so a zero vector stays zero
    inv_norm = ops.power(ops.sum(ops.square(x), axis=axis, keepdims=True), -0.5)
    return x * ops.minimum(inv_norm, 1.0 / config.epsilon())


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity ``-Σ normalize(y_true)·normalize(y_pred)`` over ``axis``.

    Returns values in [-1, 1]; -1 means the vectors point the same way (so minimising works).
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: ``½e²`` where ``|e| <= delta``, else ``delta·|e| - ½delta²``; mean over -1."""
    y_true, y_pred = _prepare(y_true, y_pred)
    delta = float(delta)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    quadratic = 0.5 * ops.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return ops.mean(ops.where(abs_error.data <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, as ``x + softplus(-2x) - log 2``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    x = y_pred - y_true
    # the softplus form never overflows, unlike cosh(x) for |x| > ~89 in float32
    return ops.mean(x + ops.softplus(x * -2.0) - math.log(2.0), axis=-1)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors (``"mse"``). Args: as :class:`~numpynet.losses.loss.Loss`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors (``"mae"``). Args: as :class:`~numpynet.losses.loss.Loss`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error (``"mape"``). Args: as :class:`~numpynet.losses.loss.Loss`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error",
                 dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction,
                         dtype=dtype)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared log error (``"msle"``). Args: as :class:`~numpynet.losses.loss.Loss`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error",
                 dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction,
                         dtype=dtype)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along ``axis`` (default -1)."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype,
                         axis=axis)

    def get_config(self):
        # Keras 3.15 drops `axis` here (from_config would lose it); numpynet keeps it.
        return {"name": self.name, "reduction": self.reduction, "axis": self._fn_kwargs["axis"]}


class Huber(LossFunctionWrapper):
    """Huber loss, quadratic for errors up to ``delta`` (default 1.0) and linear beyond."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)

    def get_config(self):
        # Keras 3.15 drops `delta` here (from_config would lose it); numpynet keeps it.
        return {"name": self.name, "reduction": self.reduction, "delta": self._fn_kwargs["delta"]}


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the error."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}
