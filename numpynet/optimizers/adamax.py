"""Adamax: Adam with the infinity norm in place of the second moment."""

import numpy as np

from numpynet.optimizers.base import Optimizer
from numpynet.optimizers.casting import keras_cast


class Adamax(Optimizer):
    """Adam's variant that divides by an exponentially weighted maximum of ``|g|``.

    ::

        t = iterations + 1
        m += (g - m) * (1 - beta_1)
        u = max(beta_2 * u, |g|)
        var -= learning_rate * m / ((1 - beta_1**t) * (u + epsilon))

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        beta_1: decay of the first-moment average.
        beta_2: decay of the infinity norm.
        epsilon: Keras' 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`~numpynet.optimizers.Optimizer`.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, variables):
        """Allocates ``momentum`` and ``norm`` zero arrays per variable."""
        if self.built:
            return
        super().build(variables)
        self._m, self._u = self.add_optimizer_variables(variables, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = keras_cast(learning_rate, dtype)
        local_step = keras_cast(self.iterations + 1, dtype)
        beta_1_power = np.power(keras_cast(self.beta_1, dtype), local_step)
        index = self._get_variable_index(variable)
        m, u = self._m[index], self._u[index]
        m += (gradient - m) * (1 - self.beta_1)  # m = m + (g - m) * (1 - beta_1)
        np.maximum(self.beta_2 * u, np.abs(gradient), out=u)  # u = max(beta_2 * u, |g|)
        # var = var - lr * m / ((1 - beta_1^t) * (u + epsilon))
        variable.data -= lr * m / ((1 - beta_1_power) * (u + self.epsilon))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
