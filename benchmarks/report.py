"""Markdown of the results: ``benchmarks/results.md`` and the README's performance table.

Every number is taken from a :class:`~benchmarks.runner.Results`; the only constants here are the
targets of the performance issue. The README keeps its text: only the lines between
``<!-- benchmark-table:begin -->`` and ``<!-- benchmark-table:end -->`` are replaced.
"""

import pathlib

from benchmarks import notes

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS_PATH = ROOT / "benchmarks" / "results.md"
README_PATH = ROOT / "README.md"
BEGIN, END = "<!-- benchmark-table:begin -->", "<!-- benchmark-table:end -->"

STEP_TARGET = 0.6  # numpynet's train step at most 0.6x Keras'
GEMM_SHARE_TARGET = 0.8  # the autoencoder's step at least 80 % of its GEMM limit
IMPORT_TARGET = 0.3  # seconds for `import numpynet`
MEMORY_TARGET = 0.25  # numpynet's fit peak memory at most 1/4 of Keras'
TARGET_CASES = ("autoencoder", "deep_narrow", "pairwise_16", "pairwise_256")


# ---------------------------------------------------------------------------- formatting
def ms(stats):
    """``median [min – max]`` of a Stats of seconds, in milliseconds."""
    s = stats.scaled(1e3)
    return f"{s.median:.3g} ms [{s.min:.3g} – {s.max:.3g}]"


def rate(stats):
    """``median [min – max]`` of a Stats of samples per second."""
    return f"{stats.median:,.0f} /s [{stats.min:,.0f} – {stats.max:,.0f}]"


def times(value):
    return f"{value:.2f}×"


def status(ok):
    return "met" if ok else "**missed**"


def table(header, rows):
    """A Markdown table from a header row and data rows."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- derived numbers
def step_ratio(result, path="fit"):
    """numpynet / Keras for ``path`` (``"fit"`` or ``"step"``): (median ratio, min ratio)."""
    times_ = getattr(result, path)
    if "keras" not in times_:
        return None
    ours, theirs = times_["numpynet"], times_["keras"]
    return ours.median / theirs.median, ours.min / theirs.min


def gemm_share(result, path="fit"):
    """The GEMM limit as a fraction of numpynet's step: (median share, best-case share)."""
    step = getattr(result, path)["numpynet"]
    return result.gemm.median / step.median, result.gemm.min / step.min


def targets(results):
    """``(description, measured, met)`` for each target the run can judge."""
    rows = []
    by_key = {r.case.key: r for r in results.cases}
    for key in TARGET_CASES:
        result = by_key.get(key)
        if result is not None and step_ratio(result):
            value = step_ratio(result)[0]
            rows.append((f"Train step ≤ {STEP_TARGET}× Keras: {result.case.title} (fit, median)",
                         times(value), value <= STEP_TARGET))
    if "autoencoder" in by_key:
        share = gemm_share(by_key["autoencoder"])[0]
        rows.append((f"Autoencoder step ≥ {GEMM_SHARE_TARGET:.0%} of its GEMM limit (fit, median)",
                     f"{share:.0%}", share >= GEMM_SHARE_TARGET))
    if "numpynet" in results.imports:
        seconds = results.imports["numpynet"].median
        rows.append((f"`import numpynet` ≤ {IMPORT_TARGET} s", f"{seconds:.3f} s",
                     seconds <= IMPORT_TARGET))
    for key, peaks in results.memory.items():
        if "keras" in peaks:
            share = peaks["numpynet"]["fit"] / peaks["keras"]["fit"]
            rows.append((f"Peak memory of a fit ≤ ¼ Keras': {by_key[key].case.title}",
                         times(share), share <= MEMORY_TARGET))
    return rows


# ---------------------------------------------------------------------------- sections
def training_section(results):
    header = ["case", "path", "numpynet", "Keras", "numpynet / Keras (median; min)"]
    rows = []
    for r in results.cases:
        for path, label in (("fit", "fit, per batch"), ("step", "train_on_batch")):
            timings = getattr(r, path)
            keras = timings.get("keras")
            ratio = step_ratio(r, path)
            rows.append([r.case.title, label, ms(timings["numpynet"]),
                         ms(keras) if keras else "—",
                         f"{times(ratio[0])}; {times(ratio[1])}" if ratio else "—"])
    return table(header, rows)


def predict_section(results):
    header = ["case", "numpynet", "Keras", "numpynet / Keras (median)"]
    rows = []
    for r in results.cases:
        ours, keras = r.predict["numpynet"], r.predict.get("keras")
        rows.append([r.case.title, rate(ours), rate(keras) if keras else "—",
                     times(ours.median / keras.median) if keras else "—"])
    return table(header, rows)


def gemm_section(results):
    header = ["case", "GEMM FLOPs per step", "GEMM limit", "GEMM rate (median)",
              "numpynet step (fit)", "share of the limit (median; best)"]
    rows = []
    for r in results.cases:
        share = gemm_share(r)
        rows.append([r.case.title, f"{r.gemm_flops / 1e6:.1f} M", ms(r.gemm),
                     f"{r.gemm_flops / r.gemm.median / 1e9:.0f} GFLOP/s",
                     ms(r.fit["numpynet"]), f"{share[0]:.0%}; {share[1]:.0%}"])
    return table(header, rows)


def phases_section(results):
    names = list(results.cases[0].phases)
    header = ["case", *names, "total", "of which GEMMs"]
    rows = []
    for r in results.cases:
        total = sum(s.median for s in r.phases.values())
        cells = [f"{s.median * 1e3:.3f} ({s.median / total:.0%})" for s in r.phases.values()]
        rows.append([r.case.title, *cells, f"{total * 1e3:.3f}",
                     f"{r.gemm.median * 1e3:.3f} ({r.gemm.median / total:.0%})"])
    return table(header, rows)


def precision_section(results):
    header = ["case", "float32", "float64", "float64 / float32 (median)"]
    rows = [[r.case.title, ms(r.float32_step), ms(r.float64_step),
             times(r.float64_step.median / r.float32_step.median)] for r in results.cases]
    return table(header, rows)


def imports_section(results):
    header = ["import", "seconds (median [min – max])"]
    rows = [[f"`{name}`" if " " not in name else name,
             f"{s.median:.3f} [{s.min:.3f} – {s.max:.3f}]"] for name, s in results.imports.items()]
    return table(header, rows)


def memory_section(results):
    header = ["case", "engine", "peak RSS after setup", "peak RSS of the fit", "vs Keras"]
    rows = []
    titles = {r.case.key: r.case.title for r in results.cases}
    for key, peaks in results.memory.items():
        for engine, peak in peaks.items():
            share = peak["fit"] / peaks["keras"]["fit"] if "keras" in peaks else None
            rows.append([titles[key], engine, f"{peak['setup']:.0f} MiB", f"{peak['fit']:.0f} MiB",
                         times(share) if share is not None else "—"])
    return table(header, rows)


# ---------------------------------------------------------------------------- documents
def results_markdown(results):
    """The whole of ``benchmarks/results.md``."""
    load = " → ".join("?" if v is None else f"{v:.1f}" for v in results.load)
    parts = [
        "# numpynet vs Keras: benchmark results",
        f"Generated by `python -m benchmarks` ({results.mode} mode) on {results.started} in "
        f"{results.seconds:.0f} s; {results.repeats} timed repeats of every quantity after a "
        f"warm-up, engines alternating; 1-minute load average {load}. Regenerate with "
        "`make benchmark`; every number below is measured, none is typed in.",
        "## Machine", table(["", ""], results.machine),
        "## Targets", table(["target", "measured", "status"],
                            [(d, m, status(ok)) for d, m, ok in targets(results)]),
        "## Training speed", "Seconds per batch, median [min – max] over the repeats.",
        training_section(results),
        "## Predict throughput", predict_section(results),
        "## GEMM limit", notes.GEMM_METHOD, gemm_section(results),
        "## Where numpynet's step goes",
        "Milliseconds per `train_on_batch`, median of each phase (share of the step).",
        phases_section(results),
        "## float64 against float32 (numpynet `train_on_batch`)", precision_section(results),
        "## Import time", "Each import in a fresh interpreter (its start-up not counted).",
        imports_section(results),
        "## Peak memory of a fit",
        f"A fresh process imports the engine, makes {results.memory_batches} batches of data, "
        "builds the model and fits one epoch; `ru_maxrss` after the setup and at the end.",
        memory_section(results) if results.memory else "(not measured)",
        "## Method", notes.METHOD,
        "## Where the time goes, and what stands in the way", notes.analysis(results),
    ]
    return "\n\n".join(parts) + "\n"


def readme_table(results):
    """The compact table for the README (train steps, GEMM share, import, memory)."""
    by_key = {r.case.key: r for r in results.cases}
    rows = []
    for r in results.cases:
        ratio = step_ratio(r)
        keras = r.fit.get("keras")
        rows.append([f"{r.case.title}: train step (fit)",
                     f"{r.fit['numpynet'].median * 1e3:.2f} ms",
                     f"{keras.median * 1e3:.2f} ms" if keras else "—",
                     times(ratio[0]) if ratio else "—", f"≤ {STEP_TARGET}×"])
    if "autoencoder" in by_key:
        r = by_key["autoencoder"]
        rows.append(["Autoencoder: GEMM limit / numpynet step",
                     f"{gemm_share(r)[0]:.0%} ({r.gemm.median * 1e3:.2f} ms of GEMMs)", "—", "—",
                     f"≥ {GEMM_SHARE_TARGET:.0%}"])
    tf_import = results.imports.get("tensorflow")
    if "numpynet" in results.imports:
        rows.append(["`import numpynet` vs `import tensorflow`",
                     f"{results.imports['numpynet'].median:.3f} s",
                     f"{tf_import.median:.2f} s" if tf_import else "—",
                     times(results.imports["numpynet"].median / tf_import.median)
                     if tf_import else "—", f"≤ {IMPORT_TARGET} s"])
    for key, peaks in results.memory.items():
        keras = peaks.get("keras")
        rows.append([f"Peak memory, {by_key[key].case.title.rsplit(', batch', 1)[0]} fit",
                     f"{peaks['numpynet']['fit']:.0f} MiB",
                     f"{keras['fit']:.0f} MiB" if keras else "—",
                     times(peaks["numpynet"]["fit"] / keras["fit"]) if keras else "—",
                     f"≤ {MEMORY_TARGET}×"])
    cpu = dict(results.machine).get("CPU", "?")
    cores = dict(results.machine).get("Logical cores", "?")
    return (table(["", "numpynet", "Keras 3 (TensorFlow CPU)", "ratio", "target"], rows)
            + f"\n\nMedians of {results.repeats} repeats on {cpu} ({cores} cores), "
            f"{results.started}. Minima, maxima, `train_on_batch`, predict throughput, float64, "
            "and where the time goes: [benchmarks/results.md](benchmarks/results.md).")


def replace_between_markers(text, content):
    """Replaces what lies between the README's benchmark markers with ``content``.

    Raises:
        ValueError: if the markers are missing or out of order.
    """
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README has no '{BEGIN}' ... '{END}' block to replace.")
    return text[:start + len(BEGIN)] + "\n" + content + "\n" + text[end:]


def write(results, results_path=RESULTS_PATH, readme_path=README_PATH):
    """Writes ``results_path`` and updates the README's table (when ``readme_path`` is set)."""
    pathlib.Path(results_path).write_text(results_markdown(results), encoding="utf-8")
    if readme_path is not None:
        readme = pathlib.Path(readme_path)
        readme.write_text(replace_between_markers(readme.read_text(encoding="utf-8"),
                                                  readme_table(results)), encoding="utf-8")
