//! The tensor operations of the `tensors` interface as plain functions over `tch`
//! tensors: libtorch's fallible `f_*` API only (never a panicking wrapper), result sizes
//! checked against the element cap *before* anything is allocated, and libtorch errors
//! cut to their first line (never the C++ backtrace). Everything stays on the autograd
//! tape unless the operation says otherwise (`detach`).
use tch::{Device, Kind, TchError, Tensor};

use super::shapes;

/// An operation's outcome: the guest sees the `Err` text.
pub type OpResult<T = Tensor> = Result<T, String>;

/// Per-plugin limits on what operations may produce.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// Most elements any created tensor may have.
    pub max_elements: u64,
    /// Most values one `to-list` returns.
    pub max_to_list: u64,
}

impl Caps {
    /// Refuses a result of `n` elements above the cap.
    pub fn check(&self, n: u64) -> OpResult<()> {
        if n > self.max_elements {
            return Err(format!(
                "tensor of {n} elements refused: the cap is {} elements per tensor",
                self.max_elements
            ));
        }
        Ok(())
    }

    fn check_shape(&self, shape: &[i64]) -> OpResult<()> {
        self.check(shapes::numel(shape))
    }
}

/// The first line of a libtorch error, without tch's "Internal torch error: " prefix.
pub fn tch_error(err: TchError) -> String {
    let text = err.to_string();
    let first = text.lines().next().unwrap_or("").trim();
    first
        .strip_prefix("Internal torch error: ")
        .unwrap_or(first)
        .to_string()
}

fn run<T>(result: Result<T, TchError>) -> OpResult<T> {
    result.map_err(tch_error)
}

/// Elementwise tensor ⊕ tensor with broadcasting.
#[derive(Debug, Clone, Copy)]
pub enum Binary {
    Add,
    Sub,
    Mul,
    Div,
}

pub fn binary(op: Binary, a: &Tensor, b: &Tensor, caps: &Caps) -> OpResult {
    caps.check_shape(&shapes::broadcast(&a.size(), &b.size())?)?;
    run(match op {
        Binary::Add => a.f_add(b),
        Binary::Sub => a.f_sub(b),
        Binary::Mul => a.f_mul(b),
        Binary::Div => a.f_div(b),
    })
}

/// Elementwise tensor ⊕ scalar.
#[derive(Debug, Clone, Copy)]
pub enum WithScalar {
    Add,
    Mul,
    Pow,
}

pub fn with_scalar(op: WithScalar, a: &Tensor, value: f64) -> OpResult {
    run(match op {
        WithScalar::Add => a.f_add_scalar(value),
        WithScalar::Mul => a.f_mul_scalar(value),
        WithScalar::Pow => a.f_pow_tensor_scalar(value),
    })
}

/// Elementwise unary operations.
#[derive(Debug, Clone, Copy)]
pub enum Unary {
    Neg,
    Sqrt,
    Abs,
    Exp,
    Log,
    Detach,
}

pub fn unary(op: Unary, a: &Tensor) -> OpResult {
    run(match op {
        Unary::Neg => a.f_neg(),
        Unary::Sqrt => a.f_sqrt(),
        Unary::Abs => a.f_abs(),
        Unary::Exp => a.f_exp(),
        Unary::Log => a.f_log(),
        Unary::Detach => a.f_detach(),
    })
}

pub fn clamp(a: &Tensor, min: Option<f64>, max: Option<f64>) -> OpResult {
    run(match (min, max) {
        (Some(lo), Some(hi)) => a.f_clamp(lo, hi),
        (Some(lo), None) => a.f_clamp_min(lo),
        (None, Some(hi)) => a.f_clamp_max(hi),
        (None, None) => return Err("clamp needs at least one of min and max".to_string()),
    })
}

pub fn matmul(a: &Tensor, b: &Tensor, caps: &Caps) -> OpResult {
    caps.check_shape(&shapes::matmul(&a.size(), &b.size())?)?;
    run(a.f_matmul(b))
}

pub fn transpose(a: &Tensor, dim0: i64, dim1: i64) -> OpResult {
    run(a.f_transpose(dim0, dim1))
}

pub fn reshape(a: &Tensor, shape: &[i64]) -> OpResult {
    run(a.f_reshape(shape))
}

pub fn narrow(a: &Tensor, dim: i64, start: i64, length: i64) -> OpResult {
    run(a.f_narrow(dim, start, length))
}

/// Reduced SVD: `(u, s, vh)` with `a = u · diag(s) · vh` (over the last two dimensions).
///
/// Through `torch.svd` on the tall orientation: tch's `linalg_svd` always passes a
/// `driver`, which CPU tensors refuse, and `torch.svd` of a wide matrix is several times
/// slower than of its transpose. For a wide `a`, `aᵀ = u'·s·v'ᵀ` gives `u = v'`,
/// `vh = u'ᵀ`.
pub fn svd(a: &Tensor) -> OpResult<(Tensor, Tensor, Tensor)> {
    let size = a.size();
    if size.len() < 2 {
        return Err(format!("svd needs a matrix, got shape {size:?}"));
    }
    let wide = size[size.len() - 2] < size[size.len() - 1];
    if wide {
        let (u, s, v) = run(a.f_transpose(-2, -1).and_then(|t| t.f_svd(true, true)))?;
        Ok((v, s, run(u.f_transpose(-2, -1))?))
    } else {
        let (u, s, v) = run(a.f_svd(true, true))?;
        Ok((u, s, run(v.f_transpose(-2, -1))?))
    }
}

/// Reduced QR: `(q, r)`.
pub fn qr(a: &Tensor) -> OpResult<(Tensor, Tensor)> {
    run(Tensor::f_linalg_qr(a, "reduced"))
}

/// Symmetric eigen-decomposition from the lower triangle: `(eigenvalues, eigenvectors)`.
pub fn eigh(a: &Tensor) -> OpResult<(Tensor, Tensor)> {
    run(a.f_linalg_eigh("L"))
}

/// Reductions over all elements (0-dim results).
#[derive(Debug, Clone, Copy)]
pub enum Reduce {
    Sum,
    Mean,
    Max,
    NormFro,
}

pub fn reduce(op: Reduce, a: &Tensor) -> OpResult {
    run(match op {
        Reduce::Sum => a.f_sum(None::<Kind>),
        Reduce::Mean => a.f_mean(None::<Kind>),
        Reduce::Max => a.f_max(),
        Reduce::NormFro => a.f_norm(),
    })
}

/// Reductions over some dimensions.
#[derive(Debug, Clone, Copy)]
pub enum ReduceDims {
    Sum,
    Mean,
}

pub fn reduce_dims(op: ReduceDims, a: &Tensor, dims: &[i64], keepdim: bool) -> OpResult {
    run(match op {
        ReduceDims::Sum => a.f_sum_dim_intlist(dims, keepdim, None::<Kind>),
        ReduceDims::Mean => a.f_mean_dim(dims, keepdim, None::<Kind>),
    })
}

/// Maximum values along `dim` (the indices are dropped).
pub fn max_dim(a: &Tensor, dim: i64, keepdim: bool) -> OpResult {
    run(a.f_max_dim(dim, keepdim)).map(|(values, _indices)| values)
}

/// Vector p-norm over `dims`, all dimensions when `dims` is empty.
pub fn norm(a: &Tensor, p: f64, dims: &[i64], keepdim: bool) -> OpResult {
    if a.dim() == 0 {
        // The norm of a single value is its magnitude, for every p > 0.
        return run(a.f_abs());
    }
    let all: Vec<i64> = (0..a.dim() as i64).collect();
    run(a.f_norm_scalaropt_dim(p, if dims.is_empty() { &all } else { dims }, keepdim))
}

pub fn to_kind(a: &Tensor, kind: Kind) -> OpResult {
    run(a.f_to_kind(kind))
}

/// All values as f64, row-major (detached copy through the CPU), capped.
pub fn to_list(a: &Tensor, caps: &Caps) -> OpResult<Vec<f64>> {
    let n = shapes::numel(&a.size());
    if n > caps.max_to_list {
        return Err(format!(
            "to-list of {n} values refused: the cap is {} values per call",
            caps.max_to_list
        ));
    }
    let flat = run(a
        .f_detach()
        .and_then(|t| t.f_to(Device::Cpu))
        .and_then(|t| t.f_to_kind(Kind::Double))
        .and_then(|t| t.f_contiguous())
        .and_then(|t| t.f_reshape([-1])))?;
    let mut values = vec![0f64; n as usize];
    run(flat.f_copy_data(&mut values, n as usize))?;
    Ok(values)
}

/// The value of a one-element tensor.
pub fn item(a: &Tensor) -> OpResult<f64> {
    let n = shapes::numel(&a.size());
    if n != 1 {
        return Err(format!(
            "item needs a one-element tensor, this one has {n} elements (shape {:?})",
            a.size()
        ));
    }
    run(a
        .f_detach()
        .and_then(|t| t.f_reshape([-1]))
        .and_then(|t| t.f_double_value(&[0])))
}

/// Constant tensors (float32 on `device`).
pub fn full(shape: &[u64], value: f64, device: Device, caps: &Caps) -> OpResult {
    caps.check(shapes::numel_u64(shape))?;
    run(Tensor::f_full(
        shapes::to_dims(shape)?,
        value,
        (Kind::Float, device),
    ))
}

pub fn eye(n: u64, device: Device, caps: &Caps) -> OpResult {
    caps.check(n.saturating_mul(n))?;
    let n = i64::try_from(n).map_err(|_| format!("dimension {n} is too large"))?;
    run(Tensor::f_eye(n, (Kind::Float, device)))
}

/// A float32 tensor from row-major values.
pub fn from_list(values: &[f64], shape: &[u64], device: Device, caps: &Caps) -> OpResult {
    let n = shapes::numel_u64(shape);
    caps.check(n)?;
    if values.len() as u64 != n {
        return Err(format!(
            "from-list got {} values for shape {shape:?} ({n} elements)",
            values.len()
        ));
    }
    let dims = shapes::to_dims(shape)?;
    run(Tensor::f_from_slice(values)
        .and_then(|t| t.f_to_kind(Kind::Float))
        .and_then(|t| t.f_reshape(&dims))
        .and_then(|t| t.f_to(device)))
}

/// `cat` (along an existing dimension) or `stack` (along a new one).
pub fn join(tensors: &[&Tensor], dim: i64, stack: bool, caps: &Caps) -> OpResult {
    if tensors.is_empty() {
        return Err(format!(
            "{} needs at least one tensor",
            if stack { "stack" } else { "cat" }
        ));
    }
    let total = tensors
        .iter()
        .fold(0u64, |acc, t| acc.saturating_add(shapes::numel(&t.size())));
    caps.check(total)?;
    run(if stack {
        Tensor::f_stack(tensors, dim)
    } else {
        Tensor::f_cat(tensors, dim)
    })
}

/// A float32 tensor of `shape` from f64 samples drawn on the CPU, moved to `device`.
pub fn from_samples(samples: Vec<f64>, shape: &[u64], device: Device) -> OpResult {
    let dims = shapes::to_dims(shape)?;
    run(Tensor::f_from_slice(&samples)
        .and_then(|t| t.f_to_kind(Kind::Float))
        .and_then(|t| t.f_reshape(&dims))
        .and_then(|t| t.f_to(device)))
}

/// The Q factor of a (rows × cols) Gaussian with orthonormal columns (rows ≥ cols) or
/// rows (rows < cols), sign-corrected so that R's diagonal is positive: the same
/// distribution as `torch.nn.init.orthogonal_`. Computed in f64 on the CPU.
pub fn orthogonal(gaussian: Vec<f64>, rows: u64, cols: u64, device: Device) -> OpResult {
    let (tall_rows, tall_cols) = (rows.max(cols), rows.min(cols));
    let dims = shapes::to_dims(&[tall_rows, tall_cols])?;
    let q = run(Tensor::f_from_slice(&gaussian)
        .and_then(|g| g.f_reshape(&dims))
        .and_then(|g| {
            let (q, r) = Tensor::f_linalg_qr(&g, "reduced")?;
            let signs = r.f_diagonal(0, 0, 1)?.f_sign()?;
            // A zero on R's diagonal (probability zero) keeps its column as is.
            let signs = signs.f_add(&signs.f_eq(0.0)?.f_to_kind(Kind::Double)?)?;
            q.f_mul(&signs)
        }))?;
    let q = if rows < cols {
        run(q.f_transpose(0, 1))?
    } else {
        q
    };
    run(q
        .f_to_kind(Kind::Float)
        .and_then(|t| t.f_contiguous())
        .and_then(|t| t.f_to(device)))
}

/// Whether every element is finite (NaN and ±inf are not).
pub fn all_finite(a: &Tensor) -> OpResult<bool> {
    let finite = run(a.f_isfinite().and_then(|t| t.f_all()))?;
    Ok(run(finite.f_int64_value(&[]))? != 0)
}
