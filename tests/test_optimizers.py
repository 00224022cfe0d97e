"""Optimizers: Keras' own published fixtures, the update rules in float64, the shared pipeline
(clipping, weight decay, None gradients, constraints), state handling, configs and errors."""

import warnings

import numpy as np
import pytest

from numpynet import config, optimizers, schedules
from numpynet.optimizers.casting import keras_cast
from numpynet.tensor import Variable

ALL = [optimizers.SGD, optimizers.RMSprop, optimizers.Adam, optimizers.AdamW,
       optimizers.Adagrad, optimizers.Adamax, optimizers.Nadam]


def var(values, dtype="float32", name="v"):
    return Variable(np.array(values), name=name, path=f"dense/{name}", dtype=dtype)


@pytest.fixture
def float64():
    previous = config.floatx()
    config.set_floatx("float64")
    yield
    config.set_floatx(previous)


# ----------------------------------------------------------------- Keras' fixtures
# keras/src/optimizers/*_test.py, test_single_step: lr 0.5, values [1,2,3,4], grads [1,6,7,2].
@pytest.mark.parametrize("cls, expected", [
    (optimizers.SGD, [0.5, -1.0, -0.5, 3.0]),
    (optimizers.RMSprop, [-0.5811, 0.4189, 1.4189, 2.4189]),
    (optimizers.Adam, [0.5, 1.5, 2.5, 3.5]),
    (optimizers.AdamW, [0.4980, 1.4960, 2.494, 3.492]),
    (optimizers.Adagrad, [0.5233, 1.5007, 2.5005, 3.5061]),
    (optimizers.Adamax, [0.5, 1.5, 2.5, 3.5]),
    (optimizers.Nadam, [0.4686, 1.4686, 2.4686, 3.4686]),
])
def test_keras_single_step(cls, expected):
    v = var([1.0, 2.0, 3.0, 4.0])
    cls(learning_rate=0.5).apply_gradients([(np.array([1.0, 6.0, 7.0, 2.0]), v)])
    np.testing.assert_allclose(v.data, expected, rtol=1e-4, atol=1e-4)


# test_correctness_with_golden, copied verbatim. The variable dtype is Keras' (np.ones([10]) is
# float64, np.ones([10], dtype="float32") float32); gradients are float32 like ops.arange.
GOLDEN = {
    "sgd": (lambda: optimizers.SGD(nesterov=True), "float64", [
        [0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999],
        [0.9989, 0.9979, 0.9969, 0.9959, 0.9949, 0.9939, 0.9929, 0.9919, 0.9909, 0.9899],
        [0.9979, 0.9959, 0.9939, 0.9919, 0.9899, 0.9879, 0.9859, 0.9839, 0.9819, 0.9799],
        [0.9969, 0.9939, 0.9909, 0.9879, 0.9849, 0.9819, 0.9789, 0.9759, 0.9729, 0.9699],
        [0.9959, 0.9919, 0.9879, 0.9839, 0.9799, 0.9759, 0.9719, 0.9679, 0.9639, 0.9599]]),
    "rmsprop": (lambda: optimizers.RMSprop(centered=True), "float64",
                np.tile([[0.9967], [0.9933], [0.9908], [0.9885], [0.9864]], (1, 10))),
    "adam": (lambda: optimizers.Adam(amsgrad=True), "float32",
             np.tile([[0.999], [0.9982], [0.9974], [0.9965], [0.9955]], (1, 10))),
    "adamw": (lambda: optimizers.AdamW(learning_rate=1.0, weight_decay=0.5, epsilon=2), "float32", [
        [0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998],
        [0.2486, 0.2475, 0.2463, 0.2451, 0.244, 0.2428, 0.2417, 0.2405, 0.2394, 0.2382],
        [0.1223, 0.1198, 0.1174, 0.1149, 0.1124, 0.11, 0.1075, 0.1051, 0.1027, 0.1003],
        [0.0586, 0.0549, 0.0512, 0.0475, 0.0439, 0.0402, 0.0366, 0.033, 0.0294, 0.0258],
        [0.0263, 0.0215, 0.0167, 0.012, 0.0073, 0.0026, -0.0021, -0.0067, -0.0113, -0.0159]]),
    "adagrad": (lambda: optimizers.Adagrad(learning_rate=0.2, initial_accumulator_value=0.3,
                                           epsilon=1e-6), "float64", [
        [0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963],
        [0.9604, 0.9278, 0.9003, 0.8784, 0.8615, 0.8487, 0.8388, 0.8313, 0.8255, 0.8209],
        [0.9251, 0.8629, 0.8137, 0.7768, 0.7497, 0.7298, 0.7151, 0.704, 0.6956, 0.6891],
        [0.8903, 0.8012, 0.7342, 0.6862, 0.6521, 0.6277, 0.6099, 0.5967, 0.5867, 0.579],
        [0.856, 0.7422, 0.6604, 0.6037, 0.5644, 0.5367, 0.5168, 0.5021, 0.491, 0.4825]]),
    "adamax": (lambda: optimizers.Adamax(learning_rate=0.2, beta_1=0.85, beta_2=0.95,
                                         epsilon=1e-6), "float32", [
        [0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8],
        [0.6827, 0.6873, 0.6888, 0.6896, 0.6901, 0.6904, 0.6906, 0.6908, 0.6909, 0.691],
        [0.5333, 0.5407, 0.5431, 0.5444, 0.5451, 0.5456, 0.546, 0.5462, 0.5464, 0.5466],
        [0.368, 0.3773, 0.3804, 0.382, 0.3829, 0.3835, 0.384, 0.3843, 0.3846, 0.3848],
        [0.1933, 0.204, 0.2076, 0.2094, 0.2105, 0.2112, 0.2117, 0.2121, 0.2124, 0.2126]]),
    "nadam": (lambda: optimizers.Nadam(learning_rate=0.5, beta_1=0.5, beta_2=0.67,
                                       epsilon=1e-5), "float32", [
        [0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281],
        [-0.1738, -0.1731, -0.1726, -0.1723, -0.1721, -0.172, -0.1719, -0.1718, -0.1718, -0.1717],
        [-0.7115, -0.7103, -0.7096, -0.7092, -0.709, -0.7088, -0.7086, -0.7085, -0.7085, -0.7084],
        [-1.2335, -1.2322, -1.2313, -1.2309, -1.2306, -1.2304, -1.2302, -1.2301, -1.23, -1.2299],
        [-1.7492, -1.7478, -1.7469, -1.7464, -1.7461, -1.7459, -1.7457, -1.7456, -1.7455, -1.7454],
    ]),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_keras_correctness_with_golden(name):
    make, dtype, golden = GOLDEN[name]
    optimizer, x = make(), var(np.ones(10), dtype=dtype)
    grads = np.arange(1, 11, dtype="float32") / np.float32(10)
    optimizer.apply_gradients([(np.full(10, 0.01, dtype="float32"), x)])
    for row in golden:
        np.testing.assert_allclose(x.data, row, rtol=5e-4, atol=5e-4)
        optimizer.apply_gradients([(grads, x)])


@pytest.mark.parametrize("cls", ALL)
def test_keras_weight_decay(cls):
    # Keras' test_weight_decay: three optimizers each decay the same weight once (zero grad).
    v = var(2.0)
    for _ in range(3):
        cls(learning_rate=1.0, weight_decay=0.004).apply_gradients([(np.zeros(()), v)])
    assert v.data == pytest.approx(1.9760959, abs=1e-6)


# ----------------------------------------------------------------- update rules in float64
def test_rmsprop_epsilon_is_inside_the_root(float64):
    g, lr = 1e-7, 0.01
    v = var([0.0], dtype="float64")
    optimizers.RMSprop(learning_rate=lr).apply_gradients([(np.array([g]), v)])
    keras_step = lr * g / np.sqrt(0.1 * g * g + 1e-7)
    textbook_step = lr * g / (np.sqrt(0.1 * g * g) + 1e-7)
    assert -v.data[0] == pytest.approx(keras_step, rel=1e-12)
    assert abs(keras_step - textbook_step) > 0.5 * keras_step  # the placement matters here


def test_adam_epsilon_hat(float64):
    g = 1e-6
    v = var([0.0], dtype="float64")
    optimizers.Adam(learning_rate=1.0).apply_gradients([(np.array([g]), v)])
    beta_1, beta_2 = float(np.float32(0.9)), float(np.float32(0.999))  # Keras' cast betas
    alpha = np.sqrt(1 - beta_2) / (1 - beta_1)
    m, v_ = g * (1 - 0.9), g * g * (1 - 0.999)
    keras_step = m * alpha / (np.sqrt(v_) + 1e-7)
    assert -v.data[0] == pytest.approx(keras_step, rel=1e-12)
    assert -v.data[0] == pytest.approx(0.24025147, rel=1e-7)  # textbook: 0.909


def reference(name, steps, lr=0.1, **h):
    """Plain float64 re-derivation of each Keras update rule (betas exact in float32)."""
    w = np.array([1.0, -2.0, 3.0])
    m, v, a, u, prod = np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3), 1.0
    for t, g in enumerate(steps, start=1):
        if name == "sgd":
            m = h["momentum"] * m - lr * g
            w = w + h["momentum"] * m - lr * g
        elif name == "rmsprop":
            v = h["rho"] * v + (1 - h["rho"]) * g * g
            a = h["rho"] * a + (1 - h["rho"]) * g
            m = h["momentum"] * m + lr * g / np.sqrt(v - a * a + 1e-7)
            w = w - m
        elif name == "adam":
            m, v = m + (g - m) * 0.5, v + (g * g - v) * 0.25
            w = w - m * lr * np.sqrt(1 - 0.75 ** t) / (1 - 0.5 ** t) / (np.sqrt(v) + 1e-7)
        elif name == "adamax":
            m, u = m + (g - m) * 0.5, np.maximum(0.75 * u, abs(g))
            w = w - lr * m / ((1 - 0.5 ** t) * (u + 1e-7))
        elif name == "nadam":  # Keras casts 0.96 to float32 here but not in u_product
            decay = float(np.float32(0.96))
            u_t, u_next = 0.5 * (1 - 0.5 * decay ** t), 0.5 * (1 - 0.5 * decay ** (t + 1))
            prod = prod * 0.5 * (1 - 0.5 * 0.96 ** t)
            m, v = m + (g - m) * 0.5, v + (g * g - v) * 0.25
            m_hat = u_next * m / (1 - prod * u_next) + (1 - u_t) * g / (1 - prod)
            w = w - m_hat * lr / (np.sqrt(v / (1 - 0.75 ** t)) + 1e-7)
    return w


@pytest.mark.parametrize("name, make", [
    ("sgd", lambda: optimizers.SGD(0.1, momentum=0.5, nesterov=True)),
    ("rmsprop", lambda: optimizers.RMSprop(0.1, rho=0.75, momentum=0.5, centered=True)),
    ("adam", lambda: optimizers.Adam(0.1, beta_1=0.5, beta_2=0.75)),
    ("adamax", lambda: optimizers.Adamax(0.1, beta_1=0.5, beta_2=0.75)),
    ("nadam", lambda: optimizers.Nadam(0.1, beta_1=0.5, beta_2=0.75)),
])
def test_update_rules_match_reference_in_float64(float64, name, make):
    rng = np.random.default_rng(1)
    steps = [rng.normal(size=3) for _ in range(5)]
    h = {"momentum": 0.5, "rho": 0.75}
    v, optimizer = var([1.0, -2.0, 3.0], dtype="float64"), make()
    for g in steps:
        optimizer.apply_gradients([(g, v)])
    np.testing.assert_allclose(v.data, reference(name, steps, **h), rtol=1e-12)


def test_nadam_u_product_is_advanced_once_per_step(float64):
    a, b = var([1.0], dtype="float64", name="a"), var([2.0], dtype="float64", name="b")
    optimizer = optimizers.Nadam()
    for _ in range(2):
        optimizer.apply([np.ones(1), np.ones(1)], [a, b])
    expected = 0.9 * (1 - 0.5 * 0.96) * 0.9 * (1 - 0.5 * 0.96 ** 2)
    assert optimizer.get_state()["u_product"] == pytest.approx(expected, rel=1e-14)
    assert a.data[0] - 1.0 == pytest.approx(b.data[0] - 2.0, rel=1e-14)  # same u for both


def test_keras_cast_rounds_python_floats_through_float32():
    assert keras_cast(0.9, "float64") == float(np.float32(0.9)) != 0.9
    assert keras_cast(np.float64(0.9), "float64") == 0.9  # NumPy values keep their precision
    assert keras_cast(0.9, "float32").dtype == np.float32
    assert keras_cast(3, "float64") == 3.0


def test_float64_hyperparameters_carry_float32_rounding_as_in_keras(float64):
    v = var([0.0], dtype="float64")
    optimizer = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    optimizer.apply_gradients([(np.array([1.0]), v)])
    optimizer.apply_gradients([(np.array([1.0]), v)])
    momentum = float(np.float32(0.9))  # ops.cast(0.9, float64) on TensorFlow
    assert -v.data[0] == pytest.approx(0.1 + (momentum * 0.1 + 0.1), rel=1e-15)
    adagrad = optimizers.Adagrad(initial_accumulator_value=0.1)
    adagrad.build([v])
    assert adagrad.get_state()["accumulator/0"][0] == float(np.float32(0.1))


# ----------------------------------------------------------------- clipping
def test_clipnorm_and_clipvalue_keras_fixtures():
    grad = [np.array([100.0, 100.0], dtype="float32")]
    clipped = optimizers.SGD(clipnorm=1)._clip_gradients(grad)
    np.testing.assert_allclose(clipped[0], [2 ** 0.5 / 2, 2 ** 0.5 / 2], rtol=1e-6)
    np.testing.assert_allclose(optimizers.SGD(clipvalue=1)._clip_gradients(grad)[0], [1.0, 1.0])
    grad = [np.array([50.0, 100.0], dtype="float32")]
    clipped = optimizers.SGD(global_clipnorm=1)._clip_gradients(grad)
    np.testing.assert_allclose(clipped[0], grad[0] / np.linalg.norm(grad[0]), rtol=1e-6)


def test_clipnorm_leaves_small_and_zero_gradients_alone():
    optimizer = optimizers.SGD(clipnorm=10.0)
    small, zero = optimizer._clip_gradients([np.array([3.0, 4.0]), np.zeros(2)])
    np.testing.assert_allclose(small, [3.0, 4.0], rtol=1e-15)  # g * c / max(5, c) = g
    np.testing.assert_array_equal(zero, [0.0, 0.0])


def test_global_clipnorm_scales_all_gradients_together():
    grads = [np.array([3.0], dtype="float32"), np.array([[4.0]], dtype="float32")]
    clipped = optimizers.Adam(global_clipnorm=1.0)._clip_gradients(grads)
    np.testing.assert_allclose(clipped[0], [0.6], rtol=1e-6)
    np.testing.assert_allclose(clipped[1], [[0.8]], rtol=1e-6)
    assert all(c.dtype == np.float32 for c in clipped)
    small = optimizers.Adam(global_clipnorm=10.0)._clip_gradients(grads)
    np.testing.assert_allclose(small[1], grads[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a zero norm must not warn about 1/0
        zero = optimizers.Adam(global_clipnorm=1.0)._clip_gradients([np.zeros(2)])
    np.testing.assert_array_equal(zero[0], [0.0, 0.0])
    inf = optimizers.Adam(global_clipnorm=1.0)._clip_gradients([np.array([np.inf, 1.0])])
    assert np.isnan(inf[0]).all()  # Keras' scale + (norm - norm) trick


def test_clipping_is_applied_before_the_update():
    v = var([0.0, 0.0])
    optimizers.SGD(learning_rate=1.0, clipnorm=1.0).apply_gradients(
        [(np.array([3.0, 4.0]), v)])
    np.testing.assert_allclose(v.data, [-0.6, -0.8], rtol=1e-6)


@pytest.mark.parametrize("clip", [{"clipnorm": 0.5}, {"clipvalue": 0.1}, {"global_clipnorm": 0.5},
                                  {}])
@pytest.mark.parametrize("cls", ALL)
def test_gradients_are_never_modified(cls, clip):
    grad = np.array([0.3, -0.7, 2.0], dtype="float32")
    grad.setflags(write=False)  # like a broadcast view: any in-place write would raise
    shared = np.broadcast_to(np.float32(0.5), (3,))  # read-only, shared by two variables
    a, b, c = var([1.0, 2.0, 3.0], name="a"), var([1.0, 2.0, 3.0], name="b"), var(
        [1.0, 1.0, 1.0], name="c")
    optimizer = cls(learning_rate=0.1, **clip)
    for _ in range(2):
        optimizer.apply([grad, shared, shared], [a, b, c])
    np.testing.assert_array_equal(grad, np.array([0.3, -0.7, 2.0], dtype="float32"))
    np.testing.assert_array_equal(shared, [0.5, 0.5, 0.5])


def test_only_one_clip_option():
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue` and "
                                         "`global_clipnorm` can be set. Received: clipnorm=0.1, "
                                         "clipvalue=0.1, global_clipnorm=None"):
        optimizers.SGD(clipnorm=0.1, clipvalue=0.1)


# ----------------------------------------------------------------- state and dtypes
@pytest.mark.parametrize("cls", ALL)
def test_state_is_allocated_once_and_updates_are_in_place(cls):
    v = var(np.ones((2, 3)))
    data = v.data
    optimizer = cls(learning_rate=0.1, momentum=0.9) if cls is optimizers.SGD else cls()
    optimizer.apply_gradients([(np.full((2, 3), 0.5), v)])
    slots = list(optimizer._state.values())
    for _ in range(3):
        optimizer.apply_gradients([(np.full((2, 3), 0.5), v)])
    assert list(optimizer._state.values()) == slots
    assert all(a is b for a, b in zip(optimizer._state.values(), slots))
    assert v.data is data  # the weight array itself was updated
    assert not np.allclose(v.data, 1.0)
    assert optimizer.iterations == 4


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls", ALL)
def test_state_and_weights_keep_the_variable_dtype(cls, dtype):
    v = var(np.ones(3), dtype=dtype)
    optimizer = cls(momentum=0.5) if cls is optimizers.SGD else cls()
    grad = np.full(3, 0.25, dtype="float64" if dtype == "float32" else "float32")
    optimizer.apply_gradients([(grad, v)])
    assert v.data.dtype == dtype
    arrays = [a for k, a in optimizer.get_state().items() if k not in ("iterations",
                                                                        "learning_rate")]
    assert arrays and all(a.dtype == dtype for a in arrays)


def test_slots_are_allocated_only_when_used():
    assert list(_built(optimizers.SGD()).get_state()) == ["iterations", "learning_rate"]
    assert list(_built(optimizers.SGD(momentum=0.9)).get_state())[2:] == [
        "momentum/0", "momentum/1"]
    rms = _built(optimizers.RMSprop(momentum=0.5, centered=True))
    assert list(rms.get_state())[2:] == ["velocity/0", "velocity/1", "momentum/0", "momentum/1",
                                         "average_gradient/0", "average_gradient/1"]
    # Keras' variable order: slots named together are interleaved per variable.
    assert list(_built(optimizers.Adam(amsgrad=True)).get_state())[2:] == [
        "momentum/0", "velocity/0", "momentum/1", "velocity/1", "velocity_hat/0", "velocity_hat/1"]
    assert list(_built(optimizers.Nadam()).get_state())[-1] == "u_product"
    assert "learning_rate" not in _built(
        optimizers.Adam(schedules.ExponentialDecay(0.1, 10, 0.5))).get_state()
    assert len(_built(optimizers.Adam()).variables) == 6


def _built(optimizer):
    optimizer.build([var([1.0, 2.0], name="a"), var([[3.0]], name="b")])
    return optimizer


def test_get_state_set_state_round_trip():
    rng = np.random.default_rng(0)
    steps = [[rng.normal(size=(2, 2)), rng.normal(size=3)] for _ in range(5)]
    a = [var(np.ones((2, 2)), name="k"), var(np.zeros(3), name="b")]
    first = optimizers.Nadam(learning_rate=0.01)
    for g in steps[:3]:
        first.apply(g, a)
    first.learning_rate = 0.005
    copies = [var(w.data.copy(), name=w.name) for w in a]
    second = optimizers.Nadam()
    second.build(copies)
    second.set_state(first.get_state())
    assert second.iterations == 3 and second.learning_rate == first.learning_rate
    for g in steps[3:]:
        first.apply(g, a)
        second.apply(g, copies)
    for w, c in zip(a, copies):
        np.testing.assert_array_equal(w.data, c.data)


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.pop("velocity/1"), r"key 'velocity/1' is missing"),
    (lambda s: s.update(extra=np.zeros(1)), r"unexpected key 'extra'; expected keys are"),
    (lambda s: s.update({"velocity/1": np.zeros(4)}), r"key 'velocity/1' has shape \(4,\), "
                                                      r"expected \(3,\)"),
    (lambda s: s.update(iterations=np.array(2.5)), r"key 'iterations' has dtype float64, "
                                                   "expected an integer"),
    (lambda s: s.update(iterations=np.array(-1)), r"key 'iterations' is -1, expected a count"),
    (lambda s: s.update({"momentum/0": np.array(["a", "b"])}), r"key 'momentum/0' has dtype"),
    (lambda s: s.update(learning_rate=np.array(1e300)),
     r"key 'learning_rate' holds a value that is not a finite float32 \(1e\+300\)"),
    (lambda s: s.update({"velocity/1": np.array([0.0, np.nan, 1.0])}),
     r"key 'velocity/1' holds a value that is not a finite float32 \(nan\)"),
])
def test_set_state_errors_change_nothing(edit, message):
    weights = [var([1.0, 2.0], name="a"), var([1.0, 2.0, 3.0], name="b")]
    optimizer = optimizers.Adam()
    optimizer.apply([np.ones(2), np.ones(3)], weights)
    state = optimizer.get_state()
    state["learning_rate"] = np.array(0.5)
    state["iterations"] = np.array(7)
    state["momentum/0"] = np.full(2, 9.0)
    edit(state)
    before = optimizer.get_state()
    prefix = r"Cannot load the state of optimizer 'adam\w*': "
    with pytest.raises(ValueError, match=prefix + message):
        optimizer.set_state(state)
    after = optimizer.get_state()
    assert list(before) == list(after)
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_set_state_on_an_unbuilt_optimizer_says_to_build():
    state = _built(optimizers.Adam()).get_state()
    with pytest.raises(ValueError, match=r"not built yet: call `optimizer.build\(variables\)`"):
        optimizers.Adam().set_state(state)


# ----------------------------------------------------------------- the apply pipeline
def test_none_gradient_skips_its_variable_with_keras_warning():
    a, b = var([3.0, 4.0], name="a"), var([3.0, 4.0], name="b")
    optimizer = optimizers.SGD(learning_rate=1.0)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['dense/a'\] "
                                         "when minimizing the loss"):
        optimizer.apply([None, np.ones(2)], [a, b])
    np.testing.assert_array_equal(a.data, [3.0, 4.0])
    np.testing.assert_array_equal(b.data, [2.0, 3.0])
    with pytest.raises(ValueError, match="No gradients provided for any variable."):
        optimizer.apply([None, None], [a, b])


def test_apply_errors():
    a, b = var([1.0], name="a"), var([2.0], name="b")
    with pytest.raises(ValueError, match="must already be built on a list of variables"):
        optimizers.Adam().apply([np.ones(1)])
    optimizer = optimizers.Adam()
    with pytest.raises(ValueError, match=r"received 2 gradients for 1 variables"):
        optimizer.apply([np.ones(1), np.ones(1)], [a])
    optimizer.apply([np.ones(1)], [a])
    with pytest.raises(ValueError, match="Unknown variable: .*originally built with"):
        optimizer.apply([np.ones(1)], [b])
    with pytest.raises(ValueError, match=r"Gradient for variable 'dense/a' has shape \(2,\), "
                                         r"expected the variable's shape \(1,\)"):
        optimizer.apply([np.ones(2)], [a])
    optimizer.apply([np.ones(1)])  # variables default to the built list
    assert optimizer.iterations == 2
    assert optimizer.apply([]) is None and optimizer.iterations == 2


def test_constraints_are_applied_after_the_update():
    v = Variable(np.array([0.5, 2.0]), name="w", constraint=lambda w: np.maximum(w.data, 0.0))
    optimizers.SGD(learning_rate=1.0).apply_gradients([(np.array([1.0, 1.0]), v)])
    np.testing.assert_array_equal(v.data, [0.0, 1.0])


def test_schedule_is_evaluated_at_iterations_before_the_increment():
    lr = schedules.PiecewiseConstantDecay(boundaries=[0], values=[1.0, 0.5])
    v, optimizer = var([0.0]), optimizers.SGD(learning_rate=lr)
    assert optimizer.learning_rate == 1.0
    optimizer.apply_gradients([(np.array([1.0]), v)])  # step 0 uses schedule(0) = 1.0
    assert v.data[0] == -1.0 and optimizer.learning_rate == 0.5
    optimizer.apply_gradients([(np.array([1.0]), v)])
    assert v.data[0] == -1.5


def test_weight_decay_is_decoupled_and_uses_the_learning_rate():
    v = var([2.0])
    optimizers.SGD(learning_rate=0.5, weight_decay=0.1).apply_gradients([(np.array([1.0]), v)])
    assert v.data[0] == pytest.approx(2.0 - 2.0 * 0.1 * 0.5 - 0.5 * 1.0)


# ----------------------------------------------------------------- learning rate property
def test_learning_rate_is_stored_in_floatx_as_keras():
    optimizer = optimizers.Adam()
    assert optimizer.learning_rate == float(np.float32(0.001)) == 0.0010000000474974513
    assert optimizer.get_config()["learning_rate"] == 0.0010000000474974513
    assert optimizers.SGD().learning_rate == float(np.float32(0.01))
    optimizer.learning_rate = 0.5
    assert optimizer.learning_rate == 0.5 and isinstance(optimizer.learning_rate, float)
    optimizer.learning_rate = np.float32(0.25)  # callbacks may set NumPy values
    assert optimizer.learning_rate == 0.25


def test_learning_rate_errors():
    with pytest.raises(ValueError, match="Argument `learning_rate` should be float, or an instance "
                                         "of LearningRateSchedule.*Received instead: "
                                         "learning_rate=1"):
        optimizers.Adam(learning_rate=1)
    scheduled = optimizers.Adam(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="created with a `LearningRateSchedule`.*not settable"):
        scheduled.learning_rate = 0.1
    with pytest.raises(ValueError, match=r"Optimizer 'adam\w*': `learning_rate` must be set to a "
                                         "number.*Received: 'fast'"):
        optimizers.Adam().learning_rate = "fast"


def test_callable_learning_rate():
    v = var([1.0, 2.0])
    optimizer = optimizers.SGD(learning_rate=lambda: 0.1)
    optimizer.apply_gradients([(np.ones(2), v)])
    np.testing.assert_allclose(v.data, [0.9, 1.9], rtol=1e-6)
    assert optimizer.learning_rate == 0.1


# ----------------------------------------------------------------- configs and identifiers
@pytest.mark.parametrize("name, cls", sorted(optimizers.ALL_OBJECTS_DICT.items()))
def test_get_by_name_and_config_round_trip(name, cls):
    optimizer = optimizers.get(name)
    assert type(optimizer) is cls
    assert type(optimizers.get(cls.__name__)) is cls  # case-insensitive, as Keras
    spec = optimizers.serialize(optimizer)
    assert spec["module"] == "keras.optimizers" and spec["class_name"] == cls.__name__
    rebuilt = optimizers.deserialize(spec)
    assert type(rebuilt) is cls and rebuilt.get_config() == optimizer.get_config()


def test_config_keys_and_values_follow_keras():
    config_ = optimizers.SGD(learning_rate=0.5, momentum=0.06, nesterov=True,
                             weight_decay=0.004, name="my_sgd").get_config()
    assert config_ == {
        "name": "my_sgd", "learning_rate": 0.5, "weight_decay": 0.004, "clipnorm": None,
        "global_clipnorm": None, "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
        "ema_overwrite_frequency": None, "loss_scale_factor": None,
        "gradient_accumulation_steps": None, "momentum": 0.06, "nesterov": True}
    assert optimizers.SGD.from_config(config_).get_config() == config_


def test_schedule_survives_config_round_trip():
    optimizer = optimizers.Adam(learning_rate=schedules.CosineDecay(0.1, 100), clipnorm=1.0)
    rebuilt = optimizers.get(optimizers.serialize(optimizer))
    assert isinstance(rebuilt._learning_rate, schedules.CosineDecay)
    assert rebuilt.get_config() == optimizer.get_config()


def test_function_learning_rate_needs_custom_objects():
    def warm(): return 0.01  # noqa: E704

    spec = optimizers.serialize(optimizers.SGD(learning_rate=warm))
    with pytest.raises(ValueError, match=r"learning_rate is the function 'warm'.*"
                                         r"custom_objects=\{'warm': function\}"):
        optimizers.deserialize(spec)
    assert optimizers.deserialize(spec, custom_objects={"warm": warm}).learning_rate == 0.01


def test_get_identifiers_and_errors():
    adam = optimizers.Adam()
    assert optimizers.get(adam) is adam and optimizers.get(None) is None
    assert optimizers.get({"class_name": "adam", "config": {"weight_decay": 0.05}}).weight_decay \
        == 0.05
    valid = r"\['adagrad', 'adam', 'adamax', 'adamw', 'nadam', 'rmsprop', 'sgd'\]"
    with pytest.raises(ValueError, match=f"Could not interpret optimizer identifier: 'typo'. "
                                         f"Valid names: {valid}"):
        optimizers.get("typo")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: 3"):
        optimizers.get(3)
    with pytest.raises(ValueError, match="expected a dict with 'class_name' and 'config'"):
        optimizers.deserialize(["adam"])
    with pytest.raises(ValueError, match="Cannot serialize 'adam': expected an Optimizer"):
        optimizers.serialize("adam")


def test_auto_names_follow_keras():
    assert optimizers.RMSprop().name.startswith("rm_sprop")
    assert optimizers.AdamW().name.startswith("adam_w")
    first, second = optimizers.Adagrad(), optimizers.Adagrad()
    assert first.name != second.name and second.name.startswith("adagrad_")


def test_constructor_errors():
    with pytest.raises(ValueError, match=r"Argument\(s\) not recognized: \{'lr': 0.1\}"):
        optimizers.Adam(lr=0.1)
    with pytest.warns(UserWarning, match="Argument `decay` is no longer supported"):
        optimizers.Adam(decay=0.1)
    with pytest.raises(NotImplementedError, match="`use_ema=True` is not supported by numpynet"):
        optimizers.Adam(use_ema=True)
    with pytest.raises(NotImplementedError, match="`gradient_accumulation_steps=2`"):
        optimizers.SGD(gradient_accumulation_steps=2)
    with pytest.raises(ValueError, match="Argument `weight_decay` must be a float. Received: "
                                         "weight_decay=None"):
        optimizers.AdamW(weight_decay=None)
    for momentum in (-1.0, 2.0, 1):
        with pytest.raises(ValueError, match=r"`momentum` must be a float between \[0, 1\]. "
                                             f"Received: momentum={momentum}"):
            optimizers.SGD(momentum=momentum)


def test_base_class_requires_update_step():
    class Plain(optimizers.Optimizer):
        pass

    with pytest.raises(NotImplementedError, match=r"Optimizer Plain must implement "
                                                  r"`update_step\(gradient, variable, "):
        Plain(learning_rate=0.1).apply_gradients([(np.ones(1), var([1.0]))])
