"""Parity tests: numpynet against live Keras 3 (TensorFlow backend) on the same weights and data."""
