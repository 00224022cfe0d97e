"""Merge layers: combine a list of tensors into one (``Concatenate``, ``Add``, ``Dot``...).

They have no weights. Their shape rules are checked in ``build`` and ``compute_output_shape``,
so a wrong merge fails when the functional graph is built, naming the layer and the shapes.
Each layer has a lowercase functional twin, as in ``keras.layers``: ``concatenate([a, b])``.
"""

from numpynet import config, ops
from numpynet.layers.layer import Layer


def _shape_list(input_shape):
    """The base Layer unwraps a one-element list; merges always work on a list of shapes."""
    if isinstance(input_shape, tuple) and all(s is None or isinstance(s, int)
                                              for s in input_shape):
        return [input_shape]
    return [tuple(s) for s in input_shape]


class Merge(Layer):
    """Base of the elementwise merges: inputs of equal (or broadcastable) shapes.

    Subclasses implement ``_merge_function(inputs)``. Inputs of different ranks are expanded
    at axis 1 until their ranks match, as Keras does, then broadcast.
    """

    def __call__(self, inputs, *args, **kwargs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer should be called on a list of inputs. Layer "
                             f"{self.name!r} received: {inputs!r} (not a list of tensors)")
        return super().__call__(list(inputs), *args, **kwargs)

    def _merge_function(self, inputs):
        raise NotImplementedError

    def _elementwise_shape(self, shape1, shape2, shapes):
        """Broadcast shape of two sample shapes (batch axis excluded), as Keras' rule."""
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return shape1
        output = list(shape1[:-len(shape2)])
        for i, j in zip(shape1[-len(shape2):], shape2):
            if i is None or j is None:
                output.append(None)
            elif i == 1 or j == 1:
                output.append(j if i == 1 else i)
            elif i != j:
                raise ValueError(f"Inputs have incompatible shapes. Received shapes {shape1} "
                                 f"and {shape2}. Layer {self.name!r} "
                                 f"({type(self).__name__}) got input shapes {shapes}.")
            else:
                output.append(i)
        return tuple(output)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # used purely for validation, as in Keras
        self.built = True

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(input_shape)
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(f"Cannot merge tensors with different batch sizes. Layer "
                             f"{self.name!r} received tensors with shapes {shapes}")
        output = shapes[0][1:]
        for shape in shapes[1:]:
            output = self._elementwise_shape(output, shape[1:], shapes)
        return (batch_sizes.pop() if batch_sizes else None,) + output

    def call(self, inputs, training=None):
        self.compute_output_shape([t.shape for t in inputs])  # eager calls get the same message
        max_ndim = max(t.ndim for t in inputs)
        expanded = []
        for x in inputs:
            while x.ndim < max_ndim:
                x = ops.expand_dims(x, 1)
            expanded.append(x)
        return self._merge_function(expanded)


class Add(Merge):
    """Sum of the inputs: ``add([a, b, c]) = a + b + c``."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return output


class Subtract(Merge):
    """Difference of exactly two inputs: ``subtract([a, b]) = a - b``."""

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(input_shape)
        if len(shapes) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. Layer "
                             f"{self.name!r} received: input_shape={shapes}")
        return super().compute_output_shape(shapes)

    def _merge_function(self, inputs):
        return ops.subtract(inputs[0], inputs[1])


class Multiply(Merge):
    """Elementwise product of the inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.multiply(output, x)
        return output


class Average(Merge):
    """Elementwise mean of the inputs (their sum divided by their count)."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return output / float(len(inputs))


class Maximum(Merge):
    """Elementwise maximum of the inputs (a tie sends the gradient to the earlier input)."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.maximum(output, x)
        return output


class Minimum(Merge):
    """Elementwise minimum of the inputs (a tie sends the gradient to the earlier input)."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.minimum(output, x)
        return output


class Concatenate(Merge):
    """Joins the inputs along ``axis``; all other axes must match.

    Args:
        axis: the concatenation axis (default -1, the features).

    Shapes:
        ``[(batch, 3), (batch, 5)]`` → ``(batch, 8)``.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"Concatenate: `axis` must be an integer, got {axis!r}.")
        self.axis = axis

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(input_shape)
        ndim = len(shapes[0])
        message = ("A `Concatenate` layer requires inputs with matching shapes except for the "
                   f"concatenation axis. Layer {self.name!r} (axis={self.axis}) received: "
                   f"input_shape={shapes}")
        if any(len(s) != ndim for s in shapes):
            raise ValueError(message)
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"Concatenate {self.name!r}: axis {self.axis} is out of bounds for "
                             f"inputs of rank {ndim}. Received: input_shape={shapes}")
        axis = self.axis % ndim
        for a in range(ndim):
            sizes = {s[a] for s in shapes} - {None}
            if a != axis and len(sizes) > 1:
                raise ValueError(message)
        output = list(shapes[0])
        sizes = [s[axis] for s in shapes]
        output[axis] = None if None in sizes else sum(sizes)
        return tuple(output)

    def call(self, inputs, training=None):
        self.compute_output_shape([t.shape for t in inputs])
        return ops.concatenate(inputs, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(Merge):
    """Dot product of two inputs along the given axes, sample by sample.

    Args:
        axes: an int (the same axis of both inputs) or a pair ``(axis_a, axis_b)``; the batch
            axis 0 cannot be used.
        normalize: L2-normalize both inputs along those axes first, which gives the cosine
            similarity.

    Shapes:
        ``[(batch, n), (batch, n)]`` → ``(batch, 1)``; in general the remaining axes of the
        first input followed by the remaining non-batch axes of the second.
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError("Dot: Invalid type for argument `axes`: it should be a list or "
                                f"an int. Received: axes={axes!r}")
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError("Dot: Invalid format for argument `axes`: it should contain "
                                 f"two integers. Received: axes={axes!r}")
        self.axes = axes if isinstance(axes, int) else list(axes)
        self.normalize = bool(normalize)

    def _axes_for(self, shapes):
        axes = [self.axes, self.axes] if isinstance(self.axes, int) else self.axes
        return [a % len(s) if -len(s) <= a < len(s) else None for a, s in zip(axes, shapes)]

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(input_shape)
        if len(shapes) != 2:
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Layer "
                             f"{self.name!r} received: input_shape={shapes}")
        axes = self._axes_for(shapes)
        if None in axes or 0 in axes or min(len(s) for s in shapes) < 2:
            raise ValueError(f"Dot {self.name!r}: axes={self.axes} must name a non-batch axis "
                             f"of each input (axis 0 is the batch). Received: input_shape={shapes}")
        (shape1, shape2), (a1, a2) = shapes, axes
        if None not in (shape1[a1], shape2[a2]) and shape1[a1] != shape2[a2]:
            raise ValueError(f"Incompatible input shapes: axis values {shape1[a1]} (at axis {a1}) "
                             f"!= {shape2[a2]} (at axis {a2}). Full input shapes: {shape1}, "
                             f"{shape2}. Layer {self.name!r}.")
        output = [s for i, s in enumerate(shape1) if i != a1]
        output += [s for i, s in enumerate(shape2) if i not in (0, a2)]
        return tuple(output + [1] if len(output) == 1 else output)

    def call(self, inputs, training=None):
        self.compute_output_shape([t.shape for t in inputs])
        x, y = inputs
        a1, a2 = self._axes_for([x.shape, y.shape])
        if self.normalize:
            x, y = l2_normalize(x, a1), l2_normalize(y, a2)
        return batch_dot(x, y, a1, a2)

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def l2_normalize(x, axis):
    """``x * min(rsqrt(Σx²), 1/epsilon)``: Keras' L2 normalization (safe for zero vectors)."""
    inv_norm = 1.0 / ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))
    return x * ops.minimum(inv_norm, 1.0 / config.epsilon())


def batch_dot(x, y, x_axis, y_axis):
    """Per-sample dot product of ``x`` and ``y`` over ``x_axis`` and ``y_axis`` (both > 0).

    Moves the contracted axes so one batched matmul does the work, as Keras' ``batch_dot``:
    ``x`` becomes ``(batch, rest_x, k)`` and ``y`` becomes ``(batch, k, rest_y)``.
    """
    x_perm = [a for a in range(x.ndim) if a != x_axis] + [x_axis]
    y_perm = [0, y_axis] + [a for a in range(1, y.ndim) if a != y_axis]
    x_t, y_t = ops.transpose(x, x_perm), ops.transpose(y, y_perm)
    x_rest, y_rest = x_t.shape[1:-1], y_t.shape[2:]
    batch, k = x.shape[0], x.shape[x_axis]
    product = ops.matmul(ops.reshape(x_t, (batch, -1, k)), ops.reshape(y_t, (batch, k, -1)))
    shape = (batch,) + x_rest + y_rest
    return ops.reshape(product, shape if len(shape) > 1 else (batch, 1))


# ---------------------------------------------------------------- functional interface
def add(inputs, **kwargs):
    """Functional form of :class:`Add`: ``add([a, b])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of :class:`Subtract`: ``subtract([a, b])``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of :class:`Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of :class:`Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of :class:`Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of :class:`Minimum`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of :class:`Concatenate`: ``concatenate([a, b], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """Functional form of :class:`Dot`: ``dot([a, b], axes=1)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
