"""Timing helpers: wall-clock blocks, repeated and interleaved, summarised by median and range.

The machine that runs the benchmark may be busy. Two habits keep the comparison fair anyway:
every quantity is measured several times (*repeats*) and reported as the median with the
minimum and maximum, and the engines take turns inside each repeat (numpynet, Keras, numpynet,
Keras...), so a burst of background load falls on both rather than on one.
"""

import dataclasses
import math
import statistics
import time


@dataclasses.dataclass(frozen=True)
class Stats:
    """Summary of repeated measurements of one quantity (seconds, or any unit).

    Attributes:
        median: the median over repeats (the headline number).
        min: the fastest repeat (closest to what the code costs on an idle machine).
        max: the slowest repeat.
        count: the number of repeats.
    """

    median: float
    min: float
    max: float
    count: int

    @classmethod
    def of(cls, values):
        """Summarises a non-empty list of measurements.

        Raises:
            ValueError: if ``values`` is empty.
        """
        values = list(values)
        if not values:
            raise ValueError("Stats.of needs at least one measurement, got none.")
        return cls(statistics.median(values), min(values), max(values), len(values))

    def scaled(self, factor):
        """The same statistics multiplied by ``factor`` (e.g. 1e3 for seconds to ms)."""
        return Stats(self.median * factor, self.min * factor, self.max * factor, self.count)

    def inverse(self, numerator=1.0):
        """``numerator / value`` for each statistic (a time becomes a rate; min and max swap)."""
        return Stats(numerator / self.median, numerator / self.max, numerator / self.min,
                     self.count)

    def is_sane(self):
        """True when every statistic is positive and finite."""
        return all(math.isfinite(v) and v > 0 for v in (self.median, self.min, self.max))


def time_block(fn, calls=1):
    """Runs ``fn()`` ``calls`` times; returns the wall-clock seconds per call."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def interleaved(blocks, repeats, warmup=1):
    """Times several blocks in turn, ``repeats`` rounds, after ``warmup`` untimed rounds.

    Args:
        blocks: dict ``name -> (fn, calls)``; each round runs every block once, in order,
            and records the seconds per call of ``fn``.
        repeats: number of timed rounds.
        warmup: untimed rounds first (tracing, caches, first allocations).

    Returns:
        dict ``name -> Stats`` of seconds per call.
    """
    for _ in range(warmup):
        for fn, calls in blocks.values():
            time_block(fn, calls)
    samples = {name: [] for name in blocks}
    for _ in range(repeats):
        for name, (fn, calls) in blocks.items():
            samples[name].append(time_block(fn, calls))
    return {name: Stats.of(values) for name, values in samples.items()}


def ratio(numerator, denominator):
    """Ratio of two Stats' medians and of their minima: ``(median ratio, min ratio)``."""
    return numerator.median / denominator.median, numerator.min / denominator.min
