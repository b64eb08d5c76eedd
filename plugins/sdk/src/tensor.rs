//! Host tensors: the generated resource types, constructors that return [`Result`], and
//! [`TensorExt`], a few helpers built from host operations.
//!
//! A [`Tensor`] is a handle; the values live on the host (CPU or CUDA) and every
//! operation is recorded on the host's autograd tape. The generated methods
//! (`a.matmul(&p)`, `x.add_scalar(1.0)`, `g.svd()`, ...) return `Result<_, String>`,
//! which `?` turns into the SDK's [`Error`](crate::Error).

use crate::bindings::regularizer_world::clora::plugin::tensors as raw;
use crate::error::{Error, Result};

pub use raw::{Dtype, EighResult, Generator, QrResult, SvdResult, Tensor};

/// A float32 tensor of zeros.
pub fn zeros(shape: &[u64]) -> Result<Tensor> {
    Ok(raw::zeros(shape)?)
}

/// A float32 tensor of ones.
pub fn ones(shape: &[u64]) -> Result<Tensor> {
    Ok(raw::ones(shape)?)
}

/// A float32 tensor filled with `value`.
pub fn full(shape: &[u64], value: f64) -> Result<Tensor> {
    Ok(raw::full(shape, value)?)
}

/// The n×n identity.
pub fn eye(n: u64) -> Result<Tensor> {
    Ok(raw::eye(n)?)
}

/// A float32 tensor from row-major values.
pub fn from_list(values: &[f64], shape: &[u64]) -> Result<Tensor> {
    Ok(raw::from_list(values, shape)?)
}

/// Concatenates along `dim`.
pub fn cat(tensors: &[&Tensor], dim: i64) -> Result<Tensor> {
    Ok(raw::cat(tensors, dim)?)
}

/// Stacks along a new dimension `dim`.
pub fn stack(tensors: &[&Tensor], dim: i64) -> Result<Tensor> {
    Ok(raw::stack(tensors, dim)?)
}

/// The sum of 0-dim tensors (for example one penalty term per layer), as a 0-dim tensor.
/// Two host operations however many terms there are.
pub fn sum_all(terms: &[Tensor]) -> Result<Tensor> {
    if terms.is_empty() {
        return zeros(&[]);
    }
    let refs: Vec<&Tensor> = terms.iter().collect();
    Ok(stack(&refs, 0)?.sum()?)
}

/// Helpers on [`Tensor`] built from host operations.
pub trait TensorExt {
    /// The transpose of the last two dimensions.
    fn t(&self) -> Result<Tensor>;
    /// The squared Frobenius norm `Σ x²` as a 0-dim tensor.
    ///
    /// Built as `sum(x ⊙ x)`, not `norm_fro()²`: the norm's gradient is undefined at
    /// zero, and LoRA's B starts at zero.
    fn sq_sum(&self) -> Result<Tensor>;
    /// The shape of a 2-D tensor as (rows, cols), or an error naming the actual shape.
    fn matrix_dims(&self) -> Result<(u64, u64)>;
    /// `length` columns starting at `start`.
    fn cols(&self, start: u64, length: u64) -> Result<Tensor>;
    /// `length` rows starting at `start`.
    fn rows(&self, start: u64, length: u64) -> Result<Tensor>;
}

impl TensorExt for Tensor {
    fn t(&self) -> Result<Tensor> {
        Ok(self.transpose(-2, -1)?)
    }

    fn sq_sum(&self) -> Result<Tensor> {
        Ok(self.mul(self)?.sum()?)
    }

    fn matrix_dims(&self) -> Result<(u64, u64)> {
        match self.shape().as_slice() {
            [rows, cols] => Ok((*rows, *cols)),
            other => Err(Error::new(format!(
                "expected a matrix, got shape {other:?}"
            ))),
        }
    }

    fn cols(&self, start: u64, length: u64) -> Result<Tensor> {
        Ok(self.narrow(1, start as i64, length as i64)?)
    }

    fn rows(&self, start: u64, length: u64) -> Result<Tensor> {
        Ok(self.narrow(0, start as i64, length as i64)?)
    }
}
