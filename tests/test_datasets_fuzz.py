"""Fuzzing the file readers: whatever bytes a file holds, a reader returns arrays or raises
:class:`DatasetError`, never another exception and never a hang (each example has a deadline).
"""

import gzip
import os
import struct
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numpynet.datasets import DatasetError, load_csv_images, read_idx

FUZZ = settings(max_examples=150, deadline=2000,
                suppress_health_check=[HealthCheck.too_slow])


def read_bytes_with(reader, data, **kwargs):
    """Writes ``data`` to a fresh file and reads it; returns the result or the DatasetError."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "fuzzed")
        with open(path, "wb") as f:
            f.write(data)
        try:
            return reader(path, **kwargs)
        except DatasetError as err:
            assert "fuzzed" in str(err)  # every message names the file
            return err


# Bytes that reach deeper than a random magic number would: a valid IDX magic for 1 to 4
# dimensions, then random sizes and values (sometimes consistent, mostly not).
idx_like = st.builds(
    lambda ndim, dims, body: struct.pack(">I", 0x800 + ndim) +
    struct.pack(f">{ndim}I", *dims[:ndim]) + body,
    st.integers(1, 4), st.lists(st.integers(0, 2**32 - 1) | st.integers(0, 6), min_size=4,
                                max_size=4), st.binary(max_size=200))
idx_inputs = st.binary(max_size=300) | idx_like
maybe_gzipped = st.tuples(idx_inputs, st.booleans()).map(
    lambda pair: gzip.compress(pair[0]) if pair[1] else pair[0])


@pytest.mark.timeout(120)
@FUZZ
@given(data=maybe_gzipped | st.binary(max_size=40).map(lambda b: b"\x1f\x8b" + b),
       ndim=st.sampled_from([None, 1, 3]))
def test_read_idx_raises_only_dataset_errors(data, ndim):
    out = read_bytes_with(read_idx, data, ndim=ndim)
    if isinstance(out, np.ndarray):
        assert out.dtype == np.uint8 and ndim in (None, out.ndim)


def test_a_consistent_fuzz_shaped_header_reads():  # the strategy above can produce good files
    out = read_bytes_with(read_idx, struct.pack(">III", 0x802, 2, 3) + bytes(range(6)))
    np.testing.assert_array_equal(out, [[0, 1, 2], [3, 4, 5]])


# CSV-like text: rows of cells drawn from good and bad values, joined by commas and newlines.
cells = st.sampled_from(["0", "255", "7", "3.0", "256", "-1", "nan", "inf", "x", "", " 4 ",
                         "1e2", "\r", "\x00", "é"])
rows = st.lists(st.one_of(st.lists(cells, min_size=5, max_size=5).map(
    lambda r: r + ["0"] * 780), st.lists(cells, max_size=5)), max_size=4)  # 785 or few columns
csv_like = rows.map(lambda rs: "\n".join(",".join(r) for r in rs).encode("utf-8"))
csv_inputs = st.tuples(st.binary(max_size=300) | csv_like, st.booleans()).map(
    lambda pair: gzip.compress(pair[0]) if pair[1] else pair[0])


@pytest.mark.timeout(120)
@FUZZ
@given(data=csv_inputs)
def test_load_csv_images_raises_only_dataset_errors(data):
    out = read_bytes_with(load_csv_images, data)
    if isinstance(out, tuple):
        x, y = out
        assert x.shape[1:] == (28, 28) and len(x) == len(y) and y.dtype == np.int64
        assert np.all((x >= 0) & (x <= 1))


def test_a_good_fuzz_shaped_csv_row_reads():
    row = ",".join(["3", "255", "1e2"] + ["0"] * 782).encode()
    x, y = read_bytes_with(load_csv_images, gzip.compress(row))
    assert y.tolist() == [3] and x[0, 0, :2].tolist() == [1.0, np.float32(100) / 255]
