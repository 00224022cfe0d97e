"""Nadam: Adam with Nesterov momentum (Dozat, 2016), as ``keras.optimizers.Nadam``."""

import numpy as np

from numpynet import config
from numpynet.optimizers.base import Optimizer
from numpynet.optimizers.casting import keras_cast


class Nadam(Optimizer):
    """Adam whose first moment looks one step ahead, with a warming-up momentum schedule.

    The momentum coefficient of step ``t`` is ``u_t = beta_1 * (1 - 0.5 * 0.96**t)``, and
    ``u_product`` (shared by all variables, Keras' "momentum cache") is the product of the
    ``u_t`` so far; it is advanced once per step, before the variables are updated::

        t = iterations + 1
        u_product *= u_t
        m += (g - m) * (1 - beta_1);  v += (g**2 - v) * (1 - beta_2)
        m_hat = u_{t+1} * m / (1 - u_product * u_{t+1}) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - beta_2**t)
        var -= m_hat * learning_rate / (sqrt(v_hat) + epsilon)

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        beta_1: decay of the first-moment average.
        beta_2: decay of the second-moment average.
        epsilon: Keras' 1e-7, added to ``sqrt(v_hat)``.
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
        """Allocates ``momentum`` and ``velocity`` per variable and the scalar ``u_product``."""
        if self.built:
            return
        variables = list(variables)
        dtype = variables[0].dtype if variables else np.dtype(config.floatx())
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"])
        self._u_product = self.add_variable("u_product", 1.0, dtype)

    def _update_variables(self, grads, variables, learning_rate):
        # u_product = u_product * beta_1 * (1 - 0.5 * 0.96^t), once per step for all variables
        dtype = self._u_product.dtype.type  # here Keras mixes 0.96 in directly: full precision
        decay = np.power(dtype(0.96), dtype(self.iterations + 1))
        self._u_product[...] = self._u_product * self.beta_1 * (1.0 - 0.5 * decay)
        super()._update_variables(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        def cast(value):
            return keras_cast(value, variable.dtype)

        # Unlike Adam, Nadam casts beta_1 first: 1 - beta_1 is computed in the variable's dtype.
        lr, decay = cast(learning_rate), cast(0.96)
        beta_1, beta_2 = cast(self.beta_1), cast(self.beta_2)
        local_step, next_step = cast(self.iterations + 1), cast(self.iterations + 2)
        u_t = beta_1 * (1.0 - 0.5 * np.power(decay, local_step))
        u_t_1 = beta_1 * (1.0 - 0.5 * np.power(decay, next_step))
        u_product_t = variable.dtype.type(self._u_product)
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = np.power(beta_2, local_step)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        m += (gradient - m) * (1 - beta_1)
        v += (np.square(gradient) - v) * (1 - beta_2)
        m_hat = u_t_1 * m / (1 - u_product_t_1) + (1 - u_t) * gradient / (1 - u_product_t)
        v_hat = v / (1 - beta_2_power)
        variable.data -= m_hat * lr / (np.sqrt(v_hat) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
