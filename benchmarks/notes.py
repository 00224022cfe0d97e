"""The prose of ``benchmarks/results.md``: method, and the analysis built from the numbers.

The analysis is written from the measurements of the run it describes (every number in it is
computed from :class:`~benchmarks.runner.Results`), so it stays true when the machine changes.
"""

GEMM_METHOD = (
    "The GEMM limit of a case is the time its training step would take if it did nothing but "
    "its matrix products: per Dense layer `x @ W` forward, `xᵀ @ G` for the kernel gradient "
    "and `G @ Wᵀ` for the input gradient (skipped for a layer fed by the data, as numpynet and "
    "TensorFlow skip it), with the same shapes and memory layouts (transposes as views), timed "
    "with NumPy's BLAS alongside the engines. FLOPs count a multiply-add as 2. The share is the "
    "GEMM limit divided by numpynet's step: 100 % would be a step that costs nothing else.")

METHOD = (
    "Both engines build the same model (`benchmarks/cases.py`: same layers, names, activations, "
    "Adam, loss and metrics), numpynet's weights are copied into Keras, and both train on the "
    "same random float32 data of a fixed size. Each quantity is timed in blocks: one untimed "
    "warm-up round (Keras traces its `tf.function`), then the timed rounds, with the engines "
    "taking turns inside every round so that background load falls on both. `fit` runs one "
    "epoch over the dataset with `verbose=0, shuffle=False` and is divided by its number of "
    "batches; `train_on_batch` repeats one batch; `predict` goes through the dataset. Keras "
    "runs with TensorFlow's defaults on this CPU (oneDNN on, all cores, XLA off), numpynet with "
    "NumPy's OpenBLAS and its default threads. Import times and peak memory are measured in "
    "fresh processes (`benchmarks/memory.py`). The phase table cuts numpynet's `train_on_batch` "
    "into its steps with a clock read between them (`benchmarks/speed.py`). Medians are the "
    "headline numbers; minima show what the code costs on a quiet machine.")


def _ms(seconds):
    return f"{seconds * 1e3:.2f} ms"


def _autoencoder_paragraph(result):
    phases = {name: stats.median for name, stats in result.phases.items()}
    total = sum(phases.values())
    gemm = result.gemm.median
    optimizer = phases["optimizer"]
    # GEMMs timed alone and inside the step differ a little, so only the sum is split.
    other = max(total - gemm - optimizer, 0.0)
    per_pass = optimizer / 12
    share = gemm / result.fit["numpynet"].median
    keras = result.fit.get("keras")
    keras_share = (f" Keras is further from it: its fit step is {_ms(keras.median)}, "
                   f"{gemm / keras.median:.0%} of the limit." if keras else "")
    return (
        f"**Autoencoder (the GEMM target: {share:.0%} of the limit in `fit`, target 80 %).** "
        f"The step's {result.gemm_flops / 1e6:.0f} M "
        f"GEMM FLOPs take {_ms(gemm)} at {result.gemm_flops / gemm / 1e9:.0f} GFLOP/s, "
        f"{gemm / total:.0%} of numpynet's {_ms(total)} `train_on_batch` "
        f"({share:.0%} of its `fit` step).{keras_share} "
        f"The rest is memory-bound elementwise work that NumPy cannot fuse into the products: "
        f"Adam {_ms(optimizer)} — twelve passes over each of the {result.params:,} weights "
        f"(about {per_pass * 1e6:.0f} µs a pass: `g - m`, `×(1-β₁)`, `m +=`, `g²`, `- v`, "
        f"`×(1-β₂)`, `v +=`, `√v`, `+ε`, `m·α`, `/`, `w -=`), an order of operations "
        f"fixed by Keras' `assign_add((g - m) * (1 - β₁))` so that the float64 parity stays "
        f"bit-exact; and {_ms(other)} for the bias additions, ReLUs and the 256×784 sigmoid "
        f"forward, their derivatives and the bias sums backward, the loss, the "
        f"input checks and logs. Already done: Dense is one fused tape node that "
        f"writes the bias and the ReLU into the product's output (`nn_ops.dense`), Adam updates "
        f"in place through preallocated work arrays, the data's finiteness check is one "
        f"reduction, and no gradient is computed for the data."
        + ("" if share >= 0.8 else " Reaching 80 % would need the optimizer and activations to "
           "cost under a quarter of the GEMMs, i.e. fused loops (a C extension, Numba or a JIT "
           "such as XLA) — outside a plain-NumPy engine whose code is meant to be read."))


def _small_paragraph(results):
    small = [r for r in results.cases if r.case.key in ("deep_narrow", "pairwise_16")]
    if not small:
        return ""
    parts = []
    for r in small:
        total = sum(s.median for s in r.phases.values())
        parts.append(f"{r.case.title}: {_ms(total)} a step, of which GEMMs "
                     f"{_ms(r.gemm.median)} ({r.gemm.median / total:.0%})")
    return ("**Small models.** " + "; ".join(parts) + ". Their products are tiny, so the step "
            "is Python and NumPy call overhead (a few microseconds per operation: tape nodes, "
            "ufunc dispatch, one optimizer update per weight); the GEMM limit means little "
            "there. numpynet still beats Keras, whose per-step dispatch through TensorFlow "
            "costs more than the whole numpynet step.")


def analysis(results):
    """Where the time goes, from the numbers of ``results``."""
    by_key = {r.case.key: r for r in results.cases}
    paragraphs = []
    if "autoencoder" in by_key:
        paragraphs.append(_autoencoder_paragraph(by_key["autoencoder"]))
    small = _small_paragraph(results)
    if small:
        paragraphs.append(small)
    paragraphs.append(
        "**float64.** Double precision halves the GEMM rate and doubles the memory traffic, "
        "so large models take about twice as long; small ones, dominated by overhead, barely "
        "change. **Threads.** NumPy's OpenBLAS uses every core for the products; on a busy "
        "machine that makes the medians noisy (see min – max), which is why the engines "
        "alternate and minima are shown.")
    return "\n\n".join(paragraphs)
