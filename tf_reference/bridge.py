"""The bridge: a numpynet model's Keras twin (``to_keras``) and back (``from_keras``).

Both directions rebuild the architecture layer by layer from each layer's config (numpynet
speaks Keras' class and argument names), replay the graph's calls in order, and copy the
weights, which have the same shapes and order on both sides. Nothing random is matched: the
twin computes the same numbers because it holds the same weights.
"""

import inspect

import numpy as np

from tf_reference import keras_extras
from tf_reference._keras import keras

_IGNORED_KERAS_KEYS = {  # Keras config keys with no numpynet meaning, at their harmless values
    "quantization_config": None, "lora_rank": None, "lora_alpha": None, "sparse": False,
    "ragged": False, "optional": False, "synchronized": False, "renorm": False,
    "renorm_clipping": None, "renorm_momentum": 0.99,
    "mask_shape": None, "noise_shape": None, "seed": None, "build_config": None,
    "input_axes": None, "output_axes": None, "data_format": "channels_last",
}


class BridgeError(ValueError):
    """Raised when a layer, argument or function has no twin on the other side."""


# ---------------------------------------------------------------------------- numpynet -> Keras
def to_keras(model, custom_objects=None):
    """Builds the Keras twin of a numpynet model, weights (and compile settings) included.

    Args:
        model: a numpynet ``Model`` or ``Sequential`` (built).
        custom_objects: optional ``{layer name or function name: keras function}`` for
            ``Lambda`` layers whose function is not a ``numpynet.ops`` function, and
            ``{function name: keras function}`` for weight constraints written as functions.

    Returns:
        A ``keras.Model`` with the same layer names, shapes and weights.
    """
    import numpynet as nn

    if not model.built:
        raise BridgeError(f"Model {model.name!r} is not built: call it on data or build() it.")
    if isinstance(model, nn.Sequential):
        twin = keras.Sequential(name=model.name)
        twin.add(keras.Input(shape=model.inputs[0].shape[1:], name=model.input_names[0],
                             dtype=model.inputs[0].dtype.name))
        for layer in model.layers:
            twin.add(_keras_layer(layer, custom_objects))
    else:
        twin = _keras_functional(model, custom_objects)
    _copy_weights(model, twin)
    if getattr(model, "compiled", False):
        twin.compile(**keras_compile_args(model))
    return twin


def _keras_functional(model, custom_objects):
    values, twins = {}, {}
    for node in model._nodes:
        layer = node.layer
        if node.is_input:
            tensor = node.outputs[0]
            values[id(tensor)] = keras.Input(shape=tensor.shape[1:], name=layer.name,
                                             dtype=tensor.dtype.name)
            continue
        if id(layer) not in twins:
            twins[id(layer)] = _keras_layer(layer, custom_objects)
        arguments = _map(lambda t: values[id(t)], node.arguments)
        outputs = twins[id(layer)](arguments, **node.kwargs)
        for tensor, value in zip(node.outputs, _flatten(outputs)):
            values[id(tensor)] = value
    inputs = _map(lambda t: values[id(t)], model._input_struct)
    outputs = _map(lambda t: values[id(t)], model._output_struct)
    return keras.Model(inputs, outputs, name=model.name)


def _keras_layer(layer, custom_objects=None):
    """The Keras layer with the same class, name and configuration as a numpynet layer."""
    import numpynet as nn

    if isinstance(layer, nn.Model):
        return to_keras(layer, custom_objects)
    cls = getattr(keras.layers, type(layer).__name__, None)
    if cls is None:
        raise BridgeError(f"Layer {layer.name!r}: Keras has no layer class "
                          f"{type(layer).__name__!r}.")
    config = {key: _to_keras_value(key, value, layer, custom_objects)
              for key, value in layer.get_config().items()}
    if type(layer).__name__ == "Lambda":
        config.pop("arguments", None)
        if config.get("output_shape") is None:
            config.pop("output_shape", None)
    return cls(**config)


def _to_keras_value(key, value, layer, custom_objects):
    if key.endswith("initializer") and value is not None:
        return keras_extras.keras_initializer(value)
    if key.endswith("regularizer") and value is not None:
        return keras_extras.keras_regularizer(value)
    if key.endswith("constraint") and value is not None:
        return _keras_constraint(value, layer, custom_objects or {})
    if key == "function":
        try:
            return keras_extras.keras_function(layer, custom_objects)
        except ValueError as error:
            raise BridgeError(str(error)) from None
    return value


def _keras_constraint(spec, layer, custom_objects):
    """The Keras constraint for a numpynet layer config's serialized constraint."""
    name = spec["config"] if spec["class_name"] == "function" else spec["class_name"]
    if name in custom_objects:
        return custom_objects[name]
    cls = getattr(keras.constraints, name, None)
    if spec["class_name"] == "function" or cls is None:
        raise BridgeError(f"Layer {layer.name!r}: the constraint {name!r} has no known Keras "
                          f"twin: pass custom_objects={{{name!r}: keras_constraint}}.")
    return cls.from_config(spec["config"])


def _copy_weights(model, twin):
    ours = model.weights
    theirs = twin.weights
    if len(ours) != len(theirs):
        raise BridgeError(f"Weight count differs: numpynet {len(ours)} "
                          f"({[w.path for w in ours]}), Keras {len(theirs)} "
                          f"({[w.path for w in theirs]}).")
    for mine, other in zip(ours, theirs):
        if tuple(other.shape) != mine.shape:
            raise BridgeError(f"Weight {mine.path!r} has shape {mine.shape} but its Keras twin "
                              f"{other.path!r} has shape {tuple(other.shape)}.")
        other.assign(mine.data)


def keras_compile_args(model):
    """The arguments of ``keras.Model.compile`` equivalent to a numpynet model's compile."""
    settings = model._compile_config
    return {
        "optimizer": keras_extras.keras_optimizer(model.optimizer),
        "loss": _map_loss(settings["loss"]),
        "loss_weights": settings["loss_weights"],
        "metrics": _map_metrics(settings["metrics"]),
        "weighted_metrics": _map_metrics(settings["weighted_metrics"]),
    }


def _map_loss(loss):
    if isinstance(loss, (list, tuple)):
        return [_map_loss(item) for item in loss]
    if isinstance(loss, dict):
        return {k: _map_loss(v) for k, v in loss.items()}
    return keras_extras.keras_loss(loss)


def _map_metrics(metrics):
    if metrics is None:
        return None
    if isinstance(metrics, dict):
        return {k: _map_metrics(v) for k, v in metrics.items()}
    if isinstance(metrics, (list, tuple)):
        return [_map_metrics(m) if isinstance(m, (list, tuple, dict)) else
                keras_extras.keras_metric(m) for m in metrics]
    return keras_extras.keras_metric(metrics)


# ---------------------------------------------------------------------------- Keras -> numpynet
def from_keras(keras_model):
    """Builds the numpynet twin of a Keras model made of layers numpynet supports.

    Raises:
        BridgeError: naming the first Keras layer (or argument) numpynet does not support.
    """
    import numpynet as nn

    config = keras_model.get_config()
    if isinstance(keras_model, keras.Sequential):
        twin = nn.Sequential(name=keras_model.name)
        for spec, layer in zip(config["layers"], [None] + list(keras_model.layers)):
            twin.add(_numpynet_layer(spec, layer))
    else:
        twin = _numpynet_functional(keras_model, config)
    _copy_keras_weights(keras_model, twin)
    if getattr(keras_model, "compiled", False):
        twin.compile(**numpynet_compile_args(keras_model))
    return twin


def _copy_keras_weights(keras_model, twin):
    """Copies every Keras layer's weights into its numpynet twin (found by layer name), after
    checking their count and shapes: a mismatch names the layer and both shapes."""
    ours = {layer.name: layer for layer in twin.layers}
    pairs = []
    for layer in keras_model.layers:
        theirs, mine = layer.weights, ours[layer.name].weights
        if len(mine) != len(theirs):
            raise BridgeError(f"Layer {layer.name!r}: Keras has {len(theirs)} weights "
                              f"{[(w.path, tuple(w.shape)) for w in theirs]} but its numpynet "
                              f"twin expects {len(mine)} {[(w.path, w.shape) for w in mine]}.")
        for other, own in zip(theirs, mine):
            if tuple(other.shape) != own.shape:
                raise BridgeError(f"Layer {layer.name!r}: Keras weight {other.path!r} has shape "
                                  f"{tuple(other.shape)} but its numpynet twin {own.path!r} "
                                  f"expects shape {own.shape}.")
        pairs += zip(mine, theirs)
    pairs = list({id(own): (own, other) for own, other in pairs}.values())  # nested sharing
    if not len(pairs) == len(twin.weights) == len(keras_model.weights):
        raise BridgeError(f"Weight count differs: Keras {len(keras_model.weights)} "
                          f"({[w.path for w in keras_model.weights]}), numpynet "
                          f"{len(twin.weights)} ({[w.path for w in twin.weights]}).")
    for own, other in pairs:
        own.assign(np.asarray(other.numpy()).astype(own.dtype))


def numpynet_compile_args(keras_model):
    """The arguments of numpynet's ``compile`` equivalent to a compiled Keras model's.

    Works on Keras' serialized compile config, whose format numpynet's ``deserialize``
    functions read (names stay names; objects come as ``class_name``/``config`` dicts).
    """
    import numpynet as nn

    config = keras_model.get_compile_config()

    def leaves(module, value):
        if isinstance(value, dict) and "class_name" in value:
            return module.deserialize(value)
        if isinstance(value, dict):
            return {k: leaves(module, v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [leaves(module, v) for v in value]
        return value

    return {
        "optimizer": nn.optimizers.deserialize(config["optimizer"]),
        "loss": leaves(nn.losses, config.get("loss")),
        "loss_weights": config.get("loss_weights"),
        "metrics": leaves(nn.metrics, config.get("metrics")),
        "weighted_metrics": leaves(nn.metrics, config.get("weighted_metrics")),
    }


def _numpynet_functional(keras_model, config):
    import numpynet as nn

    by_name = {layer.name: layer for layer in keras_model.layers}
    layers, produced = {}, {}
    for spec in config["layers"]:
        layers[spec["name"]] = _numpynet_layer(spec, by_name.get(spec["name"]))
        if spec["class_name"] == "InputLayer":
            produced[(spec["name"], 0)] = [layers[spec["name"]].output_tensor]
    pending = [(spec["name"], i, node) for spec in config["layers"]
               for i, node in enumerate(spec["inbound_nodes"])]
    while pending:  # Keras' configs list layers in order, but replay until all inputs exist
        progress = False
        for item in list(pending):
            name, index, node = item
            try:
                args = [_resolve(a, produced) for a in node["args"]]
            except KeyError:
                continue
            # Keras records `mask=None` for layers whose call takes a mask (Lambda); numpynet
            # has no masking, so only a real mask would be meaningful.
            kwargs = {k: v for k, v in node.get("kwargs", {}).items()
                      if not (k == "mask" and v is None)}
            outputs = layers[name](*args, **kwargs)
            produced[(name, index)] = _flatten(outputs)
            pending.remove(item)
            progress = True
        if not progress:
            raise BridgeError(f"Cannot replay the Keras graph of {keras_model.name!r}.")
    inputs = [_resolve_history(ref, produced) for ref in _refs(config["input_layers"])]
    outputs = [_resolve_history(ref, produced) for ref in _refs(config["output_layers"])]
    return nn.Model(inputs if len(inputs) > 1 else inputs[0],
                    outputs if len(outputs) > 1 else outputs[0], name=keras_model.name)


def _resolve(arg, produced):
    if isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
        name, node_index, tensor_index = arg["config"]["keras_history"]
        return produced[(name, node_index)][tensor_index]
    if isinstance(arg, list):
        return [_resolve(a, produced) for a in arg]
    return arg


def _refs(value):
    """Keras writes one input as ``[name, node, index]`` and several as a list of those."""
    return [value] if value and isinstance(value[0], str) else value


def _resolve_history(ref, produced):
    name, node_index, tensor_index = ref
    return produced[(name, node_index)][tensor_index]


def _numpynet_layer(spec, keras_layer):
    import numpynet as nn

    class_name = spec["class_name"]
    if keras_layer is not None and isinstance(keras_layer, keras.Model):
        return from_keras(keras_layer)
    cls = getattr(nn.layers, class_name, None)
    if cls is None or not isinstance(cls, type):
        raise BridgeError(f"Keras layer {spec['config'].get('name')!r} of class {class_name!r} "
                          "has no numpynet twin.")
    config = _numpynet_config(cls, spec["config"], keras_layer)
    try:
        return cls.from_config(config)
    except (NotImplementedError, TypeError, ValueError) as error:  # e.g. a weight constraint
        raise BridgeError(f"Keras layer {config.get('name')!r} ({class_name}) has no numpynet "
                          f"twin: {error}") from None


def _numpynet_constraint(spec, layer_name):
    """numpynet's constraint from Keras' serialized one (same class names and configs)."""
    import numpynet as nn

    try:
        return nn.constraints.deserialize(spec)
    except ValueError as error:  # a function or a custom class: nothing to translate it to
        raise BridgeError(f"Keras layer {layer_name!r}: its constraint has no numpynet twin: "
                          f"{error}") from None


def _numpynet_config(cls, config, keras_layer):
    accepted = _accepted_arguments(cls)
    result = {}
    for key, value in config.items():
        if key == "dtype" and isinstance(value, dict):
            value = value["config"]["name"]
        if key.endswith("initializer") and isinstance(value, dict):
            value = keras_extras.numpynet_initializer(value)
        elif key.endswith("regularizer") and value is not None:
            value = keras_extras.numpynet_regularizer(value)
        elif key.endswith("constraint") and value is not None:
            value = _numpynet_constraint(value, config.get("name"))
        elif key == "function":
            try:
                value = keras_extras.numpynet_function(keras_layer)
            except ValueError as error:
                raise BridgeError(str(error)) from None
        if key in accepted:
            result[key] = value
        elif key not in _IGNORED_KERAS_KEYS or _IGNORED_KERAS_KEYS[key] != value:
            raise BridgeError(f"Keras layer {config.get('name')!r} ({cls.__name__}) sets "
                              f"{key}={value!r}, which numpynet does not support.")
    return result


def _accepted_arguments(cls):
    names = set()
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            names |= {p for p in inspect.signature(klass.__init__).parameters if p != "self"}
    return names - {"kwargs", "args"}


def _flatten(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in _flatten(item)]
    return [structure]


def _map(fn, structure):
    if isinstance(structure, (list, tuple)):
        return [_map(fn, item) for item in structure]
    if isinstance(structure, dict):
        return {k: _map(fn, v) for k, v in structure.items()}
    return fn(structure)
