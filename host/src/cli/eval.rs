//! `clora-host eval`: evaluate a run's adapter, or any PEFT adapter, on the configured
//! validation and out-of-domain test splits.
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use super::config_args::ConfigArgs;
use crate::config::Overrides;
use crate::eval::adapter_eval::{adapter_base_model, evaluate_adapter};
use crate::train::run_dir::{latest_run, CONFIG_FILE};

/// Evaluate an adapter: accuracy, precision, recall, F1 per split, ‖ΔW‖₂ and F.
///
/// Examples:
///   clora-host eval                                  # the most recent run
///   clora-host eval --run runs/clora-20261129-101500 --datasets validation,test.boolq
///   clora-host eval --adapter my-adapter --model gpt2 --config configs/local.toml --output eval.json
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct EvalArgs {
    /// A run directory: its config and its best (else last) adapter are used.
    #[arg(long, value_name = "RUN_DIR", conflicts_with = "adapter")]
    pub run: Option<PathBuf>,
    /// A PEFT adapter directory (adapter_config.json + adapter_model.safetensors).
    #[arg(long, value_name = "DIR")]
    pub adapter: Option<PathBuf>,
    /// Only these splits, comma-separated (e.g. validation,test.boolq).
    #[arg(long, value_delimiter = ',', value_name = "SPLITS")]
    pub datasets: Option<Vec<String>>,
    /// Write the metrics as JSON here (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let (resolved, adapter, log_dir) = match (&args.run, &args.adapter) {
        (_, Some(adapter)) => {
            let resolved = args.config.resolve(|_| {})?;
            let scratch = std::env::temp_dir().join(format!("clora-eval-{}", std::process::id()));
            std::fs::create_dir_all(&scratch)?;
            (resolved, adapter.clone(), scratch)
        }
        (run, None) => {
            let run_dir = match run {
                Some(dir) => dir.clone(),
                None => {
                    let root = args.config.resolve(|_| {})?.config.output.dir;
                    let latest = latest_run(std::path::Path::new(&root)).with_context(|| {
                        format!("no finished run under {root}/ (pass --run or --adapter)")
                    })?;
                    eprintln!("evaluating the most recent run: {}", latest.display());
                    latest
                }
            };
            let config_file = run_dir.join(CONFIG_FILE);
            if !config_file.is_file() {
                bail!(
                    "{} is not a run directory (no {CONFIG_FILE})",
                    run_dir.display()
                );
            }
            let mut overrides = args.config.overrides();
            overrides.files.insert(0, config_file);
            let resolved = crate::config::resolve(&Overrides { ..overrides })?;
            let adapter = [run_dir.join("best"), run_dir.join("adapter")]
                .into_iter()
                .find(|d| d.join("adapter_config.json").is_file())
                .with_context(|| {
                    format!(
                        "{} has no adapter yet (best/ or adapter/)",
                        run_dir.display()
                    )
                })?;
            (resolved, adapter, run_dir)
        }
    };
    let model = match (&args.config.model, &args.adapter) {
        (Some(model), _) => model.clone(),
        (None, Some(adapter)) => {
            adapter_base_model(adapter).unwrap_or(resolved.config.model.source.clone())
        }
        (None, None) => resolved.config.model.source.clone(),
    };
    let report = evaluate_adapter(
        &resolved.config,
        &model,
        &adapter,
        args.datasets.as_deref(),
        &log_dir,
    )?;
    let json = serde_json::to_string_pretty(&report)?;
    match &args.output {
        Some(path) => {
            crate::fsutil::write_atomic(path, json.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("metrics written to {}", path.display());
        }
        None => println!("{json}"),
    }
    Ok(())
}
