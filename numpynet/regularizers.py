"""Penalties added to the loss, as in `keras.regularizers`, plus the course's sparsity penalties.

A regularizer maps a tensor to a scalar penalty tensor built from :mod:`numpynet.ops`, so its
gradient flows through the same tape as the loss. Pass one to a layer as ``kernel_regularizer``
or ``bias_regularizer`` (penalising weights) or ``activity_regularizer`` (penalising outputs).

Activity penalties: as in the installed Keras (≥ 3.14), a layer divides the value its
``activity_regularizer`` returns by the batch size (``layers/layer.py``); the layer does that
division, not the regularizer. Keras 3.0–3.13 did not divide, tf.keras 2 did.

The Keras penalties have no ½: ``L2(l2)(x) = l2·Σx²`` (the textbook often writes ½·λ·Σw²).
"""

import math

import numpy as np

from numpynet import config, ops
from numpynet.custom_objects import deserialize_object, serialize_function
from numpynet.tensor import Tensor


def _as_tensor(x):
    """Tensors pass through; float arrays keep their dtype, other array-likes become floatx."""
    if isinstance(x, Tensor):
        return x
    array = np.asarray(x)
    return Tensor(array, dtype=array.dtype if array.dtype.kind == "f" else None)


def validate_float_arg(value, name):
    """Returns ``value`` as a float; raises ValueError unless it is a finite number ≥ 0."""
    if (isinstance(value, bool) or not isinstance(value, (float, int))
            or math.isinf(value) or math.isnan(value) or value < 0):
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. "
                         f"Received: {name}={value!r}")
    return float(value)


class Regularizer:
    """Base class: ``__call__(x)`` returns a scalar penalty; ``get_config()`` its arguments."""

    def __call__(self, x):
        """Returns the penalty of ``x`` (zero for the base class)."""
        x = _as_tensor(x)
        return Tensor(0.0, dtype=x.dtype)

    @classmethod
    def from_config(cls, config):
        """Builds a regularizer from the dict that :meth:`get_config` returns."""
        return cls(**config)

    def get_config(self):
        """Returns the constructor arguments as a JSON-serializable dict."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config().")

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class L1L2(Regularizer):
    """``l1·Σ|x| + l2·Σx²``; a factor of 0 leaves its term out.

    Args:
        l1: L1 factor (default 0; the string ``"l1l2"`` also gives 0 and 0, as in Keras).
        l2: L2 factor (default 0).

    Raises:
        ValueError: if a factor is negative, infinite or not a number.
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = validate_float_arg(0.0 if l1 is None else l1, name="l1")
        self.l2 = validate_float_arg(0.0 if l2 is None else l2, name="l2")

    def __call__(self, x):
        x = _as_tensor(x)
        penalty = Tensor(0.0, dtype=x.dtype)
        if self.l1 != 0.0:
            penalty = penalty + _factor(self.l1, x) * ops.sum(ops.abs(x))
        if self.l2 != 0.0:
            penalty = penalty + _factor(self.l2, x) * ops.sum(ops.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1·Σ|x|`` (lasso): pushes values to exactly zero.

    Args:
        l1: factor (default 0.01).
    """

    def __init__(self, l1=0.01):
        self.l1 = validate_float_arg(0.01 if l1 is None else l1, name="l1")

    def __call__(self, x):
        x = _as_tensor(x)
        return _factor(self.l1, x) * ops.sum(ops.abs(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2·Σx²`` (weight decay), with no ½ as in Keras.

    Args:
        l2: factor (default 0.01).
    """

    def __init__(self, l2=0.01):
        self.l2 = validate_float_arg(0.01 if l2 is None else l2, name="l2")

    def __call__(self, x):
        x = _as_tensor(x)
        return _factor(self.l2, x) * ops.sum(ops.square(x))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight towards being mutually orthogonal.

    Penalty: ``factor · 0.5 · Σ_{i≠j} |<u_i, u_j>| / (n(n-1)/2)`` where the ``u_i`` are the
    L2-normalised rows (``mode="rows"``) or columns (``mode="columns"``).

    Args:
        factor: the regularization factor (default 0.01).
        mode: ``"rows"`` or ``"columns"``.

    Raises:
        ValueError: for a bad ``factor`` or ``mode``, or when called on a tensor of rank ≠ 2.
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = validate_float_arg(factor, name="factor")
        if mode not in ("rows", "columns"):
            raise ValueError('Invalid value for argument `mode`. Expected one of {"rows", '
                             f'"columns"}}. Received: mode={mode!r}')
        self.mode = mode

    def __call__(self, x):
        x = _as_tensor(x)
        if x.ndim != 2:
            raise ValueError("Inputs to OrthogonalRegularizer must have rank 2. Received: "
                             f"inputs.shape={x.shape}")
        axis = 1 if self.mode == "rows" else 0
        # Keras normalises with x·min(1/‖x‖, 1/epsilon), so a zero vector stays zero.
        norms = ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))
        units = x * ops.minimum(1.0 / norms, 1.0 / config.epsilon())
        product = units @ units.T if self.mode == "rows" else units.T @ units
        size = product.shape[0]
        off_diagonal = 1.0 - np.eye(size, dtype=x.dtype)
        pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * ops.sum(ops.abs(product * off_diagonal)) / pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


class MeanActivity(Regularizer):
    """``beta · mean(x)``: the course's sparse-autoencoder penalty on the code (numpynet extra).

    With non-negative activations (ReLU codes) it pushes the average activation down, so most
    code units are near zero for any given input. Used as an ``activity_regularizer``, the
    layer divides it by the batch size, as Keras ≥ 3.14 does (see the module docstring).

    Args:
        beta: weight of the penalty (default 0.01).
    """

    def __init__(self, beta=0.01):
        self.beta = validate_float_arg(beta, name="beta")

    def __call__(self, x):
        return self.beta * ops.mean(_as_tensor(x))

    def get_config(self):
        return {"beta": self.beta}


class KLSparsity(Regularizer):
    """KL-divergence sparsity target (Ng's sparse autoencoder; numpynet extra).

    With ``ρ̂_j`` the mean over the batch axis of activation ``j``, clipped to
    ``[epsilon, 1 - epsilon]`` (``config.epsilon()``), the penalty is
    ``beta · Σ_j [ρ·log(ρ/ρ̂_j) + (1-ρ)·log((1-ρ)/(1-ρ̂_j))]``: zero when every unit's mean
    activation equals ``rho``. Activations should lie in (0, 1) (sigmoid codes). Used as an
    ``activity_regularizer``, the layer divides it by the batch size, as Keras ≥ 3.14 does.

    Args:
        rho: target mean activation, strictly between 0 and 1 (default 0.05).
        beta: weight of the penalty (default 1.0).

    Raises:
        ValueError: if ``rho`` is not in (0, 1) or ``beta`` is negative.
    """

    def __init__(self, rho=0.05, beta=1.0):
        rho = validate_float_arg(rho, name="rho")
        if not 0.0 < rho < 1.0:
            raise ValueError(f"Invalid value for argument rho: expected a target activation "
                             f"strictly between 0 and 1. Received: rho={rho!r}")
        self.rho, self.beta = rho, validate_float_arg(beta, name="beta")

    def __call__(self, x):
        x, rho, eps = _as_tensor(x), self.rho, config.epsilon()
        rho_hat = ops.clip(ops.mean(x, axis=0), eps, 1.0 - eps)
        divergence = (rho * ops.log(rho / rho_hat)
                      + (1.0 - rho) * ops.log((1.0 - rho) / (1.0 - rho_hat)))
        return self.beta * ops.sum(divergence)

    def get_config(self):
        return {"rho": self.rho, "beta": self.beta}


_EXTRA_CLASSES = (MeanActivity, KLSparsity)
# Keras' names (regularizers/__init__.py): class names and snake_case forms, "l1l2" included.
ALL_OBJECTS_DICT = {
    "Regularizer": Regularizer, "regularizer": Regularizer, "L1": L1, "l1": L1, "L2": L2,
    "l2": L2, "L1L2": L1L2, "l1l2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer,
    "orthogonal_regularizer": OrthogonalRegularizer,
    # numpynet extras
    "MeanActivity": MeanActivity, "mean_activity": MeanActivity, "KLSparsity": KLSparsity,
    "kl_sparsity": KLSparsity,
}


def serialize(regularizer):
    """Returns the regularizer's config in Keras' format (``class_name`` and ``config``).

    A plain function (``lambda x: 0.1 * ops.mean(x)``) gives Keras' function form
    ``{"class_name": "function", "config": name}``, resolved by :func:`deserialize` through
    ``custom_objects``.

    Raises:
        ValueError: if ``regularizer`` is neither a :class:`Regularizer` nor a callable.
    """
    if regularizer is None:
        return None
    if isinstance(regularizer, Regularizer):
        module = "numpynet.regularizers" if isinstance(regularizer, _EXTRA_CLASSES) else \
            "keras.regularizers"
        return {"module": module, "class_name": type(regularizer).__name__,
                "config": regularizer.get_config(), "registered_name": None}
    if callable(regularizer):
        return serialize_function(regularizer)
    raise ValueError(f"Cannot serialize regularizer {regularizer!r}: expected a Regularizer "
                     "or a callable x -> penalty.")


def deserialize(config, custom_objects=None):
    """Builds a regularizer from a name or a ``{"class_name": ..., "config": ...}`` dict.

    Raises:
        ValueError: for an unknown name (the message lists the valid names) or a bad config.
    """
    return deserialize_object(config, {**ALL_OBJECTS_DICT, "l1_l2": _l1_l2}, custom_objects,
                              "regularizer")


def _l1_l2(l1=0.01, l2=0.01):
    # Keras 3.15 rejects "l1_l2" although L1L2's docstring advertises it with both factors 0.01
    # (tf.keras 2's l1_l2 defaults); numpynet accepts it with those defaults.
    return L1L2(l1=l1, l2=l2)


def get(identifier):
    """Returns a regularizer from None, a name, a config dict, a class or a callable.

    Names: ``"l1"``, ``"l2"``, ``"l1l2"`` (Keras; factors 0), ``"l1_l2"`` (numpynet: factors
    0.01), ``"orthogonal_regularizer"``, ``"mean_activity"``, ``"kl_sparsity"``, and the class
    names.

    Raises:
        ValueError: if ``identifier`` cannot be interpreted (unknown names list the valid ones).
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}. Expected "
                     "None, a name such as 'l2', a config dict, or a callable x -> penalty.")


def _factor(value, x):
    """The penalty factor as Keras applies it: ``ops.cast(l, x.dtype)`` goes through float32 on
    the TensorFlow backend, so in float64 ``0.01`` is used as 0.009999999776482582."""
    from numpynet.optimizers.casting import keras_cast
    return float(keras_cast(value, x.dtype))
