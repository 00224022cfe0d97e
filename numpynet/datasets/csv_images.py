"""The course's CSV image format: one image per line, the label then 784 pixel values.

No header row; column 0 is the integer label, columns 1–784 the 28×28 pixels (0–255) in row
order; the file may be gzip-compressed. A wrong line is reported by its number, so a learner
can open the file there.
"""

import gzip
import os
import zlib

import numpy as np

from numpynet.datasets.errors import DatasetError
from numpynet.datasets.mnist import scale_pixels

SIDE = 28
PIXELS = SIDE * SIDE
_COLUMNS = PIXELS + 1
_EXPECTED = f"{_COLUMNS} comma-separated numbers (the label, then {PIXELS} pixels), no header"


def load_csv_images(path):
    """Loads a CSV file of labelled 28×28 images (plain or gzip-compressed).

    Args:
        path: the file; compression is detected from its content.

    Returns:
        ``(x, y)``: ``x`` of shape ``(n, 28, 28)`` in ``config.floatx()`` (float32) scaled to
        [0, 1] (pixel / 255), ``y`` of shape ``(n,)`` int64. Blank lines are skipped.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        DatasetError: naming the file and the line, for a wrong number of columns, a cell that
            is not a number, a pixel outside 0–255, a label that is not a non-negative
            integer, bytes that are not text, or a file without rows.
    """
    path = os.fspath(path)
    lines, numbers = _read_lines(path)
    if not lines:
        raise DatasetError(f"CSV file {path!r} holds no rows; expected one image per line: "
                           f"{_EXPECTED}.")
    counts = np.array([line.count(",") + 1 for line in lines])
    wrong = np.flatnonzero(counts != _COLUMNS)
    if wrong.size:
        i = wrong[0]
        plural = "s" if counts[i] != 1 else ""
        raise DatasetError(f"CSV file {path!r}, line {numbers[i]}: {counts[i]} column{plural}; "
                           f"expected {_EXPECTED}.")
    table = _parse(path, lines, numbers)
    _check_values(path, table, numbers)
    x = scale_pixels(table[:, 1:])
    return x.reshape(len(table), SIDE, SIDE), table[:, 0].astype(np.int64)


def _read_lines(path):
    """Returns the non-blank lines and their 1-based line numbers in the file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise DatasetError(f"CSV file {path!r} is not a valid gzip stream ({err}).") from err
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise DatasetError(f"CSV file {path!r}, line {line}: byte 0x{data[err.start]:02x} is "
                           f"not text; expected {_EXPECTED}.") from err
    lines, numbers = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if line.strip():
            lines.append(line)
            numbers.append(number)
    return lines, numbers


def _loadtxt(lines):
    return np.loadtxt(lines, delimiter=",", comments=None, dtype=np.float64, ndmin=2)


def _parse(path, lines, numbers):
    """Parses every line at NumPy's speed; on failure, bisects to the first bad line."""
    try:
        return _loadtxt(lines)
    except ValueError:
        pass
    lo, hi = 0, len(lines)  # lines[lo:hi] fails to parse, and every line parses on its own
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            _loadtxt(lines[lo:mid])
            lo = mid
        except ValueError:
            hi = mid
    cells = lines[lo].split(",")
    column = next((j for j, cell in enumerate(cells, start=1) if not _is_number(cell)), None)
    where = f", column {column}: {cells[column - 1][:40]!r} is not a number" if column else \
        ": it does not parse as numbers"
    raise DatasetError(f"CSV file {path!r}, line {numbers[lo]}{where}; expected {_EXPECTED}.")


def _is_number(cell):
    if not cell.strip():  # loadtxt reads an empty input as "no data", not as an error
        return False
    try:
        _loadtxt([cell])
        return True
    except ValueError:
        return False


def _check_values(path, table, numbers):
    labels, pixels = table[:, 0], table[:, 1:]
    with np.errstate(invalid="ignore"):  # inf % 1 is NaN, which the isfinite test catches
        bad_label = ~np.isfinite(labels) | (labels < 0) | (labels % 1 != 0) | (labels >= 2.0**31)
    bad_pixel = ~((pixels >= 0.0) & (pixels <= 255.0))  # NaN fails both comparisons
    bad_rows = np.flatnonzero(bad_label | bad_pixel.any(axis=1))
    if not bad_rows.size:
        return
    row = bad_rows[0]
    if bad_label[row]:
        raise DatasetError(f"CSV file {path!r}, line {numbers[row]}: the label (column 1) is "
                           f"{labels[row]:g}; expected a non-negative integer.")
    j = int(np.argmax(bad_pixel[row]))
    raise DatasetError(f"CSV file {path!r}, line {numbers[row]}, column {j + 2}: pixel value "
                       f"{pixels[row, j]:g}; expected a value in 0-255.")
