"""The vanishing gradient: a deep narrow network trained with sigmoid, tanh, ReLU and leaky ReLU.

The course's network (U2.07): an input ``Dense(10)``, ten hidden ``Dense(10)`` and a softmax
output, identical but for the activation of its eleven non-output layers. Every run starts from the
same initial weights (same seed, same shapes), sees the same data in the same order and trains
with Adam (learning rate 1e-3, batches of 32) as the course does. Backprop multiplies the
gradient, layer after layer, by the activation's derivative: at most 0.25 for the sigmoid, so
after eleven sigmoid layers the first layer receives a gradient millions of times smaller than
the last; tanh, ReLU and leaky ReLU have derivatives up to 1 and lose far less on the way down.

Why Adam and not plain SGD: the course uses it, and it makes a subtler point visible. Adam
divides each weight's step by the running size of its own gradient, so even a tiny gradient
moves the first layers (see the update ratios): the gradient *norms* show the vanishing, the
step sizes much less. (With SGD, whose step is proportional to the gradient, the sigmoid net's
first layer moves by about 1e-11 of its weights per step: frozen.) The sigmoid net is stuck
anyway - on digits its loss stays near log(10) = 2.30, chance level, for all 30 epochs (the
course's MNIST run left that plateau only after about 70) - because the same squashing also
erases, layer after layer, the differences between images on the way up: the output layer sees
almost the same input for every image and can only learn the class frequencies.

Every run also writes TensorBoard logs (scalars, weight and gradient histograms, per-layer
gradient norms under ``grad_norm/``).
"""

import numpynet as nn
from demos.base import DemoResult, Table
from demos.common import curves_figure, load_dataset, save_figure

TITLE = "Vanishing gradient (deep narrow net: sigmoid, tanh, ReLU, leaky ReLU)"
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")


def layer_names(num_hidden_layers=10):
    """The course's layer names: ``layer_00_input``, ``layer_01_hidden``... ``layer_11_output``."""
    hidden = [f"layer_{i:02d}_hidden" for i in range(1, num_hidden_layers + 1)]
    return ["layer_00_input", *hidden, f"layer_{num_hidden_layers + 1:02d}_output"]


def build_deep_narrow_model(pixels, num_classes, activation, num_hidden_layers=10,
                            hidden_size=10, learning_rate=1e-3):
    """The course's deep narrow classifier, compiled with Adam and sparse cross-entropy.

    ``Dense(hidden_size)`` on the input, ``num_hidden_layers`` more ``Dense(hidden_size)``, all
    with ``activation``, then ``Dense(num_classes, softmax)``; Keras' default initializers
    (Glorot uniform kernels, zero biases).
    """
    names = layer_names(num_hidden_layers)
    layers = [nn.layers.Input((pixels,), name="image")]
    layers += [nn.layers.Dense(hidden_size, activation=activation, name=name)
               for name in names[:-1]]
    layers.append(nn.layers.Dense(num_classes, activation="softmax", name=names[-1]))
    model = nn.Sequential(layers, name=f"deep_narrow_{activation}")
    model.compile(optimizer=nn.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train_run(data, activation, config):
    """Trains one activation's network with GradientTracker and TensorBoard attached.

    Returns:
        dict with ``model``, ``history``, ``tracker``, ``before``/``after`` kernels,
        ``log_dir`` and ``initial_weights``.
    """
    nn.set_random_seed(config.seed)  # same draws, same shapes: the same initial weights
    model = build_deep_narrow_model(data.pixels, data.num_classes, activation)
    initial_weights = model.get_weights()
    before = nn.viz.kernels(model)
    tracker = nn.callbacks.GradientTracker()
    log_dir = config.out_dir / "tensorboard" / activation
    board = nn.callbacks.TensorBoard(log_dir, histogram_freq=1, write_grads=True)
    history = model.fit(data.x_train, data.y_train, epochs=config.epochs(30, 5), batch_size=32,
                        validation_data=(data.x_test, data.y_test), callbacks=[tracker, board],
                        verbose=config.verbose)
    return {"model": model, "history": history, "tracker": tracker, "before": before,
            "after": nn.viz.kernels(model), "log_dir": log_dir,
            "initial_weights": initial_weights}


def gradient_summary(tracker):
    """First-layer and last-layer gradient norms, and their ratio, at the first and last epoch."""
    norms = tracker.as_arrays(per_layer=True)
    layers = list(norms)
    first, last = norms[layers[0]]["norm"], norms[layers[-1]]["norm"]
    return {"first": first, "last": last, "ratio": first / last}


def run(config):
    data = load_dataset(config, full_train=6000)  # 28×28 sets: 6000 images keep it brisk
    runs = {name: train_run(data, name, config) for name in ACTIVATIONS}
    numbers, rows = {}, []
    for name, result in runs.items():
        grads, history = gradient_summary(result["tracker"]), result["history"].history
        numbers[f"{name}: first-layer gradient norm, epoch 1"] = float(grads["first"][0])
        numbers[f"{name}: first/last layer gradient norm ratio, epoch 1"] = \
            float(grads["ratio"][0])
        numbers[f"{name}: first/last layer gradient norm ratio, last epoch"] = \
            float(grads["ratio"][-1])
        numbers[f"{name}: final train accuracy"] = float(history["accuracy"][-1])
        numbers[f"{name}: final validation accuracy"] = float(history["val_accuracy"][-1])
        rows.append([name, float(grads["first"][0]), float(grads["last"][0]),
                     float(grads["ratio"][0]), float(grads["ratio"][-1]),
                     float(history["accuracy"][-1]), float(history["val_accuracy"][-1])])
    numbers["epochs"] = len(runs["relu"]["history"].history["loss"])
    tables = [Table("Gradient norms (mean over each epoch's batches) and accuracies",
                    ["activation", "first-layer norm (epoch 1)", "last-layer norm (epoch 1)",
                     "first/last (epoch 1)", "first/last (last epoch)", "train accuracy",
                     "validation accuracy"], rows)]
    if config.keras:
        tables.append(_keras_table(data, runs, config))
    return DemoResult(title=TITLE, numbers=numbers, tables=tables,
                      figures=_figures(runs, config), text=_text(config))


def _figures(runs, config):
    trackers = {name: result["tracker"] for name, result in runs.items()}
    histories = {name: result["history"] for name, result in runs.items()}
    weights = {name: (result["before"], result["after"]) for name, result in runs.items()}
    return [
        save_figure(nn.viz.plot_activation_functions(ACTIVATIONS), config, "activations.png",
                    "The activations and their derivatives (computed by numpynet's backprop): "
                    "the derivative is the factor each layer applies to the gradient."),
        save_figure(nn.viz.plot_gradient_norms(trackers), config, "gradient_norms.png",
                    "L2 norm of each layer's gradients (kernel and bias), mean over the batches "
                    "of each epoch, log scale: light = input side, dark = output side."),
        save_figure(nn.viz.plot_gradient_norm_by_depth(trackers), config,
                    "gradient_by_depth.png",
                    "Gradient norm through depth at the first (solid) and last (dashed) epoch: "
                    "the sigmoid's falls by orders of magnitude towards the input."),
        save_figure(nn.viz.plot_gradient_norms(trackers, stat="update_ratio",
                                               title="Adam's step relative to the weights"),
                    config, "update_ratios.png",
                    "||Δw|| / ||w|| per layer and epoch: Adam rescales every step by the "
                    "gradient's own size, so even the sigmoid's first layers move."),
        save_figure(nn.viz.plot_weight_histograms(weights), config, "weight_histograms.png",
                    "Kernel histograms per layer, before (grey outline) and after (filled) "
                    "training, one row per activation."),
        save_figure(curves_figure(histories, ["loss", "accuracy"],
                                  "Same network, four activations"),
                    config, "curves.png", "Loss and accuracy per epoch (dashed: validation)."),
    ]


def _text(config):
    log_dir = config.out_dir / "tensorboard"
    return (" ".join(__doc__.split())
            + f" TensorBoard logs of every run are in {log_dir}/<activation>/: view them with "
            f"`tensorboard --logdir {log_dir} --host 127.0.0.1`, or from Python with "
            f"`server = nn.callbacks.tensorboard.serve('{log_dir}'); print(server.url)` "
            "(stop it with server.stop()).")


def _keras_table(data, runs, config):
    """Trains each run's Keras twin from the same initial weights, on the same data order."""
    from tf_reference import to_keras

    rows = []
    for name in ACTIVATIONS:
        model = build_deep_narrow_model(data.pixels, data.num_classes, name)
        model.set_weights(runs[name]["initial_weights"])
        twin = to_keras(model)
        fit = dict(epochs=config.epochs(30, 5), batch_size=32, shuffle=False, verbose=0,
                   validation_data=(data.x_test, data.y_test))
        ours = model.fit(data.x_train, data.y_train, **fit).history
        theirs = twin.fit(data.x_train, data.y_train, **fit).history
        rows.append([name, float(ours["loss"][-1]), float(theirs["loss"][-1]),
                     float(ours["val_accuracy"][-1]), float(theirs["val_accuracy"][-1])])
    return Table("numpynet vs Keras (same initial weights, shuffle=False)",
                 ["activation", "numpynet loss", "Keras loss", "numpynet val accuracy",
                  "Keras val accuracy"], rows)
