"""ProgbarLogger: what fit, evaluate and predict print, compared with what Keras 3.15 prints.

Keras' text comes from keras/src/callbacks/progbar_logger.py and keras/src/utils/progbar.py.
For example, Keras 3.15 (TensorFlow backend) prints for ``fit(..., epochs=2, verbose=2)``::

    Epoch 1/2
    3/3 - 1s - 213ms/step - loss: 0.3195 - mae: 0.4367 - val_loss: 0.2886 - val_mae: 0.4141
    Epoch 2/2
    3/3 - 0s - 100ms/step - loss: 0.2839 - mae: 0.4076 - val_loss: 0.2627 - val_mae: 0.3934

and ``3/3 - 0s - 22ms/step - loss: 0.2338 - mae: 0.3702`` for ``evaluate``, ``3/3 - 0s -
36ms/step`` for ``predict``; with ``verbose=1`` the same ``Epoch`` lines, then a bar whose
final state reads ``3/3 ━━━━━━━━━━━━━━━━━━━━ 0s 6ms/step - loss: 1.9913 - mae: 1.1275``.
"""

import re

import numpy as np
import pytest

import numpynet as nn
from numpynet.callbacks import LearningRateScheduler, ProgbarLogger
from numpynet.callbacks.progbar import format_eta, format_time_per_unit, format_value

TIME = r"(?:\d+s|\d+:\d\d(?::\d\d)?)"  # elapsed or ETA: 3s, 1:15 or 1:02:05
PER_STEP = r"\d+(?:s|ms|us)/step"
PARTIAL_BAR = "[\u2588\u2589\u258a\u258b\u258c\u258d\u258e\u258f ]+"  # tqdm's blocks


def model_and_data(n=20):
    nn.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
    model = nn.Sequential([nn.Input((3,)), nn.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    return model, x, y


def metrics_text(logs, keys):
    return "".join(f" - {key}: {logs[key]:.4f}" for key in keys)


def final_states(out):
    """What a terminal shows: per line, the text after the last carriage return."""
    return [line.rsplit("\r", 1)[-1].rstrip() for line in out.split("\n") if line.strip()]


# ---------------------------------------------------------------- verbose=2: Keras' lines
def test_fit_verbose_2_prints_keras_epoch_header_and_one_line_per_epoch(capsys):
    model, x, y = model_and_data()
    history = model.fit(x, y, batch_size=8, epochs=3, validation_data=(x, y), verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6
    keys = ["loss", "mae", "val_loss", "val_mae"]
    for epoch in range(3):
        assert lines[2 * epoch] == f"Epoch {epoch + 1}/3"
        logs = {key: history.history[key][epoch] for key in keys}
        pattern = rf"3/3 - {TIME} - {PER_STEP}" + re.escape(metrics_text(logs, keys))
        assert re.fullmatch(pattern, lines[2 * epoch + 1]), lines[2 * epoch + 1]


def test_fit_verbose_2_of_one_epoch_has_no_epoch_header(capsys):
    # Keras prints "Epoch i/N" only when epochs > 1 (ProgbarLogger.on_epoch_begin).
    model, x, y = model_and_data(10)
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=2)
    line = capsys.readouterr().out
    pattern = rf" 3/3 - {TIME} - {PER_STEP} - loss: {history.history['loss'][0]:.4f} - mae: "
    assert re.fullmatch(pattern.lstrip() + r"\d\.\d{4}\n", line), line


def test_evaluate_and_predict_verbose_2_print_one_line(capsys):
    model, x, y = model_and_data()
    loss, mae = model.evaluate(x, y, batch_size=8, verbose=2)
    model.predict(x, batch_size=8, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(rf"3/3 - {TIME} - {PER_STEP} - loss: {loss:.4f} - mae: {mae:.4f}",
                        lines[0]), lines[0]
    assert re.fullmatch(rf"3/3 - {TIME} - {PER_STEP}", lines[1]), lines[1]


def test_step_count_is_padded_to_the_width_of_the_total(capsys):
    model, x, y = model_and_data(12)
    model.predict(x, batch_size=1, verbose=1)  # Keras: "%{digits}d/%d"
    states = capsys.readouterr().out.split("\r")
    assert states[1].startswith(" 1/12 ") and states[-1].startswith("12/12 ")
    model.fit(x, y, batch_size=1, epochs=1, verbose=2)
    assert capsys.readouterr().out.startswith("12/12 - ")


def test_logs_added_by_callbacks_reach_the_line_because_progbar_runs_last(capsys):
    # Keras appends ProgbarLogger after the user's callbacks, and all share one logs dict:
    # a key a callback adds to it (LearningRateScheduler's learning_rate) is printed, after
    # the sorted keys fit logged.
    model, x, y = model_and_data(8)
    model.fit(x, y, batch_size=8, epochs=2, verbose=2,
              callbacks=[LearningRateScheduler(lambda epoch, lr: 0.05)])
    lines = capsys.readouterr().out.splitlines()
    number = r"\d+\.\d{4}"
    for line in lines[1::2]:
        assert re.fullmatch(rf"1/1 - {TIME} - {PER_STEP} - loss: {number} - mae: {number}"
                            r" - learning_rate: 0\.0500", line), line


def test_a_progbar_passed_by_the_user_is_not_doubled(capsys):
    model, x, y = model_and_data(8)
    logger = ProgbarLogger()
    model.fit(x, y, batch_size=8, epochs=2, verbose=2, callbacks=[logger])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/2", "1/1", "Epoch 2/2", "1/1"]
    assert logger.params["epochs"] == 2 and logger.verbose == 2


# ---------------------------------------------------------------- verbose=1: a bar
def test_fit_verbose_1_draws_a_bar_per_epoch_with_loss_and_metrics(capsys):
    model, x, y = model_and_data()
    history = model.fit(x, y, batch_size=8, epochs=2, validation_data=(x, y), verbose=1)
    out = capsys.readouterr().out
    shown = final_states(out)
    assert len(shown) == 4  # validation inside fit draws nothing of its own
    keys = ["loss", "mae", "val_loss", "val_mae"]
    for epoch in range(2):
        assert shown[2 * epoch] == f"Epoch {epoch + 1}/2"
        logs = {key: history.history[key][epoch] for key in keys}
        pattern = rf"3/3 █+ {TIME} {PER_STEP}" + re.escape(metrics_text(logs, keys))
        assert re.fullmatch(pattern, shown[2 * epoch + 1]), shown[2 * epoch + 1]
    # The bar is drawn from the first step on, with the running loss and metrics.
    first = out.split("\n")[1].split("\r")[1]
    number = r"\d+\.\d{4}"
    assert re.fullmatch(rf"1/3 {PARTIAL_BAR}{TIME} {PER_STEP} - loss: {number} - mae: {number}",
                        first.rstrip()), first


def test_evaluate_and_predict_show_a_bar_by_default_as_keras(capsys):
    # verbose="auto" means 1 (Keras' ProgbarLogger.set_params).
    model, x, y = model_and_data()
    loss, mae = model.evaluate(x, y, batch_size=8)
    model.predict(x, batch_size=8)
    shown = final_states(capsys.readouterr().out)
    assert len(shown) == 2
    assert re.fullmatch(rf"3/3 █+ {TIME} {PER_STEP} - loss: {loss:.4f} - mae: {mae:.4f}",
                        shown[0]), shown[0]
    assert re.fullmatch(rf"3/3 █+ {TIME} {PER_STEP}", shown[1]), shown[1]


def test_verbose_0_prints_nothing(capsys):
    model, x, y = model_and_data()
    model.fit(x, y, batch_size=8, epochs=2, validation_data=(x, y), verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


# ---------------------------------------------------------------- Keras' number formats
@pytest.mark.parametrize("value, verbose, text", [
    (0.31949, 1, "0.3195"), (5e-4, 1, "5.0000e-04"), (-0.5, 1, "-0.5000"),
    (-0.5, 2, "-5.0000e-01"),  # verbose=2 tests avg > 1e-3, not abs(avg): Keras' quirk
    (123.456789, 2, "123.4568"), (0.001, 2, "1.0000e-03"),
])
def test_values_are_formatted_as_keras_progbar(value, verbose, text):
    assert format_value(value, verbose) == text


@pytest.mark.parametrize("seconds, text", [
    (0.0, " 0s/step"), (2.4, " 2s/step"), (0.0123, " 12ms/step"), (5e-5, " 50us/step")])
def test_time_per_step_as_keras(seconds, text):
    assert format_time_per_unit(seconds) == text


@pytest.mark.parametrize("seconds, text", [
    (3.9, "3s"), (60.0, "60s"), (75.9, "1:15"), (3725.2, "1:02:05"), (3600.5, "1:00:00")])
def test_eta_as_keras(seconds, text):
    assert format_eta(seconds) == text


def test_predict_on_batch_prints_nothing(capsys):
    model = nn.Sequential([nn.Input((3,)), nn.layers.Dense(2)])
    model.predict_on_batch(np.ones((4, 3), "float32"))
    assert capsys.readouterr().out == ""
