"""The Layer base class: weights, lazy building, names, and the two ways to call a layer.

Calling a layer on arrays or Tensors runs it now (and records the tape). Calling it on the
symbolic tensor of an ``Input`` adds a node to the functional graph instead. Both paths build the
layer on first use from the shape of what it receives, as Keras does.
"""


import numpy as np

from numpynet import config, constraints, initializers, regularizers
from numpynet.layers.symbolic import (
    Node,
    SymbolicTensor,
    flatten,
    is_symbolic,
    map_structure,
    pack_like,
)
from numpynet.naming import UniqueNames, snake_case
from numpynet.tensor import Tensor, Variable, no_grad

unique_name = UniqueNames()  # dense, dense_1... as Keras names layers and models
reset_uids = unique_name.reset  # nn.utils.clear_session()


_CALL_DEPTH = []  # the layers whose eager __call__ is running, outermost first

class Layer:
    """Base class of every layer.

    Subclasses implement ``build(input_shape)`` (create weights with :meth:`add_weight`) and
    ``call(inputs, training=None)`` (compute outputs from Tensors with ``numpynet.ops``).

    Args:
        trainable: whether the layer's weights are updated by training.
        name: unique name; default derived from the class name (``dense``, ``dense_1``...).
        dtype: float type of weights and computations; default ``config.floatx()``.
        activity_regularizer: penalty on the layer's output, added to the loss divided by the
            batch size (as Keras >= 3.14 does).
        input_shape: shape without the batch axis; lets a ``Sequential`` model build at once.
    """

    def __init__(self, *, trainable=True, name=None, dtype=None, activity_regularizer=None,
                 input_shape=None, input_dim=None, **kwargs):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unrecognized keyword arguments {sorted(kwargs)}."
            )
        if name is not None and (not isinstance(name, str) or "/" in name or not name):
            raise ValueError(f"Layer name must be a non-empty string without '/', got {name!r}.")
        self._tracked = []  # sub-layers assigned as attributes
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.dtype = np.dtype(dtype or config.floatx()).name
        self._trainable = bool(trainable)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self.input_spec = None  # {"ndim": int, "axes": {axis: size}} checked on every call
        self._weights = []
        self._inbound_nodes = []
        self._activity_losses = []
        if input_dim is not None:
            input_shape = (input_dim,)
        self._input_shape_arg = None if input_shape is None else tuple(input_shape)

    def __setattr__(self, key, value):
        # Track sub-layers so their weights count as this layer's (as Keras' auto-tracking).
        if isinstance(value, Layer) and key != "_tracked" and hasattr(self, "_tracked"):
            self._tracked.append(value)
        super().__setattr__(key, value)

    # ---------------------------------------------------------------- weights
    def add_weight(self, name=None, shape=(), initializer=None, regularizer=None,
                   trainable=True, dtype=None, constraint=None):
        """Creates a weight of this layer, initialised now.

        The issue's order puts ``name`` first; Keras 3 puts ``shape`` first. Both positional
        forms work: a first argument that is a shape (tuple, list or int) is taken as the shape.

        Args:
            name: short name; the weight's path is ``"<layer name>/<name>"``.
            shape: tuple of ints.
            initializer: initializer object or name (default ``"glorot_uniform"``, as Keras).
            regularizer: optional penalty added to ``layer.losses``.
            trainable: whether the optimizer updates it.
            constraint: optional projection (name, :mod:`numpynet.constraints` object or
                function) that the optimizer applies after each update.
            dtype: default the layer's dtype.

        Returns:
            The new :class:`numpynet.Variable`.
        """
        if not (name is None or isinstance(name, str)):  # Keras' add_weight(shape, ...)
            if shape != () and not isinstance(shape, str):
                raise TypeError(f"Layer {self.name!r}: add_weight got two shapes, {name!r} and "
                                f"{shape!r}; pass name= as a string.")
            name, shape = (shape if isinstance(shape, str) else None), name
        shape = (shape,) if isinstance(shape, (int, np.integer)) else shape
        dtype = dtype or self.dtype
        init = initializers.get(initializer or "glorot_uniform")
        name = name or f"variable_{len(self._weights)}"
        variable = Variable(init(tuple(shape), dtype=dtype), name=name,
                            path=f"{self.name}/{name}", trainable=trainable and self.trainable,
                            regularizer=regularizers.get(regularizer),
                            constraint=constraints.get(constraint),
                            dtype=dtype)
        variable._declared_trainable = bool(trainable)
        self._weights.append(variable)
        return variable

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        # Freezing a layer freezes every weight and sub-layer under it, as in Keras.
        self._trainable = bool(value)
        for variable in self._weights:
            variable.trainable = self._trainable and variable._declared_trainable
        for layer in self._tracked:
            layer.trainable = value

    @property
    def weights(self):
        """All weights: this layer's, then its sub-layers' (no duplicates)."""
        seen, result = set(), []
        for variable in self._weights + [w for layer in self._sublayers() for w in layer.weights]:
            if id(variable) not in seen:
                seen.add(id(variable))
                result.append(variable)
        return result

    @property
    def trainable_weights(self):
        return [w for w in self.weights if w.trainable]

    @property
    def non_trainable_weights(self):
        return [w for w in self.weights if not w.trainable]

    def _sublayers(self):
        return list(self._tracked)

    def get_weights(self):
        """Returns copies of the weight values, in ``weights`` order."""
        return [w.data.copy() for w in self.weights]

    def set_weights(self, weights):
        """Sets the weight values from a list of arrays; changes nothing if any array is wrong.

        Raises:
            ValueError: naming every weight whose shape or dtype does not match, or the count.
        """
        ours = self.weights
        weights = list(weights)
        if len(weights) != len(ours):
            raise ValueError(
                f"Layer {self.name!r} expects {len(ours)} weights "
                f"({[w.path for w in ours]}), but set_weights received {len(weights)}."
            )
        problems = []
        for variable, value in zip(ours, weights):
            try:
                value = np.asarray(value)
            except ValueError:  # ragged nested lists
                problems.append(f"{variable.path}: expected an array of shape {variable.shape}, "
                                "got ragged nested lists")
                continue
            if value.shape != variable.shape:
                problems.append(
                    f"{variable.path}: expected shape {variable.shape}, got {value.shape}")
            elif value.dtype.kind not in "fiu":
                problems.append(f"{variable.path}: expected numbers, got dtype {value.dtype}")
        if problems:
            raise ValueError(f"set_weights on layer {self.name!r} failed; nothing changed. "
                             + "; ".join(problems))
        for variable, value in zip(ours, weights):
            variable.assign(value)

    def count_params(self):
        """Number of scalars in all weights."""
        return int(sum(w.size for w in self.weights))

    # ---------------------------------------------------------------- losses
    @property
    def losses(self):
        """Regularization penalties (scalar Tensors), in Keras' order: the activity penalties of
        the last outermost call (this layer's, then its sublayers'), then the penalties of the
        trainable weights (a frozen weight's regularizer no longer counts, as in Keras)."""
        activity = list(self._activity_losses)
        for layer in self._sublayers():
            activity.extend(layer._all_activity_losses())
        penalties = [w.regularizer(w) for w in self.trainable_weights if w.regularizer is not None]
        return activity + penalties

    def _all_activity_losses(self):
        nested = [loss for layer in self._sublayers() for loss in layer._all_activity_losses()]
        return list(self._activity_losses) + nested

    def _clear_losses(self):
        self._activity_losses = []
        for layer in self._sublayers():
            layer._clear_losses()

    # ---------------------------------------------------------------- build and call
    def build(self, input_shape):
        """Creates the weights once the input shape is known. Default: no weights."""
        self.built = True

    def call(self, inputs, training=None):
        """The layer's computation on Tensors. Subclasses override this."""
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call().")

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (batch axis None).

        The default runs the layer on a batch of two zeros with no tape, which works for any
        layer; layers with an obvious rule override it.
        """
        def dummy(shape):
            return Tensor(np.zeros((2,) + tuple(1 if s is None else s for s in shape[1:])),
                          dtype=self.dtype)
        structure = _shapes_to(input_shape, dummy)
        with no_grad():
            out = self.call(structure, training=False)
        return map_structure(lambda t: (None,) + tuple(t.shape[1:]), out)

    def __call__(self, inputs, training=None, **kwargs):
        if isinstance(inputs, (list, tuple)) and len(inputs) == 0:
            raise ValueError(f"Layer {self.name!r} was called with an empty list of inputs.")
        if is_symbolic(inputs):
            return self._call_symbolic(inputs, training, kwargs)
        inputs = map_structure(self._to_tensor, inputs)
        self._ensure_built(map_structure(lambda t: t.shape, inputs))
        self._check_input_spec(inputs)
        if not _CALL_DEPTH:
            # The outermost call starts afresh, as Keras' call context: `losses` then holds the
            # penalties of this call only (a shared layer called twice inside it keeps both).
            self._clear_losses()
        _CALL_DEPTH.append(self)
        try:
            outputs = self.call(inputs, training=training, **kwargs)
            if self.activity_regularizer is not None:
                self._add_activity_losses(outputs)
        finally:
            _CALL_DEPTH.pop()
        return outputs

    def _to_tensor(self, value):
        if isinstance(value, Tensor):
            # Keras autocasts float inputs to the layer's dtype.
            return value if value.dtype == self.dtype else _cast(value, self.dtype)
        if isinstance(value, SymbolicTensor):
            raise TypeError(f"Layer {self.name!r} received a mix of symbolic and real inputs.")
        return Tensor(value, dtype=self.dtype)

    def _ensure_built(self, input_shape):
        if not self.built:
            self.build(_unwrap_single(input_shape))
            self.built = True

    def _add_activity_losses(self, outputs):
        for output in flatten(outputs):
            penalty = self.activity_regularizer(output)
            if output.ndim > 0:
                # Keras >= 3.14 divides the penalty by the batch size (KERAS_NOTES.md).
                penalty = penalty / float(output.shape[0])
            self._activity_losses.append(penalty)

    def _call_symbolic(self, inputs, training, kwargs):
        shapes = map_structure(_symbolic_shape(self), inputs)
        self._ensure_built(shapes)
        self._check_input_spec(inputs)
        try:
            out_shapes = self.compute_output_shape(_unwrap_single(shapes))
        except ValueError as error:
            raise ValueError(f"Layer {self.name!r} cannot be applied to inputs of shape "
                             f"{_unwrap_single(shapes)}: {error}") from None
        outputs = _shapes_to(out_shapes, lambda s: SymbolicTensor(s, self.dtype))
        flat = flatten(outputs)
        for i, tensor in enumerate(flat):
            tensor.name = f"{self.name}/output" + (f"_{i}" if len(flat) > 1 else "")
        if training is not None:
            kwargs = dict(kwargs, training=training)
        Node(self, inputs, outputs, kwargs)
        return outputs

    def _check_input_spec(self, inputs):
        if self.input_spec is None:
            return
        for i, tensor in enumerate(flatten(inputs)):
            shape = tensor.shape
            ndim = self.input_spec.get("min_ndim")
            if ndim is not None and len(shape) < ndim:
                raise ValueError(
                    f'Input {i} of layer "{self.name}" is incompatible with the layer: expected '
                    f"min_ndim={ndim}, found ndim={len(shape)}. Full shape received: {shape}"
                )
            for axis, size in self.input_spec.get("axes", {}).items():
                if len(shape) >= abs(axis) and shape[axis] not in (size, None):
                    raise ValueError(
                        f'Input {i} of layer "{self.name}" is incompatible with the layer: '
                        f"expected axis {axis} of input shape to have value {size}, but "
                        f"received input with shape {shape}"
                    )

    # ---------------------------------------------------------------- graph access
    def _node_attribute(self, attribute):
        # A shared layer answers with its first call, as Keras 3 does (tf.keras 2 raised);
        # get_input_at / get_output_at reach the other calls.
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called on an Input and "
                                 f"thus has no defined {attribute}.")
        return getattr(self, f"get_{attribute}_at")(0)

    def _node(self, node_index):
        if not -len(self._inbound_nodes) <= node_index < len(self._inbound_nodes):
            raise ValueError(f"Layer {self.name!r} was called {len(self._inbound_nodes)} time(s) "
                             f"on symbolic inputs; node_index {node_index} is out of range.")
        return self._inbound_nodes[node_index]

    def get_input_at(self, node_index):
        """The input of the ``node_index``-th symbolic call of this layer."""
        return _unwrap_single(self._node(node_index).inputs)

    def get_output_at(self, node_index):
        """The output of the ``node_index``-th symbolic call of this layer."""
        return _unwrap_single(self._node(node_index).outputs)

    @property
    def input(self):
        return self._node_attribute("input")

    @property
    def output(self):
        return self._node_attribute("output")

    @property
    def output_shape(self):
        return map_structure(lambda t: t.shape, self.output)

    @property
    def input_shape(self):
        return map_structure(lambda t: t.shape, self.input)

    # ---------------------------------------------------------------- config
    def get_config(self):
        """Returns the constructor arguments as a JSON-friendly dict (Keras' layer config)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"


def _cast(tensor, dtype):
    from numpynet import ops
    return ops.cast(tensor, dtype)


def _symbolic_shape(layer):
    def shape(value):
        if not isinstance(value, SymbolicTensor):
            raise TypeError(f"Layer {layer.name!r} received a mix of symbolic and real inputs: "
                            f"{type(value).__name__} beside symbolic tensors.")
        return value.shape
    return shape


def _is_shape(value):
    return isinstance(value, tuple) and all(s is None or isinstance(s, (int, np.integer))
                                            for s in value)


def _shapes_to(shapes, make):
    """Maps a (nested list of) shape tuple(s) to objects made by ``make(shape)``."""
    if _is_shape(shapes):
        return make(shapes)
    if isinstance(shapes, dict):
        return {k: _shapes_to(v, make) for k, v in shapes.items()}
    return [_shapes_to(s, make) for s in shapes]


def _unwrap_single(structure):
    if isinstance(structure, list) and len(structure) == 1:
        return structure[0]
    return structure


__all__ = ["Layer", "unique_name", "reset_uids", "pack_like"]
