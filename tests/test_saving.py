"""Saving and loading: round trips, continued training, weights files, and hostile files."""

import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import numpynet as nn
from numpynet import layers, ops, optimizers, saving
from numpynet.saving import SavingError
from numpynet.utils.io import atomic_write


@pytest.fixture(autouse=True)
def _fresh_session():
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)


def _data(*shapes, seed=0):
    generator = np.random.default_rng(seed)
    return [generator.standard_normal(shape).astype("float32") for shape in shapes]


def sequential_model():
    model = nn.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                           layers.Dense(3, activation="softmax")], name="classifier")
    model.compile(optimizers.Adam(learning_rate=0.01), "categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def multi_input_model():
    a, b = nn.Input((4,), name="image"), nn.Input((2,), name="extra")
    branch = layers.Dense(5, activation="tanh", name="branch")(a)
    merged = layers.Concatenate(name="merge")([branch, b])
    out = layers.Dense(1, activation="sigmoid", name="out")(merged)
    model = nn.Model([a, b], out, name="multimodal")
    model.compile(optimizer=optimizers.Adam(learning_rate=0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def _classification_data():
    (x,) = _data((24, 4))
    y = nn.utils.to_categorical(np.argmax(x[:, :3], axis=1), 3)
    return x, y


def _multimodal_data():
    xa, xb = _data((24, 4), (24, 2), seed=3)
    y = (xa[:, :1] + xb[:, :1] > 0).astype("float32")
    return [xa, xb], y


def _weights_equal(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a.get_weights(), b.get_weights()))


@pytest.mark.parametrize("build, data", [(sequential_model, _classification_data),
                                         (multi_input_model, _multimodal_data)])
def test_round_trip_predicts_and_keeps_training_identically(tmp_path, build, data):
    x, y = data()
    model = build()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "model.numpynet"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["metadata.json", "config.json", "model.weights.npz", "optimizer.npz"])
    loaded = nn.models.load_model(path)
    assert type(loaded) is type(model) and loaded.name == model.name
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.iterations == model.optimizer.iterations == 6
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)

    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert _weights_equal(model, loaded)  # bitwise: the Adam moments were restored

    fresh = nn.models.load_model(path, compile=False)  # weights only, new Adam state
    assert not fresh.compiled
    fresh.compile(optimizers.Adam(learning_rate=model.optimizer.learning_rate),
                  model._compile_config["loss"])
    fresh.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert not _weights_equal(model, fresh)


def test_config_json_holds_architecture_and_compile_settings(tmp_path):
    model = multi_input_model()
    model.save(tmp_path / "m.numpynet")
    with zipfile.ZipFile(tmp_path / "m.numpynet") as archive:
        metadata = json.loads(archive.read("metadata.json"))
        config = json.loads(archive.read("config.json"))
        weights = np.load(io.BytesIO(archive.read("model.weights.npz")))
        names = sorted(weights.files)
        assert "optimizer.npz" not in archive.namelist()  # nothing trained yet: no state
    assert metadata["format"] == "numpynet" and metadata["format_version"] == 1
    assert config["class_name"] == "Model"
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert config["compile_config"]["loss"] == "binary_crossentropy"
    assert config["compile_config"]["metrics"] == ["accuracy"]
    assert names == ["0/branch/kernel", "1/branch/bias", "2/out/kernel", "3/out/bias"]


def test_save_weights_and_load_into_a_twin(tmp_path):
    x, y = _classification_data()
    model = sequential_model()
    model.fit(x, y, epochs=1, verbose=0)
    model.save_weights(tmp_path / "w.weights.npz")
    twin = sequential_model()  # its layers are named dense_2, dense_3: matched by position
    assert twin.layers[0].name != model.layers[0].name
    twin.load_weights(tmp_path / "w.weights.npz")
    np.testing.assert_array_equal(twin.predict(x, verbose=0), model.predict(x, verbose=0))

    model.save(tmp_path / "full.numpynet")  # a model file also provides weights
    third = sequential_model()
    third.load_weights(tmp_path / "full.numpynet")
    assert _weights_equal(third, model)
    with pytest.raises(SavingError, match=r"must end in `\.npz`.*w\.h5"):
        model.save_weights(tmp_path / "w.h5")
    with pytest.raises(FileExistsError, match="already exists and overwrite=False"):
        model.save_weights(tmp_path / "w.weights.npz", overwrite=False)


def test_loading_weights_of_another_architecture_lists_mismatches_and_changes_nothing(tmp_path):
    source = nn.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    source.save_weights(tmp_path / "small.npz")
    target = nn.Sequential([layers.Dense(5, input_shape=(3,)), layers.Dense(2),
                            layers.Dense(1)], name="bigger")
    before = target.get_weights()
    with pytest.raises(SavingError, match="into model 'bigger'; nothing was changed") as error:
        target.load_weights(tmp_path / "small.npz")
    message = str(error.value)
    assert "5 mismatch(es)" in message
    assert "'0/dense/kernel' has shape (3, 4) in the file" in message
    assert "'2/dense_1/kernel' has shape (4, 2)" in message
    assert "missing: '4/dense_4/kernel' (2, 1)" in message
    assert all(np.array_equal(p, q) for p, q in zip(before, target.get_weights()))
    unbuilt = nn.Sequential([layers.Dense(4), layers.Dense(2)], name="unbuilt")
    with pytest.raises(SavingError, match="into model 'unbuilt': it is not built yet"):
        unbuilt.load_weights(tmp_path / "small.npz")
    unbuilt.build((None, 3))
    unbuilt.load_weights(tmp_path / "small.npz")
    assert _weights_equal(unbuilt, source)


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (os.urandom(300), "not a zip archive, or it is truncated"),
])
def test_empty_and_random_files_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.numpynet"
    path.write_bytes(content)
    with pytest.raises(SavingError, match=message) as error:
        nn.models.load_model(path)
    assert "bad.numpynet" in str(error.value)
    with pytest.raises(SavingError, match="bad.numpynet"):
        sequential_model().load_weights(path)


def test_truncated_file_is_refused(tmp_path):
    model = sequential_model()
    model.save(tmp_path / "m.numpynet")
    data = (tmp_path / "m.numpynet").read_bytes()
    for cut in (len(data) // 2, len(data) - 10):
        (tmp_path / "cut.numpynet").write_bytes(data[:cut])
        with pytest.raises(SavingError, match="cut.numpynet.*truncated"):
            nn.models.load_model(tmp_path / "cut.numpynet")
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0xFF  # damage inside a member: its checksum fails
    (tmp_path / "flip.numpynet").write_bytes(bytes(flipped))
    with pytest.raises(SavingError, match="flip.numpynet"):
        nn.models.load_model(tmp_path / "flip.numpynet")
    with pytest.raises(SavingError, match="File not found"):
        nn.models.load_model(tmp_path / "absent.numpynet")


def _rewrite(source, target, replace=None, add=None, drop=()):
    """Copies a model zip, replacing, adding or dropping members."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            if name not in drop:
                new.writestr(name, (replace or {}).get(name, old.read(name)))
        for name, data in (add or {}).items():
            new.writestr(name, data)


@pytest.mark.parametrize("change, message", [
    (dict(add={"payload.pkl": pickle.dumps({"a": 1})}), r"contains a pickle \('payload.pkl'\)"),
    (dict(add={"notes.txt": b"hi"}), r"unexpected member 'notes.txt'"),
    (dict(add={"../evil.json": b"{}"}), r"unsafe member name '\.\./evil.json'"),
    (dict(drop=("config.json",)), r"is missing \['config.json'\]"),
    (dict(replace={"config.json": b"{not json"}), "config.json is not valid JSON"),
    (dict(replace={"metadata.json": b'{"format": "keras"}'}), "is not a numpynet model file"),
])
def test_hostile_or_broken_archives_are_refused(tmp_path, change, message):
    sequential_model().save(tmp_path / "good.numpynet")
    _rewrite(tmp_path / "good.numpynet", tmp_path / "bad.numpynet", **change)
    with pytest.raises(SavingError, match=message):
        nn.models.load_model(tmp_path / "bad.numpynet")


def test_pickled_arrays_and_wrong_weights_are_refused(tmp_path):
    sequential_model().save(tmp_path / "good.numpynet")
    pickled = io.BytesIO()
    np.savez(pickled, **{"0/dense/kernel": np.array([{"evil": 1}], dtype=object)})
    _rewrite(tmp_path / "good.numpynet", tmp_path / "pickled.numpynet",
             replace={"model.weights.npz": pickled.getvalue()})
    with pytest.raises(SavingError, match="model.weights.npz is not a valid .npz"):
        nn.models.load_model(tmp_path / "pickled.numpynet")

    other = io.BytesIO()
    np.savez(other, **saving.weights_dict(nn.Sequential([layers.Dense(2, input_shape=(4,))])))
    _rewrite(tmp_path / "good.numpynet", tmp_path / "wrong.numpynet",
             replace={"model.weights.npz": other.getvalue()})
    with pytest.raises(SavingError, match=r"(?s)wrong.numpynet.*4 mismatch\(es\).*shape.*missing"):
        nn.models.load_model(tmp_path / "wrong.numpynet")


def test_atomic_write_keeps_the_old_file_on_error(tmp_path):
    path = tmp_path / "log.txt"
    path.write_text("old contents")
    with pytest.raises(RuntimeError, match="crash"):
        with atomic_write(path, "w") as handle:
            handle.write("half of the new")
            raise RuntimeError("crash")
    assert path.read_text() == "old contents"
    assert sorted(os.listdir(tmp_path)) == ["log.txt"]  # the temporary file is gone
    with atomic_write(path, "w") as handle:
        handle.write("new")
    assert path.read_text() == "new"
    with pytest.raises(ValueError, match="mode must be 'w' or 'wb', got 'a'"):
        with atomic_write(path, "a"):
            pass
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with atomic_write(tmp_path / "missing_dir" / "f.bin"):
            pass


def test_failed_save_leaves_the_previous_file(tmp_path, monkeypatch):
    model = sequential_model()
    model.save(tmp_path / "m.numpynet")
    before = (tmp_path / "m.numpynet").read_bytes()
    monkeypatch.setattr(model, "get_config", lambda: {"bad": object()})
    with pytest.raises(SavingError, match="config.json would hold a value that is not JSON"):
        model.save(tmp_path / "m.numpynet")
    assert (tmp_path / "m.numpynet").read_bytes() == before
    with pytest.raises(FileExistsError, match="m.numpynet' already exists"):
        model.save(tmp_path / "m.numpynet", overwrite=False)


def _double(x):
    return ops.multiply(x, 2.0)


def test_lambda_layers_need_custom_objects(tmp_path):
    x = nn.Input((3,))
    model = nn.Model(x, layers.Dense(2)(layers.Lambda(_double, name="double")(x)))
    model.save(tmp_path / "lambda.numpynet")
    with pytest.raises(SavingError, match=r"lambda.numpynet.*Lambda layer 'double' wraps the "
                                          r"function '_double'.*custom_objects=\{'double': fn\}"):
        nn.models.load_model(tmp_path / "lambda.numpynet")
    loaded = nn.models.load_model(tmp_path / "lambda.numpynet",
                                  custom_objects={"double": _double})
    (data,) = _data((4, 3))
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), model.predict(data, verbose=0))


def test_clone_model_has_the_same_architecture_and_fresh_weights():
    model = multi_input_model()
    clone = nn.models.clone_model(model)
    assert clone.get_config() == model.get_config()
    assert clone is not model and not _weights_equal(clone, model)
    clone.set_weights(model.get_weights())
    x, _ = _multimodal_data()
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
