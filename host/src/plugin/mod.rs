//! The Wasm plugin runtime: engine, sandbox, host tensors and the three plugin kinds.
//!
//! ```no_run
//! # fn main() -> Result<(), clora_host::plugin::PluginError> {
//! use clora_host::plugin::{PluginRuntime, RuntimeOptions};
//! let runtime = PluginRuntime::new(RuntimeOptions::default())?;
//! let info = runtime.describe(std::path::Path::new("plugins/clora.wasm"))?;
//! println!("{} {} ({})", info.name, info.version, info.kind);
//! # Ok(()) }
//! ```
//!
//! - [`PluginRuntime`] loads components ([`runtime`]), through the compiled-component
//!   [`cache`], after [`inspect`]ing their contract version and imports.
//! - Each loaded plugin ([`RegularizerPlugin`], [`GradProcessorPlugin`],
//!   [`PreprocessorPlugin`]) owns one sandboxed instance ([`instance`], [`sandbox`]).
//! - Tensors are host resources ([`tensor_host`] over [`tensor_ops`]); random numbers
//!   come from a plugin-local generator ([`rng`]).
//! - Parameters are validated against the plugin's schema before anything runs
//!   ([`params`]); limits and their defaults are in [`options`].
//! - The conformance probe behind `clora-host plugins check` is in [`conformance`].
pub(crate) mod bindings;
pub mod cache;
pub mod conformance;
mod engine;
mod error;
mod grad_processor;
mod info;
mod inspect;
mod instance;
mod lending;
pub mod options;
mod params;
mod preprocessor;
mod regularizer;
pub mod rng;
mod runtime;
mod sandbox;
mod shapes;
mod stderr_pipe;
pub mod tensor_host;
#[cfg(test)]
mod tensor_host_tests;
pub mod tensor_ops;

pub use cache::CacheOutcome;
pub use error::PluginError;
pub use grad_processor::GradProcessorPlugin;
pub use info::{ParamSpec, ParamType, ParamValue, PluginInfo, PluginKind, CONTRACT_VERSION};
pub use instance::LoadStats;
pub use options::{LogLevel, LogSink, RuntimeOptions};
pub use params::{parse_cli_value, range_text, validate_params};
pub use preprocessor::{Example, PreprocessorPlugin};
pub use regularizer::RegularizerPlugin;
pub use runtime::{wasm_digest, PluginRuntime};

use std::path::Path;

/// One LoRA-adapted layer as a plugin sees it at `init`.
#[derive(Debug)]
pub struct LayerSpec {
    pub name: String,
    pub in_features: usize,
    pub out_features: usize,
    pub rank: usize,
    /// The frozen base weight, PyTorch's (out × in) orientation.
    pub base_weight: tch::Tensor,
}

impl LayerSpec {
    /// The same layer sharing the base weight's storage.
    pub fn shallow_clone(&self) -> LayerSpec {
        LayerSpec {
            name: self.name.clone(),
            in_features: self.in_features,
            out_features: self.out_features,
            rank: self.rank,
            base_weight: self.base_weight.shallow_clone(),
        }
    }

    /// A shallow clone, after checking that the sizes fit the contract's `u32`s and the
    /// base weight is (out × in).
    fn checked(&self, wasm: &Path) -> Result<LayerSpec, PluginError> {
        let shape = self.base_weight.size();
        let fits = [self.in_features, self.out_features, self.rank]
            .iter()
            .all(|&d| u32::try_from(d).is_ok());
        if !fits || shape != [self.out_features as i64, self.in_features as i64] {
            return Err(PluginError::Tensor {
                plugin: instance::file_name(wasm),
                function: "init".to_string(),
                message: format!(
                    "layer `{}`: base weight has shape {shape:?}, expected [out_features, in_features] = [{}, {}]",
                    self.name, self.out_features, self.in_features
                ),
            });
        }
        Ok(self.shallow_clone())
    }
}

/// Implements [`instance::World`] for a bindgen world: `$pre` is its `*Pre` type and
/// `$interface` the accessor of its exported interface. `init` gets the plugin's
/// parameters, and for the kinds that see the model (`layers: Layer`, the interface's
/// layer record) each layer with its base weight lent as a borrowed tensor.
macro_rules! world_glue {
    ($world:ty, $pre:ident, $kind:expr, $interface:ident, layers: $layer:ident) => {
        $crate::plugin::world_glue!(@impl $world, $pre, $kind, $interface,
            |world: &$world, store: &mut wasmtime::Store<$crate::plugin::sandbox::PluginState>,
             params: &[$crate::plugin::bindings::types::Param],
             layers: &[$crate::plugin::LayerSpec]| {
                let layers = $crate::plugin::lending::lend_layers(store, layers, |spec, base_weight| $layer {
                    name: spec.name.clone(),
                    in_features: spec.in_features as u32,
                    out_features: spec.out_features as u32,
                    rank: spec.rank as u32,
                    base_weight,
                })?;
                world.$interface().call_init(store, params, &layers)
            });
    };
    ($world:ty, $pre:ident, $kind:expr, $interface:ident, no_layers) => {
        $crate::plugin::world_glue!(@impl $world, $pre, $kind, $interface,
            |world: &$world, store: &mut wasmtime::Store<$crate::plugin::sandbox::PluginState>,
             params: &[$crate::plugin::bindings::types::Param],
             _layers: &[$crate::plugin::LayerSpec]| world.$interface().call_init(store, params));
    };
    (@impl $world:ty, $pre:ident, $kind:expr, $interface:ident, $init:expr) => {
        impl $crate::plugin::instance::World for $world {
            const KIND: $crate::plugin::info::PluginKind = $kind;
            type Pre = $pre<$crate::plugin::sandbox::PluginState>;

            fn pre(
                instance_pre: wasmtime::component::InstancePre<
                    $crate::plugin::sandbox::PluginState,
                >,
            ) -> wasmtime::Result<Self::Pre> {
                $pre::new(instance_pre)
            }

            fn instantiate(
                pre: &Self::Pre,
                store: &mut wasmtime::Store<$crate::plugin::sandbox::PluginState>,
            ) -> wasmtime::Result<Self> {
                pre.instantiate(store)
            }

            fn describe(
                &self,
                store: &mut wasmtime::Store<$crate::plugin::sandbox::PluginState>,
            ) -> wasmtime::Result<$crate::plugin::bindings::types::PluginInfo> {
                self.$interface().call_describe(store)
            }

            fn init(
                &self,
                store: &mut wasmtime::Store<$crate::plugin::sandbox::PluginState>,
                params: &[$crate::plugin::bindings::types::Param],
                layers: &[$crate::plugin::LayerSpec],
            ) -> wasmtime::Result<Result<(), String>> {
                ($init)(self, store, params, layers)
            }
        }
    };
}
pub(crate) use world_glue;

/// The accessors every loaded plugin has.
macro_rules! plugin_accessors {
    ($plugin:ty, $world:ty) => {
        impl $plugin {
            pub(crate) fn from_sandboxed(
                inner: $crate::plugin::instance::Sandboxed<$world>,
            ) -> Self {
                Self { inner }
            }

            /// What the plugin's `describe` returned.
            pub fn info(&self) -> &$crate::plugin::PluginInfo {
                &self.inner.info
            }

            /// Lowercase hex SHA-256 of the `.wasm` file.
            pub fn digest(&self) -> &str {
                &self.inner.digest
            }

            /// The validated parameters, every declared one with defaults filled in.
            pub fn resolved_params(&self) -> &toml::Table {
                &self.inner.resolved
            }

            /// The component file.
            pub fn path(&self) -> &std::path::Path {
                &self.inner.path
            }

            /// How it was loaded, with timings.
            pub fn load_stats(&self) -> $crate::plugin::LoadStats {
                self.inner.stats
            }

            /// Tensor and generator handles the current instance holds.
            pub fn live_handles(&self) -> usize {
                self.inner.live_handles()
            }
        }
    };
}
pub(crate) use plugin_accessors;
