//! `clora-host train`: fine-tune with LoRA, optionally with a regularizer plugin (CLoRA)
//! and a gradient-processor plugin (PCA gradient), then evaluate in- and out-of-domain.
use std::path::PathBuf;

use clap::Args;

use super::config_args::ConfigArgs;
use crate::train::{self, TrainOptions};

/// Fine-tune GPT-2 for binary classification with LoRA / CLoRA.
///
/// Examples:
///   clora-host train --regularizer plugins/clora.wasm --set regularizer.k=64
///   clora-host train --config configs/local.toml --set data.root=../shared/data
///   clora-host train --grad-processor plugins/pca-grad.wasm --set grad_processor.components=2
///   clora-host train --resume runs/clora-20261129-101500
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct TrainArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Regularizer plugin (`regularizer.path`), e.g. plugins/clora.wasm. Without one:
    /// plain LoRA.
    #[arg(long, value_name = "WASM")]
    pub regularizer: Option<String>,
    /// Gradient-processor plugin (`grad_processor.path`), e.g. plugins/pca-grad.wasm.
    #[arg(long, value_name = "WASM")]
    pub grad_processor: Option<String>,
    /// `regularizer.lambda`: weight of the penalty in the loss.
    #[arg(long = "lambda", value_name = "λ")]
    pub lambda: Option<f64>,
    /// `train.epochs`.
    #[arg(long)]
    pub epochs: Option<i64>,
    /// `train.batch_size`.
    #[arg(long)]
    pub batch_size: Option<i64>,
    /// `train.lr`.
    #[arg(long)]
    pub lr: Option<f64>,
    /// `train.max_train_samples`: train on at most N examples (0 = all).
    #[arg(long, value_name = "N")]
    pub max_train_samples: Option<i64>,
    /// Write the run here instead of <output.dir>/<name>-<timestamp>/.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Continue an interrupted run from its newest intact checkpoint. The run's saved
    /// config is used; --config/--set/flags are not allowed with --resume.
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["output_dir", "regularizer", "grad_processor"])]
    pub resume: Option<PathBuf>,
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let outcome = match &args.resume {
        Some(run_dir) => train::resume(run_dir)?,
        None => {
            let resolved = args.config.resolve(|o| {
                o.flag(
                    "regularizer.path",
                    "--regularizer",
                    args.regularizer.clone(),
                );
                o.flag(
                    "grad_processor.path",
                    "--grad-processor",
                    args.grad_processor.clone(),
                );
                o.flag("regularizer.lambda", "--lambda", args.lambda);
                o.flag("train.epochs", "--epochs", args.epochs);
                o.flag("train.batch_size", "--batch-size", args.batch_size);
                o.flag("train.lr", "--lr", args.lr);
                o.flag(
                    "train.max_train_samples",
                    "--max-train-samples",
                    args.max_train_samples,
                );
            })?;
            train::train(
                &resolved,
                &TrainOptions {
                    output_dir: args.output_dir.clone(),
                },
            )?
        }
    };
    println!("MODEL_PATH: {}", outcome.adapter_dir.display());
    println!("OUTPUT_DIR: {}", outcome.run_dir.display());
    println!("SUMMARY_FILE: {}", outcome.summary_file.display());
    Ok(())
}
