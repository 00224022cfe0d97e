"""Balanced pairs of samples for pair-wise ("are these the same class?") classification."""

import numbers

import numpy as np

from numpynet import config
from numpynet.datasets.split import generator_for


def make_pairs(x, y, pairs_per_class, seed=None):
    """Draws, for every class, as many "same class" pairs as "different class" pairs.

    For each class ``c``: ``pairs_per_class`` pairs of two *different* samples of ``c``
    (``same = 1``) and ``pairs_per_class`` pairs of a sample of ``c`` with a sample of another
    class, that class drawn uniformly among the others (``same = 0``). Every class is thus
    the first member of ``2 * pairs_per_class`` pairs, half of them positive, so a classifier
    cannot win by favouring a class or an answer. All pairs are shuffled together.

    Args:
        x: samples, shape ``(n, ...)``.
        y: integer class labels, shape ``(n,)``.
        pairs_per_class: positive pairs (and negative pairs) per class.
        seed: an integer for pairs that repeat; ``None`` draws from numpynet's generator.

    Returns:
        ``(x0, x1, same, class0, class1)``: the two samples of each pair ``(2 * pairs_per_class
        * num_classes, ...)``, ``same`` of shape ``(pairs,)`` in ``config.floatx()`` (1.0 for
        the same class, 0.0 otherwise), and each sample's class as int64.

    Raises:
        ValueError: if ``x`` and ``y`` differ in length, ``y`` is not 1-D integers,
            ``pairs_per_class`` is not a positive integer, there are fewer than two classes,
            or a class has fewer than two samples.
    """
    x, y = _check(x, y, pairs_per_class)
    generator = generator_for(seed)
    classes = np.unique(y)
    members = [np.flatnonzero(y == c) for c in classes]
    sizes = np.array([len(m) for m in members])
    for c, size in zip(classes, sizes):
        if size < 2:
            raise ValueError(f"make_pairs: class {c} has {size} sample; expected at least two "
                             "to draw a 'same class' pair of different samples.")
    k, num = int(pairs_per_class), len(classes)
    grouped, starts = np.concatenate(members), np.concatenate([[0], np.cumsum(sizes)[:-1]])
    first, second = [], []
    for i, own in enumerate(members):
        anchors = generator.integers(0, len(own), 2 * k)
        # A shift of 1..size-1 positions gives a uniformly chosen *other* sample of the class.
        partners = (anchors[:k] + generator.integers(1, len(own), k)) % len(own)
        other = (i + generator.integers(1, num, k)) % num  # uniform over the other classes
        strangers = generator.integers(0, sizes[other])
        first.append(own[anchors])
        second.append(np.concatenate([own[partners], grouped[starts[other] + strangers]]))
    order = generator.permutation(2 * k * num)
    i0, i1 = np.concatenate(first)[order], np.concatenate(second)[order]
    same = (y[i0] == y[i1]).astype(config.floatx())
    return x[i0], x[i1], same, y[i0].astype(np.int64), y[i1].astype(np.int64)


def _check(x, y, pairs_per_class):
    x, y = np.asarray(x), np.asarray(y)
    if y.ndim != 1 or (y.size and y.dtype.kind not in "iu"):
        raise ValueError(f"make_pairs expects y as integer class labels of shape (n,), got "
                         f"dtype {y.dtype} and shape {y.shape} (one-hot labels need argmax).")
    if len(x) != len(y):
        raise ValueError(f"make_pairs: x has {len(x)} samples but y has {len(y)} labels.")
    if not isinstance(pairs_per_class, numbers.Integral) or isinstance(pairs_per_class, bool) \
            or pairs_per_class < 1:
        raise ValueError(f"make_pairs: pairs_per_class must be a positive integer, got "
                         f"{pairs_per_class!r}.")
    if len(np.unique(y)) < 2:
        raise ValueError(f"make_pairs needs at least two classes, got {np.unique(y).tolist()}.")
    return x, y
