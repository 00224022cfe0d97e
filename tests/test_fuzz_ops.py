"""Fuzzing what ``test_ops_properties.py`` and ``test_datasets_fuzz.py`` leave out (issue 11).

Loaders: whatever bytes a model, weights, backup or MNIST ``.npz`` file holds, loading returns a
model or raises the loader's own error (:class:`SavingError`, the ``ValueError`` of
``BackupAndRestore``, :class:`DatasetError`), never another exception and never a hang (each
example has a deadline). Beyond random bytes, damaged copies of a real model file and valid
zips with a mutated ``config.json`` or mutated arrays reach the deeper checks. A failed
``load_weights`` leaves the model unchanged.

Ops: the shape primitives (transpose, reshape, expand_dims/squeeze, broadcast_to, concatenate,
stack, split, getitem, take), the reductions with ties (max, min), std, clip and the fused
Dense, on random shapes and axes: forward values equal NumPy's and gradients pass
``check_grads``.
"""

import copy
import io
import json
import os
import tempfile
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import numpynet as nn
from numpynet import nn_ops, ops
from numpynet.callbacks import BackupAndRestore
from numpynet.datasets import DatasetError
from numpynet.gradcheck import check_grads
from numpynet.saving import SavingError
from numpynet.tensor import Tensor

LOADERS = settings(max_examples=120, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=25, deadline=None)


def _model():
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)
    image, side = nn.Input((4,), name="image"), nn.Input((2,), name="side")
    hidden = nn.layers.Dense(3, activation="relu", kernel_regularizer="l2", name="hidden")(image)
    hidden = nn.layers.BatchNormalization(name="norm")(nn.layers.Dropout(0.2)(hidden))
    merged = nn.layers.Concatenate(name="merge")([hidden, side])
    model = nn.Model([image, side], nn.layers.Dense(2, activation="softmax", name="out")(merged),
                     name="fuzzed")
    model.compile(nn.optimizers.Adam(learning_rate=0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _good_files():
    """A saved (trained) model file and weights file, as bytes."""
    model = _model()
    model.fit([np.ones((4, 4)), np.ones((4, 2))], np.array([0, 1, 0, 1]), verbose=0)
    with tempfile.TemporaryDirectory() as directory:
        model.save(os.path.join(directory, "m.numpynet"))
        model.save_weights(os.path.join(directory, "w.weights.npz"))
        with open(os.path.join(directory, "m.numpynet"), "rb") as f:
            model_bytes = f.read()
        with open(os.path.join(directory, "w.weights.npz"), "rb") as f:
            weights_bytes = f.read()
    return model_bytes, weights_bytes


MODEL_FILE, WEIGHTS_FILE = _good_files()
with zipfile.ZipFile(io.BytesIO(MODEL_FILE)) as _archive:
    MEMBERS = {name: _archive.read(name) for name in _archive.namelist()}
TARGET = _model()  # the model that load_weights must leave alone when it fails


def try_to_load(data):
    """Writes ``data`` to a file and loads it both ways; only SavingError may come out."""
    before = TARGET.get_weights()
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "fuzzed.numpynet")
        with open(path, "wb") as f:
            f.write(data)
        try:
            nn.models.load_model(path)
        except SavingError as error:
            assert "fuzzed.numpynet" in str(error)  # every message names the file
        try:
            TARGET.load_weights(path)
        except SavingError as error:
            assert "fuzzed.numpynet" in str(error)
            assert all(np.array_equal(a, b) for a, b in zip(before, TARGET.get_weights()))
        TARGET.set_weights(before)


def zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _npy():
    buffer = io.BytesIO()
    np.save(buffer, np.ones(3, "float32"))
    return buffer.getvalue()


NPY = _npy()  # np.load returns an array, not an archive, for these bytes
ZIP_HEAD = st.sampled_from([b"", b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY\x01\x00"])


@pytest.mark.timeout(120)
@LOADERS
@given(data=st.builds(bytes.__add__, ZIP_HEAD, st.binary(max_size=600)) | st.just(NPY))
def test_random_bytes_into_load_model_and_load_weights(data):
    try_to_load(data)


def header_positions(data):
    """Offsets of the version, flag and compression-method bytes of every zip header."""
    starts = [i for i in range(len(data) - 3)
              if data[i:i + 2] == b"PK" and data[i + 2:i + 4] in (b"\x03\x04", b"\x01\x02",
                                                                  b"\x05\x06")]
    return [i + k for i in starts for k in range(4, 12) if i + k < len(data)] or [0]


@st.composite
def damaged(draw, original):
    """A copy of ``original`` with bytes overwritten (often inside a zip header), cut off, or
    inserted."""
    data = bytearray(original)
    headers = header_positions(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["overwrite", "header", "truncate", "insert"]))
        if kind == "header":
            kind, position = "overwrite", draw(st.sampled_from(headers))
        else:
            position = draw(st.integers(0, max(len(original) - 1, 0)))
        position = min(position, max(len(data) - 1, 0))
        if kind == "overwrite" and data:
            data[position] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[position:]
        else:
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


@pytest.mark.timeout(120)
@LOADERS
@given(data=damaged(MODEL_FILE) | damaged(WEIGHTS_FILE))
def test_damaged_model_and_weights_files(data):
    try_to_load(data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**12) | st.floats(allow_nan=False)
    | st.sampled_from(["", "relu", "Dense", "image", "out", "float64", "zeros", "x" * 50]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["class_name", "config", "name", "units", "layers", "nodes", "args"]),
        inner, max_size=3), max_leaves=6)


def mutate_json(draw, tree):
    """Replaces, deletes or recurses into one random entry of a JSON tree, in place."""
    if not isinstance(tree, (dict, list)) or not tree:
        return
    key = draw(st.sampled_from(list(tree) if isinstance(tree, dict) else range(len(tree))))
    action = draw(st.sampled_from(["replace", "delete", "descend", "descend"]))
    if action == "replace":
        tree[key] = draw(JSON_VALUES)
    elif action == "delete":
        del tree[key]
    else:
        mutate_json(draw, tree[key])


@pytest.mark.timeout(120)
@LOADERS
@given(data=st.data(), member=st.sampled_from(["config.json", "config.json", "metadata.json"]))
def test_valid_zips_with_a_mutated_json_member(data, member):
    tree = copy.deepcopy(json.loads(MEMBERS[member]))
    for _ in range(data.draw(st.integers(1, 3))):
        mutate_json(data.draw, tree)
    try_to_load(zip_bytes({**MEMBERS, member: json.dumps(tree).encode()}))


ARRAYS = hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_,
                                     np.float16]),
                    hnp.array_shapes(min_dims=0, max_dims=3, max_side=5))


@pytest.mark.timeout(120)
@LOADERS
@given(member=st.sampled_from(["model.weights.npz", "optimizer.npz"]), data=st.data())
def test_valid_zips_with_mutated_arrays(member, data):
    with np.load(io.BytesIO(MEMBERS[member])) as npz:
        arrays = {key: npz[key] for key in npz.files}
    key = data.draw(st.sampled_from(sorted(arrays) + ["0/extra", "iterations", "9/out/bias"]))
    if data.draw(st.booleans()) and key in arrays:
        del arrays[key]
    else:
        arrays[key] = data.draw(ARRAYS)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    try_to_load(zip_bytes({**MEMBERS, member: buffer.getvalue()}))


def _backup_bytes():
    model = nn.Sequential([nn.Input((3,)), nn.layers.Dense(1)])
    model.compile("adam", "mse")
    with tempfile.TemporaryDirectory() as directory:
        model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0,
                  callbacks=[BackupAndRestore(directory, delete_checkpoint=False)])
        with open(os.path.join(directory, "latest.backup.npz"), "rb") as f:
            return model, f.read()


BACKUP_MODEL, BACKUP = _backup_bytes()


@pytest.mark.timeout(120)
@LOADERS
@given(data=damaged(BACKUP) | st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b)
       | st.just(NPY))
def test_damaged_backups_raise_only_the_backup_error(data):
    with tempfile.TemporaryDirectory() as directory:
        with open(os.path.join(directory, "latest.backup.npz"), "wb") as f:
            f.write(data)
        try:
            BACKUP_MODEL.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=1, verbose=0,
                             callbacks=[BackupAndRestore(directory, delete_checkpoint=False)])
        except ValueError as error:
            assert "BackupAndRestore" in str(error) and directory in str(error)


def _mnist_npz():
    buffer = io.BytesIO()
    np.savez(buffer, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(2, np.uint8),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))
    return buffer.getvalue()


@pytest.mark.timeout(120)
@LOADERS
@given(data=damaged(_mnist_npz()) | st.binary(max_size=200) | st.just(NPY))
def test_damaged_mnist_npz_raises_only_dataset_errors(data):
    with tempfile.TemporaryDirectory() as directory:
        with open(os.path.join(directory, "mnist.npz"), "wb") as f:
            f.write(data)
        try:
            (x_train, _), _ = nn.datasets.load_mnist(path=directory, download=False)
            assert x_train.ndim == 3 and x_train.dtype == np.float32
        except DatasetError as error:
            assert "mnist.npz" in str(error)


# ------------------------------------------------------------------------- shape ops and friends
SHAPES = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)


def arrays(shape):
    return hnp.arrays(np.float64, shape, elements=st.floats(-2, 2, allow_subnormal=False))


def forward_and_grads(op, reference, *inputs):
    np.testing.assert_allclose(op(*[Tensor(x, dtype=np.float64) for x in inputs]).data,
                               reference(*inputs), rtol=1e-12, atol=1e-12)
    return check_grads(op, *inputs)


@FEW
@given(data=st.data())
def test_transpose_reshape_expand_and_squeeze_on_random_shapes(data):
    x = data.draw(arrays(SHAPES))
    axes = data.draw(st.permutations(range(x.ndim)))
    signed = [a - x.ndim if data.draw(st.booleans()) else a for a in axes]  # negative axes too
    forward_and_grads(lambda t: ops.transpose(t, signed), lambda a: np.transpose(a, signed), x)
    target = tuple(reversed(x.shape)) + (1,)
    forward_and_grads(lambda t: ops.reshape(t, target) * 1.5,
                      lambda a: np.reshape(a, target) * 1.5, x)
    axis = data.draw(st.integers(-x.ndim - 1, x.ndim))
    forward_and_grads(lambda t: ops.squeeze(ops.expand_dims(t, axis), axis) ** 2.0,
                      lambda a: a ** 2.0, x)


@FEW
@given(data=st.data())
def test_broadcast_to_sums_the_gradient_back(data):
    x = data.draw(arrays(SHAPES))
    target = tuple(data.draw(st.integers(1, 3)) if s == 1 else s for s in x.shape)
    target = (data.draw(st.integers(1, 3)),) + target
    gradient = forward_and_grads(lambda t: ops.broadcast_to(t, target) * 2.0,
                                 lambda a: np.broadcast_to(a, target) * 2.0, x)[0]
    assert gradient.shape == x.shape


@FEW
@given(data=st.data())
def test_concatenate_stack_and_split_along_random_axes(data):
    shape = data.draw(SHAPES)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    parts = [data.draw(arrays(shape[:axis % len(shape)] + (n,) + shape[axis % len(shape) + 1:]))
             for n in sizes]
    forward_and_grads(lambda *ts: ops.concatenate(list(ts), axis),
                      lambda *a: np.concatenate(a, axis), *parts)
    same = [data.draw(arrays(shape)) for _ in sizes]
    stack_axis = data.draw(st.integers(0, len(shape)))
    forward_and_grads(lambda *ts: ops.stack(list(ts), stack_axis),
                      lambda *a: np.stack(a, stack_axis), *same)
    whole = np.concatenate(parts, axis)
    cuts = sorted(set(data.draw(st.lists(st.integers(0, whole.shape[axis]), max_size=3))))
    forward_and_grads(
        lambda t: ops.concatenate([p * (i + 1.0) for i, p in enumerate(ops.split(t, cuts, axis))],
                                  axis),
        lambda a: np.concatenate([p * (i + 1.0) for i, p in enumerate(np.split(a, cuts, axis))],
                                 axis), whole)


@FEW
@given(data=st.data())
def test_getitem_and_take_scatter_repeated_indices(data):
    x = data.draw(arrays(SHAPES))
    slices = tuple(slice(data.draw(st.integers(-s, s)), data.draw(st.integers(-s, s)),
                         data.draw(st.sampled_from([1, 2, -1]))) for s in x.shape)
    forward_and_grads(lambda t: ops.getitem(t, slices), lambda a: a[slices], x)
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    indices = np.array(data.draw(st.lists(st.integers(0, x.shape[axis] - 1), min_size=1,
                                          max_size=5)))
    gradient = forward_and_grads(lambda t: ops.take(t, indices, axis),
                                 lambda a: np.take(a, indices, axis), x)[0]
    counts = np.bincount(indices, minlength=x.shape[axis])  # repeats add up, not overwrite
    tensor = Tensor(x, requires_grad=True, dtype=np.float64)
    ops.sum(ops.take(tensor, indices, axis)).backward()
    np.testing.assert_array_equal(np.moveaxis(tensor.grad, axis, 0).reshape(len(counts), -1)[:, 0],
                                  counts)
    assert gradient.shape == x.shape


@FEW
@given(data=st.data())
def test_max_min_share_the_gradient_between_ties(data):
    shape = data.draw(SHAPES)
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 0.5, 2.0])))
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    for op, reduce in ((ops.max, np.max), (ops.min, np.min)):
        out = op(Tensor(x, requires_grad=True, dtype=np.float64), axis=axis)
        np.testing.assert_array_equal(out.data, reduce(x, axis=axis))
        tensor = Tensor(x, requires_grad=True, dtype=np.float64)
        ops.sum(op(tensor, axis=axis)).backward()
        total = np.sum(tensor.grad, axis=axis)  # each winner set shares exactly one gradient
        np.testing.assert_allclose(total, np.ones_like(total), rtol=1e-12)
        assert np.all(tensor.grad[x != reduce(x, axis=axis, keepdims=True)] == 0)


@FEW
@given(data=st.data())
def test_std_and_clip_on_random_shapes(data):
    x = data.draw(arrays(hnp.array_shapes(min_dims=1, max_dims=4, min_side=2, max_side=4)))
    x = x + np.arange(x.size).reshape(x.shape) * 0.37  # never constant along an axis
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    forward_and_grads(lambda t: ops.std(t, axis=axis), lambda a: np.std(a, axis=axis), x)
    low, high = sorted(data.draw(st.lists(st.floats(-2, 2), min_size=2, max_size=2)))
    away = np.where(np.abs(x - low) < 0.01, x + 0.02, x)
    away = np.where(np.abs(away - high) < 0.01, away + 0.02, away)  # no kink under the step
    forward_and_grads(lambda t: ops.clip(t, low, high), lambda a: np.clip(a, low, high), away)


@FEW
@given(data=st.data(), activation=st.sampled_from([None, "relu"]),
       use_bias=st.booleans())
def test_fused_dense_equals_its_composition(data, activation, use_bias):
    batch, n, units = (data.draw(st.integers(1, 5)) for _ in range(3))
    x, kernel, bias = (data.draw(arrays(st.just(s))) for s in ((batch, n), (n, units), (units,)))
    x = x + 0.013  # keep the pre-activations off relu's kink at 0

    def fused(*ts):
        return nn_ops.dense(ts[0], ts[1], ts[2] if use_bias else None, activation)

    def composed(*ts):
        z = ops.matmul(ts[0], ts[1]) + ts[2] if use_bias else ops.matmul(ts[0], ts[1])
        return nn_ops.relu(z) if activation == "relu" else z

    inputs = (x, kernel, bias) if use_bias else (x, kernel)
    pre = x @ kernel + (bias if use_bias else 0.0)
    if activation == "relu" and np.any(np.abs(pre) < 1e-3):
        return  # finite differences would straddle the kink
    ours = check_grads(fused, *inputs)
    theirs = check_grads(composed, *inputs)
    np.testing.assert_allclose(fused(*[Tensor(a, dtype=np.float64) for a in inputs]).data,
                               composed(*[Tensor(a, dtype=np.float64) for a in inputs]).data,
                               rtol=1e-12, atol=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
