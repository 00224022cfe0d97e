"""Turning what users pass to ``fit`` into checked arrays and batches.

``x`` and ``y`` may be an array, a list of arrays (one per input/output) or a dict keyed by
input/output names. Everything is checked once, cast once to the model's float type, and then
sliced into batches (views when not shuffled).
"""

import math

import numpy as np

from numpynet import config, rng


def to_arrays(data, names, role, model_name, float_cast=True):
    """Orders ``data`` as ``names`` and returns a list of checked ndarrays.

    Args:
        data: an array, a list/tuple of arrays, or a dict keyed by name.
        names: the model's input (or output) names, in order.
        role: ``"x"``, ``"y"`` or ``"sample_weight"``, for messages.
        model_name: for messages.
        float_cast: cast floating/bool data to ``config.floatx()`` (integer labels are kept).

    Raises:
        ValueError: for a wrong count, missing or extra dict keys, empty, non-numeric,
            NaN or infinite data, naming the argument and the first bad index.
    """
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        extra = [k for k in data if k not in names]
        if missing or extra:
            raise ValueError(f"{role}: model {model_name!r} expects keys {names}; missing "
                             f"{missing}, unexpected {extra}.")
        items = [(n, data[n]) for n in names]
    else:
        flat = list(data) if isinstance(data, (list, tuple)) else [data]
        if isinstance(data, (list, tuple)) and len(names) == 1 and len(flat) != 1:
            flat = [data]  # a plain nested list is one array, not several inputs
        if len(flat) != len(names):
            raise ValueError(f"{role}: model {model_name!r} expects {len(names)} array(s) "
                             f"for {names}, but received {len(flat)}.")
        items = list(zip(names, flat))
    return [_check_array(value, f"{role}[{name!r}]" if len(names) > 1 else role, float_cast)
            for name, value in items]


def _check_array(value, label, float_cast):
    if value is None:
        raise ValueError(f"{label} is None; expected an array.")
    try:
        array = np.asarray(getattr(value, "data", value))
    except ValueError as error:  # ragged nested lists: rows of different lengths
        raise ValueError(f"{label} cannot be turned into one array ({error}); every sample "
                         "must have the same shape.") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{label} must be numeric, got an array of dtype {array.dtype}"
                        + (f" (first value {array.flat[0]!r})." if array.size else "."))
    if array.ndim == 0:
        raise ValueError(f"{label} must have a batch axis, got a scalar.")
    if len(array) == 0:
        raise ValueError(f"{label} is empty (0 samples).")
    # A NaN or an infinity makes the sum non-finite, so one fast reduction clears finite data;
    # only a non-finite sum (a bad value, or an overflow of finite ones) checks each element.
    if array.dtype.kind == "f" and not _sum_is_finite(array):
        finite = np.isfinite(array)
        if not finite.all():
            index = np.unravel_index(np.argmin(finite), array.shape)
            raise ValueError(f"{label} contains {array[index]} at index {tuple(map(int, index))}; "
                             "NaN and infinite values cannot be trained on.")
    if float_cast and array.dtype.kind in "fb":
        array = array.astype(config.floatx(), copy=False)
    return array


def _sum_is_finite(array):
    with np.errstate(over="ignore", invalid="ignore"):  # inf - inf is NaN: no warning needed
        return bool(np.isfinite(np.sum(array)))


def check_lengths(groups):
    """Checks that every array in every group has the same number of samples.

    Args:
        groups: dict ``role -> list of arrays`` (e.g. ``{"x": [...], "y": [...]}``).

    Returns:
        The common number of samples.
    """
    sizes = {f"{role}[{i}]" if len(arrays) > 1 else role: len(a)
             for role, arrays in groups.items() if arrays for i, a in enumerate(arrays)}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"Data cardinality is ambiguous: the arrays have different numbers of "
                         f"samples: {sizes}. Make sure all arrays contain the same number of "
                         "samples.")
    return next(iter(sizes.values()))


def check_batch_size(batch_size):
    if batch_size is None:
        return 32  # Keras' default
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return int(batch_size)


def check_epochs(epochs, initial_epoch=0):
    """Checks ``fit``'s epoch counts (``epochs=1e3`` is a float: Keras fails inside ``range``)."""
    for name, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}.")


def split_validation(arrays, validation_split):
    """Splits every array into (train, validation), taking the *last* samples as Keras does.

    Args:
        arrays: list of arrays (or None) with the same first dimension.
        validation_split: float in [0, 1).
    """
    if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
        raise ValueError(f"validation_split must be a float in [0, 1), got {validation_split!r}.")
    n = len(next(a for a in arrays if a is not None))
    cut = int(math.floor(n * (1.0 - validation_split)))  # Keras: split_at = floor(n*(1-split))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={validation_split} leaves an empty training or "
                         f"validation set for {n} samples.")
    return ([None if a is None else a[:cut] for a in arrays],
            [None if a is None else a[cut:] for a in arrays])


def batch_indices(n, batch_size, shuffle):
    """Yields index arrays (shuffled) or slices (in order) covering ``range(n)`` in batches."""
    if shuffle:
        order = rng.generator().permutation(n)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]
    else:
        for start in range(0, n, batch_size):
            yield slice(start, min(start + batch_size, n))


def take(arrays, index):
    """Selects one batch from every array (a view for slices, a copy for index arrays)."""
    return [None if a is None else a[index] for a in arrays]


def class_weights_to_sample_weights(y, class_weight):
    """Keras' ``class_weight``: each sample weighs as its class (argmax of one-hot labels)."""
    labels = np.asarray(y)
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = np.argmax(labels, axis=-1)
    labels = labels.reshape(len(labels), -1)[:, 0].astype(np.int64)
    missing = sorted(set(np.unique(labels).tolist()) - set(class_weight))
    if missing:
        raise ValueError(f"class_weight has no entry for classes {missing}.")
    lookup = np.vectorize(lambda c: float(class_weight[c]), otypes=[config.floatx()])
    return lookup(labels)
