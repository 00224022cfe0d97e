"""Loss gradients against finite differences (float64): every loss over several shapes, with
broadcast weights and labels, a prediction used twice, and hypothesis-drawn shapes and values.

The loss cases (and their NumPy references) are those of ``test_losses.py``.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_losses import CASES, ONE_HOT, WEIGHTS, Y01, Y_PRED, Y_REAL

from numpynet import losses, ops
from numpynet.gradcheck import check_grads


def _off_kinks(x):
    return np.where(x >= 0, x + 0.1, x - 0.1)  # 0.1 away from 0, where |x| and max bend


def _real(u):
    return 4.0 * u - 2.0


def _probs(u):
    return 0.05 + 0.9 * u  # inside (epsilon, 1 - epsilon): no clipping


def _binary(u):
    return (u > 0.5).astype(float)


def _one_hot(u):
    return np.eye(u.shape[-1])[np.argmax(u, axis=-1)]


def _hinge(u, v):
    t = 2.0 * _binary(u) - 1.0
    return _binary(u), t * (1.0 + _off_kinks(_real(v)))  # margin t·p off its kink at 1


# name -> (u, v) -> (y_true, y_pred), from two arrays of uniform [0, 1] draws of y_pred's shape
MAKERS = {
    "mse": lambda u, v: (_real(u), _real(v)),
    "mae": lambda u, v: (_real(u), _real(u) + _off_kinks(_real(v))),
    "mape": lambda u, v: (_off_kinks(_real(u)), _off_kinks(_real(u)) + _off_kinks(_real(v))),
    "msle": lambda u, v: (0.1 + 3 * u, 0.1 + 3 * v),
    "huber": lambda u, v: (_real(u), _real(v)),
    "logcosh": lambda u, v: (_real(u), 3 * _real(v)),
    "cosine": lambda u, v: (_off_kinks(_real(u)), _off_kinks(_real(v))),  # no zero vectors
    "kld": lambda u, v: (_probs(u), _probs(v)),
    "poisson": lambda u, v: (3 * u, 0.1 + 3 * v),
    "hinge": _hinge,
    "squared_hinge": lambda u, v: (2 * _binary(u) - 1, _real(v)),
    "categorical_hinge": lambda u, v: (_one_hot(u), _real(v)),
    **{name: lambda u, v: (_binary(u), _probs(v))
       for name in ("bce", "bce_smoothed", "focal", "focal_balanced")},
    **{name: lambda u, v: (_binary(u), 2 * _real(v)) for name in ("bce_logits", "focal_logits")},
    **{name: lambda u, v: (_one_hot(u), _probs(v)) for name in ("cce", "cce_smoothed")},
    "cce_logits": lambda u, v: (_one_hot(u), 2 * _real(v)),
    "scce": lambda u, v: (np.argmax(u, axis=-1), _probs(v)),
    "scce_logits": lambda u, v: (np.argmax(u, axis=-1)[..., None], 2 * _real(v)),  # (..., 1)
}
LOSSES = {case[0]: case[1] for case in CASES}
# Losses whose labels are continuous, so their gradient is checked too. (Not the hinges, which
# treat labels that are all 0 or 1 differently, nor integer labels.)
SOFT_LABELS = {"mse", "mae", "mape", "msle", "huber", "logcosh", "cosine", "kld", "poisson",
               "bce", "bce_smoothed", "bce_logits", "focal", "focal_balanced", "focal_logits",
               "cce", "cce_smoothed", "cce_logits"}
# y_pred's shape and sample_weight's: per-sample losses have shape[:-1], and the weights of
# shape (batch, 1) broadcast against (batch,) and (batch, steps) as in Keras
SHAPES = [((3,), None), ((5, 4), (5,)), ((5, 4), (5, 1)), ((2, 3, 4), (2, 1)),
          ((2, 3, 4), (2, 3)), ((1, 1), (1,))]


def check_loss_grads(name, y_true, y_pred, sample_weight):
    """Checks the gradient for y_pred, and for y_true when it is continuous, in float64."""
    loss = LOSSES[name]
    if name in SOFT_LABELS:
        return check_grads(lambda t, p: loss(t, p, sample_weight=sample_weight), y_true, y_pred)
    return check_grads(lambda p: loss(y_true, p, sample_weight=sample_weight), y_pred)


def test_every_loss_has_a_maker_and_every_loss_class_a_case():
    assert set(MAKERS) == set(LOSSES)
    loss_classes = {obj for obj in losses.ALL_OBJECTS if isinstance(obj, type)} - {
        losses.Loss, losses.LossFunctionWrapper}
    assert loss_classes == {type(loss) for loss in LOSSES.values()}


@pytest.mark.parametrize("shape,weight_shape", SHAPES, ids=[str(s) for s in SHAPES])
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_gradients_match_finite_differences_over_shapes(name, shape, weight_shape):
    rng = np.random.default_rng(sum(map(ord, name)))
    y_true, y_pred = MAKERS[name](rng.random(shape), rng.random(shape))
    weights = None if weight_shape is None else rng.uniform(0.5, 2.0, weight_shape)
    grads = check_loss_grads(name, y_true, y_pred, weights)
    assert grads[-1].shape == shape
    # not vacuous: only a single value may sit where the loss is flat (beyond the hinge's
    # margin, or a softmax over one class)
    assert np.any(grads[-1] != 0) or y_pred.size == 1


@pytest.mark.parametrize("true_shape", [(1, 4), (4,)])
@pytest.mark.parametrize("name", ["mse", "mae", "mape", "msle", "huber", "logcosh", "cosine",
                                  "kld", "poisson"])
def test_broadcast_labels_get_their_gradient_in_their_own_shape(name, true_shape):
    # one target row for the whole batch: its gradient sums over the batch (unbroadcast)
    u, v = np.random.default_rng(2).random((2, 5, 4))
    y_true, y_pred = MAKERS[name](u, v)
    y_true = y_true[0].reshape(true_shape)
    grads = check_loss_grads(name, y_true, y_pred, WEIGHTS)
    assert [g.shape for g in grads] == [true_shape, (5, 4)]


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_gradients_when_the_prediction_is_used_twice(name):
    # fan-out: p feeds the loss directly and through p·p; the tape must sum both paths
    u, v = np.random.default_rng(1).random((2, 5, 4))
    y_true, y_pred = MAKERS[name](u, v)
    loss = LOSSES[name]
    grads = check_grads(lambda p: loss(y_true, p, sample_weight=WEIGHTS)
                        + loss(y_true, p * p, sample_weight=WEIGHTS), y_pred)
    assert np.any(grads[0] != 0)


def test_one_prediction_feeding_several_losses():
    # z reaches four losses, and the sigmoid output two of them (one through its logits)
    def total(z):
        s = ops.sigmoid(z)
        return (losses.BinaryCrossentropy()(Y01, s, sample_weight=WEIGHTS)
                + losses.MeanSquaredError()(Y01, s) + losses.Huber(0.5)(Y_REAL, z)
                + losses.CategoricalCrossentropy(from_logits=True)(ONE_HOT, z * 2.0))

    check_grads(total, Y_PRED)


SUBSET = ["mse", "mae", "huber", "logcosh", "cosine", "kld", "poisson", "hinge", "bce",
          "bce_logits", "focal", "cce", "cce_logits", "scce", "scce_logits"]


@st.composite
def loss_inputs(draw):
    """Draws ``(u, v, sample_weight)``: uniform arrays of a 1–3 axis shape and optional weights of
    the per-sample shape, or (batch, 1) broadcast against it."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    unit = hnp.arrays(np.float64, shape, elements=st.floats(0, 1))
    weight_shapes = [None] + ([shape[:-1], shape[:1] + (1,)] if len(shape) > 1 else [])
    weight_shape = draw(st.sampled_from(weight_shapes))
    weights = None if weight_shape is None else draw(
        hnp.arrays(np.float64, weight_shape, elements=st.floats(0, 2)))
    return draw(unit), draw(unit), weights


@pytest.mark.parametrize("name", SUBSET)
@settings(max_examples=25, deadline=None)
@given(inputs=loss_inputs())
def test_gradients_of_drawn_shapes_and_values(name, inputs):
    u, v, weights = inputs
    # one class: Keras (and numpynet) squeeze y_pred's trailing 1 before the sparse loss sees it
    assume(not (name.startswith("scce") and u.shape[-1] == 1))
    y_true, y_pred = MAKERS[name](u, v)
    grads = check_loss_grads(name, y_true, y_pred, weights)
    assert grads[-1].shape == u.shape and np.all(np.isfinite(grads[-1]))
