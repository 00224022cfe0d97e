"""Activation layers with arguments: ``ReLU``, ``LeakyReLU``, ``ELU``, ``Softmax``, ``PReLU``.

``Activation("relu")`` (in ``core.py``) covers the plain functions; these layers exist for the
variants with parameters, such as the leaky ReLU of the vanishing-gradient experiments.
"""

import warnings

from numpynet import activations, constraints, initializers, ops, regularizers
from numpynet.layers.layer import Layer


class _ElementwiseActivation(Layer):
    """Base of the activation layers: output shape = input shape, no weights."""

    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_ElementwiseActivation):
    """Rectified linear unit with optional cap, threshold and leak.

    Args:
        max_value: optional upper bound of the output (non-negative).
        negative_slope: slope below the threshold (default 0, non-negative).
        threshold: values at or below it are "negative" (default 0, non-negative).
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError("max_value of a ReLU layer cannot be a negative value. "
                             f"Received: max_value={max_value}")
        for argument, value in (("negative_slope", negative_slope), ("threshold", threshold)):
            if value is None or value < 0.0:
                raise ValueError(f"{argument} of a ReLU layer cannot be None or a negative "
                                 f"value. Received: {argument}={value}")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs, training=None):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(_ElementwiseActivation):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: slope for negative inputs (default 0.3, Keras' layer default; the
            function ``ops.leaky_relu`` defaults to 0.2).
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # Keras 2 name, still accepted with a warning
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: argument `alpha` is deprecated. Use `negative_slope`.",
                          stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError("The negative_slope value of a Leaky ReLU layer cannot be None or "
                             f"negative value. Expected a float. Received: "
                             f"negative_slope={negative_slope}")
        self.negative_slope = negative_slope

    def call(self, inputs, training=None):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_ElementwiseActivation):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha: scale of the negative part (default 1).
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs, training=None):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        # Keras 3.15's ELU omits alpha from its config (so its round trip loses it); we keep it.
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_ElementwiseActivation):
    """Softmax along ``axis``: ``exp(x) / Σ exp(x)``.

    Args:
        axis: an int or a tuple of ints (default -1).
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis

    def call(self, inputs, training=None):
        if isinstance(self.axis, list) and len(self.axis) > 1:
            axis = tuple(self.axis)
            return ops.exp(inputs - ops.logsumexp(inputs, axis=axis, keepdims=True))
        axis = self.axis[0] if isinstance(self.axis, list) else self.axis
        return activations.softmax(inputs, axis=axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class PReLU(_ElementwiseActivation):
    """Parametric ReLU: ``x`` for ``x > 0``, ``alpha * x`` otherwise, with ``alpha`` learned.

    Args:
        alpha_initializer: default ``"zeros"`` (the layer starts as a ReLU).
        alpha_regularizer: optional penalty on ``alpha``.
        alpha_constraint: optional projection (``numpynet.constraints``) that the optimizer
            applies to ``alpha`` after each update (``"non_neg"`` keeps the slopes ≥ 0).
        shared_axes: axes (counting the batch as 0) along which ``alpha`` is shared, e.g.
            ``[1, 2]`` for one slope per channel of an image.

    Shapes:
        output shape = input shape; ``alpha`` has the input's sample shape with the shared
        axes set to 1.
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if any(not isinstance(a, int) or a < 1 for a in axes):
                raise ValueError("PReLU: `shared_axes` must be positive axis indices (0 is the "
                                 f"batch axis). Received: shared_axes={shared_axes!r}")
            self.shared_axes = axes
        self.alpha = None

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis >= len(input_shape):
                raise ValueError(f"PReLU {self.name!r}: shared axis {axis} is out of bounds for "
                                 f"input shape {input_shape}.")
            param_shape[axis - 1] = 1
        if None in param_shape:
            raise ValueError(f"PReLU {self.name!r}: every non-shared axis must have a known "
                             f"size, got input shape {input_shape}.")
        self.alpha = self.add_weight("alpha", tuple(param_shape), self.alpha_initializer,
                                     self.alpha_regularizer, constraint=self.alpha_constraint)
        axes = {i: input_shape[i] for i in range(1, len(input_shape))
                if i not in (self.shared_axes or [])}
        self.input_spec = {"min_ndim": len(input_shape), "axes": axes}
        self.built = True

    def call(self, inputs, training=None):
        positive = ops.relu(inputs)
        negative = -self.alpha * ops.relu(-inputs)
        return positive + negative

    def get_config(self):
        return {**super().get_config(),
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": self.shared_axes}
