//! [`RecordConverter`] for preprocessor plugins: each split's `preprocessor` component
//! (default `plugins/<dataset>.wasm`) with its `params`, loaded through a
//! [`PluginRuntime`].
//!
//! The run's seed reaches the plugins' own choices (the wrong answer drawn per row): when
//! a split's `params` has no `seed` and the plugin declares one, `seed` is set to the
//! run's seed. The fingerprint — the cache key part — is the wasm file's SHA-256, the
//! canonical form of `params` and that seed; it needs no instantiation. (It includes the
//! seed even for plugins without a `seed` parameter, so such a split is merely
//! re-prepared when the run's seed changes.)
use std::path::PathBuf;

use toml::Value;

use super::{ConverterFactory, DataError, Example, RecordConverter, SplitConfig};
use crate::plugin::{wasm_digest, PluginError, PluginRuntime, PreprocessorPlugin};

/// Opens each split's preprocessor plugin.
#[derive(Clone)]
pub struct PluginConverters {
    runtime: PluginRuntime,
    seed: Option<u64>,
}

impl PluginConverters {
    /// `seed`: the run's seed, given to plugins that declare a `seed` parameter the
    /// split's `params` leave unset.
    pub fn new(runtime: PluginRuntime, seed: Option<u64>) -> PluginConverters {
        PluginConverters { runtime, seed }
    }

    fn plugin_error(split: &SplitConfig, err: PluginError) -> DataError {
        DataError::Preprocessor {
            path: split.preprocessor_path(),
            message: err.to_string(),
        }
    }
}

impl ConverterFactory for PluginConverters {
    fn fingerprint(&self, split: &SplitConfig) -> Result<String, DataError> {
        let digest =
            wasm_digest(&split.preprocessor_path()).map_err(|e| Self::plugin_error(split, e))?;
        let seed = match (self.seed, split.params.contains_key("seed")) {
            (Some(seed), false) => seed.to_string(),
            _ => "-".into(),
        };
        Ok(format!(
            "wasm sha256 {digest}; params {}; run seed {seed}",
            canonical(&Value::Table(split.params.clone()))
        ))
    }

    fn open(&self, split: &SplitConfig) -> Result<Box<dyn RecordConverter>, DataError> {
        let wasm = split.preprocessor_path();
        let mut params = split.params.clone();
        if let (Some(seed), false) = (self.seed, params.contains_key("seed")) {
            let info = self
                .runtime
                .describe(&wasm)
                .map_err(|e| Self::plugin_error(split, e))?;
            if info.param("seed").is_some() {
                params.insert("seed".into(), Value::Integer(seed as i64));
            }
        }
        let plugin = self
            .runtime
            .load_preprocessor(&wasm, &params)
            .map_err(|e| Self::plugin_error(split, e))?;
        Ok(Box::new(PluginConverter { plugin, path: wasm }))
    }
}

/// A loaded preprocessor plugin as a [`RecordConverter`].
pub struct PluginConverter {
    plugin: PreprocessorPlugin,
    path: PathBuf,
}

impl RecordConverter for PluginConverter {
    fn convert(
        &mut self,
        first_row: u64,
        records: &[String],
    ) -> Result<Vec<Result<Vec<Example>, String>>, DataError> {
        let results = self
            .plugin
            .process_batch(first_row, records)
            .map_err(|err| DataError::Preprocessor {
                path: self.path.clone(),
                message: err.to_string(),
            })?;
        Ok(results
            .into_iter()
            .map(|result| {
                result.map(|examples| {
                    examples
                        .into_iter()
                        .map(|e| Example {
                            text: e.text,
                            label: e.label,
                        })
                        .collect()
                })
            })
            .collect())
    }

    fn describe(&self) -> String {
        let info = self.plugin.info();
        let digest = self.plugin.digest();
        format!(
            "{} {} ({}, sha256 {}…) params {}",
            info.name,
            info.version,
            self.path.display(),
            &digest[..digest.len().min(12)],
            canonical(&Value::Table(self.plugin.resolved_params().clone()))
        )
    }
}

/// A TOML value as text with table keys sorted at every level, so equal parameter sets
/// always print (and hash) the same.
pub fn canonical(value: &Value) -> String {
    match value {
        Value::Table(table) => {
            let mut keys: Vec<&String> = table.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k:?} = {}", canonical(&table[k])))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(", "))
        }
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_sorts_keys_recursively() {
        let a: toml::Table = toml::from_str("b = 1\na = { y = \"x\", x = [1.5, true] }").unwrap();
        let b: toml::Table = toml::from_str("a = { x = [1.5, true], y = \"x\" }\nb = 1").unwrap();
        let text = canonical(&Value::Table(a));
        assert_eq!(text, canonical(&Value::Table(b)));
        assert_eq!(
            text,
            "{\"a\" = {\"x\" = [1.5, true], \"y\" = \"x\"}, \"b\" = 1}"
        );
    }
}
