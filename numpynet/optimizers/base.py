"""The Optimizer base class: what every optimizer does around its own update rule.

``apply(grads, variables)`` runs the same pipeline as Keras' ``BaseOptimizer.apply``:

1. build the per-variable state on the first call (once: the same arrays are updated forever),
2. drop variables whose gradient is None (with Keras' warning),
3. clip the gradients (``clipnorm``, ``clipvalue`` or ``global_clipnorm``) into new arrays,
4. apply decoupled weight decay: ``var -= var * weight_decay * lr``,
5. call the subclass's ``update_step(gradient, variable, learning_rate)`` for each variable,
   which changes ``variable.data`` and its state arrays in place,
6. apply variable constraints, then count the step: ``iterations += 1``.

The gradient arrays passed in are never written to: they may be read-only broadcast views, or
one array shared by several variables.

Scalars are cast to each variable's dtype before they touch its arrays, as Keras does, so that
float32 weights stay float32 (a NumPy float64 scalar would silently upcast them); see
:mod:`numpynet.optimizers.casting`.
"""

import warnings

import numpy as np

from numpynet import config, schedules
from numpynet.naming import UniqueNames, snake_case
from numpynet.optimizers.casting import keras_cast
from numpynet.optimizers.gradients import (
    as_gradient,
    clip_by_global_norm,
    clip_by_norm,
    filter_empty_gradients,
)
from numpynet.optimizers.saving import (
    check_state,
    deserialize_learning_rate,
    serialize_learning_rate,
)

_NAMES = UniqueNames()  # optimizers count apart from layers, as in Keras


def _auto_name(class_name):
    """``Adam`` -> ``adam``, ``adam_1``...; ``RMSprop`` -> ``rm_sprop`` (Keras' auto_name)."""
    return _NAMES(snake_case(class_name))


def _check_arguments(kwargs, clip_options, unsupported):
    if kwargs.pop("decay", None) is not None:
        warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                      stacklevel=3)
    if kwargs:
        raise ValueError(f"Argument(s) not recognized: {kwargs}")
    # Keras options numpynet accepts (so Keras configs load) only at their default values.
    for arg, (value, default) in unsupported.items():
        if value is not default and value != default:
            raise NotImplementedError(f"Optimizer argument `{arg}={value!r}` is not supported by "
                                      f"numpynet (only {arg}={default!r}).")
    if sum(value is not None for value in clip_options.values()) > 1:
        raise ValueError(
            "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
            + ", ".join(f"{name}={value}" for name, value in clip_options.items()))


class Optimizer:
    """Base class of the optimizers; subclasses implement ``build`` and ``update_step``.

    Args:
        learning_rate: a float, a :class:`numpynet.schedules.LearningRateSchedule` (evaluated
            at ``iterations``), or a callable with no arguments that returns the rate.
        weight_decay: if set, each step first shrinks every weight:
            ``var -= var * weight_decay * learning_rate`` (decoupled weight decay).
        clipnorm: if set, each gradient is rescaled so that its L2 norm is at most this.
        clipvalue: if set, each gradient is clipped elementwise to ``[-clipvalue, clipvalue]``.
        global_clipnorm: if set, all gradients are rescaled together so that their global
            L2 norm is at most this.
        use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps: Keras options, accepted at their defaults only.
        name: name of the optimizer; default from the class name (``adam``, ``adam_1``...).

    Attributes:
        iterations: number of updates applied so far (an int).

    Raises:
        ValueError: for an unknown keyword argument, more than one clipping option, or a
            learning rate that is not a float, a schedule or a callable.
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        _check_arguments(
            kwargs, {"clipnorm": clipnorm, "clipvalue": clipvalue,
                     "global_clipnorm": global_clipnorm},
            {"use_ema": (use_ema, False), "loss_scale_factor": (loss_scale_factor, None),
             "gradient_accumulation_steps": (gradient_accumulation_steps, None)})
        self.name = name or _auto_name(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema, self.ema_momentum = use_ema, ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.iterations = 0
        self.built = False
        self._variables = []
        self._index = {}  # id(variable) -> position in the list given to build
        self._state = {}  # "<slot>/<variable index>" (or a global name) -> ndarray, in Keras order
        # Keras keeps a float learning rate in a floatx variable: 0.001 is read back as
        # 0.0010000000474974513 in float32, and every update uses that rounded value.
        self._learning_rate_dtype = np.dtype(config.floatx())
        if not (callable(learning_rate) or isinstance(learning_rate, float)):  # Keras' check
            raise ValueError(
                "Argument `learning_rate` should be float, or an instance "
                "of LearningRateSchedule, or a callable "
                "(that takes in the current iteration value "
                "and returns the corresponding learning rate value). "
                f"Received instead: learning_rate={learning_rate}"
            )
        self._learning_rate = learning_rate
        if isinstance(learning_rate, float):
            self._learning_rate = self._learning_rate_dtype.type(learning_rate)

    # ------------------------------------------------------------------ learning rate
    @property
    def learning_rate(self):
        """The current learning rate as a float (a schedule is evaluated at ``iterations``)."""
        return float(self._current_learning_rate())

    def _current_learning_rate(self):
        # A NumPy scalar of the stored dtype, or the Python float a schedule or function returns
        # (which keras_cast then rounds through float32, as TensorFlow does).
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return self._learning_rate(self.iterations)
        if callable(self._learning_rate):
            return self._learning_rate()
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if callable(value):  # a schedule or a function
            self._learning_rate = value
            return
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule`"
                " object as its `learning_rate` constructor argument, "
                "hence its learning rate is not settable. If you need the"
                " learning rate to be settable, you should instantiate "
                "the optimizer with a float `learning_rate` argument."
            )
        if value is None or isinstance(value, (str, bytes, bool)) or np.ndim(value) != 0:
            raise ValueError(f"Optimizer {self.name!r}: `learning_rate` must be set to a number, "
                             f"a LearningRateSchedule or a callable. Received: {value!r}")
        self._learning_rate = self._learning_rate_dtype.type(value)

    # ------------------------------------------------------------------ state
    def build(self, variables):
        """Records the variables this optimizer updates; subclasses then allocate their state.

        Called once (by the first :meth:`apply` if not before); later calls do nothing.

        Args:
            variables: list of :class:`numpynet.Variable`.
        """
        if self.built:
            return
        self._variables = list(variables)
        self._index = {id(v): i for i, v in enumerate(self._variables)}
        self.built = True

    def add_optimizer_variables(self, variables, name, initializer=0.0):
        """Allocates one state array per variable and slot name, with the variable's dtype.

        Args:
            variables: the variables given to :meth:`build`.
            name: a slot name (``"momentum"``) or a list of names (``["momentum", "velocity"]``).
            initializer: the initial value of every element.

        Returns:
            A list of arrays (one per variable) for a single name, or a tuple of such lists.
        """
        names = [name] if isinstance(name, str) else list(name)
        slots = tuple([] for _ in names)
        for variable in variables:  # interleaved per variable, in Keras' creation order
            index = self._index[id(variable)]
            for slot, slot_name in zip(slots, names):
                array = np.full_like(variable.data, keras_cast(initializer, variable.dtype))
                self._state[f"{slot_name}/{index}"] = array
                slot.append(array)
        return slots[0] if isinstance(name, str) else slots

    def add_variable(self, name, value, dtype):
        """Allocates a state array not tied to one variable (e.g. Nadam's ``u_product``)."""
        self._state[name] = np.array(value, dtype=dtype)
        return self._state[name]

    def _get_variable_index(self, variable):
        return self._index[id(variable)]

    # ------------------------------------------------------------------ the update
    def apply_gradients(self, grads_and_vars):
        """Applies a list of ``(gradient, variable)`` pairs; returns ``iterations``."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])
        return self.iterations

    def apply(self, grads, variables=None):
        """Updates ``variables`` in place from ``grads`` (one per variable, None to skip one).

        Args:
            grads: list of ndarrays (or None), in the order of ``variables``.
            variables: list of :class:`numpynet.Variable`; defaults to the built list.

        Raises:
            ValueError: if the lists differ in length, a variable is unknown to an optimizer
                built on other variables, every gradient is None, or a gradient's shape differs
                from its variable's.
        """
        grads = list(grads)
        if len(grads) == 0:
            return
        variables = self._resolve_variables(grads, variables)
        grads, variables = filter_empty_gradients(grads, variables)
        grads = [as_gradient(g, v) for g, v in zip(grads, variables)]
        grads = self._clip_gradients(grads)
        learning_rate = self._current_learning_rate()  # once: a schedule sees `iterations`
        self._apply_weight_decay(variables, learning_rate)
        self._update_variables(grads, variables, learning_rate)
        for variable in variables:  # Keras applies constraints after the update
            constraint = getattr(variable, "constraint", None)
            if constraint is not None:
                variable.assign(constraint(variable))
        self.iterations += 1

    def _resolve_variables(self, grads, variables):
        if variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first.")
            variables = self._variables
        variables = list(variables)
        if len(grads) != len(variables):
            raise ValueError(f"Optimizer {self.name!r} received {len(grads)} gradients for "
                             f"{len(variables)} variables; expected one gradient per variable.")
        self.build(variables)
        for v in variables:
            if id(v) not in self._index:
                raise ValueError(
                    f"Unknown variable: {v}. This optimizer can only "
                    "be called for the variables it was originally built with. "
                    "When working with a new set of variables, you should "
                    "recreate a new optimizer instance."
                )
        return variables

    def _clip_gradients(self, grads):
        """Returns clipped copies of ``grads`` (the inputs are left untouched)."""
        if self.clipnorm and self.clipnorm > 0:
            return [clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _apply_weight_decay(self, variables, learning_rate):
        if self.weight_decay is None:
            return
        for variable in variables:
            lr = keras_cast(learning_rate, variable.dtype)
            wd = keras_cast(self.weight_decay, variable.dtype)
            # var = var - var * wd * lr   (decoupled: shrinks the weight, not the gradient)
            variable.data -= variable.data * wd * lr

    def _update_variables(self, grads, variables, learning_rate):
        """Runs ``update_step`` on each pair (Keras' ``_backend_update_step``)."""
        for grad, variable in zip(grads, variables):
            self.update_step(grad, variable, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        """Updates one variable and its state in place; implemented by each optimizer.

        Args:
            gradient: ndarray of the variable's shape and dtype (already clipped).
            variable: the :class:`numpynet.Variable` to update.
            learning_rate: the current learning rate: cast it with
                ``keras_cast(learning_rate, variable.dtype)``.
        """
        raise NotImplementedError(f"Optimizer {type(self).__name__} must implement "
                                  "`update_step(gradient, variable, learning_rate)`.")

    # ------------------------------------------------------------------ save / load
    @property
    def variables(self):
        """The optimizer's state as a list of arrays, in the order of Keras' ``variables``.

        ``iterations``, the learning rate (when it is a float), then the slots in creation order.
        """
        return list(self.get_state().values())

    def get_state(self):
        """Returns copies of every state value, keyed ``"iterations"``, ``"learning_rate"``
        (float learning rates only), ``"<slot>/<variable index>"`` and global slots."""
        state = {"iterations": np.array(self.iterations, dtype=np.int64)}
        if isinstance(self._learning_rate, np.floating):
            state["learning_rate"] = np.array(self._learning_rate)
        state.update((key, array.copy()) for key, array in self._state.items())
        return state

    def set_state(self, state):
        """Loads a dict from :meth:`get_state`; on any mismatch nothing is changed.

        Raises:
            ValueError: naming the first missing, unexpected, non-numeric or mis-shaped key.
        """
        values = check_state(self.get_state(), state, self.name, self.built)
        self.iterations = int(values["iterations"])
        if "learning_rate" in values:
            self._learning_rate = self._learning_rate_dtype.type(values["learning_rate"])
        for key, array in self._state.items():
            array[...] = values[key]  # in place: the update rules keep the same arrays

    # ------------------------------------------------------------------ config
    def get_config(self):
        """Returns the constructor arguments as a JSON-friendly dict (Keras' keys)."""
        return {
            "name": self.name, "learning_rate": serialize_learning_rate(self._learning_rate),
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue, "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates an optimizer from :meth:`get_config`'s dict (without its state).

        Raises:
            ValueError: if the learning rate is a function not given in ``custom_objects``.
        """
        config = dict(config)
        learning_rate = config.get("learning_rate")
        if isinstance(learning_rate, dict):
            config["learning_rate"] = deserialize_learning_rate(learning_rate, custom_objects)
        return cls(**config)

    def __repr__(self):
        return (f"<{type(self).__name__} name={self.name!r} "
                f"learning_rate={self.learning_rate:.6g} iterations={self.iterations}>")


__all__ = ["Optimizer"]
