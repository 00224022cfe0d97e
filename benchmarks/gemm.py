"""The GEMM limit: how fast a training step could be if it did nothing but its matrix products.

A Dense layer with ``n_in`` inputs and ``n_out`` units on a batch of ``B`` samples costs three
general matrix products (GEMMs) per training step::

    forward        z  = x  @ W       (B, n_in) @ (n_in, n_out)     2·B·n_in·n_out FLOPs
    kernel grad    dW = xᵀ @ G       (n_in, B) @ (B, n_out)        the same
    input grad     dx = G  @ Wᵀ      (B, n_out) @ (n_out, n_in)    the same, skipped when x is
                                                                   the data (nothing needs it)

so the backward pass costs twice the forward. The *GEMM limit* of a step is the time these
exact products take on this machine with NumPy's BLAS, with the same shapes and memory layouts
(``xᵀ`` and ``Wᵀ`` are transposed views, as numpynet passes them). Everything else a step does
(bias, activations, loss, optimizer, Python) is overhead on top of it.
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Gemm:
    """One matrix product ``(m, k) @ (k, n)``; ``transposed`` names the operand given as a view."""

    label: str
    m: int
    k: int
    n: int
    transposed: str = ""  # "a", "b" or "" (both contiguous)

    @property
    def flops(self):
        return 2 * self.m * self.k * self.n


def train_step_gemms(batch_size, layers):
    """The GEMMs of one training step of a stack of Dense layers.

    Args:
        batch_size: samples per step.
        layers: ``(n_in, n_out, input_grad)`` per Dense layer; ``input_grad`` False for a
            layer fed by the data (numpynet, like TensorFlow, skips that product).

    Returns:
        A list of :class:`Gemm`, forward products first.
    """
    forward = [Gemm(f"forward {i}: x @ W", batch_size, n_in, n_out)
               for i, (n_in, n_out, _) in enumerate(layers)]
    backward = []
    for i, (n_in, n_out, input_grad) in reversed(list(enumerate(layers))):
        backward.append(Gemm(f"backward {i}: xT @ G", n_in, batch_size, n_out, "a"))
        if input_grad:
            backward.append(Gemm(f"backward {i}: G @ WT", batch_size, n_out, n_in, "b"))
    return forward + backward


def total_flops(gemms):
    """Floating-point operations of a list of GEMMs (a multiply-add counts 2)."""
    return sum(g.flops for g in gemms)


def operands(gemms, dtype="float32", seed=0):
    """Random operands for each GEMM, in the layouts numpynet uses (transposes are views)."""
    rng = np.random.default_rng(seed)
    pairs = []
    for g in gemms:
        a = rng.random((g.k, g.m) if g.transposed == "a" else (g.m, g.k)).astype(dtype)
        b = rng.random((g.n, g.k) if g.transposed == "b" else (g.k, g.n)).astype(dtype)
        pairs.append((a.T if g.transposed == "a" else a, b.T if g.transposed == "b" else b))
    return pairs


def gemm_block(pairs):
    """A function that runs every product once, in order (what the step's GEMMs cost)."""
    def run():
        for a, b in pairs:
            a @ b
    return run
