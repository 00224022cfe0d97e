"""Differentiable primitives: each forward computation with its backward (VJP) right below it.

Read this file first. Every function takes tensors (or array-likes, which become constants),
computes its result with NumPy, and hands :meth:`Tensor.from_op` a closure ``vjp(g)`` that maps
the gradient ``g`` of the result to the gradient of each input. The formula of each VJP is in
the comment beside it. Broadcasting is undone and fan-out is summed by ``Tensor.backward``, so
a VJP may return a gradient of the broadcast shape.

Neural-network primitives (activations, softmax, fused cross-entropies) live in
:mod:`numpynet.nn_ops` and are re-exported here, so ``nn.ops.relu`` works.
"""

import builtins

import numpy as np

from numpynet.tensor import Tensor

_result = Tensor.from_op


def lift(x, like=None):
    """Returns ``x`` as a Tensor; array-likes become constants with ``like``'s dtype."""
    if isinstance(x, Tensor):
        return x
    return Tensor(x, dtype=like.dtype if isinstance(like, Tensor) else None)


def _pair(a, b):
    """Lifts two operands, giving a constant the dtype of the tensor beside it."""
    a = a if isinstance(a, Tensor) else lift(a, b)
    return a, (b if isinstance(b, Tensor) else lift(b, a))


# ---------------------------------------------------------------------- arithmetic
def add(a, b):
    a, b = _pair(a, b)
    # d(a+b)/da = 1, d(a+b)/db = 1
    return _result(a.data + b.data, (a, b), lambda g: (g, g), "add")


def subtract(a, b):
    a, b = _pair(a, b)
    # d(a-b)/da = 1, d(a-b)/db = -1 (not negated for a constant b, such as a loss's targets)
    return _result(a.data - b.data, (a, b), lambda g: (g, -g if b.requires_grad else None),
                   "subtract")


def multiply(a, b):
    a, b = _pair(a, b)
    # d(ab)/da = b, d(ab)/db = a (a constant operand needs no gradient: skip its product)
    return _result(a.data * b.data, (a, b),
                   lambda g: (g * b.data if a.requires_grad else None,
                              g * a.data if b.requires_grad else None), "multiply")


def divide(a, b):
    a, b = _pair(a, b)
    out = a.data / b.data
    # d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -out/b
    return _result(out, (a, b), lambda g: (g / b.data, -g * out / b.data), "divide")


def negative(x):
    x = lift(x)
    return _result(-x.data, (x,), lambda g: (-g,), "negative")


def power(a, b):
    a, b = _pair(a, b)
    out = a.data ** b.data

    def vjp(g):
        # d(a^b)/da = b·a^(b-1);  d(a^b)/db = a^b·log(a), defined where a > 0
        ga = g * b.data * a.data ** (b.data - 1) if a.requires_grad else None
        gb = None
        if b.requires_grad:
            positive = a.data > 0
            gb = g * np.where(positive, out * np.log(np.where(positive, a.data, 1)), 0)
        return ga, gb

    return _result(out, (a, b), vjp, "power")


def square(x):
    x = lift(x)
    # d(x²)/dx = 2x
    return _result(np.square(x.data), (x,), lambda g: (g * 2.0 * x.data,), "square")


def sqrt(x):
    x = lift(x)
    out = np.sqrt(x.data)
    # d√x/dx = 1/(2√x)
    return _result(out, (x,), lambda g: (g * 0.5 / out,), "sqrt")


def exp(x):
    x = lift(x)
    out = np.exp(x.data)
    # d(eˣ)/dx = eˣ: reuse the forward result
    return _result(out, (x,), lambda g: (g * out,), "exp")


def log(x):
    x = lift(x)
    # d(log x)/dx = 1/x
    return _result(np.log(x.data), (x,), lambda g: (g / x.data,), "log")


def log1p(x):
    x = lift(x)
    # d(log(1+x))/dx = 1/(1+x)
    return _result(np.log1p(x.data), (x,), lambda g: (g / (1.0 + x.data),), "log1p")


def abs(x):  # noqa: A001 (mirrors keras.ops.abs)
    x = lift(x)
    # d|x|/dx = sign(x) (0 at 0, as TensorFlow)
    return _result(np.abs(x.data), (x,), lambda g: (g * np.sign(x.data),), "abs")


def sign(x):
    x = lift(x)
    # piecewise constant: zero gradient everywhere it is defined
    return _result(np.sign(x.data), (x,), lambda g: (np.zeros_like(x.data),), "sign")


def maximum(a, b):
    a, b = _pair(a, b)
    a_wins = a.data >= b.data  # ties send the gradient to `a`, as TensorFlow does
    return _result(np.maximum(a.data, b.data), (a, b),
                   lambda g: (g * a_wins, g * ~a_wins), "maximum")


def minimum(a, b):
    a, b = _pair(a, b)
    a_wins = a.data <= b.data
    return _result(np.minimum(a.data, b.data), (a, b),
                   lambda g: (g * a_wins, g * ~a_wins), "minimum")


def clip(x, min_value, max_value):
    x = lift(x)
    # bounds take x's dtype: a NumPy float64 bound would upcast a float32 result
    min_value, max_value = (np.asarray(getattr(v, "data", v), x.dtype)
                            for v in (min_value, max_value))
    inside = (x.data >= min_value) & (x.data <= max_value)
    # the gradient passes where x is inside [min, max] (bounds included, as tf.clip_by_value)
    return _result(np.clip(x.data, min_value, max_value), (x,), lambda g: (g * inside,), "clip")


def where(condition, a, b):
    a, b = _pair(a, b)
    condition = np.asarray(condition.data if isinstance(condition, Tensor) else condition, bool)
    zero = np.zeros((), a.dtype)
    # the gradient goes to whichever input was chosen
    return _result(np.where(condition, a.data, b.data), (a, b),
                   lambda g: (np.where(condition, g, zero), np.where(condition, zero, g)), "where")


def equal(a, b):
    """Elementwise ``a == b`` as a boolean ndarray (no gradient)."""
    return np.equal(getattr(a, "data", a), getattr(b, "data", b))


# ---------------------------------------------------------------------- linear algebra
def matmul(a, b):
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(
            f"matmul: cannot multiply shapes {a.shape} and {b.shape}: the last axis of the first "
            f"({a.shape[-1] if a.ndim else 'scalar'}) must equal the "
            f"{'second-to-last' if b.ndim > 1 else 'only'} axis of the second."
        )
    try:
        out = a.data @ b.data
    except ValueError:
        raise ValueError(
            f"matmul: cannot multiply shapes {a.shape} and {b.shape}: their batch axes "
            f"{a.shape[:-2]} and {b.shape[:-2]} do not broadcast."
        ) from None

    def vjp(g):
        A, B = a.data, b.data
        if A.ndim == 1 and B.ndim == 1:  # dot product: d(a·b)/da = b
            return g * B, g * A
        if A.ndim == 1:  # (k) @ (..., k, n)
            return (B @ g[..., None])[..., 0], A[:, None] * g[..., None, :]
        if B.ndim == 1:  # (..., m, k) @ (k)
            return g[..., None] * B, (np.swapaxes(A, -1, -2) @ g[..., None])[..., 0]
        # C = A B:  dA = G Bᵀ,  dB = Aᵀ G  (transposes are views: no copies). A constant
        # operand, such as the data fed to a first layer, gets no gradient: its GEMM is skipped.
        return (g @ np.swapaxes(B, -1, -2) if a.requires_grad else None,
                np.swapaxes(A, -1, -2) @ g if b.requires_grad else None)

    return _result(out, (a, b), vjp, "matmul")


# ---------------------------------------------------------------------- reductions
def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(a % ndim if ndim else 0 for a in axis)


def _expand(g, x, axis, keepdims):
    """Reshapes a reduced gradient so it broadcasts against the reduced input."""
    if keepdims or x.ndim == 0:
        return g
    return np.expand_dims(g, _axes(axis, x.ndim))


def sum(x, axis=None, keepdims=False):  # noqa: A001
    x = lift(x)
    # every input element contributes once: broadcast g back over the reduced axes
    return _result(np.sum(x.data, axis=axis, keepdims=keepdims), (x,),
                   lambda g: (np.broadcast_to(_expand(g, x, axis, keepdims), x.shape),), "sum")


def mean(x, axis=None, keepdims=False):
    x = lift(x)
    count = int(np.prod([x.shape[a] for a in _axes(axis, x.ndim)]))
    # each element contributes 1/count
    return _result(np.mean(x.data, axis=axis, keepdims=keepdims), (x,),
                   lambda g: (np.broadcast_to(_expand(g, x, axis, keepdims) / count, x.shape),),
                   "mean")


def _extreme(x, axis, keepdims, reduce, name):
    x = lift(x)
    out = reduce(x.data, axis=axis, keepdims=True)

    def vjp(g):
        # ties share the gradient equally, as tf.reduce_max does
        winners = x.data == out
        share = winners / np.sum(winners, axis=axis, keepdims=True)
        return (_expand(g, x, axis, keepdims) * share.astype(x.dtype),)

    return _result(out if keepdims else np.squeeze(out, _axes(axis, x.ndim)), (x,), vjp, name)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return _extreme(x, axis, keepdims, np.max, "max")


def min(x, axis=None, keepdims=False):  # noqa: A001
    return _extreme(x, axis, keepdims, np.min, "min")


def var(x, axis=None, keepdims=False):
    """Biased variance, composed from primitives (no backward of its own)."""
    centred = subtract(x, mean(x, axis, keepdims=True))
    return mean(square(centred), axis, keepdims)


def std(x, axis=None, keepdims=False):
    """Biased standard deviation: ``sqrt(var(x))``."""
    return sqrt(var(x, axis, keepdims))


def logsumexp(x, axis=None, keepdims=False):
    x = lift(x)
    peak = np.max(x.data, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)  # shift by the max so exp never overflows
    summed = np.sum(np.exp(x.data - peak), axis=axis, keepdims=True)
    out = np.log(summed) + peak
    # d logΣe^x / dx = softmax(x)
    vjp = lambda g: (_expand(g, x, axis, keepdims) * np.exp(x.data - out),)  # noqa: E731
    return _result(out if keepdims else np.squeeze(out, _axes(axis, x.ndim)), (x,), vjp,
                   "logsumexp")


# ---------------------------------------------------------------------- shapes
def reshape(x, shape):
    x = lift(x)
    return _result(np.reshape(x.data, shape), (x,), lambda g: (np.reshape(g, x.shape),), "reshape")


def transpose(x, axes=None):
    x = lift(x)
    # axes are taken modulo ndim first: argsort of (-1, 0, 1) would not invert (2, 0, 1)
    inverse = None if axes is None else tuple(np.argsort([a % x.ndim for a in axes]))
    # transposing back with the inverse permutation routes each gradient to its element
    return _result(np.transpose(x.data, axes), (x,), lambda g: (np.transpose(g, inverse),),
                   "transpose")


def expand_dims(x, axis):
    x = lift(x)
    return _result(np.expand_dims(x.data, axis), (x,), lambda g: (np.reshape(g, x.shape),),
                   "expand_dims")


def squeeze(x, axis=None):
    x = lift(x)
    return _result(np.squeeze(x.data, axis), (x,), lambda g: (np.reshape(g, x.shape),), "squeeze")


def broadcast_to(x, shape):
    x = lift(x)
    # Tensor.backward sums the broadcast gradient back to x's shape
    return _result(np.broadcast_to(x.data, shape), (x,), lambda g: (g,), "broadcast_to")


def concatenate(tensors, axis=-1):
    tensors = [lift(t) for t in tensors]
    try:
        out = np.concatenate([t.data for t in tensors], axis=axis)
    except ValueError as error:
        raise ValueError(
            f"concatenate(axis={axis}): shapes {[t.shape for t in tensors]} differ outside the "
            f"concatenation axis ({error})."
        ) from None
    bounds = np.cumsum([t.shape[axis] for t in tensors])[:-1]
    # each input receives its own slice of the gradient
    return _result(out, tensors, lambda g: tuple(np.split(g, bounds, axis=axis)), "concatenate")


def stack(tensors, axis=0):
    tensors = [lift(t) for t in tensors]
    out = np.stack([t.data for t in tensors], axis=axis)
    return _result(out, tensors, lambda g: tuple(np.moveaxis(g, axis, 0)), "stack")


def getitem(x, index):
    x = lift(x)
    if isinstance(index, Tensor):
        index = index.data

    def vjp(g):
        # scatter the gradient back; np.add.at sums where an index repeats
        full = np.zeros_like(x.data)
        np.add.at(full, index, g)
        return (full,)

    return _result(x.data[index], (x,), vjp, "getitem")


def split(x, indices_or_sections, axis=0):
    """Splits ``x`` like ``np.split``; each piece is a slice with its own VJP."""
    x = lift(x)
    pieces, start = [], 0
    for part in np.split(np.empty(x.shape[axis], bool), indices_or_sections):
        index = [builtins.slice(None)] * x.ndim
        index[axis] = builtins.slice(start, start + len(part))
        pieces.append(getitem(x, tuple(index)))
        start += len(part)
    return pieces


def take(x, indices, axis=None):
    x = lift(x)
    indices = np.asarray(getattr(indices, "data", indices))
    if axis is None:
        return getitem(reshape(x, (-1,)), indices)
    index = [builtins.slice(None)] * x.ndim
    index[axis % x.ndim] = indices
    return getitem(x, tuple(index)) if indices.ndim <= 1 else _take_nd(x, indices, axis)


def _take_nd(x, indices, axis):
    flat = take(x, indices.reshape(-1), axis)
    axis = axis % x.ndim
    return reshape(flat, x.shape[:axis] + indices.shape + x.shape[axis + 1:])


def one_hot(indices, depth, dtype=None):
    """One-hot encodes integer ``indices`` (no gradient: labels are constants)."""
    indices = np.asarray(getattr(indices, "data", indices))
    fractional = indices[indices != np.round(indices)] if indices.dtype.kind == "f" else ()
    if len(fractional):
        raise ValueError(
            f"one_hot expects integer class indices, got values like {fractional[0]}."
        )
    indices = indices.astype(np.int64)
    out = np.zeros(indices.shape + (depth,), dtype=dtype or Tensor(0.0).dtype)
    valid = (indices >= 0) & (indices < depth)  # out-of-range indices give all zeros, as Keras
    np.put_along_axis(out, np.where(valid, indices, 0)[..., None], valid[..., None], axis=-1)
    return Tensor(out, dtype=out.dtype)




def cast(x, dtype):
    """Casts to another float type; the gradient is cast back to the input's dtype."""
    x = lift(x)
    dtype = np.dtype(dtype)
    if x.dtype == dtype:
        return x
    return _result(x.data.astype(dtype), (x,), lambda g: (g.astype(x.dtype),), "cast")


from numpynet.nn_ops import *  # noqa: E402,F401,F403  (activations and fused losses)
