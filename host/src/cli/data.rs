//! `clora-host data prepare | inspect | clear-cache`: fills the dataset cache, prints
//! per-split statistics, empties the cache.
//!
//! ```text
//! clora-host data inspect --config configs/local.toml --set data.root=../shared/data
//! clora-host data prepare --split train --model gpt2 --rebuild
//! clora-host data clear-cache
//! ```
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::config_args::ConfigArgs;
use crate::config::Config;
use crate::data::stats::SplitStats;
use crate::data::{cache, PluginConverters, Prepared, Preparer, Progress};
use crate::hub::Hub;
use crate::plugin::PluginRuntime;
use crate::train::session::runtime_options;

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
                    "{}: {} examples from {} rows ({} skipped); cache {:?} in {:.3} s: {}",
                    split.meta.split,
                    split.len(),
                    split.meta.rows_read,
                    split.meta.bad_rows.count,
                    prepared.cache,
                    prepared.elapsed.as_secs_f64(),
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
            let config = load_settings(&args.config)?;
            let dir = config.data.cache_dir();
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
    let config = load_settings(&args.config)?;
    let ids: Vec<String> = if args.splits.is_empty() {
        config.data.splits().into_iter().map(|(id, _)| id).collect()
    } else {
        args.splits.clone()
    };
    let tokenizer_dir = tokenizer_dir(&config)?;
    let runtime = PluginRuntime::new(runtime_options(&config, None))?;
    let converters = PluginConverters::new(runtime, Some(config.seed));
    let hub = Hub::from_env();
    let preparer = Preparer {
        config: &config.data,
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

/// The resolved configuration (embedded defaults ⊕ --config ⊕ --set ⊕ flags), with the
/// `[data]` section checked.
fn load_settings(args: &ConfigArgs) -> Result<Config> {
    let resolved = args.resolve(|_| {})?;
    resolved.config.data.validate()?;
    Ok(resolved.config)
}

/// `data.tokenizer`, else the model's directory (`--model`, `model.source`): a local
/// directory is used as is (it may hold only tokenizer files), a Hub id is resolved
/// through the HF cache.
fn tokenizer_dir(config: &Config) -> Result<PathBuf> {
    if !config.data.tokenizer.as_os_str().is_empty() {
        return Ok(config.data.tokenizer.clone());
    }
    let spec = &config.model.source;
    if Path::new(spec).is_dir() {
        return Ok(PathBuf::from(spec));
    }
    let files =
        crate::model::resolve_model(spec, Some(&config.model.revision)).with_context(|| {
            format!("finding the tokenizer of model `{spec}` (or set data.tokenizer)")
        })?;
    Ok(files.dir)
}
