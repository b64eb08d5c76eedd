//! Gradient-processor plugins: implement [`GradProcessor`] and call
//! [`register_grad_processor!`](crate::register_grad_processor).

use crate::bindings::grad_processor_world::exports::clora::plugin::grad_processor as wit;
use crate::bindings::regularizer_world::clora::plugin::types::{Param, PluginInfo, PluginKind};
use crate::error::{Error, Result};
use crate::layer::Layer;
use crate::params::{ParamDecl, Params};
use crate::regularizer::check_layer_count;
use crate::tensor::Tensor;
use crate::{meta, state};

/// Replacement gradients: one tensor per layer for A and for B, each with the shape of
/// the gradient it replaces.
#[derive(Debug)]
pub struct Grads {
    /// New gradients of the A factors.
    pub a: Vec<Tensor>,
    /// New gradients of the B factors.
    pub b: Vec<Tensor>,
}

/// A gradient processor: rewrites the LoRA gradients after backward, before clipping and
/// the optimizer step.
pub trait GradProcessor: Sized + 'static {
    /// The plugin's name (as in `plugins/<name>.wasm`).
    const NAME: &'static str;
    /// One line for `clora-host plugins describe`.
    const DESCRIPTION: &'static str;
    /// The parameter schema.
    const PARAMS: &'static [ParamDecl];

    /// Builds the plugin once, before training.
    fn init(params: &Params, layers: Vec<Layer>) -> Result<Self>;

    /// New gradients for optimizer step `step` (0-based). `grad_a[i]` is (rank × in),
    /// `grad_b[i]` is (out × rank); the SDK has checked there is one per layer. To keep
    /// a gradient unchanged, return `g.detach()?` (a new handle to the same values).
    fn process_grads(&mut self, step: u64, grad_a: &[Tensor], grad_b: &[Tensor]) -> Result<Grads>;
}

struct Instance<T> {
    plugin: T,
    layers: usize,
}

#[doc(hidden)]
pub fn describe<T: GradProcessor>(version: &str) -> PluginInfo {
    meta::plugin_info(
        PluginKind::GradProcessor,
        T::NAME,
        version,
        T::DESCRIPTION,
        T::PARAMS,
    )
}

#[doc(hidden)]
pub fn init<T: GradProcessor>(params: Vec<Param>, layers: Vec<wit::Layer>) -> Result<(), String> {
    let params = Params::resolve(T::PARAMS, params)?;
    let layers: Vec<Layer> = layers.into_iter().map(Layer::from).collect();
    let count = layers.len();
    let plugin = T::init(&params, layers)?;
    state::install(Instance {
        plugin,
        layers: count,
    });
    Ok(())
}

#[doc(hidden)]
pub fn process_grads<T: GradProcessor>(
    step: u64,
    grad_a: &[Tensor],
    grad_b: &[Tensor],
) -> Result<Grads, String> {
    let grads = state::with(|instance: &mut Instance<T>| {
        check_layer_count(instance.layers, grad_a.len(), grad_b.len())?;
        let grads = instance.plugin.process_grads(step, grad_a, grad_b)?;
        if grads.a.len() != grad_a.len() || grads.b.len() != grad_b.len() {
            return Err(Error::new(format!(
                "process_grads returned {} A and {} B gradients for {} layers",
                grads.a.len(),
                grads.b.len(),
                instance.layers
            )));
        }
        Ok(grads)
    })?;
    Ok(grads)
}

/// Exports a [`GradProcessor`] implementation as the component's `grad-processor`
/// interface.
#[macro_export]
macro_rules! register_grad_processor {
    ($plugin:ty) => {
        const _: () = {
            use $crate::bindings::grad_processor_world as __world;
            use $crate::bindings::regularizer_world::clora::plugin::types as __types;

            struct __CloraGradProcessor;

            impl __world::exports::clora::plugin::grad_processor::Guest for __CloraGradProcessor {
                fn describe() -> __types::PluginInfo {
                    $crate::grad_processor::describe::<$plugin>(env!("CARGO_PKG_VERSION"))
                }

                fn init(
                    params: ::std::vec::Vec<__types::Param>,
                    layers: ::std::vec::Vec<__world::exports::clora::plugin::grad_processor::Layer>,
                ) -> ::core::result::Result<(), ::std::string::String> {
                    $crate::grad_processor::init::<$plugin>(params, layers)
                }
            }

            $crate::bindings::grad_processor_world::__export_grad_processor_world!(
                __CloraGradProcessor with_types_in $crate::bindings::grad_processor_world
            );

            #[unsafe(export_name = "clora:plugin/grad-processor@0.1.0#process-grads")]
            unsafe extern "C" fn __clora_process_grads(
                step: i64,
                a_ptr: *mut u8,
                a_len: usize,
                b_ptr: *mut u8,
                b_len: usize,
            ) -> *mut u8 {
                unsafe {
                    $crate::abi::export_process_grads(
                        step,
                        a_ptr,
                        a_len,
                        b_ptr,
                        b_len,
                        $crate::grad_processor::process_grads::<$plugin>,
                    )
                }
            }

            #[unsafe(export_name = "cabi_post_clora:plugin/grad-processor@0.1.0#process-grads")]
            unsafe extern "C" fn __clora_process_grads_post_return(ret: *mut u8) {
                unsafe { $crate::abi::post_return_process_grads(ret) }
            }
        };
    };
}
