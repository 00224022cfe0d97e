"""Outputs, loss and every gradient of one training step, from both engines, as named dicts.

``keras_step`` uses ``tf.GradientTape`` around Keras' own ``compute_loss`` (which adds the
regularization losses as ``fit`` does); ``numpynet_step`` runs numpynet's forward, loss and
backward without updating. Both return ``{"output": ..., "loss": ..., "<weight path> grad": ...}``
keyed by the numpynet weight paths, so the dicts compare key by key.
"""

import numpy as np

from tf_reference._keras import keras, tf


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def keras_step(keras_model, x, y, sample_weight=None, training=True, names=None):
    """One forward/backward pass of a compiled Keras model, without an update.

    Args:
        keras_model: compiled ``keras.Model``.
        x, y: inputs and targets (arrays or lists of arrays).
        names: weight names to use as keys (default: Keras' variable paths).

    Returns:
        dict of NumPy arrays: ``output`` (or ``output_i``), ``loss``, ``<name> grad``.
    """
    x = [tf.constant(a) for a in _as_list(x)]
    x = x if len(x) > 1 else x[0]
    weights = keras_model.trainable_weights
    with tf.GradientTape() as tape:
        y_pred = keras_model(x, training=training)
        loss = keras_model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                        training=training)
    grads = tape.gradient(loss, weights)
    result = _outputs(y_pred)
    result["loss"] = np.asarray(loss)
    names = names or [w.path for w in weights]
    for name, grad in zip(names, grads):
        result[f"{name} grad"] = np.asarray(grad)
    return result


def numpynet_step(model, x, y, sample_weight=None, training=True):
    """One forward/backward pass of a compiled numpynet model, without an update (same keys)."""
    xs, ys, weights = model._prepare_data(x, y, sample_weight, None)
    trainable = model.trainable_weights
    for w in trainable:
        w.grad = None
    model._clear_losses()
    y_pred = model._flat_outputs(model(xs, training=training))
    loss = model._compute_loss(ys, y_pred, weights, batch_size=len(xs[0]))
    if loss.requires_grad:  # a model without trainable weights has nothing to differentiate
        loss.backward()
    result = _outputs([p.data for p in y_pred])
    result["loss"] = np.asarray(loss.data)
    for w in trainable:
        result[f"{w.path} grad"] = np.zeros_like(w.data) if w.grad is None else w.grad
    return result


def _outputs(y_pred):
    outputs = _as_list(y_pred)
    if len(outputs) == 1:
        return {"output": np.asarray(outputs[0])}
    return {f"output_{i}": np.asarray(o) for i, o in enumerate(outputs)}


def paired_names(model):
    """numpynet weight paths in the (shared) order of the trainable weights."""
    return [w.path for w in model.trainable_weights]


__all__ = ["keras_step", "numpynet_step", "paired_names", "keras"]
