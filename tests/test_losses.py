"""Losses: forward values against NumPy formulas, the TensorFlow-backend logits shortcut,
reductions, identifiers and error messages (gradients: ``test_loss_gradients.py``)."""

import warnings

import numpy as np
import pytest

from numpynet import losses, ops
from numpynet.gradcheck import check_grads
from numpynet.tensor import Tensor

EPS = 1e-7
RNG = np.random.default_rng(42)
N, C = 5, 4
P = RNG.uniform(0.05, 0.95, (N, C))  # probabilities, away from the clip
P_ROWS = P / P.sum(axis=1, keepdims=True)
Y01 = (RNG.random((N, C)) > 0.5).astype(float)
Y_REAL = RNG.normal(size=(N, C))
Y_PRED = RNG.normal(size=(N, C))
LABELS = np.array([0, 3, 1, 2, 3])
ONE_HOT = np.eye(C)[LABELS]
WEIGHTS = np.array([0.5, 2.0, 0.0, 1.0, 3.0])


def f64(x):
    return Tensor(x, dtype=np.float64)


def np_bce(y, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def np_softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_unit(x):
    return x / np.sqrt(np.sum(x * x, axis=-1, keepdims=True))


def np_huber(e, delta=1.0):
    return np.where(np.abs(e) <= delta, 0.5 * e * e, delta * np.abs(e) - 0.5 * delta * delta)


# name, loss object, y_true, y_pred, per-sample NumPy reference
CASES = [
    ("mse", losses.MeanSquaredError(), Y_REAL, Y_PRED, lambda t, p: np.mean((t - p) ** 2, -1)),
    ("mae", losses.MeanAbsoluteError(), Y_REAL, Y_PRED, lambda t, p: np.mean(np.abs(t - p), -1)),
    ("mape", losses.MeanAbsolutePercentageError(), Y_REAL, Y_PRED,
     lambda t, p: 100 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), -1)),
    ("msle", losses.MeanSquaredLogarithmicError(), np.abs(Y_REAL), np.abs(Y_PRED),
     lambda t, p: np.mean((np.log1p(p) - np.log1p(t)) ** 2, -1)),
    ("huber", losses.Huber(delta=0.7), Y_REAL, Y_PRED,
     lambda t, p: np.mean(np_huber(p - t, 0.7), -1)),
    ("logcosh", losses.LogCosh(), Y_REAL, Y_PRED, lambda t, p: np.mean(np.log(np.cosh(p - t)), -1)),
    ("cosine", losses.CosineSimilarity(), Y_REAL, Y_PRED,
     lambda t, p: -np.sum(np_unit(t) * np_unit(p), -1)),
    ("kld", losses.KLDivergence(), P_ROWS[::-1].copy(), P_ROWS,
     lambda t, p: np.sum(t * np.log(t / p), -1)),
    ("poisson", losses.Poisson(), np.abs(Y_REAL), P,
     lambda t, p: np.mean(p - t * np.log(p + EPS), -1)),
    ("hinge", losses.Hinge(), Y01, Y_PRED,
     lambda t, p: np.mean(np.maximum(1 - (2 * t - 1) * p, 0), -1)),
    ("squared_hinge", losses.SquaredHinge(), 2 * Y01 - 1, Y_PRED,
     lambda t, p: np.mean(np.maximum(1 - t * p, 0) ** 2, -1)),
    ("categorical_hinge", losses.CategoricalHinge(), ONE_HOT, Y_PRED,
     lambda t, p: np.maximum(np.max((1 - t) * p, -1) - np.sum(t * p, -1) + 1, 0)),
    ("bce", losses.BinaryCrossentropy(), Y01, P, lambda t, p: np.mean(np_bce(t, p), -1)),
    ("bce_smoothed", losses.BinaryCrossentropy(label_smoothing=0.2), Y01, P,
     lambda t, p: np.mean(np_bce(t * 0.8 + 0.1, p), -1)),
    ("bce_logits", losses.BinaryCrossentropy(from_logits=True), Y01, Y_PRED,
     lambda t, z: np.mean(np_softplus(z) - t * z, -1)),
    ("focal", losses.BinaryFocalCrossentropy(gamma=2.0), Y01, P,
     lambda t, p: np.mean((1 - (t * p + (1 - t) * (1 - p))) ** 2 * np_bce(t, p), -1)),
    ("focal_balanced", losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3),
     Y01, P, lambda t, p: np.mean((t * 0.3 + (1 - t) * 0.7)
                                  * (1 - (t * p + (1 - t) * (1 - p))) ** 2 * np_bce(t, p), -1)),
    ("focal_logits", losses.BinaryFocalCrossentropy(from_logits=True, gamma=1.5), Y01, Y_PRED,
     lambda t, z: np.mean((1 - (t * np_sigmoid(z) + (1 - t) * np_sigmoid(-z))) ** 1.5
                          * (np_softplus(z) - t * z), -1)),
    ("cce", losses.CategoricalCrossentropy(), ONE_HOT, P,
     lambda t, p: -np.sum(t * np.log(p / p.sum(-1, keepdims=True)), -1)),
    ("cce_smoothed", losses.CategoricalCrossentropy(label_smoothing=0.1), ONE_HOT, P,
     lambda t, p: -np.sum((t * 0.9 + 0.1 / C) * np.log(p / p.sum(-1, keepdims=True)), -1)),
    ("cce_logits", losses.CategoricalCrossentropy(from_logits=True), ONE_HOT, Y_PRED,
     lambda t, z: -np.sum(t * (z - np.log(np.sum(np.exp(z), -1, keepdims=True))), -1)),
    ("scce", losses.SparseCategoricalCrossentropy(), LABELS, P,
     lambda t, p: -np.log(p[np.arange(N), t] / p.sum(-1))),
    ("scce_logits", losses.SparseCategoricalCrossentropy(from_logits=True), LABELS[:, None],
     Y_PRED, lambda t, z: np.log(np.sum(np.exp(z), -1)) - z[np.arange(N), t[:, 0]]),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize("name,loss,y_true,y_pred,reference", CASES, ids=IDS)
def test_forward_matches_numpy_with_every_reduction(name, loss, y_true, y_pred, reference):
    per_sample = reference(y_true, y_pred)
    for reduction, weights, expected in [
        ("sum_over_batch_size", None, per_sample.mean()),
        # the divisor stays the number of samples when weights are given (Keras)
        ("sum_over_batch_size", WEIGHTS, np.sum(per_sample * WEIGHTS) / N),
        ("sum", WEIGHTS, np.sum(per_sample * WEIGHTS)),
        ("mean_with_sample_weight", WEIGHTS, np.sum(per_sample * WEIGHTS) / WEIGHTS.sum()),
        ("none", WEIGHTS, per_sample * WEIGHTS),
    ]:
        config = {**loss.get_config(), "reduction": reduction}
        value = type(loss).from_config(config)(y_true, f64(y_pred), sample_weight=weights)
        np.testing.assert_allclose(value.data, expected, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name} reduction={reduction}")


def test_float32_by_default_and_float64_on_request():
    assert losses.MeanSquaredError()(Y_REAL, Y_PRED).dtype == np.float32
    assert losses.MeanSquaredError(dtype="float64")(Y_REAL, Y_PRED).dtype == np.float64
    assert losses.MeanSquaredError()(Y_REAL, f64(Y_PRED)).dtype == np.float64


def test_rank_one_labels_meet_column_predictions():
    y, p = Y01[:, 0], P[:, :1]
    value = losses.BinaryCrossentropy()(y, f64(p), sample_weight=WEIGHTS)
    np.testing.assert_allclose(value.data, np.sum(np_bce(y, p[:, 0]) * WEIGHTS) / N)


# ------------------------------------------------------------ the logits shortcut (TF backend)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_sigmoid_output_uses_its_logits(smoothing):
    z = RNG.normal(size=(N, 1)) * 3
    via_sigmoid = losses.BinaryCrossentropy(label_smoothing=smoothing)(Y01[:, :1],
                                                                        ops.sigmoid(f64(z)))
    on_logits = losses.BinaryCrossentropy(from_logits=True, label_smoothing=smoothing)(
        Y01[:, :1], f64(z))
    np.testing.assert_allclose(via_sigmoid.data, on_logits.data, rtol=1e-12)
    check_grads(lambda t: losses.BinaryCrossentropy(label_smoothing=smoothing)(
        Y01[:, :1], ops.sigmoid(t)), z)


def test_saturated_sigmoid_stays_finite_in_float32_with_gradient_p_minus_y():
    z = Tensor(np.array([[1e4], [-1e4], [1e4], [-1e4]]), requires_grad=True)
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    loss = losses.BinaryCrossentropy()(y, ops.sigmoid(z))
    loss.backward()
    assert z.dtype == np.float32 and np.isfinite(loss.data)
    np.testing.assert_allclose(loss.data, (1e4 + 1e4) / 4, rtol=1e-6)  # no clipping at 1e-7
    np.testing.assert_allclose(z.grad, (np.array([[1.0], [0.0], [1.0], [0.0]]) - y) / 4)


def test_output_that_is_not_a_sigmoid_is_clipped():
    z = Tensor(np.array([[1e4], [-1e4]]))
    # a new tensor computed from the sigmoid carries no logits: Keras clips it
    value = losses.BinaryCrossentropy()(np.array([[0.0], [1.0]]), ops.sigmoid(z) * 1.0)
    # in float32, 1 - 1e-7 rounds to 1 - 1.19e-7, so the two clipped terms differ slightly
    high, low = np.float32(1 - EPS), np.float32(EPS)
    expected = (-np.log(np.float32(1) - high) - np.log(low)) / 2
    np.testing.assert_allclose(value.data, expected, rtol=1e-6)


@pytest.mark.parametrize("loss,labels", [
    (losses.CategoricalCrossentropy(label_smoothing=0.1), ONE_HOT),
    (losses.SparseCategoricalCrossentropy(), LABELS),
], ids=["categorical", "sparse"])
def test_softmax_output_uses_its_logits(loss, labels):
    z = RNG.normal(size=(N, C)) * 2
    logits_loss = type(loss).from_config({**loss.get_config(), "from_logits": True})
    np.testing.assert_allclose(loss(labels, ops.softmax(f64(z))).data,
                               logits_loss(labels, f64(z)).data, rtol=1e-12)
    # (labels sum to 1: the fused op's gradient softmax - labels assumes it)
    check_grads(lambda t: loss(labels, ops.softmax(t)), z)
    big = Tensor(np.where(np.eye(C)[LABELS] > 0, -1e4, 1e4))
    assert np.isfinite(loss(labels, ops.softmax(big)).data)


def test_from_logits_true_on_a_sigmoid_output_warns_as_keras():
    with pytest.warns(UserWarning, match="received `from_logits=True`.*Sigmoid"):
        losses.BinaryCrossentropy(from_logits=True)(Y01, ops.sigmoid(Tensor(Y_PRED)))


def test_saturated_probabilities_are_clipped():
    value = losses.CategoricalCrossentropy()(np.eye(2), f64(np.array([[0.0, 1.0], [1.0, 0.0]])))
    np.testing.assert_allclose(value.data, -np.log(EPS), rtol=1e-6)


# ------------------------------------------------------------ sparse labels and ignore_class
def test_ignore_class_averages_over_the_valid_samples_only():
    labels = np.array([0, 3, -1, 2, -1])
    value = losses.SparseCategoricalCrossentropy(ignore_class=-1)(labels, f64(P))
    valid = labels >= 0
    expected = -np.log(P[valid, labels[valid]] / P[valid].sum(-1))
    np.testing.assert_allclose(value.data, expected.mean(), rtol=1e-12)
    check_grads(lambda p: losses.SparseCategoricalCrossentropy(ignore_class=-1)(labels, p), P)


def test_sparse_labels_out_of_range_name_value_index_and_classes():
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: label 7 at index 3 "
                                         r"is outside the valid range \[0, 4\) .*4 classes"):
        losses.SparseCategoricalCrossentropy()(np.array([0, 1, 2, 7, 9]), P)
    with pytest.raises(ValueError, match=r"label -2 at index 0"):
        losses.sparse_categorical_crossentropy(np.array([[-2], [0], [0], [0], [0]]), P)


def test_one_hot_labels_given_to_the_sparse_loss():
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy .*\(5, 4\).*"
                                         r"one-hot labels: use categorical_crossentropy"):
        losses.SparseCategoricalCrossentropy()(ONE_HOT, P)


def test_one_hot_width_mismatch_names_the_loss_and_both_shapes():
    with pytest.raises(ValueError, match=r"categorical_crossentropy: .*y_true.shape=\(5, 3\) "
                                         r"and y_pred.shape=\(5, 4\)"):
        losses.CategoricalCrossentropy()(np.eye(3)[[0, 1, 2, 0, 1]], P)
    with pytest.raises(ValueError, match=r"categorical_crossentropy: .*rank.*sparse_categorical"):
        losses.CategoricalCrossentropy()(LABELS, P)


def test_binary_shape_mismatch_and_sparse_axis():
    with pytest.raises(ValueError, match=r"binary_crossentropy: .*same shape.*\(5, 3\)"):
        losses.binary_crossentropy(Y01[:, :3], P)
    with pytest.raises(ValueError, match="only axis=-1 is supported"):
        losses.sparse_categorical_crossentropy(LABELS, P, axis=0)


def test_invalid_reduction_is_named():
    with pytest.raises(ValueError, match=r"Invalid value for argument `reduction`: 'avg'"):
        losses.MeanSquaredError(reduction="avg")


# ------------------------------------------------------------ identifiers and configs
@pytest.mark.parametrize("name,function", [
    ("mse", losses.mean_squared_error), ("mae", losses.mean_absolute_error),
    ("mape", losses.mean_absolute_percentage_error),
    ("msle", losses.mean_squared_logarithmic_error),
    ("binary_crossentropy", losses.binary_crossentropy), ("bce", losses.binary_crossentropy),
    ("categorical_crossentropy", losses.categorical_crossentropy),
    ("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy),
    ("huber", losses.huber), ("kld", losses.kl_divergence), ("kl_divergence", losses.kl_divergence),
    ("log_cosh", losses.log_cosh), ("cosine_similarity", losses.cosine_similarity),
    ("hinge", losses.hinge),
])
def test_string_identifiers_resolve_to_keras_functions(name, function):
    assert losses.get(name) is function


def test_get_instantiates_classes_and_passes_objects_through():
    assert isinstance(losses.get("MeanSquaredError"), losses.MeanSquaredError)
    loss = losses.Huber(delta=3.0)
    assert losses.get(loss) is loss and losses.get(None) is None
    rebuilt = losses.get(losses.serialize(losses.BinaryCrossentropy(from_logits=True)))
    assert rebuilt.from_logits is True and rebuilt.name == "binary_crossentropy"
    assert losses.deserialize(losses.serialize(losses.hinge)) is losses.hinge


def test_unknown_identifier_lists_valid_names():
    with pytest.raises(ValueError, match=r"Could not interpret loss identifier: 'logcosh'\. "
                                         r"Did you mean 'log_cosh'\? Valid names: .*'mse'"):
        losses.get("logcosh")


def test_config_round_trip_keeps_arguments():
    for loss in [losses.Huber(delta=2.5), losses.CosineSimilarity(axis=0),
                 losses.CategoricalCrossentropy(label_smoothing=0.3, reduction="sum"),
                 losses.SparseCategoricalCrossentropy(ignore_class=0)]:
        clone = type(loss).from_config(loss.get_config())
        assert clone.get_config() == loss.get_config()
    wrapped = losses.LossFunctionWrapper(losses.huber, name="h", delta=2.0)
    clone = losses.LossFunctionWrapper.from_config(wrapped.get_config())
    assert clone.fn is losses.huber and clone(Y_REAL, Y_PRED).item() == wrapped(
        Y_REAL, Y_PRED).item()


@pytest.mark.parametrize("y_true,y_pred,function", [
    (np.zeros((4, 1)), np.zeros((4, 1)), losses.binary_crossentropy),
    (np.zeros(4), np.zeros((4, 3)), losses.sparse_categorical_crossentropy),
    (np.zeros((4, 1)), np.zeros((4, 3)), losses.sparse_categorical_crossentropy),
    (np.zeros((4, 3)), np.zeros((4, 3)), losses.categorical_crossentropy),
])
def test_get_loss_resolves_crossentropy_from_shapes(y_true, y_pred, function):
    for name in ("crossentropy", "ce"):
        loss = losses.get_loss(name, y_true, y_pred)
        assert loss.fn is function and loss.name == name
    assert losses.get_loss("mse").name == "mse"
    with pytest.raises(ValueError, match="pass both"):
        losses.get_loss("ce")


def test_no_warning_on_the_ordinary_path():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses.BinaryCrossentropy()(Y01, ops.sigmoid(Tensor(Y_PRED)))
