"""Symbolic tensors and nodes: the functional graph that calling a layer on an ``Input`` builds.

A :class:`SymbolicTensor` holds no values, only a shape (batch axis ``None``) and the call that
produced it. Each call of a layer on symbolic tensors adds a :class:`Node` to that layer. A
functional ``Model`` walks these nodes from its outputs back to its inputs to find what to run.
This graph is separate from the tape: the tape records one forward pass on real arrays.
"""

import numpy as np


class SymbolicTensor:
    """A placeholder for the value a layer will produce (Keras' ``KerasTensor``).

    Args:
        shape: tuple, ``None`` for unknown sizes (the batch axis).
        dtype: the float type of the value.
        name: readable name (``"dense_1/output"``).
    """

    def __init__(self, shape, dtype, name=None):
        self.shape = tuple(None if s is None else int(s) for s in shape)
        self.dtype = np.dtype(dtype)
        self.name = name
        # (layer, node index, tensor index): which call produced this tensor
        self._history = None

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def node(self):
        layer, node_index, _ = self._history
        return layer._inbound_nodes[node_index]

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype} name={self.name!r}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            f"{self!r} is symbolic: it has no values until the model runs. Call the model on "
            "arrays, or use a Lambda layer to apply NumPy/ops functions inside the graph."
        )


class Node:
    """One call of a layer on symbolic inputs.

    Attributes:
        layer: the layer called.
        arguments: the inputs as passed (a tensor, or a list/tuple/dict of tensors).
        inputs: the flat list of input symbolic tensors.
        outputs: the flat list of output symbolic tensors.
        kwargs: extra call arguments, replayed when the model runs.
    """

    def __init__(self, layer, arguments, outputs, kwargs=None):
        self.layer = layer
        self.arguments = arguments
        self.inputs = flatten(arguments)
        self.outputs = flatten(outputs)
        self.kwargs = dict(kwargs or {})
        index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for i, tensor in enumerate(self.outputs):
            tensor._history = (layer, index, i)

    @property
    def parent_nodes(self):
        return [t.node for t in self.inputs]

    @property
    def is_input(self):
        return not self.inputs


def flatten(structure):
    """Flattens nested lists, tuples and dicts into a list.

    Dicts flatten in sorted key order, as Keras' ``tree.flatten`` (optree) does, so a model
    with dict inputs or outputs orders them as Keras does.
    """
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return [structure]


def map_structure(fn, structure):
    """Applies ``fn`` to every leaf of a nested list/tuple/dict, keeping the structure."""
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):  # leaves visited in sorted key order, as flatten; the
        mapped = {key: map_structure(fn, structure[key]) for key in sorted(structure)}
        return {key: mapped[key] for key in structure}  # dict keeps the user's key order
    return fn(structure)


def pack_like(structure, flat):
    """Rebuilds ``structure``'s nesting from the flat list ``flat`` (inverse of flatten)."""
    iterator = iter(flat)
    return map_structure(lambda _: next(iterator), structure)


def is_symbolic(structure):
    """True when any leaf of ``structure`` is a SymbolicTensor."""
    return any(isinstance(leaf, SymbolicTensor) for leaf in flatten(structure))
