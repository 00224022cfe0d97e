"""Adagrad: per-weight learning rates from the sum of squared gradients."""

import numpy as np

from numpynet.optimizers.base import Optimizer
from numpynet.optimizers.casting import keras_cast


class Adagrad(Optimizer):
    """Gradient descent divided by the root of all past squared gradients.

    ::

        accumulator += g**2                      # starts at initial_accumulator_value
        var -= learning_rate * g / sqrt(accumulator + epsilon)

    Weights that received large gradients take smaller steps; the steps only shrink over time.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        initial_accumulator_value: starting value of every accumulator (Keras' 0.1).
        epsilon: Keras' 1e-7, added inside the square root.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`~numpynet.optimizers.Optimizer`.
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, variables):
        """Allocates one ``accumulator`` array per variable, filled with the initial value."""
        if self.built:
            return
        super().build(variables)
        self._accumulators = self.add_optimizer_variables(
            variables, "accumulator", initializer=self.initial_accumulator_value)

    def update_step(self, gradient, variable, learning_rate):
        lr = keras_cast(learning_rate, variable.dtype)
        accumulator = self._accumulators[self._get_variable_index(variable)]
        accumulator += np.square(gradient)
        # var = var - lr * g / sqrt(accumulator + epsilon)
        variable.data -= lr * gradient / np.sqrt(accumulator + self.epsilon)

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
