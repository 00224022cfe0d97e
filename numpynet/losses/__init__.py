"""Losses: what training minimises, built from ``ops`` so gradients flow through them.

Mirrors ``keras.losses``: classes (``MeanSquaredError()``), functions returning per-sample values
(``mean_squared_error``), string identifiers (``"mse"``) and ``get``/``serialize``/``deserialize``.

Reading order: :mod:`~numpynet.losses.loss` (reduction and sample weights),
:mod:`~numpynet.losses.regression`, :mod:`~numpynet.losses.crossentropy` (the TensorFlow
backend's cross-entropy, with its logits shortcut), :mod:`~numpynet.losses.probabilistic`,
:mod:`~numpynet.losses.hinge`.
"""

import difflib
import inspect

import numpy as np

from numpynet.losses.hinge import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from numpynet.losses.loss import (
    REDUCTIONS,
    Loss,
    LossFunctionWrapper,
    get_keras_mask,
    reduce_weighted_values,
    set_keras_mask,
    squeeze_or_expand_to_same_rank,
)
from numpynet.losses.probabilistic import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from numpynet.custom_objects import with_scopes
from numpynet.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)

ALL_OBJECTS = (
    Loss, LossFunctionWrapper,
    KLDivergence, Poisson, BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    CosineSimilarity, LogCosh, Huber,
    Hinge, SquaredHinge, CategoricalHinge,
    kl_divergence, poisson, binary_crossentropy, binary_focal_crossentropy,
    categorical_crossentropy, sparse_categorical_crossentropy,
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, cosine_similarity, log_cosh, huber,
    hinge, squared_hinge, categorical_hinge,
)
# The names keras.losses.get accepts: class and function names plus these aliases. (Keras 3
# dropped tf.keras 2's "logcosh" and "kullback_leibler_divergence"; so does numpynet.)
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
})


def _unknown(kind, identifier, names):
    close = difflib.get_close_matches(str(identifier), names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(
        f"Could not interpret {kind} identifier: {identifier!r}.{hint} Valid names: "
        f"{sorted(name for name in names if not name[0].isupper())}, or a class name such as "
        f"'MeanSquaredError'."
    )


def serialize(loss):
    """Returns the Keras-format dict of a loss object or function (None for None)."""
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, Loss):
        return {"module": "keras.losses", "class_name": type(loss).__name__,
                "config": loss.get_config(), "registered_name": None}
    return {"module": "builtins", "class_name": "function", "config": loss.__name__,
            "registered_name": "function"}


def deserialize(config, custom_objects=None):
    """Rebuilds a loss from :func:`serialize`'s dict or from a name.

    Raises:
        ValueError: if the name is unknown.
    """
    custom_objects = with_scopes(custom_objects)  # and the scopes of load_model
    objects = {**ALL_OBJECTS_DICT, **(custom_objects or {})}
    if isinstance(config, dict):
        name = config.get("class_name")
        if name == "function":
            return deserialize(config["config"], custom_objects)
        if name not in objects:
            raise _unknown("loss", name, objects)
        return objects[name].from_config(config.get("config") or {})
    if config not in objects:
        raise _unknown("loss", config, objects)
    obj = objects[config]
    return obj() if inspect.isclass(obj) else obj


def get(identifier):
    """Resolves a loss identifier as ``keras.losses.get``.

    Args:
        identifier: None, a name (``"mse"``; functions come back as functions), a serialized dict,
            a Loss class (instantiated), a Loss instance or any callable (returned as is).

    Returns:
        A callable ``loss(y_true, y_pred)``, or None.

    Raises:
        ValueError: if the identifier is not recognised (the message lists the valid names).
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        if identifier not in ALL_OBJECTS_DICT:
            raise _unknown("loss", identifier, ALL_OBJECTS_DICT)
        obj = ALL_OBJECTS_DICT[identifier]
    else:
        obj = identifier
    if not callable(obj):
        raise ValueError(f"Could not interpret loss identifier: {identifier!r} (not callable).")
    return obj() if inspect.isclass(obj) else obj


def is_binary_or_sparse_categorical(y_true, y_pred):
    """Returns ``(is_binary, is_sparse_categorical)`` from the shapes, as Keras' compile_utils."""
    true_shape, pred_shape = np.shape(y_true), np.shape(y_pred)
    is_binary = pred_shape[-1] == 1
    is_sparse = len(true_shape) < len(pred_shape) or (true_shape[-1] == 1 and pred_shape[-1] > 1)
    return is_binary, is_sparse


def get_loss(identifier, y_true=None, y_pred=None):
    """Resolves ``compile(loss=...)`` as Keras' ``compile_utils.get_loss``: always a Loss.

    ``"crossentropy"``/``"ce"`` become binary, sparse or categorical cross-entropy from the
    shapes of ``y_true`` and ``y_pred``; functions are wrapped in a LossFunctionWrapper named
    after the identifier (``"mse"`` stays ``"mse"``).

    Raises:
        ValueError: for an unknown identifier, or ``"crossentropy"`` without the shapes.
    """
    if identifier is None:
        return None
    if str(identifier).lower() in ("crossentropy", "ce"):
        if y_true is None or y_pred is None:
            raise ValueError(f"loss={identifier!r} is resolved from the shapes of y_true and "
                             "y_pred: pass both to get_loss.")
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        loss = (binary_crossentropy if is_binary else sparse_categorical_crossentropy
                if is_sparse else categorical_crossentropy)
    else:
        loss = get(identifier)
    if isinstance(loss, Loss):
        return loss
    name = identifier if isinstance(identifier, str) else getattr(loss, "__name__", None)
    return LossFunctionWrapper(loss, name=name)


__all__ = [
    "REDUCTIONS", "Loss", "LossFunctionWrapper", "reduce_weighted_values",
    "squeeze_or_expand_to_same_rank", "set_keras_mask", "get_keras_mask",
    "get", "get_loss", "serialize", "deserialize", "is_binary_or_sparse_categorical",
    *(obj.__name__ for obj in ALL_OBJECTS[2:]),
]
