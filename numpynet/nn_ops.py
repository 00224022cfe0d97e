"""Neural-network primitives: activations, the fused cross-entropies and Dense's fused kernel.

Same pattern as :mod:`numpynet.ops`: forward with NumPy, then the VJP with its formula. These are
primitives (rather than compositions) because their derivatives reuse the forward output, which
is both faster and more accurate. ``ops`` re-exports everything in ``__all__``; :func:`dense`,
the fast path of ``layers.Dense``, stays here.
"""

import math

import numpy as np

from numpynet.tensor import Tensor

_result = Tensor.from_op

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "hard_sigmoid", "log_sigmoid",
    "tanh", "softplus", "softsign", "silu", "swish", "gelu", "softmax", "log_softmax",
    "softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits",
    "sigmoid_cross_entropy_with_logits",
]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _lift(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _lift_like(labels, logits):
    """Constant labels take the logits' dtype (float64 labels must not be rounded to float32)."""
    return labels if isinstance(labels, Tensor) else Tensor(labels, dtype=logits.dtype)


# ---------------------------------------------------------------------- fused Dense
# Dense's fast path rather than a building block, so `ops` does not re-export it (not in __all__).
def dense(x, kernel, bias=None, activation=None):
    """Fused fully connected layer: ``relu(x @ kernel + bias)``, or ``x @ kernel + bias``.

    Same numbers as the composition ``relu(add(matmul(x, kernel), bias))``, fused for speed:
    Dense layers do most of the work of a multilayer perceptron, and here they make one tape
    node instead of three and write the bias and the ReLU into the matmul's output instead of
    allocating two more arrays of the output's size.

    Args:
        x: inputs of shape ``(batch, input_dim)``.
        kernel: weights of shape ``(input_dim, units)``.
        bias: optional vector of shape ``(units,)``.
        activation: None (linear) or ``"relu"``; apply any other activation to the result.

    Returns:
        A tensor of shape ``(batch, units)``.

    Raises:
        ValueError: for shapes that do not fit or an activation other than None or "relu".
    """
    x, kernel, bias = _lift(x), _lift(kernel), None if bias is None else _lift(bias)
    if activation not in (None, "relu"):
        raise ValueError(f"dense: activation must be None or 'relu', got {activation!r}; "
                         "apply other activations to the linear result.")
    if x.ndim != 2 or kernel.ndim != 2 or x.shape[1] != kernel.shape[0] or (
            bias is not None and bias.shape != kernel.shape[1:]):
        raise ValueError(f"dense: expected x (batch, n), kernel (n, units) and bias (units,); "
                         f"got shapes {x.shape}, {kernel.shape} and "
                         f"{None if bias is None else bias.shape}.")
    out = x.data @ kernel.data
    if bias is not None:
        out += bias.data  # z = x W + b, written into the product: no second array
    if activation == "relu":
        np.maximum(out, 0, out=out)
    parents = (x, kernel) if bias is None else (x, kernel, bias)

    def vjp(g):
        if activation == "relu":
            g = g * (out > 0)  # relu'(z) = 1 where z > 0, i.e. where the output is > 0
        # z = x W + b:  dx = G Wᵀ,  dW = xᵀ G,  db = Σ_batch G; none for a constant (the data)
        grads = (g @ kernel.data.T if x.requires_grad else None,
                 x.data.T @ g if kernel.requires_grad else None)
        if bias is None:
            return grads
        return grads + (g.sum(axis=0) if bias.requires_grad else None,)

    return _result(out, parents, vjp, "dense")


def relu(x):
    x = _lift(x)
    # relu'(x) = 1 where x > 0, else 0 (0 at x = 0, as tf.nn.relu)
    return _result(np.maximum(x.data, 0), (x,), lambda g: (g * (x.data > 0),), "relu")


def relu6(x):
    x = _lift(x)
    # slope 1 strictly between 0 and 6
    return _result(np.clip(x.data, 0, 6), (x,), lambda g: (g * ((x.data > 0) & (x.data < 6)),),
                   "relu6")


def leaky_relu(x, negative_slope=0.2):
    x = _lift(x)
    positive = x.data > 0
    slope = np.where(positive, 1.0, negative_slope).astype(x.dtype)
    # f'(x) = 1 for x > 0, negative_slope otherwise
    return _result(x.data * slope, (x,), lambda g: (g * slope,), "leaky_relu")


def elu(x, alpha=1.0):
    x = _lift(x)
    alpha = float(alpha)  # a NumPy float64 alpha would upcast a float32 result
    positive = x.data > 0
    out = np.where(positive, x.data, alpha * np.expm1(np.minimum(x.data, 0)))
    # f'(x) = 1 for x > 0, alpha·eˣ = f(x) + alpha otherwise
    return _result(out, (x,), lambda g: (np.where(positive, g, g * (out + alpha)),), "elu")


def selu(x):
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017)."""
    x = _lift(x)
    negative = x.data < 0
    out = SELU_SCALE * np.where(negative, SELU_ALPHA * np.expm1(np.minimum(x.data, 0)), x.data)
    # f'(x) = scale for x >= 0 (slope `scale` at 0, as tf.nn.selu), f(x) + scale·alpha below 0
    return _result(out, (x,), lambda g: (np.where(negative, g * (out + SELU_SCALE * SELU_ALPHA),
                                                  g * SELU_SCALE),), "selu")


def sigmoid(x):
    x = _lift(x)
    with np.errstate(over="ignore"):  # exp(-x) = inf for x < -88 gives the right limit, 0
        out = 1.0 / (1.0 + np.exp(-x.data))
    # σ'(x) = σ(x)(1 - σ(x))
    result = _result(out, (x,), lambda g: (g * out * (1.0 - out),), "sigmoid")
    # Keras' TF backend remembers the logits so cross-entropy can use them (KERAS_NOTES.md).
    result._keras_logits = x
    return result


def hard_sigmoid(x):
    x = _lift(x)
    inside = (x.data > -3) & (x.data < 3)
    # Keras 3: relu6(x + 3) / 6, slope 1/6 on (-3, 3)
    return _result(np.clip(x.data / 6.0 + 0.5, 0, 1), (x,), lambda g: (g * inside / 6.0,),
                   "hard_sigmoid")


def log_sigmoid(x):
    """log σ(x) = -softplus(-x), stable for large |x|."""
    return -softplus(-_lift(x))


def tanh(x):
    x = _lift(x)
    out = np.tanh(x.data)
    # tanh'(x) = 1 - tanh²(x)
    return _result(out, (x,), lambda g: (g * (1.0 - out * out),), "tanh")


def softplus(x):
    x = _lift(x)
    # log(1 + eˣ) = max(x, 0) + log1p(e^-|x|): never overflows
    out = np.maximum(x.data, 0) + np.log1p(np.exp(-np.abs(x.data)))

    def vjp(g):
        with np.errstate(over="ignore"):
            return (g / (1.0 + np.exp(-x.data)),)  # softplus'(x) = σ(x)

    return _result(out, (x,), vjp, "softplus")


def softsign(x):
    x = _lift(x)
    denominator = 1.0 + np.abs(x.data)
    # d/dx x/(1+|x|) = 1/(1+|x|)²
    return _result(x.data / denominator, (x,), lambda g: (g / (denominator * denominator),),
                   "softsign")


def silu(x):
    x = _lift(x)
    with np.errstate(over="ignore"):
        s = 1.0 / (1.0 + np.exp(-x.data))
    # d/dx x·σ(x) = σ(x)·(1 + x·(1 - σ(x)))
    return _result(x.data * s, (x,), lambda g: (g * s * (1.0 + x.data * (1.0 - s)),), "silu")


swish = silu


def _erf(values):
    try:
        from scipy.special import erf
    except ImportError:  # numpy has no erf; math.erf is exact but slow
        return np.vectorize(math.erf, otypes=[values.dtype])(values)
    return erf(values).astype(values.dtype)


def gelu(x, approximate=False):
    """GELU, exact (``0.5x(1 + erf(x/√2))``, Keras' default) or with Keras' tanh approximation."""
    x = _lift(x)
    v = x.data
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        t = np.tanh(c * (v + 0.044715 * v**3))
        out = 0.5 * v * (1.0 + t)
        # d/dx: 0.5(1+t) + 0.5x(1-t²)·c(1 + 3·0.044715x²)
        derivative = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * c * (1.0 + 0.134145 * v * v)
    else:
        cdf = 0.5 * (1.0 + _erf(v / math.sqrt(2.0)))
        out = v * cdf
        # d/dx x·Φ(x) = Φ(x) + x·φ(x)
        derivative = cdf + v * np.exp(-0.5 * v * v) / math.sqrt(2.0 * math.pi)
    return _result(out, (x,), lambda g: (g * derivative,), "gelu")


def softmax(x, axis=-1):
    x = _lift(x)
    e = np.exp(x.data - np.max(x.data, axis=axis, keepdims=True))
    out = e / np.sum(e, axis=axis, keepdims=True)
    # Jacobian-vector product of softmax: s ⊙ (g - Σ g⊙s)
    vjp = lambda g: (out * (g - np.sum(g * out, axis=axis, keepdims=True)),)  # noqa: E731
    result = _result(out, (x,), vjp, "softmax")
    result._keras_logits = x  # see sigmoid: categorical cross-entropy reads these logits
    return result


def log_softmax(x, axis=-1):
    x = _lift(x)
    shifted = x.data - np.max(x.data, axis=axis, keepdims=True)
    out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    # d log_softmax: g - softmax·Σg
    vjp = lambda g: (g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),)  # noqa: E731
    return _result(out, (x,), vjp, "log_softmax")


# ---------------------------------------------------------------------- fused losses
def softmax_cross_entropy_with_logits(labels, logits, axis=-1):
    """Per-sample ``-Σ labels·log_softmax(logits)``, fused for stability (as tf.nn's).

    Returns:
        A tensor of the logits' shape without ``axis``.
    """
    logits = _lift(logits)
    labels = _lift_like(labels, logits)
    shifted = logits.data - np.max(logits.data, axis=axis, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    loss = -np.sum(labels.data * log_probs, axis=axis)

    def vjp(g):
        g = np.expand_dims(g, axis)
        # d/dlogits = softmax - labels (TensorFlow's formula); d/dlabels = -log_softmax
        return -g * log_probs, g * (np.exp(log_probs) - labels.data)

    return _result(loss, (labels, logits), vjp, "softmax_cross_entropy_with_logits")


def sparse_softmax_cross_entropy_with_logits(labels, logits):
    """Per-sample cross-entropy with integer ``labels`` over the last axis of ``logits``."""
    logits = _lift(logits)
    labels = np.asarray(getattr(labels, "data", labels)).astype(np.int64)
    classes = logits.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = labels[(labels < 0) | (labels >= classes)][0]
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: label {bad} is out of range: "
                         f"the logits have {classes} classes, so labels must be in [0, {classes}).")
    shifted = logits.data - np.max(logits.data, axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, labels[..., None], axis=-1)[..., 0]

    def vjp(g):
        # d/dlogits = softmax - one_hot(labels)
        grad = np.exp(log_probs)
        np.put_along_axis(grad, labels[..., None],
                          np.take_along_axis(grad, labels[..., None], axis=-1) - 1.0, axis=-1)
        return (g[..., None] * grad,)

    return _result(-picked, (logits,), vjp, "sparse_softmax_cross_entropy_with_logits")


def sigmoid_cross_entropy_with_logits(labels, logits):
    """Elementwise ``-z·log σ(x) - (1-z)·log(1-σ(x))`` in tf.nn's overflow-free form."""
    logits = _lift(logits)
    labels = _lift_like(labels, logits)
    x, z = logits.data, labels.data
    loss = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))

    def vjp(g):
        with np.errstate(over="ignore"):
            s = 1.0 / (1.0 + np.exp(-x))
        # d/dx = σ(x) - z;  d/dz = -x
        return g * -x, g * (s - z)

    return _result(loss, (labels, logits), vjp, "sigmoid_cross_entropy_with_logits")
