"""The functional ``Model``: a graph of layer calls from ``Input`` tensors to outputs.

``Model(inputs, outputs)`` walks the nodes from the outputs back to the inputs, orders them so
every layer runs after the layers it depends on, and checks the graph (disconnected inputs,
cycles, duplicate names). Running the model replays those calls on real arrays, which records
the tape. Because a model is a layer, it can be called inside another model.
"""

from numpynet.layers.input_layer import InputLayer
from numpynet.layers.layer import Layer, _is_shape
from numpynet.layers.symbolic import SymbolicTensor, flatten, map_structure, pack_like
from numpynet.models.training import Trainer


class Model(Trainer, Layer):
    """A functional model with one or several inputs and outputs.

    Args:
        inputs: an ``Input`` tensor, or a list or dict of them.
        outputs: a symbolic tensor reachable from ``inputs``, or a list or dict of them.
        name: model name (default ``functional``, ``functional_1``...).

    Example:
        >>> x = nn.Input((784,))
        >>> code = nn.layers.Dense(32, activation="relu", name="encoder")(x)
        >>> model = nn.Model(x, nn.layers.Dense(784, activation="sigmoid", name="decoder")(code))
        >>> encoder = nn.Model(model.inputs, model.get_layer("encoder").output)
    """

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        if inputs is None or outputs is None:
            raise ValueError("Model needs both `inputs` and `outputs` (the functional API), "
                             "or use nn.Sequential([...]).")
        Layer.__init__(self, name=name or _default_name(type(self)), **kwargs)
        Trainer.__init__(self)
        self._init_graph(inputs, outputs)

    def _init_graph(self, inputs, outputs):
        self._input_struct = _standardize_struct(inputs)
        self._output_struct = _standardize_struct(outputs)
        self.inputs = flatten(self._input_struct)
        self.outputs = flatten(self._output_struct)
        for where, tensors in (("inputs", self.inputs), ("outputs", self.outputs)):
            for t in tensors:
                if not isinstance(t, SymbolicTensor):
                    raise TypeError(
                        f"Model {where} must be symbolic tensors built from nn.Input(...); "
                        f"got {type(t).__name__}."
                    )
        for t in self.inputs:
            if not isinstance(t._history[0], InputLayer):
                raise ValueError(f"Model inputs must come from nn.Input(); {t.name!r} is the "
                                 f"output of layer {t._history[0].name!r}.")
        self._nodes = _graph_nodes(self.inputs, self.outputs)
        self._layers = _unique([node.layer for node in self._nodes])
        _check_unique_names(self._layers)
        self.built = True

    # ---------------------------------------------------------------- structure
    @property
    def layers(self):
        """The layers of the model in the order they run (``InputLayer`` first)."""
        return list(self._layers)

    def _sublayers(self):
        return [layer for layer in self._layers if not isinstance(layer, InputLayer)] + \
            list(self._tracked)

    @property
    def input_names(self):
        return [t._history[0].name for t in self.inputs]

    @property
    def output_names(self):
        return [t._history[0].name for t in self.outputs]

    @property
    def _target_names(self):
        """The names that key ``y``, losses and metrics: the output names, or the keys of a
        dict of outputs when they differ from them (Keras' ``CompileLoss`` prefers the keys)."""
        outputs = getattr(self, "_output_struct", None)  # an unbuilt Sequential has none yet
        if isinstance(outputs, dict) and set(outputs) != set(self.output_names):
            return sorted(outputs)
        return self.output_names

    def get_layer(self, name=None, index=None):
        """Returns a layer by name or by index in ``layers``.

        Raises:
            ValueError: if no layer has that name (the message lists the layer names).
        """
        if index is not None:
            if not -len(self._layers) <= index < len(self._layers):
                raise ValueError(f"Model {self.name!r} has {len(self._layers)} layers; "
                                 f"index {index} is out of range.")
            return self._layers[index]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r} in model {self.name!r}. Existing layers are: "
                         f"{[layer.name for layer in self._layers]}.")

    # ---------------------------------------------------------------- running
    def call(self, inputs, training=None):
        """Runs the graph on real tensors (recording the tape when gradients are enabled)."""
        flat = self._flatten_inputs(inputs)
        self._check_input_shapes([t.shape for t in flat])
        values = {id(t): v for t, v in zip(self.inputs, flat)}
        for node in self._nodes:
            if node.is_input:
                continue
            arguments = map_structure(lambda t: values[id(t)], node.arguments)
            kwargs = dict(node.kwargs)
            kwargs.setdefault("training", training)
            outputs = node.layer(arguments, **kwargs)
            for tensor, value in zip(node.outputs, flatten(outputs)):
                values[id(tensor)] = value
        return pack_like(self._output_struct, [values[id(t)] for t in self.outputs])

    def _flatten_inputs(self, inputs):
        """Orders the given inputs as ``self.inputs`` (accepts a single value, list or dict)."""
        if isinstance(inputs, dict):
            names = self.input_names
            missing = [n for n in names if n not in inputs]
            extra = [k for k in inputs if k not in names]
            if missing or extra:
                raise ValueError(f"Model {self.name!r} expects inputs named {names}; missing "
                                 f"{missing}, unexpected {extra}.")
            return [inputs[n] for n in names]
        flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} expects {len(self.inputs)} input(s) "
                             f"{self.input_names}, but it received {len(flat)}.")
        return flat

    def _check_input_shapes(self, shapes):
        """Checks each input's rank and known sizes (the batch axis aside), as Keras' input spec
        of a functional model, so a wrong input is named here rather than deep inside."""
        for i, (expected, shape) in enumerate(zip(self.inputs, shapes)):
            shape = tuple(shape)
            sizes = zip(expected.shape[1:], shape[1:])
            if len(shape) != expected.ndim or any(e not in (s, None) and s is not None
                                                  for e, s in sizes):
                raise ValueError(
                    f"Input {i} with name '{expected._history[0].name}' of layer '{self.name}' "
                    f"is incompatible with the layer: expected shape={(None,) + expected.shape[1:]}"
                    f", found shape={shape}")

    def compute_output_shape(self, input_shape):
        shapes = [input_shape] if _is_shape(input_shape) else self._flatten_inputs(input_shape)
        self._check_input_shapes(shapes)
        return map_structure(lambda t: t.shape, self._output_struct)

    def build(self, input_shape=None):
        self.built = True

    # ---------------------------------------------------------------- config
    def get_config(self):
        from numpynet.models.serialization import functional_config
        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from numpynet.models.serialization import functional_from_config
        return functional_from_config(cls, config, custom_objects)

    def summary(self, line_length=None, print_fn=None):
        """Prints Keras' summary table (layers, output shapes, parameters, connections)."""
        from numpynet.models.summary import print_summary
        print_summary(self, line_length=line_length, print_fn=print_fn)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} layers={len(self._layers)}>"


def _default_name(cls):
    from numpynet.layers.layer import unique_name
    from numpynet.naming import snake_case
    return unique_name("functional" if cls is Model else snake_case(cls.__name__))


def _standardize_struct(structure):
    if isinstance(structure, tuple):
        structure = list(structure)
    if isinstance(structure, list) and len(structure) == 1:
        return structure[0]
    return structure


def _graph_nodes(inputs, outputs):
    """Nodes needed to compute ``outputs`` from ``inputs``, in an order where parents come first.

    Raises:
        ValueError: for a graph that needs a tensor the inputs cannot produce ("disconnected"),
            or that contains a cycle.
    """
    input_ids = {id(t) for t in inputs}
    order, state = [], {}  # state: 1 = on the current path, 2 = done
    for output in outputs:
        stack = [(output.node, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                state[id(node)] = 2
                order.append(node)
                continue
            if state.get(id(node)) == 2:
                continue
            if state.get(id(node)) == 1:
                raise ValueError(f"The graph contains a cycle through layer {node.layer.name!r}.")
            state[id(node)] = 1
            stack.append((node, True))
            if node.is_input and id(node.outputs[0]) not in input_ids:
                raise ValueError(
                    f"Graph disconnected: cannot find the value of tensor {node.outputs[0].name!r}"
                    f" (the Input {node.layer.name!r}); it is not among the model's inputs "
                    f"{[t.name for t in inputs]}."
                )
            for parent in reversed(node.inputs):  # visit the first input first
                if state.get(id(parent.node)) == 1:
                    raise ValueError(
                        f"The graph contains a cycle through layer {parent.node.layer.name!r}.")
                stack.append((parent.node, False))
    used_inputs = {id(n.outputs[0]) for n in order if n.is_input}
    for t in inputs:  # an input nothing depends on still belongs to the model
        if id(t) not in used_inputs:
            order.insert(0, t.node)
    return _keras_order(order, outputs)


def _keras_order(nodes, outputs):
    """Sorts nodes as Keras' ``map_graph`` does: by depth from the outputs (deepest first),
    ties by the order in which a depth-first walk from the outputs first meets each layer.
    This gives ``model.layers`` and ``summary()`` Keras' order; parents still run first."""
    first_seen, stack, seen = {}, [t.node for t in reversed(outputs)], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        first_seen.setdefault(id(node.layer), len(first_seen))
        stack.extend(parent.node for parent in reversed(node.inputs))
    depth, layer_depth = {}, {}
    for node in reversed(nodes):  # consumers before their parents
        d = max(depth.get(id(node), 0), layer_depth.get(id(node.layer), 0))
        depth[id(node)] = layer_depth[id(node.layer)] = d
        for parent in node.inputs:
            depth[id(parent.node)] = max(depth.get(id(parent.node), 0), d + 1)
    position = {id(node): i for i, node in enumerate(nodes)}
    return sorted(nodes, key=lambda n: (-depth[id(n)], first_seen.get(id(n.layer), 0),
                                        position[id(n)]))


def _unique(items):
    seen, result = set(), []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            result.append(item)
    return result


def _check_unique_names(layers):
    counts = {}
    for layer in layers:
        counts[layer.name] = counts.get(layer.name, 0) + 1
    for name, count in counts.items():
        if count > 1:
            raise ValueError(f'The name "{name}" is used {count} times in the model. '
                             "All layer names should be unique.")
