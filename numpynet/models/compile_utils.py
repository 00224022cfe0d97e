"""What ``compile`` sets up: the loss of each output and the metrics, with Keras' log names."""

import numpy as np

from numpynet import losses as losses_module
from numpynet import metrics as metrics_module
from numpynet.tensor import Tensor


def _per_output(value, output_names, what):
    """Spreads a single value, a list or a dict over the outputs (None where not given)."""
    if isinstance(value, dict):
        unknown = [k for k in value if k not in output_names]
        if unknown:
            raise ValueError(f"compile: {what} has keys {unknown} that are not output names "
                             f"{output_names}.")
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and len(output_names) > 1:
        if len(value) != len(output_names):
            raise ValueError(f"compile: {what} has {len(value)} entries but the model has "
                             f"{len(output_names)} outputs {output_names}.")
        return list(value)
    return [value] * len(output_names)


class _WeightedMean:
    """Running mean weighted by batch size (Keras' ``Mean`` loss tracker)."""

    def __init__(self):
        self.total, self.count = 0.0, 0.0

    def update(self, value, weight):
        self.total += float(value) * weight
        self.count += weight

    def result(self):
        return self.total / self.count if self.count else 0.0


class CompiledLoss:
    """The loss of every output, their weights, and the running means ``fit`` logs.

    Args:
        loss: a loss (name, function or object), or a list/dict with one per output.
        loss_weights: optional scalars (list/dict) multiplying each output's loss.
        output_names: the model's output names.
    """

    def __init__(self, loss, loss_weights, output_names):
        self.output_names = list(output_names)
        self._specs = _per_output(loss, self.output_names, "loss")
        for spec in self._specs:  # fail at compile time on an unknown name
            if isinstance(spec, str) and spec.lower() not in ("crossentropy", "ce"):
                losses_module.get(spec)
        self.losses = None  # resolved at the first batch: "crossentropy" needs the shapes
        weights = _per_output(loss_weights, self.output_names, "loss_weights")
        self.weights = [1.0 if w is None else float(w) for w in weights]
        self._total = _WeightedMean()
        self._outputs = [_WeightedMean() for _ in self.output_names]

    def __call__(self, y_true, y_pred, sample_weight, batch_size):
        """Returns the weighted total loss (a scalar Tensor) and each output's loss."""
        self.resolve(y_true, y_pred)
        if all(loss is None for loss in self.losses):
            raise ValueError("No loss to compute: pass `loss=` to compile().")
        per_output, total = [], None
        for i, loss in enumerate(self.losses):
            if loss is None:
                per_output.append(None)
                continue
            value = loss(y_true[i], y_pred[i], sample_weight=sample_weight[i])
            per_output.append(value)
            self._outputs[i].update(value.data, batch_size)
            term = value if self.weights[i] == 1.0 else value * self.weights[i]
            total = term if total is None else total + term
        return total, per_output

    def resolve(self, y_true, y_pred):
        """Turns each output's loss identifier into a Loss object (once), as Keras' get_loss."""
        if self.losses is None:
            self.losses = [losses_module.get_loss(spec, y_true[i], y_pred[i])
                           for i, spec in enumerate(self._specs)]

    def track_total(self, value, batch_size):
        self._total.update(value, batch_size)

    def results(self):
        logs = {"loss": self._total.result()}
        if len(self.output_names) > 1:
            for name, loss, tracker in zip(self.output_names, self.losses or [], self._outputs):
                if loss is not None:
                    logs[f"{name}_loss"] = tracker.result()
        return logs

    def reset_state(self):
        self._total = _WeightedMean()
        self._outputs = [_WeightedMean() for _ in self.output_names]

    def check_targets(self, y, outputs):
        """Checks labels against what each output's loss expects, once per ``fit``."""
        self.resolve(y, [np.empty((1,) + tuple(s or 1 for s in o.shape[1:])) for o in outputs])
        for i, (loss, target, output) in enumerate(zip(self.losses, y, outputs)):
            name = _loss_name(loss)
            label = f"y[{self.output_names[i]!r}]" if len(y) > 1 else "y"
            classes = output.shape[-1]
            if "sparse_categorical" in name and classes is not None:
                _check_sparse_labels(target, classes, label, name)
            elif name.startswith("categorical") and "hinge" not in name and classes is not None:
                if target.shape[-1] != classes or target.ndim != len(output.shape):
                    raise ValueError(
                        f"{name}: {label} has shape {target.shape}, but the output "
                        f"{self.output_names[i]!r} has shape {output.shape}: one-hot labels "
                        f"must have {classes} columns (use sparse_categorical_crossentropy "
                        "for integer labels).")


def _loss_name(loss):
    from numpynet.naming import snake_case
    if loss is None:
        return ""
    name = getattr(loss, "name", None) or getattr(loss, "__name__", "") or type(loss).__name__
    return snake_case(type(loss).__name__) if name == "loss" else str(name)


def _check_sparse_labels(target, classes, label, loss_name):
    labels = target.reshape(len(target), -1) if target.ndim > 1 else target
    if target.dtype.kind == "f" and np.any(labels != np.round(labels)):
        raise ValueError(f"{loss_name}: {label} must hold integer class indices.")
    bad = np.flatnonzero((labels < 0) | (labels >= classes))
    if bad.size:
        raise ValueError(
            f"{loss_name}: {label} holds label {labels.flat[bad[0]]} at index {bad[0]}, but the "
            f"model has {classes} classes: labels must be in [0, {classes - 1}].")


class CompiledMetrics:
    """The metrics of every output, built at the first batch (``"accuracy"`` needs shapes)."""

    def __init__(self, metrics, weighted_metrics, output_names):
        self.output_names = list(output_names)
        self._specs = [_as_list(m) for m in _per_output(metrics, self.output_names, "metrics")]
        self._weighted_specs = [_as_list(m) for m in _per_output(weighted_metrics,
                                                                 self.output_names,
                                                                 "weighted_metrics")]
        for spec in _flat(self._specs + self._weighted_specs):  # unknown names fail in compile
            if isinstance(spec, str) and spec.lower() not in ("accuracy", "acc"):
                metrics_module.get(spec)
        self._metrics = None  # list per output of (metric, uses_sample_weight)

    def _build(self, y_true, y_pred):
        self._metrics = []
        for i in range(len(self.output_names)):
            built = [(metrics_module.get(m, y_true[i], y_pred[i]), False) for m in self._specs[i]]
            built += [(metrics_module.get(m, y_true[i], y_pred[i]), True)
                      for m in self._weighted_specs[i]]
            self._metrics.append(built)

    def update_state(self, y_true, y_pred, sample_weight):
        if self._metrics is None:
            self._build(y_true, y_pred)
        for i, built in enumerate(self._metrics):
            for metric, weighted in built:
                metric.update_state(y_true[i], y_pred[i],
                                    sample_weight=sample_weight[i] if weighted else None)

    def _named(self):
        if self._metrics is None:
            return []
        multi = len(self.output_names) > 1
        return [(f"{self.output_names[i]}_{m.name}" if multi else m.name, m)
                for i, built in enumerate(self._metrics) for m, _ in built]

    def names(self):
        return [name for name, _ in self._named()]

    def results(self):
        return {name: float(metric.result()) for name, metric in self._named()}

    def reset_state(self):
        for _, metric in self._named():
            metric.reset_state()


def _flat(lists):
    return [item for items in lists for item in items]


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


__all__ = ["CompiledLoss", "CompiledMetrics", "Tensor"]
