"""Figures of what happens during training: activations, gradients, weights and statistics.

The vanishing-gradient unit and the callbacks LAB look at the same few pictures:

* :func:`plot_activation_functions` - each activation and its derivative, computed by
  numpynet's own backprop (the derivative is what multiplies the gradient at every layer);
* :func:`plot_gradient_norms` - per-layer gradient norm (or update ratio) by epoch, on a log
  scale, from :class:`nn.callbacks.GradientTracker`, one panel per run;
* :func:`plot_gradient_norm_by_depth` - the same norms against depth, one line per run;
* :func:`plot_weight_histograms` - every layer's kernel before and after training;
* :func:`plot_layer_stats` - mean and std per layer by epoch, from
  :class:`nn.callbacks.LayerWeightsStats` or :class:`nn.callbacks.ActivationStats`;
* :func:`plot_learning_rate` - the learning rate by epoch beside the monitored loss, with the
  decisions of ``ReduceLROnPlateau`` and ``EarlyStopping`` marked.

Every function returns a ``matplotlib.figure.Figure``.
"""

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
_SET_STYLES = ("-", "--", ":", "-.")  # one line style per data set (train, val, ...)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _depth_colors(count):
    """One colour per layer, from light (input side) to dark (output side)."""
    from matplotlib import colormaps

    return [colormaps["viridis"](0.9 * (1 - i / max(count - 1, 1))) for i in range(count)]


# ---------------------------------------------------------------------- activations
def activation_derivatives(activations=ACTIVATIONS, x=None):
    """Values and derivatives of activation functions, the derivative taken by backprop.

    Each activation is applied to a ``Tensor`` that requires a gradient; since it acts element
    by element, the gradient of ``sum(f(x))`` with respect to ``x`` is ``f'(x)`` at every point.

    Args:
        activations: names (``"sigmoid"``) or callables accepted by ``nn.activations.get``.
        x: points to evaluate at; default 401 points in ``[-5, 5]``.

    Returns:
        ``(x, {name: (f(x), f'(x))})`` with float32 arrays.
    """
    from numpynet import activations as activation_module
    from numpynet.tensor import Tensor

    x = np.linspace(-5.0, 5.0, 401, dtype=np.float32) if x is None else np.asarray(x, np.float32)
    curves = {}
    for identifier in activations:
        function = activation_module.get(identifier)
        name = identifier if isinstance(identifier, str) else function.__name__
        points = Tensor(x, requires_grad=True)
        values = function(points)
        values.sum().backward()
        curves[name] = (values.numpy().copy(), points.grad.copy())
    return x, curves


def plot_activation_functions(activations=ACTIVATIONS, x=None):
    """One panel per activation: the function and its derivative, with the derivative's peak.

    The peak is the largest factor by which one layer can pass a gradient back: 0.25 for the
    sigmoid (ten layers shrink a gradient at least 4¹⁰ ≈ 10⁶ times), 1 for tanh and ReLU.

    Args:
        activations: names or callables, see :func:`activation_derivatives`.
        x: points to evaluate at.

    Returns:
        The figure.
    """
    plt = _plt()
    x, curves = activation_derivatives(activations, x)
    fig, axes = plt.subplots(1, len(curves), figsize=(3.6 * len(curves), 3.2), squeeze=False)
    for ax, (name, (values, derivative)) in zip(axes[0], curves.items()):
        ax.plot(x, values, lw=2.5, label=f"{name}(z)")
        ax.plot(x, derivative, lw=2.5, label=f"d {name}/dz")
        ax.axhline(0, color="black", lw=0.6)
        ax.axvline(0, color="black", lw=0.6)
        ax.set_title(f"{name}: max derivative {float(derivative.max()):.3g}")
        ax.set_xlabel("z")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------- gradients
def _layer_series(run, stat):
    """``{layer: values by epoch}`` from a GradientTracker or its per-layer arrays."""
    if hasattr(run, "as_arrays"):
        run = run.as_arrays(per_layer=True)
    return {layer: np.asarray(stats[stat], dtype=np.float64) for layer, stats in run.items()}


def plot_gradient_norms(runs, stat="norm", title=None):
    """Per-layer gradient statistic by epoch, log scale: one panel per run, one line per layer.

    Args:
        runs: ``{label: GradientTracker}`` (recorded with ``freq="epoch"``), or ``{label:
            tracker.as_arrays(per_layer=True)}``.
        stat: ``"norm"`` (L2 norm of the layer's gradients), ``"mean_abs"`` or
            ``"update_ratio"`` (size of the optimizer's step relative to the weights).
        title: figure title; default names the statistic.

    Returns:
        The figure; panels share the y axis so runs compare at a glance.

    Raises:
        ValueError: if ``runs`` is empty.
    """
    if not runs:
        raise ValueError("plot_gradient_norms: `runs` is empty; pass {label: GradientTracker}.")
    plt = _plt()
    fig, axes = plt.subplots(1, len(runs), figsize=(3.8 * len(runs), 3.6), sharey=True,
                             squeeze=False)
    for ax, (label, run) in zip(axes[0], runs.items()):
        series = _layer_series(run, stat)
        for color, (layer, values) in zip(_depth_colors(len(series)), series.items()):
            ax.semilogy(np.arange(1, len(values) + 1), values, color=color, label=layer)
        ax.set_title(label)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel(stat.replace("_", " "))
    axes[0][-1].legend(fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.suptitle(title or f"Per-layer gradient {stat.replace('_', ' ')} by epoch (log scale)")
    fig.tight_layout()
    return fig


def plot_gradient_norm_by_depth(runs, epochs=(0, -1), stat="norm", title=None):
    """Gradient statistic against layer depth (input on the left), one line per run.

    Args:
        runs: as in :func:`plot_gradient_norms`.
        epochs: which records to draw (indices into the epoch axis; solid for the first,
            dashed for the others).
        stat: ``"norm"``, ``"mean_abs"`` or ``"update_ratio"``.
        title: figure title.

    Returns:
        The figure.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4))
    for i, (label, run) in enumerate(runs.items()):
        series = _layer_series(run, stat)
        layers = list(series)
        for j, epoch in enumerate(epochs):
            values = [series[layer][epoch] for layer in layers]
            number = epoch + 1 if epoch >= 0 else len(series[layers[0]]) + epoch + 1
            ax.semilogy(range(len(layers)), values, color=f"C{i}", marker="o", ms=3,
                        linestyle="-" if j == 0 else "--", label=f"{label}, epoch {number}")
    ax.set_xticks(range(len(layers)), layers, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel(stat.replace("_", " "))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2)
    ax.set_title(title or f"Gradient {stat.replace('_', ' ')} through depth (log scale)")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------- weights
def kernels(model):
    """``{layer name: kernel copy}`` for every layer that has a kernel (a snapshot to compare)."""
    return {layer.name: np.array(layer.kernel.data) for layer in model.layers
            if getattr(layer, "kernel", None) is not None}


def plot_weight_histograms(runs, bins=30):
    """Kernel histograms before (grey outline) and after (filled) training, per layer and run.

    Args:
        runs: ``{label: (before, after)}`` where ``before`` and ``after`` are ``{layer name:
            array}`` (e.g. from :func:`kernels` before and after ``fit``); one row per run, one
            column per layer.
        bins: number of bins (shared by both histograms of a panel).

    Returns:
        The figure.

    Raises:
        ValueError: if ``runs`` is empty or a run's two snapshots name different layers.
    """
    if not runs:
        raise ValueError("plot_weight_histograms: `runs` is empty; pass {label: (before, "
                         "after)}.")
    for label, (before, after) in runs.items():
        if list(before) != list(after):
            raise ValueError(f"plot_weight_histograms: run {label!r} has different layers "
                             f"before ({list(before)}) and after ({list(after)}) training.")
    plt = _plt()
    columns = max(len(before) for before, _ in runs.values())
    fig, axes = plt.subplots(len(runs), columns, figsize=(1.6 * columns, 1.5 * len(runs) + 0.6),
                             squeeze=False)
    for row, (label, (before, after)) in enumerate(runs.items()):
        for col, layer in enumerate(before):
            ax = axes[row][col]
            values = np.concatenate([np.ravel(before[layer]), np.ravel(after[layer])])
            edges = np.histogram_bin_edges(values[np.isfinite(values)], bins=bins)
            ax.hist(np.ravel(after[layer]), bins=edges, color=f"C{row}", alpha=0.6)
            ax.hist(np.ravel(before[layer]), bins=edges, histtype="step", color="0.3")
            ax.set_yticks([])
            ax.set_xticks(edges[[0, -1]], [f"{edges[0]:.2g}", f"{edges[-1]:.2g}"], fontsize=5)
            if row == 0:
                ax.set_title(layer, fontsize=6)
        axes[row][0].set_ylabel(label, fontsize=8)
        for col in range(len(before), columns):
            axes[row][col].axis("off")
    fig.suptitle("Kernels before (grey outline) and after (filled) training")
    # Fixed spacing: tight_layout would measure every tick label of every panel (slow).
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.06, top=0.86, wspace=0.12, hspace=0.4)
    return fig


# ---------------------------------------------------------------------- statistics
def _stats_by_set(stats):
    """``{set: {name: {"mean", "std"}}}`` from either statistics layout (one set, or several)."""
    first = next(iter(stats.values()), {})
    if "mean" in first:  # LayerWeightsStats: {name: {"mean": ..., "std": ...}}
        return {"": stats}
    return stats  # ActivationStats: {set: {layer: {"mean": ..., "std": ...}}}


def plot_layer_stats(stats, epochs=None, title=None):
    """Mean (left) and standard deviation (right) by epoch, one colour per layer or weight.

    Args:
        stats: ``LayerWeightsStats.as_arrays()`` (``{weight path: {"mean", "std"}}``) or
            ``ActivationStats.as_arrays()`` (``{set: {layer: {"mean", "std"}}}``, each set with
            its own line style: solid for the first, e.g. train, dashed for the second).
            The recorders themselves are accepted too.
        epochs: x values (e.g. the recorder's ``epoch`` labels: 0 = before training);
            default ``0, 1, 2...``.
        title: figure title.

    Returns:
        The figure.

    Raises:
        ValueError: if ``stats`` is empty.
    """
    if hasattr(stats, "as_arrays"):
        epochs = stats.epoch if epochs is None else epochs
        stats = stats.as_arrays()
    if not stats:
        raise ValueError("plot_layer_stats: `stats` is empty; record with LayerWeightsStats "
                         "or ActivationStats during fit first.")
    plt = _plt()
    by_set = _stats_by_set(stats)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for style, (set_name, records) in zip(_SET_STYLES, by_set.items()):
        colors = _depth_colors(len(records))
        for color, (name, record) in zip(colors, records.items()):
            x = np.arange(len(record["mean"])) if epochs is None else np.asarray(epochs)
            label = f"{name} ({set_name})" if set_name else name
            for ax, stat in zip(axes, ("mean", "std")):
                ax.plot(x, record[stat], color=color, linestyle=style, label=label)
    for ax, stat in zip(axes, ("mean", "std")):
        ax.set_xlabel("epoch (0 = before training)")
        ax.set_ylabel(stat)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5),
                   ncol=1 + (sum(len(r) for r in by_set.values()) > 16))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_learning_rate(history, monitor="val_loss", best_epoch=None, stopped_epoch=None):
    """The learning rate by epoch (log scale) beside the monitored value.

    Args:
        history: a ``History`` or its ``history`` dict, with ``"learning_rate"`` (written by
            ``ReduceLROnPlateau``, ``LearningRateScheduler`` or ``TensorBoard``).
        monitor: the value watched by the callbacks, drawn on the right axis.
        best_epoch: 1-based epoch to mark as the best (e.g. ``EarlyStopping.best_epoch + 1``).
        stopped_epoch: 1-based epoch where ``EarlyStopping`` stopped training, if it did.

    Returns:
        The figure.

    Raises:
        ValueError: if the history has no ``"learning_rate"``.
    """
    values = getattr(history, "history", history)
    if "learning_rate" not in values:
        raise ValueError("plot_learning_rate: the history has no 'learning_rate'; train with "
                         f"ReduceLROnPlateau or LearningRateScheduler. Keys: {sorted(values)}.")
    plt = _plt()
    rates = np.asarray(values["learning_rate"], dtype=np.float64)
    epochs = np.arange(1, len(rates) + 1)
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    ax.step(epochs, rates, where="mid", color="C3", lw=2, label="learning rate")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate", color="C3")
    ax.grid(alpha=0.3, which="both")
    lines = ax.get_lines()
    if monitor in values:
        other = ax.twinx()
        lines += other.plot(epochs, values[monitor], color="C0", marker="o", ms=3, label=monitor)
        other.set_ylabel(monitor, color="C0")
    for epoch, style, label in ((best_epoch, ":", "best epoch"),
                                (stopped_epoch, "--", "early stop")):
        if epoch:
            lines.append(ax.axvline(epoch, color="0.3", linestyle=style, label=label))
    ax.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="upper left",
              bbox_to_anchor=(1.13, 1.0))  # outside, right of the second axis
    ax.set_title("ReduceLROnPlateau and EarlyStopping at work")
    fig.tight_layout()
    return fig
