"""The pair-wise demo's models: parameter counts by hand, and what sharing an encoder means.

A siamese model calls one encoder (the same layer objects) on both images. It therefore holds
one set of encoder weights, and the gradient of a shared kernel is the sum of what each branch
contributes: here checked against an *untied* twin (two encoders holding copies of the same
weights), and against central finite differences on the shared kernel in float64.
"""

import numpy as np
import pytest

import numpynet as nn
from demos import pairwise
from numpynet import config, layers, ops
from numpynet.tensor import Tensor, no_grad

PIXELS, UNITS, HEAD = 4, (3,), 5  # a tiny twin of the demo models for the gradient checks


@pytest.fixture(autouse=True)
def _fresh_session():
    nn.utils.clear_session(free_memory=False)
    nn.set_random_seed(0)


@pytest.fixture
def float64():
    previous = config.floatx()
    config.set_floatx("float64")
    yield
    config.set_floatx(previous)


# ---------------------------------------------------------------------------- parameter counts
def test_parameter_counts_match_a_hand_computation():
    # 8×8 digits (64 pixels), Dense(100) branches, Dense(100) head, Dense(1) output:
    # one branch = 64·100 + 100 = 6500; head on the merge = (merge width)·100 + 100; out = 101.
    separate = pairwise.build_separate_pair_model(64)
    concat = pairwise.build_siamese_pair_model(64, merge="concatenate")
    difference = pairwise.build_siamese_pair_model(64, merge="abs_difference")
    assert separate.count_params() == 2 * 6500 + (200 * 100 + 100) + 101 == 33201
    assert concat.count_params() == 6500 + (200 * 100 + 100) + 101 == 26701
    assert difference.count_params() == 6500 + (100 * 100 + 100) + 101 == 16701


@pytest.mark.parametrize("kind", ["separate", "concatenate", "abs_difference"])
def test_parameter_formula_matches_count_params_for_other_sizes(kind):
    build = (pairwise.build_separate_pair_model if kind == "separate" else
             lambda *a, **k: pairwise.build_siamese_pair_model(*a, merge=kind, **k))
    model = build(784, units=(100, 50), head_units=30)
    assert model.count_params() == pairwise.pair_model_parameters(784, (100, 50), 30, kind)
    assert model.count_params() == sum(w.size for w in model.weights)


def test_siamese_model_has_one_set_of_encoder_weights():
    separate = pairwise.build_separate_pair_model(PIXELS, UNITS, HEAD)
    siamese = pairwise.build_siamese_pair_model(PIXELS, UNITS, HEAD)
    assert len(separate.weights) == 8  # two branches, head, output: kernel + bias each
    assert len(siamese.weights) == 6
    encoder = siamese.get_layer("encoder_dense_1")
    assert [layer.name for layer in siamese.layers].count("encoder_dense_1") == 1
    assert len(encoder._inbound_nodes) == 2  # called on both images
    assert sum(w is encoder.kernel for w in siamese.weights) == 1


def test_abs_difference_model_is_symmetric_in_its_two_images():
    rng = np.random.default_rng(0)
    x0, x1 = rng.random((6, PIXELS), dtype=np.float32), rng.random((6, PIXELS), dtype=np.float32)
    symmetric = pairwise.build_siamese_pair_model(PIXELS, UNITS, HEAD, merge="abs_difference")
    np.testing.assert_allclose(symmetric.predict([x0, x1], verbose=0),
                               symmetric.predict([x1, x0], verbose=0), rtol=1e-6)
    ordered = pairwise.build_siamese_pair_model(PIXELS, UNITS, HEAD, merge="concatenate")
    assert not np.allclose(ordered.predict([x0, x1], verbose=0),
                           ordered.predict([x1, x0], verbose=0))


def test_unknown_merge_is_a_clear_error():
    with pytest.raises(ValueError, match="build_siamese_pair_model: merge must be 'concatenate' "
                                         "or 'abs_difference', got 'sum'"):
        pairwise.build_siamese_pair_model(PIXELS, merge="sum")


# ---------------------------------------------------------------------------- shared gradients
def _untied(merge):
    """The siamese architecture with two encoders (separate weights) and the same head."""
    img0, img1 = nn.Input((PIXELS,), name="input_img0"), nn.Input((PIXELS,), name="input_img1")
    e0 = layers.Dense(UNITS[0], activation="relu", name="encoder0")(img0)
    e1 = layers.Dense(UNITS[0], activation="relu", name="encoder1")(img1)
    if merge == "concatenate":
        merged = layers.Concatenate()([e0, e1])
    else:
        merged = layers.Lambda(ops.abs)(layers.Subtract()([e0, e1]))
    head = layers.Dense(HEAD, activation="relu", name="head")(merged)
    return nn.Model([img0, img1], layers.Dense(1, activation="sigmoid", name="same")(head))


def _projected_loss(model, x0, x1, projection):
    return ops.sum(model([x0, x1]) * Tensor(projection))


def _kernel_grads(model, kernels, x0, x1, projection):
    for w in model.weights:
        w.grad = None
    _projected_loss(model, x0, x1, projection).backward()
    return [k.grad.copy() for k in kernels]


def _pair_batch(seed=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(7, PIXELS)), rng.normal(size=(7, PIXELS)), rng.normal(size=(7, 1))


@pytest.mark.parametrize("merge", ["concatenate", "abs_difference"])
def test_shared_kernel_gradient_is_the_sum_of_both_branches(float64, merge):
    siamese = pairwise.build_siamese_pair_model(PIXELS, UNITS, HEAD, merge=merge)
    untied = _untied(merge)
    shared = siamese.get_layer("encoder_dense_1")
    for name in ("encoder0", "encoder1"):
        untied.get_layer(name).set_weights(shared.get_weights())
    for name in ("head", "same"):
        untied.get_layer(name).set_weights(siamese.get_layer(name).get_weights())
    x0, x1, projection = _pair_batch()
    np.testing.assert_allclose(untied.predict([x0, x1], verbose=0),
                               siamese.predict([x0, x1], verbose=0), rtol=1e-12)

    (grad_shared,) = _kernel_grads(siamese, [shared.kernel], x0, x1, projection)
    grad0, grad1 = _kernel_grads(untied, [untied.get_layer("encoder0").kernel,
                                          untied.get_layer("encoder1").kernel], x0, x1, projection)
    np.testing.assert_allclose(grad_shared, grad0 + grad1, rtol=1e-10, atol=1e-14)
    assert not np.allclose(grad_shared, grad0) and not np.allclose(grad_shared, grad1)


@pytest.mark.parametrize("merge", ["concatenate", "abs_difference"])
def test_shared_kernel_gradient_matches_finite_differences(float64, merge):
    siamese = pairwise.build_siamese_pair_model(PIXELS, UNITS, HEAD, merge=merge)
    kernel = siamese.get_layer("encoder_dense_1").kernel
    assert kernel.dtype == np.float64
    x0, x1, projection = _pair_batch(seed=4)
    (analytic,) = _kernel_grads(siamese, [kernel], x0, x1, projection)
    numeric, eps = np.zeros_like(analytic), 1e-6
    with no_grad():
        for index in np.ndindex(kernel.shape):  # perturbing the one kernel moves both branches
            original = kernel.data[index]
            kernel.data[index] = original + eps
            plus = float(_projected_loss(siamese, x0, x1, projection).data)
            kernel.data[index] = original - eps
            minus = float(_projected_loss(siamese, x0, x1, projection).data)
            kernel.data[index] = original
            numeric[index] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    assert np.abs(analytic).max() > 1e-3
