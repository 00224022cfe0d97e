"""Keras' automatic names: ``MeanSquaredError`` -> ``mean_squared_error``, then ``dense``,
``dense_1``, ``dense_2``... per kind of object (layers, metrics and optimizers count apart)."""

import re


def snake_case(name):
    """``"MeanSquaredError"`` -> ``"mean_squared_error"``, ``"PReLU"`` -> ``"p_re_lu"``
    (``keras.src.utils.naming.to_snake_case``)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class UniqueNames:
    """A counter per base name: ``base``, then ``base_1``, ``base_2``... until :meth:`reset`."""

    def __init__(self):
        self._uids = {}

    def __call__(self, base):
        count = self._uids.get(base, 0)
        self._uids[base] = count + 1
        return base if count == 0 else f"{base}_{count}"

    def reset(self):
        """Restarts every count (``nn.utils.clear_session()``)."""
        self._uids.clear()
