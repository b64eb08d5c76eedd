//! The guest SDK for clora-host plugins: WebAssembly components that target one of the
//! worlds of `wit/plugin.wit` (`clora:plugin@0.1.0`).
//!
//! A plugin is a type implementing one of [`Regularizer`], [`GradProcessor`] or
//! [`Preprocessor`], plus one `register_*!` line. The SDK generates `describe()` from the
//! declared constants, checks parameters against the schema before `init`, keeps the
//! instance between calls and converts errors into the WIT `err` strings.
//!
//! ```no_run
//! use clora_plugin_sdk::prelude::*;
//!
//! /// ‖A‖²_F + ‖B‖²_F summed over layers, times `scale`.
//! struct Frobenius { scale: f64 }
//!
//! impl Regularizer for Frobenius {
//!     const NAME: &'static str = "frobenius";
//!     const DESCRIPTION: &'static str = "Squared Frobenius norm of every LoRA factor.";
//!     const PARAMS: &'static [ParamDecl] =
//!         &[ParamDecl::float("scale", 1.0, "Multiplies the penalty.").min(0.0)];
//!
//!     fn init(params: &Params, _layers: Vec<Layer>) -> Result<Self> {
//!         Ok(Frobenius { scale: params.float("scale")? })
//!     }
//!
//!     fn compute_penalty(&mut self, _step: u64, a: &[Tensor], b: &[Tensor]) -> Result<Tensor> {
//!         let terms = a.iter().chain(b).map(|t| t.sq_sum()).collect::<Result<Vec<_>>>()?;
//!         Ok(tensor::sum_all(&terms)?.mul_scalar(self.scale)?)
//!     }
//! }
//!
//! register_regularizer!(Frobenius);
//! ```
//!
//! Build with `cargo build --release` inside `plugins/` (the workspace targets
//! `wasm32-wasip2`, which emits a component directly).

pub mod abi;
pub mod bindings;
pub mod data;
pub mod error;
pub mod grad_processor;
mod layer;
pub mod log;
mod meta;
pub mod params;
pub mod preprocessor;
pub mod regularizer;
mod state;
pub mod tensor;

pub use error::{Context, Error, Result};
pub use grad_processor::{GradProcessor, Grads};
pub use layer::Layer;
pub use meta::CONTRACT;
pub use params::{ParamDecl, Params};
pub use preprocessor::Preprocessor;
pub use regularizer::Regularizer;
pub use tensor::{Tensor, TensorExt};

/// A training example (`text`, `label` 0 or 1) produced by a preprocessor.
pub use bindings::regularizer_world::clora::plugin::types::Example;

/// Everything a plugin usually needs: `use clora_plugin_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::data::{Field, MultipleChoice, Record, RowRng, Template};
    pub use crate::tensor::{self, Generator, Tensor, TensorExt};
    pub use crate::{
        bail, log, register_grad_processor, register_preprocessor, register_regularizer, Context,
        Error, Example, GradProcessor, Grads, Layer, ParamDecl, Params, Preprocessor, Regularizer,
        Result,
    };
}
