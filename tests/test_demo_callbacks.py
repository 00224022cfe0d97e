"""The callbacks LAB demo in quick mode: its files, its statistics, and its callbacks' decisions.

The decisions of ``ReduceLROnPlateau`` and ``EarlyStopping`` are replayed from the CSV log the
demo writes, with Keras' rules, and must match what the demo did.
"""

import csv
import json

import numpy as np
import pytest

import numpynet as nn
from demos import callbacks as lab
from demos.runner import run_demos

PNG = b"\x89PNG\r\n\x1a\n"
LAYERS = ["layer_00_input", "layer_01_hidden", "layer_02_hidden", "layer_03_hidden",
          "layer_04_output"]
slow = pytest.mark.slow  # tests on the demo's quick run: ~5 s


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demos")
    result = run_demos(["callbacks"], quick=True, out=out, progress=False)
    log = list(csv.DictReader((out / "callbacks" / lab.LOG_FILE).open()))
    return result["callbacks"], out / "callbacks", log


def column(log, key):
    return np.array([float(row[key]) for row in log])


@slow
def test_figures_files_and_results_json(demo):
    result, folder, _ = demo
    assert len(result.figures) == 4
    for figure in result.figures:
        assert (folder.parent / figure.path).read_bytes()[:8] == PNG, figure.path
    saved = json.loads((folder.parent / "results.json").read_text())["callbacks"]["numbers"]
    assert saved == pytest.approx(result.numbers)
    listed = [row[0] for row in result.tables[0].rows]
    for name in (lab.LOG_FILE, lab.CHECKPOINT_FILE, lab.STATS_FILE):
        assert (folder / name).is_file() and f"callbacks/{name}" in listed


def replay_reduce_lr(val_loss, initial_lr):
    """ReduceLROnPlateau's rule (min mode, min_delta 1e-4, cooldown 0): the rate of each epoch."""
    rates, lr, best, wait = [], initial_lr, None, 0
    for value in val_loss:
        rates.append(lr)  # logged before the decision, as Keras does
        if best is None or value - (-1e-4) < best:  # Keras negates min_delta in min mode
            best, wait = value, 0
        else:
            wait += 1
            if wait >= lab.REDUCE_PATIENCE and lr > np.float32(lab.MIN_LR):
                lr, wait = max(lr * lab.REDUCE_FACTOR, lab.MIN_LR), 0
    return np.array(rates)


@slow
def test_learning_rate_curve_follows_reduce_lr_on_plateau(demo):
    result, _, log = demo
    rates = column(log, "learning_rate")
    assert np.all(np.diff(rates) <= 0) and rates[0] == pytest.approx(lab.LEARNING_RATE)
    reductions = int(np.sum(np.diff(rates) < 0))
    assert reductions >= 1 and reductions == result.numbers["learning-rate reductions"]
    expected = replay_reduce_lr(column(log, "val_loss"), rates[0])
    np.testing.assert_allclose(rates, expected, rtol=1e-6)  # the rate is stored in float32


def replay_early_stopping(val_loss):
    """EarlyStopping's rule (min mode, min_delta 0): ``(stopped_epoch, best_epoch)``, 0-based."""
    best, best_epoch, wait = None, 0, 0
    for epoch, value in enumerate(val_loss):
        wait += 1
        if best is None or value < best:
            best, best_epoch, wait = value, epoch, 0
        elif wait >= lab.STOP_PATIENCE and epoch > 0:
            return epoch, best_epoch
    return 0, best_epoch


@slow
def test_early_stopping_fires_at_the_epoch_keras_rule_gives_from_its_logs(demo):
    # The quick run (digits, seed 0) stops: at epoch 46 of 60, 5 epochs after the best one
    # (41). That outcome survives perturbing the initial weights by 1e-4 (relative), far more
    # than float32 rounding differences between machines; another seed may not stop.
    result, _, log = demo
    numbers = result.numbers
    val_loss = column(log, "val_loss")
    stopped, best = replay_early_stopping(val_loss)
    assert stopped > 0, "EarlyStopping's rule never fires on the logged val_loss"
    assert numbers["stopped early"] == 1
    assert numbers["stopped at epoch"] == stopped + 1 == numbers["epochs run"] == len(log)
    assert numbers["epochs run"] < numbers["epochs requested"]
    assert numbers["best epoch"] == best + 1
    assert numbers["best val_loss"] == pytest.approx(val_loss.min(), rel=1e-9)
    # The checkpoint kept the best model, and EarlyStopping restored the same weights.
    assert numbers["checkpoint val_loss (reloaded)"] == pytest.approx(val_loss.min(), rel=1e-5)


@slow
def test_statistics_have_one_record_per_epoch_plus_the_initial_one(demo):
    result, folder, _ = demo
    records = result.numbers["epochs run"] + 1
    stats = np.load(folder / lab.STATS_FILE)
    np.testing.assert_array_equal(stats["epoch"], np.arange(records))
    expected = {f"weights/{layer}/{weight}/{stat}" for layer in LAYERS
                for weight in ("kernel", "bias") for stat in ("mean", "std")}
    expected |= {f"activations/{data}/{layer}/{stat}" for data in ("train", "val")
                 for layer in LAYERS for stat in ("mean", "std")}
    assert set(stats.files) == expected | {"epoch"}
    for key in expected:
        assert stats[key].shape == (records,), key
    assert stats[f"weights/{LAYERS[0]}/bias/std"][0] == 0.0  # biases start at zero
    assert stats[f"weights/{LAYERS[0]}/bias/std"][-1] > 0.0  # ...and are trained
    for data in ("train", "val"):  # softmax outputs of 10 classes always average 1/10
        np.testing.assert_allclose(stats[f"activations/{data}/{LAYERS[-1]}/mean"], 0.1,
                                   rtol=1e-5)


@slow
def test_weight_statistics_match_the_best_checkpoint(demo):
    result, folder, _ = demo
    best_epoch = result.numbers["best epoch"]  # the record after that epoch
    stats = np.load(folder / lab.STATS_FILE)
    model = nn.models.load_model(folder / lab.CHECKPOINT_FILE)
    for layer in LAYERS:
        kernel = model.get_layer(layer).kernel.data
        assert stats[f"weights/{layer}/kernel/mean"][best_epoch] == pytest.approx(
            float(np.mean(kernel)), rel=1e-6, abs=1e-9)
        assert stats[f"weights/{layer}/kernel/std"][best_epoch] == pytest.approx(
            float(np.std(kernel)), rel=1e-6)


# ---------------------------------------------------------------------- nn.viz.training
def test_layer_stats_and_learning_rate_figures_reject_missing_data():
    with pytest.raises(ValueError, match="plot_layer_stats: `stats` is empty"):
        nn.viz.plot_layer_stats({})
    with pytest.raises(ValueError, match="plot_learning_rate: the history has no "
                                         "'learning_rate'.*Keys: \\['loss'\\]"):
        nn.viz.plot_learning_rate({"loss": [1.0, 0.5]})


def test_layer_stats_figure_draws_each_set_with_its_own_line_style():
    import matplotlib.pyplot as plt

    record = {"mean": np.array([0.0, 0.1]), "std": np.array([1.0, 0.9])}
    fig = nn.viz.plot_layer_stats({"train": {"dense": record}, "val": {"dense": record}})
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["dense (train)", "dense (val)"]
    assert [line.get_linestyle() for line in lines] == ["-", "--"]
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), [1.0, 0.9])
    plt.close(fig)
