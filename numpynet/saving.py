"""Saving and loading models: one zip file that holds no code, only JSON and arrays.

A ``.numpynet`` file (Keras writes ``.keras``; same idea) is a zip archive with exactly:

* ``metadata.json``: format name and version, numpynet version, date saved;
* ``config.json``: ``{"class_name", "config", "compile_config"}``, the architecture and the
  ``compile`` settings;
* ``model.weights.npz``: the weights, keyed ``"<index>/<weight path>"`` (``"0/dense/kernel"``);
* ``optimizer.npz`` (only when the optimizer has state): ``optimizer.get_state()``.

Loading never unpickles (``np.load(allow_pickle=False)``) and refuses any other member, so a
file from a stranger can at worst fail to load. Files are written atomically
(:func:`numpynet.utils.io.atomic_write`): a crash leaves the previous file intact.
"""

import datetime
import io
import json
import os
import zipfile

import numpy as np

from numpynet.utils.io import CORRUPT_FILE_ERRORS, atomic_write, read_npz_bytes, read_zip_members

FORMAT_NAME = "numpynet"
FORMAT_VERSION = 1
METADATA, CONFIG, WEIGHTS, OPTIMIZER = (
    "metadata.json", "config.json", "model.weights.npz", "optimizer.npz")
_REQUIRED = (METADATA, CONFIG, WEIGHTS)
_MEMBERS = _REQUIRED + (OPTIMIZER,)


class SavingError(ValueError):
    """A model or weights file cannot be written or read; the message names the file."""


# ---------------------------------------------------------------------------------- saving
def save_model(model, filepath, overwrite=True):
    """Saves architecture, weights, compile settings and optimizer state to one zip file.

    Args:
        model: a ``Model`` or ``Sequential``.
        filepath: destination; the extension ``.numpynet`` is recommended.
        overwrite: if False, refuse to replace an existing file.

    Raises:
        FileExistsError: if ``overwrite=False`` and the file exists.
        SavingError: if the configuration cannot be written as JSON.
    """
    path = os.fspath(filepath)
    _check_overwrite(path, overwrite)
    metadata = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                "numpynet_version": _version(),
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    config = {"class_name": type(model).__name__, "config": model.get_config(),
              "compile_config": _compile_config(model)}
    members = {METADATA: _to_json(metadata, path, METADATA),
               CONFIG: _to_json(config, path, CONFIG),
               WEIGHTS: _npz_bytes(weights_dict(model))}
    optimizer = getattr(model, "optimizer", None)
    if getattr(model, "compiled", False) and getattr(optimizer, "built", False):
        members[OPTIMIZER] = _npz_bytes(optimizer.get_state())
    with atomic_write(path, "wb") as handle, zipfile.ZipFile(handle, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)


def save_weights(model, filepath, overwrite=True):
    """Saves the weight values to an ``.npz`` file keyed ``"<index>/<weight path>"``.

    Raises:
        SavingError: if ``filepath`` does not end in ``.npz`` (e.g. ``"model.weights.npz"``).
        FileExistsError: if ``overwrite=False`` and the file exists.
    """
    path = os.fspath(filepath)
    if not path.endswith(".npz"):  # Keras likewise insists on ".weights.h5"
        raise SavingError(f"The filename must end in `.npz` (e.g. `.weights.npz`). "
                          f"Received: filepath={path}")
    _check_overwrite(path, overwrite)
    with atomic_write(path, "wb") as handle:
        handle.write(_npz_bytes(weights_dict(model)))


def weights_dict(model):
    """Returns ``{"<index>/<weight path>": array}`` for ``model.weights`` (the saved names)."""
    return {f"{i}/{w.path}": np.asarray(w.data) for i, w in enumerate(model.weights)}


def _check_overwrite(path, overwrite):
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} already exists and overwrite=False.")


def _version():
    import numpynet
    return numpynet.__version__


def _to_json(value, path, member):
    def default(obj):  # NumPy scalars and arrays sneak into configs; JSON wants Python types
        if isinstance(obj, (np.generic, np.ndarray)):
            return obj.tolist()
        raise TypeError(f"{type(obj).__name__} {obj!r}")
    try:
        return json.dumps(value, indent=2, default=default)
    except (TypeError, ValueError) as error:
        raise SavingError(f"Cannot save {path!r}: {member} would hold a value that is not "
                          f"JSON-serializable: {error}.") from None


def _npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _compile_config(model):
    """The ``compile`` arguments as JSON (objects through their ``serialize``), or None."""
    if not getattr(model, "compiled", False):
        return None
    from numpynet import losses, metrics, optimizers
    settings = model._compile_config
    optimizer = model.optimizer
    return {
        "optimizer": optimizers.serialize(optimizer),
        "loss": _map_leaves(settings["loss"], losses.serialize),
        "loss_weights": settings["loss_weights"],
        "metrics": _map_leaves(settings["metrics"], metrics.serialize),
        "weighted_metrics": _map_leaves(settings["weighted_metrics"], metrics.serialize),
        # which weights the optimizer state belongs to, as indices into model.weights
        "optimizer_variables": _optimizer_variable_indices(model, optimizer),
    }


def _optimizer_variable_indices(model, optimizer):
    if not getattr(optimizer, "built", False):
        return None
    position = {id(w): i for i, w in enumerate(model.weights)}
    indices = [position.get(id(v)) for v in optimizer._variables]
    return None if None in indices else indices  # None: rebuild on the trainable weights


def _map_leaves(value, fn, is_leaf=lambda v: False):
    """Applies ``fn`` to the leaves of nested lists and per-output dicts (None stays None)."""
    if value is None:
        return None
    if isinstance(value, dict) and not is_leaf(value):
        return {key: _map_leaves(item, fn, is_leaf) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_map_leaves(item, fn, is_leaf) for item in value]
    return fn(value)


# ---------------------------------------------------------------------------------- loading
def load_model(filepath, custom_objects=None, compile=True):  # noqa: A002 (Keras' name)
    """Loads a model written by :func:`save_model`, ready to predict and to resume training.

    Args:
        filepath: path of the ``.numpynet`` file.
        custom_objects: dict of name -> class or function for custom layers, losses, metrics,
            and ``Lambda`` functions (keyed by the Lambda layer's name or function name).
        compile: re-compile with the saved settings and restore the optimizer state, so that
            continued training is identical to never having saved.

    Returns:
        The model.

    Raises:
        SavingError: naming the file and what is wrong (not found, empty, not a zip or
            truncated, an unexpected or missing member, corrupt JSON, weights that do not fit).
    """
    path = os.fspath(filepath)
    members = read_archive(path)
    config = _check_json_members(path, members)
    model = _model_from_config(config, custom_objects, path)
    assign_weights(model, _read_npz(members[WEIGHTS], path, WEIGHTS), path)
    compile_config = config.get("compile_config")
    if compile and compile_config:
        _compile_from_config(model, compile_config, custom_objects, path)
        if OPTIMIZER in members:
            _restore_optimizer(model, compile_config, _read_npz(members[OPTIMIZER], path,
                                                                OPTIMIZER), path)
    return model


def read_archive(path):
    """Reads every member of a model zip after checking that it holds only what it may.

    Returns:
        dict member name -> bytes.

    Raises:
        SavingError: for a missing, empty, non-zip or truncated file, an unsafe, unexpected,
            pickled or missing member, or a member that fails its checksum.
    """
    return read_zip_members(path, _MEMBERS, _REQUIRED, "numpynet model", SavingError)


def _check_json_members(path, members):
    """Validates metadata.json and config.json; returns the parsed config."""
    metadata = _parse_json(path, members, METADATA)
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise SavingError(f"{path!r} is not a numpynet model file: metadata.json does not say "
                          f"format {FORMAT_NAME!r}.")
    version = metadata.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise SavingError(f"{path!r} has format version {version!r}; this numpynet reads "
                          f"versions up to {FORMAT_VERSION}.")
    config = _parse_json(path, members, CONFIG)
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict) \
            or not isinstance(config.get("class_name"), str):
        raise SavingError(f"{path!r}: config.json must be an object with 'class_name' and "
                          "'config'.")
    return config


def _parse_json(path, members, name):
    try:
        return json.loads(members[name].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SavingError(f"{path!r}: {name} is not valid JSON ({error}).") from None


def _read_npz(data, path, member):
    return read_npz_bytes(data, path, member, SavingError)


def _model_from_config(config, custom_objects, path):
    from numpynet.models.serialization import layer_registry
    class_name = config["class_name"]
    cls = layer_registry(custom_objects).get(class_name)
    if cls is None or not hasattr(cls, "_init_graph"):
        raise SavingError(f"{path!r}: unknown model class {class_name!r}; pass it in "
                          "custom_objects.")
    try:
        return cls.from_config(config["config"], custom_objects=custom_objects)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        detail = f"missing key {error}" if isinstance(error, KeyError) else str(error)
        raise SavingError(f"Cannot rebuild the model saved in {path!r}: {detail}") from None


def _compile_from_config(model, compile_config, custom_objects, path):
    from numpynet import losses, metrics, optimizers

    def is_object(value):
        return "class_name" in value

    try:
        model.compile(
            optimizer=optimizers.deserialize(compile_config["optimizer"],
                                             custom_objects=custom_objects),
            loss=_map_leaves(compile_config.get("loss"),
                             lambda v: losses.deserialize(v, custom_objects)
                             if isinstance(v, dict) else v, is_object),
            loss_weights=compile_config.get("loss_weights"),
            metrics=_map_leaves(compile_config.get("metrics"),
                                lambda v: _metric(v, metrics, custom_objects), is_object),
            weighted_metrics=_map_leaves(compile_config.get("weighted_metrics"),
                                         lambda v: _metric(v, metrics, custom_objects),
                                         is_object))
    except (KeyError, TypeError, ValueError) as error:
        raise SavingError(f"Cannot re-compile the model saved in {path!r}: {error} (load "
                          "with compile=False to skip, or pass custom_objects).") from None


def _metric(value, metrics, custom_objects):
    if isinstance(value, str) and custom_objects and value in custom_objects:
        return custom_objects[value]
    return metrics.deserialize(value, custom_objects) if isinstance(value, dict) else value


def _restore_optimizer(model, compile_config, state, path):
    indices = compile_config.get("optimizer_variables")
    weights = model.weights
    if indices is None:
        variables = model.trainable_weights
    elif isinstance(indices, list) and all(isinstance(i, int) and 0 <= i < len(weights)
                                           for i in indices):
        variables = [weights[i] for i in indices]
    else:
        raise SavingError(f"{path!r}: compile_config['optimizer_variables'] does not index "
                          f"the model's {len(weights)} weights.")
    model.optimizer.build(variables)
    try:
        model.optimizer.set_state(state)
    except ValueError as error:
        raise SavingError(f"{path!r}: optimizer.npz does not fit the optimizer: {error}") from None


# ---------------------------------------------------------------------------------- weights
def load_weights(model, filepath):
    """Loads weights from an ``.npz`` (``save_weights``) or a ``.numpynet`` model file.

    Every name and shape is checked before anything is assigned: on any mismatch the model is
    left unchanged and the error lists every problem.

    Raises:
        SavingError: for an unreadable file or weights that do not fit the model.
    """
    path = os.fspath(filepath)
    if not os.path.isfile(path):
        raise SavingError(f"File not found: filepath={path}.")
    if _is_model_archive(path):
        arrays = _read_npz(read_archive(path)[WEIGHTS], path, WEIGHTS)
    else:
        with open(path, "rb") as handle:
            data = handle.read()
        if not data:
            raise SavingError(f"{path!r} is empty (0 bytes): it holds no weights.")
        arrays = _read_npz(data, path, "the file")
    assign_weights(model, arrays, path)


def _is_model_archive(path):
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return METADATA in archive.namelist()
    except CORRUPT_FILE_ERRORS:  # not a readable zip: read_npz_bytes explains what is wrong
        return False


def assign_weights(model, arrays, source="<arrays>"):
    """Sets ``model.weights`` from a dict saved by :func:`weights_dict`, all or nothing.

    Weights are matched by position and by their own name (``kernel``, ``bias``), not by
    layer name, so a twin model whose layers got other automatic names (``dense_3``) loads
    the weights of ``dense``, as in Keras.

    Raises:
        SavingError: listing every missing, unexpected or mis-shaped weight.
    """
    weights = model.weights
    if not weights and arrays and not getattr(model, "built", True):
        raise SavingError(f"Cannot load the weights of {source!r} into model {model.name!r}: "
                          "it is not built yet, so it has no weights. Build it first "
                          "(model.build((None, ...)) or call it on data).")
    by_index, problems = {}, []
    for key, array in arrays.items():
        index, _, weight_path = key.partition("/")
        if not index.isdigit() or not weight_path:
            problems.append(f"unexpected: {key!r} (names must look like '0/dense/kernel')")
        elif int(index) >= len(weights):
            problems.append(f"unexpected: {key!r} {array.shape} (the model has "
                            f"{len(weights)} weights)")
        else:
            by_index[int(index)] = (key, weight_path, array)
    for i, variable in enumerate(weights):
        if i not in by_index:
            problems.append(f"missing: '{i}/{variable.path}' {variable.shape}")
            continue
        key, weight_path, array = by_index[i]
        if weight_path.rsplit("/", 1)[-1] != variable.path.rsplit("/", 1)[-1]:
            problems.append(f"name: {key!r} in the file, but weight {i} of the model is "
                            f"{variable.path!r}")
        elif array.shape != variable.shape:
            problems.append(f"shape: {key!r} has shape {array.shape} in the file, but "
                            f"{variable.path!r} has shape {variable.shape}")
    if problems:
        raise SavingError(f"Cannot load the weights of {source!r} into model {model.name!r}; "
                          f"nothing was changed. {len(problems)} mismatch(es):\n  "
                          + "\n  ".join(problems))
    for i, variable in enumerate(weights):
        variable.assign(by_index[i][2])


# ---------------------------------------------------------------------------------- cloning
def clone_model(model):
    """A new model with the same architecture and freshly initialised weights.

    Custom layer classes and ``Lambda`` functions are taken from ``model`` itself.
    """
    custom_objects = {}
    for layer in _all_layers(model):
        custom_objects[type(layer).__name__] = type(layer)
        if hasattr(layer, "function"):
            custom_objects[layer.name] = layer.function
    return type(model).from_config(model.get_config(), custom_objects=custom_objects)


def _all_layers(model):
    stack, seen = list(getattr(model, "_stack", None) or model.layers), []
    while stack:
        layer = stack.pop()
        seen.append(layer)
        if hasattr(layer, "_init_graph"):
            stack.extend(getattr(layer, "_stack", None) or layer.layers)
    return seen


__all__ = ["SavingError", "save_model", "load_model", "save_weights", "load_weights",
           "clone_model", "weights_dict", "assign_weights", "read_archive",
           "FORMAT_NAME", "FORMAT_VERSION"]
