"""numpynet: a neural-network engine in plain NumPy that computes what Keras computes.

Reading order: :mod:`numpynet.tensor` (the tape), :mod:`numpynet.ops` (primitives and their
VJPs), :mod:`numpynet.layers.core` (Dense), :mod:`numpynet.models.training` (fit).

Submodules are imported on first use, so ``import numpynet`` stays fast and pulls in neither
matplotlib nor scikit-learn until a plot or a dataset is asked for.
"""

import importlib

from numpynet import config
from numpynet.rng import set_random_seed
from numpynet.tensor import Tensor, Variable, enable_grad, is_grad_enabled, no_grad

__version__ = "0.1.0"

_SUBMODULES = (
    "ops", "nn_ops", "activations", "initializers", "regularizers", "constraints", "losses",
    "optimizers", "metrics", "layers", "models", "callbacks", "datasets", "utils", "viz",
    "gradcheck", "schedules", "saving",
)
# Names re-exported from submodules, resolved lazily: name -> (module, attribute)
_LAZY = {
    "Model": ("numpynet.models", "Model"),
    "Sequential": ("numpynet.models", "Sequential"),
    "Input": ("numpynet.layers", "Input"),
}

__all__ = ["Tensor", "Variable", "no_grad", "enable_grad", "is_grad_enabled", "config",
           "set_random_seed", *_SUBMODULES, *_LAZY]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"numpynet.{name}")
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'numpynet' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
