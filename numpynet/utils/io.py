"""Writing files so that a crash never leaves a half-written one.

Every file numpynet writes (saved models, weights, checkpoints, CSV logs, TensorBoard
summaries) goes through :func:`atomic_write`: the bytes go to a temporary file beside the
target, are flushed to disk, and only then replace the target in one ``os.replace`` step. A
reader sees either the old file or the new one, never a mix.
"""

import contextlib
import os
import tempfile


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


__all__ = ["atomic_write"]
