"""MNIST and Fashion-MNIST from standard IDX files, found on disk or downloaded with a checksum.

Both datasets are four IDX files with the same names, gzipped or not::

    train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]
    t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]

MNIST may also be Keras' single cache file ``mnist.npz``. :func:`dataset_dirs` lists where a
loader looks, in order; the first directory holding a complete set wins.
"""

import dataclasses
import http.client
import os

import numpy as np

from numpynet import config
from numpynet.datasets import download
from numpynet.datasets.errors import DatasetError
from numpynet.datasets.idx import read_idx
from numpynet.utils.io import CORRUPT_FILE_ERRORS, load_npz

IDX_FILES = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
             "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
NPZ_FILE = "mnist.npz"
_KERAS_MIRROR = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a dataset lives: its cache sub-directory, system copies and download mirrors.

    Attributes:
        name: sub-directory name under ``$NUMPYNET_DATA``, ``~/.keras/datasets`` and the cache.
        title: the name used in messages.
        system_dirs: directories a system package installs it to.
        mirrors: base URLs tried in order; each file is ``mirror + file name``.
        files: ``{file name: sha256}`` that a download fetches.
        npz: whether ``mnist.npz`` (Keras' cache format) is accepted as well as IDX files.
        hint: an extra sentence for the "not found" message (how a system installs it).
    """

    name: str
    title: str
    system_dirs: tuple
    mirrors: tuple
    files: dict
    npz: bool = False
    hint: str = ""


SOURCES = {
    # The digest Keras' keras/src/datasets/mnist.py checks for its mnist.npz.
    "mnist": Source("mnist", "MNIST", (), (_KERAS_MIRROR,),
                    {NPZ_FILE: "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"},
                    npz=True),
    # Keras' fashion_mnist.py checks no digest; these are the SHA-256 digests of Zalando's
    # original files (whose MD5s the fashion-mnist README lists). Debian re-compressed its copy,
    # so its .gz files differ byte-wise though the decompressed IDX data is the same.
    "fashion-mnist": Source(
        "fashion-mnist", "Fashion-MNIST", ("/usr/share/datasets/fashion-mnist",),
        (_KERAS_MIRROR,
         "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
        {"train-images-idx3-ubyte.gz":
             "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
         "train-labels-idx1-ubyte.gz":
             "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
         "t10k-images-idx3-ubyte.gz":
             "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
         "t10k-labels-idx1-ubyte.gz":
             "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"},
        hint="On Debian or Ubuntu, `apt-get install dataset-fashion-mnist` installs them in "
             "/usr/share/datasets/fashion-mnist."),
}


def load_mnist(path=None, raw=False, download=True):
    """Loads MNIST handwritten digits: 60,000 training and 10,000 test images of 28×28 pixels.

    Args:
        path: a directory holding the IDX files (or ``mnist.npz``); if given, only it is read.
        raw: return Keras' ``uint8`` arrays (pixels 0–255, ``uint8`` labels) unchanged.
        download: when the files are nowhere on disk, try to download them into
            :func:`numpynet.datasets.download.cache_dir`.

    Returns:
        ``((x_train, y_train), (x_test, y_test))`` as ``keras.datasets.mnist.load_data()``:
        ``x`` of shape ``(n, 28, 28)`` in ``config.floatx()`` (float32) scaled to [0, 1]
        (``uint8`` 0–255 if ``raw``), ``y`` of shape ``(n,)`` in ``int64`` (``uint8`` if ``raw``).

    Raises:
        FileNotFoundError: if no directory searched holds the files and none could be
            downloaded; the message lists the directories and the file names.
        DatasetError: if a file is corrupt or the image and label counts differ.
    """
    return _load(SOURCES["mnist"], path, raw, download)


def load_fashion_mnist(path=None, raw=False, download=True):
    """Loads Fashion-MNIST: 60,000 training and 10,000 test 28×28 images of 10 clothing classes.

    On Debian and Ubuntu, ``apt-get install dataset-fashion-mnist`` puts the files in
    ``/usr/share/datasets/fashion-mnist``, which is searched. Arguments, returns and errors are
    those of :func:`load_mnist`.
    """
    return _load(SOURCES["fashion-mnist"], path, raw, download)


def dataset_dirs(source, path=None):
    """The directories searched for ``source``, in order (the download cache last).

    Args:
        source: a :class:`Source`.
        path: a directory the user named; if given it is the only one.
    """
    if path is not None:
        return [os.fspath(path)]
    dirs = []
    data_root = os.environ.get("NUMPYNET_DATA")
    if data_root:  # the dataset's own sub-directory first: both datasets use the same file names
        dirs += [os.path.join(data_root, source.name), data_root]
    keras_root = os.path.join(os.path.expanduser("~"), ".keras", "datasets")
    dirs.append(os.path.join(keras_root, source.name))
    if source.npz:
        dirs.append(keras_root)  # keras.datasets.mnist caches ~/.keras/datasets/mnist.npz
    dirs += list(source.system_dirs)
    dirs.append(download.cache_dir(source.name))
    return list(dict.fromkeys(dirs))


def find_files(directory, source):
    """Returns ``{"x_train": path, ...}`` for a complete IDX set, ``{"npz": path}``, or ``None``."""
    found = {}
    for key, stem in IDX_FILES.items():
        for candidate in (stem, stem + ".gz"):
            if os.path.isfile(os.path.join(directory, candidate)):
                found[key] = os.path.join(directory, candidate)
                break
    if len(found) == len(IDX_FILES):
        return found
    if source.npz and os.path.isfile(os.path.join(directory, NPZ_FILE)):
        return {"npz": os.path.join(directory, NPZ_FILE)}
    return None


def _load(source, path, raw, allow_download):
    dirs = dataset_dirs(source, path)
    files = next((f for f in (find_files(d, source) for d in dirs) if f), None)
    if files is None:
        if path is not None:
            reason = "a path was given, so nothing was downloaded"
        elif not allow_download:
            reason = "download=False"
        else:
            reason, files = _download(source)
        if files is None:
            raise FileNotFoundError(_not_found_message(source, dirs, reason))
    (x_train, y_train), (x_test, y_test) = _read(files)
    if raw:
        return (x_train, y_train), (x_test, y_test)
    return ((scale_pixels(x_train), y_train.astype(np.int64)),
            (scale_pixels(x_test), y_test.astype(np.int64)))


def scale_pixels(x, top=255.0):
    """Returns ``x`` (0..top) as ``config.floatx()`` in [0, 1], as ``x.astype("float32") / 255``.

    Dividing in place in floatx gives the Keras idiom's values bit for bit with one allocation.
    """
    out = x.astype(config.floatx())
    out /= top
    return out


def _read(files):
    if "npz" in files:
        return _read_npz(files["npz"])
    arrays = {key: read_idx(file, ndim=1 if key.startswith("y") else 3)
              for key, file in files.items()}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if len(x) != len(y):
            raise DatasetError(
                f"{files[f'x_{split}']!r} holds {len(x)} images but {files[f'y_{split}']!r} "
                f"holds {len(y)} labels; expected one label per image.")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _read_npz(path):
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        stored = load_npz(path)
        arrays = {key: stored[key] for key in keys}
    except (KeyError, *CORRUPT_FILE_ERRORS) as err:
        raise DatasetError(f"{path!r} is not a readable MNIST .npz file with arrays "
                           f"{list(keys)} ({err}).") from err
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise DatasetError(
                f"{path!r}: expected uint8 x_{split} of shape (n, height, width) and "
                f"y_{split} of shape (n,), got {x.dtype} {x.shape} and {y.dtype} {y.shape}.")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _download(source):
    """Fetches every file of ``source`` into the cache; returns ``(failure reason, files)``."""
    directory = download.cache_dir(source.name)
    for filename, sha256 in source.files.items():
        destination = os.path.join(directory, filename)
        if os.path.isfile(destination):  # kept by an earlier run, so its digest matched then
            continue
        failures = _fetch_from_mirrors(source, filename, sha256, destination)
        if failures:
            return "downloading failed (" + "; ".join(failures) + ")", None
    return None, find_files(directory, source)


def _fetch_from_mirrors(source, filename, sha256, destination):
    """Tries each mirror in turn; returns the network failures if none worked."""
    failures, mismatches = [], []
    for mirror in source.mirrors:
        try:
            download.fetch(mirror + filename, destination, sha256)
            return []
        except DatasetError as err:
            mismatches.append(str(err))
        except (OSError, ValueError, http.client.HTTPException) as err:
            failures.append(f"{mirror + filename}: {err}")
    if mismatches:  # a reachable mirror served other bytes: corruption, not a missing network
        raise DatasetError(f"No mirror of {source.title} gave {filename} with the expected "
                           "SHA-256. " + " ".join(mismatches))
    return failures or ["no mirror is listed"]


def _not_found_message(source, dirs, reason):
    names = ", ".join(f"{stem}.gz" for stem in IDX_FILES.values())
    npz = f" (or Keras' {NPZ_FILE})" if source.npz else ""
    return (f"{source.title} not found. Searched, in order: {', '.join(dirs)}. Put the IDX "
            f"files {names} (gzipped or not){npz} in one of these directories, set NUMPYNET_DATA "
            f"to the directory holding them, or pass path=. {source.hint}"
            f"{' ' if source.hint else ''}Not downloaded: {reason}.")
