//! [`PreprocessorPlugin`]: a loaded `preprocessor` component, turning batches of raw
//! records (JSON text) into labelled examples. The host checks the shape of the answer:
//! one entry per record, labels 0 or 1.

use super::bindings::preprocessor_world::{
    PreprocessorPlugin as World, PreprocessorPluginPre as WorldPre,
};
use super::error::PluginError;
use super::info::PluginKind;
use super::instance::{CallSite, Sandboxed};

/// A binary-classification example produced by a preprocessor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub text: String,
    /// 0 or 1.
    pub label: u32,
}

/// A loaded preprocessor plugin. `Send`; one instance, used from one thread at a time.
pub struct PreprocessorPlugin {
    inner: Sandboxed<World>,
}

super::plugin_accessors!(PreprocessorPlugin, World);

super::world_glue!(
    World,
    WorldPre,
    PluginKind::Preprocessor,
    clora_plugin_preprocessor,
    no_layers
);

impl PreprocessorPlugin {
    /// Converts `records` (rows `first_row`, `first_row + 1`, ... of the split): per
    /// record its examples, or why the plugin rejected it.
    pub fn process_batch(
        &mut self,
        first_row: u64,
        records: &[String],
    ) -> Result<Vec<Result<Vec<Example>, String>>, PluginError> {
        const FUNCTION: &str = "process-batch";
        let site = CallSite {
            function: FUNCTION,
            timeout: self.inner.shared().options.call_timeout,
        };
        let results = self.inner.call(&site, |store, world| {
            world
                .clora_plugin_preprocessor()
                .call_process_batch(store, first_row, records)
                .map(Ok)
        })?;
        let malformed = |message: String| PluginError::Output {
            plugin: self.inner.info.name.clone(),
            function: FUNCTION.to_string(),
            message,
        };
        if results.len() != records.len() {
            return Err(malformed(format!(
                "{} results for {} records (one per record expected)",
                results.len(),
                records.len()
            )));
        }
        results
            .into_iter()
            .enumerate()
            .map(|(i, result)| match result {
                Err(reason) => Ok(Err(reason)),
                Ok(examples) => examples
                    .into_iter()
                    .map(|e| match e.label {
                        0 | 1 => Ok(Example {
                            text: e.text,
                            label: e.label,
                        }),
                        label => Err(malformed(format!(
                            "row {}: label {label} is not 0 or 1",
                            first_row + i as u64
                        ))),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Ok),
            })
            .collect()
    }
}
