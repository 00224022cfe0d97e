"""The stateful ``Metric`` base class and the running (weighted) mean behind most metrics.

Mirrors ``keras/src/metrics/metric.py`` and ``reduction_metrics.py``. A metric accumulates state
over batches with :meth:`Metric.update_state`, reports it with :meth:`Metric.result` and starts
again after :meth:`Metric.reset_state` (``fit`` resets at every epoch). Metrics read plain arrays:
they never record a tape.
"""

import numpy as np

from numpynet import config
from numpynet.losses.loss import (
    apply_mask,
    get_keras_mask,
    squeeze_or_expand_to_same_rank,
)
from numpynet.naming import UniqueNames, snake_case
from numpynet.tensor import Tensor, no_grad

unique_name = UniqueNames()  # auc, auc_1... as Keras names metrics without a name
reset_uids = unique_name.reset  # clear_session()


def to_array(x, dtype=None):
    """The ndarray inside a Tensor, or ``np.asarray(x)``; cast to ``dtype`` when given."""
    x = x.data if isinstance(x, Tensor) else np.asarray(x)
    return x if dtype is None or x.dtype == np.dtype(dtype) else x.astype(dtype)


class Metric:
    """Base class of metrics, as ``keras.metrics.Metric``.

    Subclasses create their state in ``__init__`` with :meth:`add_variable` and implement
    :meth:`update_state` and :meth:`result`.

    Args:
        dtype: float type of the state; default ``config.floatx()``.
        name: default derived from the class name, made unique (``precision``, ``precision_1``).
    """

    def __init__(self, dtype=None, name=None):
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.dtype = np.dtype(dtype or config.floatx()).name
        self._variables = []

    def add_variable(self, shape=(), name=None):
        """Creates a zero-initialised state array that :meth:`reset_state` zeroes again."""
        variable = np.zeros(shape, dtype=self.dtype)
        self._variables.append(variable)
        return variable

    @property
    def variables(self):
        """The state arrays, in creation order."""
        return list(self._variables)

    def update_state(self, *args, **kwargs):
        """Accumulates statistics from one batch (implemented by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        """Returns the current value (implemented by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Zeroes every state array in place."""
        for variable in self._variables:
            variable[...] = 0

    def __call__(self, *args, **kwargs):
        """Updates the state with one batch and returns the new result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype, mask=None):
    """Reduces ``values`` to one value per sample, weighted (Keras' reduction_metrics helper).

    Returns:
        ``(values, sample_weight)``: the weighted per-sample values (summed later) and the
        per-sample weights (their sum is the count), or None for the weights.
    """
    values = to_array(values, dtype)
    if sample_weight is not None:
        sample_weight = to_array(sample_weight, dtype)
        # as in Keras, a mask on the values only matters when sample weights are given
        sample_weight = apply_mask(sample_weight, mask, dtype, "sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.ndim
        if values.ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values.ndim)))
        sample_weight = np.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the values seen."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, np.sum, self.dtype)
        self.total += np.sum(values, dtype=self.dtype)

    def result(self):
        return float(self.total)


class Mean(Metric):
    """The (weighted) mean of the values seen: ``Σ w·v / Σ w``. ``fit`` tracks its loss with it.

    Example:
        >>> m = Mean(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]); m.result()
        2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")

    def update_state(self, values, sample_weight=None, mask=None):
        """Adds ``values`` (one per sample, or reduced to that) with optional weights."""
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, np.mean,
                                                            self.dtype, mask)
        self.total += np.sum(values, dtype=self.dtype)
        if sample_weight is not None:
            self.count += np.sum(sample_weight, dtype=self.dtype)
        else:
            self.count += values.shape[0] if values.ndim >= 1 else 1

    def result(self):
        # divide_no_nan: 0 before any update
        return float(self.total / self.count) if self.count else 0.0


class MeanMetricWrapper(Mean):
    """Averages a per-sample function ``fn(y_true, y_pred, **kwargs)`` over all samples seen.

    Accuracy, MSE and cross-entropy metrics are this wrapper around their functions: each
    sample counts once (times its sample weight), whatever the batch sizes.

    Args:
        fn: the per-sample metric function (numpy arrays or Tensors in, per-sample values out).
        name: metric name; default derived from the class name.
        dtype: float type of the state.
        **kwargs: passed to ``fn`` on every update.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        with no_grad():  # a metric must not record a tape (Tensors keep their _keras_logits)
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(to_array(values), sample_weight, mask=get_keras_mask(values))

    def get_config(self):
        from numpynet.losses import serialize

        return {**super().get_config(), "fn": serialize(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        from numpynet.metrics import deserialize_function

        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize_function(config["fn"])
        return cls(**config)
