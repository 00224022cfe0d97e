"""scikit-learn's bundled 8×8 handwritten digits: real data that needs no network."""

import numpy as np

from numpynet import config


def load_digits():
    """Loads the 1,797 8×8 digit images that ship inside scikit-learn (no download).

    scikit-learn is imported here, not at ``import numpynet``, because it is an optional
    extra; demos flatten the images themselves (``x.reshape(len(x), -1)``).

    Returns:
        ``(x, y)``: ``x`` of shape ``(1797, 8, 8)`` in ``config.floatx()`` (float32), pixel
        intensities 0–16 divided by 16 so they lie in [0, 1]; ``y`` of shape ``(1797,)``,
        int64 labels 0–9.

    Raises:
        ImportError: if scikit-learn is not installed.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as err:
        raise ImportError(
            "numpynet.datasets.load_digits needs scikit-learn, which ships the 8x8 digits "
            "offline; install it with `pip install numpynet[viz]` (or `pip install "
            "scikit-learn`).") from err
    bunch = sklearn_load_digits()
    x = bunch.images.astype(config.floatx()) / 16.0
    return x, bunch.target.astype(np.int64)
