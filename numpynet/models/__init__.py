"""Models: the functional ``Model``, ``Sequential``, and ``load_model``."""

from numpynet.models.functional import Model
from numpynet.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True):  # noqa: A002 (Keras' name)
    """Loads a model saved by ``model.save(path)`` (architecture, weights, compile state)."""
    from numpynet import saving
    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile)


def clone_model(model):
    """A new model with the same architecture and freshly initialised weights."""
    from numpynet import saving
    return saving.clone_model(model)


__all__ = ["Model", "Sequential", "load_model", "clone_model"]
