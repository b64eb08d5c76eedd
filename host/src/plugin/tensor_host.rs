//! The host side of the imported `tensors` and `host` interfaces: handles are
//! [`TensorRep`]s in the instance's `ResourceTable`, each operation is one function of
//! [`tensor_ops`](super::tensor_ops) run behind a panic guard. A bad handle traps the
//! guest (outer `Err`); an operation that fails or is refused by a cap is an `err` the
//! guest can handle (inner `Err`).
use std::panic::{catch_unwind, AssertUnwindSafe};

use tch::{Device, Kind, Tensor};
use wasmtime::component::Resource;

use super::bindings::host::{self, LogLevel as WitLogLevel};
use super::bindings::tensors::{self, Dtype, EighResult, QrResult, SvdResult};
use super::options::{LogLevel, MAX_LOG_MESSAGE_BYTES};
use super::rng::GeneratorRep;
use super::sandbox::PluginState;
use super::shapes;
use super::tensor_ops::{
    self as ops, Binary, Caps, OpResult, Reduce, ReduceDims, Unary, WithScalar,
};

/// A tensor resource: a libtorch tensor owned by the host.
pub struct TensorRep(pub(crate) Tensor);

type Handle = Resource<TensorRep>;
type Made = wasmtime::Result<Result<Handle, String>>;

/// Runs a tensor operation; a panic inside libtorch bindings becomes an `err`, never
/// an unwind through wasmtime.
fn guarded<T>(op: impl FnOnce() -> OpResult<T>) -> OpResult<T> {
    catch_unwind(AssertUnwindSafe(op))
        .unwrap_or_else(|_| Err("internal error in a host tensor operation".to_string()))
}

fn kind_of(dtype: Dtype) -> Kind {
    match dtype {
        Dtype::Float32 => Kind::Float,
        Dtype::Float64 => Kind::Double,
        Dtype::Bfloat16 => Kind::BFloat16,
        Dtype::Float16 => Kind::Half,
        Dtype::Int64 => Kind::Int64,
        Dtype::Int32 => Kind::Int,
        Dtype::Boolean => Kind::Bool,
    }
}

fn dtype_of(kind: Kind) -> Option<Dtype> {
    Some(match kind {
        Kind::Float => Dtype::Float32,
        Kind::Double => Dtype::Float64,
        Kind::BFloat16 => Dtype::Bfloat16,
        Kind::Half => Dtype::Float16,
        Kind::Int64 => Dtype::Int64,
        Kind::Int => Dtype::Int32,
        Kind::Bool => Dtype::Boolean,
        _ => return None,
    })
}

/// `cpu`, `cuda:0`, ...
pub fn device_name(device: Device) -> String {
    match device {
        Device::Cpu => "cpu".to_string(),
        Device::Cuda(i) => format!("cuda:{i}"),
        Device::Mps => "mps".to_string(),
        Device::Vulkan => "vulkan".to_string(),
    }
}

impl PluginState {
    fn made(&mut self, result: OpResult) -> Made {
        Ok(self
            .push_results(result.map(|t| vec![t]))?
            .map(|mut handles| handles.remove(0)))
    }

    fn op1(&mut self, x: &Handle, op: impl FnOnce(&Tensor, &Caps) -> OpResult) -> Made {
        let caps = self.caps;
        let x = self.tensor(x)?;
        let result = guarded(|| op(x, &caps));
        self.made(result)
    }

    fn op2(
        &mut self,
        x: &Handle,
        y: &Handle,
        op: impl FnOnce(&Tensor, &Tensor, &Caps) -> OpResult,
    ) -> Made {
        let caps = self.caps;
        let (x, y) = (self.tensor(x)?, self.tensor(y)?);
        let result = guarded(|| op(x, y, &caps));
        self.made(result)
    }

    fn op_many(
        &mut self,
        x: &Handle,
        op: impl FnOnce(&Tensor) -> OpResult<Vec<Tensor>>,
    ) -> wasmtime::Result<Result<Vec<Handle>, String>> {
        let x = self.tensor(x)?;
        let result = guarded(|| op(x));
        self.push_results(result)
    }

    fn create(&mut self, op: impl FnOnce(Device, &Caps) -> OpResult) -> Made {
        let (device, caps) = (self.device, self.caps);
        let result = guarded(|| op(device, &caps));
        self.made(result)
    }

    fn join(&mut self, handles: &[Handle], dim: i64, stack: bool) -> Made {
        let caps = self.caps;
        let tensors = handles
            .iter()
            .map(|h| self.tensor(h))
            .collect::<wasmtime::Result<Vec<_>>>()?;
        let result = guarded(|| ops::join(&tensors, dim, stack, &caps));
        self.made(result)
    }

    fn sample(
        &mut self,
        generator: &Resource<GeneratorRep>,
        shape: &[u64],
        draw: fn(&mut GeneratorRep, usize) -> Vec<f64>,
    ) -> Made {
        let (device, caps) = (self.device, self.caps);
        let n = shapes::numel_u64(shape);
        if let Err(message) = caps.check(n) {
            return Ok(Err(message));
        }
        let samples = draw(self.generator(generator)?, n as usize);
        let result = guarded(|| ops::from_samples(samples, shape, device));
        self.made(result)
    }
}

impl tensors::HostTensor for PluginState {
    fn shape(&mut self, x: Handle) -> wasmtime::Result<Vec<u64>> {
        Ok(self
            .tensor(&x)?
            .size()
            .into_iter()
            .map(|d| d.max(0) as u64)
            .collect())
    }

    fn dtype(&mut self, x: Handle) -> wasmtime::Result<Dtype> {
        let kind = self.tensor(&x)?.f_kind()?;
        dtype_of(kind).ok_or_else(|| {
            wasmtime::format_err!("tensor has dtype {kind:?}, which the contract cannot express")
        })
    }

    fn device(&mut self, x: Handle) -> wasmtime::Result<String> {
        Ok(device_name(self.tensor(&x)?.device()))
    }

    fn numel(&mut self, x: Handle) -> wasmtime::Result<u64> {
        Ok(shapes::numel(&self.tensor(&x)?.size()))
    }

    fn add(&mut self, x: Handle, other: Handle) -> Made {
        self.op2(&x, &other, |a, b, caps| {
            ops::binary(Binary::Add, a, b, caps)
        })
    }

    fn sub(&mut self, x: Handle, other: Handle) -> Made {
        self.op2(&x, &other, |a, b, caps| {
            ops::binary(Binary::Sub, a, b, caps)
        })
    }

    fn mul(&mut self, x: Handle, other: Handle) -> Made {
        self.op2(&x, &other, |a, b, caps| {
            ops::binary(Binary::Mul, a, b, caps)
        })
    }

    fn div(&mut self, x: Handle, other: Handle) -> Made {
        self.op2(&x, &other, |a, b, caps| {
            ops::binary(Binary::Div, a, b, caps)
        })
    }

    fn add_scalar(&mut self, x: Handle, value: f64) -> Made {
        self.op1(&x, |a, _| ops::with_scalar(WithScalar::Add, a, value))
    }

    fn mul_scalar(&mut self, x: Handle, value: f64) -> Made {
        self.op1(&x, |a, _| ops::with_scalar(WithScalar::Mul, a, value))
    }

    fn pow_scalar(&mut self, x: Handle, exponent: f64) -> Made {
        self.op1(&x, |a, _| ops::with_scalar(WithScalar::Pow, a, exponent))
    }

    fn neg(&mut self, x: Handle) -> Made {
        self.op1(&x, |a, _| ops::unary(Unary::Neg, a))
    }

    fn sqrt(&mut self, x: Handle) -> Made {
        self.op1(&x, |a, _| ops::unary(Unary::Sqrt, a))
    }

    fn abs(&mut self, x: Handle) -> Made {
        self.op1(&x, |a, _| ops::unary(Unary::Abs, a))
    }

    fn exp(&mut self, x: Handle) -> Made {
        self.op1(&x, |a, _| ops::unary(Unary::Exp, a))
    }

    fn log(&mut self, x: Handle) -> Made {
        self.op1(&x, |a, _| ops::unary(Unary::Log, a))
    }

    fn clamp(&mut self, x: Handle, min: Option<f64>, max: Option<f64>) -> Made {
        self.op1(&x, |a, _| ops::clamp(a, min, max))
    }

    fn matmul(&mut self, x: Handle, other: Handle) -> Made {
        self.op2(&x, &other, ops::matmul)
    }

    fn transpose(&mut self, x: Handle, dim0: i64, dim1: i64) -> Made {
        self.op1(&x, |a, _| ops::transpose(a, dim0, dim1))
    }

    fn reshape(&mut self, x: Handle, shape: Vec<i64>) -> Made {
        self.op1(&x, |a, _| ops::reshape(a, &shape))
    }

    fn narrow(&mut self, x: Handle, dim: i64, start: i64, length: i64) -> Made {
        self.op1(&x, |a, _| ops::narrow(a, dim, start, length))
    }

    fn svd(&mut self, x: Handle) -> wasmtime::Result<Result<SvdResult, String>> {
        let handles = self.op_many(&x, |a| ops::svd(a).map(|(u, s, vh)| vec![u, s, vh]))?;
        Ok(handles.map(|mut h| {
            let (vh, s, u) = (h.pop().unwrap(), h.pop().unwrap(), h.pop().unwrap());
            SvdResult { u, s, vh }
        }))
    }

    fn qr(&mut self, x: Handle) -> wasmtime::Result<Result<QrResult, String>> {
        let handles = self.op_many(&x, |a| ops::qr(a).map(|(q, r)| vec![q, r]))?;
        Ok(handles.map(|mut h| {
            let (r, q) = (h.pop().unwrap(), h.pop().unwrap());
            QrResult { q, r }
        }))
    }

    fn eigh(&mut self, x: Handle) -> wasmtime::Result<Result<EighResult, String>> {
        let handles = self.op_many(&x, |a| {
            ops::eigh(a).map(|(values, vectors)| vec![values, vectors])
        })?;
        Ok(handles.map(|mut h| {
            let (eigenvectors, eigenvalues) = (h.pop().unwrap(), h.pop().unwrap());
            EighResult {
                eigenvalues,
                eigenvectors,
            }
        }))
    }

    fn sum(&mut self, x: Handle) -> Made {
        self.op1(&x, |a, _| ops::reduce(Reduce::Sum, a))
    }

    fn mean(&mut self, x: Handle) -> Made {
        self.op1(&x, |a, _| ops::reduce(Reduce::Mean, a))
    }

    fn max(&mut self, x: Handle) -> Made {
        self.op1(&x, |a, _| ops::reduce(Reduce::Max, a))
    }

    fn sum_dims(&mut self, x: Handle, dims: Vec<i64>, keepdim: bool) -> Made {
        self.op1(&x, |a, _| {
            ops::reduce_dims(ReduceDims::Sum, a, &dims, keepdim)
        })
    }

    fn mean_dims(&mut self, x: Handle, dims: Vec<i64>, keepdim: bool) -> Made {
        self.op1(&x, |a, _| {
            ops::reduce_dims(ReduceDims::Mean, a, &dims, keepdim)
        })
    }

    fn max_dim(&mut self, x: Handle, dim: i64, keepdim: bool) -> Made {
        self.op1(&x, |a, _| ops::max_dim(a, dim, keepdim))
    }

    fn norm_fro(&mut self, x: Handle) -> Made {
        self.op1(&x, |a, _| ops::reduce(Reduce::NormFro, a))
    }

    fn norm(&mut self, x: Handle, p: f64, dims: Vec<i64>, keepdim: bool) -> Made {
        self.op1(&x, |a, _| ops::norm(a, p, &dims, keepdim))
    }

    fn detach(&mut self, x: Handle) -> Made {
        self.op1(&x, |a, _| ops::unary(Unary::Detach, a))
    }

    fn to_dtype(&mut self, x: Handle, dtype: Dtype) -> Made {
        self.op1(&x, |a, _| ops::to_kind(a, kind_of(dtype)))
    }

    fn item(&mut self, x: Handle) -> wasmtime::Result<Result<f64, String>> {
        let x = self.tensor(&x)?;
        Ok(guarded(|| ops::item(x)))
    }

    fn to_list(&mut self, x: Handle) -> wasmtime::Result<Result<Vec<f64>, String>> {
        let caps = self.caps;
        let x = self.tensor(&x)?;
        Ok(guarded(|| ops::to_list(x, &caps)))
    }

    fn drop(&mut self, x: Handle) -> wasmtime::Result<()> {
        self.take(x).map(|_| ())
    }
}

impl tensors::HostGenerator for PluginState {
    fn new(&mut self, seed: u64) -> wasmtime::Result<Resource<GeneratorRep>> {
        self.push_generator(GeneratorRep::new(seed))
    }

    fn randn(&mut self, generator: Resource<GeneratorRep>, shape: Vec<u64>) -> Made {
        self.sample(&generator, &shape, GeneratorRep::normals)
    }

    fn rand(&mut self, generator: Resource<GeneratorRep>, shape: Vec<u64>) -> Made {
        self.sample(&generator, &shape, GeneratorRep::uniforms)
    }

    fn orthogonal(&mut self, generator: Resource<GeneratorRep>, rows: u64, cols: u64) -> Made {
        let (device, caps) = (self.device, self.caps);
        let n = rows.saturating_mul(cols);
        if let Err(message) = caps.check(n) {
            return Ok(Err(message));
        }
        let gaussian = self.generator(&generator)?.normals(n as usize);
        let result = guarded(|| ops::orthogonal(gaussian, rows, cols, device));
        self.made(result)
    }

    fn drop(&mut self, generator: Resource<GeneratorRep>) -> wasmtime::Result<()> {
        self.drop_generator(generator)
    }
}

impl tensors::Host for PluginState {
    fn zeros(&mut self, shape: Vec<u64>) -> Made {
        self.create(|device, caps| ops::full(&shape, 0.0, device, caps))
    }

    fn ones(&mut self, shape: Vec<u64>) -> Made {
        self.create(|device, caps| ops::full(&shape, 1.0, device, caps))
    }

    fn full(&mut self, shape: Vec<u64>, value: f64) -> Made {
        self.create(|device, caps| ops::full(&shape, value, device, caps))
    }

    fn eye(&mut self, n: u64) -> Made {
        self.create(|device, caps| ops::eye(n, device, caps))
    }

    fn from_list(&mut self, values: Vec<f64>, shape: Vec<u64>) -> Made {
        self.create(|device, caps| ops::from_list(&values, &shape, device, caps))
    }

    fn cat(&mut self, tensors: Vec<Handle>, dim: i64) -> Made {
        self.join(&tensors, dim, false)
    }

    fn stack(&mut self, tensors: Vec<Handle>, dim: i64) -> Made {
        self.join(&tensors, dim, true)
    }
}

impl host::Host for PluginState {
    fn log(&mut self, level: WitLogLevel, message: String) -> wasmtime::Result<()> {
        let level = match level {
            WitLogLevel::Debug => LogLevel::Debug,
            WitLogLevel::Info => LogLevel::Info,
            WitLogLevel::Warn => LogLevel::Warn,
            WitLogLevel::Error => LogLevel::Error,
        };
        let message = truncate(&message, MAX_LOG_MESSAGE_BYTES);
        (self.log_sink)(&self.name, level, &message);
        Ok(())
    }
}

impl super::bindings::types::Host for PluginState {}

/// `text` cut to at most `max` bytes on a character boundary, marked when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} bytes cut]", &text[..end], text.len() - end)
}
