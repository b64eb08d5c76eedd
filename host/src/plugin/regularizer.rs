//! [`RegularizerPlugin`]: a loaded `regularizer` component. Each step the host lends the
//! LoRA factors as borrowed handles for one `compute-penalty` call and takes the owned
//! penalty tensor back out of the table; the penalty stays on the autograd tape, so
//! `backward` reaches A and B through every host operation the plugin used.
use tch::Tensor;

use super::bindings::regularizer_world::exports::clora::plugin::regularizer::Layer;
use super::bindings::regularizer_world::{
    RegularizerPlugin as World, RegularizerPluginPre as WorldPre,
};
use super::error::PluginError;
use super::info::PluginKind;
use super::instance::{CallSite, Sandboxed};
use super::lending::{check_factor_counts, lend_borrowed, release};
use super::tensor_ops;

/// A loaded regularizer plugin. `Send`; one instance, used from one thread at a time.
pub struct RegularizerPlugin {
    inner: Sandboxed<World>,
}

super::plugin_accessors!(RegularizerPlugin, World);

super::world_glue!(
    World,
    WorldPre,
    PluginKind::Regularizer,
    clora_plugin_regularizer,
    layers: Layer
);

impl RegularizerPlugin {
    /// The penalty at `step` from layer factors `a[i]` (rank × in) and `b[i]` (out ×
    /// rank), in layer order. Returns a one-element floating-point tensor on the autograd
    /// tape; a non-finite or malformed result is an error.
    pub fn compute_penalty(
        &mut self,
        step: u64,
        a: &[Tensor],
        b: &[Tensor],
    ) -> Result<Tensor, PluginError> {
        const FUNCTION: &str = "compute-penalty";
        let layers = self.inner.layer_count();
        check_factor_counts(&self.inner.info.name, FUNCTION, layers, a.len(), b.len())?;
        let site = CallSite {
            function: FUNCTION,
            timeout: self.inner.shared().options.call_timeout,
        };
        let penalty = self.inner.call(&site, |store, world| {
            let (a_owned, a_borrowed) = lend_borrowed(store, a)?;
            let (b_owned, b_borrowed) = lend_borrowed(store, b)?;
            let result = world.clora_plugin_regularizer().call_compute_penalty(
                &mut *store,
                step,
                &a_borrowed,
                &b_borrowed,
            )?;
            release(store, a_owned)?;
            release(store, b_owned)?;
            match result {
                Ok(handle) => Ok(Ok(store.data_mut().take(handle)?)),
                Err(message) => Ok(Err(message)),
            }
        })?;
        let problem = |message: String| PluginError::Tensor {
            plugin: self.inner.info.name.clone(),
            function: FUNCTION.to_string(),
            message,
        };
        if penalty.numel() != 1 {
            return Err(problem(format!(
                "the penalty must have one element, it has shape {:?}",
                penalty.size()
            )));
        }
        if !penalty.f_is_floating_point().unwrap_or(false) {
            return Err(problem(format!(
                "the penalty must be a floating-point tensor, it is {:?}",
                penalty.f_kind()
            )));
        }
        match tensor_ops::all_finite(&penalty) {
            Ok(true) => Ok(penalty),
            Ok(false) => Err(problem(format!(
                "the penalty is not finite ({})",
                tensor_ops::item(&penalty).unwrap_or(f64::NAN)
            ))),
            Err(message) => Err(problem(message)),
        }
    }
}
