//! `summary.json`: everything a run produced that a report or a sweep needs — the
//! resolved config, metrics per split, capacity metrics, timings, plugin identities and
//! versions.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::eval::{PerLayer, SplitEvaluation};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub name: String,
    pub status: RunStatus,
    pub config: serde_json::Value,
    pub model: ModelInfo,
    pub plugins: BTreeMap<String, PluginIdentity>,
    pub training: TrainingInfo,
    /// "validation", "test.boolq", ... → metrics.
    pub splits: BTreeMap<String, SplitEvaluation>,
    pub capacity: Capacity,
    pub timings: Timings,
    pub versions: Versions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Completed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelInfo {
    pub source: String,
    pub device: String,
    pub n_layer: i64,
    pub n_embd: i64,
    pub trainable_parameters: i64,
    pub adapted_layers: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PluginIdentity {
    pub path: String,
    pub name: String,
    pub version: String,
    pub sha256: String,
    pub params: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainingInfo {
    pub steps: u64,
    pub epochs_completed: u64,
    pub examples: u64,
    pub best_epoch: Option<u64>,
    pub best_validation_accuracy: Option<f64>,
    /// Which adapter the final evaluation used: "best" or "last".
    pub evaluated_adapter: String,
    pub final_train_loss: Option<f64>,
    pub resumed_from_step: Option<u64>,
}

/// CLoRA paper Table 4 metrics of the evaluated adapter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Capacity {
    /// ‖ΔW‖₂ per layer and mean.
    pub update_capacity: PerLayer,
    /// F = mean ‖ΔW·x‖/‖x‖ over the validation inputs, per layer and mean.
    pub output_change: PerLayer,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Timings {
    pub setup_s: f64,
    pub train_s: f64,
    pub eval_s: f64,
    pub total_s: f64,
    pub train_samples_per_s: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Versions {
    pub clora_host: String,
    pub libtorch: String,
    pub wasmtime: String,
    pub plugin_contract: String,
}

impl Versions {
    pub fn current() -> Versions {
        Versions {
            clora_host: env!("CARGO_PKG_VERSION").to_string(),
            libtorch: "2.13.0".to_string(),
            wasmtime: "48.0.8".to_string(),
            plugin_contract: crate::plugin::CONTRACT_VERSION.to_string(),
        }
    }
}
