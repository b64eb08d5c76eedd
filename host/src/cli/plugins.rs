//! `clora-host plugins ...`.
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum PluginsCommand {}

pub fn run(cmd: PluginsCommand) -> anyhow::Result<()> {
    match cmd {}
}
