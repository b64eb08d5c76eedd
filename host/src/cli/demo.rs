//! `clora-host demo`: the offline demo. Writes a tiny random-init GPT-2 (Hugging Face
//! layout) and synthetic data in the real datasets' schemas, then trains and evaluates
//! with `configs/local.toml` + `configs/demo.toml` (embedded; copies are written next to
//! the run so they can be read and edited).
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use crate::config::{self, Overrides};
use crate::data::synthetic::{write_demo_dataset, DemoSizes};
use crate::model::tiny::{write_tiny_model, TinySpec};
use crate::train::{self, TrainOptions};

const LOCAL_TOML: &str = include_str!("../../../configs/local.toml");
const DEMO_TOML: &str = include_str!("../../../configs/demo.toml");
const DEMO_SEED: u64 = 42;

/// Train and evaluate the offline demo (tiny GPT-2, synthetic data, CLoRA).
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the demo writes its model, data, configs and runs.
    #[arg(long, value_name = "DIR", default_value = "runs/demo")]
    pub workdir: PathBuf,
    /// Override any config key, as with `train` (e.g. --set train.epochs=2).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let assets = args.workdir.join("assets");
    let model_dir = assets.join("tiny-gpt2");
    let data_dir = assets.join("data");
    if !model_dir.join("config.json").is_file() {
        eprintln!(
            "demo: writing a tiny random-init GPT-2 to {}",
            model_dir.display()
        );
        write_tiny_model(&model_dir, &TinySpec::default(), DEMO_SEED)?;
    }
    if !data_dir.join("commonsense_qa").is_dir() {
        eprintln!("demo: writing synthetic datasets to {}", data_dir.display());
        write_demo_dataset(&data_dir, DEMO_SEED, DemoSizes::default())?;
    }
    let local = write_config(&args.workdir, "local.toml", LOCAL_TOML)?;
    let demo = write_config(&args.workdir, "demo.toml", DEMO_TOML)?;
    let mut sets = vec![
        format!("model.source={}", quoted(&model_dir)),
        format!("data.root={}", quoted(&data_dir)),
        format!("output.dir={}", quoted(&args.workdir.join("runs"))),
    ];
    sets.extend(args.sets);
    let resolved = config::resolve(&Overrides {
        files: vec![local, demo],
        sets,
        ..Default::default()
    })?;
    let outcome = train::train(&resolved, &TrainOptions::default())?;
    eprintln!("\n{}", super::report::summary_table(&outcome.summary));
    println!("MODEL_PATH: {}", outcome.adapter_dir.display());
    println!("OUTPUT_DIR: {}", outcome.run_dir.display());
    println!("SUMMARY_FILE: {}", outcome.summary_file.display());
    Ok(())
}

fn write_config(dir: &Path, name: &str, text: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// A path as a TOML string for `--set`.
fn quoted(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}
