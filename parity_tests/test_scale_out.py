"""The scale-out path: numpynet → Keras under MirroredStrategy (2 logical CPUs) → numpynet."""

import pytest

from demos import runner
from parity_tests.compare import assert_close, assert_same


@pytest.mark.slow
def test_scale_out_round_trip_gives_keras_predictions(tmp_path):
    result = runner.run_demos(["scale_out"], quick=True, out=tmp_path, progress=False)
    numbers = result["scale_out"].numbers
    assert_same("training scale_out", "replicas", numbers["replicas"], 2)
    assert_close("training scale_out", "max |numpynet - Keras| prediction",
                 numbers["max |numpynet - Keras| prediction"], 0.0, rtol=0.0, atol=1e-5)
    assert_same("training scale_out", "test accuracy",
                numbers["numpynet test accuracy (imported weights)"],
                numbers["Keras test accuracy"])
