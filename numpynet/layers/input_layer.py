"""``Input`` and ``InputLayer``: where a functional graph starts."""

from numpynet.layers.layer import Layer
from numpynet.layers.symbolic import Node, SymbolicTensor


class InputLayer(Layer):
    """The layer behind ``Input``: it has no weights and one node with no inputs.

    Args:
        shape: shape of one sample (no batch axis), e.g. ``(784,)``.
        batch_size: optional fixed batch size.
        name: layer name (default ``input_layer``, ``input_layer_1``...).
        dtype: float type (default ``config.floatx()``).
    """

    def __init__(self, shape=None, batch_size=None, name=None, dtype=None, batch_shape=None,
                 **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer needs `shape` (the shape of one sample, e.g. (784,)).")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        if any(s is not None and (not isinstance(s, int) or s <= 0) for s in batch_shape[1:]):
            raise ValueError(
                f"Input shape must be positive integers or None, got {batch_shape[1:]}.")
        self.batch_shape = tuple(batch_shape)
        self.built = True
        tensor = SymbolicTensor(self.batch_shape, self.dtype, name=self.name)
        Node(self, [], [tensor])
        self.output_tensor = tensor

    def call(self, inputs, training=None):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(batch_shape=tuple(config.pop("batch_shape")), **config)


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None):  # noqa: N802
    """Starts a functional model: returns the symbolic tensor of a new ``InputLayer``.

    Args:
        shape: shape of one sample, without the batch axis (``(784,)``).
        batch_size: optional fixed batch size.
        name: name of the input (used as the key of dict inputs in ``fit``).
        dtype: float type.
        batch_shape: full shape including the batch axis (instead of ``shape``).

    Returns:
        A :class:`SymbolicTensor` to call layers on.
    """
    return InputLayer(shape=shape, batch_size=batch_size, name=name, dtype=dtype,
                      batch_shape=batch_shape).output_tensor
