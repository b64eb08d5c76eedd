//! `clora-host config defaults | show`: print the documented defaults, or the resolved
//! configuration a `train` with the same flags would use (nothing runs).
use clap::Subcommand;

use super::config_args::ConfigArgs;
use crate::config::DEFAULT_TOML;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the embedded default configuration, with a comment on every key.
    Defaults,
    /// Resolve --config/--set/flags and print the result as TOML (validates everything
    /// the config alone can tell; plugin parameters are checked when plugins load).
    Show {
        #[command(flatten)]
        config: ConfigArgs,
    },
}

pub fn run(cmd: ConfigCommand) -> anyhow::Result<()> {
    match cmd {
        ConfigCommand::Defaults => print!("{DEFAULT_TOML}"),
        ConfigCommand::Show { config } => print!("{}", config.resolve(|_| {})?.to_toml()),
    }
    Ok(())
}
