"""Scaling out: when a model outgrows numpynet, move it to Keras and train it distributed.

A numpynet model is saved, exported with ``tf_reference.to_keras``, trained in Keras under
``tf.distribute.MirroredStrategy`` over two logical CPU devices (the same code runs on GPUs or
several workers), and brought back with ``tf_reference.from_keras``. numpynet's predictions
with the imported weights equal Keras' own.

TensorFlow must be told about the two logical devices before it starts, so the Keras part runs
in a fresh process (``demos/scale_out_worker.py``); the files it exchanges with this process
are the numpynet model file and ``.npz`` arrays, never pickles.
"""

import json
import subprocess
import sys

import numpy as np

import numpynet as nn
from demos.base import DemoResult, Table
from demos.classifier import build_model
from demos.common import load_dataset

TITLE = "Scaling out: numpynet → Keras MirroredStrategy → numpynet"


def run(config):
    data = load_dataset(config)
    model = build_model(data.pixels, data.num_classes)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(data.x_train, data.y_train, epochs=1, batch_size=32, verbose=0)
    out = config.out_dir
    model.save(out / "exported.numpynet")
    np.savez(out / "data.npz", x_train=data.x_train, y_train=data.y_train, x_test=data.x_test)
    epochs = config.epochs(10, 2)
    command = [sys.executable, "-m", "demos.scale_out_worker", str(out), str(epochs)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if completed.returncode != 0:
        raise RuntimeError(f"The Keras worker failed:\n{completed.stderr[-3000:]}")
    report = json.loads((out / "worker.json").read_text())
    trained = nn.models.load_model(out / "trained.numpynet")
    ours = trained.predict(data.x_test, verbose=0)
    theirs = np.load(out / "keras_predictions.npz", allow_pickle=False)["predictions"]
    accuracy = lambda p: float(np.mean(np.argmax(p, axis=1) == data.y_test))  # noqa: E731
    return DemoResult(
        title=TITLE,
        text=__doc__.strip().split("\n\n")[0],
        numbers={
            "replicas": report["replicas"],
            "devices": ", ".join(report["devices"]),
            "Keras epochs": epochs,
            "Keras final loss": report["history"]["loss"][-1],
            "max |numpynet - Keras| prediction": float(np.max(np.abs(ours - theirs))),
            "numpynet test accuracy (imported weights)": accuracy(ours),
            "Keras test accuracy": accuracy(theirs),
        },
        tables=[Table("Keras training under MirroredStrategy", ["epoch", "loss", "accuracy"],
                      [[i + 1, loss, acc] for i, (loss, acc) in enumerate(
                          zip(report["history"]["loss"], report["history"]["accuracy"]))])],
    )
