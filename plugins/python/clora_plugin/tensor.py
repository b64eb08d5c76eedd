"""Host tensors for regularizers and gradient processors.

A tensor is a handle: the values live on the host (CPU or CUDA) and every operation runs
in libtorch and is recorded on the autograd tape. Methods are the WIT contract's
(``a.matmul(p)``, ``x.add_scalar(1.0)``, ``g.svd()``, ``t.narrow(0, 0, 4)``, ...); a
failed operation raises, and the SDK reports the host's message with your line.

Import this module only in tensor plugins: the preprocessor world has no tensors.
"""

from wit_world.imports import tensors as _raw

Tensor = _raw.Tensor
Generator = _raw.Generator
Dtype = _raw.Dtype

zeros = _raw.zeros
ones = _raw.ones
full = _raw.full
eye = _raw.eye
from_list = _raw.from_list
cat = _raw.cat
stack = _raw.stack


def t(x):
    """The transpose of the last two dimensions."""
    return x.transpose(-2, -1)


def sq_sum(x):
    """``Σ x²`` as a 0-dim tensor. Built as ``sum(x ⊙ x)``, not ``norm_fro()²``: the
    norm's gradient is undefined at zero, and LoRA's B starts at zero."""
    return x.mul(x).sum()


def sum_all(terms):
    """The sum of 0-dim tensors (e.g. one penalty term per layer) as a 0-dim tensor: two
    host operations however many terms there are."""
    terms = list(terms)
    if not terms:
        return zeros([])
    return stack(terms, 0).sum()


def matrix_dims(x):
    """``(rows, cols)`` of a 2-D tensor; raises naming the actual shape otherwise."""
    shape = x.shape()
    if len(shape) != 2:
        raise ValueError(f"expected a matrix, got shape {list(shape)}")
    return shape[0], shape[1]
