"""Models whose inputs or outputs are dicts: Keras' ordering and keying rules.

Keras flattens a dict in sorted key order (``tree.flatten``), keys ``y``, the losses, the metrics
and the logs by the keys of a dict of outputs (or by the output layer names when the keys are
those names), and returns a dict from ``predict``.
"""

import numpy as np
import pytest

import numpynet as nn
from numpynet.layers.symbolic import flatten, pack_like

L = nn.layers
_rng = np.random.default_rng(0)
X = _rng.random((12, 3)).astype("float32")
Y = {"x": _rng.random((12, 2)).astype("float32"), "aux": _rng.random((12, 1)).astype("float32")}


def dict_model():
    a = nn.Input((3,), name="a")
    h = L.Dense(4, name="h")(a)
    return nn.Model(a, {"x": L.Dense(2, name="out")(h), "aux": L.Dense(1, name="aux_layer")(h)})


def test_dicts_flatten_in_sorted_key_order_and_pack_back_in_the_users_order():
    structure = {"b": 1, "a": [2, {"d": 3, "c": 4}]}
    assert flatten(structure) == [2, 4, 3, 1]
    packed = pack_like(structure, ["A", "C", "D", "B"])
    assert packed == {"b": "B", "a": ["A", {"d": "D", "c": "C"}]}
    assert list(packed) == ["b", "a"]


def test_dict_outputs_are_keyed_by_their_keys():
    model = dict_model()
    assert model.output_names == ["aux_layer", "out"]  # layer names, in flattened order
    model.compile("adam", loss={"x": "mse", "aux": "mae"}, metrics={"x": ["mae"]})
    history = model.fit(X, Y, epochs=2, batch_size=4, verbose=0)
    assert sorted(history.history) == ["aux_loss", "loss", "x_loss", "x_mae"]
    predictions = model.predict(X, verbose=0)
    assert list(predictions) == ["x", "aux"]
    assert predictions["x"].shape == (12, 2) and predictions["aux"].shape == (12, 1)
    # the total is the sum of the per-output losses, each on its own key's targets
    logs = model.evaluate(X, Y, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], logs["x_loss"] + logs["aux_loss"], rtol=1e-6)
    np.testing.assert_allclose(logs["x_loss"], np.mean((predictions["x"] - Y["x"]) ** 2),
                               rtol=1e-5)


def test_dict_outputs_keyed_by_layer_names_also_work():
    a = nn.Input((3,), name="a")
    model = nn.Model(a, {"out": L.Dense(2, name="out")(a)})
    model.compile("sgd", {"out": "mse"})
    model.fit(X, {"out": Y["x"]}, verbose=0)
    assert list(model.predict(X, verbose=0)) == ["out"]


def test_a_y_dict_with_the_wrong_keys_names_the_expected_ones():
    model = dict_model()
    model.compile("adam", loss="mse")
    with pytest.raises(ValueError, match=r"y: model '.*' expects keys \['aux', 'x'\]; missing "
                                         r"\['x'\], unexpected \['out'\]"):
        model.fit(X, {"out": Y["x"], "aux": Y["aux"]}, verbose=0)
    with pytest.raises(ValueError, match=r"loss has keys \['out'\] that are not output names "
                                         r"\['aux', 'x'\]"):
        model.compile("adam", loss={"out": "mse"})


def test_dict_inputs_take_arrays_by_input_name(tmp_path):
    image, side = nn.Input((3,), name="image"), nn.Input((2,), name="side")
    merged = L.Concatenate()([image, side])
    model = nn.Model({"side": side, "image": image}, L.Dense(1, name="y")(merged))
    assert model.input_names == ["image", "side"]  # sorted, as Keras flattens the dict
    model.compile("sgd", "mse")
    data = {"side": X[:, :2], "image": X}
    model.fit(data, Y["aux"], verbose=0)
    expected = model.predict([X, X[:, :2]], verbose=0)
    np.testing.assert_array_equal(model.predict(data, verbose=0), expected)
    model.save(tmp_path / "m.numpynet")
    loaded = nn.models.load_model(tmp_path / "m.numpynet")
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), expected)
