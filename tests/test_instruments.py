"""The course's instruments record exactly what a direct computation gives."""

import numpy as np
import pytest

import numpynet as nn
from numpynet.callbacks import ActivationStats, GradientTracker, LambdaCallback, LayerWeightsStats


def model_and_data(optimizer="sgd", seed=0):
    nn.set_random_seed(seed)
    inputs = nn.Input((3,))
    hidden = nn.layers.Dense(5, activation="relu", name="hidden")(inputs)
    outputs = nn.layers.Dense(2, name="out")(hidden)
    model = nn.Model(inputs, outputs)
    model.compile(optimizer=optimizer, loss="mse")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(20, 3)).astype("float32")
    y = rng.normal(size=(20, 2)).astype("float32")
    return model, x, y


def weight_snapshots(model, into):
    return LambdaCallback(on_epoch_end=lambda epoch, logs: into.append(
        {w.path: w.data.copy() for w in model.weights}))


# ---------------------------------------------------------------- LayerWeightsStats
def test_layer_weights_stats_equal_numpy_statistics_of_the_weights():
    model, x, y = model_and_data()
    initial = {w.path: w.data.copy() for w in model.weights}
    snapshots = [initial]
    stats = LayerWeightsStats()
    model.fit(x, y, epochs=3, batch_size=8, verbose=0,
              callbacks=[stats, weight_snapshots(model, snapshots)])
    assert stats.epoch == [0, 1, 2, 3]
    assert sorted(stats.history) == ["hidden/bias", "hidden/kernel", "out/bias", "out/kernel"]
    arrays = stats.as_arrays()
    for path, record in arrays.items():
        assert record["mean"].shape == (4,)
        np.testing.assert_array_equal(record["mean"], [np.mean(s[path]) for s in snapshots])
        np.testing.assert_array_equal(record["std"], [np.std(s[path]) for s in snapshots])
    assert arrays["hidden/bias"]["std"][0] == 0.0 and arrays["hidden/bias"]["std"][-1] > 0.0


def test_layer_weights_stats_continue_across_fits_and_can_skip_the_initial_state():
    model, x, y = model_and_data()
    stats = LayerWeightsStats(record_initial=False, weight_names=("kernel",))
    model.fit(x, y, epochs=2, verbose=0, callbacks=[stats])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[stats])
    assert stats.epoch == [1, 2, 1] and sorted(stats.history) == ["hidden/kernel", "out/kernel"]
    assert stats.as_arrays()["out/kernel"]["std"].shape == (3,)


# ---------------------------------------------------------------- ActivationStats
def direct_activations(weights, x):
    hidden = np.maximum(x @ weights["hidden/kernel"] + weights["hidden/bias"], 0.0)
    return {"hidden": hidden, "out": hidden @ weights["out/kernel"] + weights["out/bias"]}


def test_activation_stats_equal_a_direct_forward_pass():
    model, x, y = model_and_data()
    x_val = x[:7] * 2.0
    snapshots = [{w.path: w.data.copy() for w in model.weights}]
    stats = ActivationStats({"train": x, "val": x_val}, batch_size=6, keep_outputs=True)
    model.fit(x, y, epochs=2, batch_size=5, verbose=0,
              callbacks=[stats, weight_snapshots(model, snapshots)])
    assert stats.epoch == [0, 1, 2]
    arrays = stats.as_arrays()
    for name, data in (("train", x), ("val", x_val)):
        assert sorted(arrays[name]) == ["hidden", "out"]
        direct = [direct_activations(s, data) for s in snapshots]
        for layer in ("hidden", "out"):
            want_mean = [np.mean(d[layer]) for d in direct]
            want_std = [np.std(d[layer]) for d in direct]
            np.testing.assert_allclose(arrays[name][layer]["mean"], want_mean, rtol=1e-5,
                                       atol=1e-6)
            np.testing.assert_allclose(arrays[name][layer]["std"], want_std, rtol=1e-5)
        np.testing.assert_allclose(stats.outputs[name]["hidden"], direct[-1]["hidden"],
                                   rtol=1e-5, atol=1e-6)


def test_activation_stats_follow_chosen_layers_and_check_arguments():
    model, x, y = model_and_data()
    stats = ActivationStats({"train": x}, layers=["hidden"])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[stats])
    assert list(stats.history["train"]) == ["hidden"] and stats.outputs == {}
    with pytest.raises(ValueError, match="`data` must be a non-empty dict name -> inputs"):
        ActivationStats(x)
    unbuilt = ActivationStats({"train": x})
    unbuilt.set_model(nn.Sequential([nn.layers.Dense(1)]))
    with pytest.raises(ValueError, match="ActivationStats: model .* is not built"):
        unbuilt.on_train_begin()
    with pytest.raises(ValueError, match="No such layer: 'missing'"):
        model.fit(x, y, verbose=0, callbacks=[ActivationStats({"train": x}, layers=["missing"])])


# ---------------------------------------------------------------- GradientTracker
def record_steps(model, into):
    """Records each batch's gradients (before the update) and the weights before and after."""
    def gradients(batch, grads):
        into.append({"grad": {p: g.copy() for p, g in grads.items()},
                     "before": {w.path: w.data.copy() for w in model.trainable_weights}})

    def after(batch, logs):
        into[-1]["after"] = {w.path: w.data.copy() for w in model.trainable_weights}
    return LambdaCallback(on_train_batch_gradients=gradients, on_train_batch_end=after)


def expected_stats(step, paths):
    grads = [step["grad"][p].astype(np.float64).ravel() for p in paths]
    before = np.concatenate([step["before"][p].astype(np.float64).ravel() for p in paths])
    after = np.concatenate([step["after"][p].astype(np.float64).ravel() for p in paths])
    weight_norm = np.linalg.norm(before)
    return {"norm": np.linalg.norm(np.concatenate(grads)),
            "mean_abs": np.mean(np.abs(np.concatenate(grads))),
            "update_ratio": np.linalg.norm(after - before) / weight_norm if weight_norm
            else np.nan}


def test_gradient_tracker_per_batch_equals_the_gradients_themselves():
    model, x, y = model_and_data("adam")
    steps = []
    tracker = GradientTracker(freq="batch")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0,
              callbacks=[tracker, record_steps(model, steps)])
    assert len(steps) == 6 and tracker.epoch == [0, 0, 0, 1, 1, 1]
    assert tracker.batch == [0, 1, 2, 0, 1, 2]
    per_weight, per_layer = tracker.as_arrays(), tracker.as_arrays(per_layer=True)
    for path in ["hidden/kernel", "hidden/bias", "out/kernel", "out/bias"]:
        for stat in GradientTracker.STATS:
            want = [expected_stats(step, [path])[stat] for step in steps]
            np.testing.assert_allclose(per_weight[path][stat], want, rtol=1e-6)
    for layer in ["hidden", "out"]:
        for stat in GradientTracker.STATS:
            want = [expected_stats(step, [f"{layer}/kernel", f"{layer}/bias"])[stat]
                    for step in steps]
            np.testing.assert_allclose(per_layer[layer][stat], want, rtol=1e-6)
    # A zero-initialised bias has no ratio at the first step; later steps have one.
    assert np.isnan(per_weight["out/bias"]["update_ratio"][0])
    assert np.all(np.isfinite(per_weight["out/bias"]["update_ratio"][1:]))


def test_gradient_tracker_per_epoch_is_the_mean_over_batches():
    model, x, y = model_and_data()
    steps = []
    tracker = GradientTracker()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0,
              callbacks=[tracker, record_steps(model, steps)])
    assert tracker.epoch == [0, 1] and tracker.batch == []
    record = tracker.as_arrays()["hidden/kernel"]
    norms = [expected_stats(step, ["hidden/kernel"])["norm"] for step in steps]
    np.testing.assert_allclose(record["norm"], [np.mean(norms[:3]), np.mean(norms[3:])],
                               rtol=1e-6)
    ratios = [expected_stats(step, ["out/bias"])["update_ratio"] for step in steps[:3]]
    np.testing.assert_allclose(tracker.history["out/bias"]["update_ratio"][0],
                               np.mean(ratios[1:]), rtol=1e-6)  # the NaN first step left out
    with pytest.raises(ValueError, match="GradientTracker: freq must be 'epoch' or 'batch', "
                                         "got 'step'"):
        GradientTracker(freq="step")


def test_activation_stats_on_a_sequential_model_built_by_fit():
    model = nn.Sequential([nn.layers.Dense(4, activation="tanh", name="t"), nn.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)
    stats = ActivationStats({"train": x}, layers=["t"], record_initial=False)
    model.fit(x, x[:, :1], epochs=1, verbose=0, callbacks=[stats])
    kernel, bias = model.get_layer("t").get_weights()
    assert stats.history["train"]["t"]["mean"][0] == pytest.approx(
        float(np.mean(np.tanh(x @ kernel + bias))), rel=1e-5)


def test_activation_stats_refuses_a_shared_layer_by_name():
    inputs = [nn.Input((3,), name="a"), nn.Input((3,), name="b")]
    shared = nn.layers.Dense(2, name="shared")
    merged = nn.layers.Concatenate(name="merge")([shared(inputs[0]), shared(inputs[1])])
    model = nn.Model(inputs, nn.layers.Dense(1, name="head")(merged))
    model.compile("sgd", "mse")
    x = [np.ones((4, 3), "float32")] * 2
    stats = nn.callbacks.ActivationStats({"train": x})
    with pytest.raises(ValueError, match=r"ActivationStats: layers \['shared'\] are shared"):
        model.fit(x, np.ones((4, 1), "float32"), epochs=1, verbose=0, callbacks=[stats])
    ok = nn.callbacks.ActivationStats({"train": x}, layers=["merge", "head"])
    model.fit(x, np.ones((4, 1), "float32"), epochs=1, verbose=0, callbacks=[ok])
