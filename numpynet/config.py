"""Global numeric settings: the default float type and the fuzz factor, as in `keras.config`."""

_FLOATX = "float32"
# keras.config.epsilon(): the clip of cross-entropy and the default optimizer epsilon
_EPSILON = 1e-7
_VALID_FLOATX = ("float16", "float32", "float64")


def floatx():
    """Returns the default float type as a string (``"float32"`` unless changed)."""
    return _FLOATX


def set_floatx(value):
    """Sets the default float type used for new tensors, weights and data.

    Args:
        value: ``"float32"`` (default) or ``"float64"`` (``"float16"`` is accepted as Keras does).

    Raises:
        ValueError: if ``value`` is not one of those names.
    """
    global _FLOATX
    value = str(value)
    if value not in _VALID_FLOATX:
        raise ValueError(f"Unknown floatx type: {value!r}. Expected one of {list(_VALID_FLOATX)}.")
    _FLOATX = value


def epsilon():
    """Returns the fuzz factor (1e-7) used to keep logs and divisions finite."""
    return _EPSILON


def set_epsilon(value):
    """Sets the fuzz factor returned by :func:`epsilon`."""
    global _EPSILON
    _EPSILON = float(value)
