"""Per-layer distributions: weights, activations and gradients of every layer.

:func:`layer_distributions` measures every layer of any model: its weights, its outputs on data
(a sub-model run without a tape, as ``ActivationStats``) and the gradients of the loss with
respect to its kernel and its output (one forward/backward pass, intermediate gradients kept
with :meth:`Tensor.retain_grad`); :func:`activation_std_by_depth` shows why Glorot suits tanh
and He suits ReLU. Their figures are in :mod:`numpynet.viz.distribution_plots`.
"""

import contextlib

import numpy as np

QUANTITIES = ("weights", "activations", "gradients", "activation_gradients")


# ---------------------------------------------------------------------------- computing
def _chosen_layers(model, layers, who):
    """The layers to measure: ``layers`` (objects or names), default every non-Input layer."""
    from numpynet.layers.input_layer import InputLayer

    if not model.built:
        raise ValueError(f"{who}: model {model.name!r} is not built; build it (or call it on "
                         "data) first.")
    if layers is None:
        return [layer for layer in model.layers if not isinstance(layer, InputLayer)]
    return [model.get_layer(item) if isinstance(item, str) else item for item in layers]


def _layer_output(layer, who):
    calls = len(getattr(layer, "_inbound_nodes", []))
    if calls > 1:  # `.output` would be the first call's only: a shared layer is ambiguous here
        raise ValueError(f"{who}: layer {layer.name!r} has no single output to measure: it is "
                         f"shared (called {calls} times in the model).")
    try:
        output = layer.output
    except AttributeError as error:
        raise ValueError(f"{who}: layer {layer.name!r} has no single output to measure "
                         f"({error})") from None
    if isinstance(output, (list, tuple, dict)):
        raise ValueError(f"{who}: layer {layer.name!r} has several outputs; pass `layers=` "
                         "with single-output layers only.")
    return output


def _submodel(model, outputs, suffix):
    from numpynet.models import Model

    # An explicit name keeps the global name counters (functional, functional_1...) untouched.
    return Model(model.inputs, outputs, name=f"{model.name}_{suffix}")


def layer_outputs(model, x, layers=None, batch_size=256):
    """Every chosen layer's output on ``x``, computed without a tape (inference mode).

    Args:
        model: a built functional or Sequential model.
        x: the model's input (an array, or a list/dict for several inputs).
        layers: layers or layer names; default every layer except the inputs.
        batch_size: ``predict``'s batch size.

    Returns:
        ``{layer name: array (samples, ...)}`` in the order of ``layers``.

    Raises:
        ValueError: for an unbuilt model, an unknown layer, or a layer without one output.
    """
    chosen = _chosen_layers(model, layers, "layer_outputs")
    sub = _submodel(model, [_layer_output(layer, "layer_outputs") for layer in chosen],
                    "layer_outputs")
    values = sub.predict(x, batch_size=batch_size, verbose=0)
    values = [values] if len(chosen) == 1 else values
    return {layer.name: value for layer, value in zip(chosen, values)}


def activation_std_by_depth(model, x, layers=None, batch_size=256):
    """The std of each chosen layer's output on ``x`` (over samples and units), in depth order.

    Through a deep net at initialization it shows whether the signal vanishes, explodes or
    keeps its scale. Arguments as in :func:`layer_outputs`; returns ``{layer name: float}``.
    """
    return {name: float(np.std(values))
            for name, values in layer_outputs(model, x, layers, batch_size).items()}


def _layer_weights(layer):
    """The weights whose distribution describes a layer: its kernel, else all trainable ones."""
    from numpynet.tensor import Variable

    kernel = getattr(layer, "kernel", None)
    return [kernel] if isinstance(kernel, Variable) else list(layer.trainable_weights)


def _flat(arrays, dtype):
    """A copy of the one array, or all arrays flattened and concatenated (possibly empty)."""
    if len(arrays) == 1:
        return np.array(arrays[0], dtype=dtype, copy=True)
    return np.concatenate([np.ravel(a) for a in arrays] or [np.zeros(0)]).astype(dtype)


def _loss_terms(model, loss, y, preds):
    """``[(loss object, weight)]`` per output: the compiled losses, or ``loss`` for each."""
    from numpynet import losses as losses_module

    if loss is not None:
        return [(losses_module.get_loss(loss, t, p.data), 1.0) for t, p in zip(y, preds)]
    compiled = getattr(model, "compiled_loss", None) if getattr(model, "compiled", False) \
        else None
    if compiled is not None:
        compiled.resolve(y, [p.data for p in preds])
    if compiled is None or all(fn is None for fn in compiled.losses):
        raise ValueError(f"layer_distributions: model {model.name!r} is not compiled with a "
                         "loss; compile it or pass `loss=` (e.g. "
                         "loss='sparse_categorical_crossentropy').")
    return list(zip(compiled.losses, compiled.weights))


def _batch_loss(terms, y, preds, penalties):
    values = [fn(target, pred) * weight if weight != 1.0 else fn(target, pred)
              for (fn, weight), target, pred in zip(terms, y, preds) if fn is not None]
    return sum(values[1:] + list(penalties), values[0])


def _gradients(model, chosen, x, y, loss, batch_size, training):
    """Gradients of the loss on all of ``x`` w.r.t. each layer's weights and output.

    The loss of each batch is scaled by ``batch / n`` so the sums over batches equal the
    gradients of the batch-size-weighted mean loss (the loss on all of ``x`` at once for losses
    that average over samples): one backward per batch, the sums read from the tape.
    """
    from numpynet.layers.symbolic import flatten
    from numpynet.models import data as data_utils

    hidden = [_layer_output(layer, "layer_distributions") for layer in chosen]
    sub = _submodel(model, hidden + list(model.outputs), "layer_gradients")
    n = len(x[0])
    weights = {layer.name: _layer_weights(layer) for layer in chosen}
    sums = {id(w): np.zeros_like(w.data) for ws in weights.values() for w in ws}
    activation_grads = {layer.name: [] for layer in chosen}
    terms = None
    for index in data_utils.batch_indices(n, batch_size, False):
        xb, yb = data_utils.take(x, index), data_utils.take(y, index)
        sub._clear_losses()
        flat = flatten(sub(xb, training=training))
        outs, preds = flat[:len(chosen)], flat[len(chosen):]
        for out in outs:
            out.retain_grad()
            out.grad = None
        terms = terms or _loss_terms(model, loss, yb, preds)
        total = _batch_loss(terms, yb, preds, sub.losses) * (len(xb[0]) / n)
        for w in model.weights:
            w.grad = None
        if total.requires_grad:
            total.backward()
        for ws in weights.values():
            for w in ws:
                if w.grad is not None:
                    sums[id(w)] = sums[id(w)] + w.grad
        for layer, out in zip(chosen, outs):
            activation_grads[layer.name].append(_output_gradient(out))
    return ({name: [sums[id(w)] for w in ws] for name, ws in weights.items()},
            {name: np.concatenate(parts) for name, parts in activation_grads.items()})


def _output_gradient(out):
    if out.grad is not None:
        return out.grad
    if out._keras_logits is not None:
        # A softmax/sigmoid output read by a cross-entropy: the loss is computed from its logits
        # (Keras' TensorFlow backend), so no gradient passes through the probabilities.
        return np.full_like(out.data, np.nan)
    return np.zeros_like(out.data)  # the loss does not depend on this output


@contextlib.contextmanager
def _model_state_kept(model):
    """Every ``.grad`` and the non-trainable weights (BatchNormalization's moving statistics)
    are as before when the block ends, however it ends."""
    saved_grads = [(w, w.grad) for w in model.weights]
    saved_state = [(w, w.data.copy()) for w in model.non_trainable_weights]
    try:
        yield
    finally:
        for w, grad in saved_grads:
            w.grad = grad
        for w, value in saved_state:
            w.assign(value)


def layer_distributions(model, x, y, loss=None, batch_size=256, layers=None, training=False):
    """Per-layer weights, activations and gradients of a model on data ``(x, y)``.

    * ``weights``: a copy of the layer's kernel; without a kernel, its trainable weights
      flattened and concatenated (BatchNormalization: gamma, beta); else an empty array.
    * ``activations``: the layer's output on ``x`` ``(samples, ...)``, from a sub-model run
      without a tape (as ``predict``).
    * ``gradients``: d loss / d ``weights``, the loss being the mean over all of ``x`` of the
      compiled loss (or ``loss``) plus the model's regularization penalties.
    * ``activation_gradients``: d loss / d output ``(samples, ...)`` (for a mean loss, row i is
      ``1/n`` times sample i's own gradient). NaN for a softmax/sigmoid output read by a
      cross-entropy: as in Keras, that loss is computed from the logits.

    One forward/backward pass per batch, each batch loss scaled by its share of ``x``. Weights
    are not changed and every ``.grad`` is restored afterwards.

    Args:
        model: a built model; compiled unless ``loss`` is given.
        x: inputs (an array, or a list/dict for several inputs).
        y: targets (an array, or a list/dict for several outputs).
        loss: optional loss identifier, function or object used instead of the compiled loss
            (applied to every output).
        batch_size: samples per forward pass.
        layers: layers or layer names; default every layer except the inputs.
        training: run the gradient pass in training mode: Dropout active (drawing from
            numpynet's random generator), BatchNormalization on batch statistics (its moving
            statistics are restored afterwards). The activations are always taken in
            inference mode.

    Returns:
        ``{layer name: {"weights", "activations", "gradients", "activation_gradients"}}``,
        plain NumPy arrays, in the order of ``layers``.

    Raises:
        ValueError: for an unbuilt or uncompiled model (without ``loss``), an unknown layer
            name, a layer without a single output, or ``x``/``y`` of different lengths.
    """
    from numpynet.models import data as data_utils

    chosen = _chosen_layers(model, layers, "layer_distributions")
    batch_size = data_utils.check_batch_size(batch_size)
    xs = data_utils.to_arrays(x, model.input_names, "x", model.name)
    ys = data_utils.to_arrays(y, model._target_names, "y", model.name)
    data_utils.check_lengths({"x": xs, "y": ys})
    activations = layer_outputs(model, xs, chosen, batch_size)
    with _model_state_kept(model):
        grads, activation_grads = _gradients(model, chosen, xs, ys, loss, batch_size, training)
    result = {}
    for layer in chosen:
        weights = [w.data for w in _layer_weights(layer)]
        dtype = weights[0].dtype if weights else activations[layer.name].dtype
        result[layer.name] = {
            "weights": _flat(weights, dtype),
            "activations": activations[layer.name],
            "gradients": _flat(grads[layer.name], dtype),
            "activation_gradients": activation_grads[layer.name],
        }
    return result
