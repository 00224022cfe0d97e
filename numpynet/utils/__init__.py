"""Utilities with Keras' names: ``set_random_seed``, ``clear_session``, ``to_categorical``,
``plot_model``, ``custom_object_scope``; and :func:`numpynet.utils.io.atomic_write`, which every
file writer uses.

``plot_model`` imports matplotlib only when called, so ``import numpynet.utils`` stays light.
"""

import numpy as np

from numpynet import config
from numpynet.custom_objects import custom_object_scope
from numpynet.rng import set_random_seed
from numpynet.utils.io import atomic_write


def clear_session(free_memory=True):
    """Resets numpynet's global naming state, as ``keras.utils.clear_session``.

    Layer and metric names start again from ``dense``, ``dense_1``..., so a notebook that
    rebuilds a model gets the same names every time.

    Args:
        free_memory: run Python's garbage collector afterwards (Keras' default).
    """
    from numpynet import metrics
    from numpynet.layers import layer

    layer.reset_uids()
    metrics.reset_uids()
    if free_memory:
        import gc
        gc.collect()


def to_categorical(x, num_classes=None):
    """Converts integer class labels to one-hot rows, as ``keras.utils.to_categorical``.

    Args:
        x: array-like of class indices in ``[0, num_classes)``; a trailing axis of size 1 is
            dropped, as Keras does.
        num_classes: number of classes; default ``max(x) + 1``.

    Returns:
        Array of shape ``x.shape + (num_classes,)`` in ``config.floatx()`` (Keras returns
        float64; numpynet keeps its float type so data is not upcast).

    Raises:
        ValueError: for non-integer labels, or labels outside ``[0, num_classes)``.
    """
    values = np.asarray(x)
    if values.dtype.kind not in "biuf" or (values.dtype.kind == "f"
                                           and np.any(values != np.round(values))):
        raise ValueError(f"to_categorical expects integer class labels, got values of dtype "
                         f"{values.dtype}.")
    labels = values.astype(np.int64)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:  # (n, 1) labels give (n, classes), not (n, 1, classes)
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if not num_classes:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
    if bad.size:
        raise ValueError(f"to_categorical: label {labels[bad[0]]} at index {bad[0]} is outside "
                         f"[0, {num_classes - 1}] for num_classes={num_classes}.")
    categorical = np.zeros((labels.size, num_classes), dtype=config.floatx())
    categorical[np.arange(labels.size), labels] = 1.0
    return categorical.reshape(tuple(shape) + (num_classes,))


def plot_model(model, to_file="model.png", show_shapes=False, show_layer_names=True, dpi=96,
               **kwargs):
    """Draws the model's graph to an image file, as ``keras.utils.plot_model``.

    One box per layer, placed by depth (inputs at the top), with arrows along the
    connections. Drawn with matplotlib's Agg backend, so no graphviz is needed.

    Args:
        model: a built ``Model`` or ``Sequential``.
        to_file: image path; the format follows the extension (``.png``, ``.pdf``, ``.svg``).
        show_shapes: write each layer's output shape in its box.
        show_layer_names: write each layer's name (else only its class).
        dpi: resolution of raster images.
        **kwargs: ``show_dtype``, ``show_layer_activations``, ``rankdir`` ("TB" or "LR"),
            ``show_trainable`` as in Keras.

    Returns:
        The path written.
    """
    from numpynet.utils.plotting import plot_model as _plot_model
    return _plot_model(model, to_file=to_file, show_shapes=show_shapes,
                       show_layer_names=show_layer_names, dpi=dpi, **kwargs)


__all__ = ["set_random_seed", "clear_session", "to_categorical", "plot_model", "atomic_write",
           "custom_object_scope"]
