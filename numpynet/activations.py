"""Activation functions by name, as in `keras.activations`.

Each activation takes a Tensor or an array and returns a Tensor (``linear`` returns its input
unchanged, as Keras). Those with a primitive in :mod:`numpynet.ops` call it; the others are
compositions of ops (``where``, ``maximum``, ``clip``, ``exp``, ...), so none has backward code
of its own: their gradients come from the primitives they are made of.

``sigmoid`` and ``softmax`` return the tensor of ``ops.sigmoid``/``ops.softmax`` unchanged: it
carries ``_keras_logits`` (Keras' TensorFlow-backend quirk), which cross-entropy with
``from_logits=False`` reads to compute from the logits instead of clipped probabilities.
"""

import numpy as np

from numpynet import ops
from numpynet.custom_objects import with_scopes
from numpynet.tensor import Tensor


def _tensor(x):
    """Tensors pass through; float arrays keep their dtype, other array-likes become floatx."""
    if isinstance(x, Tensor):
        return x
    array = np.asarray(x)
    return Tensor(array, dtype=array.dtype if array.dtype.kind == "f" else None)


# ---------------------------------------------------------------------- ReLU family
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit ``max(x, 0)``, optionally leaky, capped or shifted (Keras' ReLU).

    Args:
        x: input tensor.
        negative_slope: slope below ``threshold``.
        max_value: the largest value returned (None: no cap).
        threshold: values below it are damped (set to 0, or sloped by ``negative_slope``).
    """
    x = _tensor(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    # Keras' order: damp below the threshold, cap, then subtract the negative part.
    negative_part = ops.relu(threshold - x) if negative_slope != 0.0 else None
    clip_max = max_value is not None
    if threshold != 0:
        y = ops.where(x.data > threshold, x, 0.0)
    elif max_value == 6:
        y, clip_max = ops.relu6(x), False
    else:
        y = ops.relu(x)
    if clip_max:
        y = ops.clip(y, 0.0, float(max_value))
    if negative_part is not None:
        y = y - negative_slope * negative_part
    return y


def leaky_relu(x, negative_slope=0.2):
    """``x`` for x > 0, ``negative_slope·x`` otherwise (Keras' default slope is 0.2)."""
    return ops.leaky_relu(_tensor(x), negative_slope=negative_slope)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return ops.relu6(_tensor(x))


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` for x > 0, ``alpha·(eˣ - 1)`` otherwise."""
    return ops.elu(_tensor(x), alpha=alpha)


def selu(x):
    """Scaled ELU, ``scale·elu(x, alpha)`` with alpha ≈ 1.6733, scale ≈ 1.0507 (Klambauer 2017)."""
    return ops.selu(_tensor(x))


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``max(x, 0) + alpha·(exp(min(x, 0)/alpha) - 1)``."""
    x = _tensor(x)
    return ops.maximum(x, 0.0) + alpha * (ops.exp(ops.minimum(x, 0.0) / alpha) - 1.0)


# ---------------------------------------------------------------------- smooth units
def softplus(x):
    """``log(1 + eˣ)``."""
    return ops.softplus(_tensor(x))


def softsign(x):
    """``x / (1 + |x|)``."""
    return ops.softsign(_tensor(x))


def squareplus(x, b=4):
    """``(x + sqrt(x² + b)) / 2``, a smooth ReLU (b is the smoothness)."""
    x = _tensor(x)
    return (x + ops.sqrt(ops.square(x) + float(b))) / 2.0


def silu(x):
    """SiLU (swish): ``x·sigmoid(x)``."""
    return ops.silu(_tensor(x))


def gelu(x, approximate=False):
    """Gaussian error linear unit ``x·Φ(x)``; ``approximate=True`` uses the tanh formula."""
    return ops.gelu(_tensor(x), approximate=approximate)


def mish(x):
    """``x·tanh(softplus(x))`` (Misra, 2019)."""
    x = _tensor(x)
    return x * ops.tanh(ops.softplus(x))


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(_tensor(x))


def tanh_shrink(x):
    """``x - tanh(x)``."""
    x = _tensor(x)
    return x - ops.tanh(x)


def sigmoid(x):
    """``1 / (1 + e⁻ˣ)``; the result carries its logits for cross-entropy (see module doc)."""
    return ops.sigmoid(_tensor(x))


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``."""
    return ops.log_sigmoid(_tensor(x))


def exponential(x):
    """``eˣ``."""
    return ops.exp(_tensor(x))


def linear(x):
    """Identity: returns ``x`` unchanged (the activation of ``activation=None``)."""
    return x


# ---------------------------------------------------------------------- piecewise-linear units
def hard_sigmoid(x):
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, ``x/6 + 0.5`` in between."""
    return ops.hard_sigmoid(_tensor(x))


def hard_silu(x):
    """Hard SiLU (hard swish): ``x·hard_sigmoid(x)``."""
    x = _tensor(x)
    return x * ops.hard_sigmoid(x)


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return ops.clip(_tensor(x), -1.0, 1.0)


def sparse_sigmoid(x):
    """0 for x ≤ -1, 1 for x ≥ 1, ``(x + 1)/2`` in between."""
    x = _tensor(x)
    return ops.where(x.data <= -1.0, 0.0, ops.where(x.data >= 1.0, 1.0, 0.5 * (x + 1.0)))


def sparse_plus(x):
    """0 for x ≤ -1, x for x ≥ 1, ``(x + 1)²/4`` in between."""
    x = _tensor(x)
    return ops.where(x.data <= -1.0, 0.0, ops.where(x.data < 1.0, 0.25 * ops.square(x + 1.0), x))


def soft_shrink(x, threshold=0.5):
    """Shrinks towards 0: ``x - t`` above t, ``x + t`` below -t, 0 in between."""
    x = _tensor(x)
    return ops.where(x.data > threshold, x - threshold,
                     ops.where(x.data < -threshold, x + threshold, 0.0))


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    x = _tensor(x)
    return ops.where(np.abs(x.data) > threshold, x, 0.0)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value`` (both arguments required, as Keras)."""
    x = _tensor(x)
    return ops.where(x.data > threshold, x, float(default_value))


# ---------------------------------------------------------------------- along an axis
def softmax(x, axis=-1):
    """``exp(x) / Σ exp(x)`` along ``axis``; the result carries its logits (see module doc)."""
    return ops.softmax(_tensor(x), axis=axis)


def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` along ``axis``."""
    return ops.log_softmax(_tensor(x), axis=axis)


def glu(x, axis=-1):
    """Gated linear unit: split ``x`` in halves ``a, b`` along ``axis``; ``a·sigmoid(b)``.

    Raises:
        ValueError: if the size of ``axis`` is odd.
    """
    x = _tensor(x)
    if x.shape[axis] % 2 != 0:
        raise ValueError("glu: axis size must be divisible by 2. "
                         f"Received: x.shape={x.shape} with axis={axis}")
    a, b = ops.split(x, 2, axis=axis)
    return a * ops.sigmoid(b)


def sparsemax(x, axis=-1):
    """Euclidean projection of ``x`` onto the simplex: ``max(x - τ, 0)`` (Martins et al., 2016).

    τ is chosen so the outputs sum to 1. The support (which entries are > 0) is found with NumPy
    (it is piecewise constant, so it has no gradient); τ and the output are built from ops.
    Keras 3.15.1 differs: it builds τ from the sum of the cumulative sums over the support
    (keras-team/keras#23425, fixed upstream by #23469), so its outputs do not sum to 1 whenever
    more than one entry is in the support. numpynet follows the paper and the fix.
    """
    x = _tensor(x)
    z = np.flip(np.sort(x.data, axis=axis), axis=axis)  # descending
    shape = [1] * x.ndim
    shape[axis] = -1
    r = np.arange(1, x.shape[axis] + 1, dtype=x.dtype).reshape(shape)
    k = np.sum(z - (np.cumsum(z, axis=axis) - 1.0) / r > 0, axis=axis, keepdims=True)
    kth_largest = np.take_along_axis(z, k - 1, axis=axis)
    support = x.data >= kth_largest  # the k largest entries (ties share the same fate)
    in_support = ops.sum(ops.where(support, x, 0.0), axis=axis, keepdims=True)
    tau = (in_support - 1.0) / k.astype(x.dtype)
    return ops.maximum(x - tau, 0.0)


swish = silu
hard_swish = hard_silu

_ALL = (relu, leaky_relu, relu6, softmax, celu, elu, selu, softplus, softsign, squareplus,
        soft_shrink, sparse_plus, silu, gelu, glu, tanh, tanh_shrink, threshold, sigmoid,
        sparse_sigmoid, exponential, hard_sigmoid, hard_silu, hard_tanh, hard_shrink, linear,
        mish, log_softmax, log_sigmoid, sparsemax)
# Keras' table (activations/__init__.py): each function by its name, plus two aliases.
ALL_OBJECTS_DICT = {fn.__name__: fn for fn in _ALL}
ALL_OBJECTS_DICT.update({"swish": silu, "hard_swish": hard_silu})


def serialize(activation):
    """Returns the name of a built-in activation (``swish`` gives ``"silu"``, as in Keras).

    A custom function gives Keras' function form ``{"class_name": "function", "config": name}``,
    which :func:`deserialize` resolves through ``custom_objects``.

    Raises:
        ValueError: if ``activation`` is not callable.
    """
    name = getattr(activation, "__name__", None)
    if name is not None and ALL_OBJECTS_DICT.get(name) is activation:
        return name
    if not callable(activation):
        raise ValueError(f"Unknown activation function {activation!r} cannot be serialized: "
                         "expected a callable or one of the names "
                         f"{sorted(ALL_OBJECTS_DICT)}.")
    name = name or type(activation).__name__
    return {"module": getattr(activation, "__module__", None), "class_name": "function",
            "config": name, "registered_name": name}


def deserialize(config, custom_objects=None):
    """Returns the activation named ``config`` (or Keras' ``{"config": name}`` dict form).

    Raises:
        ValueError: for an unknown name (the message lists the valid names).
    """
    custom_objects = with_scopes(custom_objects)  # and the scopes of load_model
    objects = {**ALL_OBJECTS_DICT, **(custom_objects or {})}
    name = config.get("config") if isinstance(config, dict) else config
    if not isinstance(name, str) or name not in objects:
        raise ValueError(f"Could not interpret activation function identifier: {config!r}. "
                         f"Valid names are: {sorted(objects)}.")
    return objects[name]


def get(identifier):
    """Returns an activation from None (``linear``), a name, a config dict or a callable.

    Raises:
        ValueError: if ``identifier`` cannot be interpreted (unknown names list the valid ones).
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}. "
                     "Expected None, a name such as 'relu', or a callable.")
