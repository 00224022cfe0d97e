"""The Keras half of the scale-out demo, run as ``python -m demos.scale_out_worker OUT EPOCHS``.

It splits the CPU into two logical devices (before TensorFlow starts), trains the Keras twin
of ``OUT/exported.numpynet`` under MirroredStrategy, and writes the numpynet twin of the trained
model, Keras' predictions and the training history back into ``OUT``.
"""

import json
import pathlib
import sys


def main(out, epochs):
    import numpy as np

    from tf_reference._keras import tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]

    import numpynet as nn
    from tf_reference import from_keras, to_keras

    data = np.load(out / "data.npz", allow_pickle=False)
    model = nn.models.load_model(out / "exported.numpynet")
    strategy = tf.distribute.MirroredStrategy(devices)
    with strategy.scope():
        keras_model = to_keras(model)  # built and compiled inside the scope: mirrored variables
    history = keras_model.fit(data["x_train"], data["y_train"], epochs=epochs, batch_size=64,
                              verbose=0)
    from_keras(keras_model).save(out / "trained.numpynet")
    np.savez(out / "keras_predictions.npz",
             predictions=keras_model.predict(data["x_test"], verbose=0))
    (out / "worker.json").write_text(json.dumps({
        "replicas": strategy.num_replicas_in_sync, "devices": devices,
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()}}))


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]), int(sys.argv[2]))
