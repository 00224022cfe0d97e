"""The Tensor and the tape: reverse-mode automatic differentiation on NumPy arrays.

A :class:`Tensor` wraps one ndarray. Every differentiable operation in :mod:`numpynet.ops`
returns a new Tensor that remembers its parents and a *vector-Jacobian product* (VJP): a small
function that maps the gradient of the output to the gradient of each parent. Together these
records form the tape. :meth:`Tensor.backward` walks the tape in reverse topological order and
applies the chain rule once, in one place, for every operation.
"""

import contextlib

import numpy as np

from numpynet import config

_GRAD_ENABLED = True


@contextlib.contextmanager
def no_grad():
    """Context in which operations record no tape (used by ``predict`` and ``evaluate``).

    Example:
        >>> with nn.no_grad():
        ...     y = model(x)   # y has no parents: nothing is kept for backward
    """
    global _GRAD_ENABLED
    previous, _GRAD_ENABLED = _GRAD_ENABLED, False
    try:
        yield
    finally:
        _GRAD_ENABLED = previous


@contextlib.contextmanager
def enable_grad():
    """Context that turns tape recording back on inside a :func:`no_grad` block."""
    global _GRAD_ENABLED
    previous, _GRAD_ENABLED = _GRAD_ENABLED, True
    try:
        yield
    finally:
        _GRAD_ENABLED = previous


def is_grad_enabled():
    """Returns True when operations record the tape."""
    return _GRAD_ENABLED


def as_array(data, dtype=None):
    """Converts ``data`` to an ndarray of ``dtype`` (default ``config.floatx()``) if needed."""
    dtype = np.dtype(dtype or config.floatx())
    if isinstance(data, Tensor):
        data = data.data
    array = np.asarray(data)
    if array.dtype.kind in "OSUV":
        raise TypeError(
            f"Cannot make a numeric tensor from data of dtype {array.dtype} "
            f"(expected numbers, got e.g. {array.flat[:1].tolist()[0]!r})." if array.size else
            f"Cannot make a numeric tensor from data of dtype {array.dtype}."
        )
    return array if array.dtype == dtype else array.astype(dtype)


class Tensor:
    """An n-dimensional array that records how it was computed, so gradients can flow back.

    Args:
        data: array-like values; converted to ``dtype``.
        requires_grad: whether ``backward`` should compute a gradient for this tensor.
        name: optional name, shown in error messages and ``repr``.
        dtype: float type of the data; default ``numpynet.config.floatx()`` (float32).

    Attributes:
        data: the ndarray of values.
        grad: the gradient of the last ``backward`` call with respect to this tensor (leaf
            tensors, and tensors that called :meth:`retain_grad`), or None.
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "_parents", "_vjp", "_op",
                 "_retain", "_keras_logits", "__weakref__")
    # Makes `ndarray + Tensor` call Tensor.__radd__ instead of NumPy's elementwise loop.
    __array_priority__ = 1000

    def __init__(self, data, requires_grad=False, name=None, dtype=None):
        self.data = as_array(data, dtype)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._parents = ()
        self._vjp = None
        self._op = None
        self._retain = False
        self._keras_logits = None

    @classmethod
    def from_op(cls, data, parents, vjp, op):
        """Creates the result of an operation and records it on the tape when grads are on.

        Args:
            data: the forward result (an ndarray or NumPy scalar).
            parents: the input tensors of the operation.
            vjp: function ``g -> tuple of parent gradients`` (None for a parent without one).
            op: the operation's name, used in error messages.
        """
        out = cls.__new__(cls)
        out.data = data if type(data) is np.ndarray else np.asarray(data)
        out.grad = None
        out.name = None
        out._op = op
        out._retain = False
        out._keras_logits = None
        out.requires_grad = _GRAD_ENABLED and any(p.requires_grad for p in parents)
        # Without a gradient to compute there is nothing to remember: no tape is kept.
        out._parents = tuple(parents) if out.requires_grad else ()
        out._vjp = vjp if out.requires_grad else None
        return out

    # ----------------------------------------------------------------- properties
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def T(self):
        return ops.transpose(self)

    def numpy(self):
        """Returns the underlying ndarray (not a copy)."""
        return self.data

    def item(self):
        """Returns the value of a one-element tensor as a Python float."""
        return self.data.item()

    def detach(self):
        """Returns a tensor sharing this data but cut from the tape."""
        return Tensor(self.data, dtype=self.data.dtype)

    def retain_grad(self):
        """Asks ``backward`` to keep this (non-leaf) tensor's gradient in ``.grad``."""
        self._retain = True
        return self

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        label = f", name={self.name!r}" if self.name else ""
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, precision=4, threshold=20)}{grad}{label})"

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    # ----------------------------------------------------------------- backward
    def backward(self, grad=None):
        """Computes the gradient of this tensor with respect to every tensor it depends on.

        The result for each leaf tensor with ``requires_grad=True`` is *assigned* to its
        ``.grad`` (not accumulated), so calling ``backward`` twice gives the same gradients.

        Args:
            grad: the seed gradient, of this tensor's shape. May be omitted for a tensor with
                one element (a loss), where it defaults to 1.

        Raises:
            RuntimeError: if this tensor does not require a gradient.
            ValueError: if the seed is missing for a non-scalar tensor or has the wrong shape.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: none of its inputs "
                "has requires_grad=True, or it was computed inside nn.no_grad()."
            )
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() on a non-scalar tensor of shape {self.shape} needs a seed "
                    f"gradient: call backward(grad) with an array of shape {self.shape}."
                )
            grad = np.ones_like(self.data)
        else:
            grad = as_array(grad, self.dtype)
            if grad.shape != self.shape:
                raise ValueError(
                    f"backward(grad): the seed gradient has shape {grad.shape}, "
                    f"expected the tensor's shape {self.shape}."
                )
        grads = {id(self): grad}
        for node in reversed(self._topological_order()):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if not node._parents or node._retain:
                node.grad = g
            if not node._parents:
                continue
            for parent, pg in zip(node._parents, node._vjp(g)):
                if pg is None or not parent.requires_grad:
                    continue
                pg = _check_grad(unbroadcast(pg, parent.shape), parent, node)
                previous = grads.get(id(parent))
                # Fan-out: sum the contributions out of place (never += into a shared array).
                grads[id(parent)] = pg if previous is None else previous + pg

    def _topological_order(self):
        """Returns the tensors this one depends on, each after its parents (iterative DFS)."""
        order, visited, stack = [], set(), [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            for parent in node._parents:
                if id(parent) not in visited and parent.requires_grad:
                    stack.append((parent, False))
        return order

    # ----------------------------------------------------------------- operators
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.subtract(self, other)

    def __rsub__(self, other):
        return ops.subtract(other, self)

    def __mul__(self, other):
        return ops.multiply(self, other)

    def __rmul__(self, other):
        return ops.multiply(other, self)

    def __truediv__(self, other):
        return ops.divide(self, other)

    def __rtruediv__(self, other):
        return ops.divide(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __pow__(self, other):
        return ops.power(self, other)

    def __rpow__(self, other):
        return ops.power(other, self)

    def __neg__(self):
        return ops.negative(self)

    def __abs__(self):
        return ops.abs(self)

    def __getitem__(self, index):
        return ops.getitem(self, index)

    # Ordering comparisons return boolean ndarrays (no gradient), like NumPy. `==` and `!=` keep
    # Python's identity meaning (a deliberate departure from "every comparison returns an
    # array"): the engine keeps tensors in lists, sets and dicts (`x in model.outputs`,
    # `list.index`, the tape's visited set), which an array-valued `==` would break with
    # "truth value of an array is ambiguous". Elementwise equality is ops.equal.
    def __lt__(self, other):
        return self.data < _raw(other)

    def __le__(self, other):
        return self.data <= _raw(other)

    def __gt__(self, other):
        return self.data > _raw(other)

    def __ge__(self, other):
        return self.data >= _raw(other)

    __hash__ = object.__hash__

    # ----------------------------------------------------------------- methods
    def sum(self, axis=None, keepdims=False):
        return ops.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return ops.mean(self, axis, keepdims)

    def reshape(self, *shape):
        return ops.reshape(self, shape[0] if len(shape) == 1 else shape)


class Variable(Tensor):
    """A model weight: a named tensor that optimizers update in place.

    Args:
        value: initial values.
        name: short name (``"kernel"``).
        path: full Keras-style path (``"dense_1/kernel"``).
        trainable: whether the optimizer updates it and ``backward`` computes its gradient.
        regularizer: optional callable that maps the variable to a scalar penalty tensor.
        dtype: float type; default ``config.floatx()``.
    """

    __slots__ = ("path", "_trainable", "_declared_trainable", "regularizer", "constraint")

    def __init__(self, value, name=None, path=None, trainable=True, regularizer=None,
                 constraint=None, dtype=None):
        super().__init__(value, requires_grad=trainable, name=name, dtype=dtype)
        self.data = np.array(self.data, copy=True)  # own the memory: updates happen in place
        self.path = path or name
        self._trainable = bool(trainable)
        self.regularizer = regularizer
        self.constraint = constraint
        self._declared_trainable = bool(trainable)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        self.requires_grad = self._trainable

    def assign(self, value):
        """Copies ``value`` into this variable in place (shape must match)."""
        value = np.asarray(_raw(value))
        if value.shape != self.data.shape:
            raise ValueError(
                f"Cannot assign a value of shape {value.shape} to variable {self.path!r} "
                f"of shape {self.data.shape}."
            )
        self.data[...] = value

    def __repr__(self):
        return f"<Variable path={self.path!r} shape={self.shape} dtype={self.dtype}>"


def unbroadcast(grad, shape):
    """Sums ``grad`` over the axes that broadcasting added or stretched, to get back ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:  # not a broadcast of `shape`: leave it for _check_grad to report
        return grad
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return np.asarray(grad)


def _check_grad(grad, tensor, node):
    """Catches a VJP that returns a gradient of the wrong shape or dtype, naming the op."""
    if grad.shape != tensor.shape or grad.dtype != tensor.dtype:
        raise RuntimeError(
            f"Gradient of op {node._op!r} for an input of shape {tensor.shape} and dtype "
            f"{tensor.dtype} has shape {grad.shape} and dtype {grad.dtype}."
        )
    return grad


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


from numpynet import ops  # noqa: E402  (ops needs Tensor; Tensor's operators need ops)
