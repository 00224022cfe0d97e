"""Saving helpers of the optimizers: the state check of ``set_state`` and the learning rate in
configs (a float, a serialized schedule, or a function stored by name)."""

import numpy as np

from numpynet import schedules


def serialize_learning_rate(learning_rate):
    """A float as is, a schedule as its Keras dict, a function as a by-name dict."""
    if isinstance(learning_rate, schedules.LearningRateSchedule):
        return schedules.serialize(learning_rate)
    if callable(learning_rate):
        return {"module": "builtins", "class_name": "function",
                "config": getattr(learning_rate, "__name__", repr(learning_rate)),
                "registered_name": "function"}
    return float(learning_rate)


def deserialize_learning_rate(config, custom_objects=None):
    """Inverse of :func:`serialize_learning_rate` for dicts.

    Raises:
        ValueError: for a function that is not in ``custom_objects``, or an unknown schedule.
    """
    if config.get("class_name") != "function":
        return schedules.deserialize(config, custom_objects)
    name = config.get("config")
    function = (custom_objects or {}).get(name)
    if not callable(function):
        raise ValueError(f"The optimizer's learning_rate is the function {name!r}, which cannot "
                         f"be stored in a config. Pass custom_objects={{{name!r}: function}}.")
    return function


def check_state(expected, state, optimizer_name, built):
    """Validates ``state`` against ``expected`` (the optimizer's own ``get_state()``).

    Every check runs before anything is loaded, so a bad file leaves the optimizer unchanged.

    Args:
        expected: dict key -> ndarray, the current state.
        state: dict key -> array-like, the state to load.
        optimizer_name: used in the error messages.
        built: whether the optimizer has allocated its per-variable state.

    Returns:
        dict key -> ndarray with the values to load, in the order of ``expected``.

    Raises:
        ValueError: naming the first unexpected, missing, non-numeric or mis-shaped key, a
            negative ``iterations``, or a value that is not finite in the optimizer's dtype.
    """
    prefix = f"Cannot load the state of optimizer {optimizer_name!r}"
    for key in state:
        if key not in expected:
            hint = ("" if built else " The optimizer is not built yet: call "
                    "`optimizer.build(variables)` before `set_state`.")
            raise ValueError(f"{prefix}: unexpected key {key!r}; expected keys are "
                             f"{list(expected)}.{hint}")
    values = {}
    for key, reference in expected.items():
        if key not in state:
            raise ValueError(f"{prefix}: key {key!r} is missing.")
        value = np.asarray(state[key])
        kinds, kind_name = ("iu", "an integer") if key == "iterations" else ("iuf", "a number")
        if value.dtype.kind not in kinds:
            raise ValueError(f"{prefix}: key {key!r} has dtype {value.dtype}, expected "
                             f"{kind_name}.")
        if value.shape != reference.shape:
            raise ValueError(f"{prefix}: key {key!r} has shape {value.shape}, expected "
                             f"{reference.shape}.")
        values[key] = value
    if values["iterations"] < 0:
        raise ValueError(f"{prefix}: key 'iterations' is {int(values['iterations'])}, "
                         "expected a count >= 0.")
    for key, value in values.items():  # a state value that overflows the optimizer's dtype
        if value.dtype.kind == "f" or key == "learning_rate":  # would load as inf: refuse it
            with np.errstate(over="ignore", invalid="ignore"):
                finite = np.isfinite(value.astype(expected[key].dtype))
            if not np.all(finite):
                bad = value.flat[np.argmin(finite)].item()
                raise ValueError(f"{prefix}: key {key!r} holds a value that is not a finite "
                                 f"{expected[key].dtype} ({bad!r}).")
    return values
