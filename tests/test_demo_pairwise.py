"""The pair-wise demo: balanced pairs, three two-input models, and a quick run on digits."""

import json
import math

import numpy as np
import pytest

from demos import pairwise
from demos.runner import run_demos

PNG = b"\x89PNG\r\n\x1a\n"


def test_pair_data_is_balanced_and_shaped_like_the_sigmoid_output():
    rng = np.random.default_rng(0)
    x, y = rng.random((60, 5), dtype=np.float32), np.repeat(np.arange(3), 20)
    x0, x1, same, class0, class1 = pairwise.pair_data(x, y, 4, seed=1)
    assert x0.shape == x1.shape == (24, 5) and same.shape == (24, 1)
    np.testing.assert_array_equal(same[:, 0], (class0 == class1).astype(np.float32))
    assert same.mean() == 0.5
    repeat = pairwise.pair_data(x, y, 4, seed=1)
    np.testing.assert_array_equal(repeat[0], x0)


def test_quick_demo_writes_figures_and_sane_numbers(tmp_path):
    result = run_demos(["pairwise"], quick=True, out=tmp_path, progress=False)["pairwise"]
    assert [f.path for f in result.figures] == [f"pairwise/{name}.png" for name in
                                                ("curves", "per_class", "pairs")]
    for figure in result.figures:
        assert (tmp_path / figure.path).read_bytes()[:8] == PNG
    numbers = result.numbers
    assert numbers["share of 'same' test pairs"] == 0.5
    assert numbers["separate: parameters"] == 2 * (64 * 100 + 100) + (200 * 100 + 100) + 101
    assert numbers["siamese concat: parameters"] == (64 * 100 + 100) + (200 * 100 + 100) + 101
    assert numbers["siamese |difference|: parameters"] == (64 * 100 + 100) + (100 * 100 + 100) \
        + 101
    for label in pairwise.MODELS:  # balanced pairs: chance is 50 %
        assert 0.5 < numbers[f"{label}: test accuracy"] <= 1.0
    summary = result.tables[0]
    assert [row[1] for row in summary.rows] == [8, 6, 6]  # weight arrays: shared encoder once
    for row in summary.rows:  # the training loss fell below the constant guess's ln 2
        assert row[summary.columns.index("final train loss")] < math.log(2)
    per_class = result.tables[1]
    assert per_class.columns == ["class", *pairwise.MODELS]
    assert len(per_class.rows) == 10
    assert all(0.0 <= value <= 1.0 for row in per_class.rows for value in row[1:])
    saved = json.loads((tmp_path / "results.json").read_text())["pairwise"]["numbers"]
    assert saved == pytest.approx(numbers)
    assert all(type(value) in (int, float) for value in numbers.values())
