"""Figures of per-layer distributions: violins or histograms per layer, activation std by depth.

They draw what :mod:`numpynet.viz.distributions` measures (``layer_distributions``,
``activation_std_by_depth``).
"""

import numpy as np

from numpynet.viz.distributions import QUANTITIES

_LABELS = {"weights": "weights", "activations": "activations",
           "gradients": "∂loss/∂weights", "activation_gradients": "∂loss/∂activations"}

def _check_plot_arguments(kind, quantities):
    if kind not in ("violin", "hist"):
        raise ValueError(f"plot_layer_distributions: kind must be 'violin' or 'hist', got "
                         f"{kind!r}.")
    unknown = [q for q in quantities if q not in QUANTITIES]
    if unknown or not quantities:
        raise ValueError(f"plot_layer_distributions: unknown quantities {unknown}; choose from "
                         f"{list(QUANTITIES)}.")


def _grouped(dists):
    """``{label: dists}`` from one :func:`layer_distributions` result or a dict of them."""
    if not isinstance(dists, dict) or not dists:
        raise ValueError("plot_layer_distributions: `dists` must be a non-empty dict returned "
                         "by layer_distributions, or a dict {label: such a dict}; got "
                         f"{type(dists).__name__}.")
    first = next(iter(dists.values()))
    if isinstance(first, dict) and isinstance(first.get("weights"), np.ndarray):
        return {"": dists}
    return dists


def _finite(values):
    """The finite values as a flat float64 array (NaN marks gradients that do not exist)."""
    values = np.ravel(values).astype(np.float64)
    return values[np.isfinite(values)]


def _clipped(values, clip):
    """Values with ``|v|`` up to the ``clip`` percentile of ``|v|`` (the course keeps 90 %)."""
    if clip is None or values.size == 0:
        return values
    return values[np.abs(values) <= np.percentile(np.abs(values), clip)]


def _violin(ax, values, position, width, color):
    """One violin drawn from a histogram of up to 40 bins (exact and fast on any number of values,
    where matplotlib's kernel density estimate costs samples × points)."""
    if np.ptp(values) == 0:  # a constant (zeros initialization) has no spread: draw a bar
        ax.plot([position - width / 2, position + width / 2], [values[0]] * 2, color=color,
                linewidth=3)
        return
    density, edges = np.histogram(values, bins=int(np.clip(np.sqrt(values.size), 8, 40)))
    density = np.convolve(density, [0.25, 0.5, 0.25], mode="same")  # light smoothing
    half = 0.48 * width * density / density.max()
    centers = (edges[:-1] + edges[1:]) / 2
    ax.fill_betweenx(centers, position - half, position + half, color=color, alpha=0.5,
                     linewidth=0)
    ax.plot([position - width / 3, position + width / 3], [np.median(values)] * 2, color=color)


def _violins(ax, groups, layer_names, quantity, clip):
    width = 0.8 / len(groups)
    for g, (label, dists) in enumerate(groups.items()):
        color = f"C{g}"
        offset = (g - (len(groups) - 1) / 2) * width
        for i, name in enumerate(layer_names):
            values = _clipped(_finite(dists[name][quantity]), clip) if name in dists else []
            if len(values):
                _violin(ax, values, i + offset, width, color)
        if label:
            ax.plot([], [], color=color, linewidth=6, alpha=0.5, label=label)
    ax.set_xticks(range(len(layer_names)), layer_names, rotation=30, fontsize=7, ha="right")
    ax.axhline(0.0, color="gray", linewidth=0.5)


def _histograms(axes, groups, layer_names, quantity, clip):
    for ax, name in zip(axes, layer_names):
        values = {label: _clipped(_finite(dists[name][quantity]), clip)
                  for label, dists in groups.items() if name in dists}
        if not any(len(v) for v in values.values()):
            continue
        bins = np.histogram_bin_edges(np.concatenate(list(values.values())), bins=30)
        for g, label in enumerate(groups):  # shared bins: comparable bars
            if len(values.get(label, [])):
                ax.hist(values[label], bins=bins, density=True, alpha=0.5, color=f"C{g}",
                        label=label or None)
        ax.tick_params(labelsize=6)


def plot_layer_distributions(dists, kind="violin", title=None,
                             quantities=("weights", "activations", "gradients"), clip=None):
    """Draws per-layer distributions: one row per quantity, one violin or histogram per layer.

    Args:
        dists: a :func:`layer_distributions` result, or ``{label: result}`` to overlay several
            (e.g. ``{"at initialization": before, "after training": after}``), each in its color.
        kind: ``"violin"`` (one panel per quantity, layers along x) or ``"hist"`` (a grid:
            quantities × layers, each panel with its own scale).
        title: figure title.
        quantities: which of ``weights``, ``activations``, ``gradients``,
            ``activation_gradients`` to draw, in rows.
        clip: optional percentile of ``|value|`` above which values are left out (the course
            drops gradients beyond the 90th percentile so the bulk stays visible).

    Returns:
        The ``matplotlib.figure.Figure``.

    Raises:
        ValueError: for an unknown ``kind`` or quantity, or ``dists`` that is not such a dict.
    """
    import matplotlib.pyplot as plt

    _check_plot_arguments(kind, quantities)
    groups = _grouped(dists)
    layer_names = list(dict.fromkeys(n for d in groups.values() for n in d))
    rows = len(quantities)
    if kind == "violin":
        fig, axes = plt.subplots(rows, 1, figsize=(max(6.0, 0.8 * len(layer_names) + 2),
                                                   2.4 * rows), squeeze=False)
        for ax, quantity in zip(axes[:, 0], quantities):
            _violins(ax, groups, layer_names, quantity, clip)
            ax.set_ylabel(_LABELS[quantity], fontsize=8)
        if any(groups):
            axes[0, 0].legend(fontsize=7)
    else:
        fig, axes = plt.subplots(rows, len(layer_names), squeeze=False,
                                 figsize=(1.9 * len(layer_names) + 1, 1.8 * rows))
        for r, quantity in enumerate(quantities):
            _histograms(axes[r], groups, layer_names, quantity, clip)
            axes[r, 0].set_ylabel(_LABELS[quantity], fontsize=8)
        for ax, name in zip(axes[0], layer_names):
            ax.set_title(name, fontsize=8)
        if any(groups):
            axes[0, 0].legend(fontsize=6)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_activation_std_by_depth(stds, title=None, log=True, ax=None):
    """Lines of activation standard deviation against depth, one per setting.

    Args:
        stds: ``{label: {layer name: std}}`` (e.g. from :func:`activation_std_by_depth`) or
            ``{label: sequence of stds}``.
        title: panel title.
        log: logarithmic y axis (zero stds, as under zeros initialization, are not drawn and
            their label says so).
        ax: optional matplotlib axes to draw into.

    Returns:
        The ``matplotlib.figure.Figure``.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    for i, (label, values) in enumerate(stds.items()):
        values = np.asarray(list(values.values()) if isinstance(values, dict) else values,
                            dtype=np.float64)
        depth = np.arange(1, len(values) + 1)
        shown = values > 0 if log else np.ones(len(values), bool)
        suffix = "" if shown.all() else " (zero at some depths: not drawn)"
        ax.plot(depth[shown], values[shown], marker="o", color=f"C{i % 10}",
                linestyle="-" if i < 10 else "--", label=label + suffix)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("layer (depth)")
    ax.set_ylabel("activation std")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title)
    return ax.figure
