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
from numpynet.layers.activation_layers import ELU, PReLU, ReLU, LeakyReLU, Softmax
from numpynet.layers.merging import (
    Add, Average, Concatenate, Dot, Maximum, Merge, Minimum, Multiply, Subtract,
    add, average, concatenate, dot, maximum, minimum, multiply, subtract,
)
from numpynet.layers.normalization import BatchNormalization, LayerNormalization
from numpynet.layers.regularization import (
    ActivityRegularization, Dropout, GaussianDropout, GaussianNoise,
)
