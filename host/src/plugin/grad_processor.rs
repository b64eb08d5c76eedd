//! [`GradProcessorPlugin`]: a loaded `grad-processor` component. The host lends each
//! layer's LoRA gradients for one `process-grads` call and checks what comes back: one
//! tensor per input, same shape, floating point, finite.
use tch::Tensor;

use super::bindings::grad_processor_world::exports::clora::plugin::grad_processor::Layer;
use super::bindings::grad_processor_world::{
    GradProcessorPlugin as World, GradProcessorPluginPre as WorldPre,
};
use super::error::PluginError;
use super::info::PluginKind;
use super::instance::{CallSite, Sandboxed};
use super::lending::{check_factor_counts, lend_borrowed, release};
use super::tensor_ops;

/// A loaded gradient-processor plugin. `Send`; one instance, used from one thread at a
/// time.
pub struct GradProcessorPlugin {
    inner: Sandboxed<World>,
}

super::plugin_accessors!(GradProcessorPlugin, World);

super::world_glue!(
    World,
    WorldPre,
    PluginKind::GradProcessor,
    clora_plugin_grad_processor,
    layers: Layer
);

impl GradProcessorPlugin {
    /// Replacement gradients for optimizer step `step` (0-based): `grad_a[i]` (rank × in)
    /// and `grad_b[i]` (out × rank) per layer in. Each returned tensor has its input's
    /// shape and only finite values, or the call fails.
    pub fn process_grads(
        &mut self,
        step: u64,
        grad_a: &[Tensor],
        grad_b: &[Tensor],
    ) -> Result<(Vec<Tensor>, Vec<Tensor>), PluginError> {
        const FUNCTION: &str = "process-grads";
        let layers = self.inner.layer_count();
        check_factor_counts(
            &self.inner.info.name,
            FUNCTION,
            layers,
            grad_a.len(),
            grad_b.len(),
        )?;
        let site = CallSite {
            function: FUNCTION,
            timeout: self.inner.shared().options.call_timeout,
        };
        let (new_a, new_b) = self.inner.call(&site, |store, world| {
            let (a_owned, a_borrowed) = lend_borrowed(store, grad_a)?;
            let (b_owned, b_borrowed) = lend_borrowed(store, grad_b)?;
            let result = world.clora_plugin_grad_processor().call_process_grads(
                &mut *store,
                step,
                &a_borrowed,
                &b_borrowed,
            )?;
            release(store, a_owned)?;
            release(store, b_owned)?;
            let grads = match result {
                Ok(grads) => grads,
                Err(message) => return Ok(Err(message)),
            };
            let mut take = |handles: Vec<_>| {
                handles
                    .into_iter()
                    .map(|h| store.data_mut().take(h))
                    .collect::<wasmtime::Result<Vec<_>>>()
            };
            Ok(Ok((take(grads.a)?, take(grads.b)?)))
        })?;
        let problem = |message: String| PluginError::Tensor {
            plugin: self.inner.info.name.clone(),
            function: FUNCTION.to_string(),
            message,
        };
        check_like("a", grad_a, &new_a).map_err(problem)?;
        check_like("b", grad_b, &new_b).map_err(problem)?;
        Ok((new_a, new_b))
    }
}

/// Each `output[i]` must have `input[i]`'s shape, a floating-point dtype and finite values.
fn check_like(factor: &str, input: &[Tensor], output: &[Tensor]) -> Result<(), String> {
    if input.len() != output.len() {
        return Err(format!(
            "returned {} gradients for {factor}, expected {} (one per layer)",
            output.len(),
            input.len()
        ));
    }
    for (i, (given, got)) in input.iter().zip(output).enumerate() {
        if given.size() != got.size() {
            return Err(format!(
                "grad_{factor}[{i}] has shape {:?}, expected {:?}",
                got.size(),
                given.size()
            ));
        }
        if !got.f_is_floating_point().unwrap_or(false) {
            return Err(format!(
                "grad_{factor}[{i}] is not floating point ({:?})",
                got.f_kind()
            ));
        }
        if !tensor_ops::all_finite(got)? {
            return Err(format!(
                "grad_{factor}[{i}] has non-finite values (NaN or infinity)"
            ));
        }
    }
    Ok(())
}
