"""What ``TensorBoard(write_graph=True)`` writes: the model's layer graph as a ``GraphDef``.

Keras (on the TensorFlow backend) writes the op graph traced from its train function
(``tf.summary.graph``): thousands of ops whose name scopes TensorBoard's Graphs tab folds into
one box per layer. numpynet traces no ops, so it writes that folded level directly, one node
per layer call:

* ``<model>/<layer>``, op = the layer's class name (``Dense``, ``Concatenate``...), ``input`` =
  the nodes that feed the call, then the weights it reads; a layer called twice (a shared,
  siamese branch) gives ``<model>/<layer>`` and ``<model>/<layer>_1`` (TensorFlow's scope
  names), both reading the same weights;
* an ``Input`` is a ``Placeholder``; a weight is a ``VarHandleOp`` named ``<layer call>/kernel``
  under the layer's first call;
* a model used as a layer becomes a scope ``<model>/<inner model>`` holding its own layer calls,
  with an ``Identity`` node per inner input;
* attributes: ``_output_shapes`` (``-1`` for the batch axis: TensorBoard labels edges with
  them), ``dtype``, and the layer's simple config values (``units``, ``activation``...).

The protos are the classes tensorboardX generates from TensorFlow's own ``graph.proto`` (the
bytes TensorBoard reads in ``Event.graph_def``): no TensorFlow, no hand-written encoding, and no
dependency beyond the tensorboardX the callback already needs.

Keras also writes its model JSON under the tag ``keras`` for the "conceptual graph"; TensorBoard
parses that in Keras' own config layout, which numpynet's config does not copy, so numpynet
writes instead the summary table and its config as text (:func:`model_markdown`, the Text tab).
"""

import itertools
import json

import numpy as np

from numpynet.layers.symbolic import map_structure

_DTYPES = {"float16": "DT_HALF", "float32": "DT_FLOAT", "float64": "DT_DOUBLE",
           "int8": "DT_INT8", "int16": "DT_INT16", "int32": "DT_INT32", "int64": "DT_INT64",
           "uint8": "DT_UINT8", "bool": "DT_BOOL"}


def model_graph_def(model):
    """The ``GraphDef`` of the layer calls of a built functional or Sequential model.

    Raises:
        TypeError: for a model without a layer graph (an unbuilt ``Sequential``).
    """
    if not hasattr(model, "_nodes"):
        raise TypeError(f"{type(model).__name__} {model.name!r} has no layer graph yet "
                        "(build it first)")
    builder = _GraphBuilder()
    builder.add_model(model, model.name, feeds=None)
    return builder.graph


class _GraphBuilder:
    """Adds nodes to one ``GraphDef``, keeping names unique and each weight written once."""

    def __init__(self):
        from tensorboardX.proto.graph_pb2 import GraphDef
        self.graph = GraphDef()
        self.used = set()
        self.weight_nodes = {}  # id(weight) -> its node name (shared weights: one node)

    def add_model(self, model, scope, feeds):
        """Adds one call of ``model`` under ``scope``; returns the names of its outputs.

        ``feeds`` (None at the top level) are the names feeding the model's inputs, in order.
        """
        inputs = dict(zip(map(id, model.inputs), feeds or []))
        tensors = {}  # id(symbolic tensor) -> "node" or "node:k" (TensorFlow's output names)
        for node, name in zip(model._nodes, self._call_names(model._nodes, scope)):
            if node.is_input:
                tensor = node.outputs[0]
                outputs = [self._add_input(name, tensor, inputs.get(id(tensor)))]
            elif hasattr(node.layer, "_nodes"):  # a model used as a layer: its own scope
                feed = node.layer._flatten_inputs(  # orders them as the inner model does
                    map_structure(lambda t: tensors[id(t)], node.arguments))
                outputs = self.add_model(node.layer, name, feed)
            else:
                self._add_layer_call(name, node, [tensors[id(t)] for t in node.inputs])
                outputs = [name if i == 0 else f"{name}:{i}" for i in range(len(node.outputs))]
            tensors.update(zip(map(id, node.outputs), outputs))
        return [tensors[id(t)] for t in model.outputs]

    def _call_names(self, nodes, scope):
        """``scope/layer`` for each layer's first call, then ``scope/layer_1``, ``_2``..."""
        firsts = {}
        for node in nodes:
            firsts.setdefault(id(node.layer), f"{scope}/{node.layer.name}")
        self.used.update(firsts.values())
        names, seen = [], set()
        for node in nodes:
            name = firsts[id(node.layer)]
            if id(node.layer) in seen:
                name = self._unique(name)
            seen.add(id(node.layer))
            names.append(name)
        return names

    def _unique(self, name):
        """``name``, or TensorFlow's next free ``name_1``, ``name_2``... (then reserved)."""
        if name in self.used:
            name = next(f"{name}_{k}" for k in itertools.count(1) if f"{name}_{k}" not in self.used)
        self.used.add(name)
        return name

    def _add_node(self, name, op, inputs, shapes, dtype):
        node = self.graph.node.add(name=name, op=op)
        node.input.extend(inputs)
        node.attr["_output_shapes"].list.shape.extend(_shape_proto(s) for s in shapes)
        node.attr["dtype"].type = _dtype_enum(dtype)
        return node

    def _add_input(self, name, tensor, feed):
        if feed is not None:  # an inner model's input: the value that feeds it
            return self._add_node(name, "Identity", [feed], [tensor.shape], tensor.dtype).name
        node = self._add_node(name, "Placeholder", [], [tensor.shape], tensor.dtype)
        node.attr["shape"].shape.CopyFrom(_shape_proto(tensor.shape))
        return name

    def _add_layer_call(self, name, node, sources):
        weights = [self._weight_node(name, node.layer.name, w) for w in node.layer.weights]
        layer_node = self._add_node(name, type(node.layer).__name__, sources + weights,
                                    [t.shape for t in node.outputs], node.outputs[0].dtype)
        try:
            config = node.layer.get_config()
        except Exception:  # a custom layer without get_config still gets its node
            config = {}
        for key, value in config.items():
            if key not in ("name", "dtype"):
                _set_attr(layer_node.attr, key, value)

    def _weight_node(self, call_name, layer_name, weight):
        if id(weight) not in self.weight_nodes:
            # "dense/kernel" -> "<call>/kernel"; a sublayer's "dense_1/kernel" keeps its scope
            path = weight.path.removeprefix(f"{layer_name}/")
            name = self._unique(f"{call_name}/{path}")
            # A VarHandleOp outputs a handle; _output_shapes holds the value's shape (what its
            # ReadVariableOp would give) so that TensorBoard labels the edge with it.
            node = self._add_node(name, "VarHandleOp", [], [weight.shape], weight.dtype)
            node.attr["shape"].shape.CopyFrom(_shape_proto(weight.shape))
            node.attr["trainable"].b = bool(weight.trainable)
            self.weight_nodes[id(weight)] = name
        return self.weight_nodes[id(weight)]


def _shape_proto(shape):
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=-1 if s is None else int(s))
                                 for s in shape])


def _dtype_enum(dtype):
    from tensorboardX.proto.types_pb2 import DataType
    return DataType.Value(_DTYPES.get(np.dtype(dtype).name, "DT_INVALID"))


def _set_attr(attr, key, value):
    """Stores a config value TensorBoard can show: a scalar, a list of ints, a class name."""
    if isinstance(value, bool):
        attr[key].b = value
    elif isinstance(value, (int, np.integer)):
        attr[key].i = int(value)
    elif isinstance(value, (float, np.floating)):
        attr[key].f = float(value)
    elif isinstance(value, str):
        attr[key].s = value.encode()
    elif isinstance(value, dict) and isinstance(value.get("class_name"), str):
        attr[key].s = value["class_name"].encode()  # an initializer, regularizer...
    elif isinstance(value, (list, tuple)) and value and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        attr[key].list.i.extend(int(v) for v in value)


def model_markdown(model):
    """The model's summary table and JSON config as Markdown code blocks."""
    from numpynet.models.summary import display_class_name, is_sequential_like, summary_text
    width = 88 if is_sequential_like(model) else 108  # Keras' default summary widths
    config = {"class_name": display_class_name(model), "config": model.get_config()}
    config_text = json.dumps(config, indent=2, default=_json_default)
    return f"```\n{summary_text(model, line_length=width)}```\n\n```json\n{config_text}\n```\n"


def _json_default(value):
    if isinstance(value, (np.generic, np.ndarray)):  # NumPy values sneak into configs
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")
