"""The Keras half of the scale-out demo, run as ``python -m demos.scale_out_worker OUT EPOCHS``.

It splits the CPU into two logical devices (before TensorFlow starts), trains the Keras twin
of ``OUT/exported.numpynet`` under MirroredStrategy, and writes the numpynet twin of the trained
model, Keras' predictions, its training history, its loss on the training set after training,
and how the strategy split every global batch between the replicas back into ``OUT``.
"""

import json
import pathlib
import sys

BATCH_SIZE = 64  # global: each of the two replicas gets half of every batch


def replica_batch_sizes(tf, strategy, x, batch_size=BATCH_SIZE):
    """Samples each replica receives at every step of one epoch, ``[[replica 0, replica 1], …]``.

    Measured by running one step per global batch on the dataset the strategy distributes (the
    way Keras' ``fit`` feeds a MirroredStrategy model), each replica returning its batch size.
    """
    batches = tf.data.Dataset.from_tensor_slices(x).batch(batch_size)
    sizes = []
    for batch in strategy.experimental_distribute_dataset(batches):
        per_replica = strategy.run(lambda b: tf.shape(b)[0], args=(batch,))
        sizes.append([int(s) for s in strategy.experimental_local_results(per_replica)])
    return sizes


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
    history = keras_model.fit(data["x_train"], data["y_train"], epochs=epochs,
                              batch_size=BATCH_SIZE, verbose=0)
    train_loss = keras_model.evaluate(data["x_train"], data["y_train"], batch_size=BATCH_SIZE,
                                      verbose=0, return_dict=True)["loss"]
    from_keras(keras_model).save(out / "trained.numpynet")
    np.savez(out / "keras_predictions.npz",
             predictions=keras_model.predict(data["x_test"], verbose=0))
    (out / "worker.json").write_text(json.dumps({
        "replicas": strategy.num_replicas_in_sync, "devices": devices,
        "batch_size": BATCH_SIZE, "train_loss": float(train_loss),
        "replica_batch_sizes": replica_batch_sizes(tf, strategy, data["x_train"]),
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()}}))


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]), int(sys.argv[2]))
