"""Weight constraints, as in `keras.constraints`: projections applied after each update.

A constraint maps a weight to a projected copy of it (``MaxNorm(2)(w)`` rescales every column
whose norm exceeds 2). Pass one to a layer as ``kernel_constraint``, ``bias_constraint``,
``gamma_constraint``... : the layer hands it to ``add_weight``, the weight keeps it in
``variable.constraint``, and after every optimizer step (and after weight decay) the optimizer
assigns ``variable.constraint(variable)`` back to the weight (Keras' ``BaseOptimizer.apply``).

A constraint is not a penalty: it adds nothing to the loss and never enters the tape. The
gradient step moves the weight freely, then the projection puts it back into the allowed set,
which is why constraints here are plain NumPy. The projection keeps the weight's dtype (a
float32 kernel stays float32: the constants are Python floats).

The norm-based constraints add ``config.epsilon()`` to the norm before dividing, as Keras does,
so an all-zero column stays zero instead of becoming NaN; the price is that a projected norm is
``max_value · norm / (norm + 1e-7)``, a hair under the target.
"""

import numpy as np

from numpynet import config
from numpynet.custom_objects import deserialize_object, serialize_function
from numpynet.tensor import Tensor


class Constraint:
    """Base class: ``__call__(w)`` returns the projected weight; this one returns ``w`` as is.

    Subclass it and override ``__call__`` (and ``get_config`` if the constructor takes
    arguments)::

        class Symmetric(Constraint):
            def __call__(self, w):
                w = np.asarray(getattr(w, "data", w))
                return (w + w.T) / 2.0
    """

    def __call__(self, w):
        """Returns the projection of ``w`` (for the base class, ``w`` unchanged)."""
        return w

    def get_config(self):
        """Returns the constructor arguments as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Builds a constraint from the dict that :meth:`get_config` returns."""
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def _as_float_array(w):
    """The values of ``w``: float arrays keep their dtype, anything else becomes floatx."""
    array = w.data if isinstance(w, Tensor) else np.asarray(w)
    return array if array.dtype.kind == "f" else array.astype(config.floatx())


def _like_input(w, result):
    """A Tensor in gives a Tensor out (off the tape, like Keras' tensor result), else an array."""
    return Tensor(result, dtype=result.dtype) if isinstance(w, Tensor) else result


def _norms(constraint, w):
    """``sqrt(Σ w²)`` over ``constraint.axis``, kept as size-1 axes so it broadcasts back."""
    axis = constraint.axis
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    try:
        return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))
    except np.exceptions.AxisError:
        raise ValueError(f"{type(constraint).__name__}(axis={constraint.axis!r}) cannot be "
                         f"applied to a weight of shape {w.shape}: axis out of range. For a "
                         "Dense kernel (input_dim, units), axis=0 constrains each unit's "
                         "incoming weights.") from None


class MaxNorm(Constraint):
    """Rescales each weight vector whose L2 norm exceeds ``max_value`` down to that norm.

    ``w · clip(‖w‖, 0, max_value) / (epsilon + ‖w‖)``, the norm taken over ``axis``. The
    max-norm regularization of Srivastava et al. (2014), often paired with dropout.

    Args:
        max_value: the largest norm allowed (default 2).
        axis: axis or list of axes along which the norms are taken (default 0). For a Dense
            kernel of shape ``(input_dim, units)``, ``axis=0`` constrains the incoming weights
            of each unit (each column).
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        array = _as_float_array(w)
        norms = _norms(self, array)
        desired = np.clip(norms, 0.0, float(self.max_value))
        return _like_input(w, array * (desired / (config.epsilon() + norms)))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each weight vector's L2 norm into ``[min_value, max_value]``, at a given rate.

    The desired norm is ``rate · clip(‖w‖, min_value, max_value) + (1 - rate) · ‖w‖`` and the
    result is ``w · desired / (epsilon + ‖w‖)``: ``rate=1`` enforces the bounds at once, a
    smaller rate moves the norm part of the way at every step.

    Args:
        min_value: the smallest norm allowed (default 0).
        max_value: the largest norm allowed (default 1).
        rate: how far to move towards the interval at each step (default 1).
        axis: axis or list of axes along which the norms are taken (default 0).
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        array = _as_float_array(w)
        norms = _norms(self, array)
        rate = float(self.rate)
        clipped = np.clip(norms, float(self.min_value), float(self.max_value))
        desired = rate * clipped + (1.0 - rate) * norms  # Keras' order of operations
        return _like_input(w, array * (desired / (config.epsilon() + norms)))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero: ``maximum(w, 0)``."""

    def __call__(self, w):
        array = _as_float_array(w)
        return _like_input(w, np.maximum(array, 0.0))


class UnitNorm(Constraint):
    """Scales each weight vector to unit L2 norm: ``w / (epsilon + ‖w‖)``.

    Args:
        axis: axis or list of axes along which the norms are taken (default 0).
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        array = _as_float_array(w)
        return _like_input(w, array / (config.epsilon() + _norms(self, array)))

    def get_config(self):
        return {"axis": self.axis}


# Keras' lower-case aliases (keras.constraints.max_norm is the class MaxNorm).
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm

_CLASSES = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
# Keras' names (constraints/__init__.py): each class name and its snake_case form.
ALL_OBJECTS_DICT = {
    "Constraint": Constraint, "constraint": Constraint, "MaxNorm": MaxNorm, "max_norm": MaxNorm,
    "MinMaxNorm": MinMaxNorm, "min_max_norm": MinMaxNorm, "NonNeg": NonNeg, "non_neg": NonNeg,
    "UnitNorm": UnitNorm, "unit_norm": UnitNorm,
}


def serialize(constraint):
    """Returns the constraint's config in Keras' format (``class_name`` and ``config``).

    A plain function (``lambda w: np.clip(w.data, -1, 1)``) gives Keras' function form
    ``{"class_name": "function", "config": name}``, resolved by :func:`deserialize` through
    ``custom_objects``; so does a user's Constraint subclass, by its class name.

    Raises:
        ValueError: if ``constraint`` is neither a :class:`Constraint` nor a callable.
    """
    if constraint is None:
        return None
    if isinstance(constraint, Constraint):
        builtin = type(constraint) in _CLASSES
        name = type(constraint).__name__
        return {"module": "keras.constraints" if builtin else type(constraint).__module__,
                "class_name": name, "config": constraint.get_config(),
                "registered_name": None if builtin else name}
    if callable(constraint):
        return serialize_function(constraint)
    raise ValueError(f"Cannot serialize constraint {constraint!r}: expected a Constraint "
                     "or a callable w -> projected w.")


def deserialize(config, custom_objects=None):
    """Builds a constraint from a name or a ``{"class_name": ..., "config": ...}`` dict.

    Args:
        config: a name (``"max_norm"``, ``"MaxNorm"``) or a dict from :func:`serialize`.
        custom_objects: optional ``{name: class or function}`` for user constraints.

    Raises:
        ValueError: for an unknown name (the message lists the valid names) or a bad config.
    """
    return deserialize_object(config, ALL_OBJECTS_DICT, custom_objects, "constraint")


def get(identifier):
    """Returns a constraint from None, a name, a config dict, a class or a callable.

    Names: ``"max_norm"``, ``"min_max_norm"``, ``"non_neg"``, ``"unit_norm"`` and the class
    names; a name or a class gives an instance with the default arguments. Any other callable
    (a function ``w -> projected w``) is returned as is.

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
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}. Expected "
                     "None, a name such as 'max_norm', a config dict, or a callable "
                     "w -> projected w.")


__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "max_norm",
           "min_max_norm", "non_neg", "unit_norm", "serialize", "deserialize", "get"]
