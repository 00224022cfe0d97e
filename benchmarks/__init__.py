"""numpynet against Keras 3 (TensorFlow CPU), measured side by side on this machine.

``python -m benchmarks`` (``make benchmark``) times training (``fit`` and ``train_on_batch``)
and ``predict`` of the course's models in both engines, the GEMM limit of each training step,
import time, peak memory of a fit, and float64 against float32; then writes
``benchmarks/results.md`` and the README's performance table. ``--smoke`` runs the same code
in seconds (numpynet only) and writes nothing unless asked.

Modules: :mod:`~benchmarks.cases` (the models and data), :mod:`~benchmarks.timing`
(repeats and statistics), :mod:`~benchmarks.speed` (one case), :mod:`~benchmarks.gemm` (the GEMM
limit), :mod:`~benchmarks.memory` (fresh-process measurements), :mod:`~benchmarks.machine`,
:mod:`~benchmarks.runner` (everything, in order), :mod:`~benchmarks.report` and
:mod:`~benchmarks.notes` (the Markdown).
"""
