"""Functional graphs, Sequential, and the bookkeeping of fit/evaluate/predict."""

import numpy as np
import pytest

import numpynet as nn
from numpynet import config, layers, ops, optimizers
from numpynet.callbacks import Callback
from numpynet.gradcheck import check_grads
from numpynet.tensor import Tensor


@pytest.fixture(autouse=True)
def _fresh_session():
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)


@pytest.fixture
def float64():
    previous = config.floatx()
    config.set_floatx("float64")
    yield
    config.set_floatx(previous)


def _data(*shapes, seed=0):
    generator = np.random.default_rng(seed)
    return [generator.standard_normal(shape).astype(config.floatx()) for shape in shapes]


def two_input_model(shared_units=3):
    """Two inputs through one shared Dense, concatenated, then a Dense head."""
    a, b = nn.Input((4,), name="a"), nn.Input((4,), name="b")
    shared = layers.Dense(shared_units, activation="tanh", name="shared")
    merged = layers.Concatenate(name="merge")([shared(a), shared(b)])
    out = layers.Dense(1, name="head")(merged)
    return nn.Model([a, b], out, name="siamese")


# ------------------------------------------------------------------------------ functional
def test_two_input_shared_model_trains():
    model = two_input_model()
    xa, xb = _data((64, 4), (64, 4))
    y = (np.tanh(xa[:, :1]) - 0.5 * xb[:, 1:2]).astype("float32")
    model.compile(optimizer=optimizers.Adam(learning_rate=0.05), loss="mse")
    history = model.fit([xa, xb], y, epochs=40, batch_size=16, verbose=0)
    assert len(model.get_layer("shared").weights) == 2
    assert len(model.weights) == 4  # the shared kernel and bias count once
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]


def test_two_input_model_input_gradients_pass_gradcheck(float64):
    model = two_input_model()
    assert model.get_layer("shared").kernel.dtype == np.float64
    xa, xb = _data((3, 4), (3, 4), seed=1)
    gradients = check_grads(lambda p, q: model([p, q]), xa, xb)
    assert all(np.abs(g).max() > 0 for g in gradients)


def _weighted_sum(output, projection):
    return ops.sum(output * Tensor(projection))


def test_shared_layer_gradient_is_the_sum_of_both_branches(float64):
    model = two_input_model()
    shared = model.get_layer("shared")
    xa, xb, pa, pb = _data((5, 4), (5, 4), (5, 3), (5, 3), seed=2)
    branch_a = nn.Model(model.inputs[0], shared.get_output_at(0))
    branch_b = nn.Model(model.inputs[1], shared.get_output_at(1))
    merged = nn.Model(model.inputs, model.get_layer("merge").output)

    def kernel_grad(fn):
        shared.kernel.grad = None
        fn().backward()
        return shared.kernel.grad.copy()

    grad_a = kernel_grad(lambda: _weighted_sum(branch_a(xa), pa))
    grad_b = kernel_grad(lambda: _weighted_sum(branch_b(xb), pb))
    grad_both = kernel_grad(lambda: _weighted_sum(merged([xa, xb]), np.concatenate([pa, pb], 1)))
    np.testing.assert_allclose(grad_both, grad_a + grad_b, rtol=1e-12)
    assert not np.allclose(grad_both, grad_a) and not np.allclose(grad_both, grad_b)


def autoencoder():
    x = nn.Input((6,), name="pixels")
    code = layers.Dense(3, activation="relu", name="encoder")(x)
    return nn.Model(x, layers.Dense(6, activation="sigmoid", name="decoder")(code))


def test_sub_model_returns_the_intermediate_output_and_shares_weights():
    model = autoencoder()
    (x,) = _data((10, 6))
    encoder = nn.Model(model.inputs, model.get_layer("encoder").output)
    kernel, bias = model.get_layer("encoder").get_weights()
    np.testing.assert_allclose(encoder.predict(x, verbose=0), np.maximum(x @ kernel + bias, 0.0),
                               rtol=1e-6)
    model.compile("adam", "mse")
    before = encoder.predict(x, verbose=0)
    model.fit(x, x, epochs=3, verbose=0)
    kernel, bias = model.get_layer("encoder").get_weights()
    after = encoder.predict(x, verbose=0)
    assert not np.allclose(before, after)  # the sub-model sees the trained weights
    np.testing.assert_allclose(after, np.maximum(x @ kernel + bias, 0.0), rtol=1e-5, atol=1e-6)
    decoder = model.get_layer("decoder")
    code = np.maximum(x @ kernel + bias, 0.0)
    full = 1.0 / (1.0 + np.exp(-(code @ decoder.kernel.data + decoder.bias.data)))
    np.testing.assert_allclose(model.predict(x, verbose=0), full, rtol=1e-5)


def test_nested_models_are_layers():
    inner_in = nn.Input((4,))
    inner = nn.Model(inner_in, layers.Dense(3, activation="relu", name="inner_dense")(inner_in),
                     name="inner")
    x = nn.Input((4,))
    outer = nn.Model(x, layers.Dense(1, name="outer_dense")(inner(x)), name="outer")
    assert outer.get_layer("inner") is inner
    assert len(outer.trainable_weights) == 4
    (data,) = _data((7, 4))
    dense = outer.get_layer("outer_dense")
    expected = inner.predict(data, verbose=0) @ dense.kernel.data + dense.bias.data
    np.testing.assert_allclose(outer.predict(data, verbose=0), expected, rtol=1e-5, atol=1e-6)
    before = inner.get_weights()
    outer.compile(optimizers.SGD(learning_rate=0.1), "mse")
    outer.fit(data, np.ones((7, 1), "float32"), epochs=2, verbose=0)
    assert any(not np.array_equal(b, a) for b, a in zip(before, inner.get_weights()))

    stack = nn.Sequential([nn.Sequential([layers.Dense(5, input_shape=(4,))]), layers.Dense(2)])
    assert stack.predict(data, verbose=0).shape == (7, 2)
    assert stack.count_params() == 4 * 5 + 5 + 5 * 2 + 2


# ------------------------------------------------------------------------------ sequential
def test_sequential_with_input_shape_builds_at_once():
    model = nn.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    assert model.built
    assert [w.shape for w in model.weights] == [(3, 4), (4,), (4, 2), (2,)]
    assert model.outputs[0].shape == (None, 2)


def test_sequential_defers_building_until_data():
    model = nn.Sequential([layers.Dense(4), layers.Dense(2)])
    assert not model.built and model.weights == []
    with pytest.raises(ValueError, match="has not yet been built"):
        model.summary()
    (x,) = _data((5, 3))
    assert model.predict(x, verbose=0).shape == (5, 2)
    assert model.built and model.layers[0].kernel.shape == (3, 4)


def test_sequential_add_pop_and_build():
    model = nn.Sequential(name="stack")
    model.add(layers.Dense(4, name="d0"))
    model.add(layers.Dense(3, name="d1"))
    model.build((None, 5))
    assert model.outputs[0].shape == (None, 3)
    model.add(layers.Dense(2, name="d2"))
    assert model.outputs[0].shape == (None, 2)
    assert [layer.name for layer in model.layers] == ["d0", "d1", "d2"]
    model.pop()
    assert [layer.name for layer in model.layers] == ["d0", "d1"]
    assert model.outputs[0].shape == (None, 3)
    (x,) = _data((4, 5))
    assert model.predict(x, verbose=0).shape == (4, 3)
    model.pop()
    model.pop()
    with pytest.raises(TypeError, match="no layers in the model to pop"):
        model.pop()
    with pytest.raises(TypeError, match="Sequential.add expects a layer, got int"):
        model.add(3)


# ------------------------------------------------------------------------------ graph errors
def test_graph_errors_have_clear_messages():
    a, b = nn.Input((3,), name="in_a"), nn.Input((3,), name="in_b")
    with pytest.raises(ValueError, match="Graph disconnected.*'in_b'"):
        nn.Model(a, layers.Dense(2)(b))
    x = layers.Dense(2, name="same")(a)
    with pytest.raises(ValueError, match='The name "same" is used 2 times'):
        nn.Model(a, layers.Dense(2, name="same")(x))
    with pytest.raises(TypeError, match="must be symbolic tensors.*ndarray"):
        nn.Model(a, np.zeros(3))


def test_calling_a_model_with_wrong_inputs():
    model = two_input_model()
    xa, xb = _data((2, 4), (2, 4))
    with pytest.raises(ValueError, match=r"expects 2 input\(s\) \['a', 'b'\], but it received 1"):
        model([xa])
    with pytest.raises(ValueError, match=r"missing \['b'\], unexpected \['c'\]"):
        model({"a": xa, "c": xb})
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"x: model 'siamese' expects keys.*missing \['b'\]"):
        model.fit({"a": xa}, np.zeros((2, 1)), verbose=0)


def test_get_layer_and_shared_output_errors():
    model = two_input_model()
    with pytest.raises(ValueError, match=r"No such layer: 'nope'.*Existing layers are") as error:
        model.get_layer("nope")
    for name in ("a", "b", "shared", "merge", "head"):
        assert repr(name) in str(error.value)
    shared = model.get_layer("shared")  # called twice: Keras 3 answers with the first call
    assert shared.output is shared.get_output_at(0) and shared.input is model.inputs[0]
    assert model.get_layer(index=-1).name == "head"


# ------------------------------------------------------------------------------ fit bookkeeping
def linear_model(w=(0.5, -1.0), b=0.25, lr=0.1):
    model = nn.Sequential([layers.Dense(1, input_shape=(2,), name="linear")])
    model.set_weights([np.array(w, "float32").reshape(2, 1), np.array([b], "float32")])
    model.compile(optimizer=optimizers.SGD(learning_rate=lr), loss="mse")
    return model


def _hand_sgd_epochs(x, y, w, b, lr, batch_size, epochs):
    """Linear model + MSE + SGD by hand; returns the History losses and final weights."""
    w, b = np.array(w, np.float64).reshape(2, 1), float(b)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            error = xb @ w + b - yb
            total += float(np.mean(error ** 2)) * len(xb)  # weighted by batch size
            w = w - lr * 2.0 * xb.T @ error / len(xb)  # d mean(e^2)/dw = 2 x^T e / n
            b = b - lr * 2.0 * float(np.sum(error)) / len(xb)
        losses.append(total / len(x))
    return losses, w, b


def test_history_loss_is_the_batch_size_weighted_mean_while_weights_change():
    x = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.3], [2.0, 0.1], [0.2, 0.4]])
    y = np.array([[1.0], [0.0], [-2.0], [3.0], [0.5]])
    model = linear_model()
    history = model.fit(x, y, batch_size=2, epochs=3, shuffle=False, verbose=0)
    expected, w, b = _hand_sgd_epochs(x, y, (0.5, -1.0), 0.25, 0.1, 2, 3)
    np.testing.assert_allclose(history.history["loss"], expected, rtol=1e-5)
    np.testing.assert_allclose(model.layers[0].kernel.data, w, rtol=1e-5)
    np.testing.assert_allclose(model.layers[0].bias.data, [b], rtol=1e-5)
    final_loss = float(np.mean((x @ w + b - y) ** 2))
    assert abs(expected[-1] - final_loss) > 1e-3  # not an end-of-epoch evaluation


class _BatchCounter(Callback):
    def __init__(self):
        super().__init__()
        self.train_batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.train_batches += 1


def test_validation_split_takes_the_tail():
    (x,) = _data((10, 2))
    y = np.arange(10, dtype="float32").reshape(10, 1)
    model = linear_model()
    counter = _BatchCounter()
    history = model.fit(x, y, batch_size=2, epochs=1, validation_split=0.4, shuffle=False,
                        verbose=0, callbacks=[counter])
    assert counter.train_batches == 3  # 6 training samples
    tail = model.evaluate(x[6:], y[6:], verbose=0)
    head = model.evaluate(x[:4], y[:4], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(tail, rel=1e-6)
    assert abs(history.history["val_loss"][0] - head) > 1.0


def test_shuffle_is_reproducible_under_set_random_seed():
    x, y = _data((40, 2), (40, 1))

    def run(seed):
        model = linear_model()
        nn.set_random_seed(seed)
        model.fit(x, y, batch_size=4, epochs=2, shuffle=True, verbose=0)
        return model.get_weights()

    first, again, other = run(7), run(7), run(8)
    assert all(np.array_equal(p, q) for p, q in zip(first, again))
    assert not all(np.array_equal(p, q) for p, q in zip(first, other))


def test_sample_weight_and_class_weight():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]], "float32")
    y = np.array([[1.0], [0.0], [1.0], [0.0]], "float32")
    weights = np.array([1.0, 2.0, 0.0, 3.0], "float32")
    model = linear_model()
    error = (x @ np.array([[0.5], [-1.0]]) + 0.25 - y)[:, 0] ** 2
    # sum_over_batch_size: the weighted sum divided by the sample count, not the weight sum
    expected = float(np.sum(weights * error) / 4)
    assert model.evaluate(x, y, sample_weight=weights, verbose=0) == pytest.approx(expected, 1e-6)
    assert model.test_on_batch(x, y, sample_weight=weights) == pytest.approx(expected, 1e-6)

    by_class = linear_model()
    by_class.fit(x, y, class_weight={0: 3.0, 1: 0.5}, batch_size=4, shuffle=False, verbose=0)
    by_sample = linear_model()
    by_sample.fit(x, y, sample_weight=np.where(y[:, 0] == 1, 0.5, 3.0), batch_size=4,
                  shuffle=False, verbose=0)
    unweighted = linear_model()
    unweighted.fit(x, y, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_array_equal(by_class.get_weights()[0], by_sample.get_weights()[0])
    assert not np.allclose(by_class.get_weights()[0], unweighted.get_weights()[0])


def two_output_model():
    x = nn.Input((3,), name="features")
    hidden = layers.Dense(4, activation="relu", name="hidden")(x)
    first = layers.Dense(1, name="price")(hidden)
    second = layers.Dense(2, name="size")(hidden)
    return nn.Model(x, [first, second], name="two_heads")


def test_multi_output_logs_keys():
    model = two_output_model()
    model.compile("sgd", loss={"price": "mse", "size": "mae"}, loss_weights=[1.0, 2.0],
                  metrics={"price": ["mae"], "size": ["mse"]})
    x, y1, y2 = _data((12, 3), (12, 1), (12, 2))
    history = model.fit(x, {"price": y1, "size": y2}, epochs=2, batch_size=4,
                        validation_split=0.25, verbose=0)
    train_keys = {"loss", "price_loss", "size_loss", "price_mae", "size_mse"}
    assert set(history.history) == train_keys | {f"val_{k}" for k in train_keys}
    logs = model.evaluate(x, [y1, y2], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["price_loss"] + 2.0 * logs["size_loss"], rel=1e-5)
    first, second = model.predict(x, verbose=0)
    assert first.shape == (12, 1) and second.shape == (12, 2)


def test_evaluate_predict_and_on_batch_methods():
    model = two_input_model()
    model.compile(optimizers.SGD(learning_rate=0.05), "mse", metrics=["mae"])
    xa, xb, y = _data((6, 4), (6, 4), (6, 1))
    predictions = model.predict([xa, xb], batch_size=4, verbose=0)
    assert predictions.shape == (6, 1)
    np.testing.assert_allclose(model.predict_on_batch([xa, xb]), predictions, rtol=1e-6)
    mse = float(np.mean((predictions - y) ** 2))
    loss, mae = model.evaluate([xa, xb], y, batch_size=4, verbose=0)
    assert loss == pytest.approx(mse, rel=1e-5)
    assert mae == pytest.approx(float(np.mean(np.abs(predictions - y))), rel=1e-5)
    assert model.test_on_batch([xa, xb], y, return_dict=True)["loss"] == pytest.approx(mse, 1e-5)
    before = model.get_weights()
    # train_on_batch reports the loss of the forward pass, before the update
    assert model.train_on_batch([xa, xb], y)[0] == pytest.approx(mse, rel=1e-5)
    assert any(not np.array_equal(p, q) for p, q in zip(before, model.get_weights()))
    assert model.evaluate([xa, xb], y, verbose=0)[0] < mse


# ------------------------------------------------------------------------------ fit errors
def test_fit_input_errors():
    x, y = _data((5, 2), (5, 1))
    model = nn.Sequential([layers.Dense(1, input_shape=(2,))], name="plain")
    with pytest.raises(RuntimeError, match=r"must call `compile\(\)` before calling `fit\(\)` "
                                           r"on model 'plain'"):
        model.fit(x, y, verbose=0)
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        model.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match=r"Data cardinality is ambiguous.*'x': 5, 'y': 4"):
        model.fit(x, y[:4], verbose=0)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"x contains nan at index \(3, 1\)"):
        model.fit(bad, y, verbose=0)
    with pytest.raises(TypeError, match="x must be numeric, got an array of dtype <U"):
        model.fit(np.array([["a", "b"]] * 5), y, verbose=0)
    with pytest.raises(ValueError, match=r"validation_split must be a float in \[0, 1\), got 1.0"):
        model.fit(x, y, validation_split=1.0, verbose=0)


class _GradientSpy(Callback):
    def __init__(self):
        super().__init__()
        self.records = []

    def on_train_batch_begin(self, batch, logs=None):
        self.start = self.model.layers[0].kernel.data.copy()

    def on_train_batch_gradients(self, batch, gradients):
        kernel = self.model.layers[0].kernel
        self.records.append((self.start, kernel.data.copy(), gradients[kernel.path].copy()))

    def on_train_batch_end(self, batch, logs=None):
        self.records[-1] += (self.model.layers[0].kernel.data.copy(),)


def test_gradient_hook_runs_before_the_update():
    x, y = _data((6, 2), (6, 1))
    model = linear_model(lr=0.1)
    spy = _GradientSpy()
    model.fit(x, y, batch_size=3, shuffle=False, verbose=0, callbacks=[spy])
    assert len(spy.records) == 2
    for start, at_hook, gradient, after in spy.records:
        np.testing.assert_array_equal(at_hook, start)  # not yet updated
        assert np.abs(gradient).max() > 0
        np.testing.assert_allclose(after, start - np.float32(0.1) * gradient, rtol=1e-6)
