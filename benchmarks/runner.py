"""Runs every measurement of the benchmark and collects them in one :class:`Results`."""

import dataclasses
import datetime
import time

from benchmarks import machine, memory
from benchmarks.cases import CASES, load_keras
from benchmarks.speed import measure_case

# Full mode: what `python -m benchmarks` (and `make benchmark`) measures.
FULL = {"repeats": 7, "scale": 1, "import_repeats": 5, "memory_cases": ("autoencoder",
                                                                        "deep_narrow")}
# Smoke mode: the same code paths in a few seconds (numbers too noisy to read).
SMOKE = {"repeats": 2, "scale": 8, "import_repeats": 2, "memory_cases": ("autoencoder",)}


@dataclasses.dataclass
class Results:
    """All measurements of one run.

    Attributes:
        mode: ``"full"`` or ``"smoke"``.
        engines: the engines measured (``("numpynet",)`` or ``("numpynet", "keras")``).
        repeats: timed rounds per quantity.
        machine: ``(label, value)`` rows from :func:`benchmarks.machine.describe`.
        load: 1-minute load average at the start and at the end of the run.
        cases: a :class:`~benchmarks.speed.CaseResult` per case.
        imports: import name -> Stats of seconds.
        memory: case key -> engine -> ``{"setup": MiB, "fit": MiB}``.
        memory_batches: batches in the dataset of the memory runs.
        started: ISO date and time of the start.
        seconds: wall-clock duration of the run.
    """

    mode: str
    engines: tuple
    repeats: int
    machine: list
    load: tuple
    cases: list
    imports: dict
    memory: dict
    memory_batches: int
    started: str
    seconds: float


def run(smoke=False, engines=None, repeats=None, cases=None, log=print):
    """Runs the benchmark.

    Args:
        smoke: the seconds-long mode (fewer batches and repeats).
        engines: ``("numpynet",)`` or ``("numpynet", "keras")``; default: both in full mode,
            numpynet alone in smoke mode (the smoke test must not need TensorFlow).
        repeats: timed rounds per quantity (default 7, or 2 in smoke mode).
        cases: keys of the cases to run (default: all of :data:`benchmarks.cases.CASES`).
        log: function called with a line of progress.

    Returns:
        A :class:`Results`.

    Raises:
        ValueError: for an unknown engine or case key.
    """
    settings = SMOKE if smoke else FULL
    engines = tuple(engines or (("numpynet",) if smoke else ("numpynet", "keras")))
    unknown = [e for e in engines if e not in ("numpynet", "keras")]
    if unknown or "numpynet" not in engines:
        raise ValueError(f"engines must be ('numpynet',) or ('numpynet', 'keras'), got "
                         f"{engines}.")
    selected = _select_cases(cases)
    repeats = repeats or settings["repeats"]
    start, load_start = time.perf_counter(), machine.load_average()
    started = datetime.datetime.now().isoformat(timespec="seconds")
    keras = load_keras() if "keras" in engines else None
    results = []
    for case in selected:
        case = case.scaled(settings["scale"])
        log(f"[benchmark] {case.title}: {repeats} repeats of {case.fit_batches} fit batches, "
            f"{case.step_calls} steps")
        results.append(measure_case(case, repeats, keras))
    log("[benchmark] import times (fresh processes)")
    names = [n for n in memory.IMPORTS if "keras" in engines or not _is_tf_import(n)]
    imports = memory.import_times(names, settings["import_repeats"])
    memory_batches = max(2, 16 // settings["scale"])
    log("[benchmark] peak memory of a fit (fresh processes)")
    peaks = {key: {e: memory.peak_memory(e, key, memory_batches) for e in engines}
             for key in settings["memory_cases"] if any(c.key == key for c in selected)}
    return Results("smoke" if smoke else "full", engines, repeats, machine.describe(keras),
                   (load_start, machine.load_average()), results, imports, peaks,
                   memory_batches, started, time.perf_counter() - start)


def _is_tf_import(name):
    return name.startswith(("tensorflow", "keras"))


def _select_cases(keys):
    if keys is None:
        return list(CASES)
    known = {c.key: c for c in CASES}
    missing = [k for k in keys if k not in known]
    if missing:
        raise ValueError(f"Unknown benchmark case(s) {missing}; known cases: {list(known)}.")
    return [known[k] for k in keys]
