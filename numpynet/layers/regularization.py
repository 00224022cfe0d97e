"""Regularization layers: ``Dropout``, ``GaussianNoise``, ``GaussianDropout`` and friends.

The random layers act only in training (``training=True``, which ``fit`` passes); called with
``training=None`` or ``False`` they return their input unchanged, as in Keras. Their noise is an
array of constants drawn at call time, so the tape sees a plain ``multiply`` or ``add`` and the
gradient flows through the kept units with no backward code here.
"""

import math

import numpy as np

from numpynet import ops, regularizers, rng
from numpynet.layers.layer import Layer


def _check_fraction(layer_cls, argument, value):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ValueError(
            f"{layer_cls.__name__}: Invalid value received for argument `{argument}`. "
            f"Expected a float value between 0 and 1. Received: {argument}={value!r}"
        )


class _RandomLayer(Layer):
    """Base of the layers that draw noise: holds the seed and picks the generator."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"{type(self).__name__}: `seed` must be None or a non-negative "
                             f"integer, got {seed!r}.")
        self.seed = seed
        # A seeded layer repeats its own stream (like Keras' SeedGenerator); an unseeded one
        # draws from numpynet's one generator, so `set_random_seed` makes a whole run repeat.
        self._private_generator = None if seed is None else np.random.default_rng(seed)

    def _generator(self):
        return self._private_generator or rng.generator()

    def compute_output_shape(self, input_shape):
        return input_shape


class Dropout(_RandomLayer):
    """Sets a fraction ``rate`` of the inputs to zero in training (inverted dropout).

    Kept values are scaled by ``1 / (1 - rate)`` so the expected sum is unchanged and
    inference needs no rescaling.

    Args:
        rate: fraction of the units to drop, in [0, 1].
        noise_shape: optional shape of the binary mask, broadcast against the input; ``None``
            entries take the input's size (``(None, 1, features)`` drops whole features).
        seed: optional integer; a seeded layer uses its own generator.

    Shapes:
        output shape = input shape.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_fraction(Dropout, "rate", rate)
        self.rate = rate
        self.noise_shape = _validate_noise_shape(noise_shape)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = self._concrete_noise_shape(inputs.shape)
        if self.rate == 1:
            # Keras returns zeros for rate 1 (1 / (1 - rate) would be infinite).
            return ops.multiply(inputs, np.zeros(shape, inputs.dtype))
        keep = self._generator().random(shape, dtype=inputs.dtype) >= self.rate
        # Same as tf.nn.dropout: keep where uniform >= rate, scale kept values by 1/(1-rate).
        multiplier = np.where(keep, 1.0 / (1.0 - self.rate), 0.0).astype(inputs.dtype)
        return ops.multiply(inputs, multiplier)

    def _concrete_noise_shape(self, input_shape):
        if self.noise_shape is None:
            return input_shape
        if len(self.noise_shape) != len(input_shape):
            raise ValueError(f"Dropout {self.name!r}: noise_shape {self.noise_shape} must have "
                             f"one entry per input axis; the input has shape {input_shape}.")
        return tuple(n if s is None else s for s, n in zip(self.noise_shape, input_shape))

    def get_config(self):
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": noise_shape}


def _validate_noise_shape(noise_shape):
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str) or not hasattr(noise_shape, "__iter__"):
        raise ValueError("Dropout: Invalid value received for argument `noise_shape`. Expected "
                         f"a tuple or list of integers. Received: noise_shape={noise_shape!r}")
    noise_shape = tuple(noise_shape)
    for i, size in enumerate(noise_shape):
        if size is not None and (not isinstance(size, int) or size <= 0):
            raise ValueError("Dropout: Invalid value received for argument `noise_shape`. "
                             "Expected all dimensions to be positive integers or None. "
                             f"Received {size!r} at index {i}.")
    return noise_shape


class GaussianNoise(_RandomLayer):
    """Adds zero-centred Gaussian noise in training (``inputs + N(0, stddev²)``).

    Used by the denoising autoencoder: the model sees corrupted inputs while training and
    clean inputs at inference.

    Args:
        stddev: standard deviation of the noise; Keras 3 accepts only values in [0, 1].
        seed: optional integer; a seeded layer uses its own generator.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_fraction(GaussianNoise, "stddev", stddev)
        self.stddev = stddev

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        noise = self._generator().standard_normal(inputs.shape, dtype=inputs.dtype)
        return ops.add(inputs, noise * float(self.stddev))

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_RandomLayer):
    """Multiplies the inputs by ``N(1, rate / (1 - rate))`` noise in training.

    The multiplicative noise has mean 1 (the expected output equals the input) and the
    variance of inverted dropout with the same ``rate``.

    Args:
        rate: drop probability of the equivalent dropout, in [0, 1].
        seed: optional integer; a seeded layer uses its own generator.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_fraction(GaussianDropout, "rate", rate)
        self.rate = rate

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        z = self._generator().standard_normal(inputs.shape, dtype=inputs.dtype)
        # mean + stddev * z, the order of tf.random.normal
        return ops.multiply(inputs, z * stddev + 1.0)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class ActivityRegularization(Layer):
    """Passes its input through and adds ``l1·Σ|x| + l2·Σx²`` of it to the loss.

    The penalty is divided by the batch size, as every activity regularizer in Keras >= 3.14.

    Args:
        l1: L1 factor (default 0).
        l2: L2 factor (default 0).
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)  # fixed by l1 and l2, as in Keras
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2

    def call(self, inputs, training=None):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
