"""Per-class accuracy of a pair-wise ("same class?") classifier, for the course's pairs LAB.

A pair-wise model sees two images and predicts the probability that they show the same class.
Its overall accuracy hides which classes are hard; this breaks it down: the accuracy for class
``c`` is measured over every pair in which *either* image belongs to ``c``.
"""

import numpy as np

from numpynet.metrics.metric import to_array


def per_class_binary_accuracy(class0, class1, y_true, y_pred, threshold=0.5):
    """Binary accuracy of pair predictions, broken down by the classes of the two images.

    Args:
        class0: class of the first image of each pair, shape ``(N,)``.
        class1: class of the second image of each pair, shape ``(N,)``.
        y_true: 1 where the pair shows the same class, else 0; shape ``(N,)`` or ``(N, 1)``.
        y_pred: predicted probabilities (or scores), shape ``(N,)`` or ``(N, 1)``.
        threshold: a pair is predicted "same" when ``y_pred > threshold`` (as BinaryAccuracy).

    Returns:
        Dict ``{class: accuracy}`` over the classes present in ``class0`` or ``class1``, sorted
        by class; a pair of two images of class ``c`` counts once for ``c``.

    Raises:
        ValueError: if the four inputs do not hold the same number of pairs.
    """
    class0, class1 = to_array(class0).reshape(-1), to_array(class1).reshape(-1)
    y_true, y_pred = to_array(y_true).reshape(-1), to_array(y_pred).reshape(-1)
    sizes = {"class0": class0.size, "class1": class1.size, "y_true": y_true.size,
             "y_pred": y_pred.size}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"per_class_binary_accuracy: every input must hold one value per pair; "
                         f"received sizes {sizes}.")
    correct = (y_pred > threshold) == (y_true > 0.5)
    result = {}
    for label in np.union1d(class0, class1):
        involved = (class0 == label) | (class1 == label)
        key = label.item() if hasattr(label, "item") else label
        result[key] = float(np.mean(correct[involved]))
    return result
