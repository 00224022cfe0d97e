"""Weight initializers: how the first values of every weight are drawn, as in `keras.initializers`.

An initializer is a callable ``init(shape, dtype=None) -> np.ndarray``. The variance-scaling
family (Glorot, He, LeCun) picks the spread of the draw from the weight's *fans*, so that the
variance of activations (or gradients) stays about the same from layer to layer.

Randomness: an initializer built with an integer ``seed`` returns the same values at every call,
as Keras does (Keras draws statelessly from the seed); we draw from a fresh
``np.random.default_rng(seed)`` each call. Without a seed we draw from
:func:`numpynet.rng.generator` at call time, so successive calls differ and
:func:`numpynet.set_random_seed` makes a whole run repeat. (Keras instead fixes a random seed when
an unseeded initializer is made, so the same instance repeats its values.)
"""

import math
import re

import numpy as np

from numpynet import config, rng
from numpynet.tensor import Tensor

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


class RandomInitializer(Initializer):
    """Base of the random initializers: holds the optional integer ``seed``.

    Raises:
        ValueError: if ``seed`` is neither None nor a non-negative integer.
    """

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                                 or seed < 0):
            raise ValueError(f"{type(self).__name__}: `seed` must be None or a non-negative "
                             f"integer. Received: seed={seed!r}")
        self.seed = None if seed is None else int(seed)

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, type(self).__name__)
        # A seeded initializer restarts its own stream at every call: same seed, same values.
        generator = rng.generator() if self.seed is None else np.random.default_rng(self.seed)
        return np.asarray(self._draw(generator, tuple(shape), dtype))

    def _draw(self, generator, shape, dtype):
        raise NotImplementedError

    def get_config(self):
        return {"seed": self.seed}


def _draw_dtype(dtype):
    # NumPy's generators draw float32 or float64 directly; float16 is drawn in float32 and cast.
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)


def _normal(generator, shape, mean, stddev, dtype):
    z = generator.standard_normal(shape, dtype=_draw_dtype(dtype))
    return (z * float(stddev) + float(mean)).astype(dtype, copy=False)


def _truncated_normal(generator, shape, mean, stddev, dtype):
    """Normal draws; every value more than 2 standard deviations from the mean is redrawn."""
    z = np.asarray(generator.standard_normal(shape, dtype=_draw_dtype(dtype)))
    outside = np.abs(z) > 2.0
    while outside.any():
        z[outside] = generator.standard_normal(int(outside.sum()), dtype=z.dtype)
        outside = np.abs(z) > 2.0
    return (z * float(stddev) + float(mean)).astype(dtype, copy=False)


def _uniform(generator, shape, minval, maxval, dtype):
    u = generator.random(shape, dtype=_draw_dtype(dtype))  # in [0, 1)
    return (u * (float(maxval) - float(minval)) + float(minval)).astype(dtype, copy=False)


class _MeanStddevInitializer(RandomInitializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed=seed)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomNormal(_MeanStddevInitializer):
    """Draws from N(mean, stddev²).

    Args:
        mean: mean of the values (default 0).
        stddev: standard deviation of the values (default 0.05).
        seed: optional integer; a seeded initializer returns the same values at every call.
    """

    def _draw(self, generator, shape, dtype):
        return _normal(generator, shape, self.mean, self.stddev, dtype)


class TruncatedNormal(_MeanStddevInitializer):
    """Draws from N(mean, stddev²), redrawing values more than 2·stddev from the mean.

    ``stddev`` is that of the normal before truncation (no correction, as in Keras), so the
    values' actual standard deviation is about 0.88·stddev.

    Args:
        mean: mean of the values (default 0).
        stddev: standard deviation of the normal before truncation (default 0.05).
        seed: optional integer; a seeded initializer returns the same values at every call.
    """

    def _draw(self, generator, shape, dtype):
        return _truncated_normal(generator, shape, self.mean, self.stddev, dtype)


class RandomUniform(RandomInitializer):
    """Draws uniformly from ``[minval, maxval)``.

    Args:
        minval: lower bound (inclusive).
        maxval: upper bound (exclusive).
        seed: optional integer; a seeded initializer returns the same values at every call.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval = minval, maxval
        super().__init__(seed=seed)

    def _draw(self, generator, shape, dtype):
        return _uniform(generator, shape, self.minval, self.maxval, dtype)

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class VarianceScaling(RandomInitializer):
    """Draws with variance ``scale / n``, where ``n`` is fan-in, fan-out or their mean.

    ``"truncated_normal"`` uses stddev ``sqrt(scale/n) / 0.87962566103423978`` so that the
    values *after* truncation at 2σ have stddev ``sqrt(scale/n)``; ``"untruncated_normal"`` uses
    ``sqrt(scale/n)``; ``"uniform"`` draws from ``[-limit, limit)``, ``limit = sqrt(3·scale/n)``.

    Args:
        scale: positive scaling factor.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"`` (``"normal"`` is an alias), ``"untruncated_normal"``
            or ``"uniform"``.
        seed: optional integer; a seeded initializer returns the same values at every call.
        input_axes, output_axes: optional axes that define the fans (see :func:`compute_fans`).

    Raises:
        ValueError: for a non-positive ``scale`` or an unknown ``mode`` or ``distribution``.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        modes = ("fan_in", "fan_out", "fan_avg")
        if mode not in modes:
            raise ValueError(f"Invalid `mode` argument: {mode!r}. Please use one of {modes}.")
        distribution = str(distribution).lower()
        distribution = "truncated_normal" if distribution == "normal" else distribution
        distributions = ("uniform", "truncated_normal", "untruncated_normal")
        if distribution not in distributions:
            raise ValueError(f"Invalid `distribution` argument: {distribution!r}. "
                             f"Please use one of {distributions}.")
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes
        super().__init__(seed=seed)

    def _draw(self, generator, shape, dtype):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        scale = self.scale / max(1.0, fan[self.mode])
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / TRUNCATED_STDDEV_CORRECTION
            return _truncated_normal(generator, shape, 0.0, stddev, dtype)
        if self.distribution == "untruncated_normal":
            return _normal(generator, shape, 0.0, math.sqrt(scale), dtype)
        limit = math.sqrt(3.0 * scale)
        return _uniform(generator, shape, -limit, limit, dtype)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _VarianceScalingPreset(VarianceScaling):
    """VarianceScaling with the fixed ``(scale, mode, distribution)`` of ``_preset``.

    Args:
        seed: optional integer; a seeded initializer returns the same values at every call.
        input_axes, output_axes: optional axes that define the fans (see :func:`compute_fans`).
    """

    _preset = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        scale, mode, distribution = self._preset
        super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_VarianceScalingPreset):
    """Glorot (Xavier) uniform: limit = sqrt(6 / (fan_in + fan_out)). Dense's default kernel."""

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_VarianceScalingPreset):
    """Glorot (Xavier) normal, truncated: stddev sqrt(2 / (fan_in + fan_out)) after truncation."""

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_VarianceScalingPreset):
    """He uniform: limit = sqrt(6 / fan_in)."""

    _preset = (2.0, "fan_in", "uniform")


class HeNormal(_VarianceScalingPreset):
    """He normal, truncated: stddev sqrt(2 / fan_in) after truncation."""

    _preset = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_VarianceScalingPreset):
    """LeCun uniform: limit = sqrt(3 / fan_in)."""

    _preset = (1.0, "fan_in", "uniform")


class LecunNormal(_VarianceScalingPreset):
    """LeCun normal, truncated: stddev sqrt(1 / fan_in) after truncation (pairs with selu)."""

    _preset = (1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """An orthogonal matrix from the QR decomposition of a normal draw (Saxe et al., 2014).

    Shapes of rank > 2 are flattened to ``(prod(shape[:-1]), shape[-1])`` and reshaped back.
    With fewer rows than columns the rows are orthonormal, otherwise the columns are.

    Args:
        gain: multiplicative factor.
        seed: optional integer; a seeded initializer returns the same values at every call.

    Raises:
        ValueError: when called with a shape of rank < 2.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def _draw(self, generator, shape, dtype):
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = _normal(generator, (max(rows, cols), min(rows, cols)), 0.0, 1.0, dtype)
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))  # fix the signs so Q is uniformly distributed (Mezzadri)
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype, copy=False)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


def to_snake_case(name):
    """``"GlorotUniform"`` -> ``"glorot_uniform"``, with Keras' rule (utils/naming.py)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


_CLASSES = (Initializer, Constant, Identity, Ones, Zeros, GlorotNormal, GlorotUniform, HeNormal,
            HeUniform, LecunNormal, LecunUniform, Orthogonal, RandomNormal, RandomUniform,
            TruncatedNormal, VarianceScaling)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update({"IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
                         "normal": RandomNormal, "uniform": RandomUniform, "one": Ones,
                         "zero": Zeros})


def serialize(initializer):
    """Returns the initializer's config in Keras' format (``class_name`` and ``config``).

    A plain function gives Keras' function form ``{"class_name": "function", "config": name}``,
    which :func:`deserialize` resolves through ``custom_objects``.

    Raises:
        ValueError: if ``initializer`` is neither an :class:`Initializer` nor a callable.
    """
    if initializer is None:
        return None
    if isinstance(initializer, Initializer):
        return {"module": "keras.initializers", "class_name": type(initializer).__name__,
                "config": initializer.get_config(), "registered_name": None}
    if callable(initializer):
        name = getattr(initializer, "__name__", type(initializer).__name__)
        return {"module": getattr(initializer, "__module__", None), "class_name": "function",
                "config": name, "registered_name": name}
    raise ValueError(f"Cannot serialize initializer {initializer!r}: expected an Initializer "
                     "or a callable (shape, dtype=None).")


def deserialize(config, custom_objects=None):
    """Builds an initializer from a name or a ``{"class_name": ..., "config": ...}`` dict.

    Raises:
        ValueError: for an unknown class name (the message lists the valid names).
    """
    objects = {**ALL_OBJECTS_DICT, **(custom_objects or {})}
    if isinstance(config, str):
        name, arguments = config, {}
    elif isinstance(config, dict) and config.get("class_name") == "function":
        return _function(config, custom_objects, "initializer")
    elif isinstance(config, dict) and "class_name" in config:
        name, arguments = config["class_name"], config.get("config") or {}
    else:
        raise ValueError(f"Cannot deserialize an initializer from {config!r}: expected a name "
                         "or a dict with 'class_name' and 'config' keys.")
    if name not in objects:
        raise ValueError(f"Could not interpret initializer identifier: {name!r}. "
                         f"Valid names are: {sorted(objects)}.")
    return objects[name].from_config(arguments)


def _function(config, custom_objects, kind):
    """Resolves Keras' ``{"class_name": "function", "config": name}`` form by name."""
    name = config.get("config")
    if name not in (custom_objects or {}):
        raise ValueError(f"Cannot deserialize the custom {kind} function {name!r}: pass it in "
                         f"custom_objects={{{name!r}: function}}.")
    return custom_objects[name]


def get(identifier):
    """Returns an initializer from None, a name, a config dict, a class, a callable or an array.

    A name is a class name (``"GlorotUniform"``) or its snake_case form (``"glorot_uniform"``).
    An array becomes a function that returns it (for the same shape only).

    Raises:
        ValueError: if ``identifier`` cannot be interpreted (unknown names list the valid ones).
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, (np.ndarray, np.generic, Tensor)):
        return _array_initializer(np.asarray(identifier))
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}. Expected "
                     "None, a name such as 'glorot_uniform', a config dict, a callable "
                     "(shape, dtype=None) or an array.")


def _array_initializer(values):
    def initialize_fn(shape, dtype=None):
        if tuple(shape) != values.shape:
            raise ValueError(f"Expected `shape` to be {values.shape} for direct tensor as "
                             f"initializer. Received shape={tuple(shape)}")
        return values.astype(_dtype(dtype))

    return initialize_fn
