"""Training speed-ups: BatchNormalization, a better initializer, and better optimizers.

The same deep network as the initialization study (8 hidden tanh layers of 64 units, softmax
output) starts from the classic "small random numbers" (Keras' RandomNormal default, σ = 0.05)
and plain SGD (learning rate 0.01, Keras' default). Through 8 layers that σ shrinks the signal
by about 0.4 per layer, so the gradients that reach the first layers are tiny and SGD barely
moves. Three remedies, each changing one thing: BatchNormalization after every hidden Dense layer
(each layer's pre-activations are re-centred and re-scaled on every batch, so the signal keeps
its scale whatever the weights), GlorotUniform initialization (the variance that keeps tanh's
signal alive through depth), and, on the Glorot network, SGD with momentum, RMSprop and Adam
instead of plain SGD. The training set is cut to a multiple of the batch size (32): a
BatchNormalization layer normalises each batch by that batch's own mean and variance, and the
3-image last batch of the 1347 digits gives statistics so noisy that its step and its update of
the moving averages undo much of the epoch (validation accuracy jumps between 0.5 and 0.97 from
one epoch to the next). Epochs to target is the first epoch after which the validation accuracy
reaches the target (90 % on digits, 80 % on Fashion-MNIST, 95 % on MNIST); "not reached" means
it never did within the epochs trained. Quick mode trains 15 epochs on 600 digits: enough for
BatchNormalization (about 10 epochs) and the adaptive optimizers (3 to 5) to reach 90 %, while
the plain network and the GlorotUniform network with plain SGD stay below it.
"""

import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from demos.base import DemoResult, Table  # noqa: E402
from demos.common import curves_figure, load_dataset, save_figure  # noqa: E402
from demos.initialization import build_deep_init_net, keras_table, random_normal  # noqa: E402

TITLE = "Training speed-ups: BatchNormalization, initialization and optimizers"

EPOCHS = (30, 15)  # (full, quick): quick still lets the fast settings reach the target
BATCH_SIZE = 32
# Validation accuracy that counts as "trained", per dataset (an 8-layer MLP tops out near 88 %
# on Fashion-MNIST); 0.85 for other data.
TARGETS = {"digits": 0.90, "mnist": 0.95, "fashion-mnist": 0.80}
ACTIVATION = "tanh"
PLAIN_INIT = random_normal(0.05)
SGD = {"class_name": "SGD", "config": {"learning_rate": 0.01}}

# Comparison 1: one change at a time on the plain network, all trained with plain SGD.
ARCHITECTURES = {
    "plain (RandomNormal(0.05))": dict(kernel_initializer=PLAIN_INIT),
    "+ BatchNormalization": dict(kernel_initializer=PLAIN_INIT, batch_norm=True),
    "GlorotUniform instead": dict(kernel_initializer="glorot_uniform"),
}
# Comparison 2: the GlorotUniform network under four optimizers (Keras' default settings).
OPTIMIZERS = {
    "SGD": SGD,
    "SGD + momentum 0.9": {"class_name": "SGD", "config": {"learning_rate": 0.01,
                                                          "momentum": 0.9}},
    "RMSprop": {"class_name": "RMSprop", "config": {"learning_rate": 0.001}},
    "Adam": {"class_name": "Adam", "config": {"learning_rate": 0.001}},
}


def build_speedup_models(pixels, num_classes):
    """Every compiled model of the demo, ``{(comparison, label): model}``, untrained.

    ``("setup", "GlorotUniform instead")`` and ``("optimizer", "SGD")`` are the same model.
    """
    models = {("setup", label): build_deep_init_net(pixels, num_classes, activation=ACTIVATION,
                                                    optimizer=SGD, **arguments)
              for label, arguments in ARCHITECTURES.items()}
    for label, optimizer in OPTIMIZERS.items():
        # The Glorot network with SGD is already in comparison 1: the same run serves both.
        models[("optimizer", label)] = models[("setup", "GlorotUniform instead")] \
            if optimizer is SGD else build_deep_init_net(pixels, num_classes, "glorot_uniform",
                                                         ACTIVATION, optimizer=optimizer)
    return models


def target_accuracy(dataset):
    """The validation accuracy that counts as trained on ``dataset``."""
    return TARGETS.get(dataset, 0.85)


def epochs_to_target(history, target, key="val_accuracy"):
    """The first epoch (1-based) whose ``key`` reaches ``target``, or None if none did."""
    hits = np.flatnonzero(np.asarray(history[key]) >= target)
    return int(hits[0]) + 1 if hits.size else None


def whole_batches(x, y, batch_size=BATCH_SIZE):
    """The first ``len(x) - len(x) % batch_size`` samples: no small last batch to upset
    BatchNormalization's batch statistics."""
    n = len(x) - len(x) % batch_size
    return x[:n], y[:n]


def _train(model, data, config):
    x, y = whole_batches(data.x_train, data.y_train)
    start = time.perf_counter()
    history = model.fit(x, y, epochs=config.epochs(*EPOCHS), batch_size=BATCH_SIZE,
                        validation_data=(data.x_test, data.y_test), verbose=config.verbose)
    return history.history, (time.perf_counter() - start) / len(history.history["loss"])


def run(config):
    data = load_dataset(config, full_train=10000)
    models = build_speedup_models(data.pixels, data.num_classes)
    if config.keras:
        from tf_reference import to_keras
        twins = {key: to_keras(model) for key, model in models.items()  # before training
                 if key != ("optimizer", "SGD")}
    runs = {}  # one training per distinct model
    for model in models.values():
        if id(model) not in runs:
            runs[id(model)] = _train(model, data, config)
    histories = {key: runs[id(model)][0] for key, model in models.items()}
    seconds = {key: runs[id(model)][1] for key, model in models.items()}
    target = target_accuracy(config.dataset)
    tables = [_target_table(histories, seconds, target)]
    if config.keras:
        tables.append(_keras_table(histories, twins, data, config))
    return DemoResult(title=TITLE, text=" ".join(__doc__.split()),
                      numbers=_numbers(histories, seconds, target), tables=tables,
                      figures=_figures(config, histories))


def _numbers(histories, seconds, target):
    numbers = {"target validation accuracy": target}
    for (comparison, label), history in histories.items():
        key = f"{comparison} {label}"
        reached = epochs_to_target(history, target)
        numbers[f"{key}: epochs to target"] = "not reached" if reached is None else reached
        numbers[f"{key}: first epoch loss"] = float(history["loss"][0])
        numbers[f"{key}: final loss"] = float(history["loss"][-1])
        numbers[f"{key}: final val accuracy"] = float(history["val_accuracy"][-1])
        numbers[f"{key}: seconds per epoch"] = float(seconds[(comparison, label)])
    return numbers


def _target_table(histories, seconds, target):
    rows = []
    for (comparison, label), history in histories.items():
        reached = epochs_to_target(history, target)
        per_epoch = seconds[(comparison, label)]
        rows.append([comparison, label, "not reached" if reached is None else reached,
                     "—" if reached is None else reached * per_epoch,
                     float(history["loss"][-1]), float(history["val_accuracy"][-1]), per_epoch])
    return Table(f"Epochs to target: the first epoch after which the validation accuracy is at "
                 f"least {target:.0%} (within {len(next(iter(histories.values()))['loss'])} "
                 "epochs)", ["comparison", "setting", "epochs to target", "seconds to target",
                             "final loss", "final val accuracy", "seconds per epoch"], rows)


def _keras_table(histories, twins, data, config):
    theirs = {" ".join(key): twin.fit(*whole_batches(data.x_train, data.y_train),
                                      epochs=config.epochs(*EPOCHS), batch_size=BATCH_SIZE,
                                      validation_data=(data.x_test, data.y_test),
                                      verbose=0).history for key, twin in twins.items()}
    return keras_table({" ".join(key): histories[key] for key in twins}, theirs)


def _figures(config, histories):
    setups = {label: histories[("setup", label)] for label in ARCHITECTURES}
    optimizers = {label: histories[("optimizer", label)] for label in OPTIMIZERS}
    return [
        save_figure(curves_figure(setups, ["loss", "accuracy"],
                                  f"Deep {ACTIVATION} net with SGD: plain, BatchNormalization, "
                                  "GlorotUniform"), config, "setups.png",
                    "Loss and accuracy per epoch of the plain deep net, with BatchNormalization "
                    "and with GlorotUniform initialization, all with SGD (dashed: validation)"),
        save_figure(curves_figure(optimizers, ["loss", "accuracy"],
                                  f"Deep {ACTIVATION} net (GlorotUniform): optimizers"), config,
                    "optimizers.png", "Loss and accuracy per epoch of the GlorotUniform deep "
                    "net under SGD, SGD with momentum, RMSprop and Adam (dashed: validation)"),
    ]
