"""The training speed-ups demo: epochs to target, and the expected ordering in a quick run."""

import json

import numpy as np
import pytest

import numpynet as nn
from demos import training_speedups
from demos.runner import run_demos

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _fresh_session():
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)


def test_epochs_to_target_is_the_first_epoch_reaching_it():
    assert training_speedups.target_accuracy("digits") == 0.90
    assert training_speedups.target_accuracy("fashion-mnist") == 0.80
    assert training_speedups.target_accuracy("csv:data.csv") == 0.85
    history = {"val_accuracy": [0.5, 0.89, 0.9, 0.7, 0.95]}
    assert training_speedups.epochs_to_target(history, 0.9) == 3
    assert training_speedups.epochs_to_target(history, 0.96) is None
    assert training_speedups.epochs_to_target({"acc": [0.99]}, 0.9, key="acc") == 1


def test_whole_batches_drop_the_small_last_batch():
    x, y = np.zeros((1347, 2)), np.arange(1347)
    kept_x, kept_y = training_speedups.whole_batches(x, y)
    assert len(kept_x) == 1344 and len(kept_y) == 1344 and kept_y[-1] == 1343


def test_models_change_one_thing_at_a_time():
    models = training_speedups.build_speedup_models(64, 10)
    assert models[("optimizer", "SGD")] is models[("setup", "GlorotUniform instead")]
    plain = models[("setup", "plain (RandomNormal(0.05))")]
    assert np.std(plain.get_layer("dense_1").kernel.data) == pytest.approx(0.05, rel=0.1)
    assert "batch_norm_1" in [layer.name for layer in
                              models[("setup", "+ BatchNormalization")].layers]
    momentum = models[("optimizer", "SGD + momentum 0.9")].optimizer
    assert isinstance(momentum, nn.optimizers.SGD) and momentum.momentum == 0.9
    assert isinstance(models[("optimizer", "Adam")].optimizer, nn.optimizers.Adam)


@pytest.mark.slow
def test_quick_demo_shows_the_speed_ups(tmp_path):
    result = run_demos(["training_speedups"], quick=True, out=tmp_path,
                       progress=False)["training_speedups"]
    assert len(result.figures) == 2
    for figure in result.figures:
        assert (tmp_path / figure.path).read_bytes().startswith(PNG), figure.path
    numbers = result.numbers
    saved = json.loads((tmp_path / "results.json").read_text())["training_speedups"]
    assert saved["numbers"] == numbers
    assert numbers["target validation accuracy"] == 0.90

    def final(key):
        return numbers[f"{key}: final loss"]

    plain = "setup plain (RandomNormal(0.05))"
    assert abs(final(plain) - numbers[f"{plain}: first epoch loss"]) < 0.01  # SGD is stuck
    assert final("setup + BatchNormalization") < final(plain) - 0.5
    assert final("setup GlorotUniform instead") < final(plain) - 0.2
    assert final("optimizer SGD + momentum 0.9") < final("optimizer SGD") - 0.5
    assert final("optimizer Adam") < final("optimizer SGD") - 0.5
    assert final("optimizer RMSprop") < final("optimizer SGD") - 0.5
    # Quick mode is long enough for the remedies to reach the target and for plain SGD not to.
    epochs = training_speedups.EPOCHS[1]
    reached = {key[:-len(": epochs to target")]: value for key, value in numbers.items()
               if key.endswith(": epochs to target")}
    assert len(reached) == len(training_speedups.ARCHITECTURES) + \
        len(training_speedups.OPTIMIZERS)
    for key, value in reached.items():
        assert value == "not reached" or (isinstance(value, int) and 1 <= value <= epochs), key
    for fast in ("setup + BatchNormalization", "optimizer Adam", "optimizer RMSprop",
                 "optimizer SGD + momentum 0.9"):
        assert isinstance(reached[fast], int), f"{fast} did not reach the target"
    assert reached[plain] == "not reached"  # so BatchNormalization is the faster of the two
    slowest_fast = max(reached["optimizer Adam"], reached["setup + BatchNormalization"])
    assert reached["optimizer SGD"] == "not reached" or reached["optimizer SGD"] > slowest_fast
    assert reached["optimizer Adam"] < reached["setup + BatchNormalization"]
    table = result.tables[0]
    assert table.columns[:3] == ["comparison", "setting", "epochs to target"]
    assert len(table.rows) == len(training_speedups.ARCHITECTURES) + \
        len(training_speedups.OPTIMIZERS)
