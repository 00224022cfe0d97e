"""Cross-entropy on raw ``(target, output)`` tensors, as Keras' TensorFlow backend computes it.

Mirrors ``keras/src/backend/tensorflow/nn.py``. The Keras-level losses in
:mod:`numpynet.losses.probabilistic` (label smoothing, the mean over the last axis, ignore_class)
call these three functions.

The TensorFlow backend quirk: ``activations.sigmoid`` and ``softmax`` (here :func:`ops.sigmoid` and
:func:`ops.softmax`) attach their input to the output as ``_keras_logits``. When ``output`` carries
such logits, the loss is computed *from the logits* with the fused, overflow-free primitive, even
with ``from_logits=False``: no clipping, and the gradient is exactly ``p - y``. Only outputs that
did not come from those activations are clipped to ``[epsilon, 1 - epsilon]`` before ``log``.
"""

import warnings

import numpy as np

from numpynet import config, ops
from numpynet.tensor import Tensor


def get_logits(output, from_logits, op_type, fn_name):
    """Returns ``(tensor, from_logits)``: the activation's logits when ``output`` carries them.

    Like Keras' ``_get_logits``, any attached logits are used, whichever activation attached
    them (a softmax output given to binary cross-entropy uses the softmax's logits too).
    """
    logits = output._keras_logits if isinstance(output, Tensor) else None
    if logits is None:
        return output, from_logits
    if from_logits:
        warnings.warn(
            f'"`{fn_name}` received `from_logits=True`, but the `output` argument was produced '
            f"by a {op_type} activation and thus does not represent logits. Was this intended?",
            stacklevel=3,
        )
    return logits, True


def _check_same_shape(fn_name, target, output, hint=""):
    if target.shape != output.shape:
        raise ValueError(
            f"{fn_name}: y_true and y_pred must have the same shape{hint}; received "
            f"y_true.shape={target.shape} and y_pred.shape={output.shape}."
        )


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy ``-(t·log p + (1-t)·log(1-p))``.

    Args:
        target: Tensor of labels in [0, 1], of ``output``'s shape.
        output: Tensor of probabilities (or logits when ``from_logits``).
        from_logits: whether ``output`` holds logits.

    Returns:
        A Tensor of ``output``'s shape.

    Raises:
        ValueError: if the shapes differ.
    """
    _check_same_shape("binary_crossentropy", target, output)
    output, from_logits = get_logits(output, from_logits, "Sigmoid", "binary_crossentropy")
    if from_logits:
        return ops.sigmoid_cross_entropy_with_logits(target, output)
    epsilon = config.epsilon()
    # Keras clips the probabilities so log never sees 0 (the gradient is zero where clipped).
    output = ops.clip(output, epsilon, 1.0 - epsilon)
    bce = target * ops.log(output)
    bce = bce + (1.0 - target) * ops.log(1.0 - output)
    return -bce


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per-sample ``-Σ target·log(output)`` over ``axis``.

    Args:
        target: Tensor of one-hot (or soft) labels, of ``output``'s shape.
        output: Tensor of probabilities (or logits when ``from_logits``).
        from_logits: whether ``output`` holds logits.
        axis: the class axis.

    Returns:
        A Tensor of ``output``'s shape without ``axis``.

    Raises:
        ValueError: if the ranks or shapes differ (e.g. integer labels, or one-hot labels with
            another number of classes).
    """
    if target.ndim < 1:
        raise ValueError("categorical_crossentropy: y_true and y_pred must be at least rank 1; "
                         f"received y_true.shape={target.shape}, y_pred.shape={output.shape}.")
    if target.ndim != output.ndim:
        raise ValueError(
            f"categorical_crossentropy: y_true must have the rank of y_pred (one-hot labels); "
            f"received y_true.shape={target.shape} and y_pred.shape={output.shape}. For integer "
            "class labels use sparse_categorical_crossentropy."
        )
    _check_same_shape("categorical_crossentropy", target, output,
                      " (one-hot labels need one column per class of y_pred)")
    output, from_logits = get_logits(output, from_logits, "Softmax", "categorical_crossentropy")
    if from_logits:
        return ops.softmax_cross_entropy_with_logits(target, output, axis=axis)
    # Keras renormalises so each sample's probabilities sum to 1, then clips.
    output = output / ops.sum(output, axis=axis, keepdims=True)
    epsilon = config.epsilon()
    output = ops.clip(output, epsilon, 1.0 - epsilon)
    return -ops.sum(target * ops.log(output), axis=axis)


def _integer_labels(target, output):
    """Returns the labels as an int64 array of ``output.shape[:-1]``, or raises a clear error."""
    labels = np.asarray(getattr(target, "data", target))
    if labels.ndim == output.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.ndim != output.ndim - 1 or labels.shape != output.shape[:-1]:
        hint = (" These look like one-hot labels: use categorical_crossentropy."
                if labels.ndim == output.ndim else "")
        raise ValueError(
            "sparse_categorical_crossentropy expects integer class labels of shape "
            f"{output.shape[:-1]} or {output.shape[:-1] + (1,)} for y_pred of shape "
            f"{output.shape}; received y_true.shape={np.shape(target)}.{hint}"
        )
    labels = labels.astype(np.int64)  # tf.cast truncates float labels the same way
    classes = output.shape[-1]
    # TensorFlow raises on CPU and silently returns nan on GPU for such labels; numpynet always
    # stops with a clear message instead.
    bad = (labels < 0) | (labels >= classes)
    if np.any(bad):
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        first = first[0] if len(first) == 1 else first
        raise ValueError(
            f"sparse_categorical_crossentropy: label {labels[bad][0]} at index {first} is "
            f"outside the valid range [0, {classes}) for y_pred with {classes} classes."
        )
    return labels


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per-sample cross-entropy with integer class labels.

    Args:
        target: integer labels of shape ``output.shape[:-1]`` (or with a trailing 1).
        output: Tensor of probabilities (or logits when ``from_logits``).
        from_logits: whether ``output`` holds logits.
        axis: must be the last axis (as in Keras).

    Returns:
        A Tensor of shape ``output.shape[:-1]``.

    Raises:
        ValueError: for another ``axis``, labels of the wrong shape, or labels outside
            ``[0, classes)`` (naming the first offending label and its index).
    """
    if axis not in (-1, output.ndim - 1):
        raise ValueError(f"sparse_categorical_crossentropy: only axis=-1 is supported; "
                         f"received axis={axis}.")
    output, from_logits = get_logits(output, from_logits, "Softmax",
                                     "sparse_categorical_crossentropy")
    labels = _integer_labels(target, output)
    if not from_logits:
        epsilon = config.epsilon()
        # Keras takes log(clip(p)) as logits: the fused op renormalises by Σ clip(p).
        output = ops.log(ops.clip(output, epsilon, 1.0 - epsilon))
    return ops.sparse_softmax_cross_entropy_with_logits(labels, output)
