"""Numerical gradient checking: compare backprop with finite differences, in float64.

Use it on your own functions:

    >>> import numpynet as nn
    >>> nn.gradcheck.check_grads(lambda a, b: nn.ops.tanh(a @ b), np.ones((2, 3)), np.ones((3, 4)))

The output is projected on a random direction ``r`` so any output shape reduces to the scalar
``L = Σ r ⊙ f(x)``. Backprop gives ``∇L`` at once; finite differences check it along random
directions ``v`` (``(L(x+εv) - L(x-εv)) / 2ε ≈ ∇L·v``), which works for inputs of any size, and
element by element for tiny inputs (HIPS/autograd's approach).
"""

import numpy as np

from numpynet.tensor import Tensor


class GradientCheckError(AssertionError):
    """Raised when an analytic gradient disagrees with finite differences."""


def numerical_gradient(fn, inputs, index, eps=1e-6):
    """Central-difference gradient of the scalar ``sum(fn(*inputs))`` w.r.t. ``inputs[index]``."""
    inputs = [np.array(x, dtype=np.float64) for x in inputs]
    x = inputs[index]
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + eps
        plus = _scalar(fn, inputs)
        x[i] = original - eps
        minus = _scalar(fn, inputs)
        x[i] = original
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def _scalar(fn, arrays):
    out = fn(*[Tensor(a, dtype=np.float64) for a in arrays])
    return float(np.sum(out.data))


def check_grads(fn, *inputs, eps=1e-6, rtol=1e-5, atol=1e-7, directions=3, elementwise_max=64,
                seed=0):
    """Checks every input gradient of ``fn`` against central finite differences, in float64.

    Args:
        fn: function of tensors returning a tensor (any shape).
        *inputs: array-likes; each is checked (cast to float64).
        eps: finite-difference step.
        rtol, atol: tolerances of ``|analytic - numeric| <= atol + rtol·|numeric|``.
        directions: random directions checked per input.
        elementwise_max: inputs with at most this many elements are also checked element by element.
        seed: seed of the random projections (independent of numpynet's generator).

    Returns:
        The list of analytic gradients (float64 ndarrays), one per input.

    Raises:
        GradientCheckError: naming the input and the direction that disagrees, with both values.
    """
    rng = np.random.default_rng(seed)
    arrays = [np.array(x, dtype=np.float64) for x in inputs]
    tensors = [Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]
    out = fn(*tensors)
    if out.dtype != np.float64:
        raise GradientCheckError(f"check_grads: fn returned {out.dtype} for float64 inputs.")
    projection = rng.standard_normal(out.shape)
    out.backward(projection)
    analytic = [t.grad if t.grad is not None else np.zeros_like(t.data) for t in tensors]

    def projected(*xs):
        return fn(*xs) * Tensor(projection, dtype=np.float64)

    for k, x in enumerate(arrays):
        for d in range(directions):
            v = rng.standard_normal(x.shape)
            plus = [a + eps * v if i == k else a for i, a in enumerate(arrays)]
            minus = [a - eps * v if i == k else a for i, a in enumerate(arrays)]
            numeric = (_scalar(projected, plus) - _scalar(projected, minus)) / (2 * eps)
            exact = float(np.sum(analytic[k] * v))
            if abs(exact - numeric) > atol + rtol * max(abs(numeric), abs(exact)):
                raise GradientCheckError(
                    f"gradient of input {k} (shape {x.shape}) along random direction {d}: "
                    f"backprop gives {exact!r}, finite differences give {numeric!r}."
                )
        if x.size <= elementwise_max:
            numeric = numerical_gradient(projected, arrays, k, eps)
            if not np.allclose(analytic[k], numeric, rtol=rtol * 10, atol=atol * 10):
                worst = np.unravel_index(np.argmax(np.abs(analytic[k] - numeric)), x.shape)
                worst = tuple(int(i) for i in worst)  # (2,) rather than (np.int64(2),)
                raise GradientCheckError(
                    f"gradient of input {k} (shape {x.shape}) at element {worst}: backprop gives "
                    f"{float(analytic[k][worst])!r}, finite differences give "
                    f"{float(numeric[worst])!r}."
                )
    return analytic
