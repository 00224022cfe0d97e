"""``TensorBoard(write_graph=True)``: the layer graph, read back with TensorBoard's reader."""

import os
import sys
import types

import numpy as np
import pytest

import numpynet as nn
from numpynet.callbacks import TensorBoard
from numpynet.callbacks import tensorboard as tb_module

DT_FLOAT = 1  # tensorflow/core/framework/types.proto


def event_accumulator(run_dir):
    """TensorBoard's reader, kept from importing TensorFlow (see tests/test_tensorboard.py)."""
    name = "tensorboard.compat.notf"
    sys.modules.setdefault(name, types.ModuleType(name))
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    accumulator = EventAccumulator(os.fspath(run_dir), size_guidance={"tensors": 0})
    accumulator.Reload()
    return accumulator


@pytest.fixture(autouse=True)
def _fresh_session():
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)


def written_graph(log_dir, model, **tb_kwargs):
    """Attaches a TensorBoard callback as ``fit`` does and returns the train run's graph as
    ``{name: NodeDef}`` (in the file's order), or None without one."""
    callback = TensorBoard(log_dir, **tb_kwargs)
    callback.set_model(model)
    callback.on_train_end()
    accumulator = event_accumulator(os.path.join(log_dir, "train"))
    if not accumulator.Tags()["graph"]:
        return None
    nodes = accumulator.Graph().node
    assert len({node.name for node in nodes}) == len(nodes), "node names must be unique"
    return {node.name: node for node in nodes}


def shapes(node):
    return [[dim.size for dim in shape.dim] for shape in node.attr["_output_shapes"].list.shape]


def multimodal():
    """The course's multimodal model: an image branch concatenated with a small vector."""
    image, extra = nn.Input((8,), name="image"), nn.Input((3,), name="extra")
    code = nn.layers.Dense(5, activation="relu", name="branch")(image)
    merged = nn.layers.Concatenate(name="merge")([code, extra])
    output = nn.layers.Dense(1, activation="sigmoid", name="out")(merged)
    return nn.Model([image, extra], output, name="multimodal")


def test_two_input_model_gives_one_node_per_layer_call_with_edges_and_shapes(tmp_path):
    model = multimodal()
    model.compile("adam", "binary_crossentropy")
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(8, 8)).astype("float32"), rng.normal(size=(8, 3)).astype("float32")]
    model.fit(x, np.ones((8, 1), "float32"), epochs=1, verbose=0,
              callbacks=[TensorBoard(tmp_path)])
    train = event_accumulator(tmp_path / "train")
    assert train.Tags()["graph"] and not (tmp_path / "validation").exists()
    nodes = {node.name: node for node in train.Graph().node}
    layers = {name: (node.op, list(node.input), shapes(node)) for name, node in nodes.items()
              if node.op != "VarHandleOp"}
    assert layers == {
        "multimodal/image": ("Placeholder", [], [[-1, 8]]),
        "multimodal/extra": ("Placeholder", [], [[-1, 3]]),
        "multimodal/branch": ("Dense", ["multimodal/image", "multimodal/branch/kernel",
                                        "multimodal/branch/bias"], [[-1, 5]]),
        "multimodal/merge": ("Concatenate", ["multimodal/branch", "multimodal/extra"],
                             [[-1, 8]]),
        "multimodal/out": ("Dense", ["multimodal/merge", "multimodal/out/kernel",
                                     "multimodal/out/bias"], [[-1, 1]]),
    }
    assert all(node.attr["dtype"].type == DT_FLOAT for node in nodes.values())
    assert [dim.size for dim in nodes["multimodal/image"].attr["shape"].shape.dim] == [-1, 8]
    branch = nodes["multimodal/branch"].attr
    assert (branch["units"].i, branch["activation"].s, branch["use_bias"].b) == (5, b"relu", True)
    assert branch["kernel_initializer"].s == b"GlorotUniform"
    assert nodes["multimodal/merge"].attr["axis"].i == -1
    for weight in model.weights:
        node = nodes[f"multimodal/{weight.path}"]
        assert node.op == "VarHandleOp" and shapes(node) == [list(weight.shape)]
        assert [dim.size for dim in node.attr["shape"].shape.dim] == list(weight.shape)
        assert node.attr["trainable"].b


def test_a_shared_layer_gives_a_node_per_call_reading_one_set_of_weights(tmp_path):
    left, right = nn.Input((4,), name="left"), nn.Input((4,), name="right")
    branch = nn.layers.Dense(3, name="branch")
    other = nn.layers.Dense(3, name="branch_1")  # takes the name TensorFlow would give call 2
    difference = nn.layers.Subtract(name="diff")([branch(left), other(branch(right))])
    model = nn.Model([left, right], nn.layers.Dense(1, name="same")(difference), name="siamese")
    nodes = written_graph(tmp_path, model)
    calls = {name: list(node.input) for name, node in nodes.items() if node.op == "Dense"}
    weights = ["siamese/branch/kernel", "siamese/branch/bias"]
    assert calls == {
        "siamese/branch": ["siamese/left"] + weights,
        "siamese/branch_2": ["siamese/right"] + weights,  # the second call of `branch`
        "siamese/branch_1": ["siamese/branch_2", "siamese/branch_1/kernel",
                             "siamese/branch_1/bias"],
        "siamese/same": ["siamese/diff", "siamese/same/kernel", "siamese/same/bias"],
    }
    assert list(nodes["siamese/diff"].input) == ["siamese/branch", "siamese/branch_1"]
    assert sum(node.op == "VarHandleOp" for node in nodes.values()) == 6  # 3 Dense layers


def test_a_shared_sub_model_is_a_scope_per_call(tmp_path):
    encoder = nn.Sequential([nn.Input((4,)), nn.layers.Dense(3, name="emb")], name="encoder")
    left, right = nn.Input((4,), name="left"), nn.Input((4,), name="right")
    merged = nn.layers.Concatenate(name="pair")([encoder(left), encoder(right)])
    model = nn.Model([left, right], nn.layers.Dense(1, name="same")(merged), name="siamese")
    nodes = written_graph(tmp_path, model)
    input_name = encoder.input_names[0]
    weights = ["siamese/encoder/emb/kernel", "siamese/encoder/emb/bias"]
    for scope, source in (("siamese/encoder", "siamese/left"),
                          ("siamese/encoder_1", "siamese/right")):
        identity = nodes[f"{scope}/{input_name}"]
        assert (identity.op, list(identity.input), shapes(identity)) == \
            ("Identity", [source], [[-1, 4]])
        assert list(nodes[f"{scope}/emb"].input) == [identity.name] + weights
    assert list(nodes["siamese/pair"].input) == ["siamese/encoder/emb", "siamese/encoder_1/emb"]
    assert shapes(nodes["siamese/pair"]) == [[-1, 6]]
    assert "siamese/encoder_1/emb/kernel" not in nodes


def test_a_sequential_built_by_fit_gets_its_graph_after_the_first_batch(tmp_path):
    model = nn.Sequential([nn.layers.Dense(2, name="hidden"), nn.layers.Dense(1, name="out")],
                          name="seq")
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), epochs=1, verbose=0,
              callbacks=[TensorBoard(tmp_path)])
    nodes = event_accumulator(tmp_path / "train").Graph().node
    calls = [(node.name, node.op, list(node.input)[:1]) for node in nodes
             if node.op != "VarHandleOp"]
    input_name = model.input_names[0]
    assert calls == [(f"seq/{input_name}", "Placeholder", []),
                     ("seq/hidden", "Dense", [f"seq/{input_name}"]),
                     ("seq/out", "Dense", ["seq/hidden"])]


def test_write_graph_false_writes_no_graph_and_no_text(tmp_path):
    model = multimodal()
    model.compile("sgd", "mse")
    callback = TensorBoard(tmp_path, write_graph=False)
    x = [np.ones((4, 8), "float32"), np.ones((4, 3), "float32")]
    model.fit(x, np.ones((4, 1), "float32"), epochs=1, verbose=0, callbacks=[callback])
    train = event_accumulator(tmp_path / "train")
    assert not train.Tags()["graph"] and not train.Tags()["tensors"]
    assert train.Tags()["scalars"]


def test_a_graph_that_cannot_be_built_warns_and_the_text_is_still_written(tmp_path,
                                                                           monkeypatch):
    def broken(model):
        raise TypeError("no layer graph")

    monkeypatch.setattr(tb_module, "model_graph_def", broken)
    with pytest.warns(UserWarning, match="could not describe model 'multimodal' .*no graph is"):
        assert written_graph(tmp_path, multimodal()) is None
    assert event_accumulator(tmp_path / "train").Tensors("model/text_summary")


def test_a_sub_model_with_two_outputs_feeds_each_consumer_from_the_right_layer(tmp_path):
    inner_input = nn.Input((3,), name="i")
    inner = nn.Model(inner_input, [nn.layers.Dense(2, name="a")(inner_input),
                                   nn.layers.Dense(4, name="b")(inner_input)], name="two")
    x = nn.Input((3,), name="x")
    a, b = inner(x)
    model = nn.Model(x, nn.layers.Concatenate(name="cat")([b, a]), name="outer")
    nodes = written_graph(tmp_path, model)
    assert list(nodes["outer/cat"].input) == ["outer/two/b", "outer/two/a"]
    assert shapes(nodes["outer/cat"]) == [[-1, 6]]


class TwoDense(nn.layers.Layer):
    """A custom layer made of two Dense sublayers: its weights are named alike."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first, self.second = nn.layers.Dense(2), nn.layers.Dense(2)

    def call(self, x, training=None):
        return self.second(self.first(x))

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (2,)


def test_sublayer_weights_keep_their_scope_and_every_name_is_unique(tmp_path):
    x = nn.Input((3,), name="x")
    model = nn.Model(x, TwoDense(name="pair")(x), name="m")
    model.predict(np.ones((1, 3), "float32"), verbose=0)  # builds the sublayers' weights
    nodes = written_graph(tmp_path, model)
    weights = [f"m/pair/{weight.path}" for weight in model.weights]  # dense/kernel...
    assert len(set(weights)) == 4 and list(nodes["m/pair"].input) == ["m/x"] + weights
    assert nodes["m/pair"].op == "TwoDense" and len(nodes) == 6
