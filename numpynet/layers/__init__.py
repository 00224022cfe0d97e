"""Keras-compatible layers (``nn.layers.Dense``...).

Each file is one concept: ``layer.py`` (the base class), ``symbolic.py`` (the functional
graph), ``input_layer.py``, ``core.py`` (Dense), ``reshaping.py``, ``regularization.py``
(Dropout, noise), ``normalization.py``, ``merging.py``, ``activation_layers.py``.
"""

from numpynet.layers.core import Activation, Dense, Lambda
from numpynet.layers.input_layer import Input, InputLayer
from numpynet.layers.layer import Layer
from numpynet.layers.reshaping import Flatten, Reshape
from numpynet.layers.symbolic import SymbolicTensor
