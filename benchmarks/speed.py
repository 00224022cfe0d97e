"""Speed of one case: training (``fit`` and ``train_on_batch``), ``predict``, GEMM limit,
where numpynet's step spends its time, and float64 against float32.

Both engines train the same model from the same weights on the same random data. Three views
of training are timed, each per batch:

* **fit**: ``model.fit(x, y, batch_size=B, epochs=1, verbose=0, shuffle=False)`` over a fixed
  dataset of ``fit_batches`` batches, divided by the number of batches: the path a user takes
  (Keras runs its ``tf.function``-compiled train step; its per-epoch setup is included,
  amortised over the epoch).
* **train_on_batch**: ``model.train_on_batch(x, y)`` on one batch, the raw step of each
  library's public API (numpynet's includes the input checks of every call).
* **predict**: ``model.predict(x, batch_size=B, verbose=0)`` over the dataset, as samples/s.

The first round of every block is a warm-up (tracing, first allocations) and is not counted.
"""

import contextlib
import dataclasses
import time

import numpy as np

import numpynet as nn
from benchmarks import gemm
from benchmarks.cases import copy_weights
from benchmarks.timing import Stats, interleaved

ENGINES = ("numpynet", "keras")


@dataclasses.dataclass
class CaseResult:
    """Everything measured for one case (times in seconds unless said otherwise).

    Attributes:
        case: the :class:`~benchmarks.cases.Case`.
        fit, step: engine -> Stats of seconds per batch.
        predict: engine -> Stats of samples per second.
        params: number of weights of the model.
        gemm_flops: FLOPs of the GEMMs of one training step.
        gemm: Stats of the seconds those GEMMs take (the GEMM limit).
        gemm_forward: Stats of the seconds of the forward pass's GEMMs alone.
        phases: phase name -> Stats of numpynet's seconds per step in that phase.
        float64_step: Stats of numpynet's ``train_on_batch`` seconds in float64.
        float32_step: the same in float32, timed alongside.
        losses: engine -> final training loss (a sanity check: both train the same model).
    """

    case: object
    fit: dict
    step: dict
    predict: dict
    params: int
    gemm_flops: int
    gemm: Stats
    gemm_forward: Stats
    phases: dict
    float64_step: Stats
    float32_step: Stats
    losses: dict


def _batch(data, batch_size):
    """The first batch of ``(x, y)``, as views."""
    x, y = data
    if isinstance(x, list):
        return [a[:batch_size] for a in x], y[:batch_size]
    return x[:batch_size], y[:batch_size]


def _training_blocks(case, models, data):
    """Timed blocks of fit, train_on_batch and predict for each engine, engines alternating."""
    x, y = data
    xb, yb = _batch(data, case.batch_size)
    blocks = {}
    for engine, model in models.items():
        blocks[("fit", engine)] = (lambda m=model: m.fit(
            x, y, batch_size=case.batch_size, epochs=1, verbose=0, shuffle=False), 1)
    for engine, model in models.items():
        blocks[("step", engine)] = (lambda m=model: m.train_on_batch(xb, yb), case.step_calls)
    for engine, model in models.items():
        blocks[("predict", engine)] = (lambda m=model: m.predict(
            x, batch_size=case.batch_size, verbose=0), 1)
    return blocks


def _phased_step(model, x, y):
    """numpynet's ``train_on_batch`` cut at its phases; returns (phase, seconds) pairs.

    The same calls, in the same order, as ``Trainer.train_on_batch`` and ``Trainer.train_step``
    (without callbacks), with a clock read between phases.
    """
    clock = [time.perf_counter()]

    def lap():
        clock.append(time.perf_counter())

    x, y, sample_weight = model._prepare_data(x, y, None, None)
    model.reset_metrics()
    lap()
    weights = model.trainable_weights
    for w in weights:
        w.grad = None
    model._clear_losses()
    y_pred = model._flat_outputs(model(x, training=True))
    lap()
    loss = model._compute_loss(y, y_pred, sample_weight, batch_size=len(x[0]))
    lap()
    loss.backward()
    lap()
    model.optimizer.apply([w.grad for w in weights], weights)
    lap()
    model.compiled_metrics.update_state(y, [p.data for p in y_pred], sample_weight)
    model._current_logs()
    lap()
    names = ("input checks", "forward", "loss", "backward", "optimizer", "metrics and logs")
    return zip(names, np.diff(clock))


def phase_breakdown(model, xb, yb, calls, repeats):
    """Median (and range) of the seconds numpynet spends per step in each phase."""
    samples = {}
    for _ in range(repeats + 1):  # the first round is a warm-up
        totals = {}
        for _ in range(calls):
            for name, seconds in _phased_step(model, xb, yb):
                totals[name] = totals.get(name, 0.0) + seconds
        for name, total in totals.items():
            samples.setdefault(name, []).append(total / calls)
    return {name: Stats.of(values[1:]) for name, values in samples.items()}


@contextlib.contextmanager
def _floatx(dtype):
    """numpynet's default float type set to ``dtype`` inside the block."""
    previous = nn.config.floatx()
    nn.config.set_floatx(dtype)
    try:
        yield
    finally:
        nn.config.set_floatx(previous)


def _float64_comparison(case, repeats):
    """numpynet's train_on_batch in float64 against float32, timed alternately."""
    models, batches = {}, {}
    for dtype in ("float32", "float64"):
        with _floatx(dtype):
            models[dtype] = case.build(nn)
            batches[dtype] = _batch(case.data(1, dtype), case.batch_size)
    copy_weights(models["float32"], models["float64"])

    def step(dtype):
        with _floatx(dtype):  # data and constants take the model's precision
            models[dtype].train_on_batch(*batches[dtype])

    blocks = {dtype: (lambda d=dtype: step(d), case.step_calls) for dtype in models}
    stats = interleaved(blocks, repeats)
    return stats["float64"], stats["float32"]


def _final_loss(model, xb, yb):
    logs = model.train_on_batch(xb, yb)
    return float(logs[0] if isinstance(logs, list) else logs)


def measure_case(case, repeats, keras=None):
    """Measures one case; Keras is skipped when ``keras`` is None.

    Returns:
        A :class:`CaseResult`.
    """
    models = {"numpynet": case.build(nn)}
    if keras is not None:
        models["keras"] = case.build(keras)
        copy_weights(models["numpynet"], models["keras"])
    data = case.data(case.fit_batches)
    blocks = _training_blocks(case, models, data)
    gemms = gemm.train_step_gemms(case.batch_size, case.dense_layers)
    pairs = gemm.operands(gemms)
    blocks[("gemm", "step")] = (gemm.gemm_block(pairs), case.step_calls)
    blocks[("gemm", "forward")] = (gemm.gemm_block(pairs[:len(case.dense_layers)]),
                                   case.step_calls)
    stats = interleaved(blocks, repeats)
    samples = case.fit_batches * case.batch_size
    xb, yb = _batch(data, case.batch_size)
    float64_step, float32_step = _float64_comparison(case, repeats)
    return CaseResult(
        case=case,
        fit={e: stats[("fit", e)].scaled(1.0 / case.fit_batches) for e in models},
        step={e: stats[("step", e)] for e in models},
        predict={e: stats[("predict", e)].inverse(samples) for e in models},
        params=models["numpynet"].count_params(),
        gemm_flops=gemm.total_flops(gemms),
        gemm=stats[("gemm", "step")],
        gemm_forward=stats[("gemm", "forward")],
        phases=phase_breakdown(models["numpynet"], xb, yb, case.step_calls, repeats),
        float64_step=float64_step,
        float32_step=float32_step,
        losses={e: _final_loss(m, xb, yb) for e, m in models.items()},
    )
