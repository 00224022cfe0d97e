"""Per-layer distributions (nn.viz.layer_distributions and friends) against direct computation."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import numpynet as nn  # noqa: E402
from numpynet.viz import distributions  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_session():
    nn.config.set_floatx("float32")
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)
    yield
    nn.config.set_floatx("float32")


def tiny_net(loss="mse", output_activation=None, regularizer=None):
    """``Input(3) → Dense(4, tanh) → Dense(2)``, compiled with ``loss``."""
    model = nn.Sequential([
        nn.layers.Input((3,)),
        nn.layers.Dense(4, activation="tanh", name="hidden", kernel_regularizer=regularizer),
        nn.layers.Dense(2, activation=output_activation, name="out"),
    ])
    model.compile("sgd", loss)
    return model


def data(n=7, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)).astype(nn.config.floatx()), \
        rng.normal(size=(n, 2)).astype(nn.config.floatx())


def manual(model, x, y):
    """Forward and backward of the tiny tanh net with the mean squared error, in NumPy."""
    w1, b1, w2, b2 = model.get_weights()
    h = np.tanh(x @ w1 + b1)
    out = h @ w2 + b2
    d_out = 2.0 * (out - y) / out.size  # mean over samples and units
    d_h = d_out @ w2.T
    d_w1 = x.T @ (d_h * (1.0 - h * h))
    return {"h": h, "out": out, "d_out": d_out, "d_h": d_h, "d_w1": d_w1, "d_w2": h.T @ d_out}


def test_every_quantity_equals_a_manual_forward_and_backward():
    model = tiny_net()
    x, y = data()
    dists = nn.viz.layer_distributions(model, x, y)
    expected = manual(model, x, y)
    assert list(dists) == ["hidden", "out"]
    assert sorted(dists["hidden"]) == sorted(distributions.QUANTITIES)
    hidden, out = dists["hidden"], dists["out"]
    np.testing.assert_array_equal(hidden["weights"], model.get_layer("hidden").kernel.data)
    np.testing.assert_allclose(hidden["activations"], expected["h"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["activations"], expected["out"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["activation_gradients"], expected["d_out"], rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(hidden["activation_gradients"], expected["d_h"], rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(hidden["gradients"], expected["d_w1"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out["gradients"], expected["d_w2"], rtol=1e-4, atol=1e-6)
    assert hidden["gradients"].shape == (3, 4) and hidden["activations"].shape == (7, 4)


def test_kernel_gradients_equal_finite_differences_in_float64():
    nn.config.set_floatx("float64")
    model = tiny_net()
    x, y = data()
    got = nn.viz.layer_distributions(model, x, y)["hidden"]["gradients"]
    kernel = model.get_layer("hidden").kernel

    def loss():
        return float(np.mean((manual(model, x, y)["out"] - y) ** 2))

    numeric = np.zeros_like(kernel.data)
    for index in np.ndindex(kernel.shape):
        saved = kernel.data[index]
        kernel.data[index] = saved + 1e-6
        up = loss()
        kernel.data[index] = saved - 1e-6
        numeric[index] = (up - loss()) / 2e-6
        kernel.data[index] = saved
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-9)


def test_batches_give_the_gradients_of_the_whole_data():
    model = tiny_net()
    x, y = data(n=10)
    whole = nn.viz.layer_distributions(model, x, y, batch_size=100)
    batched = nn.viz.layer_distributions(model, x, y, batch_size=3)  # 3 + 3 + 3 + 1
    for layer in whole:
        for quantity in distributions.QUANTITIES:
            np.testing.assert_allclose(batched[layer][quantity], whole[layer][quantity],
                                       rtol=1e-5, atol=1e-7)


def test_regularization_penalties_are_part_of_the_loss():
    plain = tiny_net()
    x, y = data()
    regularized = tiny_net(regularizer=nn.regularizers.L2(0.5))
    regularized.set_weights(plain.get_weights())
    kernel = plain.get_layer("hidden").kernel.data
    difference = (nn.viz.layer_distributions(regularized, x, y)["hidden"]["gradients"]
                  - nn.viz.layer_distributions(plain, x, y)["hidden"]["gradients"])
    np.testing.assert_allclose(difference, 2 * 0.5 * kernel, rtol=1e-5, atol=1e-6)  # no ½


def test_softmax_cross_entropy_output_has_no_probability_gradient():
    model = tiny_net("sparse_categorical_crossentropy", output_activation="softmax")
    x, _ = data()
    labels = np.array([0, 1, 1, 0, 1, 0, 0])
    dists = nn.viz.layer_distributions(model, x, labels)
    # The loss reads the logits, as Keras does: the softmax output gets no gradient (NaN)...
    assert np.isnan(dists["out"]["activation_gradients"]).all()
    # ...while the hidden layer receives (p - y) / n through the output kernel.
    w1, b1, w2, b2 = model.get_weights()
    h = np.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    expected = (p - np.eye(2)[labels]) / len(x) @ w2.T
    np.testing.assert_allclose(dists["hidden"]["activation_gradients"], expected, rtol=1e-5,
                               atol=1e-7)


def test_loss_argument_replaces_the_compiled_loss_and_allows_uncompiled_models():
    compiled = tiny_net()
    x, y = data()
    uncompiled = nn.Sequential([nn.layers.Input((3,)), nn.layers.Dense(4, activation="tanh",
                                                                         name="hidden"),
                                nn.layers.Dense(2, name="out")])
    uncompiled.set_weights(compiled.get_weights())
    ours = nn.viz.layer_distributions(uncompiled, x, y, loss="mse")
    theirs = nn.viz.layer_distributions(compiled, x, y)
    np.testing.assert_allclose(ours["hidden"]["gradients"], theirs["hidden"]["gradients"],
                               rtol=1e-6)
    mae = nn.viz.layer_distributions(compiled, x, y, loss="mae")
    assert not np.allclose(mae["out"]["activation_gradients"],
                           theirs["out"]["activation_gradients"])


def test_layers_without_kernel_and_batch_normalization_in_training_mode():
    model = nn.Sequential([nn.layers.Input((3,)), nn.layers.Dense(4, name="dense"),
                           nn.layers.BatchNormalization(name="bn"),
                           nn.layers.Activation("relu", name="act"),
                           nn.layers.Dense(2, name="out")])
    model.compile("sgd", "mse")
    x, y = data(n=12)
    bn = model.get_layer("bn")
    before = [w.data.copy() for w in model.weights]
    dists = nn.viz.layer_distributions(model, x, y, training=True, batch_size=12)
    np.testing.assert_array_equal(dists["bn"]["weights"],
                                  np.concatenate([bn.gamma.data, bn.beta.data]))
    assert dists["bn"]["gradients"].shape == (8,)
    assert dists["act"]["weights"].shape == (0,) and dists["act"]["gradients"].shape == (0,)
    for value, after in zip(before, model.weights):  # moving statistics restored
        np.testing.assert_array_equal(value, after.data)
    assert all(w.grad is None for w in model.weights)
    # The gradient pass ran on batch statistics: ReLU lets the gradient through to BN's output
    # exactly where that training-mode output is positive.
    with nn.no_grad():
        dense = model.get_layer("dense")(x).data
    normalized = (dense - dense.mean(0)) / np.sqrt(dense.var(0) + 1e-3)
    active = normalized * bn.gamma.data + bn.beta.data > 0
    np.testing.assert_array_equal(dists["bn"]["activation_gradients"] != 0, active)
    assert 0 < active.mean() < 1
    # The activations are taken in inference mode (moving statistics: mean 0, variance 1).
    np.testing.assert_allclose(dists["bn"]["activations"], dense / np.sqrt(1.0 + 1e-3),
                               rtol=1e-5, atol=1e-6)


def test_no_weight_changes_and_no_random_draw():
    model = tiny_net()
    x, y = data()
    weights = model.get_weights()
    nn.set_random_seed(3)
    nn.viz.layer_distributions(model, x, y)
    after = nn.rng.generator().random(3)
    nn.set_random_seed(3)
    np.testing.assert_array_equal(after, nn.rng.generator().random(3))
    for old, new in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_activation_std_by_depth_and_layer_outputs():
    model = tiny_net()
    x, y = data(n=50)
    expected = manual(model, x, y)
    stds = nn.viz.activation_std_by_depth(model, x)
    assert list(stds) == ["hidden", "out"]
    assert stds["hidden"] == pytest.approx(float(np.std(expected["h"])), rel=1e-5)
    assert isinstance(stds["out"], float)
    outputs = nn.viz.layer_outputs(model, x, layers=["out"], batch_size=8)
    np.testing.assert_allclose(outputs["out"], expected["out"], rtol=1e-5, atol=1e-6)


def test_plots_draw_one_panel_per_quantity_or_per_quantity_and_layer(tmp_path):
    model = tiny_net()
    x, y = data()
    before = nn.viz.layer_distributions(model, x, y)
    model.fit(x, y, epochs=2, verbose=0)
    after = nn.viz.layer_distributions(model, x, y)
    fig = nn.viz.plot_layer_distributions({"before": before, "after": after}, title="t")
    assert len(fig.axes) == 3
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["before", "after"]
    fig.savefig(tmp_path / "violin.png")
    fig = nn.viz.plot_layer_distributions(before, kind="hist", clip=90,
                                          quantities=distributions.QUANTITIES)
    assert len(fig.axes) == 4 * 2 and fig.axes[0].get_title() == "hidden"
    fig = nn.viz.plot_activation_std_by_depth({"zeros": [0.0, 0.0], "he": {"a": 1.0, "b": 0.5}})
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["zeros (zero at some depths: not drawn)", "he"]
    fig.savefig(tmp_path / "std.png")
    assert (tmp_path / "std.png").read_bytes().startswith(b"\x89PNG")


def test_constant_weights_are_drawn_without_error():
    model = nn.Sequential([nn.layers.Input((3,)), nn.layers.Dense(2, kernel_initializer="zeros",
                                                                  name="zero")])
    model.compile("sgd", "mse")
    x, y = data()
    fig = nn.viz.plot_layer_distributions(nn.viz.layer_distributions(model, x, y))
    assert len(fig.axes[0].lines) >= 1  # the constant is drawn as a bar


def test_errors_are_clear():
    model = tiny_net()
    x, y = data()
    with pytest.raises(ValueError, match="No such layer: 'missing'"):
        nn.viz.layer_distributions(model, x, y, layers=["missing"])
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        nn.viz.layer_distributions(model, x, y[:3])
    uncompiled = nn.Sequential([nn.layers.Input((3,)), nn.layers.Dense(2, name="d")])
    with pytest.raises(ValueError, match="layer_distributions: model .* is not compiled with a "
                                         "loss; compile it or pass `loss=`"):
        nn.viz.layer_distributions(uncompiled, x, y)
    uncompiled.compile("sgd")  # no loss
    with pytest.raises(ValueError, match="is not compiled with a loss"):
        nn.viz.layer_distributions(uncompiled, x, y)
    with pytest.raises(ValueError, match="layer_outputs: model .* is not built"):
        nn.viz.layer_outputs(nn.Sequential([nn.layers.Dense(2)]), x)
    dists = nn.viz.layer_distributions(model, x, y)
    with pytest.raises(ValueError, match="kind must be 'violin' or 'hist', got 'box'"):
        nn.viz.plot_layer_distributions(dists, kind="box")
    with pytest.raises(ValueError, match=r"unknown quantities \['biases'\]"):
        nn.viz.plot_layer_distributions(dists, quantities=("weights", "biases"))
    with pytest.raises(ValueError, match="`dists` must be a non-empty dict"):
        nn.viz.plot_layer_distributions([])


def test_shared_layer_has_no_single_output():
    inputs = [nn.Input((3,), name="a"), nn.Input((3,), name="b")]
    shared = nn.layers.Dense(2, name="shared")
    merged = nn.layers.Concatenate(name="merge")([shared(inputs[0]), shared(inputs[1])])
    model = nn.Model(inputs, merged)
    with pytest.raises(ValueError, match=r"layer 'shared' has no single output to measure: it "
                                         r"is shared \(called 2 times in the model\)"):
        nn.viz.layer_outputs(model, [np.ones((2, 3)), np.ones((2, 3))], layers=["shared"])
