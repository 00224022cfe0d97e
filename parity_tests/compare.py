"""Named comparisons between numpynet and Keras values, recorded for the parity report.

Every parity test compares through :func:`assert_close`, which names the case and the
quantity (``"dense_1/kernel grad"``, ``"epoch 3 val_loss"``), shows both values on mismatch,
and records the errors so ``python -m parity_tests.report`` can tabulate them.
"""

import json
import math
import os

import numpy as np

RECORDS = []

# Default tolerances (relative error, with an absolute floor for values near zero).
FLOAT32 = {"rtol": 1e-5, "atol": 1e-6}
FLOAT64 = {"rtol": 1e-6, "atol": 1e-10}
TRAINING = {"rtol": 1e-4, "atol": 1e-6}  # whole trajectories in float32 (KERAS_NOTES.md)


def tolerance(dtype):
    return FLOAT64 if np.dtype(dtype) == np.float64 else FLOAT32


def _test_module():
    """The running test's file stem (``test_ops_parity``), from what pytest sets for each test."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    return os.path.splitext(os.path.basename(current.split("::")[0]))[0] or "unknown"


def _record(case, quantity, max_abs, max_rel, rtol, atol, passed, share=None):
    """Keeps one comparison for the report; ``share`` is the largest error as a fraction of
    what the tolerance allows at that element (1.0 = at the limit)."""
    if share is None:
        share = 0.0 if max_abs == 0 else math.inf
    RECORDS.append({"module": _test_module(), "case": case, "quantity": quantity,
                    "max_abs": max_abs, "max_rel": max_rel, "rtol": rtol, "atol": atol,
                    "passed": passed, "share": share})


def _as_array(value):
    if hasattr(value, "numpy"):
        value = value.numpy()
    if hasattr(value, "data") and isinstance(value.data, np.ndarray):
        value = value.data
    return np.asarray(value, dtype=np.float64)


def assert_close(case, quantity, ours, theirs, rtol=1e-5, atol=1e-6):
    """Asserts ``|ours - theirs| <= atol + rtol·|theirs|`` elementwise, naming what differs.

    Args:
        case: the test case (``"Dense relu float32"``).
        quantity: what is compared (``"dense/kernel grad"``).
        ours: numpynet's value (array, Tensor or scalar).
        theirs: Keras' value.
    """
    a, b = _as_array(ours), _as_array(theirs)
    if a.shape != b.shape:
        _record(case, quantity, float("inf"), float("inf"), rtol, atol, False)
        raise AssertionError(f"[{case}] {quantity}: shapes differ: numpynet {a.shape}, "
                             f"Keras {b.shape}")
    diff = np.abs(a - b)
    max_abs = float(diff.max()) if diff.size else 0.0
    # relative error where it means something: against |Keras| above the atol/rtol crossover
    # (None for an absolute-only comparison, rtol=0, such as a statistic of random draws)
    max_rel = float((diff / np.maximum(np.abs(b), atol / rtol)).max()) \
        if diff.size and rtol > 0 else (0.0 if rtol > 0 else None)
    allowed = atol + rtol * np.abs(b)
    passed = bool(np.all(diff <= allowed))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = float(np.max(np.where(diff == 0, 0.0, diff / allowed))) if diff.size else 0.0
    _record(case, quantity, max_abs, max_rel, rtol, atol, passed, share)
    if not passed:
        worst = np.unravel_index(np.argmax(diff - rtol * np.abs(b)), diff.shape) if diff.ndim \
            else ()
        raise AssertionError(
            f"[{case}] {quantity}: numpynet and Keras differ (max abs error {max_abs:.3g}, "
            f"max rel error {max_rel:.3g}, tolerance rtol={rtol} atol={atol}); at index "
            f"{tuple(int(i) for i in worst)}: numpynet={a[worst]!r}, Keras={b[worst]!r}")


def assert_same(case, quantity, ours, theirs):
    """Asserts exact equality of non-numeric results (decisions, keys, file names)."""
    passed = ours == theirs
    _record(case, quantity, 0.0 if passed else float("inf"), 0.0, 0.0, 0.0, passed)
    if not passed:
        raise AssertionError(f"[{case}] {quantity}: numpynet={ours!r}, Keras={theirs!r}")


def dump_records(path=None):
    path = path or os.environ.get("NUMPYNET_PARITY_RECORDS")
    if path:
        with open(path, "a") as handle:
            for record in RECORDS:
                handle.write(json.dumps(record) + "\n")
