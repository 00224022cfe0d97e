"""Keras' custom-object scope: user classes and functions known by name while configs are read.

A saved model stores a user's function or class only by its name. While ``load_model`` (or
``from_config``) rebuilds layers, every deserializer (activations, initializers, regularizers,
constraints, losses, metrics) also looks names up in the active scopes, as Keras'
``CustomObjectScope`` does, so ``custom_objects`` reaches a regularizer deep inside a layer.
"""

import contextlib

_SCOPES = []


@contextlib.contextmanager
def custom_object_scope(objects):
    """Makes ``{name: class or function}`` visible to every deserializer inside the block.

    Example:
        >>> with nn.utils.custom_object_scope({"my_penalty": my_penalty}):
        ...     model = nn.models.load_model("model.numpynet")
    """
    _SCOPES.append(dict(objects or {}))
    try:
        yield
    finally:
        _SCOPES.pop()


def with_scopes(custom_objects=None):
    """The objects of the active scopes, then ``custom_objects`` (which win on a clash)."""
    merged = {}
    for scope in _SCOPES:
        merged.update(scope)
    merged.update(custom_objects or {})
    return merged


__all__ = ["custom_object_scope", "with_scopes"]
