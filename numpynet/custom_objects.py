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





def serialize_function(fn):
    """Keras' config of a plain function: stored by name, found again through custom_objects."""
    name = getattr(fn, "__name__", type(fn).__name__)
    return {"module": getattr(fn, "__module__", None), "class_name": "function",
            "config": name, "registered_name": name}


def deserialize_object(config, objects, custom_objects, kind, article="a"):
    """Keras' resolution of a name or a ``{"class_name", "config"}`` dict, shared by the
    initializers, regularizers and constraints.

    Args:
        config: a name, a ``{"class_name": ..., "config": ...}`` dict, or Keras' function form
            ``{"class_name": "function", "config": name}``.
        objects: the built-in ``{name: class or factory}``.
        custom_objects: the caller's ``{name: class or function}`` (the active scopes join).
        kind: ``"regularizer"``..., for the messages.
        article: ``"a"`` or ``"an"`` before ``kind``.

    Raises:
        ValueError: for an unknown name (listing the valid ones), a function not in
            ``custom_objects``, or a config of another shape.
    """
    custom_objects = with_scopes(custom_objects)
    table = {**objects, **custom_objects}
    if isinstance(config, str):
        name, arguments = config, {}
    elif isinstance(config, dict) and config.get("class_name") == "function":
        name = config.get("config")
        if name not in custom_objects:
            raise ValueError(f"Cannot deserialize the custom {kind} function {name!r}: pass it "
                             f"in custom_objects={{{name!r}: function}}.")
        return custom_objects[name]
    elif isinstance(config, dict) and "class_name" in config:
        name, arguments = config["class_name"], config.get("config") or {}
    else:
        raise ValueError(f"Cannot deserialize {article} {kind} from {config!r}: expected a "
                         "name or a dict with 'class_name' and 'config' keys.")
    if name not in table:
        raise ValueError(f"Could not interpret {kind} identifier: {name!r}. "
                         f"Valid names are: {sorted(table)}.")
    factory = table[name]
    return factory.from_config(arguments) if isinstance(factory, type) else factory(**arguments)
__all__ = ["custom_object_scope", "with_scopes", "serialize_function", "deserialize_object"]
