"""The autoencoder, denoising and sparse autoencoder demos in quick mode, and their builders."""

import json

import numpy as np
import pytest

import numpynet as nn
from demos import autoencoder, denoising, sparse_autoencoder
from demos.runner import run_demos

NAMES = ["autoencoder", "denoising", "sparse_autoencoder"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("demos")
    return out, run_demos(NAMES, quick=True, out=out, progress=False)


# ---------------------------------------------------------------------------- the demos
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_figures_are_pngs_and_results_json_holds_the_numbers(report, name):
    out, results = report
    result = results[name]
    assert len(result.figures) >= 2
    for figure in result.figures:
        assert (out / figure.path).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    saved = json.loads((out / "results.json").read_text())[name]["numbers"]
    assert saved == pytest.approx(result.numbers)
    assert all(isinstance(v, (int, float, str)) and not isinstance(v, np.generic)
               for v in result.numbers.values())


@pytest.mark.slow
def test_autoencoder_learns_and_reports_its_code(report):
    _, results = report
    result = results["autoencoder"]
    numbers = result.numbers
    assert numbers["final train loss"] < 0.6 * numbers["first epoch train loss"]
    assert numbers["final validation loss"] == pytest.approx(numbers["test reconstruction MSE"],
                                                             rel=1e-5)
    assert 0.0 <= numbers["near-zero share"] < 0.5  # a dense code: most units are active
    assert numbers["mean code activation"] > 0.1
    assert numbers["decoder(encoder(x)) vs model(x), max abs difference"] < 1e-6
    assert {f.path.split("/")[-1] for f in result.figures} >= {
        "reconstructions.png", "encoder_weights.png", "decoder_weights.png",
        "code_heatmap.png", "code_histogram.png", "latent_vector.png"}
    per_class = result.tables[0]
    assert per_class.columns == ["unit", *[str(i) for i in range(10)]]
    assert len(per_class.rows) == numbers["code size"]


@pytest.mark.slow
def test_denoising_models_beat_the_noise(report):
    _, results = report
    numbers = results["denoising"].numbers
    noisy = numbers["noisy test images: MSE to clean"]
    assert noisy == pytest.approx(denoising.NOISE_STDDEV ** 2, rel=0.1)
    mse = {label: numbers[f"{label}: MSE to clean (noisy inputs)"] for label in (
        "plain: clean → clean", "GaussianNoise layer → clean", "noisy arrays → clean",
        "noisy arrays → noisy")}
    assert max(mse.values()) < 0.5 * noisy
    # trained to remove noise, the two denoisers beat the plain model on noisy inputs, and
    # the model taught to reproduce the noise does worst
    assert mse["GaussianNoise layer → clean"] < mse["plain: clean → clean"]
    assert mse["noisy arrays → clean"] < mse["plain: clean → clean"]
    assert mse["noisy arrays → noisy"] == max(mse.values())
    rows = results["denoising"].tables[0].rows
    assert len(rows) == 4 and all(row[2] < row[1] for row in rows)  # every loss decreased
    for label in mse:
        assert numbers[f"{label}: final validation loss"] == pytest.approx(mse[label], rel=1e-5)
        assert numbers[f"{label}: mean code activation"] > 0.1
        assert 0 <= numbers[f"{label}: near-zero share"] < 0.5
    per_class = results["denoising"].tables[1]
    assert per_class.columns == ["unit", *[str(i) for i in range(10)]]
    assert len(per_class.rows) == numbers["code size"]


@pytest.mark.slow
def test_sparse_codes_are_much_sparser_than_the_dense_code(report):
    _, results = report
    numbers = results["sparse_autoencoder"].numbers
    dense = numbers["dense (no penalty): near-zero share"]
    for label in ("L1(3e-3)", "β·mean, β=0.1", "KL, ρ=0.05"):
        sparse = numbers[f"{label}: near-zero share"]
        assert sparse > dense + 0.3, label
    table = results["sparse_autoencoder"].tables[0]
    losses = {row[0]: row[4] for row in table.rows}
    assert losses["β·mean, β=0.1"] > losses["dense (no penalty)"]  # sparsity costs accuracy
    for row in table.rows:  # every variant learned: its loss (penalty included) went down
        assert row[6] < 0.8 * row[5], row[0]
        assert numbers[f"{row[0]}: final train loss"] == row[6]
        assert numbers[f"{row[0]}: mean code activation"] == row[2]
    # the per-unit means average the class means, weighted by the test images of each class
    per_unit, dense_classes = results["sparse_autoencoder"].tables[1:3]
    assert "dense (no penalty)" in dense_classes.title
    assert len(per_unit.rows) == len(dense_classes.rows) == numbers["code size"]
    mean_of_units = np.mean([row[1] for row in per_unit.rows])
    assert mean_of_units == pytest.approx(numbers["dense (no penalty): mean code activation"],
                                          rel=1e-5)


# ---------------------------------------------------------------------------- the builders
def test_shallow_autoencoder_is_the_course_model():
    model = autoencoder.build_autoencoder(64, code_size=16)
    assert [layer.name for layer in model.layers] == ["image", "encoder", "decoder"]
    assert model.get_layer("encoder").kernel.shape == (64, 16)
    assert model.get_layer("decoder").get_config()["activation"] == "sigmoid"
    assert model.get_layer("encoder").get_config()["activation"] == "relu"
    assert type(model.optimizer).__name__ == "Adam" and model.compiled


def test_deep_autoencoder_mirrors_its_hidden_layers_and_submodels_agree():
    nn.set_random_seed(3)
    model = autoencoder.build_autoencoder(20, code_size=4, hidden=(12, 8))
    assert [layer.name for layer in model.layers] == [
        "image", "encoder_hidden_1", "encoder_hidden_2", "encoder", "decoder_hidden_1",
        "decoder_hidden_2", "decoder"]
    assert [layer.units for layer in model.layers[1:]] == [12, 8, 4, 8, 12, 20]
    x = nn.rng.generator().random((7, 20), dtype=np.float32)
    codes = autoencoder.encoder_model(model).predict(x, verbose=0)
    assert codes.shape == (7, 4)
    decoder = autoencoder.decoder_model(model)
    assert decoder.inputs[0].shape == (None, 4)
    np.testing.assert_allclose(decoder.predict(codes, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


def test_denoising_autoencoder_adds_noise_in_training_only():
    model = denoising.build_denoising_autoencoder(16, code_size=4, stddev=0.5)
    assert model.layers[1].name == "noise" and model.layers[1].stddev == 0.5
    x = np.full((4000, 16), 0.5, np.float32)
    noisy = model.get_layer("noise")(x, training=True).data
    assert abs(float(np.std(noisy - x)) - 0.5) < 0.01
    np.testing.assert_array_equal(model.get_layer("noise")(x, training=False).data, x)


def test_sparse_autoencoder_puts_the_penalty_on_the_code():
    regularizer = nn.regularizers.MeanActivity(beta=3.2)
    model = sparse_autoencoder.build_sparse_autoencoder(16, 4, regularizer)
    assert model.get_layer("encoder").activity_regularizer is regularizer
    assert model.get_layer("decoder").activity_regularizer is None


def test_sparsity_stats_and_class_means():
    codes = np.array([[0.0, 2.0, 0.0], [0.0, 0.0005, 4.0], [0.0, 1.0, 0.0], [0.0, 3.0, 2.0]])
    stats = autoencoder.sparsity_stats(codes)
    assert stats["near-zero share"] == pytest.approx(7 / 12)  # 0.0005 counts as near zero
    assert stats["dead units"] == pytest.approx(1 / 3)  # unit 0 is zero for every image
    assert stats["mean code activation"] == pytest.approx(12.0005 / 12)
    means = autoencoder.class_mean_codes(codes, np.array([1, 1, 0, 0]), num_classes=3)
    np.testing.assert_allclose(means, [[0, 2, 1], [0, 1.00025, 2], [0, 0, 0]])


def test_add_noise_has_the_requested_spread():
    nn.set_random_seed(0)
    x = np.zeros((200, 50), np.float32)
    noisy = denoising.add_noise(x, 0.3)
    assert noisy.dtype == np.float32
    assert abs(float(noisy.std()) - 0.3) < 0.01 and abs(float(noisy.mean())) < 0.01


# ---------------------------------------------------------------------------- 28×28 and Keras
@pytest.fixture(scope="module")
def fashion_with_keras(tmp_path_factory):
    """The three demos on Debian's Fashion-MNIST (quick mode), each beside its Keras twin."""
    out = tmp_path_factory.mktemp("fashion")
    return run_demos(NAMES, quick=True, out=out, progress=False, dataset="fashion-mnist",
                     keras=True)


@pytest.mark.slow
def test_on_fashion_mnist_the_demos_learn_and_sparse_codes_do_not_collapse(fashion_with_keras):
    auto = fashion_with_keras["autoencoder"].numbers
    assert auto["code size"] == autoencoder.default_code_size(784)
    assert auto["final train loss"] < 0.5 * auto["first epoch train loss"]
    sparse = fashion_with_keras["sparse_autoencoder"]
    rows = {row[0]: row for row in sparse.tables[1].rows}  # tables[0] is the Keras table
    dense_share = rows["dense (no penalty)"][1]
    for label, row in rows.items():
        if label != "dense (no penalty)":
            assert row[1] > dense_share + 0.1, label  # sparser than the dense code...
            assert row[4] < 0.15, label  # ...yet still a reconstruction, not the mean image


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_each_demo_reports_its_keras_twin_beside_it(fashion_with_keras, name):
    table = fashion_with_keras[name].tables[0]
    assert table.columns == ["model", "numpynet loss", "Keras loss", "numpynet val_loss",
                             "Keras val_loss"]
    assert len(table.rows) >= 1
    for label, ours, theirs, ours_val, theirs_val in table.rows:
        # same initial weights and data; only the shuffling streams differ
        assert ours == pytest.approx(theirs, rel=0.1), label
        assert ours_val == pytest.approx(theirs_val, rel=0.1), label
