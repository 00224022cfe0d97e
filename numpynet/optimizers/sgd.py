"""Stochastic gradient descent, with optional (Nesterov) momentum (``keras.optimizers.SGD``)."""

from numpynet.optimizers.base import Optimizer
from numpynet.optimizers.casting import keras_cast


class SGD(Optimizer):
    """Gradient descent with momentum.

    Without momentum: ``var -= learning_rate * g``. With momentum, Keras keeps a *velocity*
    that already includes the learning rate (not PyTorch's ``buf = momentum*buf + g``)::

        m = momentum * m - learning_rate * g
        var += m                                        # plain momentum
        var += momentum * m - learning_rate * g         # nesterov=True (with the new m)

    Args:
        learning_rate: float, schedule or callable; Keras' default is 0.01.
        momentum: float in [0, 1] that accelerates descent along consistent directions.
        nesterov: whether to use Nesterov momentum.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`~numpynet.optimizers.Optimizer`.

    Raises:
        ValueError: if ``momentum`` is not a float in [0, 1].
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1]. "
                             f"Received: momentum={momentum!r}")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables):
        """Allocates one zero ``momentum`` array per variable (only if momentum != 0)."""
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        lr = keras_cast(learning_rate, variable.dtype)
        if self.momentum == 0:
            variable.data -= gradient * lr  # var = var - g * lr
            return
        momentum = keras_cast(self.momentum, variable.dtype)
        m = self.momentums[self._get_variable_index(variable)]
        m *= momentum  # m = m * momentum - g * lr
        m -= gradient * lr
        if self.nesterov:
            variable.data += m * momentum - gradient * lr
        else:
            variable.data += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
