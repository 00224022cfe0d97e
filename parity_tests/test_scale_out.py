"""The scale-out path: numpynet → Keras under MirroredStrategy (2 logical CPUs) → numpynet."""

import json

import pytest

from demos import runner
from parity_tests.compare import TRAINING, assert_close, assert_same

PNG = b"\x89PNG\r\n\x1a\n"


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
    assert_close("training scale_out", "train loss after import",
                 numbers["numpynet train loss, imported weights (evaluate)"],
                 numbers["Keras train loss after training (evaluate)"], **TRAINING)

    # The figure: written, a real PNG, listed in the report.
    figures = result["scale_out"].figures
    assert [f.path for f in figures] == ["scale_out/scale_out.png"]
    assert (tmp_path / figures[0].path).read_bytes()[:8] == PNG
    assert (tmp_path / figures[0].path).stat().st_size > 20000  # three panels, not a blank
    assert 'src="scale_out/scale_out.png"' in (tmp_path / "index.html").read_text()

    # What its middle panel draws: every global batch of 64 halved between the two replicas.
    split = json.loads((tmp_path / "scale_out" / "worker.json").read_text())
    sizes = split["replica_batch_sizes"]
    assert sum(map(sum, sizes)) == 600  # the quick training set, each sample once
    assert all(step == [32, 32] for step in sizes[:-1]) and sizes[-1] == [12, 12]
    assert numbers["samples per replica per epoch"] == "300, 300"
