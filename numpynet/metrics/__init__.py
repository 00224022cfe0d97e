"""Metrics: numbers that describe a model's predictions, accumulated over batches.

Mirrors ``keras.metrics``: stateful classes (``update_state``/``result``/``reset_state``),
per-sample functions (``binary_accuracy``...), string identifiers, and :func:`get`, which resolves
``compile(metrics=[...])`` entries exactly as Keras' ``compile_utils.get_metric`` does (including
``"accuracy"``/``"acc"`` chosen from the shapes of the targets and outputs).
"""

import difflib
import inspect

from numpynet import losses
from numpynet.losses import is_binary_or_sparse_categorical
from numpynet.naming import snake_case
from numpynet.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    in_top_k,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from numpynet.metrics.confusion import AUC, Precision, Recall
from numpynet.metrics.metric import (
    Mean,
    MeanMetricWrapper,
    Metric,
    Sum,
    reduce_to_samplewise_values,
    reset_uids,
)
from numpynet.metrics.pairwise import per_class_binary_accuracy
from numpynet.custom_objects import with_scopes
from numpynet.metrics.regression import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
)

ALL_OBJECTS = (
    Metric, Mean, Sum, MeanMetricWrapper,
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    AUC, Precision, Recall,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
)
# keras.metrics.get accepts class names, their snake_case ("auc", "binary_accuracy") and these
# aliases; strings always give metric objects, never bare functions.
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
})
# per-sample functions a MeanMetricWrapper may hold (for deserialization)
FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy,
)}
FUNCTIONS.update({name: fn for name, fn in losses.ALL_OBJECTS_DICT.items()
                  if inspect.isfunction(fn)})


def _unknown(identifier):
    names = [name for name, obj in ALL_OBJECTS_DICT.items()
             if not name[0].isupper() and obj not in (Metric, MeanMetricWrapper)]
    names += ["accuracy", "acc"]
    close = difflib.get_close_matches(str(identifier), names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"Could not interpret metric identifier: {identifier!r}.{hint} Valid "
                      f"names: {sorted(set(names))}, or a class name such as 'AUC'.")


def serialize(metric):
    """Returns the Keras-format dict of a metric object or function."""
    if metric is None or isinstance(metric, str):
        return metric
    if isinstance(metric, Metric):
        return {"module": "keras.metrics", "class_name": type(metric).__name__,
                "config": metric.get_config(), "registered_name": None}
    return losses.serialize(metric)


def deserialize_function(config):
    """Returns the per-sample function named by ``config`` (a name or a serialized dict)."""
    name = config["config"] if isinstance(config, dict) else config
    if name not in FUNCTIONS:
        raise ValueError(f"Unknown metric function {name!r}; known: {sorted(FUNCTIONS)}.")
    return FUNCTIONS[name]


def deserialize(config, custom_objects=None):
    """Rebuilds a metric from :func:`serialize`'s dict or from a name.

    Raises:
        ValueError: if the name is unknown.
    """
    custom_objects = with_scopes(custom_objects)  # and the scopes of load_model
    objects = {**ALL_OBJECTS_DICT, **(custom_objects or {})}
    if isinstance(config, dict):
        if config.get("class_name") == "function":
            return deserialize_function(config)
        if config.get("class_name") not in objects:
            raise _unknown(config.get("class_name"))
        return objects[config["class_name"]].from_config(config.get("config") or {})
    if config not in objects:
        raise _unknown(config)
    obj = objects[config]
    return obj() if inspect.isclass(obj) else obj


def _resolve_accuracy(identifier, y_true, y_pred):
    if y_true is None or y_pred is None:
        raise ValueError(f"metrics.get({identifier!r}) picks binary, sparse categorical or "
                         "categorical accuracy from the shapes of y_true and y_pred: pass both.")
    is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
    if is_binary:
        return BinaryAccuracy(name=str(identifier))
    if is_sparse:
        return SparseCategoricalAccuracy(name=str(identifier))
    return CategoricalAccuracy(name=str(identifier))


def get(identifier, y_true=None, y_pred=None):
    """Resolves one ``compile(metrics=[...])`` entry into a Metric, as Keras' ``get_metric``.

    Args:
        identifier: a name (``"mse"``, ``"auc"``, ``"accuracy"``...), a serialized dict, a Metric
            class or instance, or a per-sample function ``fn(y_true, y_pred)`` (wrapped in a
            MeanMetricWrapper).
        y_true, y_pred: arrays (or anything with ``.shape``) of the targets and model outputs;
            needed for ``"accuracy"``/``"acc"``, which become BinaryAccuracy (outputs with one
            column), SparseCategoricalAccuracy (integer labels) or CategoricalAccuracy.

    Returns:
        A Metric whose ``name`` is the string given (``"acc"`` stays ``"acc"``, ``"mse"`` stays
        ``"mse"``), or the object's own name otherwise.

    Raises:
        ValueError: for None, an unknown name (listing the valid ones), or ``"accuracy"``
            without ``y_true`` and ``y_pred``.
    """
    if identifier is None:
        raise ValueError("Expected metric, received `None`.")
    if str(identifier).lower() in ("accuracy", "acc"):
        metric = _resolve_accuracy(identifier, y_true, y_pred)
    elif isinstance(identifier, dict):
        metric = deserialize(identifier)
    elif isinstance(identifier, str):
        if identifier not in ALL_OBJECTS_DICT:
            raise _unknown(identifier)
        metric = ALL_OBJECTS_DICT[identifier]()
    elif inspect.isclass(identifier):
        metric = identifier()
    elif callable(identifier):
        metric = identifier
    else:
        raise _unknown(identifier)
    if isinstance(identifier, str):
        name = identifier
    else:
        name = getattr(metric, "name", None) or snake_case(getattr(metric, "__name__", "metric"))
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric)
    metric.name = name
    return metric


__all__ = [
    "get", "serialize", "deserialize", "deserialize_function", "reset_uids",
    "reduce_to_samplewise_values", "in_top_k", "per_class_binary_accuracy",
    *(cls.__name__ for cls in ALL_OBJECTS),
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
]
