"""The vanishing-gradient demo in quick mode, its TensorBoard logs, and its figure helpers."""

import json
import os
import sys
import types

import numpy as np
import pytest

import numpynet as nn
from demos.runner import run_demos

PNG = b"\x89PNG\r\n\x1a\n"
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
slow = pytest.mark.slow  # tests on the demo's quick run (four 12-layer nets, TensorBoard): ~10 s


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demos")
    result = run_demos(["vanishing_gradient"], quick=True, out=out, progress=False)
    return result["vanishing_gradient"], out


def event_accumulator(run_dir):
    """TensorBoard's reader, kept from importing TensorFlow (see tests/test_tensorboard.py)."""
    name = "tensorboard.compat.notf"
    sys.modules.setdefault(name, types.ModuleType(name))
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    accumulator = EventAccumulator(os.fspath(run_dir),
                                   size_guidance={"scalars": 0, "histograms": 0})
    accumulator.Reload()
    return accumulator


@slow
def test_figures_are_pngs_and_numbers_are_in_results_json(demo):
    result, out = demo
    assert len(result.figures) == 6
    for figure in result.figures:
        assert (out / figure.path).read_bytes()[:8] == PNG, figure.path
    saved = json.loads((out / "results.json").read_text())["vanishing_gradient"]["numbers"]
    assert saved == pytest.approx(result.numbers)
    assert all(isinstance(value, (int, float)) for value in result.numbers.values())


@slow
def test_sigmoid_first_layer_gradient_vanishes_compared_with_relu(demo):
    numbers = demo[0].numbers
    sigmoid = numbers["sigmoid: first-layer gradient norm, epoch 1"]
    relu = numbers["relu: first-layer gradient norm, epoch 1"]
    assert 0 < sigmoid * 1e3 < relu  # measured: ~1e-7 against ~5e-3
    for when in ("epoch 1", "last epoch"):
        ratio = f"first/last layer gradient norm ratio, {when}"
        assert numbers[f"sigmoid: {ratio}"] < 1e-4  # ~0.25 per layer over 11 layers
        for other in ("tanh", "relu", "leaky_relu"):
            assert numbers[f"{other}: {ratio}"] > 1e3 * numbers[f"sigmoid: {ratio}"], other


@slow
def test_sigmoid_net_does_not_learn_while_tanh_does(demo):
    numbers = demo[0].numbers
    assert numbers["sigmoid: final train accuracy"] < 0.2  # chance is 0.1
    assert numbers["tanh: final train accuracy"] > numbers["sigmoid: final train accuracy"] + 0.1


@slow
def test_tensorboard_logs_for_every_run(demo):
    result, out = demo
    epochs = result.numbers["epochs"]
    assert "--host 127.0.0.1" in result.text and "tensorboard" in result.text
    for activation in ACTIVATIONS:
        log_dir = out / "vanishing_gradient" / "tensorboard" / activation
        for run in ("train", "validation"):
            assert list((log_dir / run).glob("events.out.tfevents.*")), (activation, run)
        train = event_accumulator(log_dir / "train")
        assert [e.step for e in train.Scalars("epoch_loss")] == list(range(epochs))
        histograms = train.Tags()["histograms"]
        for tag in ("layer_00_input/kernel/histogram", "layer_11_output/bias/histogram",
                    "layer_00_input/kernel/gradient_histogram"):
            assert tag in histograms, (activation, tag)
            assert len(train.Histograms(tag)) == epochs
        first = train.Scalars("grad_norm/layer_00_input")[0].value
        expected = result.numbers[f"{activation}: first-layer gradient norm, epoch 1"]
        assert first == pytest.approx(expected, rel=1e-5)  # TensorBoard stores float32
        validation = event_accumulator(log_dir / "validation")
        assert len(validation.Scalars("epoch_accuracy")) == epochs


# ---------------------------------------------------------------------- nn.viz.training
def test_activation_derivatives_come_from_backprop():
    x, curves = nn.viz.activation_derivatives(x=[-2.0, 0.0, 3.0])
    assert list(curves) == list(ACTIVATIONS)
    np.testing.assert_allclose(curves["sigmoid"][1][1], 0.25)
    np.testing.assert_allclose(curves["tanh"][1], 1 - np.tanh(x) ** 2, rtol=1e-5)
    np.testing.assert_array_equal(curves["relu"][1], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(curves["leaky_relu"][1][[0, 2]], [0.2, 1.0])


def test_gradient_and_weight_figures_reject_empty_or_mismatched_input():
    with pytest.raises(ValueError, match="plot_gradient_norms: `runs` is empty"):
        nn.viz.plot_gradient_norms({})
    with pytest.raises(ValueError, match="plot_weight_histograms: `runs` is empty"):
        nn.viz.plot_weight_histograms({})
    before, after = {"a": np.zeros(3)}, {"b": np.zeros(3)}
    with pytest.raises(ValueError, match="run 'relu' has different layers before"):
        nn.viz.plot_weight_histograms({"relu": (before, after)})


def test_gradient_figures_draw_one_line_per_layer():
    import matplotlib.pyplot as plt

    arrays = {"dense": {"norm": np.array([1e-3, 2e-3])}, "out": {"norm": np.array([1.0, 0.5])}}
    fig = nn.viz.plot_gradient_norms({"run": arrays})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert [line.get_label() for line in ax.get_lines()] == ["dense", "out"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), [1.0, 0.5])
    plt.close(fig)
