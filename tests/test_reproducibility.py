"""Reproducible runs (issue 11): ``set_random_seed(s)`` makes a run repeat bit for bit.

Every random draw in numpynet (initializers, Dropout, GaussianNoise, noisy arrays, shuffling,
pair sampling) asks :func:`numpynet.rng.generator` at the moment it draws, so seeding once
before building a model makes the whole run repeat. Each demo's own model builder is run
twice here with the same seed (build, then a short ``fit`` with shuffling) and must give
bit-identical weights; another seed must give other weights.

What can still break bit-identity is outside numpynet: the BLAS library behind ``@`` may split
a matrix product over threads, and a different split adds the partial sums in a different
order (float addition is not associative), so the last bits of a result can depend on the
number of threads. Pin it before NumPy is imported, e.g. ``OPENBLAS_NUM_THREADS=1`` (also
``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` for other BLAS builds): the subprocess test below
checks that two such runs agree bit for bit. Results may also differ between machines (CPU
instruction sets) and NumPy/BLAS versions.
"""

import hashlib
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import numpynet as nn
from demos import (
    autoencoder,
    callbacks,
    classifier,
    denoising,
    initialization,
    multimodal,
    pairwise,
    runner,
    sparse_autoencoder,
    training_speedups,
    vanishing_gradient,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def digits():
    x, y = nn.datasets.load_digits()
    return x[:96].reshape(96, -1).astype("float32"), y[:96].astype(np.int64)


def _fit(model, x, y, **kwargs):
    model.fit(x, y, epochs=2, batch_size=16, shuffle=True, verbose=0, **kwargs)
    return model


def _classifier(x, y):
    model = classifier.build_model(64, 10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return _fit(model, x, y, validation_split=0.25)


def _denoising(x, y):
    noisy = denoising.add_noise(x)  # noisy arrays are drawn from the same generator
    return _fit(denoising.build_denoising_autoencoder(64, code_size=8), noisy, x)


def _sparse(x, y):
    penalty = sparse_autoencoder.regularizers()[f"KL, ρ={sparse_autoencoder.KL_RHO:g}"]
    return _fit(sparse_autoencoder.build_sparse_autoencoder(64, 8, penalty), x, x)


def _multimodal(x, y):
    model = multimodal.build_multimodal_model(64, 2, 10, inject="early", hidden=(16, 8))
    return _fit(model, [x, multimodal.side_information(y)], y)


def _pairwise(x, y):
    x0, x1, same, _, _ = pairwise.pair_data(x, y, pairs_per_class=4, seed=None)
    return _fit(pairwise.build_siamese_pair_model(64, units=(16,), head_units=8,
                                                  merge="abs_difference"), [x0, x1], same)


def _batch_norm(x, y):
    models = training_speedups.build_speedup_models(64, 10)
    return _fit(models[("setup", "+ BatchNormalization")], x, y)


DEMO_RUNS = {
    "classifier": _classifier,
    "autoencoder": lambda x, y: _fit(autoencoder.build_autoencoder(64, 8, hidden=(16,)), x, x),
    "denoising": _denoising,
    "sparse_autoencoder": _sparse,
    "multimodal": _multimodal,
    "pairwise": _pairwise,
    "vanishing_gradient": lambda x, y: _fit(vanishing_gradient.build_deep_narrow_model(
        64, 10, "sigmoid"), x, y),
    "callbacks": lambda x, y: _fit(callbacks.build_lab_model(64, 10), x, y),
    "initialization": lambda x, y: _fit(initialization.build_course_init_net(64, 10, 1.0), x, y),
    "training_speedups": _batch_norm,
}


def seeded_run(demo, seed, data):
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(seed)
    return DEMO_RUNS[demo](*data).get_weights()


@pytest.mark.parametrize("demo", sorted(DEMO_RUNS))
def test_each_demo_model_trains_to_bit_identical_weights_under_the_same_seed(demo, digits):
    first, again = seeded_run(demo, 7, digits), seeded_run(demo, 7, digits)
    assert len(first) == len(again) > 0
    for a, b in zip(first, again):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()  # bit for bit, NaN-safe
    other = seeded_run(demo, 8, digits)
    assert any(a.tobytes() != b.tobytes() for a, b in zip(first, other))


def test_the_demo_runner_reports_the_same_numbers_twice(tmp_path):
    results = [runner.run_demos(["classifier"], quick=True, out=tmp_path / f"run{i}", seed=3,
                                progress=False) for i in range(2)]
    saved = [json.loads((tmp_path / f"run{i}" / "results.json").read_text())["classifier"]
             ["numbers"] for i in range(2)]
    assert saved[0] == saved[1]  # floats compared exactly
    assert results[0]["classifier"].numbers == results[1]["classifier"].numbers


BLAS_RUN = """
    import hashlib
    import numpy as np
    import numpynet as nn

    nn.set_random_seed(11)
    x = nn.rng.generator().standard_normal((512, 256), dtype="float32")
    y = np.sin(x[:, :64])
    model = nn.Sequential([nn.Input((256,)), nn.layers.Dense(512, activation="relu"),
                           nn.layers.Dropout(0.2), nn.layers.Dense(64)])
    model.compile("adam", "mse")
    model.fit(x, y, batch_size=128, epochs=2, verbose=0)
    digest = hashlib.sha256(b"".join(w.tobytes() for w in model.get_weights()))
    print(digest.hexdigest())
"""


def run_in_child(tmp_path, threads):
    script = tmp_path / "blas_run.py"
    script.write_text(textwrap.dedent(BLAS_RUN))
    env = {**os.environ, "PYTHONPATH": ROOT, "OPENBLAS_NUM_THREADS": str(threads),
           "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_two_processes_with_one_blas_thread_train_bit_identical_weights(tmp_path):
    first, second = run_in_child(tmp_path, 1), run_in_child(tmp_path, 1)
    assert len(first) == 64 and first == second
    assert first != hashlib.sha256(b"").hexdigest()
