"""Metrics: hand-computed values, weighting over batches, reset, AUC against scikit-learn,
``"accuracy"`` resolution, per-class pair accuracy and error messages."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from numpynet import metrics, ops
from numpynet.tensor import Tensor

RNG = np.random.default_rng(7)


def run(metric, batches):
    """Feeds ``(y_true, y_pred[, sample_weight])`` batches and returns the result."""
    for batch in batches:
        metric.update_state(*batch)
    return metric.result()


def test_mean_weights_samples_not_batches_and_resets():
    m = metrics.Mean()
    assert run(m, [([1.0, 3.0, 5.0, 7.0], [1, 1, 0, 0])]) == pytest.approx(2.0)
    m.update_state([10.0])  # a batch of one sample weighs one sample
    assert m.result() == pytest.approx((1 + 3 + 10) / 3)
    m.reset_state()
    assert m.result() == 0.0 and m.count == 0 and m.total == 0
    assert run(m, [(np.array([[1.0, 3.0], [5.0, 7.0]]), [1.0, 3.0])]) == pytest.approx(5.0)


def test_binary_accuracy_threshold_is_strict_and_weighted_over_batches():
    y = np.array([[1], [1], [0], [0]])
    p = np.array([[0.98], [0.5], [0.0], [0.6]])  # 0.5 is not above the threshold
    assert run(metrics.BinaryAccuracy(), [(y, p)]) == pytest.approx(0.5)
    assert run(metrics.BinaryAccuracy(threshold=0.4), [(y, p)]) == pytest.approx(0.75)
    m = metrics.BinaryAccuracy()
    value = run(m, [(y, p, [1, 0, 0, 1]), (y[:1], p[:1], [2.0])])
    assert value == pytest.approx((1 + 0 + 2) / (1 + 1 + 2))  # right, wrong, right×2
    assert m.name == "binary_accuracy"


def test_categorical_and_sparse_accuracy():
    p = np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0.0], [0.5, 0.5, 0.0]])  # ties pick class 0
    one_hot = np.eye(3)[[2, 1, 0]]
    assert run(metrics.CategoricalAccuracy(), [(one_hot, p)]) == pytest.approx(2 / 3)
    assert run(metrics.SparseCategoricalAccuracy(), [([2, 1, 0], p)]) == pytest.approx(2 / 3)
    assert run(metrics.SparseCategoricalAccuracy(), [([[2], [1], [1]], p, [0.7, 0.3, 1.0])]) \
        == pytest.approx(0.3 / 2.0)
    assert run(metrics.Accuracy(), [([[1], [2], [3], [4]], [[0], [2], [3], [4]])]) == 0.75


def test_top_k_accuracy_counts_ties_at_the_boundary_as_inside():
    p = np.array([[0.5, 0.5, 0.5, 0.1], [0.2, 0.3, 0.3, 0.3], [0.1, 0.2, 0.3, 0.4]])
    labels = np.array([2, 0, 1])
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy(labels, p, k=1),
                                  [1.0, 0.0, 0.0])  # fewer than k scores strictly higher
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy(labels, p, k=3),
                                  [1.0, 0.0, 1.0])
    assert run(metrics.TopKCategoricalAccuracy(k=3), [(np.eye(4)[labels], p)]) \
        == pytest.approx(2 / 3)
    assert run(metrics.SparseTopKCategoricalAccuracy(k=1), [(labels, p, [1, 1, 2])]) \
        == pytest.approx(1 / 4)


def test_regression_metrics_by_hand():
    y = np.array([[0.0, 1.0], [0.0, 0.0]])
    p = np.array([[1.0, 1.0], [0.0, 0.5]])
    assert run(metrics.MeanSquaredError(), [(y, p)]) == pytest.approx((0.5 + 0.125) / 2)
    assert run(metrics.MeanAbsoluteError(), [(y, p, [1, 0])]) == pytest.approx(0.5)
    assert run(metrics.RootMeanSquaredError(), [(y, p)]) == pytest.approx(np.sqrt(1.25 / 4))


def test_metrics_read_tensors_without_recording_a_tape():
    z = Tensor(np.array([[30.0], [-30.0]]), requires_grad=True)
    m = metrics.BinaryCrossentropy()
    value = run(m, [(np.array([[0.0], [1.0]]), ops.sigmoid(z))])
    assert value == pytest.approx(30.0, rel=1e-6)  # the sigmoid's logits are used, unclipped
    assert run(metrics.BinaryAccuracy(), [(np.array([[1.0], [1.0]]), ops.sigmoid(z))]) == 0.5


def test_precision_and_recall_by_hand_with_several_thresholds():
    y, p = [0, 1, 1, 1], [1, 0, 1, 1]
    assert run(metrics.Precision(), [(y, p)]) == pytest.approx(2 / 3)
    assert run(metrics.Recall(), [(y, p)]) == pytest.approx(2 / 3)
    assert run(metrics.Precision(), [(y, p, [0, 0, 1, 0])]) == pytest.approx(1.0)
    scores = np.array([0.1, 0.4, 0.6, 0.9])
    labels = np.array([0, 1, 0, 1])
    np.testing.assert_allclose(run(metrics.Precision(thresholds=[0.0, 0.5, 0.8]),
                                   [(labels, scores)]), [0.5, 0.5, 1.0])
    np.testing.assert_allclose(run(metrics.Recall(thresholds=[0.0, 0.5, 0.8]),
                                   [(labels, scores)]), [1.0, 0.5, 0.5])
    # evenly spaced thresholds take the bucketed path; a score of exactly 0 is not above 0
    np.testing.assert_allclose(run(metrics.Precision(thresholds=[0.0, 0.5, 1.0]),
                                   [([0, 1, 1], [0.0, 0.7, 0.5])]), [1.0, 1.0, 0.0])
    m = metrics.Recall()
    run(m, [(labels, scores)])
    m.reset_state()
    assert m.result() == 0.0


def test_auc_matches_sklearn_within_the_bucket_error():
    y = (RNG.random(500) > 0.6).astype(int)
    scores = np.clip(0.35 * y + 0.65 * RNG.random(500), 0.0, 1.0)
    auc = metrics.AUC()
    result = run(auc, [(y[:200], scores[:200]), (y[200:], scores[200:])])
    # Keras groups scores into 199 buckets; pairs inside one bucket count as ties (½)
    buckets = np.maximum(np.ceil(scores.astype(np.float32) * 199) - 1, 0)
    positive, negative = buckets[y == 1], buckets[y == 0]
    same_bucket = np.mean(positive[:, None] == negative[None, :])
    assert abs(result - roc_auc_score(y, scores)) <= same_bucket / 2 + 1e-6
    assert same_bucket > 0  # (the bound above is not trivially zero)
    # scores that sit inside distinct buckets give the exact AUC
    centred = (buckets + 0.5) / 199
    assert metrics.AUC()(y, centred) == pytest.approx(roc_auc_score(y, centred), abs=1e-6)
    # scores of exactly 0 and 1 are above the first threshold (-epsilon), below the last
    edges = np.array([0.0, 0.0, 0.3, 1.0, 0.6, 1.0])
    assert metrics.AUC()([1, 0, 0, 1, 1, 0], edges) == pytest.approx(
        roc_auc_score([1, 0, 0, 1, 1, 0], edges), abs=1e-6)


def test_auc_curves_weights_and_reset():
    y = np.array([0, 0, 1, 1])
    assert metrics.AUC()(y, [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75, abs=1e-6)
    assert metrics.AUC(curve="PR")(y, [0.1, 0.2, 0.7, 0.8]) == pytest.approx(1.0, abs=1e-6)
    weighted = metrics.AUC()(y, [0.1, 0.4, 0.35, 0.8], sample_weight=[1, 0, 1, 1])
    assert weighted == pytest.approx(1.0, abs=1e-6)  # the only misordered negative weighs 0
    auc = metrics.AUC(num_thresholds=3, curve="roc")
    run(auc, [(y, [0.1, 0.4, 0.35, 0.8])])
    auc.reset_state()
    assert auc.result() == 0.0 and not auc.true_positives.any()
    assert metrics.AUC(from_logits=True)(y, [-3.0, -1.0, 1.0, 2.0]) == pytest.approx(1.0)


def test_confusion_metric_errors():
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]. Received: "
                                         r"\[1.5\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match=r"`num_thresholds` must be an integer > 1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r'Invalid AUC curve value: "ROCK"'):
        metrics.AUC(curve="ROCK")
    with pytest.raises(ValueError, match=r"class_id is provided, y_pred must be a 2D array"):
        metrics.Recall(class_id=1).update_state([0, 1], [0.2, 0.9])


@pytest.mark.parametrize("y_true,y_pred,expected", [
    (np.zeros((4, 1)), np.zeros((4, 1)), metrics.BinaryAccuracy),
    (np.zeros(4), np.zeros((4, 1)), metrics.BinaryAccuracy),
    (np.zeros(4), np.zeros((4, 3)), metrics.SparseCategoricalAccuracy),
    (np.zeros((4, 1)), np.zeros((4, 3)), metrics.SparseCategoricalAccuracy),
    (np.zeros((4, 3)), np.zeros((4, 3)), metrics.CategoricalAccuracy),
])
def test_accuracy_resolution_keeps_the_users_name(y_true, y_pred, expected):
    for name in ("accuracy", "acc"):
        metric = metrics.get(name, y_true, y_pred)
        assert type(metric) is expected and metric.name == name


def test_get_names_and_wrapping():
    assert type(metrics.get("mse")) is metrics.MeanSquaredError
    assert metrics.get("mse").name == "mse"
    assert metrics.get("auc").name == "auc" and isinstance(metrics.get("AUC"), metrics.AUC)
    wrapped = metrics.get(metrics.binary_accuracy)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "binary_accuracy"
    assert wrapped([[1], [0]], [[0.9], [0.9]]) == 0.5
    rebuilt = metrics.deserialize(metrics.serialize(metrics.BinaryAccuracy(threshold=0.2)))
    assert rebuilt.threshold == 0.2


def test_get_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"Could not interpret metric identifier: 'acuracy'\. "
                                         r"Did you mean 'accuracy'\? Valid names: .*'auc'"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match=r"metrics.get\('accuracy'\) .*pass both"):
        metrics.get("accuracy")
    with pytest.raises(ValueError, match="Expected metric, received `None`"):
        metrics.get(None)


def test_default_names_are_made_unique_as_keras():
    metrics.reset_uids()
    assert [metrics.Precision().name, metrics.Precision().name, metrics.AUC().name] == \
        ["precision", "precision_1", "auc"]
    assert metrics.Precision(name="p").name == "p"


def test_per_class_binary_accuracy_by_hand():
    class0 = np.array([0, 0, 1, 2, 2])
    class1 = np.array([0, 1, 2, 2, 0])
    same = (class0 == class1).astype(int)  # [1, 0, 0, 1, 0]
    scores = np.array([0.9, 0.8, 0.2, 0.4, 0.1])  # right, wrong, right, wrong, right
    result = metrics.per_class_binary_accuracy(class0, class1, same, scores)
    # class 0: pairs 0, 1, 4 -> 2/3; class 1: pairs 1, 2 -> 1/2; class 2: pairs 2, 3, 4 -> 2/3
    assert list(result) == [0, 1, 2]
    assert result[0] == pytest.approx(2 / 3)
    assert result[1] == pytest.approx(1 / 2)
    assert result[2] == pytest.approx(2 / 3)
    assert metrics.per_class_binary_accuracy(class0, class1, same, scores, threshold=0.3)[2] \
        == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"per_class_binary_accuracy: .*'y_pred': 4"):
        metrics.per_class_binary_accuracy(class0, class1, same, scores[:4])
