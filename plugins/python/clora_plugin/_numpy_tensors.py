"""numpy stand-ins for the host's tensor operations, installed by ``testing.install``
into the generated ``wit_world.imports.tensors`` module. Semantics follow the host
(PyTorch): float32 by default, broadcasting, reduced SVD/QR, ascending ``eigh``; a
failed operation raises ``Err(message)`` as the host's does."""

import numpy as np

_tensors = None
_err = None


def wrap(values, dtype=None):
    """A tensor handle holding ``values`` (as ``dtype`` when given)."""
    t = _tensors.Tensor.__new__(_tensors.Tensor)
    t._value = np.asarray(values) if dtype is None else np.asarray(values, dtype=dtype)
    return t


def _v(t):
    return t._value


def _fallible(fn):
    def call(*args):
        try:
            with np.errstate(all="ignore"):
                return fn(*args)
        except (ValueError, IndexError, TypeError, np.linalg.LinAlgError) as exc:
            raise _err(str(exc)) from None

    return call


def _dims(t, dims):
    return tuple(d % t.ndim for d in dims) if dims else None


def _narrow(t, dim, start, length):
    size = t.shape[dim]
    if start < 0 or length < 0 or start + length > size:
        raise IndexError(f"narrow: [{start}, {start + length}) is outside dimension {dim} of size {size}")
    return np.take(t, np.arange(start, start + length), axis=dim)


def _norm(t, p, dims, keepdim):
    axis = _dims(t, dims)
    return np.sum(np.abs(t) ** p, axis=axis, keepdims=keepdim) ** (1.0 / p)


def _item(t):
    if t.size != 1:
        raise ValueError(f"item() needs a one-element tensor, got shape {list(t.shape)}")
    return float(t.reshape(()))


def _orthogonal(rng, rows, cols):
    tall = rows >= cols
    g = rng.standard_normal((rows, cols) if tall else (cols, rows))
    q, r = np.linalg.qr(g)
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    return (q if tall else q.T).astype(np.float32)


def _dtypes():
    d = _tensors.Dtype
    return {
        d.FLOAT32: np.float32,
        d.FLOAT64: np.float64,
        d.BFLOAT16: np.float32,
        d.FLOAT16: np.float16,
        d.INT64: np.int64,
        d.INT32: np.int32,
        d.BOOLEAN: np.bool_,
    }


def patch():
    """Replaces the generated stubs with numpy implementations."""
    global _tensors, _err
    from componentize_py_types import Err
    from wit_world.imports import tensors

    _tensors, _err = tensors, Err
    T = tensors.Tensor
    to_np = _dtypes()
    from_np = {np.dtype(v): k for k, v in reversed(list(to_np.items()))}

    def keep(fn):
        """A unary op; the result keeps the input's dtype (as libtorch's would)."""
        return _fallible(lambda self, *args: wrap(fn(_v(self), *args), _v(self).dtype))

    def binary(fn):
        return _fallible(lambda self, other: wrap(fn(_v(self), _v(other))))

    T.shape = lambda self: list(_v(self).shape)
    T.dtype = lambda self: from_np.get(_v(self).dtype, tensors.Dtype.FLOAT32)
    T.device = lambda self: "cpu"
    T.numel = lambda self: int(_v(self).size)
    T.add, T.sub = binary(np.add), binary(np.subtract)
    T.mul, T.div = binary(np.multiply), binary(np.divide)
    T.matmul = binary(np.matmul)
    T.add_scalar = keep(lambda x, v: x + v)
    T.mul_scalar = keep(lambda x, v: x * v)
    T.pow_scalar = keep(lambda x, v: np.power(x, v))
    T.neg, T.sqrt, T.abs = keep(np.negative), keep(np.sqrt), keep(np.abs)
    T.exp, T.log = keep(np.exp), keep(np.log)
    T.clamp = keep(lambda x, lo, hi: np.clip(x, lo, hi))
    T.transpose = keep(lambda x, d0, d1: np.swapaxes(x, d0, d1))
    T.reshape = keep(lambda x, shape: x.reshape(shape))
    T.narrow = keep(_narrow)
    T.sum, T.mean, T.max = keep(np.sum), keep(np.mean), keep(np.max)
    T.sum_dims = keep(lambda x, dims, k: np.sum(x, axis=_dims(x, dims), keepdims=k))
    T.mean_dims = keep(lambda x, dims, k: np.mean(x, axis=_dims(x, dims), keepdims=k))
    T.max_dim = keep(lambda x, dim, k: np.max(x, axis=dim, keepdims=k))
    T.norm_fro = keep(lambda x: np.sqrt(np.sum(x * x)))
    T.norm = keep(_norm)
    T.detach = keep(np.copy)
    T.to_dtype = _fallible(lambda self, dtype: wrap(_v(self).astype(to_np[dtype])))
    T.item = _fallible(lambda self: _item(_v(self)))
    T.to_list = _fallible(lambda self: [float(x) for x in _v(self).reshape(-1)])

    def svd(self):
        u, s, vh = np.linalg.svd(_v(self), full_matrices=False)
        return tensors.SvdResult(u=wrap(u), s=wrap(s), vh=wrap(vh))

    def qr(self):
        q, r = np.linalg.qr(_v(self), mode="reduced")
        return tensors.QrResult(q=wrap(q), r=wrap(r))

    def eigh(self):
        w, v = np.linalg.eigh(_v(self), UPLO="L")
        return tensors.EighResult(eigenvalues=wrap(w), eigenvectors=wrap(v))

    T.svd, T.qr, T.eigh = _fallible(svd), _fallible(qr), _fallible(eigh)
    T.__exit__ = lambda self, *exc: None

    f32 = np.float32
    tensors.zeros = _fallible(lambda shape: wrap(np.zeros(shape, f32)))
    tensors.ones = _fallible(lambda shape: wrap(np.ones(shape, f32)))
    tensors.full = _fallible(lambda shape, value: wrap(np.full(shape, value, f32)))
    tensors.eye = _fallible(lambda n: wrap(np.eye(n, dtype=f32)))

    def from_list(values, shape):
        if len(values) != int(np.prod(shape)):
            raise ValueError(f"from-list: {len(values)} values for shape {list(shape)}")
        return wrap(np.asarray(values, f32).reshape(shape))

    tensors.from_list = _fallible(from_list)
    tensors.cat = _fallible(lambda ts, dim: wrap(np.concatenate([_v(t) for t in ts], axis=dim)))
    tensors.stack = _fallible(lambda ts, dim: wrap(np.stack([_v(t) for t in ts], axis=dim)))

    G = tensors.Generator

    def generator_init(self, seed):
        self._rng = np.random.default_rng(seed)

    G.__init__ = generator_init
    G.randn = _fallible(lambda self, shape: wrap(self._rng.standard_normal(shape).astype(f32)))
    G.rand = _fallible(lambda self, shape: wrap(self._rng.random(shape).astype(f32)))
    G.orthogonal = _fallible(lambda self, rows, cols: wrap(_orthogonal(self._rng, rows, cols)))
    G.__exit__ = lambda self, *exc: None
