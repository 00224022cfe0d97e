"""Splitting samples into train and test sets, and one-hot encoding labels."""

import math
import numbers

import numpy as np

from numpynet import config, rng


def generator_for(seed):
    """A private generator for ``seed``, or numpynet's one generator when ``seed`` is None.

    A seeded data split then repeats without disturbing the stream that initializers draw from.
    """
    return np.random.default_rng(seed) if seed is not None else rng.generator()


def train_test_split(x, y, test_size=0.25, seed=None):
    """Shuffles samples and splits them into a training and a test set.

    Args:
        x: an array, or a list/tuple of arrays (one per model input), with samples on axis 0.
        y: the same for the targets.
        test_size: a fraction in (0, 1) of the samples (rounded up, as scikit-learn does) or
            a number of samples.
        seed: an integer for a split that repeats; ``None`` draws from numpynet's generator
            (see :func:`numpynet.set_random_seed`).

    Returns:
        ``x_train, x_test, y_train, y_test`` (scikit-learn's order); lists where a list was
        given.

    Raises:
        ValueError: if the arrays hold different numbers of samples, or ``test_size`` leaves
            the training or the test set empty.
    """
    xs, ys = _as_list(x, "x"), _as_list(y, "y")
    n = len(xs[0])
    for name, array in [("x", a) for a in xs] + [("y", a) for a in ys]:
        if len(array) != n:
            raise ValueError(f"train_test_split: x has {n} samples but {name} has an array with "
                             f"{len(array)}; expected the same number of samples in every array.")
    n_test = _test_count(test_size, n)
    order = generator_for(seed).permutation(n)
    test, train = order[:n_test], order[n_test:]  # scikit-learn's ShuffleSplit takes test first
    pick = lambda arrays, rows, given: (  # noqa: E731
        [a[rows] for a in arrays] if isinstance(given, (list, tuple)) else arrays[0][rows])
    return pick(xs, train, x), pick(xs, test, x), pick(ys, train, y), pick(ys, test, y)


def _as_list(arrays, name):
    if isinstance(arrays, (list, tuple)) and arrays and all(
            isinstance(a, np.ndarray) for a in arrays):
        return list(arrays)
    array = np.asarray(arrays)
    if array.ndim == 0:
        raise ValueError(f"train_test_split: {name} must be an array of samples, got a scalar "
                         f"{arrays!r}.")
    return [array]


def _test_count(test_size, n):
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        n_test = int(test_size)
    elif isinstance(test_size, numbers.Real) and 0.0 < test_size < 1.0:
        n_test = math.ceil(test_size * n)
    else:
        raise ValueError(f"train_test_split: test_size must be a fraction in (0, 1) or a number "
                         f"of samples, got {test_size!r}.")
    if not 0 < n_test < n:
        raise ValueError(f"train_test_split: test_size={test_size!r} gives {n_test} test "
                         f"samples out of {n}; expected at least one sample in each set.")
    return n_test


def one_hot(labels, num_classes=None):
    """One-hot encodes integer class labels, like ``keras.utils.to_categorical``.

    Args:
        labels: integer labels of any shape; a trailing axis of size 1 is dropped, as Keras
            does, so ``(n, 1)`` labels give ``(n, num_classes)``.
        num_classes: the number of classes; ``None`` uses ``max(labels) + 1``.

    Returns:
        ``labels.shape + (num_classes,)`` array of 0.0/1.0 in ``config.floatx()``.

    Raises:
        ValueError: for fractional or negative labels, labels ``>= num_classes``, or no labels
            and no ``num_classes``.
    """
    labels = np.asarray(labels)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.dtype.kind not in "biuf" or (
            labels.dtype.kind == "f" and not np.all(np.isfinite(labels) & (labels % 1 == 0))):
        raise ValueError(f"one_hot expects integer class labels, got dtype {labels.dtype} "
                         f"with values like {labels.ravel()[:3].tolist()}.")
    labels = labels.astype(np.int64)
    if num_classes is None:
        if labels.size == 0:
            raise ValueError("one_hot: num_classes is needed when there are no labels.")
        num_classes = int(labels.max()) + 1
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: labels must be in [0, {num_classes}) for num_classes="
                         f"{num_classes}, got values from {labels.min()} to {labels.max()}.")
    return np.eye(num_classes, dtype=config.floatx())[labels]
