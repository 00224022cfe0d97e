"""Random initializers: normal, truncated normal, uniform, variance scaling (Glorot, He, LeCun)
and orthogonal."""

import math

import numpy as np

from numpynet import rng
from numpynet.initializers.base import (
    TRUNCATED_STDDEV_CORRECTION,
    Initializer,
    _float_dtype,
    compute_fans,
)


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
