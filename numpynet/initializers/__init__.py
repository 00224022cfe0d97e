"""Weight initializers: how the first values of every weight are drawn, as in `keras.initializers`.

An initializer is a callable ``init(shape, dtype=None) -> np.ndarray``. The variance-scaling
family (Glorot, He, LeCun) picks the spread of the draw from the weight's *fans*, so that the
variance of activations (or gradients) stays about the same from layer to layer.

Randomness: an initializer built with an integer ``seed`` returns the same values at every call,
as Keras does (Keras draws statelessly from the seed); we draw from a fresh
``np.random.default_rng(seed)`` each call. Without a seed we draw from
:func:`numpynet.rng.generator` at call time, so successive calls differ and
:func:`numpynet.set_random_seed` makes a whole run repeat. (Keras instead fixes a random seed when
an unseeded initializer is made, so the same instance repeats its values.)
"""

import re

import numpy as np

from numpynet.initializers.base import (
    TRUNCATED_STDDEV_CORRECTION, Constant, Identity, Initializer, Ones, Zeros, _dtype,
    compute_fans,
)
from numpynet.initializers.random import (
    GlorotNormal, GlorotUniform, HeNormal, HeUniform, LecunNormal, LecunUniform, Orthogonal,
    RandomInitializer, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
)
from numpynet.tensor import Tensor
from numpynet.custom_objects import deserialize_object, serialize_function

def to_snake_case(name):
    """``"GlorotUniform"`` -> ``"glorot_uniform"``, with Keras' rule (utils/naming.py)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


_CLASSES = (Initializer, Constant, Identity, Ones, Zeros, GlorotNormal, GlorotUniform, HeNormal,
            HeUniform, LecunNormal, LecunUniform, Orthogonal, RandomNormal, RandomUniform,
            TruncatedNormal, VarianceScaling)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update({"IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
                         "normal": RandomNormal, "uniform": RandomUniform, "one": Ones,
                         "zero": Zeros})


def serialize(initializer):
    """Returns the initializer's config in Keras' format (``class_name`` and ``config``).

    A plain function gives Keras' function form ``{"class_name": "function", "config": name}``,
    which :func:`deserialize` resolves through ``custom_objects``.

    Raises:
        ValueError: if ``initializer`` is neither an :class:`Initializer` nor a callable.
    """
    if initializer is None:
        return None
    if isinstance(initializer, Initializer):
        return {"module": "keras.initializers", "class_name": type(initializer).__name__,
                "config": initializer.get_config(), "registered_name": None}
    if callable(initializer):
        return serialize_function(initializer)
    raise ValueError(f"Cannot serialize initializer {initializer!r}: expected an Initializer "
                     "or a callable (shape, dtype=None).")


def deserialize(config, custom_objects=None):
    """Builds an initializer from a name or a ``{"class_name": ..., "config": ...}`` dict.

    Raises:
        ValueError: for an unknown class name (the message lists the valid names).
    """
    return deserialize_object(config, ALL_OBJECTS_DICT, custom_objects, "initializer", "an")


def get(identifier):
    """Returns an initializer from None, a name, a config dict, a class, a callable or an array.

    A name is a class name (``"GlorotUniform"``) or its snake_case form (``"glorot_uniform"``).
    An array becomes a function that returns it (for the same shape only).

    Raises:
        ValueError: if ``identifier`` cannot be interpreted (unknown names list the valid ones).
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, (np.ndarray, np.generic, Tensor)):
        return _array_initializer(np.asarray(identifier))
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}. Expected "
                     "None, a name such as 'glorot_uniform', a config dict, a callable "
                     "(shape, dtype=None) or an array.")


def _array_initializer(values):
    def initialize_fn(shape, dtype=None):
        if tuple(shape) != values.shape:
            raise ValueError(f"Expected `shape` to be {values.shape} for direct tensor as "
                             f"initializer. Received shape={tuple(shape)}")
        return values.astype(_dtype(dtype))

    return initialize_fn
