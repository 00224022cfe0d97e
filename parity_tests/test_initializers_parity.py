"""numpynet.initializers against keras.initializers: exact fans, and samples by their statistics.

Random streams are never matched. Each random initializer is drawn once in each engine on a shape
with at least 20 000 elements; the sample mean and standard deviation must equal the theoretical
values and Keras' sample statistics within sampling error (5 standard errors), and the extremes
must respect the bounds (uniform limits, truncation at 2σ) and reach close to them. Deterministic
initializers (Zeros, Ones, Constant, Identity) and ``compute_fans`` are compared exactly.
"""

import math

import numpy as np
import pytest

import numpynet as nn
from parity_tests.compare import assert_close, assert_same
from tf_reference._keras import keras

keras_compute_fans = keras.src.initializers.random_initializers.compute_fans
CORRECTION = 0.87962566103423978  # stddev of a standard normal truncated to [-2, 2]
# Exact equality (a positive atol keeps compare's relative error finite where values are 0).
EXACT = {"rtol": 0.0, "atol": 1e-300}


@pytest.fixture(autouse=True)
def _fresh_state():
    """Overrides conftest's: same resets without clear_session's slow garbage collection."""
    nn.config.set_floatx("float32")
    keras.config.set_floatx("float32")
    nn.set_random_seed(0)
    yield
    nn.config.set_floatx("float32")
    keras.config.set_floatx("float32")


# ---------------------------------------------------------------------------- fans
FAN_SHAPES = [(), (7,), (3, 5), (5, 3), (1, 1), (3, 5, 7), (3, 3, 4, 8), (5, 5, 1, 32),
              (2, 3, 3, 4, 8), (1, 1, 1, 1)]
FAN_AXES = [((4, 6, 8), (0,), (1, 2)), ((4, 6, 8), (0, 1), (2,)), ((3, 3, 4, 8), (2,), (3,))]


@pytest.mark.parametrize("shape", FAN_SHAPES, ids=str)
def test_compute_fans(shape):
    assert_same(f"initializer compute_fans {shape}", "(fan_in, fan_out)",
                nn.initializers.compute_fans(shape), keras_compute_fans(shape))


@pytest.mark.parametrize("shape, input_axes, output_axes", FAN_AXES, ids=str)
def test_compute_fans_with_axes(shape, input_axes, output_axes):
    assert_same(f"initializer compute_fans {shape} in={input_axes} out={output_axes}",
                "(fan_in, fan_out)", nn.initializers.compute_fans(shape, input_axes, output_axes),
                keras_compute_fans(shape, input_axes, output_axes))


# ---------------------------------------------------------------------------- statistics
def _fan(shape, mode):
    fan_in, fan_out = keras_compute_fans(shape)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]


def _variance_scaling(scale, mode, distribution, shape):
    """Theoretical (mean, std, lower bound, upper bound, bounded) of a VarianceScaling draw."""
    variance = scale / max(1.0, _fan(shape, mode))
    if distribution == "uniform":
        limit = math.sqrt(3.0 * variance)
        return 0.0, math.sqrt(variance), -limit, limit, True
    if distribution == "untruncated_normal":
        return 0.0, math.sqrt(variance), -math.inf, math.inf, False
    sigma = math.sqrt(variance) / CORRECTION  # before truncation; after: sqrt(variance)
    return 0.0, math.sqrt(variance), -2.0 * sigma, 2.0 * sigma, True


PRESETS = {"GlorotUniform": (1.0, "fan_avg", "uniform"),
           "GlorotNormal": (1.0, "fan_avg", "truncated_normal"),
           "HeUniform": (2.0, "fan_in", "uniform"), "HeNormal": (2.0, "fan_in", "truncated_normal"),
           "LecunUniform": (1.0, "fan_in", "uniform"),
           "LecunNormal": (1.0, "fan_in", "truncated_normal")}


def _theory(name, kwargs, shape):
    if name == "RandomNormal":
        mean, std = kwargs.get("mean", 0.0), kwargs.get("stddev", 0.05)
        return mean, std, -math.inf, math.inf, False
    if name == "RandomUniform":
        low, high = kwargs.get("minval", -0.05), kwargs.get("maxval", 0.05)
        return (low + high) / 2.0, (high - low) / math.sqrt(12.0), low, high, True
    if name == "TruncatedNormal":  # no correction: the stddev is the one before truncation
        mean, sigma = kwargs.get("mean", 0.0), kwargs.get("stddev", 0.05)
        return mean, sigma * CORRECTION, mean - 2.0 * sigma, mean + 2.0 * sigma, True
    if name == "Orthogonal":  # unit columns (or rows) of length max(rows, cols)
        rows, cols = math.prod(shape[:-1]), shape[-1]
        return 0.0, kwargs.get("gain", 1.0) / math.sqrt(max(rows, cols)), -math.inf, \
            math.inf, False
    if name in PRESETS:
        return _variance_scaling(*PRESETS[name], shape)
    distribution = kwargs.get("distribution", "truncated_normal")
    distribution = "truncated_normal" if distribution == "normal" else distribution
    return _variance_scaling(kwargs.get("scale", 1.0), kwargs.get("mode", "fan_in"),
                             distribution, shape)


RANDOM = [
    ("RandomNormal", {}), ("RandomNormal", {"mean": 0.3, "stddev": 2.0}),
    ("RandomUniform", {}), ("RandomUniform", {"minval": -1.0, "maxval": 3.0}),
    ("TruncatedNormal", {}), ("TruncatedNormal", {"mean": 1.0, "stddev": 0.5}),
    ("VarianceScaling", {}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "untruncated_normal"}),
    ("VarianceScaling", {"scale": 0.5, "mode": "fan_avg", "distribution": "uniform"}),
    ("VarianceScaling", {"scale": 3.0, "mode": "fan_in", "distribution": "normal"}),
    *((name, {}) for name in PRESETS), ("Orthogonal", {}), ("Orthogonal", {"gain": 2.0}),
]
STAT_SHAPES = [(200, 100), (120, 250), (3, 3, 48, 64)]


def _check_sample(case, values, theory):
    """Mean and std within 5 standard errors of theory; extremes inside (and near) the bounds."""
    mean, std, low, high, bounded = theory
    n = values.size
    assert_close(case, "mean vs theory", values.mean(), mean, rtol=0.0, atol=5 * std / n**0.5)
    assert_close(case, "std vs theory", values.std(), std, rtol=0.0, atol=5 * std / n**0.5)
    if bounded:  # inside the bounds, and within 2% of σ of them (20k draws get that close)
        assert_same(case, "all values inside the bounds", bool(
            values.min() >= low - 1e-6 * abs(low) and values.max() <= high + 1e-6 * abs(high)),
            True)
        assert_close(case, "min vs lower bound", values.min(), low, rtol=0.0, atol=0.02 * std)
        assert_close(case, "max vs upper bound", values.max(), high, rtol=0.0, atol=0.02 * std)


@pytest.mark.parametrize("shape", STAT_SHAPES, ids=str)
@pytest.mark.parametrize("name, kwargs", [pytest.param(n, k, id=f"{n}-{k}") for n, k in RANDOM])
def test_random_initializer_statistics(name, kwargs, shape):
    ours = getattr(nn.initializers, name)(**kwargs)(shape, dtype="float32")
    theirs = np.asarray(getattr(keras.initializers, name)(**kwargs)(shape, dtype="float32"))
    assert_same(f"initializer {name}", "shape and dtype", (ours.shape, ours.dtype.name),
                (theirs.shape, theirs.dtype.name))
    theory = _theory(name, kwargs, shape)
    case = f"initializer {name} {kwargs} {shape}"
    _check_sample(case + " numpynet", ours.astype(np.float64), theory)
    _check_sample(case + " Keras", theirs.astype(np.float64), theory)
    # Two independent samples: their statistics differ by sqrt(2) standard errors at most x5.
    error = 5 * math.sqrt(2.0) * theory[1] / ours.size**0.5
    assert_close(case, "mean vs Keras' sample mean", ours.mean(), theirs.mean(), rtol=0.0,
                 atol=error)
    assert_close(case, "std vs Keras' sample std", ours.std(), theirs.std(), rtol=0.0, atol=error)
    if theory[4]:
        assert_close(case, "min vs Keras' min", ours.min(), theirs.min(), rtol=0.0,
                     atol=0.02 * theory[1])
        assert_close(case, "max vs Keras' max", ours.max(), theirs.max(), rtol=0.0,
                     atol=0.02 * theory[1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["RandomNormal", "GlorotUniform", "HeNormal", "Orthogonal"])
def test_random_initializer_dtype(name, dtype):
    ours = getattr(nn.initializers, name)()((8, 6), dtype=dtype)
    theirs = getattr(keras.initializers, name)()((8, 6), dtype=dtype)
    assert_same(f"initializer {name} {dtype}", "dtype", ours.dtype.name, theirs.dtype.name)


# ---------------------------------------------------------------------------- Orthogonal
@pytest.mark.parametrize("gain", [1.0, 2.0])
@pytest.mark.parametrize("shape", [(64, 64), (100, 40), (40, 100), (3, 3, 8, 16)], ids=str)
def test_orthogonal_is_orthogonal(shape, gain):
    """Columns (tall) or rows (wide) are orthonormal, times ``gain``: QᵀQ = gain²·I."""
    ours = nn.initializers.Orthogonal(gain=gain)(shape).reshape(-1, shape[-1]).astype(np.float64)
    theirs = np.asarray(keras.initializers.Orthogonal(gain=gain)(shape)).reshape(-1, shape[-1])
    tall = ours.shape[0] >= ours.shape[1]
    gram = (lambda q: q.T @ q) if tall else (lambda q: q @ q.T)
    case = f"initializer Orthogonal {shape} gain={gain}"
    identity = gain**2 * np.eye(min(ours.shape))
    assert_close(case, "numpynet gram vs gain²·I", gram(ours), identity, rtol=0.0, atol=1e-5)
    assert_close(case, "numpynet gram vs Keras gram", gram(ours), gram(theirs.astype(float)),
                 rtol=0.0, atol=1e-5)


# ---------------------------------------------------------------------------- deterministic
@pytest.mark.parametrize("gain", [1.0, 0.5])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3)], ids=str)
def test_identity_exact(shape, gain):
    assert_close(f"initializer Identity {shape} gain={gain}", "values",
                 nn.initializers.Identity(gain=gain)(shape),
                 keras.initializers.Identity(gain=gain)(shape), **EXACT)


@pytest.mark.parametrize("name, kwargs", [("Zeros", {}), ("Ones", {}), ("Constant", {}),
                                          ("Constant", {"value": 0.3}),
                                          ("Constant", {"value": -2.0})])
@pytest.mark.parametrize("shape", [(3,), (4, 5), (2, 3, 4)], ids=str)
def test_constant_initializers_exact(name, kwargs, shape):
    ours = getattr(nn.initializers, name)(**kwargs)(shape)
    theirs = getattr(keras.initializers, name)(**kwargs)(shape)
    assert_same(f"initializer {name} {kwargs} {shape}", "dtype", ours.dtype.name,
                theirs.dtype.name)
    assert_close(f"initializer {name} {kwargs} {shape}", "values", ours, theirs, **EXACT)


# ---------------------------------------------------------------------------- configs, names
# Keras 3.15's Identity.get_config omits `gain` (so it does not round-trip); numpynet keeps it.
EXTRA_KEYS = {"Identity": {"gain"}}
ALL_CLASSES = ["Zeros", "Ones", "Constant", "Identity", "RandomNormal", "RandomUniform",
               "TruncatedNormal", "VarianceScaling", "Orthogonal", *PRESETS]


@pytest.mark.parametrize("name", ALL_CLASSES)
def test_get_config_keys(name):
    ours = set(getattr(nn.initializers, name)().get_config()) - EXTRA_KEYS.get(name, set())
    theirs = set(getattr(keras.initializers, name)().get_config())
    assert_same(f"initializer {name} config", "keys", sorted(ours), sorted(theirs))


@pytest.mark.parametrize("name, kwargs", [
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 3}),
    ("RandomUniform", {"minval": -1.0, "maxval": 2.0, "seed": 7}),
    ("TruncatedNormal", {"mean": 0.5, "stddev": 0.1}), ("Orthogonal", {"gain": 3.0, "seed": 1}),
    ("HeNormal", {"seed": 5}), ("Constant", {"value": 1.5})])
def test_get_config_values(name, kwargs):
    assert_same(f"initializer {name} {kwargs} config", "config",
                getattr(nn.initializers, name)(**kwargs).get_config(),
                getattr(keras.initializers, name)(**kwargs).get_config())


@pytest.mark.parametrize("identifier", [
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
    "lecun_normal", "zeros", "ones", "zero", "one", "identity", "orthogonal",
    "random_normal", "random_uniform", "truncated_normal", "normal", "uniform",
    "variance_scaling", "IdentityInitializer", "OrthogonalInitializer", "GlorotUniform"])
def test_get_by_name(identifier):
    assert_same(f"initializer name {identifier}", "class",
                type(nn.initializers.get(identifier)).__name__,
                type(keras.initializers.get(identifier)).__name__)


@pytest.mark.parametrize("name", ["RandomNormal", "TruncatedNormal", "GlorotUniform", "HeNormal",
                                  "Orthogonal"])
def test_seeded_initializer_repeats(name):
    """An integer seed gives the same values at every call, in both engines."""
    ours, theirs = getattr(nn.initializers, name)(seed=3), getattr(keras.initializers, name)(seed=3)
    assert_same(f"initializer {name} seed=3", "two calls equal",
                bool(np.array_equal(ours((16, 8)), ours((16, 8)))),
                bool(np.array_equal(np.asarray(theirs((16, 8))), np.asarray(theirs((16, 8))))))


def test_unseeded_initializer_documented_difference():
    """Keras fixes a seed when an unseeded initializer is made, so it repeats its values;
    numpynet draws from its one generator at call time (see numpynet/initializers.py)."""
    ours, theirs = nn.initializers.GlorotUniform(), keras.initializers.GlorotUniform()
    assert_same("initializer GlorotUniform unseeded", "Keras repeats its values",
                bool(np.array_equal(np.asarray(theirs((16, 8))), np.asarray(theirs((16, 8))))),
                True)
    assert_same("initializer GlorotUniform unseeded", "numpynet draws new values",
                bool(np.array_equal(ours((16, 8)), ours((16, 8)))), False)
