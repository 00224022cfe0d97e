"""No lost work (issue 11): a crash never leaves a half-written file or a half-updated model.

The kill tests run a child process that saves over and over and reports each finished save on
stdout; the parent kills it with SIGKILL at a random moment (mostly in the middle of a write,
since writing is what the child spends its time on), then checks that every file on disk loads
and is one complete save: the last one the child reported, or the one after it (finished but
not yet reported when the signal came). The in-process tests raise inside a callback during
``fit`` and check that the model is exactly as after the last finished update.
``BackupAndRestore``'s in-process resume is tested in ``test_callbacks.py``; here it resumes a
run that was killed.
"""

import csv
import os
import random
import select
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import numpynet as nn
from numpynet.callbacks import BackupAndRestore, Callback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHILD_ENV = {**os.environ, "PYTHONPATH": ROOT, "OPENBLAS_NUM_THREADS": "1"}
ROUNDS = 5
# the delays after the first reported save: random, but the same in every run of the suite
DELAYS = random.Random(11).sample([0.0, 0.02, 0.05, 0.08, 0.13, 0.17, 0.21, 0.3], ROUNDS)


def run_and_kill(tmp_path, source, delay):
    """Runs ``source`` in a child process, kills it ``delay`` s after its first output line.

    Returns:
        The lines the child printed (all of them, up to its death).
    """
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(source))
    child = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path, env=CHILD_ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = b""
    try:
        if select.select([child.stdout], [], [], 60)[0]:
            first = child.stdout.readline()
        if first:
            select.select([], [], [], delay)  # sleep, while the child keeps saving
    finally:
        child.kill()  # SIGKILL: no cleanup, no flush, no exception handler runs
        rest, errors = child.communicate(timeout=60)
    assert first, f"the child reported nothing:\n{errors.decode()}"
    assert child.returncode == -signal.SIGKILL, errors.decode()  # killed while still saving
    return (first + rest).decode().split()


# ---------------------------------------------------------------- model.save and save_weights
SAVER = """
    import numpy as np
    import numpynet as nn

    model = nn.Sequential([nn.Input((64,)), nn.layers.Dense(256), nn.layers.Dense(64)])
    model.compile("adam", "mse")
    count = 0
    while True:
        count += 1
        model.set_weights([np.full(w.shape, count, "float32") for w in model.weights])
        model.save("model.numpynet")
        model.save_weights("model.weights.npz")
        print(count, flush=True)
"""


def saved_count(model, what):
    """The one counter value every weight of ``model`` holds (a mixed file would fail)."""
    values = np.unique(np.concatenate([w.ravel() for w in model.get_weights()]))
    assert values.size == 1, f"{what} mixes several saves: {values}"
    return int(values[0])


@pytest.mark.parametrize("delay", DELAYS)
def test_killed_saves_leave_the_last_complete_model_and_weights(tmp_path, delay):
    reported = int(run_and_kill(tmp_path, SAVER, delay)[-1])
    model = nn.models.load_model(tmp_path / "model.numpynet")
    in_model = saved_count(model, "model.numpynet")
    model.load_weights(tmp_path / "model.weights.npz")
    in_weights = saved_count(model, "model.weights.npz")
    # Each round saves the model, then the weights, then reports: a save may have finished
    # after the last report, and the weights are never ahead of the model.
    assert reported <= in_weights <= in_model <= reported + 1
    assert model.optimizer is not None and model.compiled


# ---------------------------------------------------------------- ModelCheckpoint and CSVLogger
TRAINER = """
    import numpy as np
    import numpynet as nn

    class Report(nn.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            total = sum(float(np.sum(w, dtype=np.float64)) for w in self.model.get_weights())
            print(epoch, repr(logs["loss"]), total.hex(), flush=True)

    nn.set_random_seed(0)
    x = nn.rng.generator().standard_normal((64, 8), dtype="float32")
    y = x[:, :1] - 2.0 * x[:, 1:2]
    model = nn.Sequential([nn.Input((8,)), nn.layers.Dense(128, activation="tanh"),
                           nn.layers.Dense(1)])
    model.compile(nn.optimizers.SGD(learning_rate=0.01), "mse")
    model.fit(x, y, batch_size=16, epochs=10**6, verbose=0, callbacks=[
        nn.callbacks.ModelCheckpoint("checkpoint.numpynet", monitor="loss"),
        nn.callbacks.CSVLogger("log.csv"), Report()])
"""
STEPS = 4  # 64 samples in batches of 16


def weights_sum_hex(model):
    return sum(float(np.sum(w, dtype=np.float64)) for w in model.get_weights()).hex()


@pytest.mark.parametrize("delay", DELAYS[:3])
def test_killed_training_leaves_a_complete_checkpoint_and_csv_log(tmp_path, delay):
    lines = run_and_kill(tmp_path, TRAINER, delay)
    reports = {int(e): (loss, total) for e, loss, total in zip(*[iter(lines)] * 3)}
    last = max(reports)

    checkpoint = nn.models.load_model(tmp_path / "checkpoint.numpynet")
    epoch = checkpoint.optimizer.iterations // STEPS - 1  # saved at the end of this epoch
    assert checkpoint.optimizer.iterations % STEPS == 0 and last <= epoch <= last + 1
    if epoch == last:
        assert weights_sum_hex(checkpoint) == reports[last][1]
    assert all(np.all(np.isfinite(w)) for w in checkpoint.get_weights())

    with open(tmp_path / "log.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [int(r[0]) for r in rows[1:]] == list(range(len(rows) - 1))  # every row, in order
    assert all(len(r) == 3 for r in rows)  # none of them cut short
    assert last <= len(rows) - 2 <= last + 1
    for epoch_row in rows[1:last + 2]:
        assert epoch_row[1] == reports[int(epoch_row[0])][0]  # the logged loss, digit for digit


# ---------------------------------------------------------------- BackupAndRestore after a kill
RESUMABLE = """
    import numpy as np
    import numpynet as nn

    class Report(nn.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print(epoch, flush=True)

    nn.set_random_seed(0)
    x = nn.rng.generator().standard_normal((48, 6), dtype="float32")
    y = np.tanh(x[:, :2])
    model = nn.Sequential([nn.Input((6,)), nn.layers.Dense(16, activation="relu"),
                           nn.layers.Dropout(0.3), nn.layers.Dense(2)])
    model.compile("adam", "mse")
    model.fit(x, y, batch_size=8, epochs=EPOCHS, verbose=0,
              callbacks=[nn.callbacks.BackupAndRestore("backup"), Report()])
"""
EPOCHS = 40  # an epoch takes about 10 ms with its backup: the child is killed long before


def resumable_model(seed):
    """The child's data (always from seed 0) and model (initialised from ``seed``)."""
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)
    x = nn.rng.generator().standard_normal((48, 6), dtype="float32")
    if seed != 0:
        nn.set_random_seed(seed)
    model = nn.Sequential([nn.Input((6,)), nn.layers.Dense(16, activation="relu"),
                           nn.layers.Dropout(0.3), nn.layers.Dense(2)])
    model.compile("adam", "mse")
    return model, x, np.tanh(x[:, :2])


@pytest.mark.parametrize("delay", [0.0, 0.06])
def test_backup_and_restore_resumes_a_killed_fit_to_the_same_weights(tmp_path, delay):
    last = int(run_and_kill(tmp_path, RESUMABLE.replace("EPOCHS", str(EPOCHS)), delay)[-1])
    assert last < EPOCHS - 2, "the child finished before it was killed"
    restarted, x, y = resumable_model(seed=99)  # a new process: other weights, other stream
    history = restarted.fit(x, y, batch_size=8, epochs=EPOCHS, verbose=0,
                            callbacks=[BackupAndRestore(tmp_path / "backup")])
    assert history.epoch[0] in (last + 1, last + 2)  # resumed after the last backed-up epoch
    reference, x, y = resumable_model(seed=0)
    reference.fit(x, y, batch_size=8, epochs=EPOCHS, verbose=0)
    for got, want in zip(restarted.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------- an exception inside a callback
class Crash(Callback):
    """Raises in ``hook`` at the ``at``-th call (0-based) of that hook."""

    def __init__(self, hook, at):
        super().__init__()
        self.calls = 0
        setattr(self, hook, self._maybe_crash)
        self.at = at

    def _maybe_crash(self, *args, **kwargs):
        self.calls += 1
        if self.calls > self.at:
            raise KeyboardInterrupt("stop here")


def small_model():
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(3)
    model = nn.Sequential([nn.Input((5,)), nn.layers.Dense(7, activation="tanh"),
                           nn.layers.Dense(2)])
    model.compile(nn.optimizers.Adam(learning_rate=0.05), "mse")
    return model


DATA = np.random.default_rng(5).normal(size=(2, 24, 5)).astype("float32")
X_CRASH, Y_CRASH = DATA[0], DATA[1][:, :2]


def trained_on_batches(count):
    """The reference: ``count`` updates on the batches ``fit(shuffle=False)`` would use."""
    model = small_model()
    for step in range(count):
        index = slice(step % 4 * 6, step % 4 * 6 + 6)
        model.train_on_batch(X_CRASH[index], Y_CRASH[index])
    return model


@pytest.mark.parametrize("hook, at, updates", [
    ("on_train_batch_begin", 5, 5),        # before the forward pass of update 6
    ("on_train_batch_gradients", 5, 5),    # gradients computed, update 6 not applied
    ("on_train_batch_end", 5, 6),          # right after update 6
    ("on_epoch_end", 1, 8),                # after two whole epochs
])
def test_an_exception_in_a_callback_leaves_the_model_as_after_the_last_update(hook, at,
                                                                              updates):
    model = small_model()
    with pytest.raises(KeyboardInterrupt, match="stop here"):
        model.fit(X_CRASH, Y_CRASH, batch_size=6, epochs=5, shuffle=False, verbose=0,
                  callbacks=[Crash(hook, at)])
    reference = trained_on_batches(updates)
    assert model.optimizer.iterations == reference.optimizer.iterations == updates
    for got, want in zip(model.get_weights(), reference.get_weights()):
        assert np.all(np.isfinite(got))
        np.testing.assert_array_equal(got, want)
    state, expected = model.optimizer.get_state(), reference.optimizer.get_state()
    assert sorted(state) == sorted(expected)
    for key in state:
        np.testing.assert_array_equal(state[key], expected[key])
    # and training goes on from there exactly as if nothing had happened
    model.fit(X_CRASH, Y_CRASH, batch_size=6, epochs=1, shuffle=False, verbose=0)
    reference.fit(X_CRASH, Y_CRASH, batch_size=6, epochs=1, shuffle=False, verbose=0)
    for got, want in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
