"""custom_objects reach every name a saved model holds: a user's penalty, constraint,
initializer or activation function inside a layer, as Keras' CustomObjectScope does."""

import numpy as np
import pytest

import numpynet as nn
from numpynet import ops
from numpynet.saving import SavingError


def small_penalty(x):
    return 0.01 * ops.sum(ops.abs(x))


def clip_to_one(w):
    return np.clip(w, -1.0, 1.0)


def halves(shape, dtype=None):
    return np.full(shape, 0.5, dtype=dtype or "float32")


def doubled(x):
    return x * 2.0


def model_with_functions():
    model = nn.Sequential([
        nn.Input((3,)),
        nn.layers.Dense(4, activation=doubled, kernel_initializer=halves,
                        kernel_regularizer=small_penalty, kernel_constraint=clip_to_one,
                        name="custom"),
        nn.layers.Dense(1, name="out"),
    ])
    model.compile("sgd", "mse")
    return model


CUSTOM = {"small_penalty": small_penalty, "clip_to_one": clip_to_one, "halves": halves,
          "doubled": doubled}


def test_load_model_passes_custom_objects_to_every_function_in_a_layer(tmp_path):
    model = model_with_functions()
    x = np.ones((2, 3), "float32")
    model.save(tmp_path / "m.numpynet")
    loaded = nn.models.load_model(tmp_path / "m.numpynet", custom_objects=CUSTOM)
    layer = loaded.get_layer("custom")
    assert layer.kernel_regularizer is small_penalty and layer.kernel.constraint is clip_to_one
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    np.testing.assert_allclose(float(sum(loaded.losses).data), float(sum(model.losses).data))


def test_without_custom_objects_the_missing_function_is_named(tmp_path):
    model_with_functions().save(tmp_path / "m.numpynet")
    with pytest.raises(SavingError, match=r"Cannot rebuild the model saved in .*m.numpynet.*"
                                          r"'(small_penalty|clip_to_one|halves|doubled)'"):
        nn.models.load_model(tmp_path / "m.numpynet")


def test_a_scope_resolves_names_and_ends_with_its_block():
    with nn.utils.custom_object_scope({"small_penalty": small_penalty}):
        assert nn.regularizers.get({"class_name": "function",
                                    "config": "small_penalty"}) is small_penalty
    with pytest.raises(ValueError, match="Cannot deserialize the custom regularizer function "
                                         "'small_penalty'"):
        nn.regularizers.get({"class_name": "function", "config": "small_penalty"})
