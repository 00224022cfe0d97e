"""Constraints: values against NumPy formulas, layers and optimizers applying them, configs,
saving, and errors."""

import numpy as np
import pytest

import numpynet as nn
from numpynet import constraints, layers, optimizers
from numpynet.tensor import Tensor, Variable

EPS = 1e-7  # keras.config.epsilon(), added to every norm
RNG = np.random.default_rng(0)
W = RNG.normal(size=(6, 4)) * np.array([0.1, 0.5, 2.0, 5.0])  # column norms on both sides of 1
W3 = RNG.normal(size=(3, 4, 5)) * np.array([0.05, 0.2, 0.5, 1.0, 3.0])


@pytest.fixture(autouse=True)
def _fresh_session():
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)
    yield
    nn.config.set_floatx("float32")


def _norms(w, axis):
    axis = tuple(axis) if isinstance(axis, list) else axis
    return np.sqrt(np.sum(w * w, axis=axis, keepdims=True))


def _close(actual, expected):
    actual = np.asarray(actual)
    rtol = 1e-6 if actual.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * 1e-3)


# ---------------------------------------------------------------------- values
AXES = [(W, 0), (W, 1), (W3, 0), (W3, [0, 1]), (W3, -1), (W3, (1, 2))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("w, axis", AXES)
def test_max_norm_matches_the_formula(w, axis, dtype):
    w = w.astype(dtype)
    out = constraints.MaxNorm(max_value=1.5, axis=axis)(w)
    assert out.dtype == np.dtype(dtype) and out.shape == w.shape
    norms = _norms(w.astype(np.float64), axis)
    _close(out, w * (np.clip(norms, 0.0, 1.5) / (EPS + norms)))
    assert np.all(_norms(out.astype(np.float64), axis) <= 1.5 + 1e-6)
    inside = np.broadcast_to(norms < 1.5, w.shape)  # vectors inside the ball stay (up to eps)
    np.testing.assert_allclose(out[inside], w[inside], rtol=1e-4)
    assert not np.allclose(out[~inside], w[~inside])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("w, axis", AXES)
@pytest.mark.parametrize("rate", [1.0, 0.25])
def test_min_max_norm_matches_the_formula(w, axis, rate, dtype):
    w = w.astype(dtype)
    out = constraints.MinMaxNorm(min_value=0.8, max_value=2.0, rate=rate, axis=axis)(w)
    assert out.dtype == np.dtype(dtype)
    norms = _norms(w.astype(np.float64), axis)
    desired = rate * np.clip(norms, 0.8, 2.0) + (1.0 - rate) * norms
    _close(out, w * (desired / (EPS + norms)))
    if rate == 1.0:
        new = _norms(out.astype(np.float64), axis)
        assert np.all((new >= 0.8 - 1e-5) & (new <= 2.0 + 1e-6))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("w, axis", AXES)
def test_unit_norm_matches_the_formula(w, axis, dtype):
    w = w.astype(dtype)
    out = constraints.UnitNorm(axis=axis)(w)
    assert out.dtype == np.dtype(dtype)
    _close(out, w / (EPS + _norms(w.astype(np.float64), axis)))
    np.testing.assert_allclose(_norms(out.astype(np.float64), axis), 1.0, rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_non_neg_zeroes_the_negative_weights(dtype):
    w = W.astype(dtype)
    out = constraints.NonNeg()(w)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, np.where(w > 0, w, 0.0))


def test_epsilon_keeps_zero_vectors_at_zero_and_is_added_to_the_norm():
    zero = np.zeros((3, 2), np.float32)
    for constraint in (constraints.MaxNorm(), constraints.UnitNorm(), constraints.MinMaxNorm()):
        np.testing.assert_array_equal(constraint(zero), zero)
    # In float64 the epsilon shows: a unit-norm vector comes out a hair under 1.
    out = constraints.UnitNorm()(np.array([[3.0], [4.0]]))
    assert out[0, 0] == 3.0 / (5.0 + 1e-7) != 0.6
    nn.config.set_epsilon(1e-3)
    try:
        assert constraints.UnitNorm()(np.array([[3.0], [4.0]]))[0, 0] == 3.0 / 5.001
    finally:
        nn.config.set_epsilon(1e-7)


def test_min_max_norm_lifts_small_vectors():
    out = constraints.MinMaxNorm(min_value=1.0, max_value=2.0)(np.array([[0.3], [0.4]]))
    assert _norms(out, 0)[0, 0] == pytest.approx(1.0, rel=1e-6)


def test_inputs_tensors_and_integers():
    tensor = Tensor(W.astype(np.float32))
    out = constraints.MaxNorm(1.0)(tensor)
    assert isinstance(out, Tensor) and out.dtype == np.float32 and not out.requires_grad
    np.testing.assert_array_equal(out.data, constraints.MaxNorm(1.0)(W.astype(np.float32)))
    # Non-float inputs become floatx (float32 by default, float64 on request).
    assert constraints.NonNeg()([[-1, 2]]).dtype == np.float32
    nn.config.set_floatx("float64")
    assert constraints.UnitNorm()([3, 4]).dtype == np.float64
    base = constraints.Constraint()
    assert base(W) is W and base.get_config() == {}


# ---------------------------------------------------------------------- configs
@pytest.mark.parametrize("name, cls, config_", [
    ("max_norm", constraints.MaxNorm, {"max_value": 2, "axis": 0}),
    ("MaxNorm", constraints.MaxNorm, {"max_value": 2, "axis": 0}),
    ("min_max_norm", constraints.MinMaxNorm,
     {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}),
    ("MinMaxNorm", constraints.MinMaxNorm,
     {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}),
    ("non_neg", constraints.NonNeg, {}),
    ("NonNeg", constraints.NonNeg, {}),
    ("unit_norm", constraints.UnitNorm, {"axis": 0}),
    ("UnitNorm", constraints.UnitNorm, {"axis": 0}),
    ("constraint", constraints.Constraint, {}),
])
def test_get_by_name_gives_keras_defaults(name, cls, config_):
    constraint = constraints.get(name)
    assert type(constraint) is cls and constraint.get_config() == config_


def test_get_other_identifiers():
    assert constraints.get(None) is None
    instance = constraints.MaxNorm(3)
    assert constraints.get(instance) is instance
    assert type(constraints.get(constraints.UnitNorm)) is constraints.UnitNorm
    fn = lambda w: np.clip(w.data, -1.0, 1.0)  # noqa: E731
    assert constraints.get(fn) is fn
    spec = {"class_name": "MinMaxNorm", "config": {"min_value": 0.5, "rate": 0.3}}
    assert constraints.get(spec).get_config() == {"min_value": 0.5, "max_value": 1.0,
                                                  "rate": 0.3, "axis": 0}
    assert constraints.max_norm is constraints.MaxNorm  # Keras' lower-case aliases
    assert nn.constraints is constraints


@pytest.mark.parametrize("constraint", [
    constraints.MaxNorm(0.5, axis=1), constraints.MinMaxNorm(0.1, 3.0, 0.5, axis=[0, 1]),
    constraints.NonNeg(), constraints.UnitNorm(axis=-1),
])
def test_serialize_round_trip(constraint):
    spec = constraints.serialize(constraint)
    assert spec == {"module": "keras.constraints", "class_name": type(constraint).__name__,
                    "config": constraint.get_config(), "registered_name": None}
    clone = constraints.deserialize(spec)
    assert type(clone) is type(constraint) and clone.get_config() == constraint.get_config()
    clone = type(constraint).from_config(constraint.get_config())
    np.testing.assert_array_equal(clone(W3), constraint(W3))
    assert repr(constraint).startswith(type(constraint).__name__ + "(")


def test_serialize_functions_and_custom_classes():
    def clip_one(w):
        return np.clip(w.data, -1.0, 1.0)

    spec = constraints.serialize(clip_one)
    assert spec["class_name"] == "function" and spec["config"] == "clip_one"
    assert constraints.deserialize(spec, custom_objects={"clip_one": clip_one}) is clip_one
    with pytest.raises(ValueError, match=r"custom constraint function 'clip_one'.*"
                                         r"custom_objects=\{'clip_one': function\}"):
        constraints.deserialize(spec)

    class Halve(constraints.Constraint):
        def __call__(self, w):
            return np.asarray(getattr(w, "data", w)) / 2.0

    spec = constraints.serialize(Halve())
    assert spec["class_name"] == "Halve" and spec["module"] == __name__
    assert type(constraints.deserialize(spec, custom_objects={"Halve": Halve})) is Halve
    assert constraints.serialize(None) is None


# ---------------------------------------------------------------------- errors
def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"Could not interpret constraint identifier: 'maxnorm'"
                                         r".*Valid names are: .*'max_norm'.*'unit_norm'"):
        constraints.get("maxnorm")
    with pytest.raises(ValueError, match=r"Could not interpret constraint identifier: 3\. "
                                         r"Expected None, a name such as 'max_norm'"):
        constraints.get(3)
    with pytest.raises(ValueError, match=r"Could not interpret constraint identifier: 'Foo'"):
        constraints.deserialize({"class_name": "Foo", "config": {}})
    with pytest.raises(ValueError, match=r"expected a name or a dict with 'class_name'"):
        constraints.deserialize(["max_norm"])
    with pytest.raises(ValueError, match=r"Cannot serialize constraint 5"):
        constraints.serialize(5)
    with pytest.raises(ValueError, match=r"MaxNorm\(axis=2\) cannot be applied to a weight of "
                                         r"shape \(6, 4\): axis out of range"):
        constraints.MaxNorm(axis=2)(W)
    with pytest.raises(ValueError, match=r"Could not interpret constraint identifier: 'bogus'"):
        layers.Dense(2, kernel_constraint="bogus")


# ---------------------------------------------------------------------- in layers and training
def test_the_optimizer_projects_after_the_update():
    variable = Variable(np.array([[0.3], [0.4]], np.float32), name="w",
                        constraint=constraints.MaxNorm(0.5))
    gradient = np.array([[-1.0], [-1.0]], np.float32)
    optimizers.SGD(learning_rate=0.5).apply([gradient], [variable])
    stepped = np.array([[0.8], [0.9]], np.float32)  # w - lr * g, then the projection
    np.testing.assert_allclose(variable.data, stepped * (0.5 / (1e-7 + np.linalg.norm(stepped))),
                               rtol=1e-6)
    assert variable.data.dtype == np.float32


def _regression(n=64, seed=1):
    generator = np.random.default_rng(seed)
    x = generator.normal(size=(n, 10)).astype("float32")
    y = (x @ generator.normal(size=(10, 3)) * 3.0).astype("float32")  # wants large weights
    return x, y


def _dense_model(**kwargs):
    model = nn.Sequential([nn.Input((10,)), layers.Dense(3, name="dense", **kwargs)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.05), loss="mse")
    return model


def test_dense_max_norm_keeps_every_column_norm_below_the_limit():
    x, y = _regression()
    free = _dense_model()
    free.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert np.linalg.norm(free.get_layer("dense").kernel.data, axis=0).max() > 1.0
    model = _dense_model(kernel_constraint=constraints.MaxNorm(0.5), bias_constraint="non_neg")
    dense = model.get_layer("dense")
    assert dense.kernel.constraint is dense.kernel_constraint
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    norms = np.linalg.norm(dense.kernel.data.astype(np.float64), axis=0)
    assert np.all(norms <= 0.5 + 1e-6), norms
    assert np.all(dense.bias.data >= 0.0) and dense.kernel.dtype == np.float32


def test_normalization_and_prelu_constraints_are_applied():
    x, y = _regression()
    model = nn.Sequential([
        nn.Input((10,)),
        layers.Dense(3, kernel_constraint="unit_norm", name="dense"),
        layers.BatchNormalization(gamma_constraint=constraints.MaxNorm(0.5),
                                  beta_constraint="non_neg", name="bn"),
        layers.PReLU(alpha_initializer=nn.initializers.Constant(-0.3),
                     alpha_constraint="non_neg", name="prelu"),
        layers.LayerNormalization(gamma_constraint=constraints.UnitNorm(), name="ln"),
    ])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="mse")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    np.testing.assert_allclose(np.linalg.norm(model.get_layer("dense").kernel.data, axis=0), 1.0,
                               rtol=1e-5)
    assert np.linalg.norm(model.get_layer("bn").gamma.data) <= 0.5 + 1e-6
    assert np.all(model.get_layer("bn").beta.data >= 0.0)
    assert np.all(model.get_layer("prelu").alpha.data >= 0.0)
    assert np.linalg.norm(model.get_layer("ln").gamma.data) == pytest.approx(1.0, rel=1e-5)
    # moving statistics have no constraint (and no gradient)
    assert model.get_layer("bn").moving_mean.constraint is None


@pytest.mark.parametrize("cls, kwargs, keys", [
    (layers.Dense, {"units": 2, "kernel_constraint": constraints.MaxNorm(3, axis=1),
                    "bias_constraint": "non_neg"}, ("kernel_constraint", "bias_constraint")),
    (layers.BatchNormalization, {"beta_constraint": "unit_norm",
                                 "gamma_constraint": constraints.MinMaxNorm(0.5, 2.0)},
     ("beta_constraint", "gamma_constraint")),
    (layers.LayerNormalization, {"gamma_constraint": "non_neg"},
     ("beta_constraint", "gamma_constraint")),
    (layers.PReLU, {"alpha_constraint": "max_norm"}, ("alpha_constraint",)),
])
def test_layer_configs_carry_constraints_in_keras_format(cls, kwargs, keys):
    layer = cls(**kwargs)
    config_ = layer.get_config()
    for key in keys:
        expected = kwargs.get(key)
        if expected is None:
            assert config_[key] is None
            continue
        spec = config_[key]
        assert spec["module"] == "keras.constraints" and set(spec) == {
            "module", "class_name", "config", "registered_name"}
        assert spec == constraints.serialize(constraints.get(expected))
    clone = cls.from_config(config_)
    assert clone.get_config() == config_


def test_save_and_load_keep_the_constraints(tmp_path):
    x, y = _regression()
    model = _dense_model(kernel_constraint=constraints.MaxNorm(0.5, axis=0),
                         bias_constraint=constraints.MinMaxNorm(0.0, 0.2, rate=0.5))
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "constrained.keras"
    model.save(path)
    loaded = nn.models.load_model(path)
    dense = loaded.get_layer("dense")
    assert type(dense.kernel.constraint) is constraints.MaxNorm
    assert dense.kernel.constraint.get_config() == {"max_value": 0.5, "axis": 0}
    assert dense.bias.constraint.get_config() == {"min_value": 0.0, "max_value": 0.2,
                                                  "rate": 0.5, "axis": 0}
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(dense.kernel.data, model.get_layer("dense").kernel.data)
    # The loaded model keeps projecting: the same step on both gives the same weights.
    model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    for mine, theirs in zip(model.weights, loaded.weights):
        np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-6, atol=1e-7)
    assert np.linalg.norm(dense.kernel.data, axis=0).max() <= 0.5 + 1e-6
