"""Adam and AdamW: adaptive moment estimation (``keras.optimizers.Adam`` / ``AdamW``)."""

import numpy as np

from numpynet.optimizers.base import Optimizer
from numpynet.optimizers.casting import keras_cast


class Adam(Optimizer):
    """Gradient descent with running averages of the gradient and of its square.

    Keras folds the bias correction into the step size and adds ``epsilon`` to the
    *uncorrected* ``sqrt(v)`` ("epsilon hat" of Kingma & Ba, just before their section 2.1)::

        t = iterations + 1
        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m += (g - m) * (1 - beta_1)
        v += (g**2 - v) * (1 - beta_2)
        var -= m * alpha / (sqrt(v) + epsilon)

    This differs from the textbook ``m_hat / (sqrt(v_hat) + epsilon)`` when gradients are tiny:
    a first gradient of 1e-6 moves a weight by 0.24 * learning_rate here, 0.91 there.
    ``amsgrad=True`` divides by the running maximum of ``v`` instead.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        beta_1: decay of the first-moment average.
        beta_2: decay of the second-moment average.
        epsilon: Keras' 1e-7, added to ``sqrt(v)``.
        amsgrad: whether to use the AMSGrad variant.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`~numpynet.optimizers.Optimizer`.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, variables):
        """Allocates ``momentum`` and ``velocity`` (and ``velocity_hat``) zero arrays."""
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(variables, "velocity_hat")
        # Two work arrays per variable, reused every step, so that an update allocates nothing
        # (they are not state: they are not saved and hold nothing between steps).
        self._work = [(np.empty_like(v.data), np.empty_like(v.data)) for v in variables]
        self._alpha_cache = (None, None)

    def _alpha(self, learning_rate, dtype):
        """The bias-corrected step size of this step, computed once per step and dtype."""
        key = (self.iterations, dtype, learning_rate)
        if self._alpha_cache[0] != key:
            lr = keras_cast(learning_rate, dtype)
            local_step = keras_cast(self.iterations + 1, dtype)
            beta_1_power = np.power(keras_cast(self.beta_1, dtype), local_step)
            beta_2_power = np.power(keras_cast(self.beta_2, dtype), local_step)
            self._alpha_cache = (key, lr * np.sqrt(1 - beta_2_power) / (1 - beta_1_power))
        return self._alpha_cache[1]

    def update_step(self, gradient, variable, learning_rate):
        alpha = self._alpha(learning_rate, variable.dtype)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        work, step = self._work[index]
        # The plain form of each line is in its comment; the `out=` arguments only route the
        # same operations, in the same order, through preallocated arrays (same rounding).
        np.subtract(gradient, m, out=work)  # m = m + (g - m) * (1 - beta_1)
        work *= 1 - self.beta_1
        m += work
        np.square(gradient, out=work)  # v = v + (g^2 - v) * (1 - beta_2)
        work -= v
        work *= 1 - self.beta_2
        v += work
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            np.maximum(v_hat, v, out=v_hat)  # v_hat = max(v_hat, v)
            v = v_hat
        # var = var - m * alpha / (sqrt(v) + epsilon): epsilon on the uncorrected sqrt(v)
        np.sqrt(v, out=work)
        work += self.epsilon
        np.multiply(m, alpha, out=step)
        step /= work
        variable.data -= step

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), on by default.

    Each step first shrinks every weight, ``var -= var * weight_decay * learning_rate``, then
    takes the Adam step. The decay is not added to the gradient, so Adam's per-weight scaling
    does not weaken it.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        weight_decay: the decay rate; Keras' default 0.004. Must not be None.
        beta_1, beta_2, epsilon, amsgrad: as :class:`Adam`.
        clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`~numpynet.optimizers.Optimizer`.

    Raises:
        ValueError: if ``weight_decay`` is None.
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: "
                             "weight_decay=None")
