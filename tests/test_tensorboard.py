"""The TensorBoard callback (event files read back with TensorBoard's reader) and ``serve``."""

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import types
import urllib.request

import numpy as np
import pytest

import numpynet as nn
from numpynet.callbacks import Callback, TensorBoard, tensorboard_server
from numpynet.callbacks import tensorboard as tb_module

EPOCHS, BATCH = 3, 16  # 48 training samples -> 3 batches per epoch


def event_accumulator(run_dir):
    """Loads every event of a run with tensorboard's EventAccumulator.

    TensorBoard's reader imports TensorFlow when it is installed unless the module of its
    TensorFlow-free build exists; registering that module makes it use its bundled stub, so
    this test process never imports TensorFlow.
    """
    name = "tensorboard.compat.notf"
    sys.modules.setdefault(name, types.ModuleType(name))
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    guidance = {"scalars": 0, "histograms": 0, "tensors": 0, "images": 0}
    accumulator = EventAccumulator(os.fspath(run_dir), size_guidance=guidance)
    accumulator.Reload()
    return accumulator


def scalars(accumulator, tag):
    return [(e.step, e.value) for e in accumulator.Scalars(tag)]


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5)


def classifier(with_input=True):
    nn.set_random_seed(0)
    layers = [nn.layers.Dense(6, activation="relu", name="hidden"),
              nn.layers.Dense(3, activation="softmax", name="output")]
    model = nn.Sequential(([nn.Input((4,))] if with_input else []) + layers, name="classifier")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Recorder(Callback):
    """Records, per epoch, every batch's gradients (``model._last_gradients``), batch logs
    and the weights at epoch end."""

    def __init__(self):
        super().__init__()
        self.gradients, self.batch_logs, self.weights = [], [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.gradients.append([])

    def on_train_batch_end(self, batch, logs=None):
        self.gradients[-1].append(dict(self.model._last_gradients))
        self.batch_logs.append(dict(logs))

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append({w.path: w.data.copy() for w in self.model.weights})


def fit(log_dir, epochs=EPOCHS, model=None, **tb_kwargs):
    model = model or classifier()
    recorder = Recorder()
    x, y = data()
    history = model.fit(x, y, batch_size=BATCH, epochs=epochs, validation_split=0.25,
                        shuffle=False, verbose=0,
                        callbacks=[TensorBoard(log_dir, **tb_kwargs), recorder])
    return model, history.history, recorder


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("tb") / "logs"
    model, history, recorder = fit(log_dir, histogram_freq=1, write_grads=True)
    return {"log_dir": log_dir, "model": model, "history": history, "recorder": recorder,
            "train": event_accumulator(log_dir / "train"),
            "validation": event_accumulator(log_dir / "validation")}


def check_histogram(event, values):
    h = event.histogram_value
    assert h.num == values.size
    np.testing.assert_allclose([h.min, h.max], [values.min(), values.max()], rtol=1e-6)
    np.testing.assert_allclose(h.sum, values.sum(dtype=np.float64), rtol=1e-4, atol=1e-6)
    assert sum(h.bucket) == values.size


# ---------------------------------------------------------------- epoch summaries
def test_epoch_scalars_equal_history_in_both_runs(run):
    history, steps = run["history"], list(range(EPOCHS))
    for run_name, prefix in (("train", ""), ("validation", "val_")):
        for name in ("loss", "accuracy"):
            written = scalars(run[run_name], f"epoch_{name}")
            assert [s for s, _ in written] == steps, (run_name, name)
            np.testing.assert_allclose([v for _, v in written], history[prefix + name],
                                       rtol=1e-6, err_msg=f"{run_name} epoch_{name}")
    lr = scalars(run["train"], "epoch_learning_rate")
    assert [s for s, _ in lr] == steps
    np.testing.assert_allclose([v for _, v in lr], 1e-3, rtol=1e-6)
    assert "epoch_learning_rate" not in run["validation"].Tags()["scalars"]
    assert not [t for t in run["train"].Tags()["scalars"] if t.startswith("batch_")]


def test_validation_run_gets_evaluation_vs_iterations(run):
    written = scalars(run["validation"], "evaluation_loss_vs_iterations")
    assert [s for s, _ in written] == [3, 6, 9]  # optimizer.iterations after each epoch
    np.testing.assert_allclose([v for _, v in written], run["history"]["val_loss"], rtol=1e-6)


def test_weight_histograms_for_every_weight_and_epoch(run):
    recorder = run["recorder"]
    for weight in run["model"].weights:
        events = run["train"].Histograms(f"{weight.path}/histogram")
        assert [e.step for e in events] == list(range(EPOCHS)), weight.path
        for epoch, event in enumerate(events):
            check_histogram(event, recorder.weights[epoch][weight.path])


def test_gradient_histograms_hold_each_epochs_last_batch(run):
    recorder = run["recorder"]
    for weight in run["model"].trainable_weights:
        events = run["train"].Histograms(f"{weight.path}/gradient_histogram")
        assert [e.step for e in events] == list(range(EPOCHS)), weight.path
        for epoch, event in enumerate(events):
            check_histogram(event, recorder.gradients[epoch][-1][weight.path])


def test_grad_norm_is_the_epoch_mean_of_each_layers_gradient_norm(run):
    recorder = run["recorder"]
    for layer in run["model"].layers:
        paths = [w.path for w in layer.trainable_weights]
        expected = [np.mean([np.sqrt(sum(np.sum(np.square(batch[p], dtype=np.float64))
                                         for p in paths)) for batch in epoch_gradients])
                    for epoch_gradients in recorder.gradients]
        written = scalars(run["train"], f"grad_norm/{layer.name}")
        assert [s for s, _ in written] == list(range(EPOCHS)), layer.name
        np.testing.assert_allclose([v for _, v in written], expected, rtol=1e-6)


def test_model_summary_and_config_are_written_as_text(run):
    (event,) = run["train"].Tensors("model/text_summary")
    text = event.tensor_proto.string_val[0].decode()
    assert event.step == 0
    assert 'Model: "classifier"' in text and "output (Dense)" in text
    config = json.loads(text.split("```json\n")[1].split("```")[0])
    assert config["class_name"] == "Sequential"
    assert [layer["config"]["name"] for layer in config["config"]["layers"][1:]] == \
        [layer.name for layer in run["model"].layers]


def test_summary_of_a_model_built_by_fit_is_written_after_the_first_batch(tmp_path):
    fit(tmp_path, epochs=1, model=classifier(with_input=False))
    (event,) = event_accumulator(tmp_path / "train").Tensors("model/text_summary")
    assert "output (Dense)" in event.tensor_proto.string_val[0].decode()



def test_a_model_that_cannot_be_described_warns_and_trains(tmp_path, monkeypatch):
    model = classifier()

    def broken_config():
        raise TypeError("custom layer without get_config")

    monkeypatch.setattr(model, "get_config", broken_config)
    with pytest.warns(UserWarning, match="could not describe model 'classifier' .*custom layer"):
        fit(tmp_path, epochs=1, model=model)
    train = event_accumulator(tmp_path / "train")
    assert not train.Tags()["tensors"] and len(scalars(train, "epoch_loss")) == 1
    assert train.Tags()["graph"]  # the graph needs the layers' configs, not the model's


# ---------------------------------------------------------------- options
def test_batch_scalars_every_batch_at_the_global_step(tmp_path):
    _, history, recorder = fit(tmp_path, update_freq="batch", write_steps_per_second=True)
    train = event_accumulator(tmp_path / "train")
    written = scalars(train, "batch_loss")
    assert [s for s, _ in written] == list(range(1, 3 * EPOCHS + 1))
    np.testing.assert_allclose([v for _, v in written],
                               [logs["loss"] for logs in recorder.batch_logs], rtol=1e-6)
    assert [s for s, _ in scalars(train, "batch_steps_per_second")] == [s for s, _ in written]
    per_second = scalars(train, "epoch_steps_per_second")
    assert len(per_second) == EPOCHS and all(v > 0 for _, v in per_second)
    np.testing.assert_allclose([v for _, v in scalars(train, "epoch_loss")], history["loss"],
                               rtol=1e-6)


def test_integer_update_freq_still_writes_every_epoch(tmp_path):
    # Keras drops the epoch scalars of epochs ending on a batch count not divisible by N.
    fit(tmp_path, epochs=2, update_freq=2)
    train = event_accumulator(tmp_path / "train")
    assert [s for s, _ in scalars(train, "batch_loss")] == [2, 4, 6]
    assert [s for s, _ in scalars(train, "epoch_loss")] == [0, 1]
    validation = event_accumulator(tmp_path / "validation")
    assert [s for s, _ in scalars(validation, "evaluation_loss_vs_iterations")] == [3, 6]


def test_histogram_freq_images_and_switches(tmp_path):
    fit(tmp_path, histogram_freq=2, write_images=True, write_graph=False, write_lr=False)
    train = event_accumulator(tmp_path / "train")
    tags = train.Tags()
    assert [e.step for e in train.Histograms("hidden/kernel/histogram")] == [0, 2]
    assert "epoch_learning_rate" not in tags["scalars"] and not tags["tensors"]
    assert not [t for t in tags["histograms"] if "gradient" in t]
    assert not [t for t in tags["scalars"] if t.startswith("grad_norm")]
    kernel, bias = train.Images("hidden/kernel/image"), train.Images("hidden/bias/image")
    assert [e.step for e in kernel] == [0, 2]
    assert (kernel[0].height, kernel[0].width) == (4, 6)  # (4, 6) kernel: wider than tall
    assert (bias[0].height, bias[0].width) == (6, 1)  # a bias is one column
    output = train.Images("output/kernel/image")[0]
    assert (output.height, output.width) == (3, 6)  # the (6, 3) kernel is transposed


def test_weight_image_follows_keras_rules():
    kernel = np.array([[-1.0, 0.0, 0.5, 2.0], [0.1, 0.2, 0.3, 0.999]], dtype="float32")
    image = tb_module._weight_image(kernel)
    assert image.dtype == np.uint8 and image.shape == (1, 2, 4, 1)
    # * 255.5, then saturated to [0, 255]: the values tf.image.convert_image_dtype gives
    assert image.ravel().tolist() == [0, 0, 127, 255, 25, 51, 76, 255]
    assert tb_module._weight_image(kernel.T).shape == (1, 2, 4, 1)  # drawn wider than tall
    assert tb_module._weight_image(np.zeros(5, dtype="float32")).shape == (1, 5, 1, 1)
    conv1d = tb_module._weight_image(np.zeros((2, 3, 5), dtype="float32"))
    assert conv1d.shape == (3, 2, 3, 1)  # one image per output channel, at most 3
    assert tb_module._weight_image(np.zeros((3, 3, 2, 8), dtype="float32")) is None


def test_non_finite_values_are_left_out_of_histograms_with_a_warning():
    class Writer:
        def add_histogram(self, tag, values, step, bins):
            self.values = values

    writer = Writer()
    with pytest.warns(UserWarning, match="'w/histogram' has 2 non-finite values at epoch 4"):
        tb_module._add_histogram(writer, "w/histogram", np.array([1.0, np.nan, np.inf, 2.0]),
                                 4)
    assert writer.values.tolist() == [1.0, 2.0]


def test_second_fit_in_the_same_second_keeps_the_first_event_file(tmp_path):
    model = classifier()
    x, y = data()
    callback = TensorBoard(tmp_path)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callback])
    model.fit(x, y, epochs=4, initial_epoch=2, verbose=0, callbacks=[callback])
    assert len(os.listdir(tmp_path / "train")) == 2
    train = event_accumulator(tmp_path / "train")
    assert [s for s, _ in scalars(train, "epoch_loss")] == [0, 1, 2, 3]


def test_evaluate_writes_evaluation_scalars_at_the_optimizer_iterations(tmp_path):
    model = classifier()
    x, y = data()
    model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
    loss, _ = model.evaluate(x, y, verbose=0, callbacks=[TensorBoard(tmp_path)])
    written = scalars(event_accumulator(tmp_path / "validation"),
                      "evaluation_loss_vs_iterations")
    assert written == [(4, pytest.approx(loss, rel=1e-6))]


def test_training_with_tensorboard_never_imports_tensorflow_or_torch(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        import numpy as np
        import numpynet as nn
        model = nn.Sequential([nn.Input((2,)), nn.layers.Dense(1)])
        model.compile("sgd", "mse")
        tb = nn.callbacks.TensorBoard({os.fspath(tmp_path)!r}, histogram_freq=1,
                                      write_grads=True, write_images=True)
        model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0, callbacks=[tb])
        print(sorted(m for m in ("tensorflow", "torch", "keras") if m in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert event_accumulator(tmp_path / "train").Tags()["graph"]  # write_graph=True by default


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs, match", [
    ({"histogram_freq": -1}, "histogram_freq must be an integer >= 0.*got -1"),
    ({"histogram_freq": "1"}, "histogram_freq must be an integer >= 0.*got '1'"),
    ({"update_freq": "sometimes"}, "update_freq must be 'batch', 'epoch' or a positive"),
    ({"update_freq": 0}, "update_freq must be .* a positive integer .*got 0"),
    ({"profile_batch": 5}, r"profiling is not available.*profile_batch=5 \(must be 0\)"),
    ({"embeddings_freq": 1}, r"no Embedding layer.*embeddings_freq=1 \(must be 0\)"),
])
def test_wrong_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TensorBoard("logs", **kwargs)


def test_write_grads_without_histograms_warns():
    with pytest.warns(UserWarning, match="write_grads=True writes nothing with histogram_fre"):
        TensorBoard("logs", write_grads=True)


def test_missing_tensorboardx_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"TensorBoard needs the `tensorboardX` package.*"
                                          r"pip install tensorboardX"):
        TensorBoard("logs")


# ---------------------------------------------------------------- serve
def get_json(url):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as response:
        return json.load(response)


def listening_addresses(port):
    """Local addresses with a TCP socket listening on ``port`` (Linux /proc/net)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, local_port = local.split(":")
                if int(local_port, 16) == port and state == "0A":  # 0A = LISTEN
                    found.append((table, address))
    return found


@pytest.mark.slow
def test_serve_answers_with_the_logged_values_and_stops_by_pid(run):
    history = run["history"]
    with tb_module.serve(run["log_dir"]) as server:
        assert server.url.startswith("http://127.0.0.1:") and server.running
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        # 0100007F is 127.0.0.1 in /proc/net/tcp's byte order: nothing listens elsewhere
        assert listening_addresses(port) == [("/proc/net/tcp", "0100007F")]
        deadline = time.monotonic() + 30
        while sorted(get_json(server.url + "data/runs")) != ["train", "validation"]:
            assert time.monotonic() < deadline, "TensorBoard never listed both runs"
            time.sleep(0.2)
        for run_name, key in (("train", "loss"), ("validation", "val_loss")):
            served = get_json(f"{server.url}data/plugin/scalars/scalars?run={run_name}"
                              "&tag=epoch_loss")
            assert [step for _, step, _ in served] == list(range(EPOCHS))
            np.testing.assert_allclose([v for _, _, v in served], history[key], rtol=1e-6)
        tags = get_json(server.url + "data/plugin/histograms/tags")["train"]
        assert "hidden/kernel/histogram" in tags and "hidden/kernel/gradient_histogram" in tags
        assert get_json(server.url + "data/plugin/graphs/info")["train"]["run_graph"]
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(server.url + "data/plugin/graphs/graph?run=train", timeout=5) as answer:
            graph = answer.read().decode()  # the GraphDef as protobuf text, for the Graphs tab
        assert 'name: "classifier/hidden"\n  op: "Dense"\n  input: "classifier/' in graph
        pid = server.pid
    assert not server.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not tensorboard_server._RUNNING


@pytest.mark.slow
def test_serve_reports_a_taken_port_and_a_timeout(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=rf"(?s)exited with code .* could not bind to port "
                                               rf"{port}"):
            tb_module.serve(tmp_path, port=port)
    with pytest.raises(TimeoutError, match=r"did not answer at http://127.0.0.1:\d+/ within "
                                           r"0.0 s and was stopped"):
        tb_module.serve(tmp_path, timeout=0.0)
    assert not tensorboard_server._RUNNING


@pytest.mark.parametrize("kwargs, error, match", [
    ({"host": "0.0.0.0"}, ValueError, "host must be a loopback IPv4 address.*got '0.0.0.0'"),
    ({"host": "example.org"}, ValueError, "host must be a loopback"),
    ({"port": 70000}, ValueError, r"port must be an integer in 0..65535.*got 70000"),
    ({"log_dir": "no/such/dir"}, FileNotFoundError, "log_dir .*no/such/dir' is not a dir"),
])
def test_serve_refuses_wrong_arguments(tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        tb_module.serve(**{"log_dir": tmp_path, **kwargs})


def test_serve_names_a_missing_tensorboard(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(ImportError, match=r"serve\(\) needs the `tensorboard` package"):
        tb_module.serve(tmp_path)
