//! The sections of [`super::Config`] owned by the host itself (the `lora` and `data`
//! sections live with the model and the data pipeline).
//!
//! `Default` on these structs is only a placeholder used while checking a partial layer
//! (a `--config` file that sets a few keys); real default values always come from the
//! embedded `configs/default.toml`, merged in before the final parse.
use serde::{Deserialize, Serialize};
use toml::Table;

/// `[model]`: which GPT-2 to fine-tune.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSection {
    /// A local directory in Hugging Face layout, or a Hub id.
    pub source: String,
    /// Hub revision when `source` is a Hub id.
    pub revision: String,
}

/// `[train]`: optimisation and the training schedule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TrainSection {
    pub epochs: u64,
    pub max_steps: u64,
    pub batch_size: u64,
    pub grad_accum: u64,
    pub lr: f64,
    pub weight_decay: f64,
    pub adam_beta1: f64,
    pub adam_beta2: f64,
    pub adam_eps: f64,
    pub warmup_ratio: f64,
    pub max_grad_norm: f64,
    pub max_train_samples: u64,
    pub max_eval_samples: u64,
    pub eval_batch_size: u64,
    pub eval_each_epoch: bool,
    pub log_every: u64,
    pub checkpoint_every: u64,
    pub keep_checkpoints: u64,
}

/// `[regularizer]` and `[grad_processor]`: a plugin, its weight and its parameters.
///
/// `path` and `lambda` belong to the host; every other key is a plugin parameter,
/// validated against the schema the plugin declares.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct PluginSection {
    /// The plugin component; none means the feature is off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Weight of the penalty in the loss (regularizers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lambda: Option<f64>,
    /// The plugin's own parameters.
    #[serde(flatten)]
    pub params: Table,
}

/// `[plugins]`: sandbox limits shared by all plugins.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeSection {
    pub memory_mib: u64,
    pub call_timeout_ms: u64,
}

/// `[output]`: where runs are written.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct OutputSection {
    pub dir: String,
}
