"""The multimodal demo: its side vector, its two-input models, and a quick run on digits."""

import json
import math

import numpy as np
import pytest

import numpynet as nn
from demos import multimodal
from demos.runner import run_demos

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _fresh_session():
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)


def test_side_information_is_the_shifted_and_scaled_parity_one_hot():
    side = multimodal.side_information(np.array([0, 1, 2, 7]), shift=-0.5, scale=2.0)
    np.testing.assert_array_equal(side, [[1, -1], [-1, 1], [1, -1], [-1, 1]])
    assert side.dtype == np.float32
    raw = multimodal.side_information(np.array([3, 4]), shift=0.0, scale=1.0)
    np.testing.assert_array_equal(raw, [[0, 1], [1, 0]])
    np.testing.assert_array_equal(multimodal.side_information(np.array([5]), 1.0, 3.0),
                                  [[3.0, 6.0]])


@pytest.mark.parametrize("inject, merged_into", [("late", "classes"), ("early", "hidden_2")])
def test_side_vector_is_concatenated_where_asked(inject, merged_into):
    model = multimodal.build_multimodal_model(64, 2, 10, inject=inject)
    assert [t.name for t in model.inputs] == ["image", "side_info"]
    merge = model.get_layer("merge")
    # the merged width is the image feature width + 2, and it feeds the expected layer
    feature = 20 if inject == "late" else 50
    assert merge.output.shape == (None, feature + 2)
    assert model.get_layer(merged_into).kernel.shape[0] == feature + 2
    image_only = multimodal.build_image_model(64, 10)
    assert model.count_params() - image_only.count_params() == 2 * (10 if inject == "late"
                                                                     else 30)


def test_side_information_changes_the_prediction():
    model = multimodal.build_multimodal_model(64, 2, 10, inject="late")
    images = np.random.default_rng(0).random((4, 64), dtype=np.float32)
    even = model.predict([images, multimodal.side_information(np.zeros(4, int))], verbose=0)
    odd = model.predict([images, multimodal.side_information(np.ones(4, int))], verbose=0)
    assert not np.allclose(even, odd)


def test_unknown_injection_point_is_a_clear_error():
    with pytest.raises(ValueError, match="build_multimodal_model: inject must be 'late' or "
                                         "'early', got 'middle'"):
        multimodal.build_multimodal_model(64, 2, 10, inject="middle")


def test_quick_demo_writes_figures_and_sane_numbers(tmp_path):
    result = run_demos(["multimodal"], quick=True, out=tmp_path, progress=False)["multimodal"]
    assert len(result.figures) == 5  # curves, per-class bars, three model graphs
    for figure in result.figures:
        assert (tmp_path / figure.path).read_bytes()[:8] == PNG
    assert {f.path for f in result.figures} >= {f"multimodal/model_side_info_{p}.png"
                                                for p in ("late", "early")}
    numbers = result.numbers
    assert numbers["image only: parameters"] == (64 * 50 + 50) + (50 * 30 + 30) \
        + (30 * 20 + 20) + (20 * 10 + 10)
    assert numbers["side info late: parameters"] == numbers["image only: parameters"] + 2 * 10
    assert numbers["side info early: parameters"] == numbers["image only: parameters"] + 2 * 30
    for label in multimodal.MODELS:  # well above chance (10 %) after a few quick epochs
        assert 0.3 < numbers[f"{label}: test accuracy"] <= 1.0
    accuracy_table = result.tables[0]
    for row in accuracy_table.rows:  # the training loss fell below the uniform guess's ln 10
        assert row[accuracy_table.columns.index("final train loss")] < math.log(10)
    scale_table = result.tables[1]
    assert [row[0] for row in scale_table.rows] == sorted(multimodal.SCALE_SWEEP
                                                         + (multimodal.SIDE_SCALE,))
    per_class = result.tables[2]
    assert len(per_class.rows) == 10
    assert all(0.0 <= value <= 1.0 for row in per_class.rows for value in row[1:])
    saved = json.loads((tmp_path / "results.json").read_text())["multimodal"]["numbers"]
    assert saved == pytest.approx(numbers)
    assert all(type(value) in (int, float) for value in numbers.values())
