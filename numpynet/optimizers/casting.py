"""How a Python constant (a learning rate, a beta) becomes a scalar of a variable's dtype.

Keras' optimizers call ``ops.cast(value, variable.dtype)`` on their hyperparameters. On the
TensorFlow backend a Python float is first made into a *float32* tensor and then cast, so in
float64 the constant keeps float32 rounding: ``beta_1=0.9`` is used as 0.8999999761581421.
In float32 this changes nothing. :func:`keras_cast` reproduces it so that float64 runs match
Keras to the last bit; constants Keras mixes into arithmetic directly (``1 - beta_1``,
``epsilon``) are plain Python floats and keep full precision.
"""

import numpy as np


def keras_cast(value, dtype):
    """Returns ``value`` as a NumPy scalar of ``dtype``, as Keras' ``ops.cast`` computes it.

    Args:
        value: a Python number or a NumPy scalar (which keeps its own precision).
        dtype: the target dtype (a variable's).

    Returns:
        A NumPy scalar of ``dtype``.
    """
    if isinstance(value, float) and not isinstance(value, np.floating):
        value = np.float32(value)  # TensorFlow's conversion of a Python float
    return np.dtype(dtype).type(value)
