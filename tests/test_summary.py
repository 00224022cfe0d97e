"""``model.summary()``, ``plot_model`` and the other ``nn.utils`` helpers."""

import numpy as np
import pytest

import numpynet as nn
from numpynet import layers, optimizers
from numpynet.models.summary import readable_memory_size, summary_text


@pytest.fixture(autouse=True)
def _fresh_session():
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)


def _captured(model, **kwargs):
    calls = []
    model.summary(print_fn=calls.append, **kwargs)
    assert len(calls) == 1  # Keras passes the whole table in one call
    return calls[0]


# Printed by keras 3.15.1 for the same model: Sequential([Input((4,)), Dense(3, name="d1"),
# Dense(2, name="d2")], name="seq").summary(line_length=76, print_fn=...)
KERAS_SEQUENTIAL = """\
Model: "seq"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ d1 (Dense)                      │ (None, 3)              │            15 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ d2 (Dense)                      │ (None, 2)              │             8 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 23 (92.00 B)
 Trainable params: 23 (92.00 B)
 Non-trainable params: 0 (0.00 B)
"""


def test_sequential_summary_matches_keras_text():
    model = nn.Sequential([nn.Input((4,)), layers.Dense(3, name="d1"), layers.Dense(2, name="d2")],
                          name="seq")
    assert _captured(model, line_length=76) == KERAS_SEQUENTIAL


# keras 3.15.1: a functional chain (with a nested model) shows its InputLayer and no
# "Connected to" column; a plain Model(inputs, outputs) is listed as "Functional".
KERAS_FUNCTIONAL_CHAIN = """\
Model: "chain"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ x (InputLayer)                  │ (None, 4)              │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ inner (Functional)              │ (None, 3)              │            15 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ head (Dense)                    │ (None, 2)              │             8 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 23 (92.00 B)
 Trainable params: 23 (92.00 B)
 Non-trainable params: 0 (0.00 B)
"""


def test_functional_chain_summary_matches_keras_text():
    x = nn.Input((4,), name="x")
    inner_in = nn.Input((4,))
    inner = nn.Model(inner_in, layers.Dense(3, name="inner_dense")(inner_in), name="inner")
    model = nn.Model(x, layers.Dense(2, name="head")(inner(x)), name="chain")
    assert _captured(model, line_length=76) == KERAS_FUNCTIONAL_CHAIN


def multimodal():
    image, extra = nn.Input((16,), name="image"), nn.Input((3,), name="extra")
    code = layers.Dense(8, activation="relu", name="encoder")(image)
    merged = layers.Concatenate(name="merge")([code, extra])
    out = layers.Dense(2, activation="softmax", name="out")(merged)
    return nn.Model([image, extra], out, name="multimodal")


def _row(text, name):
    return next(line for line in text.splitlines() if line.startswith(f"│ {name} "))


def test_functional_summary_has_connections_shapes_and_totals():
    model = multimodal()
    text = _captured(model, line_length=108)
    assert text.startswith('Model: "multimodal"\n')
    assert "┃ Connected to" in text.splitlines()[2]
    encoder = _row(text, "encoder")
    # 16*8 + 8 = 136 parameters
    assert "encoder (Dense)" in encoder and "(None, 8)" in encoder and " 136 │" in encoder
    assert "image[0][0]" in encoder
    merge = _row(text, "merge")
    assert "(None, 11)" in merge and " 0 │" in merge
    assert "encoder[0][0], extra[0][0]" in merge
    assert "│ -" in _row(text, "image") and "InputLayer" in _row(text, "extra")
    out = _row(text, "out")
    assert "(None, 2)" in out and " 24 │" in out  # 11*2 + 2
    # 136 + 24 = 160 float32 parameters = 640 bytes
    assert " Total params: 160 (640.00 B)" in text
    assert " Trainable params: 160 (640.00 B)" in text
    assert " Non-trainable params: 0 (0.00 B)" in text
    assert all(len(line) == 108 for line in text.splitlines()[1:-4])


def test_summary_counts_frozen_weights_and_optimizer_state():
    model = multimodal()
    model.get_layer("encoder").trainable = False
    model.compile(optimizers.Adam(), "categorical_crossentropy")
    x = [np.ones((4, 16), "float32"), np.ones((4, 3), "float32")]
    model.fit(x, np.eye(2, dtype="float32")[[0, 1, 0, 1]], verbose=0)
    text = _captured(model, line_length=108)
    assert " Trainable params: 24 (96.00 B)" in text
    assert " Non-trainable params: 136 (544.00 B)" in text
    # Adam: two moments per trainable weight + iterations (int64) + learning rate (float32)
    assert " Optimizer params: 50 (204.00 B)" in text
    assert " Total params: 210 (844.00 B)" in text


# keras 3.15.1: the same model with line_length=40 (cells wrap; long words end in "…")
KERAS_NARROW = """\
Model: "tiny"
┏━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┓
┃                 ┃ Output     ┃ Param ┃
┃ Layer (type)    ┃ Shape      ┃     # ┃
┡━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━┩
│ a_layer_with_a… │ (None, 2)  │     8 │
│ (Dense)         │            │       │
└─────────────────┴────────────┴───────┘
 Total params: 8 (32.00 B)
 Trainable params: 8 (32.00 B)
 Non-trainable params: 0 (0.00 B)
"""


def test_summary_of_chain_wraps_and_prints(capsys):
    model = nn.Sequential([layers.Dense(2, input_shape=(3,), name="a_layer_with_a_long_name")],
                          name="tiny")
    assert summary_text(model, line_length=40) == KERAS_NARROW
    model.summary(line_length=60)
    printed = capsys.readouterr().out
    assert printed.startswith('Model: "tiny"') and " Total params: 8 (32.00 B)" in printed
    with pytest.raises(ValueError, match="Insufficient console width"):
        model.summary(line_length=8)


def test_readable_memory_size():
    assert readable_memory_size(92) == "92.00 B"
    assert readable_memory_size(3 * 1024 + 512) == "3.50 KB"
    assert readable_memory_size(5 * 1024 ** 2) == "5.00 MB"


# ------------------------------------------------------------------------------ plot_model
def test_plot_model_writes_a_png(tmp_path):
    path = nn.utils.plot_model(multimodal(), to_file=str(tmp_path / "graph.png"),
                               show_shapes=True)
    data = (tmp_path / "graph.png").read_bytes()
    assert path == str(tmp_path / "graph.png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000
    chain = nn.Sequential([layers.Dense(3, input_shape=(2,)), layers.Dense(1)])
    nn.utils.plot_model(chain, to_file=tmp_path / "chain.png", rankdir="LR", dpi=50)
    assert (tmp_path / "chain.png").read_bytes()[:4] == b"\x89PNG"


def test_plot_model_errors(tmp_path):
    with pytest.raises(ValueError, match="rankdir must be 'TB' or 'LR', got 'XY'"):
        nn.utils.plot_model(multimodal(), to_file=tmp_path / "g.png", rankdir="XY")
    unbuilt = nn.Sequential([layers.Dense(3)], name="later")
    with pytest.raises(ValueError, match="model 'later' is not built"):
        nn.utils.plot_model(unbuilt, to_file=tmp_path / "g.png")
    assert not (tmp_path / "g.png").exists()


# ------------------------------------------------------------------------------ other utils
def test_to_categorical():
    np.testing.assert_array_equal(nn.utils.to_categorical([0, 2, 1]),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert nn.utils.to_categorical(np.array([[1], [3]]), num_classes=5).shape == (2, 5)
    assert nn.utils.to_categorical([1], 2).dtype == np.float32
    with pytest.raises(ValueError, match=r"label 4 at index 1 is outside \[0, 2\]"):
        nn.utils.to_categorical([0, 4], num_classes=3)
    with pytest.raises(ValueError, match="integer class labels"):
        nn.utils.to_categorical([0.5, 1.0])


def test_clear_session_restarts_layer_names():
    first = layers.Dense(2)
    layers.Dense(2)
    nn.utils.clear_session()
    again = layers.Dense(2)
    assert first.name == again.name == "dense"
    nn.set_random_seed(3)
    a = layers.Dense(4).add_weight("w", (3, 4))
    nn.utils.set_random_seed(3)
    b = layers.Dense(4).add_weight("w", (3, 4))
    np.testing.assert_array_equal(a.data, b.data)
