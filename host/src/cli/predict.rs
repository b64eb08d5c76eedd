//! `clora-host predict`: classify texts with a model and an optional adapter.
use clap::Args;

#[derive(Debug, Args)]
pub struct PredictArgs {}

pub fn run(_args: PredictArgs) -> anyhow::Result<()> {
    anyhow::bail!("predict is not available yet")
}
