"""The catalogue of learner mistakes (issue 11): each one raises an error that teaches.

One row per mistake, grouped as the issue groups them: model building; fit, evaluate and
predict; weights and files; numerics. Every row checks the exception type and a message that
names the layer, argument or file and says what was expected. Rows on weights and files also
check that the model they touch did not change. Mistakes already pinned by the test file of
their module are varied here (another layer, another method, another value), not repeated.
"""

import io
import json
import pathlib
import pickle
import re
import struct
import zipfile

import numpy as np
import pytest
from scipy import special

import numpynet as nn
from numpynet import activations, layers, losses, ops
from numpynet.callbacks import Callback, TerminateOnNaN
from numpynet.datasets import DatasetError
from numpynet.saving import SavingError
from numpynet.tensor import Tensor

_rng = np.random.default_rng(0)  # test data only
X = _rng.normal(size=(12, 4)).astype("float32")
SIDE = _rng.normal(size=(12, 2)).astype("float32")
LABELS = np.arange(12) % 3
SAME = (LABELS[:, None] == 0).astype("float32")


@pytest.fixture(autouse=True)
def _fresh_session():
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)


def classifier(loss="sparse_categorical_crossentropy", metrics=None):
    """``pixels (4) → hidden (8, relu) → probs (3, softmax)``, named ``digits``."""
    model = nn.Sequential([layers.Input((4,), name="pixels"),
                           layers.Dense(8, activation="relu", name="hidden"),
                           layers.Dense(3, activation="softmax", name="probs")], name="digits")
    model.compile("adam", loss, metrics=metrics)
    return model


def pair():
    """Inputs ``image`` (4) and ``side`` (2), concatenated, into ``same`` (1, sigmoid)."""
    image, side = nn.Input((4,), name="image"), nn.Input((2,), name="side")
    merged = layers.Concatenate(name="merge")([layers.Dense(3, name="branch")(image), side])
    model = nn.Model([image, side], layers.Dense(1, activation="sigmoid", name="same")(merged),
                     name="pair")
    model.compile("sgd", "binary_crossentropy")
    return model


def with_value(array, index, value):
    array = array.copy()
    array[index] = value
    return array


def _reused_dense():
    hidden = layers.Dense(8, name="hidden")
    hidden(nn.Input((4,)))
    hidden(nn.Input((5,)))


def _disconnected():
    image, side = nn.Input((4,), name="image"), nn.Input((2,), name="side")
    nn.Model(image, layers.Concatenate()([image, side]))


def _cycle():
    x = nn.Input((3,))
    h = layers.Dense(3, name="loop")(x)
    h.node.inputs = [h]  # only a hand-edited graph can loop: the functional API cannot
    nn.Model(x, h)


def _duplicate_inputs():
    a, b = nn.Input((3,), name="image"), nn.Input((3,), name="image")
    nn.Model([a, b], layers.Add()([a, b]))


def _not_from_input():
    hidden = layers.Dense(3, name="hidden")(nn.Input((4,)))
    nn.Model(hidden, layers.Dense(1)(hidden))


def _two_outputs():
    x = nn.Input((4,))
    return nn.Model(x, [layers.Dense(1, name="price")(x), layers.Dense(2, name="size")(x)])


def row(name, action, error, match):
    return pytest.param(action, error, match, id=name)


MODEL_BUILDING = [
    row("layer_reused_on_another_width", _reused_dense, ValueError,
        r'Input 0 of layer "hidden" is incompatible with the layer: expected axis -1 of input '
        r"shape to have value 4, but received input with shape \(None, 5\)"),
    row("model_on_another_width", lambda: classifier().predict(np.ones((2, 5)), verbose=0),
        ValueError, r"Input 0 with name 'pixels' of layer 'digits' is incompatible with the "
        r"layer: expected shape=\(None, 4\), found shape=\(2, 5\)"),
    row("model_on_another_rank", lambda: classifier().predict(np.ones((2, 4, 2)), verbose=0),
        ValueError, r"'pixels' of layer 'digits'.*expected shape=\(None, 4\), found shape="
        r"\(2, 4, 2\)"),
    row("nested_model_on_another_width", lambda: classifier()(nn.Input((5,))), ValueError,
        r"Layer 'digits' cannot be applied to inputs of shape \(None, 5\): Input 0 with name "
        r"'pixels'.*expected shape=\(None, 4\)"),
    row("multiply_incompatible", lambda: layers.Multiply(name="times")(
        [nn.Input((2, 3)), nn.Input((3, 2))]), ValueError,
        r"Inputs have incompatible shapes. Received shapes \(2, 3\) and \(3, 2\). Layer 'times'"),
    row("concatenate_other_axis_differs", lambda: layers.Concatenate(axis=1, name="join")(
        [nn.Input((2, 3)), nn.Input((2, 4))]), ValueError,
        r"Concatenate` layer requires inputs with matching shapes except for the concatenation "
        r"axis. Layer 'join' \(axis=1\) received: input_shape=\[\(None, 2, 3\), \(None, 2, 4\)"),
    row("average_batch_sizes_differ", lambda: layers.Average(name="avg")(
        [np.ones((2, 3)), np.ones((5, 3))]), ValueError,
        r"different batch sizes. Layer 'avg' received tensors with shapes \[\(2, 3\), \(5, 3\)\]"),
    row("merge_without_a_list", lambda: layers.Concatenate(name="cat")(nn.Input((3,))),
        ValueError, "A merge layer should be called on a list of inputs. Layer 'cat'"),
    row("graph_disconnected", _disconnected, ValueError,
        r"Graph disconnected: cannot find the value of tensor 'side'.*not among the model's "
        r"inputs \['image'\]"),
    row("graph_cycle", _cycle, ValueError, "The graph contains a cycle through layer 'loop'"),
    row("duplicate_layer_names", lambda: nn.Sequential(
        [nn.Input((4,)), layers.Dense(3, name="dense"), layers.Dense(2, name="dense")]),
        ValueError, 'The name "dense" is used 2 times in the model'),
    row("duplicate_input_names", _duplicate_inputs, ValueError,
        'The name "image" is used 2 times in the model'),
    row("model_input_not_an_input", _not_from_input, ValueError,
        r"Model inputs must come from nn.Input\(\); 'hidden/output' is the output of layer "
        r"'hidden'"),
    row("input_layer_not_first", lambda: nn.Sequential([layers.Dense(2), nn.Input((3,))]),
        ValueError, "Sequential: an InputLayer can only be the first layer"),
    row("model_called_on_three_inputs", lambda: pair()([X, SIDE, SIDE]), ValueError,
        r"Model 'pair' expects 2 input\(s\) \['image', 'side'\], but it received 3"),
    row("model_called_with_extra_key", lambda: pair()({"image": X, "side": SIDE, "meta": X}),
        ValueError, r"Model 'pair' expects inputs named \['image', 'side'\]; missing \[\], "
        r"unexpected \['meta'\]"),
    row("symbolic_tensor_into_numpy", lambda: np.asarray(nn.Input((3,), name="pixels")),
        TypeError, r"name='pixels'> is symbolic: it has no values until the model runs"),
    row("input_of_size_zero", lambda: nn.Input((0,)), ValueError,
        r"Input shape must be positive integers or None, got \(0,\)"),
    row("dense_units_not_an_int", lambda: layers.Dense(3.5), ValueError,
        "Dense: `units` must be a positive integer, got 3.5"),
    row("layer_keyword_typo", lambda: layers.Dense(3, activaton="relu"), TypeError,
        r"Dense: unrecognized keyword arguments \['activaton'\]"),
    row("optimizer_keyword_lr", lambda: nn.optimizers.RMSprop(lr=0.01), ValueError,
        r"Argument\(s\) not recognized: \{'lr': 0.01\}"),
    row("compile_keyword_typo", lambda: classifier().compile("adam", losses="mse"), TypeError,
        r"compile\(\) got unexpected keyword arguments \['losses'\]"),
    row("unknown_activation", lambda: layers.Dense(3, activation="rleu"), ValueError,
        r"Could not interpret activation function identifier: 'rleu'. Valid names are: \[.*"
        r"'relu'"),
    row("unknown_initializer", lambda: layers.Dense(3, kernel_initializer="he"), ValueError,
        r"Could not interpret initializer identifier: 'he'. Valid names are: \[.*'he_normal'"),
    row("unknown_regularizer", lambda: layers.Dense(3, activity_regularizer="sparse"),
        ValueError, r"Could not interpret regularizer identifier: 'sparse'. Valid names are: "
        r"\[.*'l1'"),
    row("unknown_loss", lambda: classifier(loss="crossentropy_categorical"), ValueError,
        r"Could not interpret loss identifier: 'crossentropy_categorical'.*Valid names: \[.*"
        r"'categorical_crossentropy'"),
    row("unknown_optimizer", lambda: classifier().compile("adamm", "mse"), ValueError,
        r"Could not interpret optimizer identifier: 'adamm'. Valid names: \['adagrad', 'adam'"),
    row("unknown_metric_at_compile", lambda: classifier(metrics=["accuarcy"]), ValueError,
        r"Could not interpret metric identifier: 'accuarcy'.*Valid names: \[.*'accuracy'"),
    row("one_loss_too_many", lambda: _two_outputs().compile("sgd", ["mse"] * 3), ValueError,
        r"compile: loss has 3 entries but the model has 2 outputs \['price', 'size'\]"),
]


@pytest.mark.parametrize("action, error, match", MODEL_BUILDING)
def test_model_building_mistakes(action, error, match):
    with pytest.raises(error, match=match):
        action()


def _uncompiled_pair():
    image, side = nn.Input((4,), name="image"), nn.Input((2,), name="side")
    merged = layers.Concatenate()([image, side])
    return nn.Model([image, side], layers.Dense(1, name="same")(merged), name="pair")


def fit(model, x, y, **kwargs):
    return model.fit(x, y, verbose=0, **kwargs)


FIT_EVALUATE_PREDICT = [
    row("lengths_differ_in_evaluate", lambda: classifier().evaluate(X, LABELS[:10], verbose=0),
        ValueError, r"Data cardinality is ambiguous: .*'x': 12, 'y': 10"),
    row("input_lengths_differ", lambda: fit(pair(), [X, SIDE[:10]], SAME), ValueError,
        r"different numbers of samples: \{'x\[0\]': 12, 'x\[1\]': 10, 'y': 12\}"),
    row("wrong_number_of_inputs", lambda: fit(pair(), [X], SAME), ValueError,
        r"x: model 'pair' expects 2 array\(s\) for \['image', 'side'\], but received 1"),
    row("dict_missing_key", lambda: pair().predict({"image": X}, verbose=0), ValueError,
        r"x: model 'pair' expects keys \['image', 'side'\]; missing \['side'\], unexpected \[\]"),
    row("dict_extra_key", lambda: fit(pair(), {"image": X, "side": SIDE, "meta": X}, SAME),
        ValueError, r"missing \[\], unexpected \['meta'\]"),
    row("y_dict_unknown_output", lambda: fit(pair(), [X, SIDE], {"label": SAME}), ValueError,
        r"y: model 'pair' expects keys \['same'\]; missing \['same'\], unexpected \['label'\]"),
    row("x_of_strings", lambda: classifier().predict(np.full((2, 4), "0.5"), verbose=0),
        TypeError, "x must be numeric, got an array of dtype <U3"),
    row("x_of_objects", lambda: fit(classifier(), np.array([[1, 2, None, 4]] * 12), LABELS),
        TypeError, "x must be numeric, got an array of dtype object"),
    row("y_of_strings", lambda: fit(classifier(), X, np.array(["cat"] * 12)), TypeError,
        "y must be numeric, got an array of dtype <U3"),
    row("x_ragged_lists", lambda: fit(classifier(), [[1, 2, 3, 4], [1, 2]], [0, 1]), ValueError,
        "x cannot be turned into one array .*every sample must have the same shape"),
    row("x_scalar", lambda: classifier().predict(3.0, verbose=0), ValueError,
        "x must have a batch axis, got a scalar"),
    row("nan_in_x_evaluate", lambda: classifier().evaluate(with_value(X, (5, 2), np.nan), LABELS,
                                                           verbose=0),
        ValueError, r"x contains nan at index \(5, 2\); NaN and infinite values cannot be"),
    row("inf_in_y", lambda: fit(classifier("mse"), X, with_value(np.eye(3)[LABELS], (7, 1),
                                                                 np.inf)),
        ValueError, r"y contains inf at index \(7, 1\)"),
    row("minus_inf_in_x_predict", lambda: classifier().predict(
        with_value(X, (1, 3), -np.inf), verbose=0), ValueError,
        r"x contains -inf at index \(1, 3\)"),
    row("nan_in_validation_data", lambda: fit(classifier(), X, LABELS, validation_data=(
        with_value(X, (0, 0), np.nan), LABELS)), ValueError,
        r"validation_data: x contains nan at index \(0, 0\)"),
    row("nan_in_sample_weight", lambda: fit(classifier(), X, LABELS, sample_weight=with_value(
        np.ones(12), 4, np.nan)), ValueError, r"sample_weight contains nan at index \(4,\)"),
    row("sparse_label_too_big", lambda: fit(classifier(), X, with_value(LABELS, 5, 3)),
        ValueError, r"sparse_categorical_crossentropy: y holds label 3 at index 5, but the model "
        r"has 3 classes: labels must be in \[0, 2\]"),
    row("sparse_label_negative", lambda: classifier().evaluate(X, LABELS - 1, verbose=0),
        ValueError, r"y holds label -1 at index 0, but the model has 3 classes"),
    row("sparse_label_fractional", lambda: fit(classifier(), X, LABELS + 0.5), ValueError,
        "sparse_categorical_crossentropy: y must hold integer class indices"),
    row("one_hot_wrong_width", lambda: fit(classifier("categorical_crossentropy"), X,
                                           np.eye(4)[LABELS]),
        ValueError, r"categorical_crossentropy: y has shape \(12, 4\), but the output 'probs' "
        r"has shape \(None, 3\): one-hot labels must have 3 columns"),
    row("integer_labels_for_categorical", lambda: fit(classifier("categorical_crossentropy"), X,
                                                      LABELS),
        ValueError, r"y has shape \(12,\).*use sparse_categorical_crossentropy for integer"),
    row("empty_x", lambda: fit(classifier(), np.zeros((0, 4)), np.zeros(0)), ValueError,
        r"x is empty \(0 samples\)"),
    row("empty_predict", lambda: classifier().predict(np.zeros((0, 4)), verbose=0), ValueError,
        r"x is empty \(0 samples\)"),
    row("batch_size_zero_evaluate", lambda: classifier().evaluate(X, LABELS, batch_size=0,
                                                                  verbose=0),
        ValueError, "batch_size must be a positive integer, got 0"),
    row("batch_size_negative_predict", lambda: classifier().predict(X, batch_size=-8, verbose=0),
        ValueError, "batch_size must be a positive integer, got -8"),
    row("batch_size_float", lambda: fit(classifier(), X, LABELS, batch_size=16.0), ValueError,
        "batch_size must be a positive integer, got 16.0"),
    row("epochs_float", lambda: fit(classifier(), X, LABELS, epochs=2.0), ValueError,
        "epochs must be a non-negative integer, got 2.0"),
    row("validation_split_negative", lambda: fit(classifier(), X, LABELS, validation_split=-0.2),
        ValueError, r"validation_split must be a float in \[0, 1\), got -0.2"),
    row("validation_split_percent", lambda: fit(classifier(), X, LABELS, validation_split=20),
        ValueError, r"validation_split must be a float in \[0, 1\), got 20"),
    row("validation_split_leaves_nothing", lambda: fit(classifier(), X[:2], LABELS[:2],
                                                       validation_split=0.6),
        ValueError, "validation_split=0.6 leaves an empty training or validation set for 2 "),
    row("validation_data_not_a_tuple", lambda: fit(classifier(), X, LABELS, validation_data=X),
        ValueError, r"validation_data must be a tuple \(x_val, y_val\)"),
    row("class_weight_missing_a_class", lambda: fit(classifier(), X, LABELS,
                                                    class_weight={0: 1.0, 1: 2.0}),
        ValueError, r"class_weight has no entry for classes \[2\]"),
    row("fit_without_y", lambda: fit(classifier(), X, None), ValueError,
        "fit/evaluate need both `x` and `y` arrays"),
    row("evaluate_before_compile", lambda: nn.Sequential([layers.Dense(1)], name="raw")
        .evaluate(X, LABELS, verbose=0), RuntimeError,
        r"You must call `compile\(\)` before calling `evaluate\(\)` on model 'raw'"),
    row("train_on_batch_before_compile", lambda: _uncompiled_pair().train_on_batch([X, SIDE],
                                                                                    SAME),
        RuntimeError, r"call `compile\(\)` before calling `train_on_batch\(\)` on model 'pair'"),
    row("fit_on_another_width", lambda: fit(classifier(), np.ones((12, 5)), LABELS), ValueError,
        r"'pixels' of layer 'digits' is incompatible.*expected shape=\(None, 4\), found shape="
        r"\(\d+, 5\)"),
]


@pytest.mark.parametrize("action, error, match", FIT_EVALUATE_PREDICT)
def test_fit_evaluate_predict_mistakes(action, error, match):
    with pytest.raises(error, match=match):
        action()


# ------------------------------------------------------------------------- weights and files
def _write(path, data):
    path.write_bytes(data)
    return path


def _npz(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _other_model_file(tmp, weights_only):
    other = nn.Sequential([nn.Input((4,)), layers.Dense(5), layers.Dense(3), layers.Dense(2)])
    path = tmp / ("other.weights.npz" if weights_only else "other.numpynet")
    (other.save_weights if weights_only else other.save)(path)
    return path


def _model_file(tmp, replace=None, add=None, name="bad.numpynet"):
    """Saves a small model, then rewrites its zip with members replaced or added."""
    source = tmp / "good.numpynet"
    nn.Sequential([nn.Input((4,)), layers.Dense(3, name="layer")], name="small").save(source)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(tmp / name, "w") as new:
        for member in old.namelist():
            new.writestr(member, (replace or {}).get(member) or old.read(member))
        for member, data in (add or {}).items():
            new.writestr(member, data)
    return tmp / name


def _encrypted_flag(tmp):
    data = bytearray(_model_file(tmp).read_bytes())
    data[6] |= 1  # the first local header's "encrypted" flag...
    (central,) = struct.unpack("<I", data[-6:-2])  # (the end record gives the directory offset)
    data[central + 8] |= 1  # ...and its copy in the central directory
    return _write(tmp / "locked.numpynet", bytes(data))


def _config_with(tmp, old, new):
    source = _model_file(tmp, name="plain.numpynet")
    with zipfile.ZipFile(source) as archive:
        config = archive.read("config.json").decode().replace(old, new)
    return _model_file(tmp, replace={"config.json": config.encode()})


def _weights_with_pickle_member(model, tmp):
    good = tmp / "w.weights.npz"
    model.save_weights(good)
    with zipfile.ZipFile(good, "a") as archive:
        archive.writestr("evil.pkl", pickle.dumps({"payload": 1}))
    return good


def _future_version(tmp):
    metadata = {"format": "numpynet", "format_version": 99}
    return _model_file(tmp, replace={"metadata.json": json.dumps(metadata).encode()})


def _kaggle_csv(tmp):
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    return _write(tmp / "train.csv", f"{header}\n5,{','.join(['0'] * 784)}\n".encode())


def _short_idx(tmp):  # the header promises 3 images of 2x2, the body holds 2
    return _write(tmp / "images-idx3-ubyte", struct.pack(">IIII", 0x803, 3, 2, 2) + bytes(8))


def _set_kernel(model, bad):
    model.set_weights([np.zeros_like(w) for w in model.get_weights()[:2]] + bad)


WEIGHTS_AND_FILES = [
    row("set_weights_count", lambda m, t: m.set_weights(m.get_weights()[:3]), ValueError,
        r"Layer 'digits' expects 4 weights \(\['hidden/kernel', 'hidden/bias', 'probs/kernel', "
        r"'probs/bias'\]\), but set_weights received 3"),
    row("set_weights_shape", lambda m, t: _set_kernel(m, [np.zeros((3, 8)), np.zeros(3)]),
        ValueError, r"set_weights on layer 'digits' failed; nothing changed. probs/kernel: "
        r"expected shape \(8, 3\), got \(3, 8\)"),
    row("set_weights_strings", lambda m, t: _set_kernel(m, [np.zeros((8, 3)), np.full(3, "0")]),
        ValueError, r"nothing changed. probs/bias: expected numbers, got dtype <U1"),
    row("set_weights_ragged", lambda m, t: _set_kernel(m, [[[0.0] * 3] * 7 + [[0.0]], [0] * 3]),
        ValueError, r"probs/kernel: expected an array of shape \(8, 3\), got ragged nested lists"),
    row("layer_set_weights_count", lambda m, t: m.get_layer("hidden").set_weights(
        [np.zeros((4, 8))]), ValueError, r"Layer 'hidden' expects 2 weights"),
    row("load_weights_of_another_architecture", lambda m, t: m.load_weights(
        _other_model_file(t, True)), SavingError,
        r"(?s)Cannot load the weights of '.*other.weights.npz' into model 'digits'; nothing was "
        r"changed. 5 mismatch\(es\):.*unexpected: '5/dense_2/bias' \(2,\) \(the model has 4 "
        r"weights\).*'0/dense/kernel' has shape \(4, 5\) in the file, but 'hidden/kernel' has "
        r"shape \(4, 8\)"),
    row("load_weights_from_a_model_of_another_architecture", lambda m, t: m.load_weights(
        _other_model_file(t, False)), SavingError,
        r"(?s)other.numpynet' into model 'digits'; nothing was changed.*'2/dense_1/kernel' has "
        r"shape \(5, 3\) in the file, but 'probs/kernel' has shape \(8, 3\)"),
    row("load_weights_empty_file", lambda m, t: m.load_weights(_write(t / "w.npz", b"")),
        SavingError, r"w.npz' is empty \(0 bytes\): it holds no weights"),
    row("load_weights_truncated", lambda m, t: m.load_weights(_write(
        t / "w.npz", _npz({"0/hidden/kernel": np.zeros((4, 8))})[:150])), SavingError,
        r"w.npz': the file is not a valid .npz of numeric arrays"),
    row("load_weights_random_bytes", lambda m, t: m.load_weights(_write(
        t / "w.npz", bytes(range(256)))), SavingError,
        r"w.npz': the file is not a valid .npz of numeric arrays \(it is not a zip archive\)"),
    row("load_weights_a_single_npy", lambda m, t: m.load_weights(_write(
        t / "w.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, "
                     b"'shape': (1,), }" + b" " * 60 + b"\n\x00\x00\x00\x00")), SavingError,
        r"w.npy': the file is not a valid .npz of numeric arrays \(it is not a zip archive\)"),
    row("load_weights_pickled_array", lambda m, t: m.load_weights(_write(
        t / "w.npz", _npz({"0/hidden/kernel": np.array([{"evil": 1}], dtype=object)}))),
        SavingError, "Object arrays cannot be loaded when allow_pickle=False"),
    row("load_weights_zip_with_a_pickle", lambda m, t: m.load_weights(
        _weights_with_pickle_member(m, t)), SavingError,
        r"w.weights.npz': the file is not a valid .npz.*member 'evil.pkl' is not a .npy array"),
    row("load_weights_missing_file", lambda m, t: m.load_weights(t / "absent.npz"), SavingError,
        r"File not found: filepath=.*absent.npz"),
    row("load_model_of_a_weights_file", lambda m, t: nn.models.load_model(
        _other_model_file(t, True)), SavingError,
        r"other.weights.npz' contains an unexpected member '0/dense/kernel.npy'; a numpynet "
        r"model file holds only \['metadata.json', 'config.json'"),
    row("load_model_truncated_to_a_third", lambda m, t: nn.models.load_model(_write(
        t / "cut.numpynet", _model_file(t).read_bytes()[:300])), SavingError,
        r"cut.numpynet' is not a numpynet model file: it is not a zip archive, or it is "
        r"truncated"),
    row("load_model_with_a_pickle", lambda m, t: nn.models.load_model(_model_file(
        t, add={"weights.pickle": pickle.dumps([1, 2])})), SavingError,
        r"bad.numpynet' contains a pickle \('weights.pickle'\); numpynet never loads pickles"),
    row("load_model_with_an_h5", lambda m, t: nn.models.load_model(_model_file(
        t, add={"model.h5": b"\x89HDF"})), SavingError,
        r"contains an unexpected member 'model.h5'; a numpynet model file holds only"),
    row("load_model_encrypted_member", lambda m, t: nn.models.load_model(_encrypted_flag(t)),
        SavingError, r"locked.numpynet' is a truncated or corrupt zip archive: .*encrypted"),
    row("load_model_from_the_future", lambda m, t: nn.models.load_model(_future_version(t)),
        SavingError, r"bad.numpynet' has format version 99; this numpynet reads versions up to"),
    row("load_model_unknown_layer", lambda m, t: nn.models.load_model(
        _config_with(t, '"Dense"', '"Conv2D"')), SavingError,
        r"Cannot rebuild the model saved in '.*bad.numpynet': Unknown layer class 'Conv2D'. "
        r"Known layers: \[.*'Dense'"),
    row("save_weights_pickle_name", lambda m, t: m.save_weights(t / "weights.pkl"), SavingError,
        r"The filename must end in `.npz` \(e.g. `.weights.npz`\). Received: filepath=.*pkl"),
    row("save_into_a_missing_directory", lambda m, t: m.save(t / "runs" / "m.numpynet"),
        FileNotFoundError, r"cannot write '.*m.numpynet': the directory '.*runs' does not exist"),
    row("csv_with_a_header_row", lambda m, t: nn.datasets.load_csv_images(_kaggle_csv(t)),
        DatasetError, r"CSV file '.*train.csv', line 1, column 1: 'label' is not a number; "
        r"expected 785 comma-separated numbers \(the label, then 784 pixels\), no header"),
    row("idx_given_a_csv", lambda m, t: nn.datasets.read_idx(_kaggle_csv(t)), DatasetError,
        r"IDX file '.*train.csv' has magic number 0x6c616265; expected 0x000008NN"),
    row("idx_shorter_than_its_header", lambda m, t: nn.datasets.read_idx(_short_idx(t)),
        DatasetError, r"images-idx3-ubyte' is truncated: 24 bytes, expected 28 bytes \(16-byte "
        r"header \+ 12 values of shape \(3, 2, 2\)\)"),
]


@pytest.mark.parametrize("action, error, match", WEIGHTS_AND_FILES)
def test_weights_and_files_mistakes_change_nothing(tmp_path, action, error, match):
    model = classifier()
    before = model.get_weights()
    with pytest.raises(error, match=match):
        action(model, tmp_path)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_the_catalogue_has_at_least_forty_mistakes():
    assert len(MODEL_BUILDING) + len(FIT_EVALUATE_PREDICT) + len(WEIGHTS_AND_FILES) >= 40
    assert min(len(MODEL_BUILDING), len(FIT_EVALUATE_PREDICT), len(WEIGHTS_AND_FILES)) >= 10


# ------------------------------------------------------------------------- numerics
def _exploding_log():
    """A model whose loss is NaN from the first batch: log of a negative number."""
    model = nn.Sequential([nn.Input((4,)), layers.Dense(1, kernel_initializer="zeros"),
                           layers.Lambda(lambda t: ops.log(t - 1.0), name="log")])
    model.compile("sgd", "mse")
    return model


def test_terminate_on_nan_with_raise_error_names_the_batch_and_value():
    with np.errstate(invalid="ignore"), pytest.raises(
            RuntimeError, match=r"NaN or Inf loss encountered at batch 0. Loss value: nan. "
                                r"Terminating training immediately."):
        _exploding_log().fit(X, SAME, epochs=3, verbose=0,
                             callbacks=[TerminateOnNaN(raise_error=True)])


class _LossRecorder(Callback):
    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(logs["loss"])


def test_a_loss_that_becomes_nan_stops_training_at_that_batch(capsys):
    model = nn.Sequential([nn.Input((4,)), layers.Dense(1)])
    model.compile(nn.optimizers.SGD(learning_rate=50.0), "mse")
    recorder = _LossRecorder()
    with np.errstate(all="ignore"):
        history = model.fit(X * 10.0, SAME, batch_size=2, epochs=20, shuffle=False, verbose=0,
                            callbacks=[recorder, TerminateOnNaN()])
    first_bad = next(i for i, loss in enumerate(recorder.losses) if not np.isfinite(loss))
    assert first_bad > 0  # the loss was finite at first and then diverged
    assert len(recorder.losses) == first_bad + 1  # no batch ran after the bad one
    assert len(history.history["loss"]) == first_bad // 6 + 1  # 6 batches per epoch
    assert capsys.readouterr().out.startswith(
        f"Batch {first_bad % 6}: Invalid loss, terminating training (loss = ")


LOGITS = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [3.0, 1e4, -2.0], [0.0, 0.0, 0.0]],
                  "float32")
ONE_HOT = np.eye(3, dtype="float32")[[1, 0, 1, 2]]  # the worst labels: far from the argmax
BINARY = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], "float32")


def _reference(kind):
    z = LOGITS.astype(np.float64)
    if kind == "binary":
        per_entry = -BINARY * special.log_expit(z) - (1 - BINARY) * special.log_expit(-z)
        return per_entry.mean()
    return float(np.mean(-np.sum(ONE_HOT * special.log_softmax(z, axis=-1), axis=-1)))


EXTREME = [
    ("categorical_from_logits", lambda z: losses.CategoricalCrossentropy(from_logits=True)(
        ONE_HOT, z), "categorical"),
    ("sparse_from_logits", lambda z: losses.SparseCategoricalCrossentropy(from_logits=True)(
        np.argmax(ONE_HOT, -1), z), "categorical"),
    ("binary_from_logits", lambda z: losses.BinaryCrossentropy(from_logits=True)(BINARY, z),
     "binary"),
    ("categorical_after_softmax", lambda z: losses.CategoricalCrossentropy()(
        ONE_HOT, activations.softmax(z)), "categorical"),
    ("sparse_after_softmax", lambda z: losses.SparseCategoricalCrossentropy()(
        np.argmax(ONE_HOT, -1), activations.softmax(z)), "categorical"),
    ("binary_after_sigmoid", lambda z: losses.BinaryCrossentropy()(
        BINARY, activations.sigmoid(z)), "binary"),
    ("log_softmax", lambda z: ops.mean(-ops.sum(activations.log_softmax(z) * ONE_HOT, axis=-1)),
     "categorical"),
]


@pytest.mark.filterwarnings("error")  # no overflow or division warnings either
@pytest.mark.parametrize("loss, kind", [pytest.param(f, k, id=n) for n, f, k in EXTREME])
def test_cross_entropies_stay_finite_and_exact_for_logits_of_1e4_in_float32(loss, kind):
    logits = Tensor(LOGITS, requires_grad=True)
    value = loss(logits)
    value.backward()
    assert value.dtype == np.float32 and logits.grad.dtype == np.float32
    assert np.isfinite(value.data) and np.all(np.isfinite(logits.grad))
    np.testing.assert_allclose(float(value.data), _reference(kind), rtol=1e-6)
    assert np.abs(logits.grad).max() <= 1.0  # (p - y) / batch: bounded however large z is


@pytest.mark.filterwarnings("error")
def test_softmax_of_extreme_logits_is_a_distribution():
    probabilities = activations.softmax(Tensor(LOGITS)).data
    assert probabilities.dtype == np.float32 and np.all(np.isfinite(probabilities))
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(probabilities[1], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(probabilities[3], [1 / 3] * 3, rtol=1e-6)


@pytest.mark.filterwarnings("error")
def test_training_through_a_saturated_softmax_keeps_weights_finite():
    model = classifier()
    hidden, probs = model.get_layer("hidden"), model.get_layer("probs")
    hidden.kernel.assign(np.full((4, 8), 300.0, "float32"))
    probs.kernel.assign(np.tile([[10.0, -10.0, 0.0]], (8, 1)).astype("float32"))
    x = np.abs(X) + 1.0  # every hidden unit is on: the logits reach about ±1e5
    logits = np.maximum(x @ hidden.kernel.data, 0) @ probs.kernel.data
    assert np.abs(logits).max() > 1e4
    loss = model.train_on_batch(x, np.full(12, 1))  # the class the softmax says is impossible
    assert np.isfinite(loss) and loss > 1e4
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())


# ------------------------------------------------------------------------- the README's excerpt
def _readme_rows():
    """``(test id, message)`` of each row of the README's "Errors you may see" table."""
    readme = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    block = readme.split("<!-- errors:begin -->")[1].split("<!-- errors:end -->")[0]
    return re.findall(r"^\| `(\w+)` \| (.+) \|$", block, flags=re.M)


def test_the_readme_quotes_at_least_ten_mistakes_of_each_kind_it_knows():
    ids = [name for name, _ in _readme_rows()]
    catalogue = {p.id for p in MODEL_BUILDING + FIT_EVALUATE_PREDICT + WEIGHTS_AND_FILES}
    assert len(ids) >= 10 and set(ids) <= catalogue, set(ids) - catalogue


@pytest.mark.parametrize("name, message", _readme_rows())
def test_the_readme_quotes_what_numpynet_says(tmp_path, name, message):
    (case,) = [p for p in MODEL_BUILDING + FIT_EVALUATE_PREDICT + WEIGHTS_AND_FILES
               if p.id == name]
    action, error, _ = case.values
    call = (lambda: action(classifier(), tmp_path)) if case in WEIGHTS_AND_FILES else action
    with pytest.raises(error) as raised:
        call()
    assert message in str(raised.value)
