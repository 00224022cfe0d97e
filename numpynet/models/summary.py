"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts.

The layout follows ``keras/src/utils/summary_utils.py`` as printed with a ``print_fn`` (plain
text, the same box-drawing table that ``rich`` renders without colour): a title, one row per
layer, then the totals with their memory size. Graphs that are not a simple chain get a
fourth column, "Connected to", naming each input as ``layer[node index][tensor index]``.
"""

import math
import shutil

from numpynet.layers.symbolic import flatten


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Prints a summary of ``model``.

    Args:
        model: a ``Model`` or ``Sequential``.
        line_length: total width of the table; default 88 (chains) or 108 (graphs), capped at
            the terminal width minus 4, as Keras.
        positions: relative right edges of the columns (default as Keras).
        print_fn: called once with the whole summary (a string ending in a newline), as
            Keras does; default prints it.

    Raises:
        ValueError: if a column would be narrower than 4 characters.
    """
    text = summary_text(model, line_length, positions)
    if print_fn is None:
        print(text, end="")
    else:
        print_fn(text)


def summary_text(model, line_length=None, positions=None):
    """Returns the summary of ``model`` as a string (see :func:`print_summary`)."""
    sequential_like = is_sequential_like(model)
    if sequential_like:
        default_length, positions = 88, positions or [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        default_length, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    align = ["left", "left", "right", "left"][:len(header)]
    line_length = line_length or min(default_length, shutil.get_terminal_size().columns - 4)
    widths = _column_widths(positions, line_length)
    node_ids = {id(node) for node in model._nodes}
    rows = []
    for layer in _summary_layers(model):
        row = [f"{layer.name} ({display_class_name(layer)})", format_layer_shape(layer, node_ids),
               _format_params(layer)]
        if not sequential_like:
            row.append(_connections(layer, node_ids))
        rows.append(row)
    lines = [f'Model: "{model.name}"', *_table(header, rows, widths, align)]
    lines += _totals(model)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- content
def _summary_layers(model):
    # Keras' Sequential.layers hides the InputLayer; a functional model's summary shows it.
    if hasattr(model, "_stack"):
        return model.layers
    return list(model._layers)


def display_class_name(layer):
    """The class name Keras shows: a plain ``Model(inputs, outputs)`` is a ``Functional``."""
    from numpynet.models.functional import Model
    return "Functional" if type(layer) is Model else type(layer).__name__


def is_sequential_like(model):
    """True when the graph is a chain: one node per depth, one input each, no shared layer."""
    if hasattr(model, "_stack"):
        return True
    by_depth = {}
    for node, depth in node_depths(model).items():
        by_depth.setdefault(depth, []).append(node)
    for nodes in by_depth.values():
        if len(nodes) > 1 or len(nodes[0].inputs) > 1:
            return False
    seen = set()
    for node in model._nodes:
        if id(node.layer) in seen:
            return False  # a shared layer
        seen.add(id(node.layer))
    return True


def node_depths(model):
    """Keras' node depth: 0 for the nodes producing outputs, parents one more than children."""
    depths = {}
    node_ids = {id(node) for node in model._nodes}
    by_id = {id(node): node for node in model._nodes}
    for node in reversed(model._nodes):  # children before parents
        depth = depths.setdefault(id(node), 0)
        for parent in node.parent_nodes:
            if id(parent) in node_ids:
                depths[id(parent)] = max(depths.get(id(parent), 0), depth + 1)
    return {by_id[key]: depth for key, depth in depths.items()}


def format_layer_shape(layer, node_ids=None):
    """``"(None, 32)"``, a list of shapes for several outputs, or ``"?"`` if never called."""
    nodes = [n for n in layer._inbound_nodes if node_ids is None or id(n) in node_ids]
    nodes = nodes or layer._inbound_nodes
    if not nodes:
        return "?"
    shapes = [_format_shape(t.shape) for t in nodes[-1].outputs]  # Keras shows the last call
    return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"


def _format_shape(shape):
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _format_params(layer):
    if not layer.built:
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _connections(layer, node_ids):
    parts = []
    for node in layer._inbound_nodes:
        if id(node) not in node_ids:
            continue  # a call of a shared layer that belongs to another model
        for tensor in flatten(node.inputs):
            inbound, node_index, tensor_index = tensor._history
            parts.append(f"{inbound.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) or "-"


def _totals(model):
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    optimizer = getattr(model, "optimizer", None)
    optimizer_state = []
    if getattr(model, "compiled", False) and getattr(optimizer, "built", False):
        optimizer_state = list(optimizer.variables)
    counts = [_count(w) for w in (trainable, non_trainable, optimizer_state)]
    sizes = [_memory(w) for w in (trainable, non_trainable, optimizer_state)]
    lines = [f" Total params: {sum(counts):,} ({readable_memory_size(sum(sizes))})",
             f" Trainable params: {counts[0]:,} ({readable_memory_size(sizes[0])})",
             f" Non-trainable params: {counts[1]:,} ({readable_memory_size(sizes[1])})"]
    if optimizer_state:
        lines.append(f" Optimizer params: {counts[2]:,} ({readable_memory_size(sizes[2])})")
    return lines


def _count(arrays):
    return int(sum(math.prod(a.shape) for a in arrays))


def _memory(arrays):
    unique = {id(a): a for a in arrays}.values()
    return sum(math.prod(a.shape) * a.dtype.itemsize for a in unique)


def readable_memory_size(size):
    """Bytes as Keras prints them: ``"92.00 B"``, ``"3.13 KB"`` (powers of 1024)."""
    for unit in ["B", "KB", "MB", "GB", "TB", "PB"]:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


# ---------------------------------------------------------------------------------- drawing
def _column_widths(positions, line_length):
    """Keras' column widths, then rich's even shrink to fit the borders in ``line_length``."""
    widths, current = [], 0
    for position in positions:
        width = int(position * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width
    excess = sum(widths) - (line_length - len(widths) - 1)  # the borders take n + 1 columns
    ratio_total, shrunk = len(widths), []
    for width in widths:  # rich's ratio_reduce with equal ratios (Python's round-half-even)
        cut = min(width, round(excess / ratio_total)) if excess > 0 else 0
        shrunk.append(width - cut)
        excess -= cut
        ratio_total -= 1
    return shrunk


def _wrap(text, width):
    """Splits ``text`` on spaces into lines of at most ``width`` (long words cut with '…')."""
    lines, line = [], ""
    for word in text.split(" "):
        if len(word) > width:
            word = word[:width - 1] + "…"
        candidate = f"{line} {word}" if line else word
        if len(candidate) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


def _row(cells, widths, align, edge="│", bottom=False):
    inner = [w - 2 for w in widths]  # one space of padding on each side
    wrapped = [_wrap(cell, w) for cell, w in zip(cells, inner)]
    height = max(len(w) for w in wrapped)
    if bottom:  # rich aligns header cells to the bottom of the row
        wrapped = [[""] * (height - len(lines)) + lines for lines in wrapped]
    out = []
    for i in range(height):
        parts = []
        for lines, w, a in zip(wrapped, inner, align):
            text = lines[i] if i < len(lines) else ""
            parts.append(" " + (text.rjust(w) if a == "right" else text.ljust(w)) + " ")
        out.append(edge + edge.join(parts) + edge)
    return out


def _rule(widths, left, middle, right, fill):
    return left + middle.join(fill * w for w in widths) + right


def _table(header, rows, widths, align):
    lines = [_rule(widths, "┏", "┳", "┓", "━"), *_row(header, widths, align, "┃", bottom=True),
             _rule(widths, "┡", "╇", "┩", "━")]
    for i, row in enumerate(rows):
        if i:
            lines.append(_rule(widths, "├", "┼", "┤", "─"))
        lines += _row(row, widths, align)
    lines.append(_rule(widths, "└", "┴", "┘", "─"))
    return lines


__all__ = ["print_summary", "summary_text", "format_layer_shape", "is_sequential_like",
           "display_class_name",
           "node_depths", "readable_memory_size"]
