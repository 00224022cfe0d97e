"""Initializer base class, fans, and the deterministic initializers (zeros, ones, constant,
identity)."""

import math

import numpy as np

from numpynet import config

# Standard deviation of a standard normal truncated to [-2, 2]: dividing by it makes the
# truncated draw have the requested stddev (Keras' constant, random_initializers.py).
TRUNCATED_STDDEV_CORRECTION = 0.87962566103423978


def compute_fans(shape, input_axes=None, output_axes=None):
    """Computes the number of input and output units of a weight shape, exactly as Keras.

    Args:
        shape: integer shape tuple. 0-D gives (1, 1); 1-D ``(n,)`` gives (n, n); 2-D
            ``(in, out)``; ≥3-D convolution kernels ``(..., in, out)`` multiply both by the
            receptive field size (the product of the leading dimensions).
        input_axes, output_axes: optional axes whose sizes multiply into fan-in and fan-out
            (used only when both are given).

    Returns:
        ``(fan_in, fan_out)`` as Python ints.
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[a] for a in input_axes)),
                int(math.prod(shape[a] for a in output_axes)))
    if len(shape) < 1:  # constants
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive_field_size = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field_size), int(shape[-1] * receptive_field_size)


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config()``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError("Initializer subclasses must implement the `__call__()` method.")

    def get_config(self):
        """Returns the constructor arguments as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Builds an initializer from the dict that :meth:`get_config` returns."""
        return cls(**config)

    def clone(self):
        """Returns a new initializer with the same configuration."""
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def _dtype(dtype):
    return np.dtype(dtype or config.floatx())


def _float_dtype(dtype, owner):
    dtype = _dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"{owner} draws random floats: expected a float dtype, got dtype={dtype}.")
    return dtype


class Zeros(Initializer):
    """Fills the tensor with 0 (Dense's default bias initializer)."""

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=_dtype(dtype))


class Ones(Initializer):
    """Fills the tensor with 1."""

    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=_dtype(dtype))


class Constant(Initializer):
    """Fills the tensor with ``value``.

    Args:
        value: a Python scalar.
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype)
        return np.asarray(self.value, dtype=dtype) * np.ones(shape, dtype=dtype)

    def get_config(self):
        value = self.value
        return {"value": value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value}


class Identity(Initializer):
    """Returns ``gain`` times the identity matrix (2-D shapes only; rectangular is allowed).

    Args:
        gain: multiplicative factor.

    Raises:
        ValueError: when called with a shape that is not 2-D.
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={tuple(shape)} of rank {len(shape)}.")
        dtype = _dtype(dtype)
        return (self.gain * np.eye(*shape, dtype=dtype)).astype(dtype, copy=False)

    def get_config(self):
        return {"gain": self.gain}
