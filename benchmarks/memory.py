"""Measurements that need a fresh Python process: import time and peak memory of a fit.

Each measurement runs in its own subprocess, so that nothing the benchmark already imported or
allocated is counted: ``import numpynet`` against ``import tensorflow`` (and ``keras``), and
the peak resident set size (Linux's VmHWM, or ``getrusage``'s ``ru_maxrss``) of a process that
imports an engine, makes the data, builds the model and fits it for one epoch.

Run as ``python -m benchmarks.memory ENGINE CASE BATCHES`` to be that worker process: it prints
one JSON line with its peak RSS (MiB) after setting up and after the fit.
"""

import json
import os
import pathlib
import subprocess
import sys

from benchmarks.timing import Stats

# What is imported, timed in-process (the interpreter's own start-up is not counted).
IMPORTS = {
    "numpynet": "import numpynet",
    "numpynet, ready to fit": ("import numpynet as nn; nn.Model; nn.layers; nn.optimizers; "
                               "nn.losses; nn.metrics; nn.callbacks"),
    "tensorflow": "import tensorflow",
    "keras (TensorFlow backend)": "import keras",
}
_QUIET_TF = {"KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "2"}
_PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[1]  # so `-m benchmarks...` resolves


def _environment():
    return {**os.environ, **{k: os.environ.get(k, v) for k, v in _QUIET_TF.items()}}


def _run_json(args, timeout=600):
    """Runs ``python args...`` and returns the JSON of its last stdout line."""
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          env=_environment(), cwd=_PROJECT_ROOT, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark subprocess {args} failed with exit code "
                           f"{done.returncode}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def import_time(statement, repeats=5):
    """Seconds ``statement`` takes in fresh interpreters: Stats over ``repeats`` processes."""
    code = ("import time; _t = time.perf_counter(); " + statement + "; "
            "import json; print(json.dumps(time.perf_counter() - _t))")
    return Stats.of(_run_json(["-c", code]) for _ in range(repeats))


def import_times(names, repeats=5):
    """``{name: Stats}`` for each name of :data:`IMPORTS` in ``names``, processes alternating."""
    samples = {name: [] for name in names}
    for _ in range(repeats):
        for name in names:
            samples[name].append(import_time(IMPORTS[name], repeats=1).median)
    return {name: Stats.of(values) for name, values in samples.items()}


def peak_memory(engine, case_key, batches):
    """Peak RSS (MiB) of a fresh process fitting ``case_key`` with ``engine`` for one epoch.

    Returns:
        dict with ``"setup"`` (peak after imports, data and model) and ``"fit"`` (peak overall).
    """
    return _run_json(["-m", "benchmarks.memory", engine, case_key, str(batches)])


def _peak_rss_mib():
    """This process's peak resident set size in MiB.

    On Linux, VmHWM (the high-water mark of this process's own memory map) is read: the
    ``ru_maxrss`` of ``getrusage`` survives ``exec``, so a child started by a large parent
    (the benchmark, with TensorFlow loaded) would report the parent's peak. Elsewhere,
    ``ru_maxrss`` is used.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # the line reads "VmHWM:  123 kB"
    except OSError:
        pass
    import resource

    scale = 1 / 1024 ** 2 if sys.platform == "darwin" else 1 / 1024  # bytes / KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _worker(engine, case_key, batches):
    """Imports ``engine``, builds the case, fits one epoch, prints its peak RSS as JSON."""
    from benchmarks.cases import CASES, load_keras

    if engine == "numpynet":
        import numpynet as lib
    elif engine == "keras":
        lib = load_keras()
    else:
        raise ValueError(f"benchmarks.memory: engine must be 'numpynet' or 'keras', "
                         f"got {engine!r}.")
    case = {c.key: c for c in CASES}[case_key]
    x, y = case.data(batches)
    model = case.build(lib)
    setup = _peak_rss_mib()
    model.fit(x, y, batch_size=case.batch_size, epochs=1, verbose=0, shuffle=False)
    print(json.dumps({"setup": setup, "fit": _peak_rss_mib()}))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: python -m benchmarks.memory ENGINE CASE BATCHES")
    _worker(sys.argv[1], sys.argv[2], int(sys.argv[3]))
