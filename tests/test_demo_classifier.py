"""The classifier demo with ``--keras``: numpynet's losses beside its Keras twin's.

The demo trains the Keras twin of its untrained model (same initial weights) on the same data
and validation split, and reports both final losses in a table. Both shuffle their batches,
each with its own random stream, so the table's numbers agree closely but not exactly; with
``shuffle=False`` the twin's History must equal numpynet's to training precision. These tests
import TensorFlow (through ``tf_reference``).
"""

import numpy as np
import pytest

import numpynet as nn
from demos import classifier
from demos.base import DemoConfig
from demos.common import load_dataset
from demos.runner import run_demos

pytestmark = pytest.mark.slow

# The shuffles differ, so the twins' losses differ by chance: over six Keras seeds (same initial
# weights) the final quick-mode losses differed from numpynet's by at most 0.9 % (loss) and
# 1.5 % (val_loss), the validation accuracy by at most 0.025 (3 of 120 images). Twins from
# other initial weights differed by 0.4 % to 7 %: this bound catches gross errors (a wrong loss,
# split or model); the unshuffled test at the end catches small ones.
LOSS_RTOL = 0.03
ACCURACY_ATOL = 0.1
COLUMNS = ["model", "numpynet loss", "Keras loss", "numpynet val_loss", "Keras val_loss",
           "numpynet val_accuracy", "Keras val_accuracy"]


@pytest.fixture(scope="module")
def keras_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demos_keras")
    return out, run_demos(["classifier"], quick=True, keras=True, out=out,
                          progress=False)["classifier"]


def test_keras_table_sets_both_losses_side_by_side(keras_run):
    out, result = keras_run
    table = result.tables[0]
    assert table.columns == COLUMNS
    assert len(table.rows) == 1
    label, ours_loss, keras_loss, ours_val, keras_val, ours_acc, keras_acc = table.rows[0]
    assert label == "classifier"
    assert ours_loss == result.numbers["final train loss"]
    assert ours_val == result.numbers["final validation loss"]
    assert keras_loss == pytest.approx(ours_loss, rel=LOSS_RTOL)
    assert keras_val == pytest.approx(ours_val, rel=LOSS_RTOL)
    assert keras_acc == pytest.approx(ours_acc, abs=ACCURACY_ATOL)
    assert keras_loss != ours_loss  # two trainings, not one history shown twice
    assert keras_loss < 0.9 * np.log(10.0)  # the twin learned: chance is ln(10)
    page = (out / "index.html").read_text()
    assert "Keras val_loss" in page and f"{keras_val:.4g}" in page
    assert "python -m demos classifier --quick" in page and "--keras" in page


def test_without_keras_there_is_no_keras_table(tmp_path):
    result = run_demos(["classifier"], quick=True, out=tmp_path, progress=False)["classifier"]
    assert [table.title for table in result.tables] == ["Test accuracy per class"]


def test_unshuffled_twin_follows_numpynet_exactly():
    """Same weights, same batches: the Keras twin's History is numpynet's (float32 rounding)."""
    data = load_dataset(DemoConfig(quick=True))
    nn.set_random_seed(0)
    model = classifier.build_model(data.pixels, data.num_classes)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    fit_kwargs = dict(validation_split=classifier.VALIDATION_SPLIT, shuffle=False)
    theirs = classifier.keras_twin(model, data, 2, fit_kwargs, seed=0)["classifier"]
    ours = model.fit(data.x_train, data.y_train, epochs=2, batch_size=32, verbose=0,
                     **fit_kwargs).history
    assert sorted(theirs) == sorted(ours)
    for key, values in theirs.items():
        np.testing.assert_allclose(ours[key], values, rtol=1e-4, atol=1e-6, err_msg=key)
