//! The configuration: sections, the embedded defaults (`configs/default.toml`), layered
//! overrides (`--config`, `--set`, flags) and validation.
//!
//! The embedded defaults are the single source of default values: layers are merged onto
//! them before the final parse, so a partial `--config` file only names what it changes
//! (the derived `Default`s are placeholders for checking partial layers, never used as
//! values; a unit test checks that default.toml sets every key).
mod error;
mod layers;
mod sections;
mod validate;

use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

pub use error::{ConfigError, Origin};

use crate::data::DataConfig;
use crate::model::lora::LoraConfig;
pub use layers::{lookup, merge, Layer};
pub use sections::{ModelSection, OutputSection, PluginSection, RuntimeSection, TrainSection};

/// The embedded default configuration, as documented in the README.
pub const DEFAULT_TOML: &str = include_str!("../../../configs/default.toml");

/// The fully resolved configuration of a run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub name: String,
    pub seed: u64,
    pub device: String,
    pub threads: u64,
    pub model: ModelSection,
    pub lora: LoraConfig,
    pub train: TrainSection,
    pub regularizer: PluginSection,
    pub grad_processor: PluginSection,
    pub plugins: RuntimeSection,
    pub output: OutputSection,
    pub data: DataConfig,
}

impl Config {
    /// The embedded defaults (`configs/default.toml`) with nothing overridden.
    pub fn defaults() -> Config {
        toml::from_str(DEFAULT_TOML).expect("configs/default.toml is valid (unit-tested)")
    }
}

/// The configuration together with the layers it was built from, so that later checks
/// (e.g. plugin parameters) can say where an offending key was set.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub config: Config,
    pub table: Table,
    layers: Vec<Layer>,
}

impl Resolved {
    /// Where `dotted_key` got its value: the last layer that set it.
    pub fn origin_of(&self, dotted_key: &str) -> Origin {
        self.layers
            .iter()
            .rev()
            .find_map(|layer| layer.origin_of(dotted_key))
            .unwrap_or(Origin::Defaults)
    }

    /// The resolved configuration as TOML text (written to each run directory).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(&self.config).unwrap_or_default()
    }
}

/// What the command line contributes to a configuration.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--config FILE`, repeatable: later files override earlier ones.
    pub files: Vec<std::path::PathBuf>,
    /// `--set key=value`, in order.
    pub sets: Vec<String>,
    /// Dedicated flags: (dotted key, value, flag name), applied last.
    pub flags: Vec<(String, Value, String)>,
}

impl Overrides {
    /// Records a flag's value when it was given.
    pub fn flag(&mut self, key: &str, flag: &str, value: Option<impl Into<Value>>) {
        if let Some(value) = value {
            self.flags
                .push((key.to_string(), value.into(), flag.to_string()));
        }
    }
}

/// Resolves defaults ⊕ files ⊕ `--set` ⊕ flags into a validated [`Config`].
pub fn resolve(overrides: &Overrides) -> Result<Resolved, ConfigError> {
    let defaults = Layer::from_text::<Config>(DEFAULT_TOML, Path::new("configs/default.toml"))?;
    let mut layers = vec![Layer {
        origin: Origin::Defaults,
        ..defaults
    }];
    for path in &overrides.files {
        layers.push(Layer::from_file::<Config>(path)?);
    }
    for arg in &overrides.sets {
        layers.push(Layer::from_set::<Config>(arg)?);
    }
    for (key, value, flag) in &overrides.flags {
        layers.push(Layer::from_flag::<Config>(key, value.clone(), flag)?);
    }
    let mut table = Table::new();
    for layer in &layers {
        merge(&mut table, &layer.table);
    }
    let config: Config =
        Value::Table(table.clone())
            .try_into()
            .map_err(|err: toml::de::Error| ConfigError::Invalid {
                origin: Origin::Defaults,
                message: err.message().trim().to_string(),
            })?;
    let resolved = Resolved {
        config,
        table,
        layers,
    };
    validate::check(&resolved)?;
    Ok(resolved)
}

#[cfg(test)]
mod tests;
