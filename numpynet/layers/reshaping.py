"""Layers that only rearrange values: ``Flatten`` and ``Reshape``."""

import math

from numpynet import ops
from numpynet.layers.layer import Layer


class Flatten(Layer):
    """Flattens each sample: ``(batch, 28, 28)`` → ``(batch, 784)``."""

    def call(self, inputs, training=None):
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (no batch axis; one entry may be -1).

    Args:
        target_shape: tuple of ints, e.g. ``(28, 28)``.
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        if sum(1 for s in self.target_shape if s == -1) > 1:
            raise ValueError(f"Reshape: at most one -1 is allowed in target_shape {target_shape}.")

    def call(self, inputs, training=None):
        return ops.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        size = math.prod(input_shape[1:]) if None not in input_shape[1:] else None
        known = math.prod(s for s in self.target_shape if s != -1)
        if size is not None and (-1 in self.target_shape and size % known
                                 or -1 not in self.target_shape and size != known):
            raise ValueError(f"Reshape {self.name!r}: cannot reshape samples of shape "
                             f"{input_shape[1:]} ({size} values) into {self.target_shape}.")
        shape = tuple(size // known if s == -1 and size else s for s in self.target_shape)
        return (input_shape[0],) + shape

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
