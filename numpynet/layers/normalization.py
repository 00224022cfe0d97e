"""Normalization layers: ``BatchNormalization`` and ``LayerNormalization``.

Both are compositions of ops, so the gradient through the batch (or per-sample) mean and
variance comes from the tape. The formulas follow Keras' TensorFlow backend step by step
(``tf.nn.moments`` and ``tf.nn.batch_normalization``), so the float32 rounding matches too.
"""

import warnings

from numpynet import constraints, initializers, ops, regularizers
from numpynet.layers.layer import Layer


def moments(x, axes, keepdims=False):
    """Mean and biased variance of ``x`` over ``axes`` (as ``tf.nn.moments``).

    The variance uses the mean as a constant (TensorFlow's ``stop_gradient``): the term it
    drops, ``∂var/∂mean = -2·mean(x - mean)``, is exactly zero.
    """
    mean = ops.mean(x, axes, keepdims=True)
    variance = ops.mean(ops.square(ops.subtract(x, mean.detach())), axes, keepdims=True)
    if not keepdims:
        mean, variance = ops.squeeze(mean, axes), ops.squeeze(variance, axes)
    return mean, variance


def batch_normalization(x, mean, variance, offset, scale, epsilon):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset`` in TensorFlow's order.

    TF folds the scale into the inverse standard deviation and adds one precomputed shift:
    ``inv = rsqrt(var + eps) * scale;  out = x * inv + (offset - mean * inv)``.
    """
    inv = 1.0 / ops.sqrt(variance + epsilon)
    if scale is not None:
        inv = inv * scale
    shift = offset - mean * inv if offset is not None else -mean * inv
    return x * inv + shift


def _check_axes(layer, axes, input_shape):
    for axis in axes:
        if not -len(input_shape) <= axis < len(input_shape):
            raise ValueError(f"{type(layer).__name__} {layer.name!r}: Axis {axis} is out of "
                             f"bounds for input shape {input_shape}. Received: axis={layer.axis}")


class BatchNormalization(Layer):
    """Normalizes each feature with batch statistics in training, moving averages otherwise.

    In training (``training=True`` and the layer trainable) the output is
    ``gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta`` with the biased batch variance,
    and the moving statistics become ``moving * momentum + batch * (1 - momentum)``. In
    inference the moving mean and variance replace the batch ones. A frozen layer
    (``trainable=False``) always runs in inference mode, as in Keras.

    Args:
        axis: the feature axis (default -1); statistics are taken over all other axes.
        momentum: of the moving averages (default 0.99).
        epsilon: added to the variance (default 1e-3).
        center: learn the offset ``beta``.
        scale: learn the factor ``gamma``.
        beta_initializer, gamma_initializer: default ``"zeros"``, ``"ones"``.
        moving_mean_initializer, moving_variance_initializer: default ``"zeros"``, ``"ones"``.
        beta_regularizer, gamma_regularizer: optional weight penalties.
        beta_constraint, gamma_constraint: optional projections (``numpynet.constraints``)
            that the optimizer applies to ``beta`` and ``gamma`` after each update.
        renorm, renorm_clipping, renorm_momentum, synchronized: accepted for Keras
            compatibility; only the defaults are supported.

    Shapes:
        output shape = input shape; weights (in Keras' order) ``gamma``, ``beta``,
        ``moving_mean``, ``moving_variance``, each ``(input_shape[axis],)``.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        if renorm or synchronized:
            raise NotImplementedError("BatchNormalization: renorm and synchronized are not "
                                      "supported by numpynet.")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None
        self._reduction_axes = None

    def build(self, input_shape):
        _check_axes(self, [self.axis], input_shape)
        size = input_shape[self.axis]
        if size is None:
            raise ValueError(f"BatchNormalization {self.name!r}: axis {self.axis} of the input "
                             f"must have a known size, got input shape {input_shape}.")
        shape = (size,)
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer,
                                         self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape, self.beta_initializer,
                                        self.beta_regularizer, constraint=self.beta_constraint)
        self.moving_mean = self.add_weight("moving_mean", shape, self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape,
                                               self.moving_variance_initializer, trainable=False)
        self.input_spec = {"min_ndim": len(input_shape), "axes": {self.axis: size}}
        axis = self.axis % len(input_shape)
        self._reduction_axes = tuple(a for a in range(len(input_shape)) if a != axis)
        self.built = True

    def call(self, inputs, training=None):
        if training and self.trainable:
            mean, variance = moments(inputs, self._reduction_axes)
            self._update_moving_statistics(mean.data, variance.data)
        else:
            mean, variance = self.moving_mean, self.moving_variance
        gamma, beta = self.gamma, self.beta
        if self.axis not in (-1, inputs.ndim - 1):
            # Parameters of shape (C,) must broadcast along `axis`, not along the last axis.
            shape = [1] * inputs.ndim
            shape[self.axis] = -1
            mean, variance = ops.reshape(mean, shape), ops.reshape(variance, shape)
            gamma = None if gamma is None else ops.reshape(gamma, shape)
            beta = None if beta is None else ops.reshape(beta, shape)
        return batch_normalization(inputs, mean, variance, beta, gamma, self.epsilon)

    def _update_moving_statistics(self, mean, variance):
        # Plain array arithmetic, in place: a state update is not part of the tape.
        momentum = self.momentum
        self.moving_mean.assign(self.moving_mean.data * momentum + mean * (1.0 - momentum))
        self.moving_variance.assign(
            self.moving_variance.data * momentum + variance * (1.0 - momentum))

    def compute_output_shape(self, input_shape):
        _check_axes(self, [self.axis], input_shape)
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer":
                initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": False,
            "renorm": False,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis``: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    Unlike batch normalization, the statistics are per sample, so training and inference
    compute the same thing and there is no state.

    Args:
        axis: axis or list of axes to normalize over (default -1).
        epsilon: added to the variance (default 1e-3, as Keras' layer; ``ops`` use 1e-7).
        center: learn the offset ``beta``.
        scale: learn the factor ``gamma``.
        rms_scaling: deprecated in Keras (it scales by the variance, not the RMS): when True,
            ``x * rsqrt(var + epsilon) * gamma`` with no centering and no ``beta``.
        beta_initializer, gamma_initializer: default ``"zeros"``, ``"ones"``.
        beta_regularizer, gamma_regularizer: optional weight penalties.
        beta_constraint, gamma_constraint: optional projections (``numpynet.constraints``)
            that the optimizer applies to ``beta`` and ``gamma`` after each update.

    Shapes:
        output shape = input shape; ``gamma`` and ``beta`` have the sizes of the ``axis`` axes.
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError("LayerNormalization: Expected an int or a list/tuple of ints for the "
                            f"argument 'axis', but received: {axis!r}")
        if rms_scaling:
            warnings.warn("LayerNormalization: rms_scaling=True is deprecated in Keras (it scales "
                          "by the variance, not the root mean square).", stacklevel=2)
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma = self.beta = None

    def build(self, input_shape):
        # Keras stores the axes as a sorted list once built.
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        _check_axes(self, self.axis, input_shape)
        shape = tuple(input_shape[a] for a in self.axis)
        if None in shape:
            raise ValueError(f"LayerNormalization {self.name!r}: the normalized axes {self.axis} "
                             f"must have known sizes, got input shape {input_shape}.")
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer,
                                         self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight("beta", shape, self.beta_initializer,
                                        self.beta_regularizer, constraint=self.beta_constraint)
        self.input_spec = {"min_ndim": len(input_shape),
                           "axes": {a: input_shape[a] for a in self.axis}}
        self.built = True

    def call(self, inputs, training=None):
        axes = tuple(a % inputs.ndim for a in self.axis)
        gamma, beta = self.gamma, self.beta
        if axes != (inputs.ndim - 1,):
            # Weights of shape (sizes of `axes`) must line up with those axes.
            shape = [inputs.shape[a] if a in axes else 1 for a in range(inputs.ndim)]
            gamma = None if gamma is None else ops.reshape(gamma, shape)
            beta = None if beta is None else ops.reshape(beta, shape)
        mean, variance = moments(inputs, axes, keepdims=True)
        inv = 1.0 / ops.sqrt(variance + self.epsilon)
        if self.rms_scaling:
            outputs = inputs * inv
            return outputs if gamma is None else outputs * gamma
        # Keras' order: inv *= gamma;  res = -mean * inv + beta;  out = x * inv + res
        if gamma is not None:
            inv = inv * gamma
        shift = -mean * inv
        if beta is not None:
            shift = shift + beta
        return inputs * inv + shift

    def compute_output_shape(self, input_shape):
        _check_axes(self, self.axis if isinstance(self.axis, list) else [self.axis], input_shape)
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
