"""``plot_model``: the model's graph as an image, drawn with matplotlib alone (no graphviz).

Layers are placed in rows by their depth in the graph (Keras' depth: the outputs are at depth
0 and every layer sits one row above the layers it feeds), so inputs are at the top and
outputs at the bottom; an arrow joins every connection. A shared layer is one box with
several incoming arrows.
"""

import os

from numpynet.layers.symbolic import flatten

_GAP_X, _GAP_Y = 0.4, 0.55  # inches between boxes


def plot_model(model, to_file="model.png", show_shapes=False, show_layer_names=True, dpi=96,
               show_dtype=False, show_layer_activations=False, rankdir="TB",
               show_trainable=False, **kwargs):
    """Draws ``model`` to ``to_file`` (see :func:`numpynet.utils.plot_model`).

    Args:
        model: a built ``Model`` or ``Sequential``.
        to_file: output path; the format follows its extension.
        show_shapes: add each layer's output shape.
        show_layer_names: add each layer's name.
        dpi: resolution.
        show_dtype: add each layer's dtype.
        show_layer_activations: add the activation of layers that have one.
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right).
        show_trainable: mark each layer trainable (T) or frozen (F).
        **kwargs: other Keras arguments (``expand_nested``...) are accepted and ignored.

    Returns:
        ``to_file``.

    Raises:
        ValueError: if the model is not built or ``rankdir`` is unknown.
    """
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir must be 'TB' or 'LR', got {rankdir!r}.")
    if not getattr(model, "built", False) or not getattr(model, "_nodes", None):
        raise ValueError(f"plot_model: model {model.name!r} is not built yet; build it (or call "
                         "it on data) first.")
    layers, depth, edges = _graph(model)
    options = dict(show_shapes=show_shapes, show_layer_names=show_layer_names,
                   show_dtype=show_dtype, show_layer_activations=show_layer_activations,
                   show_trainable=show_trainable)
    labels = {id(layer): _label(layer, **options) for layer in layers}
    lines = [label.split("\n") for label in labels.values()]
    # monospace 9 pt: about 0.075 inch per character and 0.17 inch per line
    box = (max(0.075 * max(len(line) for label in lines for line in label) + 0.4, 1.5),
           0.17 * max(len(label) for label in lines) + 0.3)
    positions, size = _layout(layers, depth, rankdir, box)
    _draw(layers, edges, labels, positions, size, box, os.fspath(to_file), dpi)
    return to_file


def _layout(layers, depth, rankdir, box):
    """Centres of the boxes (in inches) by depth rows, and the figure size."""
    rows = {}
    for layer in layers:
        rows.setdefault(depth[id(layer)], []).append(layer)
    levels = sorted(rows, reverse=True)  # deepest (the inputs) first
    widest = max(len(row) for row in rows.values())
    step_x, step_y = box[0] + _GAP_X, box[1] + _GAP_Y
    positions = {}
    for level_index, level in enumerate(levels):
        row = rows[level]
        for i, layer in enumerate(row):
            offset = i - (len(row) - 1) / 2
            # TB: rows of boxes from top to bottom; LR: columns from left to right
            positions[id(layer)] = ((offset * step_x, -level_index * step_y) if rankdir == "TB"
                                    else (level_index * step_x, -offset * step_y))
    if rankdir == "TB":
        return positions, (widest * step_x, len(levels) * step_y)
    return positions, (len(levels) * step_x, widest * step_y)


def _draw(layers, edges, labels, positions, size, box, path, dpi):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from numpynet.utils.io import atomic_write

    figure = Figure(figsize=(max(size[0], 2.5), max(size[1], 1.2)), dpi=dpi)
    FigureCanvasAgg(figure)  # Agg: renders without any display
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    boxes = {}
    for layer in layers:
        x, y = positions[id(layer)]
        boxes[id(layer)] = axes.text(
            x, y, labels[id(layer)], ha="center", va="center", fontsize=9, family="monospace",
            bbox=dict(boxstyle="round,pad=0.4", facecolor="#e8f0fe", edgecolor="#3c5a99"))
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    axes.set_xlim(min(xs) - box[0] / 2 - _GAP_X / 2, max(xs) + box[0] / 2 + _GAP_X / 2)
    axes.set_ylim(min(ys) - box[1] / 2 - _GAP_Y / 2, max(ys) + box[1] / 2 + _GAP_Y / 2)
    figure.canvas.draw()  # lays the boxes out, so the arrows can stop at their edges
    for source, target in edges:
        axes.annotate("", xy=positions[id(target)], xytext=positions[id(source)],
                      arrowprops=dict(arrowstyle="-|>", color="#444444", shrinkA=1, shrinkB=1,
                                      patchA=boxes[id(source)].get_bbox_patch(),
                                      patchB=boxes[id(target)].get_bbox_patch()))
    extension = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format=extension, dpi=dpi)


def _graph(model):
    """Returns (layers in run order, {id(layer): depth}, [(source layer, target layer)])."""
    from numpynet.models.summary import node_depths
    node_depth = node_depths(model)
    layers, depth, edges, seen_edges = [], {}, [], set()
    for node in model._nodes:
        layer = node.layer
        if id(layer) not in depth:
            layers.append(layer)
        # a shared layer sits at the deepest of its calls, as Keras' operation depth
        depth[id(layer)] = max(depth.get(id(layer), 0), node_depth.get(node, 0))
        for tensor in flatten(node.inputs):
            source = tensor._history[0]
            if (id(source), id(layer)) not in seen_edges:
                seen_edges.add((id(source), id(layer)))
                edges.append((source, layer))
    return layers, depth, edges


def _label(layer, show_shapes, show_layer_names, show_dtype, show_layer_activations,
           show_trainable):
    from numpynet.models.summary import display_class_name
    class_name = display_class_name(layer)
    lines = [f"{layer.name} ({class_name})" if show_layer_names else class_name]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        lines.append(f"activation: {getattr(activation, '__name__', activation)}")
    if show_shapes:
        node = layer._inbound_nodes[-1] if layer._inbound_nodes else None
        if node is not None and node.inputs:
            lines.append("in: " + ", ".join(str(t.shape) for t in node.inputs))
        if node is not None:
            lines.append("out: " + ", ".join(str(t.shape) for t in node.outputs))
    if show_dtype:
        lines.append(f"dtype: {layer.dtype}")
    if show_trainable:
        lines.append("trainable: " + ("T" if layer.trainable else "F"))
    return "\n".join(lines)


__all__ = ["plot_model"]
