//! `clora-host data prepare | inspect | clear-cache`: fills the dataset cache, prints
//! per-split statistics, empties the cache.
//!
//! ```text
//! clora-host data inspect --config configs/local.toml --set data.root=../shared/data
//! clora-host data prepare --split train --model gpt2 --rebuild
//! clora-host data clear-cache
//! ```
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};

use super::config_args::ConfigArgs;
use crate::config::{lookup, merge, Config, Layer};
use crate::data::stats::SplitStats;
use crate::data::{cache, DataConfig, PluginConverters, Prepared, Preparer, Progress};
use crate::hub::Hub;
use crate::plugin::{PluginRuntime, RuntimeOptions};

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Read, preprocess (through the preprocessor plugins) and tokenize the configured
    /// splits into the cache.
    Prepare(PrepareArgs),
    /// Print per split: source, rows read and skipped, examples, positive fraction and
    /// token length p50/p95/max (preparing what is not cached yet).
    Inspect(InspectArgs),
    /// Remove every cached split from the data cache directory.
    ClearCache(ClearArgs),
}

#[derive(Debug, Args)]
pub struct SplitArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Only this split (`train`, `validation`, `test.<name>`); repeatable. Default: all.
    #[arg(long = "split", value_name = "ID")]
    pub splits: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PrepareArgs {
    #[command(flatten)]
    pub common: SplitArgs,
    /// Rebuild the cache entries even when they are present.
    #[arg(long)]
    pub rebuild: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub common: SplitArgs,
    /// Print one JSON object per split instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ClearArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
}

pub fn run(cmd: DataCommand) -> Result<()> {
    match cmd {
        DataCommand::Prepare(args) => {
            for prepared in prepare(&args.common, args.rebuild)? {
                let split = &prepared.split;
                println!(
                    "{}: {} examples from {} rows ({} skipped); cache {:?}: {}",
                    split.meta.split,
                    split.len(),
                    split.meta.rows_read,
                    split.meta.bad_rows.count,
                    prepared.cache,
                    prepared.entry.display()
                );
            }
            Ok(())
        }
        DataCommand::Inspect(args) => {
            let prepared = prepare(&args.common, false)?;
            let reports: Vec<InspectReport> = prepared.iter().map(InspectReport::of).collect();
            if args.json {
                for report in &reports {
                    println!("{}", serde_json::to_string(report)?);
                }
            } else {
                print!("{}", render_table(&reports));
            }
            Ok(())
        }
        DataCommand::ClearCache(args) => {
            let settings = load_settings(&args.config)?;
            let dir = settings.data.cache_dir();
            let cleared = cache::clear(&dir)?;
            println!(
                "removed {} cache entries ({:.1} MiB) from {}",
                cleared.files,
                cleared.bytes as f64 / (1024.0 * 1024.0),
                dir.display()
            );
            Ok(())
        }
    }
}

fn prepare(args: &SplitArgs, rebuild: bool) -> Result<Vec<Prepared>> {
    let settings = load_settings(&args.config)?;
    let ids: Vec<String> = if args.splits.is_empty() {
        settings
            .data
            .splits()
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    } else {
        args.splits.clone()
    };
    let tokenizer_dir = tokenizer_dir(&settings)?;
    let runtime = PluginRuntime::new(RuntimeOptions::default())?;
    let converters = PluginConverters::new(runtime, Some(settings.seed));
    let hub = Hub::from_env();
    let preparer = Preparer {
        config: &settings.data,
        tokenizer_dir,
        converters: &converters,
        hub: &hub,
        progress: Progress::auto(),
        rebuild,
    };
    ids.iter()
        .map(|id| {
            preparer
                .prepare(id)
                .with_context(|| format!("preparing split `{id}`"))
        })
        .collect()
}

/// What `data inspect` reports for one split.
#[derive(Debug, Serialize)]
struct InspectReport {
    split: String,
    dataset: String,
    source: String,
    preprocessor: String,
    #[serde(flatten)]
    stats: SplitStats,
}

impl InspectReport {
    fn of(prepared: &Prepared) -> InspectReport {
        let meta = &prepared.split.meta;
        InspectReport {
            split: meta.split.clone(),
            dataset: meta.dataset.clone(),
            source: meta.source.clone(),
            preprocessor: meta.preprocessor.clone(),
            stats: SplitStats::of(&prepared.split),
        }
    }
}

fn render_table(reports: &[InspectReport]) -> String {
    let mut out = format!(
        "{:<20} {:<15} {:>9} {:>8} {:>9} {:>9} {:>5} {:>5} {:>5} {:>9}\n",
        "split",
        "dataset",
        "rows",
        "skipped",
        "examples",
        "positive",
        "p50",
        "p95",
        "max",
        "truncated"
    );
    for r in reports {
        let s = &r.stats;
        out.push_str(&format!(
            "{:<20} {:<15} {:>9} {:>8} {:>9} {:>9.3} {:>5} {:>5} {:>5} {:>9}\n",
            r.split,
            r.dataset,
            s.rows_read,
            s.rows_skipped,
            s.examples,
            s.positive_fraction,
            s.length_p50,
            s.length_p95,
            s.length_max,
            s.truncated
        ));
    }
    out.push_str("token lengths are before truncation; sources:\n");
    for r in reports {
        out.push_str(&format!(
            "  {}: {}\n    via {}\n",
            r.split, r.source, r.preprocessor
        ));
    }
    out
}

// --- configuration -----------------------------------------------------------------
// Isolated on purpose: until `[data]` is part of the shared `Config`, the data commands
// layer the `[data]` section themselves (embedded defaults ⊕ --config ⊕ --set data.*),
// with the same layer helpers. Replace `load_settings` by `args.resolve()` then.

/// What the data commands read from the configuration.
struct DataSettings {
    data: DataConfig,
    seed: u64,
    model: String,
    model_revision: String,
}

/// A configuration file seen through the `[data]` section only (other sections pass).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct DataLayer {
    data: DataConfig,
}

fn load_settings(args: &ConfigArgs) -> Result<DataSettings> {
    let mut table = toml::Table::try_from(DataLayer::default())?;
    for path in &args.config {
        merge(&mut table, &Layer::from_file::<DataLayer>(path)?.table);
    }
    for set in &args.sets {
        let key = set.split('=').next().unwrap_or_default().trim();
        if key.starts_with("data.") || key == "seed" || key.starts_with("model.") {
            merge(&mut table, &Layer::from_set::<DataLayer>(set)?.table);
        }
    }
    let layer: DataLayer = toml::Value::Table(table.clone())
        .try_into()
        .context("invalid [data] configuration")?;
    layer.data.validate()?;
    let defaults = Config::defaults();
    let text = |key: &str| {
        lookup(&table, key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let seed = match (
        args.seed,
        lookup(&table, "seed").and_then(|v| v.as_integer()),
    ) {
        (Some(seed), _) | (None, Some(seed)) => seed,
        (None, None) => defaults.seed as i64,
    };
    if seed < 0 {
        bail!("seed must be ≥ 0 (got {seed})");
    }
    Ok(DataSettings {
        data: layer.data,
        seed: seed as u64,
        model: args
            .model
            .clone()
            .or_else(|| text("model.source"))
            .unwrap_or(defaults.model.source),
        model_revision: text("model.revision").unwrap_or(defaults.model.revision),
    })
}

/// `data.tokenizer`, else the model's directory (`--model`, `model.source`): a local
/// directory is used as is (it may hold only tokenizer files), a Hub id is resolved
/// through the HF cache.
fn tokenizer_dir(settings: &DataSettings) -> Result<PathBuf> {
    if !settings.data.tokenizer.as_os_str().is_empty() {
        return Ok(settings.data.tokenizer.clone());
    }
    let spec = &settings.model;
    if Path::new(spec).is_dir() {
        return Ok(PathBuf::from(spec));
    }
    let files =
        crate::model::resolve_model(spec, Some(&settings.model_revision)).with_context(|| {
            format!("finding the tokenizer of model `{spec}` (or set data.tokenizer)")
        })?;
    Ok(files.dir)
}
