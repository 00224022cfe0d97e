"""The one random generator behind initializers, dropout, noise and shuffling.

Everything random in numpynet asks :func:`generator` for the current generator at the moment it
draws, so :func:`set_random_seed` makes a whole run repeat exactly.

What the seed cannot pin is the BLAS library behind ``@``: it may split a matrix product over
threads, and another split sums in another order, which can change the last bits. For bit-identical
runs across processes, fix the thread count before NumPy is imported (``OPENBLAS_NUM_THREADS=1``,
or ``OMP_NUM_THREADS``/``MKL_NUM_THREADS``) and use the same machine and library versions
(``tests/test_reproducibility.py``).
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
