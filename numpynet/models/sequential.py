"""``Sequential``: a functional model built from a list of layers, each feeding the next."""

import numpy as np

from numpynet.layers.input_layer import InputLayer
from numpynet.layers.layer import Layer, unique_name
from numpynet.layers.symbolic import SymbolicTensor
from numpynet.models.functional import Model
from numpynet.models.training import Trainer


class Sequential(Model):
    """A stack of layers. Its graph is built as soon as the input shape is known: from an
    ``Input``/``InputLayer`` first, a first layer given ``input_shape=``, ``build(shape)``, or
    the first batch of data.

    Args:
        layers: optional list of layers.
        name: model name (default ``sequential``, ``sequential_1``...).
    """

    def __init__(self, layers=None, name=None, trainable=True):
        Layer.__init__(self, name=name or unique_name("sequential"), trainable=trainable)
        Trainer.__init__(self)
        self._stack = []
        self._has_graph = False
        self.inputs, self.outputs, self._layers = [], [], []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Appends a layer (or an ``Input`` tensor, first only) and extends the graph."""
        if isinstance(layer, SymbolicTensor) and isinstance(layer._history[0], InputLayer):
            layer = layer._history[0]
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a layer, got {type(layer).__name__}.")
        if isinstance(layer, InputLayer) and self._stack:
            raise ValueError("Sequential: an InputLayer can only be the first layer.")
        if not self._stack and not isinstance(layer, InputLayer) and layer._input_shape_arg:
            self._stack.append(InputLayer(shape=layer._input_shape_arg))
        self._stack.append(layer)
        if isinstance(self._stack[0], InputLayer):
            if self._has_graph:
                layer(self.outputs[0])
                self._init_graph(self.inputs[0], self._stack[-1]._inbound_nodes[-1].outputs[0])
            else:
                self._connect()

    def pop(self):
        """Removes the last layer."""
        if not [layer for layer in self._stack if not isinstance(layer, InputLayer)]:
            raise TypeError("There are no layers in the model to pop.")
        layer = self._stack.pop()
        if self._has_graph and layer._inbound_nodes:
            layer._inbound_nodes.pop()
        self._has_graph = False
        self._connect()

    def _connect(self):
        """Calls every layer on the symbolic output of the one before it."""
        if not self._stack or not isinstance(self._stack[0], InputLayer) or len(self._stack) < 2:
            return
        x = self._stack[0].output_tensor
        for layer in self._stack[1:]:
            x = layer(x)
        self._init_graph(self._stack[0].output_tensor, x)
        self._has_graph = True

    def build(self, input_shape=None):
        """Builds the graph for inputs of ``input_shape`` (with batch axis: ``(None, 784)``)."""
        if self._has_graph:
            return
        if input_shape is None:
            raise ValueError("Sequential.build needs an input shape, e.g. (None, 784).")
        if not self._stack:
            raise ValueError("Sequential: add layers before building the model.")
        self._stack.insert(0, InputLayer(batch_shape=(None,) + tuple(input_shape[1:])))
        self._connect()

    def _ensure_graph(self, x):
        if not self._has_graph:
            first = x[0] if isinstance(x, (list, tuple)) else x
            self.build((None,) + np.shape(getattr(first, "data", first))[1:])

    @property
    def built(self):
        return getattr(self, "_has_graph", False)

    @built.setter
    def built(self, value):
        pass  # a Sequential is built exactly when its graph exists

    @property
    def layers(self):
        """The layers, without the ``InputLayer`` (as Keras' ``Sequential.layers``)."""
        return [layer for layer in self._stack if not isinstance(layer, InputLayer)]

    @property
    def output_names(self):
        if self._has_graph:
            return super().output_names
        return [self._stack[-1].name] if self._stack else []

    def call(self, inputs, training=None):
        self._ensure_graph(inputs)
        return super().call(inputs, training=training)

    def _prepare_data(self, x, y, sample_weight, class_weight):
        if x is not None:
            self._ensure_graph(x)
        return super()._prepare_data(x, y, sample_weight, class_weight)

    def predict(self, x, batch_size=None, verbose="auto", callbacks=None):
        self._ensure_graph(x)
        return super().predict(x, batch_size, verbose, callbacks)

    def summary(self, line_length=None, print_fn=None):
        if not self._has_graph:
            raise ValueError("This model has not yet been built. Build the model first by "
                             "calling `build()` or by calling the model on a batch of data.")
        super().summary(line_length, print_fn)

    def get_config(self):
        from numpynet.models.serialization import sequential_config
        return sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from numpynet.models.serialization import sequential_from_config
        return sequential_from_config(cls, config, custom_objects)
