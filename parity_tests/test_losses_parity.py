"""numpynet.losses against keras.losses: values and gradients w.r.t. y_pred, config by config.

Every numpynet loss class runs beside its Keras class with the same arguments, under every
reduction, with and without sample weights; the functional forms and the string names too. The
gradient is taken w.r.t. ``y_pred`` (or w.r.t. the logits before an activation), with a random seed
gradient when the reduction leaves one value per sample.

The TensorFlow-backend quirk (KERAS_NOTES.md): an output of ``keras.activations.sigmoid`` /
``softmax`` carries its logits, and cross-entropy with ``from_logits=False`` computes from them
(no clipping). numpynet's ``ops.sigmoid``/``softmax`` do the same; the tests prove both paths
match, with logits of ±30 where clipping at 1e-7 would change the loss, and also that plain
probability tensors take the clipping path on both sides.
"""

import numpy as np
import pytest

import numpynet as nn
from parity_tests.compare import assert_close, assert_same, tolerance
from tf_reference._keras import keras, tf

N = 6
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


@pytest.fixture(autouse=True)
def _fresh_state():
    """Overrides conftest's: these cases build no layers, so they skip clear_session's slow gc."""
    nn.config.set_floatx("float32")
    keras.config.set_floatx("float32")
    yield
    nn.config.set_floatx("float32")
    keras.config.set_floatx("float32")


# ---------------------------------------------------------------------------- data
def _probabilities(rng, shape, extremes=True):
    """Probabilities in (0, 1), with exact 0, 1 and 1e-9 entries so that clipping matters."""
    p = rng.uniform(0.02, 0.98, shape)
    if extremes:
        p.flat[[0, 3, 5]] = [0.0, 1.0, 1e-9]
    return p


def _one_hot(rng, n, classes):
    return np.eye(classes)[rng.integers(0, classes, n)]


def _data(kind, rng):
    """``(y_true, y_pred)`` of one kind (float64 arrays, or integer labels)."""
    normal = rng.standard_normal
    if kind == "regression":
        return normal((N, 3)), 1.5 * normal((N, 3))
    if kind == "regression_col":  # (N,) labels against (N, 1) predictions: expanded, as Keras
        return normal(N), normal((N, 1))
    if kind == "mape":
        return rng.uniform(0.5, 2.0, (N, 3)) * rng.choice([-1, 1], (N, 3)), normal((N, 3))
    if kind == "counts":
        return rng.poisson(2.0, (N, 3)).astype(float), rng.uniform(0.1, 3.0, (N, 3))
    if kind == "distributions":
        return (rng.dirichlet(np.ones(4), N), rng.dirichlet(np.ones(4), N))
    if kind == "pm1":
        return rng.choice([-1.0, 1.0], (N, 3)), normal((N, 3))
    if kind == "01":  # hinge turns 0/1 labels into -1/1
        return rng.choice([0.0, 1.0], (N, 3)), normal((N, 3))
    if kind == "onehot_scores":
        return _one_hot(rng, N, 4), normal((N, 4))
    if kind == "binary_probs":
        return rng.choice([0.0, 1.0], (N, 3)), _probabilities(rng, (N, 3))
    if kind == "binary_logits":
        return rng.choice([0.0, 1.0], (N, 3)), 3.0 * normal((N, 3))
    if kind == "binary_col":
        return rng.choice([0.0, 1.0], N), _probabilities(rng, (N, 1))
    if kind == "onehot_probs":  # unnormalised rows: Keras renormalises before clipping
        return _one_hot(rng, N, 5), _probabilities(rng, (N, 5))
    if kind == "onehot_logits":
        return _one_hot(rng, N, 5), 3.0 * normal((N, 5))
    if kind.startswith("sparse"):
        labels = rng.integers(0, 5, (N, 1) if kind.endswith("col") else N)
        logits = "logits" in kind
        return labels, 3.0 * normal((N, 5)) if logits else _probabilities(rng, (N, 5))
    raise ValueError(kind)


# ---------------------------------------------------------------------------- engines
def _ours(loss, y_true, y_pred, sample_weight, rng, activation=None):
    """numpynet's loss and gradient w.r.t. y_pred (or w.r.t. the logits of ``activation``)."""
    x = nn.Tensor(y_pred, requires_grad=True, dtype=y_pred.dtype)
    value = loss(y_true, activation(x) if activation else x, sample_weight=sample_weight)
    seed = rng.standard_normal(value.shape).astype(value.dtype)
    value.backward(seed if value.ndim else None)
    return value.data, x.grad, seed


def _theirs(loss, y_true, y_pred, sample_weight, seed, activation=None):
    x = tf.constant(y_pred)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = loss(y_true, activation(x) if activation else x, sample_weight=sample_weight)
    grad = tape.gradient(value, x, output_gradients=tf.constant(seed) if seed.ndim else None)
    return np.asarray(value), np.zeros_like(y_pred) if grad is None else np.asarray(grad)


def compare_loss(case, ours, theirs, y_true, y_pred, sample_weight, rng, dtype="float32",
                 activations=(None, None)):
    value, grad, seed = _ours(ours, y_true, y_pred, sample_weight, rng, activations[0])
    their_value, their_grad = _theirs(theirs, y_true, y_pred, sample_weight, seed,
                                      activations[1])
    assert_close(case, "value", value, their_value, **tolerance(dtype))
    assert_close(case, "y_pred grad" if activations[0] is None else "logits grad", grad,
                 their_grad, **tolerance(dtype))
    return float(np.sum(value))


def _cast(y, dtype):
    return y if y.dtype.kind == "i" else y.astype(dtype)


# ---------------------------------------------------------------------------- loss classes
CONFIGS = [
    ("MeanSquaredError", {}, "regression"), ("MeanSquaredError", {}, "regression_col"),
    ("MeanAbsoluteError", {}, "regression"), ("MeanAbsolutePercentageError", {}, "mape"),
    ("MeanSquaredLogarithmicError", {}, "regression"), ("MeanSquaredLogarithmicError", {},
                                                        "counts"),
    ("CosineSimilarity", {}, "regression"), ("CosineSimilarity", {"axis": 0}, "regression"),
    ("Huber", {}, "regression"), ("Huber", {"delta": 0.5}, "regression"),
    ("LogCosh", {}, "regression"), ("Hinge", {}, "pm1"), ("Hinge", {}, "01"),
    ("SquaredHinge", {}, "pm1"), ("CategoricalHinge", {}, "onehot_scores"),
    ("KLDivergence", {}, "distributions"), ("Poisson", {}, "counts"),
    ("BinaryCrossentropy", {}, "binary_probs"), ("BinaryCrossentropy", {}, "binary_col"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "binary_probs"),
    ("BinaryCrossentropy", {"label_smoothing": 0.2, "from_logits": True}, "binary_logits"),
    ("BinaryCrossentropy", {"axis": 0}, "binary_probs"),
    ("BinaryFocalCrossentropy", {}, "binary_probs"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "gamma": 3.0}, "binary_logits"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4,
                                 "label_smoothing": 0.1}, "binary_probs"),
    ("CategoricalCrossentropy", {}, "onehot_probs"),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot_logits"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "onehot_probs"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1, "from_logits": True}, "onehot_logits"),
    ("CategoricalCrossentropy", {"axis": 0, "from_logits": True}, "onehot_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse_probs"),
    ("SparseCategoricalCrossentropy", {}, "sparse_probs_col"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits_col"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 1}, "sparse_logits"),
]
CONFIG_PARAMS = [pytest.param(*c, id=f"{c[0]}-{c[2]}-" + "-".join(f"{k}{v}" for k, v in
                                                                  c[1].items()))
                 for c in CONFIGS]


def _weights(name, kwargs, y_true, y_pred, rng):
    """Random per-sample weights of the shape of the unreduced loss."""
    per_sample = getattr(nn.losses, name)(reduction="none", **kwargs)(y_true, y_pred)
    return rng.uniform(0.0, 2.0, per_sample.shape)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, kwargs, kind", CONFIG_PARAMS)
def test_loss_class(name, kwargs, kind, reduction, weighted, rng):
    y_true, y_pred = (_cast(a, "float32") for a in _data(kind, rng))
    weights = _weights(name, kwargs, y_true, y_pred, rng).astype("float32") if weighted else None
    ours = getattr(nn.losses, name)(reduction=reduction, **kwargs)
    theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)
    compare_loss(f"loss {name} {kwargs} {kind} reduction={reduction} weighted={weighted}", ours,
                 theirs, y_true, y_pred, weights, rng)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name, kwargs, kind", CONFIG_PARAMS)
def test_loss_class_float64(name, kwargs, kind, weighted, rng):
    nn.config.set_floatx("float64")
    keras.config.set_floatx("float64")
    y_true, y_pred = (_cast(a, "float64") for a in _data(kind, rng))
    weights = _weights(name, kwargs, y_true, y_pred, rng) if weighted else None
    compare_loss(f"loss {name} {kwargs} {kind} float64 weighted={weighted}",
                 getattr(nn.losses, name)(**kwargs), getattr(keras.losses, name)(**kwargs),
                 y_true, y_pred, weights, rng, dtype="float64")


def test_sample_weight_of_shape_n_by_1(rng):
    """(N, 1) weights meet (N,) per-sample losses through squeeze_or_expand_to_same_rank."""
    y_true, y_pred = (a.astype("float32") for a in _data("regression", rng))
    weights = rng.uniform(0, 2, (N, 1)).astype("float32")
    compare_loss("loss MeanSquaredError sample_weight (N, 1)", nn.losses.MeanSquaredError(),
                 keras.losses.MeanSquaredError(), y_true, y_pred, weights, rng)


# ---------------------------------------------------------------------------- functions, names
FUNCTIONS = [
    ("mean_squared_error", {}, "regression"), ("mean_absolute_error", {}, "regression"),
    ("mean_absolute_percentage_error", {}, "mape"),
    ("mean_squared_logarithmic_error", {}, "counts"), ("cosine_similarity", {}, "regression"),
    ("huber", {"delta": 0.7}, "regression"), ("log_cosh", {}, "regression"),
    ("hinge", {}, "01"), ("squared_hinge", {}, "pm1"), ("categorical_hinge", {}, "onehot_scores"),
    ("kl_divergence", {}, "distributions"), ("poisson", {}, "counts"),
    ("binary_crossentropy", {}, "binary_probs"),
    ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("binary_focal_crossentropy", {"from_logits": True}, "binary_logits"),
    ("categorical_crossentropy", {}, "onehot_probs"),
    ("categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.2}, "onehot_logits"),
    ("sparse_categorical_crossentropy", {}, "sparse_probs"),
    ("sparse_categorical_crossentropy", {"from_logits": True}, "sparse_logits_col"),
]


@pytest.mark.parametrize("name, kwargs, kind", [pytest.param(*f, id=f"{f[0]}-{f[2]}")
                                                for f in FUNCTIONS])
def test_loss_function(name, kwargs, kind, rng):
    """The functional forms return per-sample values: compared with a random seed gradient."""
    y_true, y_pred = (_cast(a, "float32") for a in _data(kind, rng))

    def call(fn):
        return lambda y, p, sample_weight=None: fn(y, p, **kwargs)

    compare_loss(f"loss function {name} {kwargs}", call(getattr(nn.losses, name)),
                 call(getattr(keras.losses, name)), y_true, y_pred, None, rng)


NAME_KINDS = {"mse": "regression", "MSE": "regression", "mae": "regression", "MAE": "regression",
              "mape": "mape", "MAPE": "mape", "msle": "counts", "MSLE": "counts",
              "kld": "distributions", "KLD": "distributions", "bce": "binary_probs",
              "BCE": "binary_probs", "binary_crossentropy": "binary_probs",
              "categorical_crossentropy": "onehot_probs", "hinge": "01",
              "sparse_categorical_crossentropy": "sparse_probs", "poisson": "counts",
              "huber": "regression", "log_cosh": "regression", "MeanSquaredError": "regression",
              "BinaryCrossentropy": "binary_probs", "CategoricalHinge": "onehot_scores"}


@pytest.mark.parametrize("name", sorted(NAME_KINDS))
def test_loss_by_name(name, rng):
    """``losses.get(name)`` resolves to the same loss on both sides."""
    y_true, y_pred = (_cast(a, "float32") for a in _data(NAME_KINDS[name], rng))
    ours, theirs = nn.losses.get(name), keras.losses.get(name)
    assert_same(f"loss name {name}", "resolves to", type(ours).__name__ if isinstance(
        ours, nn.losses.Loss) else ours.__name__, type(theirs).__name__ if isinstance(
        theirs, keras.losses.Loss) else theirs.__name__)
    compare_loss(f"loss name {name}", lambda y, p, sample_weight=None: ours(y, p),
                 lambda y, p, sample_weight=None: theirs(y, p), y_true, y_pred, None, rng)


@pytest.mark.parametrize("identifier, true_shape, pred_shape", [
    ("crossentropy", (N, 1), (N, 1)), ("crossentropy", (N,), (N, 4)),
    ("ce", (N, 1), (N, 4)), ("crossentropy", (N, 4), (N, 4)), ("mse", (N, 2), (N, 2))])
def test_compile_get_loss(identifier, true_shape, pred_shape):
    """``compile(loss="crossentropy")`` picks binary/sparse/categorical from the shapes."""
    from keras.src.trainers.compile_utils import get_loss

    ours = nn.losses.get_loss(identifier, np.zeros(true_shape), np.zeros(pred_shape))
    theirs = get_loss(identifier, np.zeros(true_shape), np.zeros(pred_shape))
    assert_same(f"loss compile {identifier} {true_shape} {pred_shape}", "resolved function",
                ours.fn.__name__, theirs.fn.__name__)


# ---------------------------------------------------------------------------- logits quirk
QUIRK = [  # (loss, activation, labels kind); ±30 logits: clipping at 1e-7 would cap at ~16.1
    ("BinaryCrossentropy", "sigmoid", "binary"), ("BinaryFocalCrossentropy", "sigmoid", "binary"),
    ("CategoricalCrossentropy", "softmax", "onehot"),
    ("SparseCategoricalCrossentropy", "softmax", "sparse"),
    ("BinaryCrossentropy", "softmax", "binary"),  # any attached logits are used, as Keras
]


def _quirk_data(labels, rng):
    logits = rng.choice([-30.0, 30.0, -5.0, 5.0, 0.3], (N, 4))
    y_true = {"binary": rng.choice([0.0, 1.0], (N, 4)), "onehot": _one_hot(rng, N, 4),
              "sparse": rng.integers(0, 4, N)}[labels]
    return _cast(y_true, "float32"), logits.astype("float32")


@pytest.mark.parametrize("source", ["ops", "activations"])
@pytest.mark.parametrize("name, activation, labels", QUIRK)
def test_crossentropy_of_an_activation_output_uses_its_logits(name, activation, labels, source,
                                                              rng):
    y_true, logits = _quirk_data(labels, rng)
    ours_act = getattr(getattr(nn, source), activation)
    theirs_act = getattr(keras.activations, activation)
    case = f"loss {name} of nn.{source}.{activation} output (logits path)"
    from_logits_path = compare_loss(case, getattr(nn.losses, name)(),
                                    getattr(keras.losses, name)(), y_true, logits, None, rng,
                                    activations=(ours_act, theirs_act))
    # The same probabilities as a plain tensor take the clipping path: a different loss.
    probabilities = np.asarray(theirs_act(tf.constant(logits)))
    clipped_path = compare_loss(f"loss {name} of plain {activation} probabilities (clipped)",
                                getattr(nn.losses, name)(), getattr(keras.losses, name)(),
                                y_true, probabilities, None, rng)
    assert_same(case, "logits path differs from the clipped path by > 0.1",
                abs(from_logits_path - clipped_path) > 0.1, True)


def test_functional_crossentropy_uses_the_logits_too(rng):
    y_true, logits = _quirk_data("binary", rng)
    compare_loss("loss function binary_crossentropy of sigmoid output (logits path)",
                 lambda y, p, sample_weight=None: nn.losses.binary_crossentropy(y, p),
                 lambda y, p, sample_weight=None: keras.losses.binary_crossentropy(y, p),
                 y_true, logits, None, rng, activations=(nn.ops.sigmoid,
                                                         keras.activations.sigmoid))
