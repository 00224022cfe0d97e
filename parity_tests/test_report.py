"""The parity report: records of assert_close/assert_same become the README's table."""

import numpy as np
import pytest

from parity_tests import compare, report


@pytest.fixture
def records(monkeypatch):
    """Records of a few comparisons made here (kept out of the suite's own records)."""
    monkeypatch.setattr(compare, "RECORDS", [])
    compare.assert_close("Dense float32", "kernel grad", np.array([1.0, 2.0]),
                         np.array([1.0, 2.0 + 1e-5]), rtol=1e-5, atol=1e-6)
    compare.assert_same("EarlyStopping", "stopped_epoch", 3, 3)
    with pytest.raises(AssertionError, match=r"\[Adam\] step 1: numpynet and Keras differ"):
        compare.assert_close("Adam", "step 1", np.array([1.0]), np.array([1.1]))
    return list(compare.RECORDS)


def test_records_name_the_running_test_module_and_the_share_of_the_tolerance(records):
    assert {r["module"] for r in records} == {"test_report"}
    close, same, failed = records
    assert close["passed"] and 0.3 < close["share"] < 0.5  # 1e-5 of 1e-6 + 1e-5·2.00001
    assert same == {**same, "passed": True, "rtol": 0.0, "atol": 0.0, "share": 0.0}
    assert not failed["passed"] and failed["share"] > 1


def test_table_groups_by_module_with_the_loosest_tolerance(records):
    records[1] = {**records[1], "module": "test_callbacks_parity"}
    text = report.table(report.summarize(records))
    lines = text.splitlines()
    assert lines[2].startswith("| callbacks: hook order")  # SUITES order, then unknown modules
    assert "| exact |" in lines[2]
    assert lines[3].startswith("| test_report | 2 | 1 |") and "rtol ≤ 1e-05" in lines[3]
    assert lines[-1] == "| **all** | **3** | **2** | | | |"


def test_report_says_what_failed_and_lists_the_worst_first(records):
    text = report.report_markdown(1, records)
    assert "**pytest exit code 1; 1 failed**" in text
    worst = text.split("closest to their tolerance")[1].splitlines()
    assert worst[4].startswith("| test_report | Adam | step 1 |")
