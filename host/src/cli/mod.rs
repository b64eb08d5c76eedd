//! The `clora-host` command line: argument parsing (clap) and dispatch. Each subcommand
//! lives in its own file; `main` maps errors to documented exit codes.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod config_args;
mod config_cmd;
mod data;
mod demo;
mod eval;
mod model_cmd;
mod plugins;
mod predict;
mod report;
mod sweep;
mod train;

/// Fine-tune GPT-2 with LoRA and CLoRA. Regularizers, gradient processors and dataset
/// preprocessors are sandboxed WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(name = "clora-host", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fine-tune with LoRA / CLoRA and evaluate in- and out-of-domain.
    Train(train::TrainArgs),
    /// Evaluate a run's adapter (or any PEFT adapter) on the evaluation splits.
    Eval(eval::EvalArgs),
    /// Model utilities (`init-tiny`).
    #[command(subcommand)]
    Model(model_cmd::ModelCommand),
    /// Run the offline demo: a tiny GPT-2 and synthetic data, trained with CLoRA.
    Demo(demo::DemoArgs),
    /// Inspect, check and scaffold plugin components (`describe`, `check`, `new`).
    #[command(subcommand)]
    Plugins(plugins::PluginsCommand),
    /// Classify texts with a model and an optional adapter.
    Predict(predict::PredictArgs),
    /// Print the default or the resolved configuration.
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// Prepare, inspect and clear the dataset cache.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Run a sweep of trainings from one file, locally or on Slurm, with a report.
    Sweep(sweep::SweepArgs),
}

/// Exit code for a failure (bad input, failed run).
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for a command-line usage error (clap's own convention).
pub const EXIT_USAGE: u8 = 2;

/// Entry point used by `main.rs`: parses arguments, runs, prints the error chain.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", error_text(&err));
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// The error and its causes joined with ": ", like `{:#}`, but without a cause that its
/// parent's message already ends with: the library's error types quote their source
/// (`cannot read config file X: {source}`), so `{:#}` would print it twice.
fn error_text(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    let mut parent = text.clone();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !parent.ends_with(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
        parent = cause;
    }
    text
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Train(args) => train::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Model(cmd) => model_cmd::run(cmd),
        Command::Plugins(cmd) => plugins::run(cmd),
        Command::Predict(args) => predict::run(args),
        Command::Data(cmd) => data::run(cmd),
        Command::Config(cmd) => config_cmd::run(cmd),
        Command::Sweep(args) => sweep::run(args),
    }
}

#[cfg(test)]
mod tests {
    use super::error_text;
    use anyhow::Context;

    #[test]
    fn error_text_prints_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let quoted = crate::config::ConfigError::Read {
            path: "a.toml".into(),
            source: io,
        };
        let err = anyhow::Error::new(quoted).context("loading");
        assert_eq!(
            error_text(&err),
            "loading: cannot read config file a.toml: gone"
        );
        let plain = Err::<(), _>(std::io::Error::other("disk"))
            .context("saving")
            .unwrap_err();
        assert_eq!(error_text(&plain), "saving: disk");
    }
}
