//! Lending host tensors to a guest for one call and taking them back: the layer records
//! of `init` (owned base-weight handles the guest keeps or drops) and the borrowed
//! factor or gradient lists of `compute-penalty` / `process-grads`.
use tch::Tensor;
use wasmtime::component::Resource;
use wasmtime::Store;

use super::error::PluginError;
use super::sandbox::PluginState;
use super::tensor_host::TensorRep;
use super::LayerSpec;

/// Builds a world's layer records, handing each base weight to the guest as an owned
/// handle (sizes were checked to fit `u32` at load).
pub(crate) fn lend_layers<L>(
    store: &mut Store<PluginState>,
    layers: &[LayerSpec],
    record: impl Fn(&LayerSpec, Resource<TensorRep>) -> L,
) -> wasmtime::Result<Vec<L>> {
    layers
        .iter()
        .map(|spec| {
            Ok(record(
                spec,
                store.data_mut().lend(spec.base_weight.shallow_clone())?,
            ))
        })
        .collect()
}

/// Tensors lent for one call: the table entries (to release afterwards) and the borrow
/// handles passed to the guest.
pub(crate) type Lent = (Vec<Resource<TensorRep>>, Vec<Resource<TensorRep>>);

/// Lends `tensors` for one call.
pub(crate) fn lend_borrowed(
    store: &mut Store<PluginState>,
    tensors: &[Tensor],
) -> wasmtime::Result<Lent> {
    let owned = tensors
        .iter()
        .map(|t| store.data_mut().lend(t.shallow_clone()))
        .collect::<wasmtime::Result<Vec<_>>>()?;
    let borrows = owned
        .iter()
        .map(|h| Resource::new_borrow(h.rep()))
        .collect();
    Ok((owned, borrows))
}

/// Releases the table entries of lent tensors after the call returned.
pub(crate) fn release(
    store: &mut Store<PluginState>,
    owned: Vec<Resource<TensorRep>>,
) -> wasmtime::Result<()> {
    owned
        .into_iter()
        .try_for_each(|h| store.data_mut().take(h).map(drop))
}

/// Checks that the host passes one A and one B per layer.
pub(crate) fn check_factor_counts(
    plugin: &str,
    function: &str,
    layers: usize,
    a: usize,
    b: usize,
) -> Result<(), PluginError> {
    if a != layers || b != layers {
        return Err(PluginError::Tensor {
            plugin: plugin.to_string(),
            function: function.to_string(),
            message: format!("the host passed {a} A and {b} B tensors for {layers} layers"),
        });
    }
    Ok(())
}
