"""Safe file I/O: writes that a crash cannot half-do, reads that a hostile file cannot abuse.

Every file numpynet writes (saved models, weights, checkpoints, CSV logs, TensorBoard
summaries) goes through :func:`atomic_write`: the bytes go to a temporary file beside the
target, are flushed to disk, and only then replace the target in one ``os.replace`` step. A
reader sees either the old file or the new one, never a mix.

:func:`read_zip_members` and :func:`read_npz_bytes` read archives that may come from anyone:
only the expected member names, never a pickle.
"""

import contextlib
import io
import lzma
import os
import tempfile
import zipfile
import zlib

import numpy as np

# What zipfile, its decompressors and np.load raise on bytes that are not a valid archive:
# corrupt streams (zlib, bz2 -> OSError, lzma), unsupported zip features (NotImplementedError),
# encrypted members (RuntimeError), and a header that declares an absurd array (MemoryError).
CORRUPT_FILE_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error,
                       lzma.LZMAError, NotImplementedError, RuntimeError, MemoryError)


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None, newline=None):
    """Opens a temporary file that replaces ``path`` only if the ``with`` block succeeds.

    Args:
        path: the file to create or replace (str or ``os.PathLike``). Its directory must exist.
        mode: ``"wb"`` (default) or ``"w"`` (text); only write modes make sense.
        encoding: text encoding for ``mode="w"`` (default UTF-8).
        newline: passed to ``open`` in text mode (``""`` for the csv module).

    Yields:
        The open temporary file object.

    Raises:
        ValueError: if ``mode`` is not a write mode.
        FileNotFoundError: if the directory of ``path`` does not exist.

    Example:
        >>> with atomic_write("weights.npz") as f:
        ...     np.savez(f, kernel=kernel)
    """
    if mode not in ("w", "wb", "wt"):
        raise ValueError(f"atomic_write: mode must be 'w' or 'wb', got {mode!r}.")
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"atomic_write: cannot write {path!r}: the directory "
                                f"{directory!r} does not exist.")
    # The temporary file lives in the same directory: os.replace is atomic only within
    # one file system.
    fd, temp_path = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                                     suffix=".tmp")
    if "b" not in mode:
        encoding = encoding or "utf-8"
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())  # the bytes are on disk before the name points at them
        _keep_permissions(path, temp_path)
        os.replace(temp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp_path)
        raise


def _keep_permissions(path, temp_path):
    """Gives the new file the old file's permissions (mkstemp creates it as 0600)."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temp_path, mode)


def read_zip_members(path, allowed, required, kind, error=ValueError):
    """Reads a zip archive whose member names must all be in ``allowed``.

    Args:
        path: the zip file.
        allowed: the member names that may appear.
        required: the member names that must appear.
        kind: what the file should be, for messages (``"numpynet model"``).
        error: the exception class to raise.

    Returns:
        dict member name -> bytes (checksums verified).

    Raises:
        error: naming ``path`` for a missing, empty, non-zip or truncated file, an unsafe
            (``..``, absolute), pickled, unexpected, duplicated or missing member.
    """
    if not os.path.isfile(path):
        raise error(f"File not found: filepath={path}. Please ensure the file is an "
                    f"accessible {kind} file.")
    if os.path.getsize(path) == 0:
        raise error(f"{path!r} is empty (0 bytes): it is not a {kind} file.")
    if not zipfile.is_zipfile(path):
        raise error(f"{path!r} is not a {kind} file: it is not a zip archive, or it is "
                    "truncated or corrupt.")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            _check_member_names(path, names, allowed, required, kind, error)
            return {name: archive.read(name) for name in names}
    except CORRUPT_FILE_ERRORS as exc:
        raise error(f"{path!r} is a truncated or corrupt zip archive: {exc}.") from None


def _check_member_names(path, names, allowed, required, kind, error):
    for name in names:
        if ".." in name or name.startswith(("/", "\\")) or ":" in name or "\\" in name:
            raise error(f"{path!r} contains an unsafe member name {name!r}; refused.")
        if name.endswith(".pkl") or "pickle" in name.lower():
            raise error(f"{path!r} contains a pickle ({name!r}); numpynet never loads "
                        "pickles, refused.")
        if name not in allowed:
            raise error(f"{path!r} contains an unexpected member {name!r}; a {kind} file "
                        f"holds only {list(allowed)}. Refused.")
    if len(set(names)) != len(names):
        raise error(f"{path!r} contains duplicated members; refused.")
    missing = [name for name in required if name not in names]
    if missing:
        raise error(f"{path!r} is missing {missing}: it is not a complete {kind} file.")


def load_npz(source):
    """Reads every array of an ``.npz`` file (a path or its bytes) with pickles disabled.

    ``np.load`` alone would also accept a single ``.npy`` array, and its ``NpzFile`` returns
    raw bytes for a member that is not an ``.npy``: both are refused here.

    Returns:
        dict name -> ndarray.

    Raises:
        One of :data:`CORRUPT_FILE_ERRORS` (``ValueError`` for a file that is not an ``.npz``
        or holds a pickle or a foreign member); the caller adds the file name.
    """
    with (io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")) as stream:
        if stream.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):  # an .npz is a zip archive
            raise ValueError("it is not a zip archive")
        stream.seek(0)
        with np.load(stream, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray):
            raise ValueError(f"member {key!r} is not a .npy array")
    return arrays


def read_npz_bytes(data, path, member, error=ValueError):
    """Loads ``.npz`` bytes with pickles disabled; every entry must be a numeric array.

    Returns:
        dict name -> ndarray.

    Raises:
        error: naming ``path`` and ``member`` if the bytes are not such an ``.npz``.
    """
    try:
        arrays = load_npz(data)
    except CORRUPT_FILE_ERRORS as exc:
        raise error(f"{path!r}: {member} is not a valid .npz of numeric arrays "
                    f"({exc}).") from None
    for key, array in arrays.items():
        if array.dtype.kind not in "biuf":
            raise error(f"{path!r}: {member} entry {key!r} is not a numeric array.")
    return arrays


__all__ = ["atomic_write", "read_zip_members", "read_npz_bytes", "load_npz",
           "CORRUPT_FILE_ERRORS"]
