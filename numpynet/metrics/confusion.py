"""Precision, recall and AUC (ROC or PR), as ``keras/src/metrics/confusion_metrics.py``.

These metrics accumulate weighted confusion counts (see :mod:`numpynet.metrics.confusion_utils`)
over batches, so the result is the value on all samples seen, not a mean of batch values.
"""

import numpy as np

from numpynet import config
from numpynet.metrics.confusion_utils import (
    NEG_INF,
    divide_no_nan,
    is_evenly_distributed_thresholds,
    parse_init_thresholds,
    update_confusion_matrix_variables,
)
from numpynet.metrics.metric import Metric, to_array


class _PrecisionRecall(Metric):
    """Shared state of Precision and Recall: true positives and one other count per threshold."""

    _direction = "up"  # Keras: EarlyStopping's auto mode maximises it

    _other = None  # "fp" (precision) or "fn" (recall)

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_init_thresholds(thresholds, default_threshold=default)
        self._evenly = is_evenly_distributed_thresholds(self.thresholds)
        self.true_positives = self.add_variable((len(self.thresholds),), "true_positives")
        self._other_count = self.add_variable((len(self.thresholds),), self._other)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's counts (``y_pred > threshold`` counts as a positive prediction)."""
        update_confusion_matrix_variables(
            {"tp": self.true_positives, self._other: self._other_count}, y_true, y_pred,
            self.thresholds, top_k=self.top_k, class_id=self.class_id,
            sample_weight=sample_weight, thresholds_distributed_evenly=self._evenly)

    def result(self):
        """A float for one threshold, else an array with one value per threshold."""
        value = divide_no_nan(self.true_positives, self.true_positives + self._other_count)
        return float(value[0]) if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """``TP / (TP + FP)``: the fraction of positive predictions that are right.

    Args:
        thresholds: float or list of floats in [0, 1] (default 0.5; one result per threshold).
        top_k: only the ``top_k`` highest scores of each sample count as positive predictions.
        class_id: compute the metric for this class column only.
        name, dtype: as :class:`~numpynet.metrics.metric.Metric`.

    Raises:
        ValueError: for thresholds outside [0, 1].
    """

    _other = "fp"

    @property
    def false_positives(self):
        return self._other_count


class Recall(_PrecisionRecall):
    """``TP / (TP + FN)``: the fraction of positives that are found. Args: as :class:`Precision`."""

    _other = "fn"

    @property
    def false_negatives(self):
        return self._other_count


# the spellings Keras' AUCCurve.from_str and AUCSummationMethod.from_str accept
_CURVES = {"ROC": "ROC", "roc": "ROC", "PR": "PR", "pr": "PR", "PRGAIN": "PRGAIN",
           "prgain": "PRGAIN"}
_SUMMATIONS = {name: name.lower() for name in ("interpolation", "Interpolation", "majoring",
                                               "Majoring", "minoring", "Minoring")}


def _choice(value, choices, what, expected):
    if value not in choices:
        raise ValueError(f'Invalid AUC {what} value: "{value}". Expected values are {expected}')
    return choices[value]


class AUC(Metric):
    """Area under the ROC (or precision-recall) curve, from counts at fixed thresholds.

    The curve is sampled at ``num_thresholds`` evenly spaced thresholds and integrated with the
    trapezoidal rule (``"interpolation"``), so the value approaches the exact AUC (e.g.
    ``sklearn.metrics.roc_auc_score``) as the thresholds get denser.

    Args:
        num_thresholds: number of thresholds (default 200), including the two end points
            ``-epsilon`` and ``1 + epsilon``.
        curve: ``"ROC"`` (default), ``"PR"`` or ``"PRGAIN"``.
        summation_method: ``"interpolation"`` (trapezoids; for PR, Davis & Goadrich's
            interpolation), ``"majoring"`` or ``"minoring"``.
        name, dtype: as :class:`~numpynet.metrics.metric.Metric`.
        thresholds: explicit thresholds in [0, 1] (then ``num_thresholds`` is ignored).
        multi_label: one curve per label column, averaged (else all columns are flattened).
        num_labels: number of label columns when ``multi_label`` (else found at first update).
        label_weights: per-label weights of the average (or of the counts without multi_label).
        from_logits: apply a sigmoid to ``y_pred`` first.

    Raises:
        ValueError: for ``num_thresholds <= 1``, an unknown curve or summation method, or
            ``num_labels`` without ``multi_label``.
    """

    _direction = "up"  # Keras: EarlyStopping's auto mode maximises it

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        self.curve = _choice(curve, _CURVES, "curve", '["PR", "ROC", "PRGAIN"]')
        self.summation_method = _choice(summation_method, _SUMMATIONS, "summation method",
                                        '["interpolation", "majoring", "minoring"]')
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(parse_init_thresholds(thresholds))
            self.num_thresholds = len(thresholds) + 2
            self._evenly = is_evenly_distributed_thresholds(np.array([0.0, *thresholds, 1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        # end points just outside [0, 1] so that every prediction falls between two thresholds
        epsilon = config.epsilon()
        self._thresholds = np.array([0.0 - epsilon, *thresholds, 1.0 + epsilon])
        super().__init__(name=name, dtype=dtype)
        if num_labels and not multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self.multi_label, self.num_labels = multi_label, num_labels
        self.label_weights = None if label_weights is None else to_array(label_weights,
                                                                          self.dtype)
        self._from_logits = from_logits
        self._built = False
        if not multi_label or num_labels:
            self._build(num_labels)

    @property
    def thresholds(self):
        """The thresholds, end points included."""
        return list(self._thresholds)

    def _build(self, num_labels):
        shape = (self.num_thresholds, num_labels) if self.multi_label else (self.num_thresholds,)
        self._variables = []
        self.true_positives = self.add_variable(shape, "true_positives")
        self.false_positives = self.add_variable(shape, "false_positives")
        self.true_negatives = self.add_variable(shape, "true_negatives")
        self.false_negatives = self.add_variable(shape, "false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's confusion counts at every threshold.

        Raises:
            ValueError: if ``multi_label`` and ``y_pred`` is not 2-D.
        """
        y_pred = to_array(y_pred, self.dtype)
        if not self._built:
            if y_pred.ndim != 2:
                raise ValueError("`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                                 f"{y_pred.ndim}. Full shape received for `y_pred`: "
                                 f"{y_pred.shape}")
            self._build(y_pred.shape[1])
        if self._from_logits:
            y_pred = (1.0 / (1.0 + np.exp(-y_pred))).astype(self.dtype)
        variables = {"tp": self.true_positives, "fp": self.false_positives,
                     "tn": self.true_negatives, "fn": self.false_negatives}
        update_confusion_matrix_variables(
            variables, y_true, y_pred, self._thresholds,
            thresholds_distributed_evenly=self._evenly, sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights)

    def _average(self, riemann_terms):
        if not self.multi_label:
            return float(np.sum(riemann_terms, dtype=self.dtype))
        by_label = np.sum(riemann_terms, axis=0, dtype=self.dtype)
        if self.label_weights is None:
            return float(np.mean(by_label, dtype=self.dtype))
        return float(divide_no_nan(np.sum(by_label * self.label_weights),
                                   np.sum(self.label_weights)))

    def interpolate_pr_auc(self):
        """PR-AUC with precision interpolated between thresholds (Davis & Goadrich, 2006)."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        prec_slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        both_positive = (p[:-1] > 0) & (p[1:] > 0)
        safe_p_ratio = np.where(both_positive, divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        increments = divide_no_nan(prec_slope * (dtp + intercept * np.log(safe_p_ratio)),
                                   np.maximum(tp[1:] + fn[1:], 0))
        return self._average(increments.astype(self.dtype))

    def _curve_points(self):
        tp, fp, tn, fn = (self.true_positives, self.false_positives, self.true_negatives,
                          self.false_negatives)
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            return divide_no_nan(fp, fp + tn), recall
        if self.curve == "PR":
            return recall, divide_no_nan(tp, tp + fp)
        # PR-gain (Flach & Kull, 2015), with Keras' fixes for empty or anti-correlated cases
        scaling = divide_no_nan(tp + fn, tn + fp)
        recall_gain = np.where(tp == 0, 0.0, 1.0 - scaling * divide_no_nan(fn, tp))
        precision_gain = np.where(tp == 0, 1.0, 1.0 - scaling * divide_no_nan(fp, tp))
        return np.maximum(recall_gain, 0.0), precision_gain

    def result(self):
        """The area under the curve, as a float."""
        if not self._built:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        x, y = self._curve_points()
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._average(((x[:-1] - x[1:]) * heights).astype(self.dtype))

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None
                  else self.label_weights.tolist(), "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
