"""Every numpynet layer against its Keras twin on the same weights and inputs.

Each deterministic case builds a small numpynet model around one layer, randomizes its weights,
builds the Keras twin with ``to_keras`` and compares, in float32 and float64: the output, the
loss (MSE against a random target, plus every regularization penalty), the gradient of every
weight (``tf_reference.grads``) and the gradient with respect to each input (``tf.GradientTape``
on a ``tf.Variable`` against a numpynet ``Tensor(requires_grad=True)``). The random layers are
compared at inference exactly and in training by the statistics of many draws.
"""

import numpy as np
import pytest

import numpynet as nn
from parity_tests.compare import assert_close, assert_same, tolerance
from tf_reference import to_keras
from tf_reference._keras import keras, tf
from tf_reference.grads import keras_step, numpynet_step, paired_names

L = nn.layers
BATCH = 5


# ---------------------------------------------------------------------------- helpers
def _randomize(model, rng):
    """Random weights (positive where a scale or variance is expected): nothing stays at 0/1."""
    for w in model.weights:
        if any(key in w.path for key in ("gamma", "variance")):
            value = rng.uniform(0.5, 1.5, size=w.shape)
        else:
            value = rng.normal(0.0, 0.5, size=w.shape)
        w.assign(value.astype(w.dtype))


def _build(make, shapes, rng, loss="mse"):
    """A compiled numpynet model ``make(inputs)`` with random weights, and its Keras twin."""
    inputs = [nn.Input(shape) for shape in shapes]
    single = inputs[0] if len(inputs) == 1 else inputs
    model = nn.Model(single, make(single))
    _randomize(model, rng)
    model.compile(optimizer="sgd", loss=loss)
    return model, to_keras(model)


def _data(model, shapes, rng, dtype):
    x = [rng.normal(size=(BATCH,) + tuple(s)).astype(dtype) for s in shapes]
    # The shape of a real output (Activation("glu") reports its input shape, in Keras too).
    out_shape = model.predict(x[0] if len(x) == 1 else x, verbose=0).shape
    y = rng.normal(size=out_shape).astype(dtype)
    return (x[0] if len(x) == 1 else x), y


def _input_gradients(model, kmodel, x, y, training):
    """d(loss)/d(inputs) from both engines (the loss includes every penalty)."""
    xs, ys, weights = model._prepare_data(x, y, None, None)
    tensors = [nn.Tensor(a, requires_grad=True) for a in xs]
    model._clear_losses()
    y_pred = model._flat_outputs(model(tensors, training=training))
    model._compute_loss(ys, y_pred, weights, batch_size=len(xs[0])).backward()
    variables = [tf.Variable(a) for a in xs]
    with tf.GradientTape() as tape:
        # Read the variables inside the tape: a layer that returns its input unchanged would
        # otherwise hand Keras a ResourceVariable, which its activity regularizer rejects.
        values = [tf.convert_to_tensor(v) for v in variables]
        arg = values[0] if len(values) == 1 else values
        pred = kmodel(arg, training=training)
        loss = kmodel.compute_loss(x=arg, y=y, y_pred=pred, training=training)
    theirs = tape.gradient(loss, variables)
    return [t.grad for t in tensors], [np.asarray(g) for g in theirs]


def compare_layer(case, make, shapes, rng, dtype, training=True, loss="mse", tol=None,
                  patch_twin=None):
    """Builds the model around ``make`` and compares every named quantity; returns both models.

    ``patch_twin(keras_model)`` may replace a part of the twin where numpynet deliberately
    differs from the installed Keras (documented at the call).
    """
    model, kmodel = _build(make, shapes, rng, loss)
    if patch_twin is not None:
        patch_twin(kmodel)
    x, y = _data(model, shapes, rng, dtype)
    tol = tol or tolerance(dtype)
    ours = numpynet_step(model, x, y, training=training)
    theirs = keras_step(kmodel, x, y, training=training, names=paired_names(model))
    assert_same(case, "quantities", sorted(ours), sorted(theirs))
    for key in ours:
        assert_close(case, key, ours[key], theirs[key], **tol)
    ours_dx, theirs_dx = _input_gradients(model, kmodel, x, y, training)
    for i, (a, b) in enumerate(zip(ours_dx, theirs_dx)):
        assert_close(case, f"input {i} grad", a, b, **tol)
    return model, kmodel


def _single(layer_factory):
    return lambda inputs: layer_factory()(inputs)


# ---------------------------------------------------------------------------- Dense
# Every activation both libraries know by name (threshold needs arguments, glu halves units).
ACTIVATIONS = sorted(set(nn.activations.ALL_OBJECTS_DICT) - {"threshold"})


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_dense_activation(activation, floatx, rng):
    # glu halves the last axis, which Dense's output shape does not foresee: test it alone.
    if activation == "glu":
        compare_layer(f"layer Activation(glu) {floatx}", _single(lambda: L.Activation("glu")),
                      [(4,)], rng, floatx)
        return
    patch = None
    if activation == "sparsemax":
        # numpynet follows the paper and the upstream fix (keras-team/keras#23469), not the
        # Keras 3.15.1 threshold (#23425): the twin uses the fixed formula, checked below.
        def patch(kmodel):
            kmodel.layers[-1].activation = _fixed_sparsemax
    compare_layer(f"layer Dense({activation}) {floatx}",
                  _single(lambda: L.Dense(3, activation=activation)), [(4,)], rng, floatx,
                  patch_twin=patch)
    if activation == "sparsemax":
        x = np.array([[0.0, 0.5, 1.0], [0.1, 0.2, 0.3]], dtype=floatx)
        ours = nn.activations.sparsemax(nn.Tensor(x)).data
        case = f"layer sparsemax documented difference {floatx}"
        assert_close(case, "sums to 1", ours.sum(axis=-1), [1.0, 1.0], **tolerance(floatx))
        paper = [[0.0, 0.25, 0.75], [1 / 3 - 0.1, 1 / 3, 1 / 3 + 0.1]]
        assert_close(case, "paper's values", ours, paper, **tolerance(floatx))
        assert_close(case, "installed Keras (buggy)", keras.activations.sparsemax(x)[0],
                     [0.0, 0.0, 0.25], **tolerance(floatx))


def _fixed_sparsemax(x, axis=-1):
    """Keras' TensorFlow sparsemax with the upstream fix: tau sums the support's logits."""
    logits_sorted = tf.sort(x, direction="DESCENDING", axis=axis)
    logits_cumsum = tf.cumsum(logits_sorted, axis=axis)
    r = tf.range(1, tf.shape(x)[axis] + 1, dtype=x.dtype)
    support = logits_sorted - (logits_cumsum - 1) / r > 0
    k = tf.reduce_sum(tf.cast(support, x.dtype), axis=axis, keepdims=True)
    in_support = tf.reduce_sum(tf.where(support, logits_sorted, 0.0), axis=axis, keepdims=True)
    return tf.maximum(x - (in_support - 1) / k, 0.0)


DENSE_OPTIONS = {
    "no_bias": {"use_bias": False},
    "kernel_l1": {"kernel_regularizer": "l1"},
    "kernel_l2": {"kernel_regularizer": nn.regularizers.L2(0.05)},
    "kernel_l1l2": {"kernel_regularizer": nn.regularizers.L1L2(l1=0.01, l2=0.02)},
    "kernel_orthogonal": {"kernel_regularizer": nn.regularizers.OrthogonalRegularizer(0.1)},
    "bias_l2": {"bias_regularizer": nn.regularizers.L2(0.1)},
    "activity_l1": {"activity_regularizer": nn.regularizers.L1(0.05)},
    "activity_l2": {"activity_regularizer": nn.regularizers.L2(0.05)},
    "activity_mean": {"activation": "relu",
                      "activity_regularizer": nn.regularizers.MeanActivity(0.3)},
    "activity_kl": {"activation": "sigmoid",
                    "activity_regularizer": nn.regularizers.KLSparsity(rho=0.1, beta=0.5)},
    "all_regularizers_no_bias": {"use_bias": False, "kernel_regularizer": "l2",
                                 "activity_regularizer": "l1", "activation": "tanh"},
}


@pytest.mark.parametrize("option", sorted(DENSE_OPTIONS))
def test_dense_options(option, floatx, rng):
    kwargs = DENSE_OPTIONS[option]
    compare_layer(f"layer Dense {option} {floatx}", _single(lambda: L.Dense(3, **kwargs)),
                  [(4,)], rng, floatx)


def test_dense_on_3d_input(floatx, rng):
    compare_layer(f"layer Dense 3-D input {floatx}",
                  _single(lambda: L.Dense(2, activation="relu")), [(3, 4)], rng, floatx)


# ---------------------------------------------------------------------------- weightless layers
SIMPLE_LAYERS = {
    "Activation(relu)": (lambda: L.Activation("relu"), (4,)),
    "Activation(softmax)": (lambda: L.Activation("softmax"), (4,)),
    "Activation(tanh)": (lambda: L.Activation("tanh"), (3, 4)),
    "Flatten": (lambda: L.Flatten(), (3, 4)),
    "Flatten 3-D": (lambda: L.Flatten(), (2, 3, 2)),
    "Reshape(2,6)": (lambda: L.Reshape((2, 6)), (3, 4)),
    "Reshape(-1,3)": (lambda: L.Reshape((-1, 3)), (12,)),
    "ReLU": (lambda: L.ReLU(), (4,)),
    "ReLU(max,slope,threshold)": (lambda: L.ReLU(max_value=0.8, negative_slope=0.1,
                                                 threshold=0.2), (6,)),
    "LeakyReLU": (lambda: L.LeakyReLU(), (4,)),
    "LeakyReLU(0.05)": (lambda: L.LeakyReLU(negative_slope=0.05), (4,)),
    "ELU": (lambda: L.ELU(), (4,)),
    "ELU(0.5)": (lambda: L.ELU(alpha=0.5), (4,)),
    "Softmax": (lambda: L.Softmax(), (4,)),
    "Softmax(axis=1)": (lambda: L.Softmax(axis=1), (3, 4)),
    "Softmax(axis=[1,2])": (lambda: L.Softmax(axis=[1, 2]), (3, 4)),
    "ActivityRegularization": (lambda: L.ActivityRegularization(l1=0.01, l2=0.02), (4,)),
    "Lambda(ops.abs)": (lambda: L.Lambda(nn.ops.abs), (4,)),
    "Lambda(ops.square)": (lambda: L.Lambda(nn.ops.square), (4,)),
    "Dropout inference": (lambda: L.Dropout(0.5), (4,)),
    "GaussianNoise inference": (lambda: L.GaussianNoise(0.5), (4,)),
    "GaussianDropout inference": (lambda: L.GaussianDropout(0.5), (4,)),
}


@pytest.mark.parametrize("name", sorted(SIMPLE_LAYERS))
def test_weightless_layer(name, floatx, rng):
    factory, shape = SIMPLE_LAYERS[name]
    training = "inference" not in name  # the random layers are identities at inference
    compare_layer(f"layer {name} {floatx}", _single(factory), [shape], rng, floatx,
                  training=training)


PRELU = {
    "default": ({}, (4,)),
    "shared_axes": ({"shared_axes": [1]}, (3, 4)),
    "alpha_l2": ({"alpha_regularizer": nn.regularizers.L2(0.1)}, (4,)),
}


@pytest.mark.parametrize("option", sorted(PRELU))
def test_prelu(option, floatx, rng):
    kwargs, shape = PRELU[option]
    compare_layer(f"layer PReLU {option} {floatx}", _single(lambda: L.PReLU(**kwargs)),
                  [shape], rng, floatx)


# ---------------------------------------------------------------------------- merges
MERGES = {
    "Concatenate": (lambda: L.Concatenate(), [(3,), (4,)]),
    "Concatenate(axis=1) 3-D": (lambda: L.Concatenate(axis=1), [(2, 3), (4, 3)]),
    "Concatenate(axis=-2) 3-D": (lambda: L.Concatenate(axis=-2), [(2, 3), (1, 3)]),
    "Concatenate(axis=2) three inputs": (lambda: L.Concatenate(axis=2),
                                         [(2, 3), (2, 1), (2, 2)]),
    "Add": (lambda: L.Add(), [(4,), (4,)]),
    "Add three inputs": (lambda: L.Add(), [(4,), (4,), (4,)]),
    "Add broadcast": (lambda: L.Add(), [(2, 4), (1, 4)]),
    "Subtract": (lambda: L.Subtract(), [(4,), (4,)]),
    "Multiply": (lambda: L.Multiply(), [(4,), (4,)]),
    "Multiply three inputs": (lambda: L.Multiply(), [(2, 3), (2, 3), (2, 3)]),
    "Average": (lambda: L.Average(), [(4,), (4,)]),
    "Average three inputs": (lambda: L.Average(), [(4,), (4,), (4,)]),
    "Maximum": (lambda: L.Maximum(), [(4,), (4,)]),
    "Maximum three inputs": (lambda: L.Maximum(), [(4,), (4,), (4,)]),
    "Minimum": (lambda: L.Minimum(), [(4,), (4,)]),
    "Minimum three inputs": (lambda: L.Minimum(), [(4,), (4,), (4,)]),
    "Dot(axes=1)": (lambda: L.Dot(axes=1), [(4,), (4,)]),
    "Dot(axes=1, normalize)": (lambda: L.Dot(axes=1, normalize=True), [(4,), (4,)]),
    "Dot(axes=-1) 3-D": (lambda: L.Dot(axes=-1), [(2, 4), (3, 4)]),
    "Dot(axes=(1,2)) 3-D": (lambda: L.Dot(axes=(1, 2)), [(3, 2), (4, 3)]),
    "Dot(axes=(2,2), normalize) 3-D": (lambda: L.Dot(axes=(2, 2), normalize=True),
                                       [(2, 4), (3, 4)]),
    "Dot(axes=(1,1)) 3-D": (lambda: L.Dot(axes=[1, 1]), [(3, 2), (3, 4)]),
}


@pytest.mark.parametrize("name", sorted(MERGES))
def test_merge(name, floatx, rng):
    factory, shapes = MERGES[name]
    compare_layer(f"layer {name} {floatx}", lambda inputs: factory()(inputs), shapes, rng,
                  floatx)


def test_merge_after_dense_branches(floatx, rng):
    """Merges inside a graph: the gradient reaches the Dense weights of both branches."""
    def make(inputs):
        a = L.Dense(3, activation="tanh")(inputs[0])
        b = L.Dense(3, activation="relu")(inputs[1])
        return L.Dense(2)(L.Concatenate()([a, b, L.Multiply()([a, b])]))
    compare_layer(f"layer merges in a graph {floatx}", make, [(4,), (5,)], rng, floatx)


# ---------------------------------------------------------------------------- normalization
BATCHNORM = {
    "default": ({}, (4,)),
    "momentum_epsilon": ({"momentum": 0.9, "epsilon": 1e-2}, (4,)),
    "no_center": ({"center": False}, (4,)),
    "no_scale": ({"scale": False}, (4,)),
    "axis=1 3-D": ({"axis": 1}, (3, 4)),
    "axis=-1 3-D": ({}, (3, 4)),
    "gamma_beta_l2": ({"gamma_regularizer": "l2", "beta_regularizer": "l1"}, (4,)),
}


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("option", sorted(BATCHNORM))
def test_batch_normalization(option, training, floatx, rng):
    kwargs, shape = BATCHNORM[option]
    mode = "training" if training else "inference"
    case = f"layer BatchNormalization {option} {mode} {floatx}"
    compare_layer(case, _single(lambda: L.BatchNormalization(**kwargs)), [shape], rng, floatx,
                  training=training)


@pytest.mark.parametrize("option", ["default", "momentum_epsilon", "axis=1 3-D"])
def test_batch_normalization_moving_statistics(option, floatx, rng):
    """moving_mean and moving_variance after three training calls on different batches."""
    kwargs, shape = BATCHNORM[option]
    model, kmodel = _build(_single(lambda: L.BatchNormalization(**kwargs)), [shape], rng)
    case = f"layer BatchNormalization {option} moving statistics {floatx}"
    for _ in range(3):
        x = (rng.normal(size=(8,) + shape) * 2.0 + 1.0).astype(floatx)
        model(x, training=True)
        kmodel(x, training=True)
    layer, twin = model.layers[-1], kmodel.layers[-1]
    assert_close(case, "moving_mean", layer.moving_mean.data, twin.moving_mean.numpy(),
                 **tolerance(floatx))
    assert_close(case, "moving_variance", layer.moving_variance.data,
                 twin.moving_variance.numpy(), **tolerance(floatx))
    x = rng.normal(size=(4,) + shape).astype(floatx)
    assert_close(case, "inference output after updates", model(x, training=False),
                 kmodel(x, training=False), **tolerance(floatx))


LAYERNORM = {
    "default": ({}, (4,)),
    "epsilon": ({"epsilon": 1e-5}, (4,)),
    "no_center": ({"center": False}, (4,)),
    "no_scale": ({"scale": False}, (4,)),
    "3-D last axis": ({}, (3, 4)),
    "axis=1 3-D": ({"axis": 1}, (3, 4)),
    "axis=[1,2] 3-D": ({"axis": [1, 2]}, (3, 4)),
    "gamma_l2": ({"gamma_regularizer": "l2"}, (4,)),
}


@pytest.mark.parametrize("option", sorted(LAYERNORM))
def test_layer_normalization(option, floatx, rng):
    kwargs, shape = LAYERNORM[option]
    compare_layer(f"layer LayerNormalization {option} {floatx}",
                  _single(lambda: L.LayerNormalization(**kwargs)), [shape], rng, floatx)


# ---------------------------------------------------------------------------- random layers
N_DRAWS = (400, 250)  # 100 000 values: standard errors ~1.5e-3 on fractions and means


def _draw(layer, x, training=True):
    """Output and input gradient of sum(output * 1) for numpynet and Keras layers."""
    if isinstance(layer, nn.layers.Layer):
        tensor = nn.Tensor(x, requires_grad=True)
        out = layer(tensor, training=training)
        nn.ops.sum(out).backward()
        return out.data, tensor.grad
    variable = tf.Variable(x)
    with tf.GradientTape() as tape:
        out = layer(variable, training=training)
        total = tf.reduce_sum(out)
    return np.asarray(out), np.asarray(tape.gradient(total, variable))


def _keras_twin(layer):
    model = nn.Sequential([nn.Input((N_DRAWS[1],)), layer])
    return to_keras(model).layers[-1]


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dropout_training_statistics(rate, floatx):
    """Zero fraction = rate; kept values scaled by 1/(1-rate) exactly; gradient = the mask."""
    case = f"layer Dropout({rate}) training statistics {floatx}"
    x = np.ones(N_DRAWS, dtype=floatx)
    layer = L.Dropout(rate)
    results = [_draw(layer, x), _draw(_keras_twin(layer), x)]
    stats = []
    for out, grad in results:
        assert_same(case, "output dtype", out.dtype.name, floatx)
        kept = out != 0
        stats.append({"zero fraction": 1.0 - kept.mean(), "mean": out.mean(),
                      "variance": out.var(), "kept value": out[kept].max(),
                      "smallest kept value": out[kept].min(), "gradient = output / x":
                      np.abs(grad - out / x).max()})
    se = np.sqrt(rate * (1 - rate) / x.size)
    atols = {"zero fraction": 6 * se, "mean": 6 * se / (1 - rate),
             "variance": 0.05 * rate / (1 - rate), "kept value": 0.0,
             "smallest kept value": 0.0, "gradient = output / x": 0.0}
    for key, atol in atols.items():
        assert_close(case, key, stats[0][key], stats[1][key], rtol=tolerance(floatx)["rtol"],
                     atol=atol + 1e-12)
    assert_close(case, "zero fraction vs rate", stats[0]["zero fraction"], rate, rtol=0,
                 atol=6 * se)


@pytest.mark.parametrize("stddev", [0.1, 0.5])
def test_gaussian_noise_training_statistics(stddev, floatx, rng):
    case = f"layer GaussianNoise({stddev}) training statistics {floatx}"
    x = rng.normal(size=N_DRAWS).astype(floatx)
    layer = L.GaussianNoise(stddev)
    stats = []
    for out, grad in [_draw(layer, x), _draw(_keras_twin(layer), x)]:
        noise = out - x
        stats.append({"noise mean": noise.mean(), "noise std": noise.std(),
                      "noise kurtosis": np.mean((noise / noise.std()) ** 4),
                      "gradient": np.abs(grad - 1.0).max()})
    se = stddev / np.sqrt(x.size)
    atols = {"noise mean": 8 * se, "noise std": 8 * se, "noise kurtosis": 0.1, "gradient": 0.0}
    for key, atol in atols.items():
        assert_close(case, key, stats[0][key], stats[1][key], rtol=0, atol=atol + 1e-12)
    assert_close(case, "noise std vs stddev", stats[0]["noise std"], stddev, rtol=0,
                 atol=8 * se)


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_gaussian_dropout_training_statistics(rate, floatx, rng):
    case = f"layer GaussianDropout({rate}) training statistics {floatx}"
    x = rng.uniform(0.5, 2.0, size=N_DRAWS).astype(floatx)
    layer = L.GaussianDropout(rate)
    stats = []
    for out, grad in [_draw(layer, x), _draw(_keras_twin(layer), x)]:
        factor = out / x
        stats.append({"factor mean": factor.mean(), "factor variance": factor.var(),
                      "gradient = output / x": np.abs(grad - factor).max()})
    variance = rate / (1 - rate)
    se = np.sqrt(variance / x.size)
    atols = {"factor mean": 8 * se, "factor variance": 0.03 * variance,
             "gradient = output / x": 1e-5 if floatx == "float32" else 1e-12}
    for key, atol in atols.items():
        assert_close(case, key, stats[0][key], stats[1][key], rtol=0, atol=atol)
    assert_close(case, "factor variance vs rate/(1-rate)", stats[0]["factor variance"],
                 variance, rtol=0.03, atol=0.0)


def test_dropout_zero_rate_is_identity_in_training(floatx, rng):
    compare_layer(f"layer Dropout(0.0) training {floatx}", _single(lambda: L.Dropout(0.0)),
                  [(4,)], rng, floatx, training=True)


def test_keras_is_live():
    """Guards the suite: the twin really is a Keras object on the TensorFlow backend."""
    model = nn.Sequential([nn.Input((2,)), L.Dense(1)])
    assert_same("layer bridge backend", "backend", keras.backend.backend(), "tensorflow")
    assert_same("layer bridge backend", "twin type", isinstance(to_keras(model), keras.Model),
                True)
