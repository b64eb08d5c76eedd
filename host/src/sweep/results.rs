//! Collects a sweep's results: for each planned run, its state from `status.json` and
//! its metrics from `summary.json` (in-domain = the `validation` split, out-of-domain =
//! every `test.*` split, capacity means). A run without a completed summary has no
//! metrics and counts as failed unless it is still pending, running or interrupted.
use std::collections::BTreeMap;

use super::attempt::read_summary;
use super::error::SweepError;
use super::layout::SweepDir;
use super::plan::RunInfo;
use super::status::{RunState, SweepStatus};
use crate::train::summary::RunStatus;

/// One row of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub info: RunInfo,
    pub state: RunState,
    pub attempts: u32,
    pub message: Option<String>,
    pub metrics: Option<Metrics>,
}

/// The numbers a completed run contributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub in_domain_accuracy: f64,
    pub in_domain_f1: f64,
    /// Out-of-domain accuracy by split name without the `test.` prefix.
    pub ood_accuracy: BTreeMap<String, f64>,
    pub mean_ood_accuracy: Option<f64>,
    /// Mean ‖ΔW‖₂ over adapted layers.
    pub update_capacity: f64,
    /// Mean F = ‖ΔW·x‖/‖x‖ over adapted layers.
    pub output_change: f64,
    pub steps: u64,
    pub train_seconds: f64,
}

/// The plan saved in `sweep.json`.
pub fn load_plan(dir: &SweepDir) -> Result<SavedPlan, SweepError> {
    let path = dir.plan_file();
    let bytes = std::fs::read(&path).map_err(|_| SweepError::NotASweep {
        dir: dir.root().to_path_buf(),
        file: super::layout::PLAN_FILE,
    })?;
    let saved: SavedPlan = serde_json::from_slice(&bytes).map_err(|e| SweepError::Io {
        what: "cannot parse",
        path,
        source: std::io::Error::other(e),
    })?;
    Ok(saved)
}

/// `sweep.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SavedPlan {
    pub name: String,
    pub source: String,
    /// `[base]` overrides shared by every run.
    #[serde(default)]
    pub base: Vec<String>,
    pub runs: Vec<RunInfo>,
}

/// The saved plan and every planned run with its state and metrics, in plan order.
pub fn collect(dir: &SweepDir) -> Result<(SavedPlan, Vec<RunResult>), SweepError> {
    let plan = load_plan(dir)?;
    let status = SweepStatus::load(&dir.status_file())?;
    let results = plan
        .runs
        .clone()
        .into_iter()
        .map(|info| {
            let record = status.as_ref().and_then(|s| s.get(&info.name)).cloned();
            let summary = read_summary(&dir.summary_file(&info.name))
                .filter(|s| s.status == RunStatus::Completed);
            let metrics = summary.as_ref().and_then(metrics_of);
            let recorded = record.as_ref().map_or(RunState::Pending, |r| r.state);
            let state = match (recorded, &metrics) {
                (RunState::Completed, None) => RunState::Failed,
                (state, _) => state,
            };
            let message = match (recorded, &metrics) {
                (RunState::Completed, None) => Some("no completed summary.json".to_string()),
                _ => record.as_ref().and_then(|r| r.message.clone()),
            };
            RunResult {
                info,
                state,
                attempts: record.map_or(0, |r| r.attempts),
                message,
                metrics,
            }
        })
        .collect();
    Ok((plan, results))
}

fn metrics_of(summary: &crate::train::summary::Summary) -> Option<Metrics> {
    let validation = summary.splits.get("validation")?;
    let ood_accuracy: BTreeMap<String, f64> = summary
        .splits
        .iter()
        .filter_map(|(name, eval)| {
            Some((
                name.strip_prefix("test.")?.to_string(),
                eval.metrics.accuracy,
            ))
        })
        .collect();
    let mean_ood_accuracy = (!ood_accuracy.is_empty())
        .then(|| ood_accuracy.values().sum::<f64>() / ood_accuracy.len() as f64);
    Some(Metrics {
        in_domain_accuracy: validation.metrics.accuracy,
        in_domain_f1: validation.metrics.f1,
        ood_accuracy,
        mean_ood_accuracy,
        update_capacity: summary.capacity.update_capacity.mean,
        output_change: summary.capacity.output_change.mean,
        steps: summary.training.steps,
        train_seconds: summary.timings.train_s,
    })
}

/// The out-of-domain split names over all runs, sorted.
pub fn ood_splits(results: &[RunResult]) -> Vec<String> {
    let mut names: Vec<String> = results
        .iter()
        .filter_map(|r| r.metrics.as_ref())
        .flat_map(|m| m.ood_accuracy.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}
