"""Shared fixtures of the parity suite: quiet TensorFlow, matched float types, records."""

import numpy as np
import pytest

from parity_tests import compare
from tf_reference._keras import keras


@pytest.fixture(autouse=True)
def _fresh_state():
    """Each test starts with float32 on both sides and fresh layer names."""
    import numpynet as nn
    nn.config.set_floatx("float32")
    keras.config.set_floatx("float32")
    nn.utils.clear_session(free_memory=False)
    keras.utils.clear_session(free_memory=False)  # a gc.collect() per test costs ~0.5 s
    nn.set_random_seed(0)
    keras.utils.set_random_seed(0)  # Keras-built weights repeat from run to run too
    yield
    nn.config.set_floatx("float32")
    keras.config.set_floatx("float32")


@pytest.fixture(params=["float32", "float64"])
def floatx(request):
    """Runs a test in float32 and in float64 on both sides; yields the dtype name."""
    import numpynet as nn
    nn.config.set_floatx(request.param)
    keras.config.set_floatx(request.param)
    yield request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def pytest_sessionfinish(session, exitstatus):
    compare.dump_records()
