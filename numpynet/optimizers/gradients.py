"""What happens to the gradients before an update: skip the missing ones, check and cast the
others, clip them, exactly as Keras does (``optimizers/base_optimizer.py``).

No function here writes into a gradient it is given: clipping returns new arrays.
"""

import warnings

import numpy as np

from numpynet.tensor import Tensor


def filter_empty_gradients(grads, variables):
    """Drops the variables whose gradient is None, warning as Keras does.

    Returns:
        ``(grads, variables)`` without those pairs.

    Raises:
        ValueError: if every gradient is None.
    """
    kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
    if not kept:
        raise ValueError("No gradients provided for any variable.")
    if len(kept) < len(grads):
        missing = [getattr(v, "path", None) or v.name
                   for g, v in zip(grads, variables) if g is None]
        warnings.warn(
            f"Gradients do not exist for variables {missing} when minimizing the loss."
            " If using `model.compile()`, did you forget to provide a `loss` argument?",
            stacklevel=4)
    return [g for g, _ in kept], [v for _, v in kept]


def as_gradient(grad, variable):
    """The gradient as an ndarray of the variable's dtype (a new array only if a cast is needed).

    Raises:
        ValueError: if its shape differs from the variable's.
    """
    grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
    if grad.shape != variable.shape:
        raise ValueError(f"Gradient for variable {getattr(variable, 'path', variable.name)!r} has "
                         f"shape {grad.shape}, expected the variable's shape {variable.shape}.")
    return grad if grad.dtype == variable.dtype else grad.astype(variable.dtype)


def clip_by_norm(grad, clipnorm):
    """Rescales ``grad`` so that its L2 norm is at most ``clipnorm``.

    Keras (``tf.clip_by_norm``) multiplies first and divides by ``max(norm, clipnorm)``, so a
    gradient already inside the ball is returned as ``grad * clipnorm / clipnorm``.

    Args:
        grad: ndarray.
        clipnorm: positive float.

    Returns:
        A new ndarray of the same shape and dtype.
    """
    l2sum = np.sum(np.square(grad))
    l2norm = np.sqrt(l2sum) if l2sum > 0 else l2sum
    # g * c / max(||g||, c)
    return grad * clipnorm / np.maximum(l2norm, clipnorm)


def global_norm(grads):
    """The L2 norm of all the gradients together: ``sqrt(sum of every squared element)``."""
    return np.sqrt(np.sum(np.stack([np.sum(np.square(g)) for g in grads])))


def clip_by_global_norm(grads, clip_norm):
    """Rescales all ``grads`` by one factor so that their global norm is at most ``clip_norm``.

    Args:
        grads: list of ndarrays.
        clip_norm: positive float.

    Returns:
        A list of new ndarrays. A non-finite global norm makes every value NaN, as in Keras.
    """
    use_norm = global_norm(grads)
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero norm gives 1/0 = inf: fine
        # scale = c * min(1/norm, 1/c) = min(1, c/norm)
        scale_for_finite = clip_norm * np.minimum(1.0 / use_norm, 1.0 / clip_norm)
        # Adding (norm - norm) is 0 for a finite norm and NaN for inf/NaN (Keras' trick).
        scale = scale_for_finite + (use_norm - use_norm)
    return [g * scale for g in grads]
