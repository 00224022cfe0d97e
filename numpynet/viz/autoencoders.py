"""Looking inside an autoencoder: weights as images, codes as heatmaps and histograms.

A dense autoencoder ``Input(n) → Dense(code, name="encoder") → Dense(n, name="decoder")`` on
images has two weight matrices that are themselves images: column ``j`` of the encoder kernel
``(n, code)`` is the pixel pattern that unit ``j`` responds to, and row ``j`` of the decoder
kernel ``(code, n)`` is the pattern that unit ``j`` paints into the output. Trained on 28×28
images they look like pen strokes; before training they are noise.

Grids of small images are drawn as one mosaic image (tiles separated by blank gutters), so
every function here can draw into a single ``ax`` and be combined into larger figures.
"""

import math

import numpy as np


def _array(values, name, ndim=None):
    """An ndarray from an array, a numpynet Tensor or a Keras variable (``.numpy()``)."""
    if hasattr(values, "numpy") and not isinstance(values, np.ndarray):
        values = values.numpy()
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got an array of dtype {array.dtype}.")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {array.shape}.")
    return array


def _pixels(image_shape):
    """``(height, width)`` of a grayscale image shape such as ``(28, 28)``, and its size."""
    shape = tuple(int(s) for s in image_shape)
    if len(shape) < 2 or any(s <= 0 for s in shape):
        raise ValueError(f"image_shape must hold a positive height and width such as (28, 28), "
                         f"got {image_shape!r}.")
    return (shape[0], math.prod(shape[1:])), math.prod(shape)


def _axes(ax, figsize):
    """The panel to draw in: ``ax`` itself, or the single panel of a new figure."""
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax
    fig, ax = plt.subplots(figsize=figsize)
    return ax


def _mosaic(tiles, columns):
    """Arranges ``tiles`` ``(k, h, w)`` in rows of ``columns``, with NaN (blank) gutters."""
    k, h, w = tiles.shape
    rows = -(-k // columns)
    mosaic = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), np.nan)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        mosaic[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = tile
    return mosaic


def _pixel_axis(kernel, pixels, axis):
    if axis is not None:
        if axis not in (0, 1) or kernel.shape[axis] != pixels:
            raise ValueError(f"weight_tiles: axis={axis!r} must be 0 or 1 and name the kernel "
                             f"axis of size {pixels} (the pixels); kernel shape is "
                             f"{kernel.shape}.")
        return axis
    matches = [a for a in (0, 1) if kernel.shape[a] == pixels]
    if not matches:
        raise ValueError(f"weight_tiles: the kernel of shape {kernel.shape} has no axis of "
                         f"size {pixels} = the number of pixels of image_shape.")
    if len(matches) == 2:
        raise ValueError(f"weight_tiles: both axes of the kernel of shape {kernel.shape} have "
                         f"{pixels} entries; pass axis=0 (encoder: columns are images) or "
                         "axis=1 (decoder: rows are images).")
    return matches[0]


def weight_tiles(kernel, image_shape, axis=None, n=None, columns=10, cmap="gray", title=None,
                 ax=None):
    """Draws a Dense kernel's weights as images, one tile per unit.

    An encoder kernel ``(pixels, units)`` gives one image per column (what each code unit
    looks for); a decoder kernel ``(units, pixels)`` one image per row (what each code unit
    draws). Each tile is scaled to its own minimum and maximum, as ``imshow`` would do alone,
    so the pattern shows whatever the size of the weights.

    Args:
        kernel: 2-D weights (array, Variable or Keras variable).
        image_shape: shape of one image, e.g. ``(28, 28)``; its size must match one kernel axis.
        axis: the kernel axis that runs over pixels (0: encoder, columns are images; 1: decoder,
            rows are images); ``None`` infers it from the sizes.
        n: number of units to draw (the first ``n``; default all).
        columns: tiles per row.
        cmap: matplotlib colormap name.
        title: panel title.
        ax: optional matplotlib Axes to draw into.

    Returns:
        The matplotlib Figure holding the tiles.

    Raises:
        ValueError: if the kernel is not 2-D, no (or, with ``axis=None``, both) kernel axes
            match the image size, or ``n``/``columns`` are not positive.
    """
    kernel = _array(kernel, "weight_tiles: kernel", ndim=2).astype(np.float64)
    image_shape, pixels = _pixels(image_shape)
    axis = _pixel_axis(kernel, pixels, axis)
    tiles = kernel.T if axis == 0 else kernel  # (units, pixels)
    n = len(tiles) if n is None else n
    if n < 1 or columns < 1:
        raise ValueError(f"weight_tiles: n and columns must be positive, got n={n!r}, "
                         f"columns={columns!r}.")
    tiles = tiles[:n].reshape(-1, *image_shape)
    low = tiles.min(axis=(1, 2), keepdims=True)
    span = tiles.max(axis=(1, 2), keepdims=True) - low
    tiles = (tiles - low) / np.where(span > 0, span, 1.0)  # a constant tile draws as black
    ax = _axes(ax, figsize=(min(columns, len(tiles)) * 0.9, -(-len(tiles) // columns) * 0.9))
    ax.imshow(_mosaic(tiles, min(columns, len(tiles))), cmap=cmap, vmin=0.0, vmax=1.0,
              interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    return ax.figure


def code_heatmap(codes, labels, class_names=None, cmap="viridis", title=None, ax=None):
    """Heatmap of code activations: one row per image, sorted by class; one column per unit.

    Sorting by class shows whether images of one class share active units (horizontal bands)
    and whether each unit fires for few images (a sparse code) or for most (a dense code).

    Args:
        codes: activations ``(images, units)``.
        labels: integer class of each image ``(images,)``.
        class_names: optional names, indexed by label, for the row ticks.
        cmap: matplotlib colormap name.
        title: panel title.
        ax: optional matplotlib Axes to draw into.

    Returns:
        The matplotlib Figure holding the heatmap (with a colorbar).

    Raises:
        ValueError: if ``codes`` is not 2-D or ``labels`` does not have one entry per row.
    """
    codes = _array(codes, "code_heatmap: codes", ndim=2)
    labels = _array(labels, "code_heatmap: labels", ndim=1)
    if len(labels) != len(codes):
        raise ValueError(f"code_heatmap: got {len(codes)} code rows but {len(labels)} labels; "
                         "pass one label per image.")
    order = np.argsort(labels, kind="stable")
    codes, labels = codes[order], labels[order]
    ax = _axes(ax, figsize=(6, 5))
    image = ax.imshow(codes, aspect="auto", cmap=cmap, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, fraction=0.05, pad=0.02, label="activation")
    classes, starts = np.unique(labels, return_index=True)
    ends = np.append(starts[1:], len(labels))
    for start in starts[1:]:
        ax.axhline(start - 0.5, color="white", linewidth=0.6)
    names = [str(c) if class_names is None else str(class_names[int(c)]) for c in classes]
    ax.set_yticks((starts + ends - 1) / 2.0, names, fontsize=7)
    ax.set_xlabel("code unit")
    ax.set_ylabel("test images, sorted by class")
    if title:
        ax.set_title(title, fontsize=9)
    return ax.figure


def code_histogram(codes, bins=50, threshold=None, log=False, color=None, title=None, ax=None):
    """Histogram of all code activations (every unit of every image).

    A dense ReLU code spreads its activations over a range of values; a sparse one piles
    them up at zero.

    Args:
        codes: activations of any shape (flattened).
        bins: number of bins.
        threshold: optional value below which ``|activation|`` counts as near zero; draws a
            line there and writes the share of activations below it.
        log: logarithmic count axis.
        color: bar color.
        title: panel title.
        ax: optional matplotlib Axes to draw into.

    Returns:
        The matplotlib Figure holding the histogram.

    Raises:
        ValueError: if ``codes`` is empty.
    """
    values = _array(codes, "code_histogram: codes").ravel()
    if values.size == 0:
        raise ValueError("code_histogram: codes is empty; pass at least one activation.")
    ax = _axes(ax, figsize=(5, 3.2))
    ax.hist(values, bins=bins, color=color, log=log)
    if threshold is not None:
        share = float(np.mean(np.abs(values) < threshold))
        ax.axvline(threshold, color="red", linewidth=0.8, linestyle="--")
        ax.text(0.97, 0.95, f"{share:.0%} below {threshold:g}", transform=ax.transAxes,
                ha="right", va="top", fontsize=8, color="red")
    ax.set_xlabel("activation")
    ax.set_ylabel("count")
    if title:
        ax.set_title(title, fontsize=9)
    return ax.figure


def reconstructions(originals, reconstructions, image_shape, n=10, original_label="original",
                    title=None, ax=None):
    """Grid of images: the originals on the first row, each model's output on the next rows.

    Args:
        originals: flattened images ``(images, pixels)`` (values in [0, 1]).
        reconstructions: the same images after the model, ``(images, pixels)``; or a dict
            ``{row label: array}`` for several rows (several models, or noisy inputs).
        image_shape: shape of one image, e.g. ``(28, 28)``.
        n: number of images (columns) to draw, the first ``n``.
        original_label: label of the first row.
        title: panel title.
        ax: optional matplotlib Axes to draw into.

    Returns:
        The matplotlib Figure holding the grid.

    Raises:
        ValueError: if a row's shape differs from the originals', a row is not ``pixels``
            wide, or ``n`` is not positive.
    """
    rows = reconstructions if isinstance(reconstructions, dict) else \
        {"reconstruction": reconstructions}
    rows = {original_label: originals, **rows}
    image_shape, pixels = _pixels(image_shape)
    arrays = {label: _array(a, f"reconstructions: row {label!r}", ndim=2)
              for label, a in rows.items()}
    expected = arrays[original_label].shape
    for label, array in arrays.items():
        if array.shape != expected or array.shape[1] != pixels:
            raise ValueError(f"reconstructions: row {label!r} has shape {array.shape}; every "
                             f"row must have the originals' shape {expected} with {pixels} "
                             "pixels per image.")
    if n < 1:
        raise ValueError(f"reconstructions: n must be positive, got n={n!r}.")
    n = min(n, expected[0])
    tiles = np.concatenate([a[:n].reshape(n, *image_shape) for a in arrays.values()])
    ax = _axes(ax, figsize=(n * 0.8 + 1.2, len(arrays) * 0.85))
    ax.imshow(_mosaic(tiles.astype(np.float64), n), cmap="gray", vmin=0.0, vmax=1.0,
              interpolation="nearest")
    height = image_shape[0] + 1
    ax.set_yticks(np.arange(len(arrays)) * height + (height - 2) / 2.0, list(arrays),
                  fontsize=8)
    ax.set_xticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=9)
    return ax.figure


def latent_vector(code, image=None, image_shape=None, color=None, title=None, ax=None):
    """Bar plot of one image's code: how strongly each code unit responds to it.

    Args:
        code: activations of one image ``(units,)``.
        image: optional flattened image to draw beside the bars (in a new figure).
        image_shape: shape of ``image``, e.g. ``(28, 28)``; needed with ``image``.
        color: bar color.
        title: figure title.
        ax: optional matplotlib Axes for the bars (only without ``image``).

    Returns:
        The matplotlib Figure holding the bars (and the image).

    Raises:
        ValueError: if ``code`` is not 1-D, ``image`` comes without ``image_shape`` or does
            not match it, or ``image`` is combined with ``ax``.
    """
    import matplotlib.pyplot as plt

    code = _array(code, "latent_vector: code", ndim=1)
    if image is None:
        ax = _axes(ax, figsize=(6, 2.6))
    else:
        if ax is not None:
            raise ValueError("latent_vector: pass either image (a new two-panel figure) or ax "
                             "(bars only), not both.")
        if image_shape is None:
            raise ValueError("latent_vector: image needs image_shape, e.g. (28, 28).")
        shape, pixels = _pixels(image_shape)
        image = _array(image, "latent_vector: image").ravel()
        if image.size != pixels:
            raise ValueError(f"latent_vector: image has {image.size} values but image_shape "
                             f"{tuple(image_shape)} needs {pixels}.")
        fig, (left, ax) = plt.subplots(1, 2, figsize=(7.5, 2.6),
                                       gridspec_kw={"width_ratios": [1, 4]})
        left.imshow(image.reshape(shape), cmap="gray", vmin=0.0, vmax=1.0)
        left.set_axis_off()
    ax.bar(np.arange(len(code)), code, color=color)
    ax.set_xlabel("code unit")
    ax.set_ylabel("activation")
    ax.set_xlim(-0.75, len(code) - 0.25)
    if title:
        ax.figure.suptitle(title, fontsize=9)
    return ax.figure
