"""Learning-rate schedules: the learning rate as a function of the optimizer step, as in Keras.

A schedule is a callable ``schedule(step) -> float``. An optimizer built with a schedule evaluates
it at ``optimizer.iterations``, the number of updates already applied, so the first update uses
``schedule(0)`` (Keras' ``BaseOptimizer._get_current_learning_rate``).

The arithmetic is done in float32, as Keras does even when floatx is float64 (TensorFlow makes
float32 tensors of the Python-float arguments), and the result is returned as a Python float.

Example:
    >>> lr = schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
    >>> lr(0), lr(100)
    (0.10000000149011612, 0.05000000074505806)
    >>> opt = optimizers.SGD(learning_rate=lr)
"""

import math

import numpy as np


def _floatx():
    """The computing type: float32, as ``tf.convert_to_tensor`` of a Python float."""
    return np.float32


def _check_decay_steps(decay_steps, name="decay_steps"):
    if decay_steps <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={decay_steps}")


class LearningRateSchedule:
    """Base class: subclasses implement ``__call__(step)`` and ``get_config()``."""

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' "
            "must override `__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' "
            "must override `get_config()` in order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        """Creates a schedule from the dict returned by :meth:`get_config`."""
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: number of steps over which the rate is multiplied by ``decay_rate``; > 0.
        decay_rate: the factor per ``decay_steps``.
        staircase: if True, ``step / decay_steps`` is floored: the rate drops in steps.
        name: name of the schedule.

    Raises:
        ValueError: if ``decay_steps <= 0``.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_decay_steps(decay_steps)

    def __call__(self, step):
        f = _floatx()
        p = f(step) / f(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return float(f(self.initial_learning_rate) * np.power(f(self.decay_rate), p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: how often the rate is decayed; > 0.
        decay_rate: the decay per ``decay_steps``.
        staircase: if True, ``step / decay_steps`` is floored.
        name: name of the schedule.

    Raises:
        ValueError: if ``decay_steps <= 0``.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_decay_steps(decay_steps)

    def __call__(self, step):
        f = _floatx()
        p = f(step) / f(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return float(f(self.initial_learning_rate) / (f(1) + f(self.decay_rate) * p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant learning rate on each interval between boundaries.

    ``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` after the last boundary.

    Args:
        boundaries: increasing list of step numbers.
        values: list of learning rates, one more than ``boundaries``.
        name: name of the schedule.

    Raises:
        ValueError: if ``len(boundaries) != len(values) - 1``.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of "
                f"values. Received: boundaries={boundaries} of length "
                f"{len(boundaries)}, and values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        value = self.values[-1]
        for boundary, candidate in zip(self.boundaries, self.values):
            if step <= boundary:  # a step equal to a boundary still gets the earlier value
                value = candidate
                break
        return float(_floatx()(value))

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Decays from ``initial_learning_rate`` to ``end_learning_rate`` along ``(1 - p) ** power``.

    ``p = min(step, decay_steps) / decay_steps``; with ``cycle=True`` the decay restarts, with
    ``decay_steps`` stretched to the first multiple above ``step``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: steps to reach ``end_learning_rate``; > 0.
        end_learning_rate: the final learning rate (Keras' default 1e-4).
        power: the exponent of the polynomial (1.0: linear).
        cycle: whether to restart the decay after ``decay_steps``.
        name: name of the schedule.

    Raises:
        ValueError: if ``decay_steps <= 0``.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_decay_steps(decay_steps)

    def __call__(self, step):
        f = _floatx()
        initial, end = f(self.initial_learning_rate), f(self.end_learning_rate)
        step, decay_steps = f(step), f(self.decay_steps)
        if self.cycle:
            multiplier = f(1) if step == 0 else np.ceil(step / decay_steps)
            decay_steps = decay_steps * multiplier
        else:
            step = np.minimum(step, decay_steps)
        p = step / decay_steps
        return float((initial - end) * np.power(f(1) - p, f(self.power)) + end)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Half a cosine from the learning rate down to ``alpha`` times it, after an optional warmup.

    Without warmup: ``lr0 * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)`` with
    ``s = min(step, decay_steps)``. With ``warmup_target``, the rate first rises linearly from
    ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``, then decays from
    ``warmup_target``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: number of steps of the cosine decay; > 0.
        alpha: the final rate as a fraction of the decayed-from rate.
        name: name of the schedule.
        warmup_target: the rate reached at the end of the warmup; None: no warmup.
        warmup_steps: number of warmup steps.

    Raises:
        ValueError: if ``decay_steps <= 0``.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_decay_steps(decay_steps)

    def _decay(self, step, decay_steps, decay_from_lr):
        f = type(step)
        cosine_decayed = 0.5 * (1.0 + np.cos(f(math.pi) * (step / decay_steps)))
        decayed = (1 - self.alpha) * cosine_decayed + self.alpha
        return decay_from_lr * decayed

    def __call__(self, step):
        f = _floatx()
        initial, decay_steps, step = f(self.initial_learning_rate), f(self.decay_steps), f(step)
        if self.warmup_target is None:
            return float(self._decay(np.minimum(step, decay_steps), decay_steps, initial))
        target, warmup_steps = f(self.warmup_target), f(self.warmup_steps)
        step = np.minimum(step, decay_steps + warmup_steps)
        if step < warmup_steps:  # linear warmup from the initial rate to the target
            return float((target - initial) * (step / warmup_steps) + initial)
        return float(self._decay(step - warmup_steps, decay_steps, target))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


ALL_OBJECTS_DICT = {cls.__name__: cls for cls in (
    ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay, CosineDecay)}


def serialize(learning_rate_schedule):
    """Returns the schedule's config in Keras' format (``class_name`` and ``config``).

    Raises:
        ValueError: if the argument is not a :class:`LearningRateSchedule`.
    """
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise ValueError(f"Cannot serialize {learning_rate_schedule!r}: expected a "
                         "LearningRateSchedule instance.")
    return {"module": "keras.optimizers.schedules",
            "class_name": type(learning_rate_schedule).__name__,
            "config": learning_rate_schedule.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """Rebuilds a schedule from :func:`serialize`'s dict.

    Args:
        config: dict with ``class_name`` and ``config``.
        custom_objects: optional ``{name: class}`` for user-defined schedules.

    Raises:
        ValueError: if ``config`` is not such a dict or names an unknown schedule.
    """
    objects = {**ALL_OBJECTS_DICT, **(custom_objects or {})}
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize learning rate schedule {config!r}: expected a "
                         "dict with 'class_name' and 'config'.")
    name = config["class_name"]
    if name not in objects:
        raise ValueError(f"Unknown learning rate schedule: {name!r}. Valid names are: "
                         f"{sorted(objects)}.")
    return objects[name].from_config(dict(config.get("config") or {}))


def get(identifier):
    """Returns a schedule from None, a :class:`LearningRateSchedule` or a serialized dict.

    Raises:
        ValueError: for anything else.
    """
    if identifier is None or isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret learning rate schedule identifier: {identifier!r}. "
                     "Expected a LearningRateSchedule instance or a serialized dict.")


__all__ = ["LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay",
           "PiecewiseConstantDecay", "PolynomialDecay", "CosineDecay",
           "serialize", "deserialize", "get"]
