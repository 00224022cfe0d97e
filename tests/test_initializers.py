"""Initializers: exact fans, moments and bounds of every draw, seeding, (de)serialization."""

import math

import numpy as np
import pytest

import numpynet as nn
from numpynet import initializers

SHAPES = [(300, 200), (3, 3, 40, 60), (10000,)]


@pytest.fixture(autouse=True)
def _seeded():
    # Draws are statistical: a fixed seed keeps the suite deterministic; the tolerances below
    # are still several standard errors wide, so any seed passes.
    nn.set_random_seed(1234)


def _check_moments(values, mean, std, rel=0.03):
    """Sample mean within 5 standard errors, sample std within ``rel`` (n ≥ 10000)."""
    assert abs(values.mean() - mean) < 5 * std / math.sqrt(values.size) + 1e-12
    assert values.std() == pytest.approx(std, rel=rel)


# ---------------------------------------------------------------------- fans
@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)),
    ((7,), (7, 7)),
    ((3, 4), (3, 4)),
    ((5, 10, 20), (50, 100)),             # Conv1D kernel: receptive field 5
    ((3, 3, 16, 32), (144, 288)),         # Conv2D kernel: receptive field 9
    ((2, 3, 3, 8, 4), (144, 72)),         # Conv3D kernel: receptive field 18
])
def test_compute_fans_matches_hand_values(shape, fans):
    assert initializers.compute_fans(shape) == fans
    assert all(type(f) is int for f in initializers.compute_fans(shape))


def test_compute_fans_with_explicit_axes():
    assert initializers.compute_fans((2, 3, 5, 7), input_axes=[0, 1], output_axes=[2, 3]) == (6, 35)
    # only one of the two given: the usual rule applies
    assert initializers.compute_fans((2, 3, 5, 7), input_axes=[0]) == (30, 42)


def test_truncation_correction_is_the_std_of_a_normal_truncated_at_two_sigma():
    pdf2 = math.exp(-2.0) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    assert initializers.TRUNCATED_STDDEV_CORRECTION == pytest.approx(
        math.sqrt(1 - 4 * pdf2 / mass), abs=1e-15)


# ---------------------------------------------------------------------- constants
def test_zeros_ones_constant():
    assert np.array_equal(initializers.Zeros()((2, 3)), np.zeros((2, 3)))
    assert np.array_equal(initializers.Ones()((4,)), np.ones(4))
    values = initializers.Constant(2.5)((2, 2))
    assert values.dtype == np.float32 and np.all(values == 2.5)
    assert initializers.Zeros()((3,), dtype="int32").dtype == np.int32


@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (6, 2)])
def test_identity_is_gain_times_eye(shape):
    values = initializers.Identity(gain=3.0)(shape)
    assert np.array_equal(values, 3.0 * np.eye(*shape)) and values.dtype == np.float32


def test_identity_rejects_non_matrices():
    with pytest.raises(ValueError, match=r"only be used for 2D matrices.*rank 3"):
        initializers.Identity()((2, 2, 2))


# ---------------------------------------------------------------------- random draws
@pytest.mark.parametrize("shape", SHAPES)
def test_random_normal_moments(shape):
    values = initializers.RandomNormal(mean=1.0, stddev=2.0)(shape)
    assert values.shape == shape and values.dtype == np.float32
    _check_moments(values, 1.0, 2.0)
    _check_moments(initializers.RandomNormal()(shape), 0.0, 0.05)


@pytest.mark.parametrize("shape", SHAPES)
def test_random_uniform_bounds_and_moments(shape):
    values = initializers.RandomUniform(minval=-0.3, maxval=0.7)(shape)
    assert values.min() >= -0.3 - 1e-7 and values.max() <= 0.7 + 1e-7  # float32 rounding
    _check_moments(values, 0.2, 1.0 / math.sqrt(12))
    default = initializers.RandomUniform()(shape)
    assert np.abs(default).max() <= 0.05 + 1e-8
    assert default.std() == pytest.approx(0.1 / 12**0.5, rel=0.03)


@pytest.mark.parametrize("shape", SHAPES)
def test_truncated_normal_is_cut_at_two_stddev_without_correction(shape):
    values = initializers.TruncatedNormal(mean=0.5, stddev=2.0)(shape)
    assert np.abs(values - 0.5).max() <= 4.0 + 1e-6
    assert np.abs(values - 0.5).max() > 3.5  # the tails are really there, up to the cut
    _check_moments(values, 0.5, 2.0 * initializers.TRUNCATED_STDDEV_CORRECTION)


@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("shape", SHAPES[:2])
def test_variance_scaling_has_variance_scale_over_fan(shape, mode, distribution):
    init = initializers.VarianceScaling(scale=2.0, mode=mode, distribution=distribution)
    values = init(shape)
    fan_in, fan_out = initializers.compute_fans(shape)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = math.sqrt(2.0 / fan)
    _check_moments(values, 0.0, std)
    if distribution == "uniform":
        assert np.abs(values).max() <= math.sqrt(3) * std * (1 + 1e-6)
    if distribution == "truncated_normal":
        assert np.abs(values).max() <= 2 * std / initializers.TRUNCATED_STDDEV_CORRECTION + 1e-6


@pytest.mark.parametrize("name, std_of, limit_of", [
    ("GlorotUniform", lambda i, o: math.sqrt(2 / (i + o)), lambda i, o: math.sqrt(6 / (i + o))),
    ("GlorotNormal", lambda i, o: math.sqrt(2 / (i + o)), None),
    ("HeUniform", lambda i, o: math.sqrt(2 / i), lambda i, o: math.sqrt(6 / i)),
    ("HeNormal", lambda i, o: math.sqrt(2 / i), None),
    ("LecunUniform", lambda i, o: math.sqrt(1 / i), lambda i, o: math.sqrt(3 / i)),
    ("LecunNormal", lambda i, o: math.sqrt(1 / i), None),
])
@pytest.mark.parametrize("shape", SHAPES[:2])
def test_named_variance_scaling_initializers(name, std_of, limit_of, shape):
    values = getattr(initializers, name)()(shape)
    fan_in, fan_out = initializers.compute_fans(shape)
    _check_moments(values, 0.0, std_of(fan_in, fan_out))
    if limit_of is not None:
        limit = limit_of(fan_in, fan_out)
        assert 0.95 * limit < np.abs(values).max() <= limit * (1 + 1e-6)
    else:  # truncated at 2 / 0.8796 times the target std
        cut = 2 * std_of(fan_in, fan_out) / initializers.TRUNCATED_STDDEV_CORRECTION
        assert np.abs(values).max() <= cut + 1e-6


@pytest.mark.parametrize("shape", [(5, 8), (8, 5), (6, 6), (3, 3, 4, 6)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    values = initializers.Orthogonal(gain=2.0)(shape)
    assert values.shape == shape and values.dtype == np.float32
    matrix = values.reshape(-1, shape[-1])
    small = min(matrix.shape)
    gram = matrix @ matrix.T if matrix.shape[0] < matrix.shape[1] else matrix.T @ matrix
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-5)


def test_orthogonal_rejects_vectors():
    with pytest.raises(ValueError, match=r"at least two-dimensional.*rank 1"):
        initializers.Orthogonal()((4,))


# ---------------------------------------------------------------------- dtypes and seeds
def test_dtype_argument_and_floatx_default():
    assert initializers.GlorotUniform()((3, 4), dtype="float64").dtype == np.float64
    assert initializers.RandomNormal()((3, 4), dtype="float16").dtype == np.float16
    nn.config.set_floatx("float64")
    try:
        assert initializers.HeNormal()((3, 4)).dtype == np.float64
    finally:
        nn.config.set_floatx("float32")


def test_random_initializers_need_a_float_dtype():
    with pytest.raises(ValueError, match=r"HeNormal draws random floats.*int32"):
        initializers.HeNormal()((3, 3), dtype="int32")


def test_zero_dimensional_draws_are_arrays():
    for init in (initializers.TruncatedNormal(), initializers.RandomUniform(),
                 initializers.GlorotNormal()):
        values = init(())
        assert isinstance(values, np.ndarray) and values.shape == ()


def test_global_seed_makes_unseeded_draws_repeat():
    init = initializers.GlorotUniform()
    nn.set_random_seed(7)
    first, second = init((4, 5)), init((4, 5))
    assert not np.array_equal(first, second)  # one stream: successive calls differ
    nn.set_random_seed(7)
    np.testing.assert_array_equal(init((4, 5)), first)
    np.testing.assert_array_equal(init((4, 5)), second)


def test_seeded_initializer_returns_the_same_values_every_call_like_keras():
    init = initializers.HeNormal(seed=3)
    np.testing.assert_array_equal(init((4, 5)), init((4, 5)))
    np.testing.assert_array_equal(init((4, 5)), initializers.HeNormal(seed=3)((4, 5)))
    assert not np.array_equal(init((4, 5)), initializers.HeNormal(seed=4)((4, 5)))
    nn.set_random_seed(1)  # the global seed does not affect a seeded initializer
    np.testing.assert_array_equal(init((4, 5)), initializers.HeNormal(seed=3)((4, 5)))


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_bad_seed_is_rejected(seed):
    with pytest.raises(ValueError, match=r"RandomNormal: `seed` must be None or a non-negative"):
        initializers.RandomNormal(seed=seed)


def test_variance_scaling_argument_errors():
    with pytest.raises(ValueError, match=r"`scale` must be positive.*scale=0"):
        initializers.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match=r"Invalid `mode` argument: 'fan'"):
        initializers.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match=r"Invalid `distribution` argument: 'cauchy'"):
        initializers.VarianceScaling(distribution="cauchy")
    assert initializers.VarianceScaling(distribution="Normal").distribution == "truncated_normal"


# ---------------------------------------------------------------------- get / serialize
@pytest.mark.parametrize("name, cls", [
    ("glorot_uniform", "GlorotUniform"), ("GlorotUniform", "GlorotUniform"),
    ("he_normal", "HeNormal"), ("lecun_uniform", "LecunUniform"), ("orthogonal", "Orthogonal"),
    ("OrthogonalInitializer", "Orthogonal"), ("IdentityInitializer", "Identity"),
    ("identity", "Identity"), ("normal", "RandomNormal"), ("random_normal", "RandomNormal"),
    ("uniform", "RandomUniform"), ("truncated_normal", "TruncatedNormal"), ("zero", "Zeros"),
    ("zeros", "Zeros"), ("one", "Ones"), ("ones", "Ones"), ("constant", "Constant"),
    ("variance_scaling", "VarianceScaling"),
])
def test_get_by_name(name, cls):
    assert type(initializers.get(name)).__name__ == cls


def test_get_other_identifiers():
    assert initializers.get(None) is None
    instance = initializers.HeUniform(seed=1)
    assert initializers.get(instance) is instance
    assert isinstance(initializers.get(initializers.Ones), initializers.Ones)
    fn = lambda shape, dtype=None: np.full(shape, 7.0)  # noqa: E731
    assert initializers.get(fn) is fn
    config = {"class_name": "RandomNormal", "config": {"mean": 1.0, "stddev": 0.5, "seed": 2}}
    assert initializers.get(config).get_config() == {"seed": 2, "mean": 1.0, "stddev": 0.5}


def test_get_with_an_array_returns_it_for_that_shape_only():
    init = initializers.get(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(init((2, 3)), np.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match=r"Expected `shape` to be \(2, 3\).*shape=\(3, 2\)"):
        init((3, 2))


def test_get_errors_name_the_identifier_and_list_valid_names():
    with pytest.raises(ValueError, match=r"Could not interpret initializer identifier: 'glorot'"
                                         r".*'glorot_uniform'"):
        initializers.get("glorot")
    with pytest.raises(ValueError, match=r"Could not interpret initializer identifier: 42"):
        initializers.get(42)
    with pytest.raises(ValueError, match=r"expected a name or a dict with 'class_name'"):
        initializers.deserialize({"config": {}})


@pytest.mark.parametrize("init", [
    initializers.Zeros(), initializers.Ones(), initializers.Constant(3.0),
    initializers.Identity(gain=0.5), initializers.RandomNormal(1.0, 2.0, seed=3),
    initializers.RandomUniform(-1.0, 2.0), initializers.TruncatedNormal(0.0, 0.3, seed=1),
    initializers.VarianceScaling(0.5, "fan_out", "uniform", seed=4),
    initializers.GlorotUniform(seed=5), initializers.GlorotNormal(), initializers.HeNormal(),
    initializers.HeUniform(), initializers.LecunNormal(), initializers.LecunUniform(seed=9),
    initializers.Orthogonal(gain=1.5, seed=2),
])
def test_serialize_round_trip(init):
    config = initializers.serialize(init)
    assert config["class_name"] == type(init).__name__ and config["module"] == "keras.initializers"
    clone = initializers.deserialize(config)
    assert type(clone) is type(init) and clone.get_config() == init.get_config()
    assert type(init.clone()) is type(init) and init.clone().get_config() == init.get_config()
    if getattr(init, "seed", None) is not None:
        np.testing.assert_array_equal(clone((4, 3)), init((4, 3)))


def test_preset_configs_match_keras_keys():
    assert initializers.GlorotUniform(seed=1).get_config() == {
        "seed": 1, "input_axes": None, "output_axes": None}
    assert initializers.VarianceScaling().get_config() == {
        "seed": None, "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal",
        "input_axes": None, "output_axes": None}


def test_serialize_functions_and_errors():
    def my_init(shape, dtype=None):
        return np.ones(shape)

    config = initializers.serialize(my_init)
    assert config["class_name"] == "function" and config["config"] == "my_init"
    assert initializers.deserialize(config, custom_objects={"my_init": my_init}) is my_init
    with pytest.raises(ValueError, match=r"custom initializer function 'my_init'.*custom_objects"):
        initializers.deserialize(config)
    with pytest.raises(ValueError, match=r"Cannot serialize initializer 3"):
        initializers.serialize(3)
    assert initializers.serialize(None) is None
