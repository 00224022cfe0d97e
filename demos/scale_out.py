"""Scaling out: when a model outgrows numpynet, move it to Keras and train it distributed.

A numpynet model is saved, exported with ``tf_reference.to_keras``, trained in Keras under
``tf.distribute.MirroredStrategy`` over two logical CPU devices (the same code runs on GPUs or
several workers), and brought back with ``tf_reference.from_keras``. numpynet's predictions
with the imported weights equal Keras' own.

TensorFlow must be told about the two logical devices before it starts, so the Keras part runs
in a fresh process (``demos/scale_out_worker.py``); the files it exchanges with this process
are the numpynet model file and ``.npz`` arrays, never pickles. The figure follows the loss
across the hand-over, shows how the strategy splits every global batch between the replicas,
and sets numpynet's predictions after the round trip against Keras' own.
"""

import json
import subprocess
import sys

import numpy as np

import numpynet as nn
from demos.base import DemoResult, Table
from demos.classifier import build_model
from demos.common import load_dataset, save_figure

TITLE = "Scaling out: numpynet → Keras MirroredStrategy → numpynet"


def run(config):
    data = load_dataset(config)
    model = build_model(data.pixels, data.num_classes)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    before = model.fit(data.x_train, data.y_train, epochs=1, batch_size=32,
                       verbose=config.verbose).history
    out, epochs = config.out_dir, config.epochs(10, 4)
    model.save(out / "exported.numpynet")
    np.savez(out / "data.npz", x_train=data.x_train, y_train=data.y_train, x_test=data.x_test)
    report = run_worker(out, epochs)
    trained = nn.models.load_model(out / "trained.numpynet")
    ours = trained.predict(data.x_test, verbose=0)
    theirs = np.load(out / "keras_predictions.npz", allow_pickle=False)["predictions"]
    train_loss = float(trained.evaluate(data.x_train, data.y_train, verbose=0)[0])
    history = report["history"]
    return DemoResult(
        title=TITLE,
        text=__doc__.strip().split("\n\n")[0],
        numbers=_numbers(report, len(before["loss"]), train_loss, ours, theirs, data.y_test),
        tables=[Table("Keras training under MirroredStrategy", ["epoch", "loss", "accuracy"],
                      [[i + 1, loss, acc] for i, (loss, acc) in enumerate(
                          zip(history["loss"], history["accuracy"]))])],
        figures=[save_figure(scale_out_figure(before, report, train_loss, ours, theirs), config,
                             "scale_out.png", FIGURE_CAPTION)],
    )


def run_worker(out, epochs):
    """Runs ``demos/scale_out_worker.py`` on ``out`` in a fresh process; returns its report."""
    command = [sys.executable, "-m", "demos.scale_out_worker", str(out), str(epochs)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if completed.returncode != 0:
        raise RuntimeError(f"The Keras worker failed:\n{completed.stderr[-3000:]}")
    return json.loads((out / "worker.json").read_text())


def _numbers(report, epochs_before, train_loss, ours, theirs, y_test):
    accuracy = lambda p: float(np.mean(np.argmax(p, axis=1) == y_test))  # noqa: E731
    split = np.asarray(report["replica_batch_sizes"])
    return {
        "replicas": report["replicas"],
        "devices": ", ".join(report["devices"]),
        "global batch size": report["batch_size"],
        "samples per replica per epoch": ", ".join(str(n) for n in split.sum(axis=0)),
        "numpynet epochs before export": epochs_before,
        "Keras epochs": len(report["history"]["loss"]),
        "Keras final loss": report["history"]["loss"][-1],
        "Keras train loss after training (evaluate)": report["train_loss"],
        "numpynet train loss, imported weights (evaluate)": train_loss,
        "max |numpynet - Keras| prediction": float(np.max(np.abs(ours - theirs))),
        "numpynet test accuracy (imported weights)": accuracy(ours),
        "Keras test accuracy": accuracy(theirs),
    }


FIGURE_CAPTION = (
    "Left: training loss per epoch: the first epoch(s) in numpynet, then Keras under "
    "MirroredStrategy on the exported model (a training epoch's loss is its running mean); the "
    "two markers at the end are the loss of the trained weights on the training set, evaluated "
    "by Keras and by numpynet after the import, and coincide. Middle: how the strategy split "
    "each global batch between the two replicas (the last batch is the remainder). Right: "
    "numpynet's predicted class probabilities with the imported weights against Keras' own.")


def scale_out_figure(before, report, train_loss, ours, theirs):
    """Loss across the hand-over, per-replica batch split, and numpynet vs Keras predictions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (loss_ax, split_ax, pred_ax) = plt.subplots(1, 3, figsize=(15, 4))
    first, keras_loss = len(before["loss"]), report["history"]["loss"]
    end = first + len(keras_loss)
    loss_ax.plot(np.arange(1, first + 1), before["loss"], "o-", color="C0", label="numpynet")
    loss_ax.plot(np.arange(first + 1, end + 1), keras_loss, "o-", color="C1",
                 label=f"Keras, MirroredStrategy ({report['replicas']} replicas)")
    loss_ax.plot(end, report["train_loss"], "+", color="C1", markersize=16,
                 label="Keras evaluate, trained")
    loss_ax.plot(end, train_loss, "x", color="C0", markersize=10,
                 label="numpynet evaluate, imported")
    loss_ax.set(xlabel="epoch", ylabel="training loss", title="Loss across the hand-over")
    split = np.asarray(report["replica_batch_sizes"])
    steps, bottom = np.arange(1, len(split) + 1), np.zeros(len(split))
    for replica, sizes in enumerate(split.T):
        split_ax.bar(steps, sizes, bottom=bottom, color=f"C{replica + 2}",
                     label=f"replica {replica} ({report['devices'][replica]})")
        bottom += sizes
    split_ax.set(xlabel="step (global batch)", ylabel="samples",
                 title=f"Global batch of {report['batch_size']} split across replicas",
                 ylim=(0, 1.4 * report["batch_size"]))  # room for the legend
    pred_ax.plot(theirs.ravel(), ours.ravel(), ".", markersize=3, alpha=0.5)
    pred_ax.plot([0, 1], [0, 1], color="gray", linewidth=0.8)
    pred_ax.set(xlabel="Keras probability", ylabel="numpynet probability (imported)",
                title="Predictions after the round trip")
    for ax in (loss_ax, split_ax):
        ax.legend(fontsize=8)
    for ax in (loss_ax, split_ax, pred_ax):
        ax.grid(alpha=0.3)
    return fig
