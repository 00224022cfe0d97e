"""Model architecture as plain JSON-friendly dicts, and back.

A functional config lists the layers (class name and constructor config) and the calls that
connect them, in the order they run::

    {"name": "functional", "layers": [{"class_name": "Dense", "config": {...}}, ...],
     "nodes": [{"layer": "dense", "args": [["input_layer", 0]], "kwargs": {}}, ...],
     "inputs": [["input_layer", 0]], "outputs": [["dense", 0]]}

A tensor is referenced as ``[layer name, position among that layer's calls in this model]``
(plus an output index for layers with several outputs). Nothing is pickled: a ``Lambda``
function must be passed again through ``custom_objects``.
"""

from numpynet.custom_objects import custom_object_scope
from numpynet.layers.symbolic import flatten, map_structure


def layer_registry(custom_objects=None):
    """Class name -> class for every numpynet layer and model, plus ``custom_objects``."""
    from numpynet import layers, models
    registry = {name: obj for name, obj in vars(layers).items()
                if isinstance(obj, type) and issubclass(obj, layers.Layer)}
    registry.update(Model=models.Model, Functional=models.Model, Sequential=models.Sequential)
    registry.update({k: v for k, v in (custom_objects or {}).items() if isinstance(v, type)})
    return registry


def serialize_layer(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize_layer(spec, custom_objects=None):
    """Creates a layer from ``{"class_name", "config"}``.

    Raises:
        ValueError: for an unknown class name (the message lists the known ones).
    """
    registry = layer_registry(custom_objects)
    class_name = spec.get("class_name") if isinstance(spec, dict) else None
    if class_name not in registry:
        raise ValueError(f"Unknown layer class {class_name!r}. Known layers: "
                         f"{sorted(registry)}; pass custom layers in custom_objects.")
    config = dict(spec.get("config", {}))
    cls = registry[class_name]
    if class_name == "Lambda":
        config["function"] = _lambda_function(config, custom_objects)
    if hasattr(cls, "_init_graph"):  # a nested model
        return cls.from_config(config, custom_objects)
    # A layer's __init__ resolves its regularizers, constraints... by name: the scope lets a
    # user's function given in custom_objects reach them (Keras' CustomObjectScope).
    with custom_object_scope(custom_objects):
        return cls.from_config(config)


def _lambda_function(config, custom_objects):
    custom_objects = custom_objects or {}
    for key in (config.get("name"), config.get("function")):
        if key in custom_objects and callable(custom_objects[key]):
            return custom_objects[key]
    raise ValueError(f"Lambda layer {config.get('name')!r} wraps the function "
                     f"{config.get('function')!r}, which cannot be stored in a file. Pass it as "
                     f"custom_objects={{{config.get('name')!r}: fn}} when loading.")


def functional_config(model):
    positions = {}  # id(node) -> position among its layer's calls inside this model
    counters = {}
    for node in model._nodes:
        counters[id(node.layer)] = counters.get(id(node.layer), -1) + 1
        positions[id(node)] = counters[id(node.layer)]

    def ref(tensor):
        node = tensor.node
        index = node.outputs.index(tensor) if len(node.outputs) > 1 else None
        base = [node.layer.name, positions[id(node)]]
        return base if index is None else base + [index]

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": [serialize_layer(layer) for layer in model._layers],
        "nodes": [{"layer": node.layer.name,
                   "args": map_structure(ref, node.arguments),
                   "kwargs": node.kwargs}
                  for node in model._nodes if not node.is_input],
        "inputs": map_structure(ref, model._input_struct),
        "outputs": map_structure(ref, model._output_struct),
    }


def functional_from_config(cls, config, custom_objects=None):
    layers = {}
    for spec in config["layers"]:
        layer = deserialize_layer(spec, custom_objects)
        layers[layer.name] = layer
    produced = {}  # (layer name, position) -> outputs of that call
    for name, layer in layers.items():
        if hasattr(layer, "output_tensor"):  # an InputLayer
            produced[(name, 0)] = [layer.output_tensor]
    calls = {}
    for node in config["nodes"]:
        arguments = map_structure(lambda r: _lookup(produced, r), _as_refs(node["args"]))
        outputs = layers[node["layer"]](arguments, **node.get("kwargs", {}))
        position = calls.get(node["layer"], 0)
        calls[node["layer"]] = position + 1
        produced[(node["layer"], position)] = flatten(outputs)
    inputs = map_structure(lambda r: _lookup(produced, r), _as_refs(config["inputs"]))
    outputs = map_structure(lambda r: _lookup(produced, r), _as_refs(config["outputs"]))
    model = cls(inputs, outputs, name=config["name"])
    model.trainable = config.get("trainable", True)
    return model


class _Ref:
    """A tensor reference, kept apart from the lists that hold several arguments."""

    def __init__(self, parts):
        self.parts = list(parts)


def _as_refs(structure):
    if isinstance(structure, list) and structure and isinstance(structure[0], str):
        return _Ref(structure)
    if isinstance(structure, list):
        return [_as_refs(item) for item in structure]
    if isinstance(structure, dict):
        return {k: _as_refs(v) for k, v in structure.items()}
    return structure


def _lookup(produced, ref):
    name, position, *index = ref.parts
    outputs = produced[(name, position)]
    return outputs[index[0] if index else 0]


def sequential_config(model):
    return {"name": model.name, "trainable": model.trainable,
            "layers": [serialize_layer(layer) for layer in model._stack]}


def sequential_from_config(cls, config, custom_objects=None):
    model = cls(name=config["name"])
    for spec in config["layers"]:
        model.add(deserialize_layer(spec, custom_objects))
    model.trainable = config.get("trainable", True)
    return model
