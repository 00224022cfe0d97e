"""Core layers: ``Dense`` (the fully connected layer), ``Activation`` and ``Lambda``.

Read this after :mod:`numpynet.ops`. A layer is a small object that owns weights and composes
primitives in ``call``; it needs no backward code, because every primitive already knows its
own VJP and the tape chains them.
"""

from numpynet import activations, constraints, initializers, nn_ops, ops, regularizers
from numpynet.layers.layer import Layer


class Dense(Layer):
    """Fully connected layer: ``output = activation(inputs @ kernel + bias)``.

    Args:
        units: size of the output's last axis.
        activation: activation name or function (default: none, i.e. linear).
        use_bias: whether to add a bias vector.
        kernel_initializer: default ``"glorot_uniform"`` (as Keras).
        bias_initializer: default ``"zeros"``.
        kernel_regularizer, bias_regularizer: optional weight penalties (``layer.losses``).
        activity_regularizer: optional penalty on the output (divided by batch size, as Keras).
        kernel_constraint, bias_constraint: optional projections (``numpynet.constraints``,
            or a name such as ``"max_norm"``) that the optimizer applies after each update.

    Shapes:
        input ``(batch, ..., input_dim)`` → output ``(batch, ..., units)``;
        kernel ``(input_dim, units)``, bias ``(units,)``.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense: `units` must be a positive integer, got {units!r}.")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.kernel = self.bias = None

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Dense {self.name!r}: the last axis of the input must be known, "
                             f"got shape {input_shape}.")
        self.kernel = self.add_weight("kernel", (input_dim, self.units), self.kernel_initializer,
                                      self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                        self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = {"min_ndim": 2, "axes": {-1: input_dim}}
        self.built = True

    def call(self, inputs, training=None):
        if inputs.ndim == 2:
            # The plain version below, fused into one primitive (nn_ops.dense) for speed: same
            # numbers, one tape node, no temporary arrays. ReLU fuses too; any other activation
            # (sigmoid and softmax keep their logits for the loss) is applied to the result.
            if self.activation is activations.relu:
                return nn_ops.dense(inputs, self.kernel, self.bias, activation="relu")
            return self.activation(nn_ops.dense(inputs, self.kernel, self.bias))
        outputs = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = outputs + self.bias  # broadcast over the batch; backward sums it back
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class Activation(Layer):
    """Applies an activation function: ``Activation("relu")``.

    Args:
        activation: name or function (``nn.activations``).
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs, training=None):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Lambda(Layer):
    """Wraps a function of tensors as a layer: ``Lambda(lambda x: ops.abs(x[0] - x[1]))``.

    The function must be built from ``numpynet.ops`` so it joins the tape. A Lambda layer's
    function cannot be saved in a file (numpynet never pickles); pass it again when loading
    with ``load_model(path, custom_objects={"<layer name>": fn})``.

    Args:
        function: callable applied to the inputs.
        output_shape: optional output shape (without batch axis); inferred when omitted.
        arguments: optional dict of keyword arguments passed to ``function``.
    """

    def __init__(self, function, output_shape=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable, got {function!r}.")
        self.function = function
        self._output_shape = None if output_shape is None else tuple(output_shape)
        self.arguments = dict(arguments or {})

    def call(self, inputs, training=None):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self._output_shape is not None:
            return (None,) + self._output_shape
        return super().compute_output_shape(input_shape)

    def get_config(self):
        name = getattr(self.function, "__name__", "<lambda>")
        return {**super().get_config(), "function": name,
                "output_shape": None if self._output_shape is None else list(self._output_shape),
                "arguments": self.arguments}
