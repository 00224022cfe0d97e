"""``run_layer_test``: the checks every layer must pass, in the spirit of Keras' own helper.

One call checks a layer class from its constructor arguments: the config round trip, the
weight counts, the output shape when called on arrays and on a symbolic ``Input``, weight
transfer between two instances, and one training step whose gradients reach every trainable
weight and lower the loss.
"""

import contextlib

import numpy as np

import numpynet as nn
from numpynet import config, ops, rng
from numpynet.layers import Input


@contextlib.contextmanager
def floatx_scope(dtype):
    """Sets ``config.floatx()`` to ``dtype`` for the block and restores it afterwards."""
    previous = config.floatx()
    config.set_floatx(dtype)
    try:
        yield
    finally:
        config.set_floatx(previous)


def _is_multi(input_shape):
    return isinstance(input_shape, list)


def _make_data(input_shape, dtype, input_data):
    if input_data is not None:
        if _is_multi(input_shape):
            return [np.asarray(x, dtype) for x in input_data]
        return np.asarray(input_data, dtype)
    data_rng = np.random.default_rng(1234)
    shapes = input_shape if _is_multi(input_shape) else [input_shape]
    arrays = [data_rng.standard_normal(s).astype(dtype) for s in shapes]
    return arrays if _is_multi(input_shape) else arrays[0]


def _symbolic_inputs(input_shape, dtype):
    shapes = input_shape if _is_multi(input_shape) else [input_shape]
    inputs = [Input(shape=tuple(s[1:]), dtype=dtype) for s in shapes]
    return inputs if _is_multi(input_shape) else inputs[0]


def _forward(layer, data, training):
    """Runs the layer with the same random draws every time (so two passes are comparable)."""
    rng.set_random_seed(7)
    layer._clear_losses()  # keep only this pass's activity penalties (as fit does per step)
    tensors = ([nn.Tensor(x, requires_grad=True) for x in data] if isinstance(data, list)
               else nn.Tensor(data, requires_grad=True))
    out = layer(tensors, training=training)
    loss = ops.mean(ops.square(out))
    for penalty in layer.losses:
        loss = loss + penalty
    return tensors, out, loss


def _check_config_round_trip(layer_cls, init_kwargs, config_overrides):
    layer = layer_cls(**init_kwargs)
    cfg = layer.get_config()
    revived = layer_cls.from_config({**cfg, **(config_overrides or {})})
    assert type(revived) is layer_cls
    assert revived.get_config() == cfg, (cfg, revived.get_config())


def _check_weights(layer, dtype, trainable, non_trainable, where):
    if trainable is not None:
        assert len(layer.trainable_weights) == trainable, (
            f"{where}: {len(layer.trainable_weights)} trainable weights, expected {trainable}")
    if non_trainable is not None:
        assert len(layer.non_trainable_weights) == non_trainable, (
            f"{where}: {len(layer.non_trainable_weights)} non-trainable weights, "
            f"expected {non_trainable}")
    for weight in layer.weights:
        assert weight.dtype == np.dtype(dtype), f"{where}: {weight.path} is {weight.dtype}"


def _check_training_step(layer, data, dtype):
    tensors, out, loss = _forward(layer, data, training=True)
    loss.backward()
    for tensor in tensors if isinstance(tensors, list) else [tensors]:
        assert tensor.grad is not None and tensor.grad.shape == tensor.shape
        assert np.all(np.isfinite(tensor.grad)), "the input gradient is not finite"
    for weight in layer.trainable_weights:
        grad = weight.grad
        assert grad is not None, f"{weight.path} received no gradient"
        assert grad.shape == weight.shape and grad.dtype == np.dtype(dtype), weight.path
        assert np.all(np.isfinite(grad)), f"{weight.path} has a non-finite gradient"
    if not layer.trainable_weights:
        return
    before = float(loss.data)
    for weight in layer.trainable_weights:
        weight.assign(weight.data - 0.01 * weight.grad)  # one plain SGD step
    after = float(_forward(layer, data, training=True)[2].data)
    assert after < before, f"one SGD step did not lower the loss ({before} -> {after})"


def run_layer_test(layer_cls, init_kwargs, input_shape, expected_output_shape=None,
                   expected_num_trainable_weights=None, expected_num_non_trainable_weights=None,
                   dtype="float32", input_data=None, run_training_step=True,
                   config_overrides=None):
    """Checks a layer class end to end.

    Args:
        layer_cls: the layer class.
        init_kwargs: constructor arguments.
        input_shape: full input shape with the batch size, or a list of them (merge layers).
        expected_output_shape: full output shape with the batch size; checked eagerly, and
            symbolically with the batch axis None.
        expected_num_trainable_weights, expected_num_non_trainable_weights: weight counts.
        dtype: ``"float32"`` or ``"float64"``; floatx is set to it during the test.
        input_data: optional arrays to use instead of random normal data.
        run_training_step: whether to run the gradient and SGD checks.
        config_overrides: entries that a config cannot hold, given back to ``from_config``
            (a ``Lambda``'s function).
    """
    with floatx_scope(dtype):
        _check_config_round_trip(layer_cls, init_kwargs, config_overrides)
        data = _make_data(input_shape, dtype, input_data)

        layer = layer_cls(**init_kwargs)
        out = layer(data)
        assert out.dtype == np.dtype(dtype), f"eager output is {out.dtype}, expected {dtype}"
        if expected_output_shape is not None:
            assert out.shape == tuple(expected_output_shape), (out.shape, expected_output_shape)
        _check_weights(layer, dtype, expected_num_trainable_weights,
                       expected_num_non_trainable_weights, "eager")

        symbolic_layer = layer_cls(**init_kwargs)
        symbolic_out = symbolic_layer(_symbolic_inputs(input_shape, dtype))
        assert symbolic_out.shape == (None,) + tuple(out.shape[1:]), (
            f"symbolic shape {symbolic_out.shape} differs from eager shape {out.shape}")
        assert symbolic_out.dtype == np.dtype(dtype)
        _check_weights(symbolic_layer, dtype, expected_num_trainable_weights,
                       expected_num_non_trainable_weights, "symbolic")

        # Same weights, same inference output: weights transfer in `weights` order.
        symbolic_layer.set_weights(layer.get_weights())
        np.testing.assert_allclose(symbolic_layer(data).data, layer(data).data, rtol=1e-6)

        if run_training_step:
            _check_training_step(layer_cls(**init_kwargs), data, dtype)
