"""The weight-initialization demo: its models, its measures, and the expected ordering in a
quick run on digits (zeros do not learn, σ = 100 saturates the sigmoid, He keeps ReLU level)."""

import json
import math

import numpy as np
import pytest

import numpynet as nn
from demos import initialization
from demos.runner import run_demos

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _fresh_session():
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)


def test_course_net_draws_only_its_first_layer_from_the_given_sigma():
    model = initialization.build_course_init_net(784, 10, sigma=10.0)
    assert [layer.name for layer in model.layers] == ["hidden_1", "hidden_2", "hidden_3",
                                                      "output"]
    first = model.get_layer("hidden_1")
    assert first.kernel.shape == (784, 20) and first.activation.__name__ == "sigmoid"
    assert np.std(first.kernel.data) == pytest.approx(10.0, rel=0.05)
    assert np.std(first.bias.data) > 2.0  # 20 draws of N(0, 10²), not zeros
    second = model.get_layer("hidden_2").kernel.data
    assert np.abs(second).max() <= math.sqrt(6 / (20 + 15))  # Keras' default GlorotUniform
    assert model.get_layer("output").activation.__name__ == "softmax"


def test_deep_net_uses_the_initializer_everywhere_and_optional_batch_normalization():
    model = initialization.build_deep_init_net(64, 10, "zeros", "relu")
    dense = [layer for layer in model.layers if isinstance(layer, nn.layers.Dense)]
    assert [layer.name for layer in dense] == initialization.hidden_names() + ["output"]
    assert all(not layer.kernel.data.any() for layer in dense)
    normalized = initialization.build_deep_init_net(64, 10, batch_norm=True, depth=2)
    assert [layer.name for layer in normalized.layers] == [
        "dense_1", "batch_norm_1", "tanh_1", "dense_2", "batch_norm_2", "tanh_2", "output"]
    assert normalized.get_layer("dense_1").bias is None


def test_saturated_share_and_std_ratio():
    assert initialization.saturated_share(np.array([0.0, 0.005, 0.5, 0.995, 1.0, 0.9])) == \
        pytest.approx(4 / 6)
    assert initialization.std_ratio({"a": 0.5, "b": 1.0, "c": 0.8}) == 2.0
    assert initialization.std_ratio({"a": 0.0, "b": 1.0}) == math.inf


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demos")
    nn.utils.clear_session(free_memory=False)
    result = run_demos(["initialization"], quick=True, out=out, progress=False)["initialization"]
    return out, result


@pytest.mark.slow
def test_quick_demo_writes_figures_tables_and_json(quick_run):
    out, result = quick_run
    assert len(result.figures) == 9
    for figure in result.figures:
        assert (out / figure.path).read_bytes().startswith(PNG), figure.path
    assert len(result.tables) == 4
    saved = json.loads((out / "results.json").read_text())["initialization"]
    assert saved["numbers"] == result.numbers
    for value in result.numbers.values():
        assert type(value) in (float, int, str)


@pytest.mark.slow
def test_zeros_do_not_learn(quick_run):
    numbers = quick_run[1].numbers
    for activation in initialization.ACTIVATIONS:
        key = f"{activation} zeros"
        assert numbers[f"{key}: first epoch loss"] == pytest.approx(math.log(10), abs=0.01)
        assert abs(numbers[f"{key}: final loss"] - numbers[f"{key}: first epoch loss"]) < 0.01
        assert numbers[f"{key}: final val accuracy"] < 0.2  # chance is 0.1
        assert numbers[f"{key}: activation std layer {initialization.DEPTH} at init"] == 0.0
        # a good initializer learns in the same few epochs
        good = "GlorotUniform" if activation == "tanh" else "HeNormal"
        assert numbers[f"{activation} {good}: final val accuracy"] > 0.6
        assert numbers[f"{activation} {good}: final loss"] < numbers[f"{key}: final loss"] - 0.5


@pytest.mark.slow
def test_large_sigma_saturates_the_sigmoid(quick_run):
    numbers = quick_run[1].numbers
    shares = [numbers[f"sigmoid σ={sigma:g} ×1: saturated share at init"]
              for sigma in initialization.SIGMAS]
    assert shares[-1] > 0.9 and shares[0] == 0.0
    assert shares == sorted(shares)  # more saturated as σ grows
    # multiplying the inputs by 100 saturates like a 100× larger σ
    assert numbers["sigmoid σ=0.1 ×100: saturated share at init"] > 0.8


@pytest.mark.slow
def test_he_keeps_relu_and_glorot_keeps_tanh_alive_through_depth(quick_run):
    numbers = quick_run[1].numbers
    assert numbers["relu HeNormal: activation std max/min over depth at init"] < 2.0
    last = f"activation std layer {initialization.DEPTH} at init"
    assert numbers[f"tanh GlorotUniform: {last}"] > 0.1
    assert numbers[f"tanh RandomNormal(0.01): {last}"] < 1e-6  # vanishes
    assert numbers[f"relu RandomNormal(1): {last}"] > 1e3  # explodes
    assert numbers["relu GlorotUniform: activation std max/min over depth at init"] > 2.0
