"""The ``Loss`` base class and the reduction of per-sample losses to one number.

Mirrors ``keras/src/losses/loss.py``. A loss is called as ``loss(y_true, y_pred, sample_weight)``:
its :meth:`Loss.call` computes one value per sample (a Tensor on the tape), then
:func:`reduce_weighted_values` multiplies by the sample weights and reduces. Everything is built
from :mod:`numpynet.ops` primitives, so the backward pass comes for free.
"""

import weakref

import numpy as np

from numpynet import ops
from numpynet.naming import snake_case
from numpynet.tensor import Tensor

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

# Keras attaches a boolean mask to some per-sample losses (SparseCategoricalCrossentropy with
# ignore_class). Tensor has fixed __slots__, so numpynet keeps the masks beside the tensors.
_MASKS = weakref.WeakKeyDictionary()


def set_keras_mask(tensor, mask):
    """Remembers a boolean ``mask`` for ``tensor`` (``keras.backend.set_keras_mask``)."""
    _MASKS[tensor] = None if mask is None else np.asarray(mask, dtype=bool)


def get_keras_mask(tensor):
    """Returns the mask set with :func:`set_keras_mask`, or None."""
    return _MASKS.get(tensor) if isinstance(tensor, Tensor) else None


def standardize_reduction(reduction):
    """Checks a ``reduction`` argument against the names Keras accepts.

    Raises:
        ValueError: if ``reduction`` is not one of :data:`REDUCTIONS`.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`: {reduction!r}. "
            f"Expected one of {list(REDUCTIONS)}."
        )
    return reduction


def convert_inputs(y_true, y_pred, dtype=None):
    """Makes ``y_pred`` a Tensor and ``y_true`` a Tensor of the same float dtype.

    An ndarray ``y_pred`` becomes a constant of ``dtype`` (default ``config.floatx()``); a Tensor
    keeps its tape (and its ``_keras_logits``) unless a different ``dtype`` forces a cast.
    """
    if not isinstance(y_pred, Tensor):
        y_pred = Tensor(y_pred, dtype=dtype)
    elif dtype is not None and y_pred.dtype != np.dtype(dtype):
        y_pred = ops.cast(y_pred, dtype)
    if isinstance(y_true, Tensor):
        y_true = ops.cast(y_true, y_pred.dtype)
    else:
        y_true = Tensor(y_true, dtype=y_pred.dtype)
    return y_true, y_pred


def _squeeze_last(x):
    return ops.squeeze(x, -1) if isinstance(x, Tensor) else np.squeeze(x, -1)


def _expand_last(x):
    return ops.expand_dims(x, -1) if isinstance(x, Tensor) else np.expand_dims(x, -1)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Squeezes or expands the last axis when the ranks differ by exactly one (as Keras).

    A trailing axis of size 1 is squeezed from the higher-rank input, except that a rank-1
    partner is expanded instead when ``expand_rank_1`` (so ``(N,)`` meets ``(N, 1)`` as
    ``(N, 1)``). Works on Tensors (keeping the tape) and on ndarrays.
    """
    rank1, rank2 = np.ndim(x1), np.ndim(x2)
    if rank1 == rank2 + 1 and np.shape(x1)[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = _expand_last(x2)
        else:
            x1 = _squeeze_last(x1)
    if rank2 == rank1 + 1 and np.shape(x2)[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = _expand_last(x1)
        else:
            x2 = _squeeze_last(x2)
    return x1, x2


def apply_mask(sample_weight, mask, dtype, reduction):
    """Folds a boolean mask into the sample weights (``keras.losses.loss.apply_mask``).

    For the mean reductions, valid entries get weight ``total / valid`` so that dividing by the
    full count later gives the mean over the valid entries only.
    """
    if mask is None:
        return sample_weight
    mask = np.asarray(mask, dtype=bool)
    if reduction in ("mean", "sum_over_batch_size"):
        total, valid = np.array(mask.size, dtype), np.sum(mask, dtype=dtype)
        mask_weight = total / valid if valid else np.zeros((), dtype)
        float_mask = np.where(mask, mask_weight, np.zeros((), dtype)).astype(dtype)
    else:
        float_mask = mask.astype(dtype)
    if sample_weight is None:
        return float_mask
    sample_weight = np.asarray(getattr(sample_weight, "data", sample_weight), dtype=dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    return sample_weight * float_mask


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Sums ``values`` and divides as ``reduction`` asks (``keras.losses.loss.reduce_values``)."""
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    loss = ops.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = float(np.sum(sample_weight.data))
        else:
            # Keras divides by the number of loss values even when sample weights are given.
            divisor = float(values.size)
        # divide_no_nan: an empty or all-zero-weight batch gives 0, not nan
        loss = loss / divisor if divisor != 0.0 else ops.where(False, loss, 0.0)
    return loss


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size"):
    """Weights the per-sample ``values`` and reduces them to the loss.

    Args:
        values: Tensor of per-sample (or per-element) losses.
        sample_weight: optional array-like broadcastable to ``values`` after
            :func:`squeeze_or_expand_to_same_rank`; treated as a constant.
        mask: optional boolean array of ``values``' shape (entries to keep).
        reduction: one of :data:`REDUCTIONS`.

    Returns:
        A scalar Tensor, or the weighted values for reduction ``"none"``/None.
    """
    reduction = standardize_reduction(reduction)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        sample_weight = Tensor(getattr(sample_weight, "data", sample_weight), dtype=values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base class of losses, as ``keras.losses.Loss``.

    Subclasses implement :meth:`call`, which returns one loss value per sample; calling the loss
    weights and reduces those values.

    Args:
        name: name of the loss; default derived from the class name.
        reduction: ``"sum_over_batch_size"`` (default: sum divided by the number of values, even
            with sample weights), ``"sum"``, ``"mean"`` (same as the default),
            ``"mean_with_sample_weight"`` (sum divided by the sum of the weights), ``"none"`` or
            None (no reduction).
        dtype: float type of the computation. Default None keeps ``y_pred``'s dtype (numpynet
            tensors already carry ``config.floatx()``; Keras casts to floatx here).

    Raises:
        ValueError: for an unknown ``reduction``.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        # Keras also makes default names unique (loss, loss_1); a loss name never reaches logs.
        self.name = name or snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self.dtype = None if dtype is None else np.dtype(dtype).name

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Returns the reduced loss (a scalar Tensor unless ``reduction`` is ``"none"``)."""
        y_true, y_pred = convert_inputs(y_true, y_pred, self.dtype)
        losses = self.call(y_true, y_pred)
        return reduce_weighted_values(losses, sample_weight, get_keras_mask(losses),
                                      self.reduction)

    def call(self, y_true, y_pred):
        """Returns the per-sample losses as a Tensor (implemented by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """Turns a function ``fn(y_true, y_pred, **kwargs) -> per-sample losses`` into a Loss.

    Args:
        fn: the loss function.
        reduction, name, dtype: as :class:`Loss`.
        **kwargs: keyword arguments passed to ``fn`` on every call.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        from numpynet.losses import serialize

        return {**super().get_config(), "fn": serialize(self.fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        from numpynet.losses import deserialize

        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self):
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, " \
               f"kwargs={self._fn_kwargs})>"
