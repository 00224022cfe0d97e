"""The engine's public error messages: settings, the random seed, deserialization and the graph.

Each test triggers one mistake through the public API and matches the real message text, so a
reworded or lost message fails here. Where a failed call could leave global state half-changed
(the float type, the random generator), the test also checks that nothing changed.
"""

import re

import numpy as np
import pytest

import numpynet as nn
from numpynet import config, initializers, layers, regularizers, rng


@pytest.fixture(autouse=True)
def _fresh_session():
    nn.utils.clear_session(free_memory=False)


@pytest.fixture
def default_floatx():
    """Puts the float type back even when a test that changes it fails."""
    previous = config.floatx()
    yield
    config.set_floatx(previous)


def tiny_model():
    """``x (3) → h (Dense 2)``, named ``m``: two layers, the InputLayer first (as Keras)."""
    x = nn.Input((3,), name="x")
    return nn.Model(x, layers.Dense(2, name="h")(x), name="m")


# ------------------------------------------------------------ config
def test_keras_defaults_for_epsilon_and_floatx():
    assert config.epsilon() == 1e-7
    assert config.floatx() == "float32"
    assert nn.Tensor([1.0]).dtype == np.float32


def test_unknown_floatx_is_named_with_the_valid_choices_and_changes_nothing(default_floatx):
    message = "Unknown floatx type: 'float8'. Expected one of ['float16', 'float32', 'float64']."
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        config.set_floatx("float8")
    assert config.floatx() == "float32"
    config.set_floatx("float64")
    assert config.floatx() == "float64" and nn.Tensor([1.0]).dtype == np.float64


# ------------------------------------------------------------ random seed
@pytest.mark.parametrize("seed", [-1, 1.5, "3", None])
def test_set_random_seed_rejects_what_is_not_a_non_negative_integer(seed):
    nn.set_random_seed(7)
    expected = rng.generator().random(3)
    nn.set_random_seed(7)
    message = f"set_random_seed expects a non-negative integer seed, got {seed!r}."
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        nn.set_random_seed(seed)
    with pytest.raises(ValueError, match="non-negative integer seed"):
        nn.utils.set_random_seed(seed)  # the Keras spelling is the same function
    # the failed calls did not re-seed: the draws continue from seed 7
    np.testing.assert_array_equal(rng.generator().random(3), expected)


# ------------------------------------------------------------ deserialization
def my_function(shape, dtype=None):
    return np.ones(shape, dtype)


@pytest.mark.parametrize("module,kind", [(initializers, "initializer"),
                                         (regularizers, "regularizer")])
def test_custom_functions_need_custom_objects(module, kind):
    config_ = {"class_name": "function", "config": "my_function"}
    message = (f"Cannot deserialize the custom {kind} function 'my_function': pass it in "
               "custom_objects={'my_function': function}.")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        module.deserialize(config_)
    with pytest.raises(ValueError, match="custom_objects="):
        module.deserialize(config_, custom_objects={"other": my_function})
    assert module.deserialize(config_, custom_objects={"my_function": my_function}) is my_function


@pytest.mark.parametrize("module,article", [(initializers, "an initializer"),
                                            (regularizers, "a regularizer")])
@pytest.mark.parametrize("bad", [42, {"config": {"l2": 0.1}}, ["l2"]])
def test_deserialize_rejects_what_is_neither_a_name_nor_a_config(module, article, bad):
    message = (f"Cannot deserialize {article} from {bad!r}: expected a name or a dict with "
               "'class_name' and 'config' keys.")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        module.deserialize(bad)


# ------------------------------------------------------------ functional graph
@pytest.mark.parametrize("arguments", [{}, {"inputs": "x"}, {"outputs": "h"}])
def test_model_needs_inputs_and_outputs(arguments):
    x = nn.Input((3,), name="x")
    h = layers.Dense(2, name="h")(x)
    tensors = {"x": x, "h": h}
    arguments = {key: tensors[value] for key, value in arguments.items()}
    message = ("Model needs both `inputs` and `outputs` (the functional API), or use "
               "nn.Sequential([...]).")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        nn.Model(**arguments)


@pytest.mark.parametrize("index", [2, 17, -3])
def test_get_layer_index_out_of_range(index):
    model = tiny_model()
    assert model.get_layer(index=-1).name == "h" and model.get_layer(index=-2).name == "x"
    with pytest.raises(ValueError, match=rf"^Model 'm' has 2 layers; index {index} is out of "
                                         r"range\.$"):
        model.get_layer(index=index)


@pytest.mark.parametrize("order", ["symbolic_first", "real_first"])
def test_mixing_symbolic_and_real_inputs(order):
    x, real = nn.Input((3,), name="x"), np.ones((1, 3), "float32")
    inputs = [x, real] if order == "symbolic_first" else [real, x]
    with pytest.raises(TypeError, match=r"^Layer 'merge' received a mix of symbolic and real "
                                        r"inputs: ndarray beside symbolic tensors\.$"):
        layers.Concatenate(name="merge")(inputs)


@pytest.mark.parametrize("empty", [[], ()])
def test_calling_a_layer_on_an_empty_list(empty):
    for layer in (layers.Concatenate(name="merge"), layers.Dense(2, name="dense")):
        with pytest.raises(ValueError, match=rf"^Layer '{layer.name}' was called with an empty "
                                             r"list of inputs\.$"):
            layer(empty)
        assert not layer.built


@pytest.mark.parametrize("attribute", ["input", "output"])
def test_graph_attributes_of_a_layer_never_called_on_an_input(attribute):
    layer = layers.Dense(2, name="unused")
    layer(np.ones((1, 3), "float32"))  # eager calls make no node
    with pytest.raises(AttributeError, match=rf"^Layer 'unused' has never been called on an Input "
                                             rf"and thus has no defined {attribute}\.$"):
        getattr(layer, attribute)
    layer(nn.Input((3,), name="x"))
    assert getattr(layer, attribute).shape == ((None, 3) if attribute == "input" else (None, 2))


# ------------------------------------------------------------ Sequential.build
def test_sequential_build_needs_an_input_shape():
    model = nn.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match=r"^Sequential\.build needs an input shape, e.g\. "
                                         r"\(None, 784\)\.$"):
        model.build()
    model.build((None, 3))
    assert model.outputs[0].shape == (None, 2)
    model.build()  # once built, the shape is known: nothing to do


def test_sequential_build_needs_layers():
    model = nn.Sequential()
    with pytest.raises(ValueError, match=r"^Sequential: add layers before building the model\.$"):
        model.build((None, 3))
    assert model.layers == [] and model.inputs == []
