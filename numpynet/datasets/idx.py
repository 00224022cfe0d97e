"""Reader for IDX files, the format of MNIST and Fashion-MNIST (gzipped or not).

An IDX file is a 4-byte magic number, one big-endian 32-bit size per dimension, then the values
in C order. The magic number's bytes are ``0x00 0x00 <type> <ndim>``; MNIST uses type ``0x08``
(unsigned byte), so labels start ``0x00000801`` and images ``0x00000803``.
"""

import gzip
import math
import os
import struct
import zlib

import numpy as np

from numpynet.datasets.errors import DatasetError

UNSIGNED_BYTE = 0x08
_GZIP_MAGIC = b"\x1f\x8b"
# Compressed files are read in chunks: a corrupt header may promise terabytes, and reading
# chunk by chunk stops at the real end of the data instead of allocating what was promised.
_CHUNK = 1 << 20
_KIND = {1: "labels", 3: "images"}


def read_idx(path, ndim=None):
    """Reads an unsigned-byte IDX file (plain or gzip-compressed) into a ``uint8`` array.

    Compression is detected from the content, not the file name.

    Args:
        path: the file (``str`` or path-like).
        ndim: the number of dimensions expected (1 for labels, 3 for images), or ``None`` to
            accept any.

    Returns:
        A ``uint8`` array whose shape is the dimensions the header lists.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        DatasetError: if the magic number, the dimensions or the file length are not what an
            IDX file with that header must have, or the gzip stream is corrupt.
    """
    path = os.fspath(path)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            return _parse(raw, path, ndim, file_size=os.fstat(raw.fileno()).st_size)
        try:
            with gzip.GzipFile(fileobj=raw) as stream:
                return _parse(stream, path, ndim, file_size=None)
        except (OSError, EOFError, zlib.error) as err:  # gzip reports corruption as these
            raise DatasetError(f"IDX file {path!r} is not a valid gzip stream ({err}).") from err


def _parse(stream, path, ndim, file_size):
    """Checks the header and the length, then returns the values (sizes in decompressed bytes)."""
    magic = _read_header(stream, path, 4, "the 4-byte magic number")
    if magic[0] or magic[1] or magic[2] != UNSIGNED_BYTE or magic[3] == 0:
        raise DatasetError(
            f"IDX file {path!r} has magic number 0x{magic.hex()}; expected "
            f"{_expected_magic(ndim)}. Is it an IDX file?")
    if ndim is not None and magic[3] != ndim:
        raise DatasetError(
            f"IDX file {path!r} has magic number 0x{magic.hex()} ({_dimensions(magic[3])}); "
            f"expected {_expected_magic(ndim)}.")
    rank = magic[3]
    dims = struct.unpack(f">{rank}I", _read_header(stream, path, 4 * rank,
                                                   f"{rank} dimension sizes"))
    header_size = 4 + 4 * rank
    count = math.prod(dims)
    expected = f"{header_size + count} bytes ({header_size}-byte header + {count} values of " \
               f"shape {dims})"
    if file_size is not None and file_size != header_size + count:
        raise DatasetError(f"IDX file {path!r} is "
                           f"{_shorter_or_longer(file_size, header_size + count)}: {file_size} "
                           f"bytes, expected {expected}.")
    data = _read_at_most(stream, count + 1)  # one byte more, to notice trailing data
    if len(data) != count:
        size = header_size + len(data)
        raise DatasetError(f"IDX file {path!r} is {_shorter_or_longer(size, header_size + count)}"
                           f" once decompressed: {'at least ' if len(data) > count else ''}"
                           f"{size} bytes, expected {expected}.")
    try:
        return np.frombuffer(data, dtype=np.uint8).reshape(dims)
    except ValueError:  # a zero size beside sizes whose product overflows NumPy's index type
        raise DatasetError(f"IDX file {path!r} declares the shape {dims}, which NumPy cannot "
                           "represent.") from None


def _read_header(stream, path, size, what):
    data = stream.read(size)
    if len(data) != size:
        raise DatasetError(f"IDX file {path!r} is truncated: it ends inside the header, before "
                           f"{what} (got {len(data)} of {size} bytes).")
    return data


def _read_at_most(stream, size):
    data = bytearray()  # mutable, so the array built on it is writable (Keras' arrays are)
    while len(data) < size:
        chunk = stream.read(min(size - len(data), _CHUNK))
        if not chunk:
            break
        data += chunk
    return data


def _expected_magic(ndim):
    if ndim is None:
        return "0x000008NN (unsigned bytes, NN dimensions), e.g. 0x00000803 for images"
    return f"0x{0x800 + ndim:08x} ({_KIND.get(ndim, 'values')}: unsigned bytes, " \
           f"{_dimensions(ndim)})"


def _dimensions(n):
    return f"{n} dimension{'s' if n != 1 else ''}"


def _shorter_or_longer(size, expected):
    return "truncated" if size < expected else "longer than its header says"
