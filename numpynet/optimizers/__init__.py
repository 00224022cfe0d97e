"""Optimizers: how the weights move once the gradients are known (``keras.optimizers``).

Read :mod:`numpynet.optimizers.base` for the pipeline every optimizer shares (clipping, weight
decay, state, iterations), then :mod:`~numpynet.optimizers.sgd` and
:mod:`~numpynet.optimizers.adam` for the update rules.

Example:
    >>> opt = optimizers.get("adam")          # or optimizers.Adam(learning_rate=1e-3)
    >>> opt.apply([w.grad for w in weights], weights)   # updates w.data in place
"""

from numpynet.optimizers.adagrad import Adagrad
from numpynet.optimizers.adam import Adam, AdamW
from numpynet.optimizers.adamax import Adamax
from numpynet.optimizers.base import Optimizer
from numpynet.optimizers.nadam import Nadam
from numpynet.optimizers.rmsprop import RMSprop
from numpynet.optimizers.sgd import SGD

# Keras' lower-case identifiers: "adam", "adamw", "rmsprop"...
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls
                    for cls in (SGD, RMSprop, Adam, AdamW, Adagrad, Adamax, Nadam)}


def serialize(optimizer):
    """Returns the optimizer's config in Keras' format (``class_name`` and ``config``).

    Raises:
        ValueError: if ``optimizer`` is not an :class:`Optimizer`.
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"Cannot serialize {optimizer!r}: expected an Optimizer instance.")
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """Builds an optimizer (without state) from :func:`serialize`'s dict.

    Class names are case-insensitive for the built-in optimizers, as in Keras.

    Args:
        config: dict with ``class_name`` and ``config``.
        custom_objects: optional ``{name: class or function}`` for user-defined objects.

    Raises:
        ValueError: for an unknown class name (the message lists the valid names).
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize optimizer {config!r}: expected a dict with "
                         "'class_name' and 'config'.")
    name = config["class_name"]
    custom_objects = custom_objects or {}
    if name in custom_objects:
        cls = custom_objects[name]
    elif str(name).lower() in ALL_OBJECTS_DICT:
        cls = ALL_OBJECTS_DICT[str(name).lower()]
    else:
        raise ValueError(f"Could not interpret optimizer identifier: {name!r}. Valid names: "
                         f"{sorted(ALL_OBJECTS_DICT)}.")
    return cls.from_config(dict(config.get("config") or {}), custom_objects=custom_objects)


def get(identifier):
    """Resolves an optimizer identifier as ``keras.optimizers.get``.

    Args:
        identifier: None, a name (``"adam"``, with default arguments), a serialized dict, or an
            :class:`Optimizer` instance (returned as is, with its state).

    Returns:
        An :class:`Optimizer`, or None.

    Raises:
        ValueError: if the identifier is not recognised (the message lists the valid names).
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Expected None, "
                     f"a name in {sorted(ALL_OBJECTS_DICT)}, a config dict or an Optimizer "
                     "instance.")


__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adamax", "Nadam",
           "serialize", "deserialize", "get"]
