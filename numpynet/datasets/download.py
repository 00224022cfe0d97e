"""Checked, atomic downloads into numpynet's dataset cache.

Nothing in numpynet needs the network: a loader only calls :func:`fetch` when the files are
nowhere on disk. Tests (and firewalled users) replace :data:`urlopen` to control what a
download sees, or point a mirror at a ``file://`` URL.
"""

import hashlib
import os
import tempfile
import urllib.request

from numpynet.datasets.errors import DatasetError

#: The function that opens a URL, ``urlopen(url, timeout=...)``; looked up at call time so that
#: tests can monkeypatch it (for instance with one that raises ``urllib.error.URLError``).
urlopen = urllib.request.urlopen

TIMEOUT = 30.0
_CHUNK = 1 << 20


def cache_dir(name=None):
    """Returns where downloads go: ``$NUMPYNET_DATA`` if set, else ``~/.numpynet/datasets``.

    Args:
        name: an optional sub-directory (the dataset's name, e.g. ``"fashion-mnist"``).

    Returns:
        The directory as a string (not created here).
    """
    root = os.environ.get("NUMPYNET_DATA") or os.path.join(
        os.path.expanduser("~"), ".numpynet", "datasets")
    return os.path.join(root, name) if name else root


def sha256_of(path):
    """Returns the hex SHA-256 digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url, destination, sha256, timeout=TIMEOUT):
    """Downloads ``url`` to ``destination`` if its SHA-256 digest is ``sha256``.

    The bytes go to a temporary file beside ``destination`` that is renamed over it
    (``os.replace``) only after the digest matched, so an interrupted or corrupt download never
    leaves a file that a later run would trust.

    Args:
        url: what to download (``https://``, ``http://`` or ``file://``).
        destination: the final file path; its directory is created if needed.
        sha256: the expected hex digest (case-insensitive).
        timeout: seconds to wait for the server.

    Returns:
        ``destination``.

    Raises:
        OSError: if the URL cannot be opened or read (``urllib.error.URLError`` is one).
        DatasetError: if the digest differs; nothing is kept.
    """
    directory = os.path.dirname(os.path.abspath(destination))
    os.makedirs(directory, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(destination)}.",
                                   suffix=".part")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urlopen(url, timeout=timeout) as response:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256.lower():
            raise DatasetError(
                f"Downloaded {url} has SHA-256 {digest.hexdigest()}, expected {sha256.lower()}; "
                f"the file was not kept (a corrupt or changed download).")
        os.replace(partial, destination)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return destination
