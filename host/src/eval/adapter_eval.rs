//! Evaluating a saved adapter (`clora-host eval`): loads the base model and the adapter,
//! prepares the configured evaluation splits and reports the same metrics as the end of
//! a training run.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::model::{self, SequenceClassifier};
use crate::plugin::PluginRuntime;
use crate::train::data_feed::{self, Needs};
use crate::train::run_dir::RunDir;
use crate::train::session::runtime_options;
use crate::train::TrainError;

use super::capacity::{update_capacity, PerLayer};
use super::{evaluate, SplitEvaluation};

/// What `clora-host eval` writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdapterEvaluation {
    pub adapter: PathBuf,
    pub model: String,
    pub splits: BTreeMap<String, SplitEvaluation>,
    pub update_capacity: PerLayer,
    /// F over the validation split when it was evaluated.
    pub output_change: Option<PerLayer>,
}

/// The base model an adapter was trained on, from its `adapter_config.json`.
pub fn adapter_base_model(adapter_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(adapter_dir.join("adapter_config.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("base_model_name_or_path")?
        .as_str()
        .map(str::to_string)
}

/// Evaluates `adapter_dir` on the base model `model_source` with the data of `config`,
/// restricted to the split names in `only` when given. Log lines go to `log_dir`'s
/// `train.log` (a scratch directory for adapters outside a run).
pub fn evaluate_adapter(
    config: &Config,
    model_source: &str,
    adapter_dir: &Path,
    only: Option<&[String]>,
    log_dir: &Path,
) -> Result<AdapterEvaluation, TrainError> {
    let run = RunDir::open(log_dir.to_path_buf())
        .map_err(crate::train::io_err("cannot open", log_dir))?;
    let device = model::parse_device(&config.device)?;
    crate::train::session::apply_threads(config);
    let files = model::resolve_model(model_source, Some(&config.model.revision))?;
    let model = SequenceClassifier::load_with_adapter(&files, adapter_dir, device)?;
    let runtime = PluginRuntime::new(runtime_options(config, Some(&run)))?;
    let feeds = data_feed::prepare(
        config,
        &files.dir,
        &runtime,
        &run,
        Needs::EvaluationOnly,
        only,
    )?;
    let names = feeds.eval_names();
    if names.is_empty() {
        return Err(TrainError::Invalid(format!(
            "no evaluation split matches {:?} (configured: validation and test.<name>)",
            only.unwrap_or_default()
        )));
    }
    let mut splits = BTreeMap::new();
    for name in names {
        let feed = feeds.eval(&name).expect("name comes from the feeds");
        let result = evaluate(&model, feed.batches(device))?;
        run.log(&format!(
            "{name}: accuracy {:.4} f1 {:.4} ({} examples)",
            result.metrics.accuracy, result.metrics.f1, result.metrics.examples
        ));
        splits.insert(name, result);
    }
    let output_change = splits.get("validation").map(|v| v.output_change.clone());
    Ok(AdapterEvaluation {
        adapter: adapter_dir.to_path_buf(),
        model: model_source.to_string(),
        splits,
        update_capacity: update_capacity(&model)?,
        output_change,
    })
}
