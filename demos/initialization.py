"""Weight initialization: how the first draw of the weights decides whether a network learns.

Part 1 is the course's experiment: a small sigmoid network (hidden layers of 20, 15 and 15 units,
softmax output, Adam) whose first layer draws its kernel and bias from RandomNormal(0, σ) for
σ in 0.001, 0.1, 1, 10, 100, trained for the same number of epochs on the images as given (×1)
and multiplied by 100. What matters is the size of σ·x (σ = 0.001 on inputs ×100 behaves like
σ = 0.1 on the inputs as given): large values push the sigmoid into its flat tails (saturated
outputs near 0 or 1, vanishing gradients), tiny ones make every unit answer ≈ 0.5 whatever the
image. Part 2 is the modern comparison: a deep network of 8 hidden Dense layers of 64 units
under zeros, RandomNormal(0.01), RandomNormal(1), GlorotUniform, HeNormal, LecunNormal and
Orthogonal, with tanh and with ReLU. Zeros never learn (every hidden output is 0, so every
kernel gradient is 0: only the output bias learns the class frequencies), a small σ makes the
signal vanish with depth, σ = 1 saturates tanh and makes ReLU explode, while Glorot keeps
tanh's activations alive through depth and He keeps ReLU's at a constant scale.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import numpynet as nn  # noqa: E402
from demos.base import DemoResult, Table  # noqa: E402
from demos.common import load_dataset, save_figure  # noqa: E402

TITLE = "Weight initialization: σ and input scale, zeros, Glorot, He, LeCun, Orthogonal"

SIGMAS = (0.001, 0.1, 1.0, 10.0, 100.0)
INPUT_SCALES = (1.0, 100.0)
ACTIVATIONS = ("tanh", "relu")
DEPTH, WIDTH = 8, 64
COURSE_EPOCHS = (30, 3)  # (full, quick)
DEEP_EPOCHS = (20, 3)
# A sigmoid output is "saturated" when |a - 0.5| > 0.49, i.e. a < 0.01 or a > 0.99: there its
# derivative a(1 - a) is below 0.0099, 4 % of its value at 0.
SATURATION = 0.49


def random_normal(stddev):
    """The Keras config of ``RandomNormal(mean=0, stddev)`` (both libraries read it)."""
    return {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": float(stddev),
                                                     "seed": None}}


# Labels of Part 2 and the kernel initializer of every Dense layer (hidden and output).
INITIALIZERS = {
    "zeros": "zeros",
    "RandomNormal(0.01)": random_normal(0.01),
    "RandomNormal(1)": random_normal(1.0),
    "GlorotUniform": "glorot_uniform",
    "HeNormal": "he_normal",
    "LecunNormal": "lecun_normal",
    "Orthogonal": "orthogonal",
}
# The settings whose per-layer distributions are drawn (good and bad for each activation).
DRAWN = (("tanh", "GlorotUniform"), ("tanh", "RandomNormal(1)"), ("relu", "HeNormal"),
         ("relu", "RandomNormal(0.01)"))


# ---------------------------------------------------------------------------- models
def build_course_init_net(pixels, num_classes, sigma, hidden=(20, 15, 15)):
    """The course's sigmoid net; the first layer's kernel and bias draw from N(0, σ²).

    ``Input(pixels) → Dense(20, sigmoid, RandomNormal(σ)) → Dense(15, sigmoid) →
    Dense(15, sigmoid) → Dense(classes, softmax)``, the later layers with Keras' defaults
    (GlorotUniform kernels, zero biases), compiled with Adam and sparse categorical
    cross-entropy.
    """
    layers = [nn.layers.Input((pixels,), name="image")]
    for i, units in enumerate(hidden, start=1):
        initial = dict(kernel_initializer=random_normal(sigma),
                       bias_initializer=random_normal(sigma)) if i == 1 else {}
        layers.append(nn.layers.Dense(units, activation="sigmoid", name=f"hidden_{i}",
                                      **initial))
    layers.append(nn.layers.Dense(num_classes, activation="softmax", name="output"))
    model = nn.Sequential(layers, name="course_init_net")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_deep_init_net(pixels, num_classes, kernel_initializer="glorot_uniform",
                        activation="tanh", depth=DEPTH, width=WIDTH, batch_norm=False,
                        optimizer="adam"):
    """A deep classifier whose every Dense kernel uses ``kernel_initializer``.

    ``depth`` hidden layers ``Dense(width, activation)`` named ``dense_1``... then
    ``Dense(classes, softmax)`` named ``output``. With ``batch_norm`` each hidden layer becomes
    ``Dense(width, use_bias=False) → BatchNormalization → Activation`` (the bias is redundant:
    BatchNormalization's beta takes its role).

    Args:
        pixels, num_classes: input size and number of classes.
        kernel_initializer: an identifier or config dict that numpynet and Keras both read.
        activation: hidden activation.
        depth, width: number and size of the hidden layers.
        batch_norm: insert BatchNormalization before each hidden activation.
        optimizer: an optimizer identifier or config dict.

    Returns:
        A ``Sequential`` compiled with sparse categorical cross-entropy and accuracy.
    """
    layers = [nn.layers.Input((pixels,), name="image")]
    for i in range(1, depth + 1):
        if batch_norm:
            layers += [nn.layers.Dense(width, use_bias=False, name=f"dense_{i}",
                                       kernel_initializer=kernel_initializer),
                       nn.layers.BatchNormalization(name=f"batch_norm_{i}"),
                       nn.layers.Activation(activation, name=f"{activation}_{i}")]
        else:
            layers.append(nn.layers.Dense(width, activation=activation, name=f"dense_{i}",
                                          kernel_initializer=kernel_initializer))
    layers.append(nn.layers.Dense(num_classes, activation="softmax", name="output",
                                  kernel_initializer=kernel_initializer))
    model = nn.Sequential(layers, name="deep_init_net")
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def saturated_share(activations, threshold=SATURATION):
    """Share of sigmoid outputs in the flat tails: ``|a - 0.5| > threshold``."""
    return float(np.mean(np.abs(np.asarray(activations) - 0.5) > threshold))


def hidden_names(depth=DEPTH):
    """Names of the deep net's hidden Dense layers, ``dense_1``... ``dense_<depth>``."""
    return [f"dense_{i}" for i in range(1, depth + 1)]


# ---------------------------------------------------------------------------- experiments
def _study(model, x, y, data, scale, epochs, config):
    """Distributions at initialization, training, distributions after training."""
    before = nn.viz.layer_distributions(model, x, y)
    history = model.fit(x, y, epochs=epochs, batch_size=32, verbose=config.verbose,
                        validation_data=(data.x_test * scale, data.y_test)).history
    return {"history": history, "before": before,
            "after": nn.viz.layer_distributions(model, x, y)}


def _add_twin(twins, label, model, x, y, scale):
    """Keeps the Keras twin of an untrained model (same initial weights) for the Keras table."""
    if twins is not None:
        from tf_reference import to_keras
        twins[label] = (to_keras(model), x, y, scale)


def course_study(data, config, twins=None):
    """Part 1: ``{(σ, scale): {"history", "before", "after"}}``."""
    results = {}
    for scale in INPUT_SCALES:
        x = data.x_train * np.float32(scale)
        for sigma in SIGMAS:
            model = build_course_init_net(data.pixels, data.num_classes, sigma)
            if (sigma, scale) == (1.0, 1.0):
                _add_twin(twins, "course net σ=1 ×1", model, x, data.y_train, scale)
            results[(sigma, scale)] = _study(model, x, data.y_train, data, scale,
                                             config.epochs(*COURSE_EPOCHS), config)
    return results


def deep_study(data, config, twins=None):
    """Part 2: ``{(activation, initializer label): {"history", "before", "after", "std"}}``."""
    results = {}
    for activation in ACTIVATIONS:
        for label, initializer in INITIALIZERS.items():
            model = build_deep_init_net(data.pixels, data.num_classes, initializer, activation)
            if (activation, label) in (("tanh", "GlorotUniform"), ("relu", "HeNormal")):
                _add_twin(twins, f"deep {activation} {label}", model, data.x_train,
                          data.y_train, 1.0)
            result = _study(model, data.x_train, data.y_train, data, 1.0,
                            config.epochs(*DEEP_EPOCHS), config)
            result["std"] = {name: float(np.std(result["before"][name]["activations"]))
                             for name in hidden_names()}
            results[(activation, label)] = result
    return results


def std_ratio(stds):
    """``max / min`` of the per-layer activation stds (inf when a layer is all zeros)."""
    values = np.asarray(list(stds.values()), dtype=np.float64)
    return float(values.max() / values.min()) if values.min() > 0 else float("inf")


# ---------------------------------------------------------------------------- Keras twins
def keras_histories(twins, data, config):
    """Trains each Keras twin kept by the studies; returns their History dicts."""
    from tf_reference._keras import keras

    keras.utils.set_random_seed(config.seed)  # Keras' shuffling repeats from run to run
    histories = {}
    for label, (twin, x, y, scale) in twins.items():
        epochs = config.epochs(*(COURSE_EPOCHS if label.startswith("course") else DEEP_EPOCHS))
        histories[label] = twin.fit(x, y, epochs=epochs, batch_size=32, verbose=0,
                                    validation_data=(data.x_test * scale, data.y_test)).history
    return histories


# ---------------------------------------------------------------------------- the demo
def run(config):
    data = load_dataset(config, full_train=5000)  # 24 trainings: keep 28×28 runs short
    twins = {} if config.keras else None
    course = course_study(data, config, twins)
    deep = deep_study(data, config, twins)
    tables = [_course_table(course), _deep_accuracy_table(deep)]
    tables += [_std_table(deep, activation) for activation in ACTIVATIONS]
    if twins:
        theirs = keras_histories(twins, data, config)
        ours = {label: _history_of(label, course, deep) for label in theirs}
        tables.insert(0, keras_table(ours, theirs))
    return DemoResult(title=TITLE, text=" ".join(__doc__.split()), numbers=_numbers(course, deep),
                      tables=tables, figures=_figures(config, course, deep))


def _history_of(label, course, deep):
    if label.startswith("course"):
        return course[(1.0, 1.0)]["history"]
    _, activation, initializer = label.split(" ", 2)
    return deep[(activation, initializer)]["history"]


def _numbers(course, deep):
    numbers = {}
    for (sigma, scale), result in course.items():
        key = f"sigmoid σ={sigma:g} ×{scale:g}"
        numbers[f"{key}: final val accuracy"] = float(result["history"]["val_accuracy"][-1])
        numbers[f"{key}: saturated share at init"] = saturated_share(
            result["before"]["hidden_1"]["activations"])
    for (activation, label), result in deep.items():
        key = f"{activation} {label}"
        history = result["history"]
        numbers[f"{key}: first epoch loss"] = float(history["loss"][0])
        numbers[f"{key}: final loss"] = float(history["loss"][-1])
        numbers[f"{key}: final val accuracy"] = float(history["val_accuracy"][-1])
        numbers[f"{key}: activation std layer {DEPTH} at init"] = result["std"][f"dense_{DEPTH}"]
        ratio = std_ratio(result["std"])  # JSON has no infinity: say it in words
        numbers[f"{key}: activation std max/min over depth at init"] = \
            ratio if np.isfinite(ratio) else "infinite (all-zero activations)"
    return numbers


def _course_table(course):
    columns = ["σ"] + [f"{what} ×{s:g}" for s in INPUT_SCALES
                       for what in ("val accuracy", "saturated at init", "layer-1 std at init")]
    rows = []
    for sigma in SIGMAS:
        row = [sigma]
        for scale in INPUT_SCALES:
            result = course[(sigma, scale)]
            first = result["before"]["hidden_1"]["activations"]
            row += [float(result["history"]["val_accuracy"][-1]), saturated_share(first),
                    float(np.std(first))]
        rows.append(row)
    return Table("Course net: final validation accuracy, share of saturated first-layer sigmoid "
                 f"outputs (|a − 0.5| > {SATURATION}) and their std at initialization",
                 columns, rows)


def _deep_accuracy_table(deep):
    rows = [[label] + [float(deep[(a, label)]["history"]["val_accuracy"][-1])
                       for a in ACTIVATIONS] for label in INITIALIZERS]
    return Table(f"Deep net ({DEPTH} hidden Dense layers of {WIDTH}): final validation accuracy",
                 ["initializer", *ACTIVATIONS], rows)


def _std_table(deep, activation):
    rows = []
    for label in INITIALIZERS:
        stds = deep[(activation, label)]["std"]
        ratio = std_ratio(stds)
        rows.append([label, *[stds[n] for n in hidden_names()],
                     ratio if np.isfinite(ratio) else "∞ (all zero)"])
    return Table(f"Deep {activation} net: activation std of each hidden layer at initialization "
                 "(on the training images)", ["initializer", *hidden_names(), "max/min"], rows)


def keras_table(ours, theirs):
    """Final losses of numpynet and of its Keras twin, ``{label: History dict}`` each."""
    rows = [[label, ours[label]["loss"][-1], theirs[label]["loss"][-1],
             ours[label]["val_loss"][-1], theirs[label]["val_loss"][-1]] for label in theirs]
    return Table("numpynet and its Keras twin (same initial weights; each shuffles with its own "
                 "random stream, so the losses agree closely but not exactly)",
                 ["model", "numpynet loss", "Keras loss", "numpynet val_loss", "Keras val_loss"],
                 rows)


# ---------------------------------------------------------------------------- figures
def _figures(config, course, deep):
    figures = [save_figure(_course_accuracy_figure(course), config, "course_accuracy.png",
                           "Course net: validation accuracy per epoch for each σ of the first "
                           "layer, inputs as given (×1) and multiplied by 100")]
    figures.append(save_figure(
        _first_layer_figure(course, 1.0), config, "course_first_layer.png",
        "Course net, inputs as given: first-layer weights, outputs and gradients before and "
        "after training, one row per σ (gradients beyond the 90th percentile of |g| left out, "
        "as in the course)"))
    result = course[(100.0, 1.0)]
    figures.append(save_figure(nn.viz.plot_layer_distributions(
        {"at initialization": result["before"], "after training": result["after"]}, kind="hist",
        title="Course net, σ = 100, inputs ×1: every layer", clip=99), config,
        "course_layers_sigma100.png", "Course net with σ = 100: per-layer distributions; the "
        "first layer's sigmoid outputs pile up at 0 and 1"))
    figures += [
        save_figure(_deep_curves_figure(deep), config, "deep_accuracy.png",
                    "Deep net: validation accuracy per epoch for each initializer"),
        save_figure(_std_figure(deep), config, "deep_activation_std.png",
                    "Deep net at initialization: activation std of each hidden layer (log "
                    "scale): Glorot keeps tanh's signal alive, He keeps ReLU's level"),
    ]
    for activation, label in DRAWN:
        result = deep[(activation, label)]
        name = f"deep_{activation}_{label.lower().replace('(', '_').replace(')', '')}.png"
        figures.append(save_figure(nn.viz.plot_layer_distributions(
            {"at initialization": result["before"], "after training": result["after"]},
            title=f"Deep {activation} net, {label}", clip=99), config, name,
            f"Deep {activation} net with {label}: per-layer weights, activations and "
            "gradients at initialization and after training (1 % extreme values left out)"))
    return figures


def _course_accuracy_figure(course):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(INPUT_SCALES), figsize=(11, 3.6), sharey=True)
    for ax, scale in zip(axes, INPUT_SCALES):
        for i, sigma in enumerate(SIGMAS):
            history = course[(sigma, scale)]["history"]
            epochs = np.arange(1, len(history["val_accuracy"]) + 1)
            ax.plot(epochs, history["val_accuracy"], color=f"C{i}", label=f"σ = {sigma:g}")
            ax.plot(epochs, history["accuracy"], color=f"C{i}", linestyle=":", alpha=0.6)
        ax.set_title(f"inputs ×{scale:g}")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("accuracy (dotted: train)")
    axes[0].legend(fontsize=8)
    return fig


def _first_layer_figure(course, scale):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(SIGMAS), 3, figsize=(12, 2.1 * len(SIGMAS)))
    for row, sigma in zip(axes, SIGMAS):
        result = course[(sigma, scale)]
        for ax, quantity in zip(row, ("weights", "activations", "gradients")):
            values = {}
            for label in ("before", "after"):
                values[label] = np.ravel(result[label]["hidden_1"][quantity]).astype(np.float64)
                if quantity == "gradients":
                    keep = np.abs(values[label]) <= np.percentile(np.abs(values[label]), 90)
                    values[label] = values[label][keep]
            bins = np.histogram_bin_edges(np.concatenate(list(values.values())), bins=30)
            for (label, data), color in zip(values.items(), ("C0", "C1")):
                ax.hist(data, bins=bins, density=True, alpha=0.5, color=color, label=label)
            ax.set_title(f"σ = {sigma:g}: first-layer {quantity}", fontsize=8)
            ax.tick_params(labelsize=6)
            ax.locator_params(nbins=4)
    axes[0, 0].legend(fontsize=7)
    fig.subplots_adjust(hspace=0.6, wspace=0.25)  # cheaper than tight_layout for 15 panels
    return fig


def _deep_curves_figure(deep):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(ACTIVATIONS), figsize=(11, 3.6), sharey=True)
    for ax, activation in zip(axes, ACTIVATIONS):
        for i, label in enumerate(INITIALIZERS):
            values = deep[(activation, label)]["history"]["val_accuracy"]
            ax.plot(np.arange(1, len(values) + 1), values, color=f"C{i}", label=label)
        ax.set_title(f"{DEPTH} hidden layers, {activation}")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("validation accuracy")
    axes[0].legend(fontsize=7)
    return fig


def _std_figure(deep):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(ACTIVATIONS), figsize=(11, 3.8))
    for ax, activation in zip(axes, ACTIVATIONS):
        nn.viz.plot_activation_std_by_depth(
            {label: deep[(activation, label)]["std"] for label in INITIALIZERS},
            title=f"{activation}: activation std at initialization", ax=ax)
    fig.tight_layout()
    return fig
