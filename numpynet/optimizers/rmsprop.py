"""RMSprop: divide the gradient by a running root mean square (``keras.optimizers.RMSprop``)."""

import numpy as np

from numpynet.optimizers.base import Optimizer
from numpynet.optimizers.casting import keras_cast


class RMSprop(Optimizer):
    """Gradient descent scaled by a moving average of squared gradients.

    ::

        velocity = rho * velocity + (1 - rho) * g**2
        var -= learning_rate * g / sqrt(velocity + epsilon)

    Keras puts ``epsilon`` *inside* the square root (the textbook adds it outside); the two
    differ only for gradients near ``sqrt(epsilon)``. ``centered=True`` also tracks the mean
    gradient and divides by ``sqrt(velocity - average_grad**2 + epsilon)`` (an estimate of the
    variance). With ``momentum > 0`` the increment accumulates:
    ``mom = momentum * mom + increment; var -= mom``. There is no bias correction.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        rho: decay of the moving average of squared gradients.
        momentum: momentum of the increments; 0 disables it.
        epsilon: small constant added inside the square root (Keras' 1e-7).
        centered: whether to normalise by the estimated variance instead of the second moment.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`~numpynet.optimizers.Optimizer`.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, variables):
        """Allocates ``velocity`` (and ``momentum``, ``average_gradient`` when used) arrays."""
        if self.built:
            return
        super().build(variables)
        self._velocities = self.add_optimizer_variables(variables, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(variables, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(variables, "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        lr = keras_cast(learning_rate, variable.dtype)
        index = self._get_variable_index(variable)
        velocity = self._velocities[index]
        rho = self.rho
        velocity *= rho  # velocity = rho * velocity + (1 - rho) * g^2
        velocity += (1 - rho) * np.square(gradient)
        if self.centered:
            average_grad = self._average_gradients[index]
            average_grad *= rho  # average_grad = rho * average_grad + (1 - rho) * g
            average_grad += (1 - rho) * gradient
            denominator = velocity - np.square(average_grad) + self.epsilon
        else:
            denominator = velocity + self.epsilon  # epsilon inside the root (Keras)
        increment = lr * gradient / np.sqrt(denominator)
        if self.momentum > 0:
            momentum = self._momentums[index]
            momentum *= self.momentum  # momentum = momentum_coef * momentum + increment
            momentum += increment
            variable.data -= momentum
        else:
            variable.data -= increment

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
