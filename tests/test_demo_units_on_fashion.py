"""The multimodal and pair-wise demos on Debian's Fashion-MNIST (28×28), each beside its Keras
twin (``--dataset fashion-mnist --keras``, quick mode): they learn well above chance, and the
Keras twin, started from the same weights, ends near the same place."""

import pytest

from demos.runner import run_demos

NAMES = ["multimodal", "pairwise"]
KERAS_COLUMNS = ["model", "numpynet loss", "Keras loss", "numpynet val_loss", "Keras val_loss",
                 "numpynet val_accuracy", "Keras val_accuracy"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return run_demos(NAMES, quick=True, out=tmp_path_factory.mktemp("fashion"), progress=False,
                     dataset="fashion-mnist", keras=True)


@pytest.mark.slow
def test_multimodal_models_learn_the_ten_garments(results):
    numbers = results["multimodal"].numbers
    for model in ("image only", "side info late", "side info early"):
        assert numbers[f"{model}: test accuracy"] > 0.55, model  # chance is 0.1
    per_class = next(t for t in results["multimodal"].tables if "per class" in t.title)
    assert [row[0] for row in per_class.rows][:2] == ["T-shirt/top", "Trouser"]


@pytest.mark.slow
def test_pairwise_models_tell_same_from_different_garments(results):
    numbers = results["pairwise"].numbers
    assert numbers["share of 'same' test pairs"] == 0.5
    for model in ("separate", "siamese concat", "siamese |difference|"):
        assert numbers[f"{model}: test accuracy"] > 0.62, model  # chance is 0.5


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_each_model_has_its_keras_twin_beside_it(results, name):
    table = next(t for t in results[name].tables if t.columns == KERAS_COLUMNS)
    assert len(table.rows) == 3
    for model, loss, keras_loss, val_loss, keras_val_loss, accuracy, keras_accuracy in table.rows:
        # same initial weights and data; only the shuffling streams differ, so a few quick
        # epochs end close but not equal: this catches a wrong twin, not rounding. The last
        # epoch's training loss is the noisiest (siamese |difference|: 0.20 against 0.13).
        assert 0.5 < loss / keras_loss < 2.0, model
        assert val_loss == pytest.approx(keras_val_loss, rel=0.3), model
        assert abs(accuracy - keras_accuracy) < 0.12, model
