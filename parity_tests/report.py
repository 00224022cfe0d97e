"""``python -m parity_tests.report``: run the parity suite and write its table.

Writes ``parity_tests/REPORT.md`` (one row per parity module: comparisons, passes, max abs and rel
error, loosest tolerance, plus the worst comparisons) and replaces the table between the parity
markers in README.md. A comparison passes when ``|ours - theirs| <= atol + rtol·|theirs|``
elementwise; "max rel error" is measured where ``|theirs|`` is above ``atol / rtol``.
"""

import datetime
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- parity-table:begin -->", "<!-- parity-table:end -->"


def collect():
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "records.jsonl"
        env = dict(os.environ, NUMPYNET_PARITY_RECORDS=str(path))
        code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                str(ROOT / "parity_tests")], env=env, cwd=ROOT)
        lines = path.read_text().splitlines() if path.exists() else []
    return code, [json.loads(line) for line in lines]


# What each parity module compares, in the README's reading order.
SUITES = {
    "test_ops_parity": "ops: forward and gradient, float32 and float64",
    "test_ops_off_tape_parity": "ops off the tape: equal, one_hot; split and cast with gradients",
    "test_activations_parity": "activations: forward and gradient",
    "test_losses_parity": "losses: logits, sample weights, label smoothing",
    "test_initializers_parity": "initializers: deterministic ones exactly, random ones by moments",
    "test_regularizers_parity": "regularizers: penalties and their gradients",
    "test_constraints_parity": "constraints: projections and training with them",
    "test_layers_parity": "layers: outputs, weight and input gradients, BatchNorm statistics",
    "test_optimizers_parity": "optimizers and schedules: trajectories",
    "test_training_parity": "training: fit/evaluate/predict logs, weights after epochs",
    "test_callbacks_parity": "callbacks: hook order, logs, decisions, files",
    "test_bridge": "bridge: to_keras / from_keras round trips",
    "test_demo_models_classifier": "demo models: the first classifier",
    "test_demo_models_autoencoders": "demo models: autoencoders (dense, deep, denoising, sparse)",
    "test_demo_models_multimodal_pairwise": "demo models: multimodal and pair-wise",
    "test_demo_models_deep": "demo models: deep nets of the vanishing-gradient unit",
    "test_demo_models_init": "demo models: initialization study",
    "test_scale_out": "scale-out: MirroredStrategy against one numpynet model",
}


def summarize(records):
    """Groups the records by parity module, in :data:`SUITES` order (others after)."""
    order = {name: i for i, name in enumerate(SUITES)}
    groups = {}
    for r in sorted(records, key=lambda r: order.get(r["module"], len(order))):
        entry = groups.setdefault(r["module"], {"n": 0, "ok": 0, "abs": 0.0, "rel": None,
                                                "rtol": 0.0, "atol": 0.0})
        entry["n"] += 1
        entry["ok"] += bool(r["passed"])
        entry["abs"] = max(entry["abs"], r["max_abs"])
        if r["max_rel"] is not None:
            entry["rel"] = max(entry["rel"] or 0.0, r["max_rel"])
        entry["rtol"] = max(entry["rtol"], r["rtol"])
        entry["atol"] = max(entry["atol"], r["atol"])
    return groups


def _tolerance(e):
    if e["rtol"] == 0 and e["atol"] == 0:
        return "exact"
    return f"rtol ≤ {e['rtol']:.0e}, atol ≤ {e['atol']:.0e}"


def table(groups):
    rows = ["| parity suite | comparisons | passed | max abs error | max rel error | "
            "loosest tolerance |", "|---|---:|---:|---:|---:|---|"]
    for module, e in groups.items():
        rel = "—" if e["rel"] is None else f"{e['rel']:.1e}"
        rows.append(f"| {SUITES.get(module, module)} | {e['n']} | {e['ok']} | {e['abs']:.1e} "
                    f"| {rel} | {_tolerance(e)} |")
    total = sum(e["n"] for e in groups.values())
    passed = sum(e["ok"] for e in groups.values())
    rows.append(f"| **all** | **{total}** | **{passed}** | | | |")
    return "\n".join(rows)


def worst(records, count=15):
    """The comparisons closest to their tolerance: ``(module, case, quantity, error, allowed)``."""
    ranked = sorted(records, key=lambda r: r["share"], reverse=True)[:count]
    return [(SUITES.get(r["module"], r["module"]).split(":")[0], r["case"], r["quantity"],
             r["max_abs"], r["share"]) for r in ranked]


def report_markdown(code, records):
    """The whole of ``parity_tests/REPORT.md``."""
    versions = _versions()
    status = "every comparison passed" if code == 0 and all(r["passed"] for r in records) \
        else f"**pytest exit code {code}; {sum(not r['passed'] for r in records)} failed**"
    rows = ["| suite | case | quantity | max abs error | share of the tolerance |",
            "|---|---|---|---:|---:|"]
    rows += [f"| {m} | {c} | {q} | {a:.1e} | {share:.0%} |"
             for m, c, q, a, share in worst(records)]
    return (f"# Parity report\n\nGenerated by `python -m parity_tests.report` (`make "
            f"parity-report`) on {datetime.date.today()}: numpynet against live Keras "
            f"{versions} on the same weights and data; {status}.\n\n"
            + table(summarize(records))
            + "\n\n## The comparisons closest to their tolerance\n\n" + "\n".join(rows) + "\n")


def _versions():
    try:
        import keras
        import tensorflow as tf
        return f"{keras.__version__} (TensorFlow {tf.__version__})"
    except ImportError:
        return "3 (TensorFlow backend)"


def main():
    code, records = collect()
    text = table(summarize(records))
    (ROOT / "parity_tests" / "REPORT.md").write_text(report_markdown(code, records))
    readme = ROOT / "README.md"
    if readme.exists() and BEGIN in readme.read_text():
        content = readme.read_text()
        head, rest = content.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        readme.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")
    print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
