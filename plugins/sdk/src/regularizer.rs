//! Regularizer plugins: implement [`Regularizer`] and call
//! [`register_regularizer!`](crate::register_regularizer).

use crate::bindings::regularizer_world::clora::plugin::types::{Param, PluginInfo, PluginKind};
use crate::bindings::regularizer_world::exports::clora::plugin::regularizer as wit;
use crate::error::{Error, Result};
use crate::layer::Layer;
use crate::params::{ParamDecl, Params};
use crate::tensor::Tensor;
use crate::{meta, state};

/// A regularizer: the host adds λ × `compute_penalty` to the training loss.
pub trait Regularizer: Sized + 'static {
    /// The plugin's name (as in `plugins/<name>.wasm`).
    const NAME: &'static str;
    /// One line for `clora-host plugins describe`.
    const DESCRIPTION: &'static str;
    /// The parameter schema.
    const PARAMS: &'static [ParamDecl];

    /// Builds the plugin once, before training, from checked parameters and every
    /// adapted layer (in the order later calls use).
    fn init(params: &Params, layers: Vec<Layer>) -> Result<Self>;

    /// The penalty at `step`: `a[i]` is layer i's A (rank × in), `b[i]` its B
    /// (out × rank). Return a one-element float tensor built from `a` and `b` so that
    /// gradients reach them. The SDK has already checked that both slices have one
    /// entry per layer.
    fn compute_penalty(&mut self, step: u64, a: &[Tensor], b: &[Tensor]) -> Result<Tensor>;
}

struct Instance<T> {
    plugin: T,
    layers: usize,
}

#[doc(hidden)]
pub fn describe<T: Regularizer>(version: &str) -> PluginInfo {
    meta::plugin_info(
        PluginKind::Regularizer,
        T::NAME,
        version,
        T::DESCRIPTION,
        T::PARAMS,
    )
}

#[doc(hidden)]
pub fn init<T: Regularizer>(params: Vec<Param>, layers: Vec<wit::Layer>) -> Result<(), String> {
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
pub fn compute_penalty<T: Regularizer>(
    step: u64,
    a: &[Tensor],
    b: &[Tensor],
) -> Result<Tensor, String> {
    let penalty = state::with(|instance: &mut Instance<T>| {
        check_layer_count(instance.layers, a.len(), b.len())?;
        instance.plugin.compute_penalty(step, a, b)
    })?;
    Ok(penalty)
}

/// Both lists must hold one tensor per layer given to `init`.
pub(crate) fn check_layer_count(layers: usize, a: usize, b: usize) -> Result<()> {
    if a != layers || b != layers {
        return Err(Error::new(format!(
            "expected one A and one B tensor per layer ({layers} layers), got {a} A and {b} B"
        )));
    }
    Ok(())
}

/// Exports a [`Regularizer`] implementation as the component's `regularizer` interface.
///
/// ```ignore
/// struct MyPenalty;
/// impl Regularizer for MyPenalty { /* ... */ }
/// clora_plugin_sdk::register_regularizer!(MyPenalty);
/// ```
#[macro_export]
macro_rules! register_regularizer {
    ($plugin:ty) => {
        const _: () = {
            use $crate::bindings::regularizer_world as __world;

            struct __CloraRegularizer;

            impl __world::exports::clora::plugin::regularizer::Guest for __CloraRegularizer {
                fn describe() -> __world::clora::plugin::types::PluginInfo {
                    $crate::regularizer::describe::<$plugin>(env!("CARGO_PKG_VERSION"))
                }

                fn init(
                    params: ::std::vec::Vec<__world::clora::plugin::types::Param>,
                    layers: ::std::vec::Vec<__world::exports::clora::plugin::regularizer::Layer>,
                ) -> ::core::result::Result<(), ::std::string::String> {
                    $crate::regularizer::init::<$plugin>(params, layers)
                }
            }

            $crate::bindings::regularizer_world::__export_regularizer_world!(
                __CloraRegularizer with_types_in $crate::bindings::regularizer_world
            );

            #[unsafe(export_name = "clora:plugin/regularizer@0.1.0#compute-penalty")]
            unsafe extern "C" fn __clora_compute_penalty(
                step: i64,
                a_ptr: *mut u8,
                a_len: usize,
                b_ptr: *mut u8,
                b_len: usize,
            ) -> *mut u8 {
                unsafe {
                    $crate::abi::export_compute_penalty(
                        step,
                        a_ptr,
                        a_len,
                        b_ptr,
                        b_len,
                        $crate::regularizer::compute_penalty::<$plugin>,
                    )
                }
            }

            #[unsafe(export_name = "cabi_post_clora:plugin/regularizer@0.1.0#compute-penalty")]
            unsafe extern "C" fn __clora_compute_penalty_post_return(ret: *mut u8) {
                unsafe { $crate::abi::post_return_compute_penalty(ret) }
            }
        };
    };
}
