"""The one random generator behind initializers, dropout, noise and shuffling.

Everything random in numpynet asks :func:`generator` for the current generator at the moment it
draws, so :func:`set_random_seed` makes a whole run repeat exactly.
"""

import numpy as np

_GENERATOR = np.random.default_rng()


def set_random_seed(seed):
    """Seeds the generator that every random draw in numpynet uses.

    Args:
        seed: a non-negative integer.
    """
    global _GENERATOR
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"set_random_seed expects a non-negative integer seed, got {seed!r}.")
    _GENERATOR = np.random.default_rng(int(seed))


def generator():
    """Returns the current :class:`numpy.random.Generator` (ask again after re-seeding)."""
    return _GENERATOR
