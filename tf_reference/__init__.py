"""Keras twins of numpynet models, and the bridge between the two.

``to_keras(model)`` builds the Keras twin of a numpynet model, ``from_keras(keras_model)`` the
numpynet twin of a Keras model; ``tf_reference.models`` holds the Keras builders of every demo
model, and ``tf_reference.grads`` returns outputs, losses and gradients from
``tf.GradientTape`` for comparison. Importing this package imports TensorFlow.
"""

from tf_reference.bridge import BridgeError, from_keras, keras_compile_args, to_keras

__all__ = ["to_keras", "from_keras", "keras_compile_args", "BridgeError"]
