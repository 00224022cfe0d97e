"""Shared demo helpers: loading the chosen dataset, and saving figures."""

import dataclasses

import numpy as np

from demos.base import Figure

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]


@dataclasses.dataclass
class Dataset:
    """Flattened images in [0, 1] with integer labels, split into train and test.

    Attributes:
        x_train, x_test: float32 arrays ``(n, pixels)``.
        y_train, y_test: int64 labels.
        image_shape: ``(8, 8)`` for digits, ``(28, 28)`` otherwise.
        class_names: one name per class.
        name: dataset name.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple
    class_names: list
    name: str

    @property
    def num_classes(self):
        return len(self.class_names)

    @property
    def pixels(self):
        return int(np.prod(self.image_shape))


def load_dataset(config, quick_train=600, quick_test=300, full_train=None):
    """Loads ``config.dataset`` flattened; quick mode keeps a small stratified-enough subset.

    Args:
        config: the demo's :class:`DemoConfig`.
        quick_train, quick_test: sizes kept in quick mode.
        full_train: optional cap on the training set outside quick mode (28×28 data is large).
    """
    from numpynet import datasets

    name = config.dataset
    if name == "digits":
        x, y = datasets.load_digits()
        (x_train, y_train), (x_test, y_test) = _split(x, y, config.seed)
        classes = [str(i) for i in range(10)]
    elif name in ("mnist", "fashion-mnist"):
        loader = datasets.load_mnist if name == "mnist" else datasets.load_fashion_mnist
        (x_train, y_train), (x_test, y_test) = loader()
        classes = FASHION_CLASSES if name == "fashion-mnist" else [str(i) for i in range(10)]
    elif name.startswith("csv:"):
        x, y = datasets.load_csv_images(name[4:])
        (x_train, y_train), (x_test, y_test) = _split(x, y, config.seed)
        classes = [str(i) for i in range(int(y.max()) + 1)]
    else:
        raise ValueError(f"Unknown dataset {name!r}: use digits, mnist, fashion-mnist or "
                         "csv:PATH.")
    image_shape = tuple(x_train.shape[1:])
    limit_train = quick_train if config.quick else full_train
    limit_test = quick_test if config.quick else None
    x_train, y_train = x_train[:limit_train], y_train[:limit_train]
    x_test, y_test = x_test[:limit_test], y_test[:limit_test]
    flat = lambda a: a.reshape(len(a), -1).astype(np.float32)  # noqa: E731
    return Dataset(flat(x_train), y_train.astype(np.int64), flat(x_test),
                   y_test.astype(np.int64), image_shape, classes, name)


def _split(x, y, seed):
    from numpynet import datasets
    x_train, x_test, y_train, y_test = datasets.train_test_split(x, y, test_size=0.25, seed=seed)
    return (x_train, y_train), (x_test, y_test)


def save_figure(fig, config, filename, caption):
    """Saves a matplotlib figure in the demo's folder; returns the report's :class:`Figure`."""
    import matplotlib.pyplot as plt

    path = config.out_dir / filename
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return Figure(path=f"{config.out_dir.name}/{filename}", caption=caption)


def curves_figure(histories, keys, title):
    """One panel per key (e.g. ``["loss", "accuracy"]``) with every run's train and val curves.

    Args:
        histories: ``{label: History or history dict}``.
        keys: metric names to plot.
        title: figure title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.6), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for i, (label, history) in enumerate(histories.items()):
            values = getattr(history, "history", history)
            color = f"C{i}"
            if key in values:
                ax.plot(np.arange(1, len(values[key]) + 1), values[key], color=color,
                        label=f"{label} train")
            if f"val_{key}" in values:
                ax.plot(np.arange(1, len(values[f"val_{key}"]) + 1), values[f"val_{key}"],
                        color=color, linestyle="--", label=f"{label} val")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(title)
    return fig
