"""Datasets that load offline, and the helpers that prepare them for a model.

- :func:`load_digits`: scikit-learn's bundled 8×8 digits, ``(1797, 8, 8)`` in [0, 1].
- :func:`load_mnist`, :func:`load_fashion_mnist`: 28×28 images from IDX files found on disk
  (``path``, ``$NUMPYNET_DATA``, ``~/.keras/datasets``, Debian's ``/usr/share/datasets``),
  downloaded with a SHA-256 check only when nowhere to be found.
- :func:`load_csv_images`: the course's CSV format (label, then 784 pixels).
- :func:`read_idx`: one IDX file, validated.
- :func:`train_test_split`, :func:`one_hot`, :func:`make_pairs`.

A file with wrong contents raises :class:`DatasetError` (a ``ValueError``) naming the file.
"""

from numpynet.datasets.errors import DatasetError
from numpynet.datasets.digits import load_digits
from numpynet.datasets.idx import read_idx
from numpynet.datasets.mnist import load_fashion_mnist, load_mnist
from numpynet.datasets.csv_images import load_csv_images
from numpynet.datasets.split import one_hot, train_test_split
from numpynet.datasets.pairs import make_pairs

__all__ = ["DatasetError", "load_digits", "load_mnist", "load_fashion_mnist", "load_csv_images",
           "read_idx", "train_test_split", "one_hot", "make_pairs"]
