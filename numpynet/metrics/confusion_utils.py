"""Counting true/false positives/negatives at many thresholds, as Keras' ``metrics_utils``.

A prediction ``p`` counts as positive at threshold ``t`` when ``p > t`` (strictly). For evenly
spaced thresholds (AUC's default 200) Keras does not compare every prediction with every threshold:
it drops each prediction in its bucket ``ceil(p·(T-1)) - 1`` and takes a reversed cumulative sum,
which is O(N + T) instead of O(N·T). Both ways are here, so results match Keras at bucket edges.
"""

import numpy as np

from numpynet import config
from numpynet.losses.loss import squeeze_or_expand_to_same_rank
from numpynet.metrics.metric import to_array

NEG_INF = -1e10
CONFUSION_KEYS = ("tp", "fp", "tn", "fn")


def divide_no_nan(a, b):
    """``a / b`` with 0 where ``b == 0``."""
    a, b = np.asarray(a), np.asarray(b)
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape, a.dtype), where=b != 0)


def parse_init_thresholds(thresholds, default_threshold=0.5):
    """Returns the thresholds as a list, checking that each lies in [0, 1].

    Raises:
        ValueError: naming the thresholds outside [0, 1].
    """
    if thresholds is None:
        return [default_threshold]
    thresholds = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) \
        else [thresholds]
    invalid = [t for t in thresholds if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return thresholds


def is_evenly_distributed_thresholds(thresholds):
    """True when there are at least 3 thresholds spaced evenly from 0 to 1."""
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def filter_top_k(x, k):
    """Keeps the ``k`` largest values of the last axis and sets the rest to ``NEG_INF``."""
    top = np.argsort(-x, axis=-1, kind="stable")[..., :k]  # ties: lower index first, as TF
    mask = np.zeros_like(x)
    np.put_along_axis(mask, top, 1.0, axis=-1)
    return x * mask + NEG_INF * (1.0 - mask)


def _weights(sample_weight, label_weights, shape, multi_label):
    weights = None
    if sample_weight is not None:
        weights = np.broadcast_to(sample_weight, shape)
    if label_weights is not None and not multi_label:
        label_weights = np.broadcast_to(np.expand_dims(label_weights, 0), shape)
        weights = label_weights if weights is None else weights * label_weights
    return weights


def _direct_counts(y_true, y_pred, weights, thresholds, multi_label):
    """Compares every prediction with every threshold; returns tp, fp, tn, fn of shape (T[, L])."""
    if multi_label:
        pred_is_pos = y_pred[None] > thresholds[:, None, None]  # (T, N, L)
        label_is_pos = np.broadcast_to(y_true.astype(bool)[None], pred_is_pos.shape)
    else:
        pred_is_pos = y_pred.reshape(1, -1) > thresholds[:, None]  # (T, M)
        label_is_pos = np.broadcast_to(y_true.astype(bool).reshape(1, -1), pred_is_pos.shape)
        weights = None if weights is None else weights.reshape(1, -1)
    weights = None if weights is None else np.broadcast_to(weights, pred_is_pos.shape)

    def count(condition):
        values = condition if weights is None else np.where(condition, weights, 0)
        return np.sum(values, axis=1, dtype=thresholds.dtype)

    return (count(label_is_pos & pred_is_pos), count(~label_is_pos & pred_is_pos),
            count(~label_is_pos & ~pred_is_pos), count(label_is_pos & ~pred_is_pos))


def _bucketed_counts(y_true, y_pred, weights, num_thresholds, with_epsilon, multi_label):
    """Bucket-and-cumulative-sum counting for evenly spaced thresholds (Keras' fast path)."""
    dtype = y_pred.dtype
    y_pred = np.clip(y_pred, 0.0, 1.0)
    y_true = (y_true != 0).astype(dtype)
    weights = np.ones_like(y_pred) if weights is None else np.asarray(weights, dtype)
    if not multi_label:
        y_true, y_pred, weights = (a.reshape(-1, 1) for a in (y_true, y_pred, weights))
    true_labels, false_labels = y_true * weights, (1.0 - y_true) * weights
    # p lands in bucket ceil(p·(T-1)) - 1: strictly above that bucket's lower threshold
    buckets = np.ceil(y_pred * np.asarray(num_thresholds - 1, dtype)) - 1
    if with_epsilon:  # the first threshold is -epsilon: every p >= 0 is above it
        buckets = np.maximum(buckets, 0)
    buckets = buckets.astype(np.int64)
    keep = buckets >= 0  # tf.math.unsorted_segment_sum drops negative segment ids
    columns = np.broadcast_to(np.arange(y_pred.shape[1]), buckets.shape)
    index = (buckets[keep], columns[keep])
    tp = np.zeros((num_thresholds, y_pred.shape[1]), dtype)
    fp = np.zeros_like(tp)
    np.add.at(tp, index, true_labels[keep])
    np.add.at(fp, index, false_labels[keep])
    tp, fp = np.cumsum(tp[::-1], axis=0)[::-1], np.cumsum(fp[::-1], axis=0)[::-1]
    tn = np.sum(false_labels, axis=0, dtype=dtype) - fp
    fn = np.sum(true_labels, axis=0, dtype=dtype) - tp
    counts = (tp, fp, tn, fn)
    return counts if multi_label else tuple(c[:, 0] for c in counts)


def update_confusion_matrix_variables(variables, y_true, y_pred, thresholds, top_k=None,
                                      class_id=None, sample_weight=None, multi_label=False,
                                      label_weights=None, thresholds_distributed_evenly=False):
    """Adds the weighted confusion counts of one batch to ``variables`` in place.

    Args:
        variables: dict from ``"tp"``, ``"fp"``, ``"tn"``, ``"fn"`` to state arrays of shape
            ``(T,)`` (or ``(T, labels)`` when ``multi_label``).
        y_true: labels (nonzero means positive), broadcastable to ``y_pred``.
        y_pred: scores, normally in [0, 1].
        thresholds: the T thresholds.
        top_k: only the ``top_k`` highest scores of each sample may count as positive.
        class_id: restrict to one class column of ``(N, classes)`` inputs.
        sample_weight: optional weights broadcastable to ``y_pred``.
        multi_label: keep one column of counts per label instead of flattening.
        label_weights: optional per-label weights (not with ``multi_label``).
        thresholds_distributed_evenly: use the bucketed fast path.

    Raises:
        ValueError: if ``class_id`` is given with 1-D predictions.
    """
    dtype = next(iter(variables.values())).dtype
    with_epsilon = thresholds_distributed_evenly and (thresholds[0] < 0.0 or thresholds[-1] > 1.0)
    thresholds = np.asarray(thresholds, dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(to_array(y_pred, dtype),
                                                    to_array(y_true, dtype))
    if sample_weight is not None:
        sample_weight = np.expand_dims(to_array(sample_weight, dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                          expand_rank_1=False)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {y_pred.shape}")
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
    weights = _weights(sample_weight, label_weights, y_pred.shape, multi_label)
    if thresholds_distributed_evenly:
        counts = _bucketed_counts(y_true, y_pred, weights, len(thresholds), with_epsilon,
                                  multi_label)
    else:
        counts = _direct_counts(y_true, y_pred, weights, thresholds, multi_label)
    for key, count in zip(CONFUSION_KEYS, counts):
        if key in variables:
            variables[key] += count.astype(dtype)
